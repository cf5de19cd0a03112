-- A plan due date counted over a year whose holiday notice nobody had entered (DOMAIN §5): it was
-- counted on the provisional calendar, is shown as provisional, and is counted again when an
-- admin enters that year (backend/applications/plan_dues.py).
ALTER TABLE applications
    ADD COLUMN plan_due_provisional boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT applications_provisional_has_plan_due
        CHECK (NOT plan_due_provisional OR plan_due_date IS NOT NULL);
-- What entering a year looks for: the provisional dates not yet passed.
CREATE INDEX applications_provisional_plan_due_idx ON applications (plan_due_date) WHERE plan_due_provisional;
