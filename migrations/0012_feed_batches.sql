-- Department feeds (DOMAIN §7.1, issue 15): each upload is a batch, parsed by the arq worker into
-- a staging table per feed, matched to persons by the ID-number blind index and handed to the
-- rules (migration 0013). The clear ID number never reaches the database: staging rows and the
-- reject report hold the blind index and the masked form only (DOMAIN §11).

CREATE TABLE feed_batches (
    id             bigserial PRIMARY KEY,
    feed           text NOT NULL CHECK (feed IN ('medical', 'welfare', 'education', 'housing', 'disability',
                                                 'employment', 'disaster', 'civil_registry', 'water',
                                                 'negative_list')),
    region_code    char(12) NOT NULL REFERENCES regions (code),  -- rows must lie inside it
    period         date NOT NULL CHECK (extract(day FROM period) = 1),  -- the month the export covers
    source         text NOT NULL CHECK (source IN ('upload', 'cli')),
    uploaded_by    bigint REFERENCES users (id),  -- NULL: the `fangpin import-department` CLI
    file_name      text NOT NULL,
    file_sha256    bytea NOT NULL,
    size_bytes     bigint NOT NULL CHECK (size_bytes >= 0),
    storage_key    text NOT NULL,
    sheet          text,  -- XLSX: the sheet asked for; NULL = the first
    status         text NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'parsing', 'matching', 'done', 'failed')),
    encoding       text,  -- what the worker found: utf-8, utf-8-sig, gb18030, xlsx
    header_row     integer,  -- the line the headers were found on (1-based)
    rows_read      integer NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
    rows_rejected  integer NOT NULL DEFAULT 0 CHECK (rows_rejected >= 0),
    rows_loaded    integer NOT NULL DEFAULT 0 CHECK (rows_loaded >= 0),
    rows_matched   integer NOT NULL DEFAULT 0 CHECK (rows_matched >= 0),
    alerts_raised  integer NOT NULL DEFAULT 0 CHECK (alerts_raised >= 0),
    failure_code   text,
    failure_message text,  -- Chinese, for the uploader
    attempts       integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz,
    CHECK ((status = 'failed') = (failure_code IS NOT NULL)),
    -- the same bytes for the same feed, region and month are one batch
    UNIQUE (feed, region_code, period, file_sha256)
);
CREATE INDEX feed_batches_region_idx ON feed_batches (region_code bpchar_pattern_ops, id DESC);
CREATE INDEX feed_batches_uploader_idx ON feed_batches (uploaded_by, id DESC);
CREATE INDEX feed_batches_unfinished_idx ON feed_batches (created_at) WHERE status IN ('queued', 'parsing', 'matching');

-- One row per bad cell: the row as the spreadsheet numbers it, the column key, the value masked
-- (an ID number as 110105********002X), the reason in Chinese.
CREATE TABLE feed_rejects (
    batch_id     bigint NOT NULL REFERENCES feed_batches (id) ON DELETE CASCADE,
    row_no       integer NOT NULL,
    column_key   text NOT NULL,
    value_masked text NOT NULL DEFAULT '',
    reason       text NOT NULL,
    PRIMARY KEY (batch_id, row_no, column_key)
);

-- Staging: the valid rows of a batch, COPYed in by the worker, one table per feed with the DOMAIN
-- §7.1 columns typed (money in integer fen). person_id / household_id are filled by matching.
-- Unlogged: a batch can always be re-read from its stored file, and a batch's rows are deleted
-- when it ends (done or failed).
CREATE UNLOGGED TABLE feed_rows_medical (
    batch_id bigint NOT NULL, row_no integer NOT NULL,
    id_number_bidx bytea NOT NULL, id_number_masked text NOT NULL,
    person_id bigint, household_id bigint,
    period_start date NOT NULL, period_end date NOT NULL,
    total_cost_fen bigint NOT NULL, reimbursed_fen bigint NOT NULL, out_of_pocket_fen bigint NOT NULL,
    PRIMARY KEY (batch_id, row_no)
);
CREATE UNLOGGED TABLE feed_rows_welfare (
    batch_id bigint NOT NULL, row_no integer NOT NULL,
    id_number_bidx bytea NOT NULL, id_number_masked text NOT NULL,
    person_id bigint, household_id bigint,
    kind text NOT NULL CHECK (kind IN ('dibao', 'tekun', 'temporary_relief')),  -- 低保, 特困, 临时救助
    start_date date NOT NULL, end_date date, amount_fen bigint NOT NULL,
    PRIMARY KEY (batch_id, row_no)
);
CREATE UNLOGGED TABLE feed_rows_education (
    batch_id bigint NOT NULL, row_no integer NOT NULL,
    id_number_bidx bytea NOT NULL, id_number_masked text NOT NULL,
    person_id bigint, household_id bigint,
    stage text NOT NULL CHECK (stage IN ('compulsory', 'high_school', 'vocational', 'college')),
    status text NOT NULL CHECK (status IN ('enrolled', 'dropout', 'suspended')),
    event_date date NOT NULL,
    PRIMARY KEY (batch_id, row_no)
);
CREATE UNLOGGED TABLE feed_rows_housing (
    batch_id bigint NOT NULL, row_no integer NOT NULL,
    id_number_bidx bytea NOT NULL, id_number_masked text NOT NULL,
    person_id bigint, household_id bigint,
    address text NOT NULL, appraisal_grade char(1) NOT NULL CHECK (appraisal_grade IN ('A', 'B', 'C', 'D')),
    appraisal_date date NOT NULL,
    PRIMARY KEY (batch_id, row_no)
);
CREATE UNLOGGED TABLE feed_rows_disability (
    batch_id bigint NOT NULL, row_no integer NOT NULL,
    id_number_bidx bytea NOT NULL, id_number_masked text NOT NULL,
    person_id bigint, household_id bigint,
    category text NOT NULL, level smallint NOT NULL CHECK (level BETWEEN 1 AND 4), issue_date date NOT NULL,
    PRIMARY KEY (batch_id, row_no)
);
CREATE UNLOGGED TABLE feed_rows_employment (
    batch_id bigint NOT NULL, row_no integer NOT NULL,
    id_number_bidx bytea NOT NULL, id_number_masked text NOT NULL,
    person_id bigint, household_id bigint,
    status text NOT NULL CHECK (status IN ('employed', 'unemployed', 'public_post')),
    monthly_income_fen bigint, event_date date NOT NULL,
    PRIMARY KEY (batch_id, row_no)
);
CREATE UNLOGGED TABLE feed_rows_disaster (
    batch_id bigint NOT NULL, row_no integer NOT NULL,
    id_number_bidx bytea NOT NULL, id_number_masked text NOT NULL,
    person_id bigint, household_id bigint,
    disaster_type text NOT NULL, loss_fen bigint NOT NULL, event_date date NOT NULL,
    PRIMARY KEY (batch_id, row_no)
);
CREATE UNLOGGED TABLE feed_rows_civil_registry (
    batch_id bigint NOT NULL, row_no integer NOT NULL,
    id_number_bidx bytea NOT NULL, id_number_masked text NOT NULL,
    person_id bigint, household_id bigint,
    event text NOT NULL CHECK (event IN ('death', 'moved_out')), event_date date NOT NULL,
    PRIMARY KEY (batch_id, row_no)
);
-- Water: a row names a person (then its household) or a whole village.
CREATE UNLOGGED TABLE feed_rows_water (
    batch_id bigint NOT NULL, row_no integer NOT NULL,
    id_number_bidx bytea, id_number_masked text,
    village_code char(12),
    person_id bigint, household_id bigint,
    issue text NOT NULL, event_date date NOT NULL,
    CHECK ((id_number_bidx IS NULL) <> (village_code IS NULL)),
    PRIMARY KEY (batch_id, row_no)
);
CREATE UNLOGGED TABLE feed_rows_negative_list (
    batch_id bigint NOT NULL, row_no integer NOT NULL,
    id_number_bidx bytea NOT NULL, id_number_masked text NOT NULL,
    person_id bigint, household_id bigint,
    kind text NOT NULL CHECK (kind IN ('commercial_housing', 'vehicle', 'public_payroll', 'enterprise_role',
                                       'large_deposit')),
    source_department text NOT NULL,  -- 不动产, 车管, 财政, 市场监管, 银行
    description text NOT NULL DEFAULT '',  -- what is held, as the department wrote it
    amount_fen bigint,
    PRIMARY KEY (batch_id, row_no)
);

ALTER TABLE negative_list_entries
    ADD CONSTRAINT negative_list_entries_batch_fk FOREIGN KEY (batch_id) REFERENCES feed_batches (id);
