"""SQL for accounts and tokens."""

_PRINCIPAL_COLUMNS = "id, role, active, region_code, household_id, union_id, supplier_id, must_change_password"

GET_STAFF_FOR_LOGIN = f"""
SELECT {_PRINCIPAL_COLUMNS},
       password_hash,
       locked_until,
       coalesce(locked_until > now(), false) AS locked
FROM users
WHERE username = $1
  AND role <> 'farmer'
"""

# $2 failures in a row lock the account for $3 seconds; the count starts again after a lock.
RECORD_LOGIN_FAILURE = """
UPDATE users
SET failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
    locked_until  = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(secs => $3::int)
                         ELSE locked_until END
WHERE id = $1
RETURNING locked_until,
          coalesce(locked_until > now(), false) AS locked
"""

RECORD_LOGIN_SUCCESS = """
UPDATE users
SET failed_logins = 0,
    locked_until = NULL
WHERE id = $1
"""

GET_USER_PRINCIPAL = f"""
SELECT {_PRINCIPAL_COLUMNS}
FROM users
WHERE id = $1
"""

INSERT_REFRESH_TOKEN = """
INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::int))
"""

LOCK_REFRESH_TOKEN = """
SELECT id,
       family_id,
       user_id,
       used_at,
       revoked_at,
       expires_at <= now() AS expired
FROM refresh_tokens
WHERE token_hash = $1
FOR UPDATE
"""

MARK_REFRESH_TOKEN_USED = """
UPDATE refresh_tokens
SET used_at = now()
WHERE id = $1
"""

# Every session of a user ends: password changed or reset, account deactivated.
REVOKE_USER_TOKENS = """
UPDATE refresh_tokens
SET revoked_at = now()
WHERE user_id = $1
  AND revoked_at IS NULL
"""

# $2: the app's clock in ms, the unit access tokens carry their issue time in.
END_ACCESS_TOKENS = """
UPDATE users
SET sessions_revoked_at = to_timestamp($2::bigint / 1000.0)
WHERE id = $1
"""

LIST_RECENT_REVOCATIONS = """
SELECT id,
       (extract(epoch FROM sessions_revoked_at) * 1000)::bigint AS revoked_ms
FROM users
WHERE sessions_revoked_at > now() - make_interval(secs => $1::float8)
"""

GET_STAFF_PASSWORD = """
SELECT username,
       password_hash
FROM users
WHERE id = $1
  AND role <> 'farmer'
  AND active
"""

SET_OWN_PASSWORD = f"""
UPDATE users
SET password_hash = $2,
    must_change_password = false,
    failed_logins = 0
WHERE id = $1
RETURNING {_PRINCIPAL_COLUMNS}
"""

REVOKE_TOKEN_FAMILY = """
UPDATE refresh_tokens
SET revoked_at = now()
WHERE family_id = $1
  AND revoked_at IS NULL
"""

# Find or create the farmer behind an openid; never hands a staff account to a WeChat log-in.
UPSERT_FARMER = f"""
INSERT INTO users (role, openid, unionid)
VALUES ('farmer', $1, $2)
ON CONFLICT (openid) DO UPDATE
SET unionid = coalesce(EXCLUDED.unionid, users.unionid)
WHERE users.role = 'farmer'
RETURNING {_PRINCIPAL_COLUMNS}, (xmax = 0) AS created
"""

GET_ACTIVE_FARMER = """
SELECT id, openid, person_id
FROM users
WHERE id = $1
  AND role = 'farmer'
  AND active
"""

GET_PERSON_FOR_BINDING = """
SELECT p.id AS person_id,
       p.household_id,
       p.name,
       h.head_phone_bidx,
       u.id AS bound_user_id
FROM persons p
JOIN households h ON h.id = p.household_id
LEFT JOIN users u ON u.person_id = p.id
WHERE p.id_number_bidx = $1
"""

BIND_FARMER = f"""
UPDATE users
SET person_id = $2,
    household_id = $3,
    phone_enc = $4,
    phone_masked = $5,
    display_name = $6
WHERE id = $1
RETURNING {_PRINCIPAL_COLUMNS}
"""

# A farmer's region is their household's village.
GET_PROFILE = """
SELECT u.id AS user_id,
       u.role,
       u.display_name,
       coalesce(u.region_code, h.village_code) AS region_code,
       r.name AS region_name,
       u.phone_masked,
       u.household_id,
       u.union_id,
       u.supplier_id,
       u.must_change_password
FROM users u
LEFT JOIN households h ON h.id = u.household_id
LEFT JOIN regions r ON r.code = coalesce(u.region_code, h.village_code)
WHERE u.id = $1
"""
