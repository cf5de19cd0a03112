-- Staff accounts made by admins and counties (issue 14 item 16): a password the server handed out
-- must be changed at the next log-in; ending an account's sessions also stops its access tokens; a department user's account says which feeds (DOMAIN §7.1)
-- it may upload, replacing the single `department` text; staff list imports keep their reject
-- report and, until the importer downloads it once, the one-time passwords (encrypted).

ALTER TABLE users
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
    ADD COLUMN department_feeds text[] NOT NULL DEFAULT '{}'
        CHECK (department_feeds <@ ARRAY['medical', 'welfare', 'education', 'housing', 'disability', 'employment',
                                         'disaster', 'civil_registry', 'water', 'negative_list']::text[]),
    ADD COLUMN created_by bigint REFERENCES users (id),
    ADD COLUMN deactivated_at timestamptz,
    -- access tokens issued before this are refused (backend/accounts/revocations.py)
    ADD COLUMN sessions_revoked_at timestamptz;
CREATE INDEX users_sessions_revoked_idx ON users (sessions_revoked_at) WHERE sessions_revoked_at IS NOT NULL;

UPDATE users
SET department_feeds = ARRAY[department]
WHERE department IN ('medical', 'welfare', 'education', 'housing', 'disability', 'employment', 'disaster',
                     'civil_registry', 'water', 'negative_list');
ALTER TABLE users DROP COLUMN department;
ALTER TABLE users ADD CONSTRAINT users_feeds_only_for_departments CHECK (role = 'department' OR department_feeds = '{}');

CREATE INDEX users_region_pattern_idx ON users (region_code bpchar_pattern_ops) WHERE role <> 'farmer';

CREATE TABLE staff_imports (
    id                 bigserial PRIMARY KEY,
    created_at         timestamptz NOT NULL DEFAULT now(),
    imported_by        bigint NOT NULL REFERENCES users (id),
    region_code        char(12) REFERENCES regions (code),  -- the importer's scope; NULL for an admin
    file_name          text NOT NULL,
    file_sha256        bytea NOT NULL,
    encoding           text NOT NULL,
    rows_total         integer NOT NULL CHECK (rows_total >= 0),
    rows_rejected      integer NOT NULL CHECK (rows_rejected >= 0),
    users_created      integer NOT NULL CHECK (users_created >= 0),
    rejects            jsonb NOT NULL DEFAULT '[]',  -- [{row, column, reason}]
    passwords_enc      bytea,  -- AES-GCM CSV of the created users' one-time passwords; NULL once taken
    passwords_taken_at timestamptz
);
CREATE INDEX staff_imports_importer_idx ON staff_imports (imported_by, id DESC);
