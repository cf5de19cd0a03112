-- Risk elimination (风险消除, DOMAIN §5 step 10): a case of kind 'risk_elimination' on the same
-- applications table (0004 already allows the kind), the household size the helper's income
-- evidence was counted on, and the daily list of households whose latest visits meet the criteria
-- for their helper to consider (the list never proposes by itself).

-- The helper's evidence: yearly net income and rigid expenses go in verified_income_fen /
-- verified_rigid_expense_fen; per-capita figures are derived with this count, never stored.
ALTER TABLE applications ADD COLUMN member_count smallint CHECK (member_count > 0);

-- Rebuilt by the daily cron (workers/elimination.py): a household is on it while it is monitored
-- long enough, has no risk elimination in progress, its last visits' per-capita income after rigid
-- expenses is above the year's monitoring line and its last visit's checklist is all ok.
-- first_listed_on and notified_at survive the rebuilds, so the helper is told about a household once.
CREATE TABLE elimination_candidates (
    household_id            bigint PRIMARY KEY REFERENCES households (id) ON DELETE CASCADE,
    helper_user_id          bigint REFERENCES users (id),
    monitored_since         date NOT NULL,  -- local date of the county approval that enrolled it
    eligible_from           date NOT NULL,  -- first local date a proposal is possible
    latest_visit_id         bigint NOT NULL REFERENCES visits (id) ON DELETE CASCADE,
    latest_visited_at       timestamptz NOT NULL,
    member_count            smallint NOT NULL CHECK (member_count > 0),
    per_capita_fen          bigint NOT NULL,  -- latest visit: (net income − rigid expenses) / members
    previous_per_capita_fen bigint NOT NULL,  -- the visit before it
    monitoring_line_fen     bigint NOT NULL CHECK (monitoring_line_fen > 0),
    first_listed_on         date NOT NULL,
    refreshed_at            timestamptz NOT NULL,
    notified_at             timestamptz
);
CREATE INDEX elimination_candidates_helper_idx ON elimination_candidates (helper_user_id);
