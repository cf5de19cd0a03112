-- Registry bulk import batches (DOMAIN §3, §11): who imported what, when, the counts and the
-- reject report (row, column, reason) the uploader downloads later. Households remember the batch
-- that brought them in.

CREATE TABLE registry_imports (
    id                   bigserial PRIMARY KEY,
    created_at           timestamptz NOT NULL DEFAULT now(),
    imported_by          bigint REFERENCES users (id),  -- NULL: the `fangpin import-registry` CLI
    source               text NOT NULL CHECK (source IN ('upload', 'cli')),
    region_code          char(12) NOT NULL REFERENCES regions (code),  -- the scope rows had to be in
    file_name            text NOT NULL,
    file_sha256          bytea NOT NULL,
    encoding             text NOT NULL,
    rows_total           integer NOT NULL CHECK (rows_total >= 0),
    rows_rejected        integer NOT NULL CHECK (rows_rejected >= 0),
    households_imported  integer NOT NULL CHECK (households_imported >= 0),
    persons_imported     integer NOT NULL CHECK (persons_imported >= 0),
    households_rejected  integer NOT NULL CHECK (households_rejected >= 0),
    -- [{row, column, reason}]; never holds an ID number (DOMAIN §11)
    rejects              jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX registry_imports_region_idx ON registry_imports (region_code bpchar_pattern_ops, id DESC);

ALTER TABLE households ADD COLUMN import_id bigint REFERENCES registry_imports (id);
CREATE INDEX households_import_idx ON households (import_id) WHERE import_id IS NOT NULL;
