"""SQL of rectification items and the 月清零 report, the stationed cadres' work log and report,
and the overdue board. Region parameters are LIKE patterns (a prefix and '%')."""

from __future__ import annotations

from backend.applications.queries import DEADLINE, OVERDUE
from backend.calendar.rules import LEGAL_TZ
from backend.visits.queries import CADENCE_ROWS

_TZ = LEGAL_TZ.key

# ---- rectification items ----

_ITEM_COLUMNS = """
ri.id, ri.household_id, h.household_no, h.village_code, r.name AS village_name, ri.visit_id, ri.item,
ri.description, ri.found_on, ri.status, ri.owner_user_id, u.display_name AS owner_name, ri.cleared_on,
ri.cleared_by, ri.cleared_note
FROM rectification_items ri
JOIN households h ON h.id = ri.household_id
JOIN regions r ON r.code = h.village_code
LEFT JOIN users u ON u.id = ri.owner_user_id
"""

# $1 region LIKE, $2 a helper's own (owner or household's helper) or NULL, $3 status or NULL,
# $4 limit, $5 offset. Oldest first: what has waited longest comes first.
LIST_RECTIFICATIONS = f"""
SELECT {_ITEM_COLUMNS.replace("FROM rectification_items", ", count(*) OVER () AS total FROM rectification_items", 1)}
WHERE h.village_code LIKE $1
  AND ($2::bigint IS NULL OR ri.owner_user_id = $2 OR h.helper_user_id = $2)
  AND ($3::text IS NULL OR ri.status = $3)
ORDER BY ri.found_on, ri.id
LIMIT $4 OFFSET $5
"""

LOCK_RECTIFICATION = """
SELECT ri.id, ri.status, ri.found_on, ri.owner_user_id, h.helper_user_id, h.village_code
FROM rectification_items ri
JOIN households h ON h.id = ri.household_id
WHERE ri.id = $1
FOR UPDATE OF ri
"""

CLEAR_RECTIFICATION = """
UPDATE rectification_items
SET status = 'cleared', cleared_on = $2, cleared_by = $3, cleared_note = $4
WHERE id = $1 AND status = 'open'
"""

GET_RECTIFICATION = f"""
SELECT {_ITEM_COLUMNS}
WHERE ri.id = $1
"""

GET_REGION = "SELECT code, name, level FROM regions WHERE code = $1"

# 月清零 per village of township $1 for the month [$2, $3]: opened (found in it), cleared in it,
# and open at its end (found by then, not cleared by then).
CLEARANCE_VILLAGES = """
SELECT v.code AS village_code, v.name AS village_name,
       count(ri.id) FILTER (WHERE ri.found_on BETWEEN $2 AND $3) AS opened,
       count(ri.id) FILTER (WHERE ri.cleared_on BETWEEN $2 AND $3) AS cleared,
       count(ri.id) FILTER (WHERE ri.found_on <= $3 AND (ri.cleared_on IS NULL OR ri.cleared_on > $3))
           AS open_at_month_end
FROM regions v
LEFT JOIN households h ON h.village_code = v.code
LEFT JOIN rectification_items ri ON ri.household_id = h.id
WHERE v.level = 'village' AND v.parent_code = $1
GROUP BY v.code, v.name
ORDER BY v.code
"""

LIST_OPEN_AT_MONTH_END = f"""
SELECT {_ITEM_COLUMNS}
WHERE h.village_code LIKE $1
  AND ri.found_on <= $2 AND (ri.cleared_on IS NULL OR ri.cleared_on > $2)
ORDER BY h.village_code, ri.found_on, ri.id
"""

# ---- the stationed cadres' work log ----

PUT_WORK_LOG = """
INSERT INTO cadre_work_logs (user_id, work_date, village_code, in_village, note, recorded_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, work_date) DO UPDATE
SET village_code = EXCLUDED.village_code, in_village = EXCLUDED.in_village, note = EXCLUDED.note,
    recorded_at = EXCLUDED.recorded_at
RETURNING work_date, in_village, note, recorded_at
"""

LIST_WORK_LOG = """
SELECT work_date, in_village, note, recorded_at
FROM cadre_work_logs
WHERE user_id = $1 AND work_date BETWEEN $2 AND $3
ORDER BY work_date
"""

# Every active cadre stationed in a village of the region ($1 LIKE, $2 the caller's LIKE) with the
# days of [$3, $4] logged, and logged in the village; by village and name, never by days.
CADRE_MONTHS = """
SELECT u.id AS user_id, u.display_name AS name, u.region_code AS village_code, v.name AS village_name,
       count(l.work_date) AS logged_days,
       count(l.work_date) FILTER (WHERE l.in_village) AS in_village_days
FROM users u
JOIN regions v ON v.code = u.region_code AND v.level = 'village'
LEFT JOIN cadre_work_logs l ON l.user_id = u.id AND l.village_code = u.region_code
                           AND l.work_date BETWEEN $3 AND $4
WHERE u.role = 'helper' AND u.active AND u.deactivated_at IS NULL
  AND u.region_code LIKE $1 AND u.region_code LIKE $2
GROUP BY u.id, v.name
ORDER BY u.region_code, u.display_name, u.id
"""

# ---- the overdue board ----

# Monitored households whose latest approval's plan due date passed with no helper, or whose
# first helper after the approval came after it; `on` is the plan due date. $5 region LIKE, $6
# the caller's LIKE, $7 today (after the cadence's $1-$4).
_HELPER_LATE = f"""
SELECT h.id AS household_id, h.village_code, h.helper_user_id, ap.id AS ref_id, ap.plan_due_date AS on_date
FROM households h
JOIN LATERAL (
    SELECT a.id, a.plan_due_date, a.decided_at FROM applications a
    WHERE a.household_id = h.id AND a.kind = 'identification' AND a.state = 'approved'
    ORDER BY a.decided_at DESC LIMIT 1
) ap ON ap.plan_due_date IS NOT NULL
LEFT JOIN LATERAL (
    SELECT (min(ha.assigned_at) AT TIME ZONE '{_TZ}')::date AS first_on FROM helper_assignments ha
    WHERE ha.household_id = h.id AND ha.assigned_at >= ap.decided_at
) fa ON true
WHERE h.monitoring_status = 'monitoring' AND h.village_code LIKE $5 AND h.village_code LIKE $6
  AND (fa.first_on > ap.plan_due_date
       OR (fa.first_on IS NULL AND h.helper_user_id IS NULL AND ap.plan_due_date < $7::date))
"""

_CADENCE_IN_REGION = CADENCE_ROWS.format(where="h.village_code LIKE $5 AND h.village_code LIKE $6")

# Cases past 15 days ($8 now: applications.queries.OVERDUE).
_IDENTIFICATION_OVERDUE = f"""
SELECT h.id AS household_id, h.village_code, h.helper_user_id, a.id AS ref_id, {DEADLINE} AS on_date
FROM applications a
JOIN households h ON h.id = a.household_id
WHERE {OVERDUE.format(now="$8")} AND h.village_code LIKE $5 AND h.village_code LIKE $6
"""

_RECTIFICATION_OPEN = """
SELECT h.id AS household_id, h.village_code, h.helper_user_id, ri.id AS ref_id, ri.found_on AS on_date
FROM rectification_items ri
JOIN households h ON h.id = ri.household_id
WHERE ri.status = 'open' AND h.village_code LIKE $5 AND h.village_code LIKE $6
"""

# What stands behind each board count, in one shape: household, village, helper, ref, date.
BOARD_SOURCES = {
    "identification_overdue": _IDENTIFICATION_OVERDUE,
    "helper_late": _HELPER_LATE,
    "plan_missing": """
SELECT c.household_id, c.village_code, c.helper_user_id, NULL::bigint AS ref_id,
       (SELECT a.plan_due_date FROM applications a
        WHERE a.household_id = c.household_id AND a.kind = 'identification' AND a.state = 'approved'
        ORDER BY a.decided_at DESC LIMIT 1) AS on_date
FROM cadence c WHERE c.plan_missing
""",
    "visit_overdue": """
SELECT c.household_id, c.village_code, c.helper_user_id, NULL::bigint AS ref_id, c.last_visited_on AS on_date
FROM cadence c WHERE c.status = 'overdue'
""",
    "rectification_open": _RECTIFICATION_OPEN,
}

# Every board statement starts with these: `params` names $1-$8 (the cadence's periods, the region
# LIKEs, today, now) so that a list using only some still types them all; `cadence` is the
# households' cadence rows once, for the two sources that read it (unread: never computed).
_COMMON = f"""params AS (SELECT $1::date, $2::date, $3::date, $4::date, $5::text, $6::text, $7::date, $8::timestamptz),
cadence AS MATERIALIZED ({_CADENCE_IN_REGION})"""

BOARD = f"""
WITH {_COMMON},
towns AS (
    SELECT code, name FROM regions
    WHERE level = 'township' AND code LIKE $5 AND code LIKE $6
),
figures AS (
{" UNION ALL ".join(f"SELECT '{name}' AS list, left(s.village_code, 9) AS town FROM ({sql}) s"
                    for name, sql in BOARD_SOURCES.items())}
)
SELECT t.code AS township_code, t.name AS township_name,
       {", ".join(f"count(f.list) FILTER (WHERE f.list = '{name}') AS {name}" for name in BOARD_SOURCES)}
FROM towns t
LEFT JOIN figures f ON f.town = left(t.code, 9)
GROUP BY t.code, t.name
ORDER BY t.code
"""

# One list behind the board, paged ($9 limit, $10 offset), oldest date first.
BOARD_ITEMS = {
    name: f"""
WITH {_COMMON}
SELECT s.household_id, h.household_no, s.village_code, r.name AS village_name, s.helper_user_id,
       u.display_name AS helper_name, s.ref_id, s.on_date AS "on", count(*) OVER () AS total
FROM ({sql}) s
JOIN households h ON h.id = s.household_id
JOIN regions r ON r.code = s.village_code
LEFT JOIN users u ON u.id = s.helper_user_id
ORDER BY s.on_date NULLS FIRST, s.household_id, s.ref_id
LIMIT $9 OFFSET $10
"""
    for name, sql in BOARD_SOURCES.items()
}
