"""Alerts SQL for reads, thresholds, traffic lights and the outbox. The rules themselves are in
feed_queries.py. Reads take the caller's scope as ($1 region_like, $2 household_only), like the
registry's."""

from __future__ import annotations

from backend.alerts import rules
from backend.alerts.work_queries import OVERDUE
from backend.applications.queries import RUNNING
from backend.registry.queries import HOUSEHOLD_COLUMNS, SCOPE

_OPEN_LIST = ", ".join(f"'{status}'" for status in rules.OPEN_STATUSES)

# --- thresholds -----------------------------------------------------------------------------

# Each threshold rule with the value a batch of province $1 and year $2 applies: the province's
# row for the year, else its latest earlier year, else the rule's default.
RESOLVE_THRESHOLDS = """
SELECT r.code, r.unit,
       coalesce(t.value, r.default_value) AS value,
       coalesce(t.red_value, r.default_red_value) AS red_value,
       coalesce(t.year, $2) AS year,
       CASE WHEN t.rule_code IS NULL THEN 'default' ELSE 'province' END AS source
FROM alert_rules r
LEFT JOIN LATERAL (
    SELECT a.rule_code, a.value, a.red_value, a.year
    FROM alert_thresholds a
    WHERE a.rule_code = r.code AND a.province_code = $1 AND a.year <= $2
    ORDER BY a.year DESC
    LIMIT 1
) t ON true
WHERE r.compare <> 'flag'
ORDER BY r.code
"""

LIST_RULES = """
SELECT r.code, r.feed, r.risk_type, r.level, r.compare, r.unit, r.default_value, r.default_red_value,
       r.title, r.why_template, r.why_template_red,
       coalesce((
           SELECT json_agg(json_build_object(
                      'province_code', t.province_code, 'year', t.year, 'value', t.value,
                      'red_value', t.red_value, 'note', t.note, 'updated_at', t.updated_at,
                      'updated_by', t.updated_by)
                  ORDER BY t.province_code, t.year)
           FROM alert_thresholds t
           WHERE t.rule_code = r.code
       ), '[]') AS thresholds
FROM alert_rules r
WHERE $1::text IS NULL OR r.code = $1
ORDER BY r.code
"""

GET_RULE_FOR_UPDATE = """
SELECT code, compare, unit FROM alert_rules WHERE code = $1 FOR UPDATE
"""

GET_THRESHOLD = """
SELECT value, red_value, note FROM alert_thresholds WHERE rule_code = $1 AND province_code = $2 AND year = $3
"""

GET_PROVINCE = """
SELECT code FROM regions WHERE code = $1 AND level = 'province'
"""

UPSERT_THRESHOLD = """
INSERT INTO alert_thresholds (rule_code, province_code, year, value, red_value, note, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (rule_code, province_code, year) DO UPDATE
SET value = EXCLUDED.value, red_value = EXCLUDED.red_value, note = EXCLUDED.note,
    updated_by = EXCLUDED.updated_by, updated_at = now()
"""

# --- traffic lights and the outbox ----------------------------------------------------------

# 红黄绿 of households $1: the worst alert still open ($2), else green. Rows already right are
# left alone.
REFRESH_TRAFFIC_LIGHTS = """
WITH lights AS (
    SELECT x.id AS household_id,
           CASE max(CASE a.level WHEN 'red' THEN 2 WHEN 'yellow' THEN 1 END)
               WHEN 2 THEN 'red' WHEN 1 THEN 'yellow' ELSE 'green' END AS light
    FROM unnest($1::bigint[]) AS x (id)
    LEFT JOIN alerts a ON a.household_id = x.id AND a.status = ANY($2::text[])
    GROUP BY x.id
)
UPDATE households h
SET traffic_light = l.light
FROM lights l
WHERE h.id = l.household_id AND h.traffic_light <> l.light
"""

SET_BATCH_EXEMPTED = "UPDATE feed_batches SET alerts_exempted = $2 WHERE id = $1"

HOUSEHOLDS_OF_ALERTS = """
SELECT DISTINCT household_id FROM alerts WHERE id = ANY($1::bigint[])
"""

# One inbox/outbox row per person who should go and look: the household's responsible helper,
# or, for a household without one, the village's grid officers. Delivered by the outbox sweep.
NOTIFY_NEW_ALERTS = """
WITH new AS (
    SELECT a.household_id, a.level, h.village_code, h.helper_user_id
    FROM alerts a
    JOIN households h ON h.id = a.household_id
    WHERE a.id = ANY($1::bigint[])
),
recipients AS (
    SELECT n.helper_user_id AS user_id, n.household_id, n.level
    FROM new n
    JOIN users u ON u.id = n.helper_user_id
    WHERE u.active AND u.deactivated_at IS NULL
    UNION ALL
    SELECT u.id, n.household_id, n.level
    FROM new n
    JOIN users u ON u.region_code = n.village_code AND u.role = 'grid_officer'
    WHERE n.helper_user_id IS NULL AND u.active AND u.deactivated_at IS NULL
),
per_user AS (
    SELECT user_id, count(DISTINCT household_id) AS households, count(*) AS alerts,
           count(*) FILTER (WHERE level = 'red') AS red
    FROM recipients
    GROUP BY user_id
)
INSERT INTO notifications (user_id, event, title, body, data)
SELECT p.user_id, 'alert_raised', '部门数据比对发现新的预警',
       format('您负责的 %s 户有 %s 条新预警（其中红色 %s 条），请尽快入户核实。', p.households, p.alerts, p.red),
       jsonb_build_object('households', p.households::text, 'alerts', p.alerts::text, 'red', p.red::text,
                          'batch_id', coalesce($2::bigint::text, ''))
FROM per_user p
"""

# --- reads ----------------------------------------------------------------------------------

# {today}: the caller's local date, for `overdue`.
_WORK_COLUMNS = f"""
a.assignee_user_id, (SELECT u.display_name FROM users u WHERE u.id = a.assignee_user_id) AS assignee_name,
a.due_date, a.due_provisional, {OVERDUE} AS overdue, a.application_id, a.attached_for_visit
"""

_BRIEF_COLUMNS = f"""
a.id, a.rule_code, a.risk_type, a.level, a.why, a.period, a.status, a.created_at, a.household_id,
a.person_id, p.name AS person_name, h.household_no, h.village_code, v.name AS village_name,
{_WORK_COLUMNS}
"""

_JOINS = """
JOIN households h ON h.id = a.household_id
JOIN persons p ON p.household_id = a.household_id AND p.id = a.person_id
JOIN regions v ON v.code = h.village_code
"""
_FROM = "FROM alerts a" + _JOINS

# Filters are optional: NULL means "not filtered on". $5 is a region prefix, $9 the local date,
# $12 days since raised, $14 true = what the assignee still has to do (waiting for them, or
# attached to a monitored household for the next visit). After $15 the last seen id (keyset pages
# of the export) replaces the offset.
_FILTERS = f"""
WHERE {SCOPE.format(like="$1", only="$2")}
  AND ($3::text IS NULL OR a.level = $3)
  AND ($4::text IS NULL OR a.rule_code = $4)
  AND ($5::text IS NULL OR h.village_code LIKE $5 || '%')
  AND ($6::text IS NULL OR a.status = $6)
  AND ($10::text IS NULL OR a.risk_type = $10)
  AND ($11::boolean IS NULL OR {OVERDUE.format(today="$9::date")} = $11)
  AND ($12::int IS NULL OR a.created_at < now() - make_interval(days => $12))
  AND ($13::bigint IS NULL OR a.assignee_user_id = $13)
  AND (NOT $14::boolean OR a.status IN ('assigned', 'reopened', 'dismissal_proposed') OR a.attached_for_visit)
"""

# Pages are chosen over alerts and households alone, newest first, and only the page's rows are
# joined to persons, villages and assignees: with the persons join inside, the planner misjudged
# the rows and a 200,000-alert county took seconds a page (bench/alerts.py). The total is its own
# count, a hash join, instead of a window over the ordered index walk.
_PAGE_FROM = """
FROM alerts a
JOIN households h ON h.id = a.household_id
"""

LIST_ALERTS = f"""
WITH page AS (
    SELECT a.id {_PAGE_FROM} {_FILTERS}
    ORDER BY a.id DESC
    LIMIT $7 OFFSET $8
), total AS MATERIALIZED (
    SELECT count(*) AS total {_PAGE_FROM} {_FILTERS}
)
SELECT {_BRIEF_COLUMNS.format(today="$9::date")}, total.total
FROM total
CROSS JOIN alerts a{_JOINS}WHERE a.id = ANY(ARRAY(SELECT id FROM page))
ORDER BY a.id DESC
"""

# The export's pages: the same filters, by id descending below $15 ($7 rows, offset $8 = 0).
EXPORT_ALERTS = f"""
WITH page AS (
    SELECT a.id {_PAGE_FROM} {_FILTERS}
      AND a.id < $15
    ORDER BY a.id DESC
    LIMIT $7 OFFSET $8
)
SELECT a.id, a.level, a.rule_code, a.risk_type, a.status, h.village_code, v.name AS village_name,
       h.household_no, p.name AS person_name, a.why, (a.created_at AT TIME ZONE 'Asia/Shanghai')::date AS raised_on,
       (SELECT u.display_name FROM users u WHERE u.id = a.assignee_user_id) AS assignee_name,
       a.due_date, {OVERDUE.format(today="$9::date")} AS overdue, a.dismissal_reason, a.application_id
{_FROM}WHERE a.id = ANY(ARRAY(SELECT id FROM page))
ORDER BY a.id DESC
"""

GET_ALERT = f"""
SELECT {_BRIEF_COLUMNS.format(today="$4::date")}, a.evidence, a.threshold, a.batch_id, p.id_number_masked,
       r.title AS rule_title, a.dismissal_reason, a.outcome_note, a.verified_at, a.closed_at,
       (SELECT c.id FROM applications c
        WHERE c.household_id = a.household_id AND c.kind = 'identification' AND c.state = ANY({RUNNING})
        ORDER BY c.id DESC LIMIT 1) AS case_in_progress_id
{_FROM}
JOIN alert_rules r ON r.code = a.rule_code
WHERE a.id = $3
  AND {SCOPE.format(like="$1", only="$2")}
"""

GET_REGION = """
SELECT code FROM regions WHERE code = $1
"""

# Households per light in each village under region prefix $1 (the caller's scope is $2). Counted
# from households first, then named: the count pushes down to every shard (docs/scale-out.md).
SUMMARISE_LIGHTS = """
WITH counts AS (
    SELECT h.village_code,
           count(*) FILTER (WHERE h.traffic_light = 'red') AS red,
           count(*) FILTER (WHERE h.traffic_light = 'yellow') AS yellow,
           count(*) FILTER (WHERE h.traffic_light = 'green') AS green
    FROM households h
    WHERE h.village_code LIKE $1 || '%' AND h.village_code LIKE $2
    GROUP BY h.village_code
)
SELECT v.code AS village_code, v.name AS village_name,
       coalesce(c.red, 0) AS red, coalesce(c.yellow, 0) AS yellow, coalesce(c.green, 0) AS green
FROM regions v
LEFT JOIN counts c ON c.village_code = v.code
WHERE v.level = 'village' AND v.code LIKE $1 || '%' AND v.code LIKE $2
ORDER BY v.code
"""

# The staff household view's additions to backend/registry's: the household's open alerts, worst
# and newest first, and the registry updates the civil registry asked for. `h` is the household.
_HOUSEHOLD_OPEN_ALERTS = f"""
coalesce((
    SELECT json_agg(open_alert)
    FROM (SELECT a.id, a.rule_code, a.risk_type, a.level, a.why, a.period, a.status, a.created_at,
                 a.household_id, a.person_id, p.name AS person_name, h.household_no, h.village_code,
                 (SELECT v.name FROM regions v WHERE v.code = h.village_code) AS village_name,
                 {_WORK_COLUMNS.format(today="(now() AT TIME ZONE 'Asia/Shanghai')::date")}
          FROM alerts a
          JOIN persons p ON p.household_id = a.household_id AND p.id = a.person_id
          -- open, or confirmed on a monitored household and attached for the helper's next visit
          WHERE a.household_id = h.id AND (a.status IN ({_OPEN_LIST}) OR a.attached_for_visit)
          ORDER BY a.level = 'red' DESC, a.id DESC) open_alert
), '[]')
"""

_HOUSEHOLD_REGISTRY_FLAGS = """
coalesce((
    SELECT json_agg(json_build_object('person_id', f.person_id, 'reason', f.reason, 'event_date', f.event_date)
                    ORDER BY f.id)
    FROM registry_update_flags f
    WHERE f.household_id = h.id AND f.resolved_at IS NULL
), '[]')
"""

GET_HOUSEHOLD_WITH_ALERTS = f"""
SELECT {HOUSEHOLD_COLUMNS},
       h.traffic_light,
       {_HOUSEHOLD_OPEN_ALERTS} AS open_alerts,
       {_HOUSEHOLD_REGISTRY_FLAGS} AS registry_flags
FROM households h
WHERE h.id = $1
  AND {SCOPE.format(like="$2", only="$3")}
"""

LIST_PROVINCES = "SELECT code FROM regions WHERE level = 'province' ORDER BY code"
