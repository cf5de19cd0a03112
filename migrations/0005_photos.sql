-- Photo evidence: originals stored once per content, derivatives, EXIF metadata, attachments.

-- One row per distinct original (content address = SHA-256 of the uploaded bytes). The original
-- stays private in storage; only the EXIF-free derivatives made from it are ever served.
CREATE TABLE photo_blobs (
    sha256        bytea PRIMARY KEY CHECK (length(sha256) = 32),
    format        text NOT NULL CHECK (format IN ('jpeg', 'png', 'webp', 'heif')),  -- from the bytes
    size_bytes    integer NOT NULL CHECK (size_bytes > 0),
    width         integer NOT NULL CHECK (width > 0),   -- as displayed, orientation applied
    height        integer NOT NULL CHECK (height > 0),
    dhash         bigint,       -- 64-bit difference hash of the displayed picture
    processed_at  timestamptz,  -- display image and thumbnail are in storage
    failure       text,         -- the derivatives could not be made (damaged file)
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((dhash IS NULL) = (processed_at IS NULL)),
    CHECK (failure IS NULL OR processed_at IS NULL)
);

-- EXIF as read from the original before anything else; visit checks compare it with the visit.
CREATE TABLE photo_metadata (
    sha256              bytea PRIMARY KEY REFERENCES photo_blobs (sha256),
    taken_at            timestamptz,
    taken_at_has_offset boolean NOT NULL DEFAULT false,  -- false: camera local time read as Asia/Shanghai
    latitude            double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude           double precision CHECK (longitude BETWEEN -180 AND 180),
    orientation         smallint CHECK (orientation BETWEEN 1 AND 8),
    device_make         text,
    device_model        text,
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);

-- An attachment of a blob to an owner. `household_id` is the owner's household at upload time,
-- kept for the reuse check ("a household's earlier photo").
CREATE TABLE photos (
    id                bigserial PRIMARY KEY,
    owner_kind        text NOT NULL CHECK (owner_kind IN ('application', 'visit', 'product', 'order')),
    owner_id          bigint NOT NULL,
    household_id      bigint REFERENCES households (id),
    uploaded_by       bigint NOT NULL REFERENCES users (id),
    sha256            bytea NOT NULL REFERENCES photo_blobs (sha256),
    original_name     text,  -- as the phone sent it; never used to decide the format
    note              text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'ready', 'failed')),
    possible_reuse_of bigint REFERENCES photos (id),
    reuse_distance    smallint CHECK (reuse_distance BETWEEN 0 AND 64),  -- Hamming bits of the dHashes
    created_at        timestamptz NOT NULL DEFAULT now(),
    ready_at          timestamptz,
    UNIQUE (owner_kind, owner_id, sha256),
    CHECK ((possible_reuse_of IS NULL) = (reuse_distance IS NULL)),
    CHECK (possible_reuse_of IS NULL OR possible_reuse_of < id),
    CHECK ((status = 'ready') = (ready_at IS NOT NULL))
);
CREATE INDEX photos_owner_idx ON photos (owner_kind, owner_id);
CREATE INDEX photos_uploader_idx ON photos (uploaded_by);
CREATE INDEX photos_household_idx ON photos (household_id) WHERE household_id IS NOT NULL;
CREATE INDEX photos_sha256_idx ON photos (sha256);
CREATE INDEX photos_processing_idx ON photos (created_at) WHERE status = 'processing';
