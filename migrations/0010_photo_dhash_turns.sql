-- Photo reuse across turned copies (issue 14 item 19): the dHash of each picture in its 8 turns
-- and mirrorings (backend.photos.rules.DHASH_TURNS order; the first is `dhash`, the picture as
-- displayed), so that a copy rotated by 90/180/270 degrees, mirrored, or with its EXIF orientation
-- stripped and the pixels left unturned is still found. Pictures processed before this migration
-- have none and are compared as displayed only; a turned copy uploaded later is still found,
-- since the new picture's turns are compared with the earlier one as displayed.
ALTER TABLE photo_blobs ADD COLUMN dhash_turns bigint[];
ALTER TABLE photo_blobs ADD CONSTRAINT photo_blobs_dhash_turns_check
    CHECK (dhash_turns IS NULL OR (cardinality(dhash_turns) = 8 AND dhash_turns[1] = dhash));
