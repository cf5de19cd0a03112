"""Assistance SQL. Household reads take the caller's scope as ($region_like, $household_only), the
registry's SCOPE clause."""

from __future__ import annotations

from backend.registry.queries import SCOPE

# ---- 帮扶责任人 ----

LOCK_HOUSEHOLD = f"""
SELECT h.id, h.village_code, h.monitoring_status, h.helper_user_id
FROM households h
WHERE h.id = $1
  AND {SCOPE.format(like="$2", only="$3")}
FOR UPDATE OF h
"""

GET_HOUSEHOLD = f"""
SELECT h.id, h.village_code, h.monitoring_status, h.helper_user_id
FROM households h
WHERE h.id = $1
  AND {SCOPE.format(like="$2", only="$3")}
"""

# Whether it may be the household's helper is rules.helper_covers (role, active, region).
GET_USER = """
SELECT u.id, u.role, u.active, u.region_code, u.display_name
FROM users u
WHERE u.id = $1
"""

# The plan due date of the household's latest approved identification case.
GET_LATEST_APPROVED_CASE = """
SELECT a.id, a.plan_due_date, a.plan_due_provisional
FROM applications a
WHERE a.household_id = $1
  AND a.kind = 'identification'
  AND a.state = 'approved'
ORDER BY a.decided_at DESC, a.id DESC
LIMIT 1
"""

CASE_ANSWERED = """
SELECT EXISTS (SELECT 1 FROM helper_assignments WHERE application_id = $1)
"""

END_CURRENT_ASSIGNMENT = """
UPDATE helper_assignments
SET ended_at = $2
WHERE household_id = $1
  AND ended_at IS NULL
RETURNING id, helper_user_id
"""

INSERT_ASSIGNMENT = """
INSERT INTO helper_assignments (household_id, helper_user_id, assigned_by, assigned_at, application_id,
                                due_date, due_provisional, late, note)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id
"""

SET_HOUSEHOLD_HELPER = """
UPDATE households SET helper_user_id = $2, updated_at = $3 WHERE id = $1
"""

ASSIGNMENT_COLUMNS = """
a.id, a.household_id, a.helper_user_id, u.display_name AS helper_name, a.assigned_by, a.assigned_at,
       a.ended_at, a.application_id, a.due_date, a.due_provisional, a.late, a.note
"""

GET_ASSIGNMENT = f"""
SELECT {ASSIGNMENT_COLUMNS}
FROM helper_assignments a
JOIN users u ON u.id = a.helper_user_id
WHERE a.id = $1
"""

LIST_ASSIGNMENTS = f"""
SELECT {ASSIGNMENT_COLUMNS}
FROM helper_assignments a
JOIN users u ON u.id = a.helper_user_id
WHERE a.household_id = $1
ORDER BY a.assigned_at DESC, a.id DESC
"""

# ---- 一户一策 ----

GET_HELPER = """
SELECT u.id AS user_id, u.display_name, u.phone_masked, u.phone_enc
FROM users u
WHERE u.id = $1
"""

MEASURE_COLUMNS = """
m.id, m.household_id, m.measure_type, m.owner_department, m.start_date, m.end_date, m.status,
       m.amount_fen, m.description, m.created_by, m.created_at, m.updated_at
"""

LIST_MEASURES = f"""
SELECT {MEASURE_COLUMNS}
FROM plan_measures m
WHERE m.household_id = $1
ORDER BY m.start_date, m.id
"""

INSERT_MEASURE = f"""
INSERT INTO plan_measures AS m (household_id, measure_type, owner_department, start_date, end_date, status,
                                amount_fen, description, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
RETURNING {MEASURE_COLUMNS}
"""

# The measure with its household, locked, inside the caller's scope.
LOCK_MEASURE = f"""
SELECT {MEASURE_COLUMNS}, h.helper_user_id, h.monitoring_status
FROM plan_measures m
JOIN households h ON h.id = m.household_id
WHERE m.id = $1
  AND {SCOPE.format(like="$2", only="$3")}
FOR UPDATE OF m
"""

UPDATE_MEASURE = f"""
UPDATE plan_measures AS m
SET status = $2,
    owner_department = $3,
    start_date = $4,
    end_date = $5,
    amount_fen = $6,
    description = $7,
    updated_at = $8
WHERE m.id = $1
RETURNING {MEASURE_COLUMNS}
"""

# ---- outcome per measure ----

GET_REGION = """
SELECT code, name FROM regions WHERE code = $1
"""

# One row per household and measure type put in place in the region ($1 LIKE pattern, $2 the
# caller's own scope): the earliest start of the type's measures, the figures before it (the
# latest visit with figures on or before that local date, else the income survey of the year
# before) and at the latest visit with figures after it. $3 the statuses counted, $4 a type or
# NULL, $5 today. Per-capita income is rounded to the fen (half away from zero). `{page}` pages
# the units before their visits are looked up, `{total}` counts them all.
_OUTCOME_UNITS = """
WITH units AS (
    SELECT m.household_id, h.household_no, h.village_code, m.measure_type, min(m.start_date) AS start_date,
           count(*) AS measures{total}
    FROM plan_measures m
    JOIN households h ON h.id = m.household_id
    WHERE h.village_code LIKE $1
      AND h.village_code LIKE $2
      AND m.status = ANY($3::text[])
      AND ($4::text IS NULL OR m.measure_type = $4)
      AND m.start_date <= $5
    GROUP BY m.household_id, h.household_no, h.village_code, m.measure_type
    {page}
)
SELECT u.*,
       CASE WHEN bv.as_of IS NOT NULL THEN 'visit' WHEN i.household_id IS NOT NULL THEN 'income_survey' END
           AS before_source,
       coalesce(bv.as_of, make_date(i.year, 12, 31)) AS before_as_of,
       coalesce(bv.member_count, i.member_count) AS before_member_count,
       coalesce(round(bv.net_income_fen::numeric / bv.member_count),
                round((i.wage_fen + i.business_fen + i.property_fen + i.transfer_fen
                       - i.productive_expense_fen)::numeric / i.member_count))::bigint AS before_income_fen,
       coalesce(bv.rigid_expense_fen,
                i.medical_expense_fen + i.education_expense_fen + i.disaster_expense_fen) AS before_rigid_fen,
       lv.as_of AS latest_as_of,
       lv.member_count AS latest_member_count,
       round(lv.net_income_fen::numeric / lv.member_count)::bigint AS latest_income_fen,
       lv.rigid_expense_fen AS latest_rigid_fen
FROM units u
LEFT JOIN LATERAL (
    SELECT (v.visited_at AT TIME ZONE 'Asia/Shanghai')::date AS as_of, v.member_count, v.net_income_fen,
           v.rigid_expense_fen
    FROM visits v
    WHERE v.household_id = u.household_id
      AND v.visited_at < ((u.start_date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
      AND v.member_count IS NOT NULL AND v.net_income_fen IS NOT NULL AND v.rigid_expense_fen IS NOT NULL
    ORDER BY v.visited_at DESC
    LIMIT 1
) bv ON true
LEFT JOIN household_incomes i
       ON bv.as_of IS NULL
      AND i.household_id = u.household_id
      AND i.year = extract(year FROM u.start_date)::int - 1
LEFT JOIN LATERAL (
    SELECT (v.visited_at AT TIME ZONE 'Asia/Shanghai')::date AS as_of, v.member_count, v.net_income_fen,
           v.rigid_expense_fen
    FROM visits v
    WHERE v.household_id = u.household_id
      AND v.visited_at >= ((u.start_date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
      AND v.member_count IS NOT NULL AND v.net_income_fen IS NOT NULL AND v.rigid_expense_fen IS NOT NULL
    ORDER BY v.visited_at DESC
    LIMIT 1
) lv ON true
"""
_UNIT_ORDER = "ORDER BY h.village_code, h.household_no, m.measure_type"

OUTCOME_UNITS = _OUTCOME_UNITS.format(page="", total="")

# A page of the units ($6 limit, $7 offset) with their figures and how many there are in all.
LIST_HOUSEHOLD_OUTCOMES = (
    _OUTCOME_UNITS.format(page=f"{_UNIT_ORDER} LIMIT $6 OFFSET $7", total=", count(*) OVER () AS total")
    + "ORDER BY u.village_code, u.household_no, u.measure_type\n"
)

EXPORT_HOUSEHOLD_OUTCOMES = OUTCOME_UNITS + "ORDER BY u.village_code, u.household_no, u.measure_type\n"

# Averages per measure type over the region (township_code NULL) and per township, counting only
# the households with both figures.
SUMMARISE_OUTCOMES = f"""
WITH o AS ({OUTCOME_UNITS}),
both_figures AS (
    SELECT o.*, (o.before_income_fen IS NOT NULL AND o.latest_income_fen IS NOT NULL) AS complete
    FROM o
)
SELECT b.measure_type,
       CASE WHEN grouping(left(b.village_code, 9)) = 0 THEN rpad(left(b.village_code, 9), 12, '0') END
           AS township_code,
       count(*) FILTER (WHERE b.complete) AS households,
       count(*) FILTER (WHERE NOT b.complete) AS lacking,
       round(avg(b.before_income_fen) FILTER (WHERE b.complete))::bigint AS before_income_fen,
       round(avg(b.latest_income_fen) FILTER (WHERE b.complete))::bigint AS latest_income_fen,
       round(avg(b.latest_income_fen - b.before_income_fen) FILTER (WHERE b.complete))::bigint
           AS income_change_fen,
       round(avg(b.before_rigid_fen) FILTER (WHERE b.complete))::bigint AS before_rigid_expense_fen,
       round(avg(b.latest_rigid_fen) FILTER (WHERE b.complete))::bigint AS latest_rigid_expense_fen,
       round(avg(b.latest_rigid_fen - b.before_rigid_fen) FILTER (WHERE b.complete))::bigint
           AS rigid_expense_change_fen
FROM both_figures b
GROUP BY GROUPING SETS ((b.measure_type), (b.measure_type, left(b.village_code, 9)))
ORDER BY township_code NULLS FIRST, b.measure_type
"""

LIST_REGION_NAMES = """
SELECT code, name FROM regions WHERE code = ANY($1::text[])
"""
