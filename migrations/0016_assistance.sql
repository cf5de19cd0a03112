-- Assistance (DOMAIN §5 links 9–10, §6): the responsible helper with its history, the per-household
-- plan of typed measures, home visits as evidence (never surveillance), rectification items and the
-- village-stationed cadres' work log. The tables the assistance, visits and risk-elimination code
-- share; each of those may add its own columns in a later migration.

-- 帮扶责任人: one current assignment per household (ended_at NULL); households.helper_user_id mirrors
-- it in the same transaction. `due_date` is the plan due date the assignment answered (10 working
-- days after approval); `late` is fixed when the assignment is made after it.
CREATE TABLE helper_assignments (
    id             bigserial PRIMARY KEY,
    household_id   bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    helper_user_id bigint NOT NULL REFERENCES users (id),
    assigned_by    bigint NOT NULL REFERENCES users (id),
    assigned_at    timestamptz NOT NULL DEFAULT now(),
    ended_at       timestamptz,
    application_id bigint REFERENCES applications (id),
    due_date       date,
    late           boolean NOT NULL DEFAULT false,
    note           text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    CHECK (ended_at IS NULL OR ended_at >= assigned_at)
);
CREATE UNIQUE INDEX helper_assignments_current_idx ON helper_assignments (household_id) WHERE ended_at IS NULL;
CREATE INDEX helper_assignments_helper_idx ON helper_assignments (helper_user_id) WHERE ended_at IS NULL;

-- 一户一策: typed measures (DOMAIN §6), money in integer fen where it moves.
CREATE TABLE plan_measures (
    id               bigserial PRIMARY KEY,
    household_id     bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    measure_type     text NOT NULL CHECK (measure_type IN (
                         'industry', 'employment', 'public_welfare_post', 'micro_credit', 'education',
                         'medical', 'dibao', 'tekun', 'temporary_assistance', 'housing', 'insurance',
                         'consumption', 'other')),
    owner_department text NOT NULL CHECK (length(owner_department) BETWEEN 1 AND 100),
    start_date       date NOT NULL,
    end_date         date CHECK (end_date IS NULL OR end_date >= start_date),
    status           text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'stopped')),
    amount_fen       bigint CHECK (amount_fen >= 0),
    description      text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    created_by       bigint NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plan_measures_household_idx ON plan_measures (household_id);

-- 入户走访: what the helper states (visited_at, checklist, figures, optional location) and what the
-- server stamps (received_at, flags for the reviewer — never a score). The checklist holds the two
-- no-worries, three guarantees and drinking water: {"food"|"clothing"|"education"|"medical"|
-- "housing"|"drinking_water": {"ok": bool, "note": text}}. Figures are the household's last twelve
-- months in fen; per-capita values are derived with member_count, never stored twice.
CREATE TABLE visits (
    id                bigserial PRIMARY KEY,
    household_id      bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    visitor_user_id   bigint NOT NULL REFERENCES users (id),
    visited_at        timestamptz NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    checklist         jsonb NOT NULL,
    member_count      smallint CHECK (member_count > 0),
    net_income_fen    bigint CHECK (net_income_fen >= 0),
    rigid_expense_fen bigint CHECK (rigid_expense_fen >= 0),
    note              text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    latitude          double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude         double precision CHECK (longitude BETWEEN -180 AND 180),
    accuracy_m        real CHECK (accuracy_m >= 0),
    location_mock     boolean,
    flags             text[] NOT NULL DEFAULT '{}',
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE INDEX visits_household_idx ON visits (household_id, visited_at DESC);
CREATE INDEX visits_visitor_idx ON visits (visitor_user_id, visited_at DESC);

-- 整改事项: a checklist problem opens one; it stays on the lists until cleared (月清零).
CREATE TABLE rectification_items (
    id            bigserial PRIMARY KEY,
    household_id  bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    visit_id      bigint REFERENCES visits (id),
    item          text NOT NULL CHECK (item IN ('food', 'clothing', 'education', 'medical', 'housing', 'drinking_water')),
    description   text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    found_on      date NOT NULL,
    owner_user_id bigint REFERENCES users (id),
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cleared')),
    cleared_on    date,
    cleared_by    bigint REFERENCES users (id),
    cleared_note  text CHECK (length(cleared_note) <= 1000),
    CHECK ((status = 'cleared') = (cleared_on IS NOT NULL)),
    CHECK (cleared_on IS NULL OR cleared_on >= found_on)
);
CREATE INDEX rectification_items_household_idx ON rectification_items (household_id);
CREATE INDEX rectification_items_open_idx ON rectification_items (owner_user_id) WHERE status = 'open';

-- 工作纪实: the village-stationed cadre's own log of days, the source of the two-thirds report.
CREATE TABLE cadre_work_logs (
    user_id      bigint NOT NULL REFERENCES users (id),
    work_date    date NOT NULL,
    village_code char(12) NOT NULL REFERENCES regions (code),
    in_village   boolean NOT NULL,
    note         text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, work_date)
);
