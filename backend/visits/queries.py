"""The visits' SQL: recording a visit and the items its problems open, reading visits and their
photo evidence, the cadence per household (rules.cadence_status in SQL), the helper's list and
the daily reminder. Report and board SQL is in report_queries.py."""

from __future__ import annotations

from backend.calendar.rules import LEGAL_TZ

_TZ = LEGAL_TZ.key

# ---- recording ----

# The household a visit is for, in the caller's region ($2 LIKE), with its recorded place.
GET_HOUSEHOLD_FOR_VISIT = """
SELECT h.id, h.village_code, h.helper_user_id, h.latitude, h.longitude
FROM households h
WHERE h.id = $1 AND h.village_code LIKE $2
"""

INSERT_VISIT = """
INSERT INTO visits (household_id, visitor_user_id, visited_at, received_at, checklist, member_count,
                    net_income_fen, rigid_expense_fen, note, latitude, longitude, accuracy_m, location_mock)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING id
"""

# One item per problem ($3 items, $4 descriptions); an item still open for the household is the
# same problem and is not opened twice (migration 0019's unique index).
OPEN_RECTIFICATIONS = """
INSERT INTO rectification_items (household_id, visit_id, item, description, found_on, owner_user_id)
SELECT $1, $2, x.item, x.description, $5, $6
FROM unnest($3::text[], $4::text[]) AS x (item, description)
ON CONFLICT (household_id, item) WHERE status = 'open' DO NOTHING
RETURNING id
"""

# ---- reading visits ----

# Visits in scope: $1 region LIKE; $2 a helper's own (visitor or the household's helper) or NULL.
VISIT_SCOPE = "h.village_code LIKE $1 AND ($2::bigint IS NULL OR v.visitor_user_id = $2 OR h.helper_user_id = $2)"

_VISIT_COLUMNS = """
v.id, v.household_id, h.household_no, h.village_code, r.name AS village_name, v.visitor_user_id,
u.display_name AS visitor_name, v.visited_at, v.received_at, v.checklist, v.note, v.member_count,
v.net_income_fen, v.rigid_expense_fen, v.latitude, v.longitude, v.accuracy_m, v.location_mock,
h.latitude AS home_latitude, h.longitude AS home_longitude,
ARRAY(SELECT p.id FROM photos p WHERE p.owner_kind = 'visit' AND p.owner_id = v.id AND p.status <> 'failed'
      ORDER BY p.id) AS photo_ids,
ARRAY(SELECT ri.id FROM rectification_items ri WHERE ri.visit_id = v.id ORDER BY ri.id) AS rectification_ids
FROM visits v
JOIN households h ON h.id = v.household_id
JOIN regions r ON r.code = h.village_code
JOIN users u ON u.id = v.visitor_user_id
"""

GET_VISIT = f"""
SELECT {_VISIT_COLUMNS}
WHERE v.id = $3 AND {VISIT_SCOPE}
"""

# $3 household or NULL, $4 village prefix LIKE or NULL, $5 limit, $6 offset.
LIST_VISITS = f"""
SELECT {_VISIT_COLUMNS.replace("FROM visits v", ", count(*) OVER () AS total FROM visits v", 1)}
WHERE {VISIT_SCOPE}
  AND ($3::bigint IS NULL OR v.household_id = $3)
  AND ($4::text IS NULL OR h.village_code LIKE $4)
ORDER BY v.visited_at DESC, v.id DESC
LIMIT $5 OFFSET $6
"""

# What the photo flags look at, for the visits $1: EXIF time and place, the reuse check.
LIST_PHOTO_EVIDENCE = """
SELECT p.owner_id AS visit_id, p.id AS photo_id, m.taken_at, m.latitude, m.longitude,
       p.possible_reuse_of AS reused_of
FROM photos p
LEFT JOIN photo_metadata m ON m.sha256 = p.sha256
WHERE p.owner_kind = 'visit' AND p.owner_id = ANY($1::bigint[]) AND p.status <> 'failed'
ORDER BY p.id
"""

# The photo seam's scope of a visit (backend/photos/owners.py): its household's village, the
# visitor and the household's helper.
GET_VISIT_PHOTO_SCOPE = """
SELECT v.household_id, h.village_code AS region_code, NULL::bigint AS supplier_id, NULL::bigint AS union_id,
       NULL::text AS state, ARRAY[v.visitor_user_id, h.helper_user_id] AS user_ids
FROM visits v
JOIN households h ON h.id = v.household_id
WHERE v.id = $1
"""

# ---- the cadence per household ----

# rules.cadence_of in SQL.
CADENCE = "CASE WHEN h.monitoring_status = 'monitoring' THEN 'monthly' WHEN h.category = 'lifted' THEN 'lifted' END"

# Households with a cadence and what the lists need: $1 monthly current, $2 monthly previous,
# $3 lifted current (NULL outside March/August/November), $4 lifted previous (rules.periods_on);
# `{where}` narrows the households with parameters from $5. `status` is rules.cadence_status.
CADENCE_ROWS = f"""
WITH base AS MATERIALIZED (
    SELECT h.id AS household_id, h.household_no, h.village_code, h.helper_user_id, {CADENCE} AS cadence,
           (SELECT (max(vv.visited_at) AT TIME ZONE '{_TZ}')::date FROM visits vv
            WHERE vv.household_id = h.id) AS last_visited_on,
           (SELECT (max(a.decided_at) AT TIME ZONE '{_TZ}')::date FROM applications a
            WHERE a.household_id = h.id AND a.kind = 'identification' AND a.state = 'approved') AS monitored_since,
           h.monitoring_status = 'monitoring'
               AND NOT EXISTS (SELECT 1 FROM plan_measures pm WHERE pm.household_id = h.id) AS plan_missing,
           (SELECT count(*) FROM rectification_items ri
            WHERE ri.household_id = h.id AND ri.status = 'open') AS open_rectifications
    FROM households h
    WHERE ({CADENCE}) IS NOT NULL AND {{where}}
)
SELECT b.*,
       CASE WHEN b.cadence = 'monthly' THEN
                CASE WHEN b.last_visited_on >= $1::date THEN 'visited'
                     WHEN (b.monitored_since IS NULL OR b.monitored_since < $2::date)
                          AND (b.last_visited_on IS NULL OR b.last_visited_on < $2::date) THEN 'overdue'
                     ELSE 'due' END
            ELSE
                CASE WHEN $3::date IS NOT NULL AND b.last_visited_on >= $3::date THEN 'visited'
                     WHEN b.last_visited_on IS NULL OR b.last_visited_on < $4::date THEN 'overdue'
                     WHEN $3::date IS NOT NULL THEN 'due'
                     ELSE 'not_due' END
       END AS status
FROM base b
"""

# The helper's households ($5), what needs doing first: overdue, due, then the rest.
LIST_TO_VISIT = f"""
SELECT c.household_id, c.household_no, c.village_code, r.name AS village_name, head.name AS head_name,
       c.cadence, c.status, c.last_visited_on, c.plan_missing, c.open_rectifications
FROM ({CADENCE_ROWS.format(where="h.helper_user_id = $5")}) c
JOIN regions r ON r.code = c.village_code
LEFT JOIN persons head ON head.household_id = c.household_id AND head.relation = 'head'
WHERE c.status IN ('due', 'overdue') OR c.plan_missing OR c.open_rectifications > 0 OR $6::boolean
ORDER BY CASE c.status WHEN 'overdue' THEN 0 WHEN 'due' THEN 1 ELSE 2 END, c.last_visited_on NULLS FIRST,
         c.household_id
"""

# ---- the daily reminder ----

# Each active helper's due and overdue households on local day $5, for helpers who have had no
# visit reminder that day, claimed by the reminder row so that a second run sends nothing. $6:
# whether merely due visits speak today (rules.reminds_due).
CLAIM_REMINDERS = f"""
WITH due AS (
    SELECT c.helper_user_id AS user_id,
           count(*) FILTER (WHERE c.status = 'overdue') AS overdue,
           count(*) FILTER (WHERE c.status = 'due') AS due
    FROM ({CADENCE_ROWS.format(where="h.helper_user_id IS NOT NULL")}) c
    WHERE c.status IN ('due', 'overdue')
    GROUP BY c.helper_user_id
    HAVING count(*) FILTER (WHERE c.status = 'overdue') > 0 OR $6::boolean
),
claimed AS (
    INSERT INTO visit_reminders (user_id, day)
    SELECT d.user_id, $5::date FROM due d
    JOIN users u ON u.id = d.user_id AND u.role = 'helper' AND u.active AND u.deactivated_at IS NULL
    ON CONFLICT (user_id, day) DO NOTHING
    RETURNING user_id
)
SELECT d.user_id, d.overdue, d.due
FROM due d JOIN claimed c ON c.user_id = d.user_id
ORDER BY d.user_id
"""

SET_REMINDER_NOTIFICATION = """
UPDATE visit_reminders SET notification_id = $3 WHERE user_id = $1 AND day = $2
"""
