"""Region SQL. Reads take the caller's scope as a LIKE pattern on the code ($scope)."""

REGION_COLUMNS = """
code, name, level, parent_code, is_poverty_relieved_county, key_assistance
"""

GET_REGION = f"""
SELECT {REGION_COLUMNS}
FROM regions
WHERE code = $1
  AND code LIKE $2
"""

LIST_CHILDREN = f"""
SELECT {REGION_COLUMNS}
FROM regions
WHERE parent_code = $1
  AND code LIKE $2
ORDER BY code
"""

# The subtree under a prefix, down to regions whose significant prefix is at most $3 digits.
LIST_SUBTREE = f"""
SELECT {REGION_COLUMNS}
FROM regions
WHERE code LIKE $1
  AND code LIKE $2
  AND length(prefix) <= $3
ORDER BY code
"""

LIST_REGIONS = f"""
SELECT {REGION_COLUMNS}
FROM regions
WHERE code LIKE $1
  AND ($2::text IS NULL OR level = $2)
  AND ($3::boolean IS NULL OR is_poverty_relieved_county = $3)
  AND ($4::text IS NULL OR key_assistance = $4)
ORDER BY code
"""

INSERT_REGION = f"""
INSERT INTO regions (code, name, level, parent_code, prefix, is_poverty_relieved_county, key_assistance)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (code) DO NOTHING
RETURNING {REGION_COLUMNS}
"""

UPDATE_REGION = f"""
UPDATE regions
SET name = $2,
    is_poverty_relieved_county = $3,
    key_assistance = $4
WHERE code = $1
RETURNING {REGION_COLUMNS}
"""

LOCK_REGION = f"""
SELECT {REGION_COLUMNS}
FROM regions
WHERE code = $1
FOR UPDATE
"""
