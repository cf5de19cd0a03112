"""Staff account SQL. Every read is scoped: the role is one the caller manages and the region lies
in the caller's (admins pass '%' and so also see accounts without a region)."""

_USER_COLUMNS = """
u.id, u.username, u.display_name, u.role, u.active, u.must_change_password, u.created_at,
u.region_code, r.name AS region_name, u.union_id, u.supplier_id, u.department_feeds,
u.phone_masked, u.created_by, u.deactivated_at
"""


def _in_scope(roles: str, like: str) -> str:
    return f"""u.role = ANY({roles}::text[])
  AND u.role <> 'farmer'
  AND coalesce(u.region_code, '') LIKE {like}"""


GET_REGION_LEVELS = """
SELECT code, level
FROM regions
WHERE code = ANY($1::char(12)[])
"""

LIST_TAKEN_USERNAMES = """
SELECT username
FROM users
WHERE username = ANY($1::text[])
"""

LIST_UNION_IDS = "SELECT id FROM unions WHERE id = ANY($1::bigint[])"
LIST_SUPPLIER_IDS = "SELECT id FROM suppliers WHERE id = ANY($1::bigint[])"

# Set-based for imports and single creates alike; a username taken meanwhile is skipped, and the
# caller reports the rows that came back missing.
INSERT_USERS = """
INSERT INTO users (username, display_name, role, region_code, union_id, supplier_id, department_feeds,
                   phone_enc, phone_masked, password_hash, must_change_password, created_by)
SELECT username, display_name, role, region_code, union_id, supplier_id,
       coalesce(string_to_array(nullif(feeds, ''), ','), '{}'), phone_enc, phone_masked, password_hash, must_change, $12
FROM unnest($1::text[], $2::text[], $3::text[], $4::char(12)[], $5::bigint[], $6::bigint[], $7::text[],
            $8::bytea[], $9::text[], $10::text[], $11::bool[])
     AS n (username, display_name, role, region_code, union_id, supplier_id, feeds, phone_enc, phone_masked,
           password_hash, must_change)
ON CONFLICT (username) DO NOTHING
RETURNING id, username
"""

GET_USER_IN_SCOPE = f"""
SELECT {_USER_COLUMNS}
FROM users u
LEFT JOIN regions r ON r.code = u.region_code
WHERE u.id = $1
  AND {_in_scope("$2", "$3")}
"""

LOCK_USER_IN_SCOPE = f"""
SELECT u.id
FROM users u
WHERE u.id = $1
  AND {_in_scope("$2", "$3")}
FOR UPDATE
"""

# $3 text (username or name), $4 role, $5 region prefix pattern, $6 active; NULL filters match all.
SEARCH_USERS_IN_SCOPE = f"""
SELECT {_USER_COLUMNS},
       count(*) OVER () AS total
FROM users u
LEFT JOIN regions r ON r.code = u.region_code
WHERE {_in_scope("$1", "$2")}
  AND ($3::text IS NULL OR u.username ILIKE $3 OR u.display_name ILIKE $3)
  AND ($4::text IS NULL OR u.role = $4)
  AND ($5::text IS NULL OR u.region_code LIKE $5)
  AND ($6::bool IS NULL OR u.active = $6)
ORDER BY u.id
LIMIT $7 OFFSET $8
"""

SET_PHONE = """
UPDATE users SET phone_enc = $2, phone_masked = $3 WHERE id = $1
"""

SET_ACTIVE = """
UPDATE users
SET active = $2,
    deactivated_at = CASE WHEN $2 THEN NULL ELSE now() END
WHERE id = $1
"""

SET_HANDED_OUT_PASSWORD = """
UPDATE users
SET password_hash = $2,
    must_change_password = true,
    failed_logins = 0,
    locked_until = NULL
WHERE id = $1
"""

_IMPORT_COLUMNS = """
id, created_at, imported_by, file_name, encoding, rows_total, rows_rejected, users_created, rejects,
passwords_enc IS NOT NULL AS passwords_available
"""

# Imports run one at a time so their username checks see each other's rows.
LOCK_IMPORTS = "SELECT pg_advisory_xact_lock(hashtext('fangpin.staff_import'))"

INSERT_IMPORT = f"""
INSERT INTO staff_imports (imported_by, region_code, file_name, file_sha256, encoding, rows_total,
                           rows_rejected, users_created, rejects, passwords_enc)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING {_IMPORT_COLUMNS}
"""

# An importer sees their own imports; an admin sees every import.
GET_IMPORT_FOR = f"""
SELECT {_IMPORT_COLUMNS}
FROM staff_imports
WHERE id = $1
  AND (imported_by = $2 OR $3)
"""

# The passwords leave once, to the importer only, within $3 seconds of the import.
TAKE_IMPORT_PASSWORDS = """
WITH taken AS (
    SELECT id, passwords_enc
    FROM staff_imports
    WHERE id = $1
      AND imported_by = $2
      AND passwords_enc IS NOT NULL
      AND created_at > now() - make_interval(secs => $3::int)
    FOR UPDATE
)
UPDATE staff_imports s
SET passwords_enc = NULL,
    passwords_taken_at = now()
FROM taken
WHERE s.id = taken.id
RETURNING taken.passwords_enc
"""

# Passwords nobody took within their time are dropped at the next import.
FORGET_STALE_PASSWORDS = """
UPDATE staff_imports
SET passwords_enc = NULL
WHERE passwords_enc IS NOT NULL
  AND created_at <= now() - make_interval(secs => $1::int)
"""
