-- Home visits on the legal cadence (DOMAIN §5, issue 17 part B): the daily visit reminder's dedupe
-- table, one open rectification item per household and checklist item, and the indexes the
-- to-visit list, the overdue board and the 月清零 report read by.

-- One visit reminder per helper and local day: a second cron run the same day sends nothing.
CREATE TABLE visit_reminders (
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day             date NOT NULL,
    notification_id bigint,
    PRIMARY KEY (user_id, day)
);

-- A problem found again while its item is still open is the same problem: not opened twice.
CREATE UNIQUE INDEX rectification_items_one_open_idx ON rectification_items (household_id, item)
    WHERE status = 'open';
-- The monthly report counts by month: opened (found_on) and cleared (cleared_on).
CREATE INDEX rectification_items_found_idx ON rectification_items (found_on);
CREATE INDEX rectification_items_cleared_idx ON rectification_items (cleared_on) WHERE cleared_on IS NOT NULL;

-- The village-stationed cadres' report reads a month of one village's log.
CREATE INDEX cadre_work_logs_village_idx ON cadre_work_logs (village_code, work_date);
