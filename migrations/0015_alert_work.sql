-- Alert work (DOMAIN §7.2, issue 16): every alert checked on the ground within its deadline,
-- dismissed with a reason (a red dismissal confirmed by the county) or turned into a case; the
-- county's exemption list (豁免清单); the daily overdue reminder. docs/alerts.md has the states.

-- The states of backend/alerts/rules.py's transition table. `converted` = hardship confirmed: a
-- new case, or attached to the case in progress, or (monitored household) to the household's
-- record for the helper's next visit (`attached_for_visit`).
ALTER TABLE alerts DROP CONSTRAINT alerts_status_check;
ALTER TABLE alerts
    ADD CONSTRAINT alerts_status_check
        CHECK (status IN ('open', 'assigned', 'dismissal_proposed', 'reopened', 'dismissed', 'converted')),
    ADD COLUMN assignee_user_id   bigint REFERENCES users (id),
    ADD COLUMN assigned_at        timestamptz,
    ADD COLUMN due_date           date,  -- verification due: N working days after assignment (local date)
    ADD COLUMN due_provisional    boolean NOT NULL DEFAULT false,  -- counted over a year nobody entered
    ADD COLUMN verified_at        timestamptz,  -- the helper's outcome (dismissal or confirmation)
    ADD COLUMN closed_at          timestamptz,
    ADD COLUMN dismissal_reason   text CHECK (dismissal_reason IN ('data_error', 'already_assisted',
                                                                   'not_in_hardship', 'moved_away', 'other')),
    ADD COLUMN outcome_note       text NOT NULL DEFAULT '',
    ADD COLUMN application_id     bigint REFERENCES applications (id),  -- the case it opened or joined
    ADD COLUMN attached_for_visit boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT alerts_assigned_has_assignee
        CHECK (status IN ('open', 'dismissed', 'converted') OR assignee_user_id IS NOT NULL);
CREATE INDEX alerts_assignee_idx ON alerts (assignee_user_id, due_date)
    WHERE status IN ('assigned', 'reopened');
CREATE INDEX alerts_application_idx ON alerts (application_id) WHERE application_id IS NOT NULL;

-- Append-only: every step of an alert with its actor, note, figures and photos.
CREATE TABLE alert_events (
    id            bigserial PRIMARY KEY,
    alert_id      bigint NOT NULL REFERENCES alerts (id),
    action        text NOT NULL,
    from_status   text NOT NULL,
    to_status     text NOT NULL,
    actor_user_id bigint NOT NULL REFERENCES users (id),
    actor_role    text NOT NULL,
    at            timestamptz NOT NULL,
    note          text NOT NULL DEFAULT '',
    photo_ids     bigint[] NOT NULL DEFAULT '{}',
    data          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alert_events_alert_idx ON alert_events (alert_id, id);
CREATE RULE alert_events_no_update AS ON UPDATE TO alert_events DO INSTEAD NOTHING;
CREATE RULE alert_events_no_delete AS ON DELETE TO alert_events DO INSTEAD NOTHING;

-- 豁免清单: while an exemption lasts (through `ends_on`, a local date) the rule raises nothing
-- for the person, matched by the blind index so that a re-registered person stays exempted.
CREATE TABLE alert_exemptions (
    id             bigserial PRIMARY KEY,
    id_number_bidx bytea NOT NULL,
    person_id      bigint NOT NULL REFERENCES persons (id),
    rule_code      text NOT NULL REFERENCES alert_rules (code),
    reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    ends_on        date NOT NULL,
    region_code    char(12) NOT NULL,  -- the household's village when exempted: the scope it is read in
    created_by     bigint NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_by     bigint REFERENCES users (id),
    revoked_at     timestamptz
);
CREATE UNIQUE INDEX alert_exemptions_active_idx ON alert_exemptions (id_number_bidx, rule_code)
    WHERE revoked_at IS NULL;

-- One overdue reminder per assignee and local day: a second cron run the same day sends nothing.
CREATE TABLE alert_reminders (
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day             date NOT NULL,
    notification_id bigint,
    PRIMARY KEY (user_id, day)
);

-- The batch's matches an exemption kept from raising (docs/feeds.md).
ALTER TABLE feed_batches ADD COLUMN alerts_exempted integer NOT NULL DEFAULT 0 CHECK (alerts_exempted >= 0);

-- The helper's outcome photos hang on the alert (backend/photos/owners.py).
ALTER TABLE photos DROP CONSTRAINT photos_owner_kind_check;
ALTER TABLE photos ADD CONSTRAINT photos_owner_kind_check
    CHECK (owner_kind IN ('application', 'visit', 'product', 'order', 'alert'));
