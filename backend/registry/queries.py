"""Registry SQL. Every read of households takes the caller's scope as ($region_like, $household_only)."""

# Scope clause shared by every household read: staff by region prefix, a farmer by household id.
SCOPE = "h.village_code LIKE {like} AND ({only}::bigint IS NULL OR h.id = {only})"

# The hottest read (a farmer's own household), by primary key, so a cached generic plan (db.py):
# scalar subqueries rather than a join, and the members as plain `json` of an ordered row set, not
# `jsonb_build_object` per member (120-150 µs planning and execution instead of 155-240 µs when it
# was planned per call; docs/performance.md).
HOUSEHOLD_COLUMNS = """
h.id, h.household_no, h.village_code,
       (SELECT v.name FROM regions v WHERE v.code = h.village_code) AS village_name,
       h.address, h.latitude, h.longitude, h.category, h.monitoring_status, h.monitoring_type,
       h.head_phone_masked, h.helper_user_id,
       coalesce((
           SELECT json_agg(member)
           FROM (SELECT p.id, p.name, p.id_number_masked, p.relation, p.sex, p.birth_date,
                        p.labour_capacity, p.health, p.disability_level, p.schooling_stage,
                        p.employment
                 FROM persons p
                 WHERE p.household_id = h.id
                 ORDER BY p.relation <> 'head', p.id) member
       ), '[]') AS members
"""

GET_HOUSEHOLD = f"""
SELECT {HOUSEHOLD_COLUMNS}
FROM households h
WHERE h.id = $1
  AND {SCOPE.format(like="$2", only="$3")}
"""

GET_VILLAGE = """
SELECT code, level FROM regions WHERE code = $1
"""

INSERT_HOUSEHOLD = """
INSERT INTO households (household_no, village_code, address, latitude, longitude, category,
                        head_phone_enc, head_phone_bidx, head_phone_masked)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id
"""

INSERT_PERSONS = """
INSERT INTO persons (household_id, name, id_number_enc, id_number_bidx, id_number_masked, relation,
                     sex, birth_date, labour_capacity, health, disability_level, schooling_stage,
                     employment)
SELECT $1, *
FROM unnest($2::text[], $3::bytea[], $4::bytea[], $5::text[], $6::text[], $7::text[], $8::date[],
            $9::text[], $10::text[], $11::smallint[], $12::text[], $13::text[])
"""

# Search filters are optional: NULL means "not filtered on".
SEARCH_FILTER = f"""
FROM households h
JOIN regions v ON v.code = h.village_code
LEFT JOIN persons head ON head.household_id = h.id AND head.relation = 'head'
WHERE {SCOPE.format(like="$1", only="$2")}
  AND ($3::text IS NULL OR h.household_no LIKE $3 || '%')
  AND ($4::text IS NULL OR EXISTS (
        SELECT 1 FROM persons p WHERE p.household_id = h.id AND p.name LIKE '%' || $4 || '%'))
  AND ($5::bytea IS NULL OR EXISTS (
        SELECT 1 FROM persons p WHERE p.household_id = h.id AND p.id_number_bidx = $5))
  AND ($6::text IS NULL OR h.monitoring_status = $6)
  AND ($7::text IS NULL OR h.village_code LIKE $7 || '%')
"""

SEARCH_HOUSEHOLDS = f"""
SELECT h.id, h.household_no, h.village_code, v.name AS village_name, h.category,
       h.monitoring_status, h.monitoring_type, head.name AS head_name,
       (SELECT count(*) FROM persons p WHERE p.household_id = h.id) AS member_count,
       count(*) OVER () AS total
{SEARCH_FILTER}
ORDER BY h.household_no
LIMIT $8 OFFSET $9
"""

GET_PERSON_ID_NUMBER = f"""
SELECT p.id, p.id_number_enc
FROM persons p
JOIN households h ON h.id = p.household_id
WHERE p.id = $1
  AND {SCOPE.format(like="$2", only="$3")}
"""

UPSERT_INCOME = f"""
INSERT INTO household_incomes (household_id, year, member_count, wage_fen, business_fen, property_fen,
                               transfer_fen, productive_expense_fen, medical_expense_fen,
                               education_expense_fen, disaster_expense_fen)
SELECT h.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
FROM households h
WHERE h.id = $1 AND {SCOPE.format(like="$2", only="$3")}
ON CONFLICT (household_id, year) DO UPDATE
SET member_count = EXCLUDED.member_count, wage_fen = EXCLUDED.wage_fen,
    business_fen = EXCLUDED.business_fen, property_fen = EXCLUDED.property_fen,
    transfer_fen = EXCLUDED.transfer_fen, productive_expense_fen = EXCLUDED.productive_expense_fen,
    medical_expense_fen = EXCLUDED.medical_expense_fen,
    education_expense_fen = EXCLUDED.education_expense_fen,
    disaster_expense_fen = EXCLUDED.disaster_expense_fen, recorded_at = now()
RETURNING household_id
"""
