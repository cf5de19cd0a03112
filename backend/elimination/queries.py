"""Risk elimination SQL: when a household was enrolled, leaving monitoring, the candidates list."""

from __future__ import annotations

from backend.applications.queries import RUNNING, SCOPE
from backend.calendar.rules import LEGAL_TZ
from backend.elimination.rules import CHECKLIST_ITEMS, STABLE_VISITS

# "Monitored since": the county approval of the household's latest approved identification case.
GET_MONITORED_SINCE = """
SELECT max(a.decided_at) FROM applications a
WHERE a.household_id = $1 AND a.kind = 'identification' AND a.state = 'approved'
"""

# The year's monitoring line of the household's province (as the income rule SR-01 reads it).
GET_MONITORING_LINE = """
SELECT t.per_capita_fen FROM monitoring_thresholds t
WHERE t.year = $2 AND t.province_code = rpad(left($1, 2), 12, '0')
"""

SET_HOUSEHOLD_ELIMINATED = """
UPDATE households
SET monitoring_status = 'risk_eliminated', monitoring_type = NULL, updated_at = now()
WHERE id = $1
"""

DELETE_CANDIDATE = """
DELETE FROM elimination_candidates WHERE household_id = $1
"""

_PER_CAPITA = "floor((v.net_income_fen - v.rigid_expense_fen)::numeric / v.member_count)::bigint"
_ITEMS = "ARRAY[" + ", ".join(f"'{i}'" for i in CHECKLIST_ITEMS) + "]::text[]"
_LOCAL = f"AT TIME ZONE '{LEGAL_TZ.key}'"

# Every household meeting the criteria today ($1 local date, $2 months monitored), with the
# figures that put it there. Each of its last STABLE_VISITS visits is above its year's line.
_CANDIDATES = f"""
SELECT h.id AS household_id, h.helper_user_id, s.monitored_since,
       (s.monitored_since + make_interval(months => $2))::date + 1 AS eligible_from,
       v.visits[1] AS latest_visit_id, v.latest_visited_at, v.latest_member_count AS member_count,
       v.per_capita[1] AS per_capita_fen, v.per_capita[2] AS previous_per_capita_fen,
       v.lines[1] AS monitoring_line_fen
FROM households h
JOIN LATERAL (
    SELECT (max(a.decided_at) {_LOCAL})::date AS monitored_since
    FROM applications a
    WHERE a.household_id = h.id AND a.kind = 'identification' AND a.state = 'approved'
) s ON s.monitored_since IS NOT NULL
JOIN LATERAL (
    SELECT array_agg(last.id ORDER BY last.visited_at DESC, last.id DESC) AS visits,
           max(last.visited_at) AS latest_visited_at,
           (array_agg(last.member_count ORDER BY last.visited_at DESC, last.id DESC))[1] AS latest_member_count,
           (array_agg(last.checklist ORDER BY last.visited_at DESC, last.id DESC))[1] AS latest_checklist,
           array_agg(last.per_capita ORDER BY last.visited_at DESC, last.id DESC) AS per_capita,
           array_agg(t.per_capita_fen ORDER BY last.visited_at DESC, last.id DESC) AS lines,
           bool_and(coalesce(last.per_capita > t.per_capita_fen, false)) AS above,
           count(*) AS visit_count
    FROM (
        SELECT v.id, v.visited_at, v.member_count, v.checklist, {_PER_CAPITA} AS per_capita
        FROM visits v
        WHERE v.household_id = h.id
        ORDER BY v.visited_at DESC, v.id DESC
        LIMIT {STABLE_VISITS}
    ) last
    LEFT JOIN monitoring_thresholds t
      ON t.province_code = rpad(left(h.village_code, 2), 12, '0')
     AND t.year = extract(year FROM last.visited_at {_LOCAL})
) v ON v.visit_count = {STABLE_VISITS} AND v.above
WHERE h.monitoring_status = 'monitoring'
  AND (s.monitored_since + make_interval(months => $2))::date + 1 <= $1
  AND v.latest_checklist ?& {_ITEMS}
  AND NOT EXISTS (
      SELECT 1 FROM jsonb_each(v.latest_checklist) c
      WHERE c.key = ANY({_ITEMS}) AND (c.value ->> 'ok')::boolean IS NOT TRUE
  )
  AND NOT EXISTS (
      SELECT 1 FROM applications e
      WHERE e.household_id = h.id AND e.kind = 'risk_elimination' AND e.state = ANY({RUNNING})
  )
"""

# One run serialises on this lock, so two workers never rebuild the list at once.
LOCK_REFRESH = "SELECT pg_advisory_xact_lock(hashtext('elimination_candidates'))"

# Rebuild the list ($3 = the run's time): drop who no longer qualifies, add or refresh the rest.
# A household keeps its first_listed_on; notified_at resets when its helper changed.
REFRESH_CANDIDATES = f"""
WITH current AS ({_CANDIDATES}),
gone AS (
    DELETE FROM elimination_candidates e
    WHERE NOT EXISTS (SELECT 1 FROM current c WHERE c.household_id = e.household_id)
    RETURNING e.household_id
)
INSERT INTO elimination_candidates AS e (
    household_id, helper_user_id, monitored_since, eligible_from, latest_visit_id, latest_visited_at,
    member_count, per_capita_fen, previous_per_capita_fen, monitoring_line_fen, first_listed_on,
    refreshed_at)
SELECT c.household_id, c.helper_user_id, c.monitored_since, c.eligible_from, c.latest_visit_id,
       c.latest_visited_at, c.member_count, c.per_capita_fen, c.previous_per_capita_fen,
       c.monitoring_line_fen, $1, $3
FROM current c
ON CONFLICT (household_id) DO UPDATE SET
    helper_user_id = excluded.helper_user_id,
    monitored_since = excluded.monitored_since,
    eligible_from = excluded.eligible_from,
    latest_visit_id = excluded.latest_visit_id,
    latest_visited_at = excluded.latest_visited_at,
    member_count = excluded.member_count,
    per_capita_fen = excluded.per_capita_fen,
    previous_per_capita_fen = excluded.previous_per_capita_fen,
    monitoring_line_fen = excluded.monitoring_line_fen,
    refreshed_at = excluded.refreshed_at,
    notified_at = CASE WHEN e.helper_user_id IS DISTINCT FROM excluded.helper_user_id THEN NULL
                       ELSE e.notified_at END
RETURNING household_id
"""

# The helpers not told yet about some of their candidates, with how many; marks them told.
MARK_NOTIFIED = """
WITH told AS (
    UPDATE elimination_candidates
    SET notified_at = $1
    WHERE notified_at IS NULL AND helper_user_id IS NOT NULL
    RETURNING helper_user_id
)
SELECT helper_user_id, count(*) AS households FROM told GROUP BY helper_user_id ORDER BY helper_user_id
"""

# The list in the caller's scope ($1 like, $2 household_only), only the helper's own when $3 is set.
LIST_CANDIDATES = f"""
SELECT e.household_id, h.household_no, h.village_code, r.name AS village_name, head.name AS head_name,
       e.helper_user_id, e.monitored_since, e.eligible_from, e.latest_visit_id, e.latest_visited_at,
       e.member_count, e.per_capita_fen, e.previous_per_capita_fen, e.monitoring_line_fen,
       e.first_listed_on, e.refreshed_at, count(*) OVER () AS total
FROM elimination_candidates e
JOIN households h ON h.id = e.household_id
JOIN regions r ON r.code = h.village_code
LEFT JOIN persons head ON head.household_id = h.id AND head.relation = 'head'
WHERE {SCOPE.format(like="$1", only="$2")}
  AND ($3::bigint IS NULL OR e.helper_user_id = $3)
  AND h.monitoring_status = 'monitoring'
ORDER BY e.first_listed_on, e.household_id
LIMIT $4 OFFSET $5
"""
