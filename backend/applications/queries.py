"""Identification workflow SQL. Every case read takes the caller's scope as (region_like, household_only)
through the case's household, like the registry."""

from __future__ import annotations

from backend.applications.rules import (
    DEADLINE_KINDS,
    DECISION_LIMIT_DAYS,
    PRIVATE_STATES,
    RUNNING_STATES,
)
from backend.calendar.rules import LEGAL_TZ

SCOPE = "h.village_code LIKE {like} AND ({only}::bigint IS NULL OR h.id = {only})"
PRIVATE = "ARRAY[" + ", ".join(f"'{s.value}'" for s in sorted(PRIVATE_STATES)) + "]::text[]"
# A case in scope (rules.may_read_case): a draft only for its own household's farmer.
CASE_SCOPE = SCOPE + f" AND (a.state <> ALL({PRIVATE}) OR h.id = {{only}})"
# DOMAIN §5: 15 days from discovery, on Asia/Shanghai local dates (see rules.deadline_date), for
# the kinds with that limit (rules.DEADLINE_KINDS); NULL for the others.
DEADLINE_KINDS = "ARRAY[" + ", ".join(f"'{k.value}'" for k in sorted(DEADLINE_KINDS)) + "]::text[]"
DEADLINE = (
    f"(CASE WHEN a.kind = ANY({DEADLINE_KINDS}) "
    f"THEN (a.discovered_at AT TIME ZONE '{LEGAL_TZ.key}')::date + {DECISION_LIMIT_DAYS} END)"
)
RUNNING = "ARRAY[" + ", ".join(f"'{s.value}'" for s in sorted(RUNNING_STATES)) + "]::text[]"
OVERDUE = (
    f"coalesce(a.state = ANY({RUNNING}) "
    f"AND ({{now}}::timestamptz AT TIME ZONE '{LEGAL_TZ.key}')::date > {DEADLINE}, false)"
)

GET_HOUSEHOLD_FOR_CASE = f"""
SELECT h.id, h.village_code, h.monitoring_status, h.helper_user_id
FROM households h
WHERE h.id = $1
  AND {SCOPE.format(like="$2", only="$3")}
"""

GET_FARMER_VILLAGE = """
SELECT h.village_code FROM households h WHERE h.id = $1
"""

# The columns INSERT_CASE sets from a step's changes; opening fills any others (fill_case).
INSERTED_COLUMNS = frozenset({"risk_types", "narrative", "declared_income_fen", "declared_rigid_expense_fen"})

INSERT_CASE = """
INSERT INTO applications (kind, household_id, source, state, created_by, assignee_user_id, risk_types,
                          narrative, declared_income_fen, declared_rigid_expense_fen, discovered_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING id
"""

GET_DRAFT_FOR_HOUSEHOLD = """
SELECT id FROM applications
WHERE household_id = $1 AND kind = $2 AND state = 'draft'
FOR UPDATE
"""

UPDATE_DRAFT = """
UPDATE applications
SET risk_types = $2, narrative = $3, declared_income_fen = $4, declared_rigid_expense_fen = $5,
    version = version + 1, updated_at = now()
WHERE id = $1 AND state = 'draft'
"""

HAS_OPEN_CASE = f"""
SELECT EXISTS (
    SELECT 1 FROM applications a
    WHERE a.household_id = $1 AND a.kind = $2 AND a.state = ANY({RUNNING})
)
"""

# The case locked for a transition, with what its guards look at.
LOCK_CASE = f"""
SELECT a.id, a.kind, a.state, a.version, a.household_id, a.source, a.assignee_user_id,
       a.returned_from, a.notice_start, a.notice_end, a.discovered_at, h.village_code,
       h.helper_user_id,
       (SELECT count(*) FROM application_objections o
        WHERE o.application_id = a.id AND o.resolved_at IS NULL) AS open_objections,
       (SELECT count(*) FROM negative_list_entries n
        JOIN persons p ON p.id_number_bidx = n.id_number_bidx
        WHERE p.household_id = a.household_id) AS negative_list_hits
FROM applications a
JOIN households h ON h.id = a.household_id
WHERE a.id = $1
  AND {CASE_SCOPE.format(like="$2", only="$3")}
FOR UPDATE OF a
"""

# Columns a transition may change besides state; names come from code, never from a request.
CHANGEABLE_COLUMNS = frozenset(
    {
        "source",
        "assignee_user_id",
        "discovered_at",
        "risk_types",
        "narrative",
        "declared_income_fen",
        "declared_rigid_expense_fen",
        "verified_income_fen",
        "verified_rigid_expense_fen",
        "verification_findings",
        "verification_latitude",
        "verification_longitude",
        "verified_at",
        "verified_by",
        "notice_start",
        "notice_end",
        "monitoring_type",
        "approved_risk_types",
        "decision_reason",
        "negative_list_confirmation",
        "plan_due_date",
        "plan_due_provisional",
        "decided_at",
        "member_count",
    }
)


def update_case(columns: list[str]) -> str:
    """UPDATE for one transition: state, version bump and the named columns ($5 onwards)."""
    assert set(columns) <= CHANGEABLE_COLUMNS, columns
    sets = "".join(f",\n    {column} = ${i}" for i, column in enumerate(columns, start=5))
    return f"""
UPDATE applications
SET state = $3, version = version + 1, updated_at = now(), returned_from = $4{sets}
WHERE id = $1 AND version = $2
RETURNING version
"""


def fill_case(columns: list[str]) -> str:
    """UPDATE of a case just inserted in this transaction: the named columns ($2 onwards)."""
    assert set(columns) <= CHANGEABLE_COLUMNS, columns
    sets = ", ".join(f"{column} = ${i}" for i, column in enumerate(columns, start=2))
    return f"UPDATE applications SET {sets} WHERE id = $1"


INSERT_EVENT = """
INSERT INTO application_events (application_id, action, from_state, to_state, actor_user_id, actor_role,
                                at, comment, attachments, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id
"""

SET_HOUSEHOLD_MONITORING = """
UPDATE households
SET monitoring_status = 'monitoring', monitoring_type = $2, updated_at = now()
WHERE id = $1
"""

# ---- provisional plan due dates (recounted when an admin enters a year's notice) ----

LOCK_PROVISIONAL_PLAN_DUES = """
SELECT a.id, a.household_id, a.decided_at, a.plan_due_date,
       coalesce(a.assignee_user_id, h.helper_user_id) AS helper_user_id
FROM applications a
JOIN households h ON h.id = a.household_id
WHERE a.plan_due_provisional
  AND a.plan_due_date >= $1
ORDER BY a.id
FOR UPDATE OF a
"""

SET_PLAN_DUES = """
UPDATE applications a
SET plan_due_date = d.due,
    plan_due_provisional = d.provisional,
    version = a.version + 1,
    updated_at = now()
FROM unnest($1::bigint[], $2::date[], $3::boolean[]) AS d (id, due, provisional)
WHERE a.id = d.id
"""

INSERT_OBJECTION = """
INSERT INTO application_objections (application_id, raised_by, content, raised_at)
VALUES ($1, $2, $3, $4)
RETURNING id
"""

RESOLVE_OBJECTION = """
UPDATE application_objections
SET resolved_by = $3, resolution_note = $4, resolved_at = $5
WHERE id = $2 AND application_id = $1 AND resolved_at IS NULL
RETURNING id
"""

GET_OBJECTION = """
SELECT id, resolved_at FROM application_objections WHERE id = $2 AND application_id = $1
"""

LIST_OBJECTIONS = """
SELECT id, content, raised_at, resolved_at, resolution_note
FROM application_objections
WHERE application_id = $1
ORDER BY id
"""

# Photos uploaded for this case (table from migration 0005).
COUNT_CASE_PHOTOS = """
SELECT count(*) FROM photos
WHERE id = ANY($2::bigint[]) AND owner_kind = 'application' AND owner_id = $1
"""

# ---- recipients ----

FARMER_USERS = """
SELECT id FROM users WHERE role = 'farmer' AND household_id = $1 AND active
"""

STAFF_COVERING_VILLAGE = """
SELECT u.id
FROM users u
JOIN regions r ON r.code = u.region_code
WHERE u.role = ANY($1::text[]) AND u.active AND $2 LIKE r.prefix || '%'
"""

# ---- reads ----

CASE_COLUMNS = f"""
a.id, a.kind, a.household_id, h.household_no, h.village_code, v.name AS village_name,
head.name AS head_name, a.source, a.state, a.version, a.risk_types, a.narrative,
a.declared_income_fen, a.declared_rigid_expense_fen, a.verified_income_fen,
a.verified_rigid_expense_fen, a.verification_findings, a.notice_start, a.notice_end,
a.monitoring_type, a.approved_risk_types, a.decision_reason, a.plan_due_date, a.plan_due_provisional,
a.discovered_at, a.member_count,
a.decided_at, a.assignee_user_id, {DEADLINE} AS deadline_date
"""

CASE_FROM = """
FROM applications a
JOIN households h ON h.id = a.household_id
JOIN regions v ON v.code = h.village_code
LEFT JOIN persons head ON head.household_id = h.id AND head.relation = 'head'
"""

GET_CASE = f"""
SELECT {CASE_COLUMNS}
{CASE_FROM}
WHERE a.id = $1
  AND {CASE_SCOPE.format(like="$2", only="$3")}
"""

LIST_EVENTS = """
SELECT id, action, actor_role, at, comment, attachments, data
FROM application_events
WHERE application_id = $1
ORDER BY id
"""

LAST_RETURN_REASON = """
SELECT comment FROM application_events
WHERE application_id = $1 AND action = 'return_for_material'
ORDER BY id DESC
LIMIT 1
"""

NEGATIVE_LIST_HITS = """
SELECT p.id AS person_id, p.name AS person_name, p.id_number_masked, n.kind, n.source_department,
       n.evidence, n.loaded_at
FROM persons p
JOIN negative_list_entries n ON n.id_number_bidx = p.id_number_bidx
WHERE p.household_id = $1
ORDER BY p.id, n.kind, n.loaded_at
"""

SUMMARY_COLUMNS = f"""
a.id, a.kind, a.household_id, h.household_no, v.name AS village_name, head.name AS head_name,
a.source, a.state, a.discovered_at, {DEADLINE} AS deadline_date, {OVERDUE} AS overdue,
(SELECT count(*) FROM application_objections o
 WHERE o.application_id = a.id AND o.resolved_at IS NULL) AS open_objections
"""

# Filters are optional: NULL means "not filtered on".
LIST_CASES = f"""
SELECT {SUMMARY_COLUMNS.format(now="$3")}, count(*) OVER () AS total
{CASE_FROM}
WHERE {CASE_SCOPE.format(like="$1", only="$2")}
  AND ($4::text IS NULL OR a.state = $4)
  AND ($5::boolean IS NULL OR {OVERDUE.format(now="$3")} = $5)
ORDER BY {DEADLINE} NULLS LAST, a.id
LIMIT $6 OFFSET $7
"""

# The cases waiting for a role: its states; verifiers see unassigned cases and their own.
TASK_FILTER = f"""
{CASE_FROM}
WHERE {CASE_SCOPE.format(like="$1", only="$2")}
  AND a.state = ANY($4::text[])
  AND ($5::bigint IS NULL OR a.assignee_user_id IS NULL OR a.assignee_user_id = $5)
"""

LIST_TASKS = f"""
SELECT {SUMMARY_COLUMNS.format(now="$3")}
{TASK_FILTER}
ORDER BY {DEADLINE}, a.id
LIMIT $6 OFFSET $7
"""

# The counts over the whole list, not just the page shown.
COUNT_TASKS = f"""
SELECT a.state, count(*) AS waiting, count(*) FILTER (WHERE {OVERDUE.format(now="$3")}) AS overdue
{TASK_FILTER}
GROUP BY a.state
"""

LIST_HOUSEHOLD_CASES = f"""
SELECT {SUMMARY_COLUMNS.format(now="$2")}
{CASE_FROM}
WHERE h.id = $1
ORDER BY a.id DESC
"""

# The village notice board: cases on public notice in one village.
LIST_NOTICES = """
SELECT a.id, h.household_no, head.name AS head_name, v.name AS village_name, a.risk_types,
       a.notice_start, a.notice_end
FROM applications a
JOIN households h ON h.id = a.household_id
JOIN regions v ON v.code = h.village_code
LEFT JOIN persons head ON head.household_id = h.id AND head.relation = 'head'
WHERE h.village_code = $1 AND a.state = 'in_notice'
ORDER BY a.notice_end, a.id
"""

# ---- submit idempotency ----

CLAIM_SUBMIT_KEY = """
INSERT INTO application_submit_keys (user_id, key, request_hash)
VALUES ($1, $2, $3)
ON CONFLICT (user_id, key) DO NOTHING
RETURNING key
"""

GET_SUBMIT_KEY = """
SELECT request_hash, application_id, response FROM application_submit_keys WHERE user_id = $1 AND key = $2
"""

FINISH_SUBMIT_KEY = """
UPDATE application_submit_keys SET application_id = $3, response = $4 WHERE user_id = $1 AND key = $2
"""
