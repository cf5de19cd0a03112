"""Photo SQL. Reads of a photo are scoped by its owner (see owners.may_view)."""

# Serialises uploads to one owner so the per-owner cap holds under concurrent uploads.
LOCK_OWNER = """
SELECT pg_advisory_xact_lock(hashtextextended('photos:owner:' || $1::text || ':' || $2::bigint, 0))
"""

GET_OWNER_PHOTO_BY_SHA256 = """
SELECT id, status
FROM photos
WHERE owner_kind = $1
  AND owner_id = $2
  AND sha256 = $3
"""

COUNT_OWNER_PHOTOS = """
SELECT count(*)
FROM photos
WHERE owner_kind = $1
  AND owner_id = $2
  AND status <> 'failed'
"""

GET_BLOB_STATE = """
SELECT processed_at IS NOT NULL AS processed, failure
FROM photo_blobs
WHERE sha256 = $1
"""

# Returns a row only when this upload brought new content (the bytes are not stored yet).
INSERT_BLOB = """
INSERT INTO photo_blobs (sha256, format, size_bytes, width, height)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (sha256) DO NOTHING
RETURNING sha256
"""

INSERT_METADATA = """
INSERT INTO photo_metadata (sha256, taken_at, taken_at_has_offset, latitude, longitude, orientation,
                            device_make, device_model)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""

INSERT_PHOTO = """
INSERT INTO photos (owner_kind, owner_id, household_id, uploaded_by, sha256, original_name, note)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id
"""

_PHOTO_COLUMNS = """
SELECT p.id, p.owner_kind, p.owner_id, p.status, p.note, p.created_at, p.ready_at,
       p.possible_reuse_of, p.reuse_distance, p.sha256,
       b.format, b.width, b.height, b.size_bytes, b.failure,
       m.taken_at, m.taken_at_has_offset, m.latitude, m.longitude, m.orientation,
       m.device_make, m.device_model
FROM photos p
JOIN photo_blobs b ON b.sha256 = p.sha256
LEFT JOIN photo_metadata m ON m.sha256 = p.sha256
"""

GET_PHOTO = f"""
{_PHOTO_COLUMNS}
WHERE p.id = $1
"""

LIST_PHOTOS_FOR_OWNER = f"""
{_PHOTO_COLUMNS}
WHERE p.owner_kind = $1
  AND p.owner_id = $2
ORDER BY p.id
"""

GET_PHOTO_FOR_PROCESSING = """
SELECT p.id, p.status, p.sha256, p.uploaded_by, p.household_id,
       b.processed_at IS NOT NULL AS processed, b.failure
FROM photos p
JOIN photo_blobs b ON b.sha256 = p.sha256
WHERE p.id = $1
"""

GET_SERVABLE_PHOTO = """
SELECT p.sha256
FROM photos p
WHERE p.id = $1
  AND p.status = 'ready'
"""

# $2: the dHash in every turn (rules.DHASH_TURNS), the picture as displayed first.
MARK_BLOB_PROCESSED = """
UPDATE photo_blobs
SET dhash = ($2::bigint[])[1], dhash_turns = $2, processed_at = now()
WHERE sha256 = $1
  AND processed_at IS NULL
"""

# A damaged picture fails every photo made of it, and later uploads of it are refused.
MARK_BLOB_FAILED = """
WITH blob AS (
    UPDATE photo_blobs SET failure = $2 WHERE sha256 = $1 AND processed_at IS NULL
)
UPDATE photos SET status = 'failed' WHERE sha256 = $1 AND status = 'processing'
"""

# Reuse checks for one photo at a time, per uploader and household: taking these locks (in key
# order, so two checks never deadlock) means two photos finishing at once still see each other.
LOCK_REUSE_SCOPE = """
SELECT pg_advisory_xact_lock(key)
FROM (
    SELECT hashtextextended(k, 0) AS key
    FROM unnest($1::text[]) AS k
    ORDER BY 1
) keys
"""

# Photos that may be "the same picture" as photo $1: same uploader or same household, another
# owner, evidence kinds only ($2), ready. Callers keep those within $3 bits. The distance is
# rules.reuse_distance_bits: photo $1's nearest turn to the other photo as displayed (a picture
# processed before migration 0010 has only the one as displayed).
_REUSE_CANDIDATES = """
WITH me AS (
    SELECT p.id, p.owner_kind, p.owner_id, p.uploaded_by, p.household_id,
           coalesce(b.dhash_turns, ARRAY[b.dhash]) AS turns
    FROM photos p
    JOIN photo_blobs b ON b.sha256 = p.sha256
    WHERE p.id = $1
      AND p.owner_kind = ANY($2::text[])
),
candidates AS (
    SELECT o.id, o.possible_reuse_of,
           (SELECT min(bit_count((ob.dhash # turn)::bit(64))) FROM unnest(me.turns) AS turn)::smallint AS distance
    FROM me
    JOIN photos o ON o.id <> me.id
                 AND (o.uploaded_by = me.uploaded_by OR o.household_id = me.household_id)
    JOIN photo_blobs ob ON ob.sha256 = o.sha256
    WHERE o.status = 'ready'
      AND o.owner_kind = ANY($2::text[])
      AND (o.owner_kind, o.owner_id) <> (me.owner_kind, me.owner_id)  -- two shots of one wall are fine
)
"""

# Photo $1 becomes ready, flagged against the nearest earlier look-alike if there is one.
MARK_READY_FLAGGING_EARLIER = f"""
{_REUSE_CANDIDATES},
nearest AS (
    SELECT id, distance
    FROM candidates
    WHERE id < $1
      AND distance <= $3
    ORDER BY distance, id
    LIMIT 1
)
UPDATE photos
SET status = 'ready',
    ready_at = now(),
    possible_reuse_of = (SELECT id FROM nearest),
    reuse_distance = (SELECT distance FROM nearest)
WHERE id = $1
  AND status = 'processing'
RETURNING id
"""

# A later look-alike that became ready first (its content was already processed) is flagged
# against photo $1 now that $1 has a hash too.
FLAG_LATER_LOOKALIKES = f"""
{_REUSE_CANDIDATES}
UPDATE photos p
SET possible_reuse_of = $1, reuse_distance = c.distance
FROM candidates c
WHERE p.id = c.id
  AND c.id > $1
  AND c.possible_reuse_of IS NULL
  AND c.distance <= $3
"""

LIST_STUCK_PHOTO_IDS = """
SELECT id
FROM photos
WHERE status = 'processing'
  AND created_at < now() - make_interval(secs => $1)
ORDER BY id
LIMIT $2
"""
