-- Assistance, part A (issue 17): an assignment answers a plan due date that may itself be
-- provisional (counted before the year's holiday notice was entered); keep that beside the date.
ALTER TABLE helper_assignments
    ADD COLUMN due_provisional boolean NOT NULL DEFAULT false;

-- The outcome per measure reads each household's measures by type.
CREATE INDEX plan_measures_type_idx ON plan_measures (measure_type, household_id);
