-- Foundation: regions, registry, accounts, audit, consumption-assistance parties, notification outbox.

-- DOMAIN §2: 12-digit statistical division codes; `prefix` is the significant part used for scope.
CREATE TABLE regions (
    code          char(12) PRIMARY KEY CHECK (code ~ '^\d{12}$'),
    name          text NOT NULL,
    level         text NOT NULL CHECK (level IN ('province', 'city', 'county', 'township', 'village')),
    parent_code   char(12) REFERENCES regions (code),
    prefix        text NOT NULL UNIQUE,
    is_poverty_relieved_county boolean NOT NULL DEFAULT false,  -- 脱贫县
    key_assistance text CHECK (key_assistance IN ('national', 'provincial')),  -- 乡村振兴重点帮扶县
    CHECK (level = 'province' OR parent_code IS NOT NULL),
    CHECK (code LIKE prefix || '%')
);
CREATE INDEX regions_parent_idx ON regions (parent_code);
CREATE INDEX regions_prefix_pattern_idx ON regions (prefix text_pattern_ops);

-- DOMAIN §3.
CREATE TABLE households (
    id                bigserial PRIMARY KEY,
    household_no      text NOT NULL UNIQUE,
    village_code      char(12) NOT NULL REFERENCES regions (code),
    address           text NOT NULL DEFAULT '',
    latitude          double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude         double precision CHECK (longitude BETWEEN -180 AND 180),
    category          text NOT NULL CHECK (category IN ('lifted', 'ordinary')),
    monitoring_status text NOT NULL DEFAULT 'none'
                      CHECK (monitoring_status IN ('none', 'monitoring', 'risk_eliminated')),
    monitoring_type   text CHECK (monitoring_type IN ('unstable', 'marginal', 'sudden_hardship')),
    helper_user_id    bigint,  -- 帮扶责任人; FK added below once users exists
    head_phone_enc    bytea,   -- AES-GCM, see backend/pii.py
    head_phone_bidx   bytea,   -- HMAC blind index
    head_phone_masked text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (monitoring_status <> 'monitoring' OR monitoring_type IS NOT NULL)
);
CREATE INDEX households_village_pattern_idx ON households (village_code bpchar_pattern_ops);
CREATE INDEX households_no_pattern_idx ON households (household_no text_pattern_ops);

CREATE TABLE persons (
    id                bigserial PRIMARY KEY,
    household_id      bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    id_number_enc     bytea NOT NULL,
    id_number_bidx    bytea NOT NULL UNIQUE,
    id_number_masked  text NOT NULL,
    relation          text NOT NULL CHECK (relation IN ('head', 'spouse', 'child', 'parent', 'grandchild', 'sibling', 'other')),
    sex               text NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date        date NOT NULL,
    labour_capacity   text NOT NULL DEFAULT 'normal' CHECK (labour_capacity IN ('normal', 'weak', 'none')),
    health            text NOT NULL DEFAULT 'healthy' CHECK (health IN ('healthy', 'chronic', 'serious', 'disabled')),
    disability_level  smallint CHECK (disability_level BETWEEN 1 AND 4),
    schooling_stage   text CHECK (schooling_stage IN ('preschool', 'compulsory', 'high_school', 'vocational', 'college', 'none')),
    employment        text CHECK (employment IN ('farming', 'local_work', 'migrant_work', 'public_post', 'unemployed', 'student', 'retired', 'none')),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX persons_household_idx ON persons (household_id);
CREATE INDEX persons_name_idx ON persons (name);
CREATE UNIQUE INDEX persons_one_head_idx ON persons (household_id) WHERE relation = 'head';

-- Annual income survey; money in integer fen. Per-capita net income is derived, never stored twice.
CREATE TABLE household_incomes (
    household_id          bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    year                  smallint NOT NULL CHECK (year BETWEEN 2014 AND 2100),
    member_count          smallint NOT NULL CHECK (member_count > 0),
    wage_fen              bigint NOT NULL DEFAULT 0 CHECK (wage_fen >= 0),
    business_fen          bigint NOT NULL DEFAULT 0 CHECK (business_fen >= 0),
    property_fen          bigint NOT NULL DEFAULT 0 CHECK (property_fen >= 0),
    transfer_fen          bigint NOT NULL DEFAULT 0 CHECK (transfer_fen >= 0),
    productive_expense_fen bigint NOT NULL DEFAULT 0 CHECK (productive_expense_fen >= 0),
    medical_expense_fen   bigint NOT NULL DEFAULT 0 CHECK (medical_expense_fen >= 0),
    education_expense_fen bigint NOT NULL DEFAULT 0 CHECK (education_expense_fen >= 0),
    disaster_expense_fen  bigint NOT NULL DEFAULT 0 CHECK (disaster_expense_fen >= 0),
    recorded_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (household_id, year)
);

-- 监测范围: per year and province; later years are configuration, never code constants.
CREATE TABLE monitoring_thresholds (
    year            smallint NOT NULL,
    province_code   char(12) NOT NULL REFERENCES regions (code),
    per_capita_fen  bigint NOT NULL CHECK (per_capita_fen > 0),
    note            text NOT NULL DEFAULT '',
    PRIMARY KEY (year, province_code)
);

-- DOMAIN §8 parties (orders come later).
CREATE TABLE unions (
    id                     bigserial PRIMARY KEY,
    name                   text NOT NULL,
    region_code            char(12) NOT NULL REFERENCES regions (code),
    approval_threshold_fen bigint NOT NULL DEFAULT 0 CHECK (approval_threshold_fen >= 0),
    created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE union_budgets (
    union_id    bigint NOT NULL REFERENCES unions (id) ON DELETE CASCADE,
    year        smallint NOT NULL,
    budget_fen  bigint NOT NULL CHECK (budget_fen >= 0),
    PRIMARY KEY (union_id, year)
);
CREATE TABLE suppliers (
    id                   bigserial PRIMARY KEY,
    name                 text NOT NULL,
    credit_code          char(18) NOT NULL UNIQUE,  -- 统一社会信用代码 (GB 32100)
    county_code          char(12) NOT NULL REFERENCES regions (code),
    certification_status text NOT NULL DEFAULT 'pending' CHECK (certification_status IN ('pending', 'certified', 'revoked')),
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE products (
    id                   bigserial PRIMARY KEY,
    supplier_id          bigint NOT NULL REFERENCES suppliers (id),
    cert_no              text,  -- 帮扶产品认定 number
    name                 text NOT NULL,
    category             text NOT NULL,
    unit                 text NOT NULL,
    price_fen            bigint NOT NULL CHECK (price_fen > 0),
    stock                integer NOT NULL CHECK (stock >= 0),
    min_order            integer NOT NULL DEFAULT 1 CHECK (min_order > 0),
    origin_county_code   char(12) NOT NULL REFERENCES regions (code),
    active               boolean NOT NULL DEFAULT true,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_supplier_idx ON products (supplier_id);

-- DOMAIN §1, §10, §11. Staff have username + password; farmers have a WeChat openid.
CREATE TABLE users (
    id               bigserial PRIMARY KEY,
    role             text NOT NULL CHECK (role IN ('farmer', 'helper', 'grid_officer', 'village', 'township', 'county',
                                                    'department', 'union_buyer', 'union_approver', 'supplier', 'admin')),
    display_name     text NOT NULL DEFAULT '',
    username         text UNIQUE,
    password_hash    text,
    region_code      char(12) REFERENCES regions (code),  -- staff scope
    department       text,  -- for role department: medical, welfare, ...
    union_id         bigint REFERENCES unions (id),
    supplier_id      bigint REFERENCES suppliers (id),
    openid           text UNIQUE,
    unionid          text,
    person_id        bigint UNIQUE REFERENCES persons (id),  -- a bound farmer
    household_id     bigint REFERENCES households (id),
    phone_enc        bytea,
    phone_masked     text,
    failed_logins    integer NOT NULL DEFAULT 0,
    locked_until     timestamptz,
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (role = 'farmer' OR username IS NOT NULL),
    CHECK (role IN ('farmer', 'union_buyer', 'union_approver', 'supplier') OR region_code IS NOT NULL),
    CHECK (role NOT IN ('union_buyer', 'union_approver') OR union_id IS NOT NULL),
    CHECK (role <> 'supplier' OR supplier_id IS NOT NULL)
);
CREATE INDEX users_household_idx ON users (household_id);
ALTER TABLE households ADD CONSTRAINT households_helper_fk FOREIGN KEY (helper_user_id) REFERENCES users (id);
CREATE INDEX households_helper_idx ON households (helper_user_id);

-- Rotating refresh tokens; a reused token revokes its whole family.
CREATE TABLE refresh_tokens (
    id           uuid PRIMARY KEY,
    family_id    uuid NOT NULL,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL,
    issued_at    timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

-- Append-only audit trail (DOMAIN §11): logins, full-ID reads, imports, admin changes.
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_user_id bigint REFERENCES users (id),
    action        text NOT NULL,
    object_type   text NOT NULL,
    object_id     text,
    request_id    text,
    detail        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, at);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id);
CREATE RULE audit_log_no_update AS ON UPDATE TO audit_log DO INSTEAD NOTHING;
CREATE RULE audit_log_no_delete AS ON DELETE TO audit_log DO INSTEAD NOTHING;

-- Outbox and in-app inbox in one table (DOMAIN §9): a row is written in the same transaction as
-- the change that causes it; workers deliver it to WeChat/SMS; the inbox always shows it.
CREATE TABLE notifications (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event           text NOT NULL,
    title           text NOT NULL,
    body            text NOT NULL,
    page            text,           -- mini-program page to open
    data            jsonb NOT NULL DEFAULT '{}',  -- template fields, ids
    created_at      timestamptz NOT NULL DEFAULT now(),
    read_at         timestamptz,
    delivery_status text NOT NULL DEFAULT 'pending'
                    CHECK (delivery_status IN ('pending', 'sent', 'inbox_only', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    delivered_at    timestamptz
);
CREATE INDEX notifications_inbox_idx ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_pending_idx ON notifications (next_attempt_at) WHERE delivery_status = 'pending';
