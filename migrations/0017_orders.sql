-- Consumption-assistance orders (DOMAIN §8): supplier certification (帮扶产品认定), benefit links
-- (利益联结) and the income line they put in a household's record, union budgets' reserved share,
-- orders with their lines, append-only events and submit idempotency keys, certification reminders.

-- Certification: applied (pending) → recommended by county staff → certified by a province/admin
-- user, or rejected with a reason; a certified supplier can be suspended (and reinstated).
ALTER TABLE suppliers DROP CONSTRAINT suppliers_certification_status_check;
ALTER TABLE suppliers
    ADD CONSTRAINT suppliers_certification_status_check
        CHECK (certification_status IN ('pending', 'recommended', 'certified', 'rejected', 'suspended', 'revoked')),
    ADD COLUMN certified_until   date,  -- the certificate's expiry; reminders 90/30/7 days before
    ADD COLUMN decision_reason   text,  -- why it was rejected or suspended, for the supplier to read
    ADD COLUMN updated_at        timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT suppliers_rejection_has_reason
        CHECK (certification_status NOT IN ('rejected', 'suspended') OR decision_reason IS NOT NULL);
CREATE INDEX suppliers_county_idx ON suppliers (county_code);
CREATE INDEX suppliers_expiry_idx ON suppliers (certified_until) WHERE certification_status = 'certified';

-- The catalogue filters certified suppliers' active products by category, county and price.
CREATE INDEX products_catalog_idx ON products (category, price_fen, id) WHERE active;
CREATE INDEX products_name_trgm_idx ON products (name text_pattern_ops);

-- What a union's year is measured against: its budget (already there), the food procurement total
-- its budget units stated and the share reserved from it, and an optional per-member amount.
ALTER TABLE union_budgets
    ADD COLUMN committed_fen        bigint NOT NULL DEFAULT 0 CHECK (committed_fen >= 0),  -- live orders
    ADD COLUMN food_procurement_fen bigint NOT NULL DEFAULT 0 CHECK (food_procurement_fen >= 0),
    ADD COLUMN reserved_share_pct   smallint NOT NULL DEFAULT 10 CHECK (reserved_share_pct BETWEEN 0 AND 100),
    ADD COLUMN per_member_fen       bigint CHECK (per_member_fen >= 0),
    ADD COLUMN member_count         integer CHECK (member_count >= 0);

-- 利益联结: how a supplier's business reaches a registry household, with the amount paid that year.
CREATE TABLE supplier_benefit_links (
    id            bigserial PRIMARY KEY,
    supplier_id   bigint NOT NULL REFERENCES suppliers (id),
    household_id  bigint NOT NULL REFERENCES households (id),
    kind          text NOT NULL CHECK (kind IN ('purchase_contract', 'employment', 'dividend')),
    year          smallint NOT NULL CHECK (year BETWEEN 2014 AND 2100),
    amount_fen    bigint NOT NULL CHECK (amount_fen >= 0),
    recorded_by   bigint NOT NULL REFERENCES users (id),
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (supplier_id, household_id, kind, year)
);
CREATE INDEX supplier_benefit_links_household_idx ON supplier_benefit_links (household_id, year);

-- A household's income record gets marked lines beside its yearly totals: the monitoring side sees
-- consumption assistance reaching the family. One line per benefit link, kept equal to it.
CREATE TABLE household_income_lines (
    id               bigserial PRIMARY KEY,
    household_id     bigint NOT NULL REFERENCES households (id),
    year             smallint NOT NULL CHECK (year BETWEEN 2014 AND 2100),
    source           text NOT NULL CHECK (source IN ('consumption_assistance')),
    income_kind      text NOT NULL CHECK (income_kind IN ('wage', 'business', 'property')),
    amount_fen       bigint NOT NULL CHECK (amount_fen >= 0),
    benefit_link_id  bigint UNIQUE REFERENCES supplier_benefit_links (id),
    note             text NOT NULL DEFAULT '',
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX household_income_lines_household_idx ON household_income_lines (household_id, year);

-- One order: a union buys products of one supplier. Amounts are fixed at submission.
CREATE TABLE orders (
    id               bigserial PRIMARY KEY,
    union_id         bigint NOT NULL REFERENCES unions (id),
    supplier_id      bigint NOT NULL REFERENCES suppliers (id),
    state            text NOT NULL CHECK (state IN ('submitted', 'approved', 'confirmed', 'shipped', 'received',
                                                    'settled', 'cancelled', 'rejected')),
    budget_year      smallint NOT NULL,
    total_fen        bigint NOT NULL CHECK (total_fen > 0),
    needs_approval   boolean NOT NULL,  -- above the union's threshold when submitted
    ship_by_days     smallint NOT NULL DEFAULT 7 CHECK (ship_by_days IN (7, 15, 30)),
    ship_by          date NOT NULL,
    carrier          text,
    tracking_no      text,
    acceptance_note  text,
    reason           text,  -- why it was rejected or cancelled
    note             text NOT NULL DEFAULT '',
    version          integer NOT NULL DEFAULT 1,
    submitted_by     bigint NOT NULL REFERENCES users (id),
    submitted_at     timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK (state <> 'shipped' OR tracking_no IS NOT NULL)
);
CREATE INDEX orders_union_idx ON orders (union_id, id DESC);
CREATE INDEX orders_supplier_idx ON orders (supplier_id, id DESC);

CREATE TABLE order_lines (
    order_id    bigint NOT NULL REFERENCES orders (id),
    product_id  bigint NOT NULL REFERENCES products (id),
    quantity    integer NOT NULL CHECK (quantity > 0),
    price_fen   bigint NOT NULL CHECK (price_fen > 0),
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX order_lines_product_idx ON order_lines (product_id);

CREATE TABLE order_events (
    id             bigserial PRIMARY KEY,
    order_id       bigint NOT NULL REFERENCES orders (id),
    action         text NOT NULL,
    from_state     text,
    to_state       text NOT NULL,
    actor_user_id  bigint NOT NULL REFERENCES users (id),
    actor_role     text NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    comment        text NOT NULL DEFAULT '',
    data           jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);
CREATE RULE order_events_no_update AS ON UPDATE TO order_events DO INSTEAD NOTHING;
CREATE RULE order_events_no_delete AS ON DELETE TO order_events DO INSTEAD NOTHING;

-- A buyer's submit retried over a weak network: the key remembers what it made (as 0004 does).
CREATE TABLE order_submit_keys (
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key           text NOT NULL,
    request_hash  bytea NOT NULL,
    order_id      bigint REFERENCES orders (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- Each certification-expiry reminder (90, 30, 7 days before) is sent once per certificate.
CREATE TABLE supplier_cert_reminders (
    supplier_id      bigint NOT NULL REFERENCES suppliers (id),
    certified_until  date NOT NULL,
    days_before      smallint NOT NULL,
    sent_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (supplier_id, certified_until, days_before)
);
