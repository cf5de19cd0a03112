-- Identification workflow (DOMAIN §5, 三步骤十环节): cases, their append-only events, public-notice
-- objections, submit idempotency keys, and the negative-list seam (DOMAIN §7.3).

-- One row per case. `kind` keeps the engine generic: risk elimination (a later issue) runs through
-- the same table with its own transition table. `version` is bumped by every transition so two
-- reviewers acting at once cannot both win.
CREATE TABLE applications (
    id                  bigserial PRIMARY KEY,
    kind                text NOT NULL DEFAULT 'identification'
                        CHECK (kind IN ('identification', 'risk_elimination')),
    household_id        bigint NOT NULL REFERENCES households (id),
    source              text CHECK (source IN ('self_report', 'cadre_screening', 'department_alert')),
    state               text NOT NULL CHECK (state IN (
                            'draft', 'verification', 'village_review', 'awaiting_notice', 'in_notice',
                            'township_review', 'county_approval', 'returned',
                            'approved', 'rejected', 'withdrawn')),
    version             integer NOT NULL DEFAULT 1,
    returned_from       text,  -- the state a returned case goes back to once material is supplied
    created_by          bigint NOT NULL REFERENCES users (id),
    assignee_user_id    bigint REFERENCES users (id),  -- helper / grid officer who verifies at home
    -- What the household declared (self-report) or the cadre recorded at screening.
    risk_types          text[] NOT NULL DEFAULT '{}',
    narrative           text NOT NULL DEFAULT '',
    declared_income_fen bigint CHECK (declared_income_fen >= 0),
    declared_rigid_expense_fen bigint CHECK (declared_rigid_expense_fen >= 0),
    -- Home verification (入户核实).
    verified_income_fen bigint CHECK (verified_income_fen >= 0),
    verified_rigid_expense_fen bigint CHECK (verified_rigid_expense_fen >= 0),
    verification_findings text,
    verification_latitude  double precision CHECK (verification_latitude BETWEEN -90 AND 90),
    verification_longitude double precision CHECK (verification_longitude BETWEEN -180 AND 180),
    verified_at         timestamptz,
    verified_by         bigint REFERENCES users (id),
    -- Public notice (村内公示), on Asia/Shanghai local dates, both inclusive.
    notice_start        date,
    notice_end          date,
    -- County decision (县级审定).
    monitoring_type     text CHECK (monitoring_type IN ('unstable', 'marginal', 'sudden_hardship')),
    approved_risk_types text[],
    decision_reason     text,  -- rejection reason the farmer reads
    negative_list_confirmation text,  -- the county's comment when it approves despite hits
    plan_due_date       date,  -- 10 working days after approval (DOMAIN §5 step 9)
    -- discovered_at starts the 15-day clock (DOMAIN §5); a draft is discovered when submitted.
    discovered_at       timestamptz,
    decided_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'identification' OR source IS NOT NULL),
    CHECK (state = 'draft' OR discovered_at IS NOT NULL),
    CHECK (state <> 'returned' OR returned_from IS NOT NULL),
    CHECK (notice_end IS NULL OR notice_end >= notice_start)
);
-- A household has at most one case of a kind in progress, and at most one unsubmitted draft (a
-- farmer's draft must not stop a cadre from opening a case; its submit is then refused).
CREATE UNIQUE INDEX applications_one_open_idx ON applications (household_id, kind)
    WHERE state NOT IN ('draft', 'approved', 'rejected', 'withdrawn');
CREATE UNIQUE INDEX applications_one_draft_idx ON applications (household_id, kind)
    WHERE state = 'draft';
CREATE INDEX applications_household_idx ON applications (household_id);
CREATE INDEX applications_state_idx ON applications (state, discovered_at)
    WHERE state NOT IN ('approved', 'rejected', 'withdrawn', 'draft');

-- The append-only event log of every transition: the case's audit trail and the farmer's timeline.
CREATE TABLE application_events (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications (id),
    action         text NOT NULL,
    from_state     text,
    to_state       text NOT NULL,
    actor_user_id  bigint NOT NULL REFERENCES users (id),
    actor_role     text NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    comment        text NOT NULL DEFAULT '',
    attachments    bigint[] NOT NULL DEFAULT '{}',  -- photo ids (owner kind 'application')
    data           jsonb NOT NULL DEFAULT '{}'  -- action figures: review result, notice dates, ...
);
CREATE INDEX application_events_case_idx ON application_events (application_id, id);
CREATE RULE application_events_no_update AS ON UPDATE TO application_events DO INSTEAD NOTHING;
CREATE RULE application_events_no_delete AS ON DELETE TO application_events DO INSTEAD NOTHING;

-- Objections (异议) raised during public notice; each must be resolved with a note.
CREATE TABLE application_objections (
    id                 bigserial PRIMARY KEY,
    application_id     bigint NOT NULL REFERENCES applications (id),
    raised_by          bigint NOT NULL REFERENCES users (id),
    content            text NOT NULL CHECK (length(content) BETWEEN 1 AND 2000),
    raised_at          timestamptz NOT NULL DEFAULT now(),
    resolved_by        bigint REFERENCES users (id),
    resolution_note    text,
    resolved_at        timestamptz,
    CHECK ((resolved_at IS NULL) = (resolution_note IS NULL))
);
CREATE INDEX application_objections_open_idx ON application_objections (application_id)
    WHERE resolved_at IS NULL;

-- A farmer's submit is retried over weak mobile networks: the key remembers what it made.
CREATE TABLE application_submit_keys (
    user_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key            text NOT NULL,
    request_hash   bytea NOT NULL,
    application_id bigint REFERENCES applications (id),
    response       jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- Negative list (负面清单, "五无", DOMAIN §7.3): filled by the department feed importer (a later
-- issue); matched to persons by the ID-number blind index, never by the number itself.
CREATE TABLE negative_list_entries (
    id                bigserial PRIMARY KEY,
    id_number_bidx    bytea NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('commercial_housing', 'vehicle', 'public_payroll',
                                                    'enterprise_role', 'large_deposit')),
    source_department text NOT NULL,  -- 不动产, 车管, 财政, 市场监管, 银行
    evidence          jsonb NOT NULL DEFAULT '{}',
    batch_id          bigint,  -- the importer's batch; its table comes with the feeds issue
    loaded_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX negative_list_entries_bidx_idx ON negative_list_entries (id_number_bidx);
