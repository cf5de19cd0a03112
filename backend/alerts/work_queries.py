"""The alert work's SQL: locking alerts for a step, assignment, events, exemptions, the board and
the overdue reminder. Scope parameters are ($1 region_like, $2 household_only) like the reads'."""

from __future__ import annotations

from backend.alerts import rules
from backend.applications.queries import CASE_SCOPE, RUNNING
from backend.registry.queries import SCOPE

_VERIFYING = "ARRAY[" + ", ".join(f"'{s}'" for s in rules.VERIFYING_STATUSES) + "]::text[]"
_OPEN = "ARRAY[" + ", ".join(f"'{s}'" for s in rules.OPEN_STATUSES) + "]::text[]"
_LOCAL_TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"

# An alert is overdue while it waits for verification past its due date ({today}: a local date).
OVERDUE = "(a.status = ANY(" + _VERIFYING + ") AND a.due_date < {today})"

# ---- steps ----

# The alerts of a step, locked, in id order (two assigners never deadlock), with what the move
# and the default assignee need: the responsible helper when active and of the village's region,
# else the village's first active grid officer. $3 the alert ids.
LOCK_ALERTS = f"""
SELECT a.id, a.status, a.level, a.risk_type, a.why, a.household_id, a.assignee_user_id, h.village_code,
       h.monitoring_status, h.helper_user_id,
       coalesce(
           (SELECT u.id FROM users u
            WHERE u.id = h.helper_user_id AND u.active AND u.deactivated_at IS NULL
              AND u.role IN ('helper', 'grid_officer')
              AND h.village_code LIKE rtrim(u.region_code, '0') || '%'),
           (SELECT u.id FROM users u
            WHERE u.region_code = h.village_code AND u.role = 'grid_officer'
              AND u.active AND u.deactivated_at IS NULL
            ORDER BY u.id LIMIT 1)) AS default_assignee
FROM alerts a
JOIN households h ON h.id = a.household_id
WHERE a.id = ANY($3::bigint[])
  AND {SCOPE.format(like="$1", only="$2")}
ORDER BY a.id
FOR UPDATE OF a
"""

# Someone alerts may be assigned to: an active helper or grid officer. Their region is checked
# against each alert's village by the service.
GET_VERIFIER = """
SELECT id, role, region_code FROM users
WHERE id = $1 AND role IN ('helper', 'grid_officer') AND active AND deactivated_at IS NULL
"""

# $1 ids, $2 assignees, $3 due dates, $4 provisional flags, $5 now.
ASSIGN = """
UPDATE alerts a
SET status = 'assigned', assignee_user_id = x.assignee, assigned_at = $5, due_date = x.due,
    due_provisional = x.provisional
FROM unnest($1::bigint[], $2::bigint[], $3::date[], $4::boolean[]) AS x (id, assignee, due, provisional)
WHERE a.id = x.id
"""

# One step's changes: $1 id, $2 status, $3 due date, $4 provisional, $5 dismissal reason,
# $6 outcome note, $7 verified_at, $8 closed_at, $9 application id, $10 attached for visit.
# A NULL keeps what the alert had (a reopen keeps the reason of the dismissal it undid).
UPDATE_ALERT = """
UPDATE alerts
SET status = $2, due_date = coalesce($3, due_date), due_provisional = coalesce($4, due_provisional),
    dismissal_reason = coalesce($5, dismissal_reason), outcome_note = coalesce($6, outcome_note),
    verified_at = coalesce($7, verified_at), closed_at = $8, application_id = coalesce($9, application_id),
    attached_for_visit = $10
WHERE id = $1
"""

# Events of many alerts at once (an assignment of 1,000): $1 ids, $2 from, $3 to, $4 action,
# $5 actor, $6 role, $7 at, $8 note, $9 photo ids, $10 data per alert (jsonb text).
INSERT_EVENTS = """
INSERT INTO alert_events (alert_id, action, from_status, to_status, actor_user_id, actor_role, at, note,
                          photo_ids, data)
SELECT x.id, $4, x.from_status, x.to_status, $5, $6, $7, $8, $9, x.data::jsonb
FROM unnest($1::bigint[], $2::text[], $3::text[], $10::text[]) AS x (id, from_status, to_status, data)
ORDER BY x.id
"""

COUNT_ALERT_PHOTOS = """
SELECT count(*) FROM photos
WHERE id = ANY($2::bigint[]) AND owner_kind = 'alert' AND owner_id = $1
"""

# The household's case in progress (identification), which a confirmed alert joins.
GET_CASE_IN_PROGRESS = f"""
SELECT a.id FROM applications a
WHERE a.household_id = $1 AND a.kind = 'identification' AND a.state = ANY({RUNNING})
ORDER BY a.id DESC
LIMIT 1
"""

# County staff over the village, with the red dismissals waiting for them (the summary they get).
COUNTY_WAITING = """
SELECT u.id AS user_id,
       (SELECT count(*) FROM alerts a JOIN households h ON h.id = a.household_id
        WHERE a.status = 'dismissal_proposed' AND h.village_code LIKE r.prefix || '%') AS waiting
FROM users u
JOIN regions r ON r.code = u.region_code
WHERE u.role = 'county' AND u.active AND u.deactivated_at IS NULL
  AND $1 LIKE r.prefix || '%'
"""

# ---- reads ----

LIST_EVENTS = """
SELECT action, from_status, to_status, actor_user_id, actor_role, at, note, photo_ids, data
FROM alert_events WHERE alert_id = $1 ORDER BY id
"""

# The alerts attached to a case ($3) the caller may read (applications.rules.may_read_case; $1, $2
# the caller's scope); no row when the case itself is outside it. An attached alert is of the
# case's household, which the case's scope has already admitted.
LIST_CASE_ALERT_IDS = f"""
SELECT ARRAY(
    SELECT al.id FROM alerts al
    WHERE al.application_id = a.id AND al.household_id = a.household_id
    ORDER BY al.id
) AS alert_ids
FROM applications a
JOIN households h ON h.id = a.household_id
WHERE a.id = $3 AND {CASE_SCOPE.format(like="$1", only="$2")}
"""

# Open and overdue alerts per assignee in the region ($1 prefix LIKE, $2 scope LIKE, $3 today).
WORKLOAD = f"""
SELECT u.id AS user_id, u.display_name AS name, u.role,
       count(*) AS open,
       count(*) FILTER (WHERE {OVERDUE.format(today="$3::date")}) AS overdue
FROM alerts a
JOIN households h ON h.id = a.household_id
JOIN users u ON u.id = a.assignee_user_id
WHERE a.status IN ('assigned', 'reopened', 'dismissal_proposed')
  AND h.village_code LIKE $1 AND h.village_code LIKE $2
GROUP BY u.id
ORDER BY open DESC, u.id
"""

# The board: per township and rule code, and per township (rule_code NULL). Grouped by the
# village code's township prefix first, named after. Median days from assignment to the outcome.
BOARD = f"""
WITH figures AS (
    SELECT left(h.village_code, 9) AS township, a.rule_code, GROUPING(a.rule_code) AS total,
           count(*) FILTER (WHERE a.status = ANY({_OPEN})) AS open,
           count(*) FILTER (WHERE {OVERDUE.format(today="$3::date")}) AS overdue,
           count(*) FILTER (WHERE a.status = 'converted') AS converted,
           count(*) FILTER (WHERE a.status = 'dismissed') AS dismissed,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.verified_at - a.assigned_at) / 86400)
               FILTER (WHERE a.verified_at IS NOT NULL AND a.assigned_at IS NOT NULL) AS median_days
    FROM alerts a
    JOIN households h ON h.id = a.household_id
    WHERE h.village_code LIKE $1 AND h.village_code LIKE $2
    GROUP BY GROUPING SETS ((left(h.village_code, 9), a.rule_code), (left(h.village_code, 9)))
)
SELECT t.code AS township_code, t.name AS township_name, CASE WHEN f.total = 0 THEN f.rule_code END AS rule_code,
       f.open, f.overdue, f.converted, f.dismissed, round(f.median_days::numeric, 1)::float8 AS median_verify_days
FROM figures f
JOIN regions t ON t.code = rpad(f.township, 12, '0')
ORDER BY t.code, f.total DESC, f.rule_code
"""

# Self-applications in progress whose members hit the negative list, per township.
NEGATIVE_LIST_CASES = f"""
SELECT rpad(left(h.village_code, 9), 12, '0') AS township_code, count(*) AS cases
FROM applications ap
JOIN households h ON h.id = ap.household_id
WHERE ap.source = 'self_report' AND ap.state = ANY({RUNNING})
  AND h.village_code LIKE $1 AND h.village_code LIKE $2
  AND EXISTS (SELECT 1 FROM persons p JOIN negative_list_entries n ON n.id_number_bidx = p.id_number_bidx
              WHERE p.household_id = h.id)
GROUP BY 1
"""

# ---- exemptions ----

GET_PERSON_IN_SCOPE = f"""
SELECT p.id, p.id_number_bidx, h.village_code
FROM persons p
JOIN households h ON h.id = p.household_id
WHERE p.id = $3 AND {SCOPE.format(like="$1", only="$2")}
"""

INSERT_EXEMPTION = """
INSERT INTO alert_exemptions (id_number_bidx, person_id, rule_code, reason, ends_on, region_code, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id
"""

_EXEMPTION_COLUMNS = """
e.id, e.person_id, p.name AS person_name, p.id_number_masked, e.rule_code, e.reason, e.ends_on,
e.region_code, e.created_by, e.created_at, e.revoked_at
FROM alert_exemptions e
JOIN persons p ON p.id = e.person_id
"""

# Exemptions in the caller's region ($1); $2 true = only those lasting today.
LIST_EXEMPTIONS = f"""
SELECT {_EXEMPTION_COLUMNS}
WHERE e.region_code LIKE $1
  AND (NOT $2 OR (e.revoked_at IS NULL AND e.ends_on >= {_LOCAL_TODAY}))
ORDER BY e.id DESC
LIMIT 500
"""

GET_EXEMPTION = f"""
SELECT {_EXEMPTION_COLUMNS}
WHERE e.id = $2 AND e.region_code LIKE $1
"""

REVOKE_EXEMPTION = """
UPDATE alert_exemptions SET revoked_at = now(), revoked_by = $2
WHERE id = $1 AND revoked_at IS NULL
RETURNING id
"""

# ---- the overdue reminder ----

# Each assignee's overdue alerts on local day $1 that has had no reminder that day yet, claimed by
# the reminder row so that a second run (or a second worker) sends nothing.
CLAIM_REMINDERS = f"""
WITH due AS (
    SELECT a.assignee_user_id AS user_id, count(*) AS overdue,
           count(*) FILTER (WHERE a.level = 'red') AS red,
           min(a.due_date) AS oldest,
           (array_agg(a.id ORDER BY a.due_date, a.id))[1:20] AS alert_ids
    FROM alerts a
    WHERE {OVERDUE.format(today="$1::date")}
    GROUP BY a.assignee_user_id
),
claimed AS (
    INSERT INTO alert_reminders (user_id, day)
    SELECT d.user_id, $1 FROM due d
    JOIN users u ON u.id = d.user_id AND u.active AND u.deactivated_at IS NULL
    ON CONFLICT (user_id, day) DO NOTHING
    RETURNING user_id
)
SELECT d.user_id, d.overdue, d.red, d.oldest, d.alert_ids
FROM due d JOIN claimed c ON c.user_id = d.user_id
ORDER BY d.user_id
"""

SET_REMINDER_NOTIFICATION = """
UPDATE alert_reminders SET notification_id = $3 WHERE user_id = $1 AND day = $2
"""

# A visit to the household sees the alerts kept for it (confirmed on a monitored household): they
# leave the helper's to-do list, each with an event naming the visit.
SEEN_AT_VISIT = """
WITH seen AS (
    UPDATE alerts SET attached_for_visit = false
    WHERE household_id = $1 AND attached_for_visit
    RETURNING id, status
)
INSERT INTO alert_events (alert_id, action, from_status, to_status, actor_user_id, actor_role, at, data)
SELECT id, 'seen_at_visit', status, status, $3, $4, $5, jsonb_build_object('visit_id', $2::bigint)
FROM seen
"""
