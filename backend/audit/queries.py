"""Audit SQL. The table is append-only: rules in 0001 turn UPDATE and DELETE into nothing."""

INSERT_AUDIT = """
INSERT INTO audit_log (actor_user_id, action, object_type, object_id, request_id, client_request_id, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""

# Filters are optional: NULL means "not filtered on". `action` matches a dotted prefix
# ("person." finds every person.* action).
LIST_AUDIT = """
SELECT a.id, a.at, a.actor_user_id, u.username AS actor_username, u.role AS actor_role,
       a.action, a.object_type, a.object_id, a.request_id, a.client_request_id, a.detail,
       count(*) OVER () AS total
FROM audit_log a
LEFT JOIN users u ON u.id = a.actor_user_id
WHERE ($1::bigint IS NULL OR a.actor_user_id = $1)
  AND ($2::text IS NULL OR a.action LIKE $2 || '%')
  AND ($3::text IS NULL OR a.object_type = $3)
  AND ($4::text IS NULL OR a.object_id = $4)
  AND ($5::timestamptz IS NULL OR a.at >= $5)
  AND ($6::timestamptz IS NULL OR a.at < $6)
ORDER BY a.id DESC
LIMIT $7 OFFSET $8
"""
