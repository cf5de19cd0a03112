"""Import SQL: bulk look-ups, the staging tables COPY fills, set-based inserts, the batch record."""

# Imports run one at a time so their duplicate checks see each other's rows.
LOCK_IMPORTS = "SELECT pg_advisory_xact_lock(hashtext('fangpin.registry_import'))"

GET_REGION_LEVELS = """
SELECT code, level
FROM regions
WHERE code = ANY($1::char(12)[])
"""

LIST_TAKEN_HOUSEHOLD_NOS = """
SELECT household_no
FROM households
WHERE household_no = ANY($1::text[])
"""

LIST_REGISTERED_ID_INDEXES = """
SELECT id_number_bidx
FROM persons
WHERE id_number_bidx = ANY($1::bytea[])
"""

CREATE_STAGING = """
CREATE TEMP TABLE import_households (
    household_no      text NOT NULL,
    village_code      char(12) NOT NULL,
    category          text NOT NULL,
    address           text NOT NULL,
    latitude          double precision,
    longitude         double precision,
    head_phone_enc    bytea,
    head_phone_bidx   bytea,
    head_phone_masked text
) ON COMMIT DROP;
CREATE TEMP TABLE import_persons (
    row_no            integer NOT NULL,
    household_no      text NOT NULL,
    name              text NOT NULL,
    id_number_enc     bytea NOT NULL,
    id_number_bidx    bytea NOT NULL,
    id_number_masked  text NOT NULL,
    relation          text NOT NULL,
    sex               text NOT NULL,
    birth_date        date NOT NULL,
    labour_capacity   text NOT NULL,
    health            text NOT NULL,
    disability_level  smallint,
    schooling_stage   text,
    employment        text
) ON COMMIT DROP;
"""

STAGED_HOUSEHOLD_COLUMNS = (
    "household_no",
    "village_code",
    "category",
    "address",
    "latitude",
    "longitude",
    "head_phone_enc",
    "head_phone_bidx",
    "head_phone_masked",
)
STAGED_PERSON_COLUMNS = (
    "row_no",
    "household_no",
    "name",
    "id_number_enc",
    "id_number_bidx",
    "id_number_masked",
    "relation",
    "sex",
    "birth_date",
    "labour_capacity",
    "health",
    "disability_level",
    "schooling_stage",
    "employment",
)

# One statement: the households, then their members joined on the household number.
INSERT_STAGED = """
WITH new_households AS (
    INSERT INTO households (household_no, village_code, category, address, latitude, longitude,
                            head_phone_enc, head_phone_bidx, head_phone_masked, import_id)
    SELECT household_no, village_code, category, address, latitude, longitude,
           head_phone_enc, head_phone_bidx, head_phone_masked, $1
    FROM import_households
    RETURNING id, household_no
),
new_persons AS (
    INSERT INTO persons (household_id, name, id_number_enc, id_number_bidx, id_number_masked, relation,
                         sex, birth_date, labour_capacity, health, disability_level, schooling_stage,
                         employment)
    SELECT nh.id, p.name, p.id_number_enc, p.id_number_bidx, p.id_number_masked, p.relation,
           p.sex, p.birth_date, p.labour_capacity, p.health, p.disability_level, p.schooling_stage,
           p.employment
    FROM import_persons p
    JOIN new_households nh ON nh.household_no = p.household_no
    ORDER BY nh.id, p.row_no  -- a household's members get adjacent ids
    RETURNING id
)
SELECT (SELECT count(*) FROM new_households) AS households,
       (SELECT count(*) FROM new_persons) AS persons
"""

BATCH_COLUMNS = """
id, created_at, source, region_code, file_name, encoding, rows_total, rows_rejected,
households_imported, persons_imported, households_rejected, imported_by
"""

INSERT_BATCH = f"""
INSERT INTO registry_imports (imported_by, source, region_code, file_name, file_sha256, encoding,
                              rows_total, rows_rejected, households_imported, persons_imported,
                              households_rejected, rejects)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
RETURNING {BATCH_COLUMNS}
"""

LIST_BATCHES_IN_SCOPE = f"""
SELECT {BATCH_COLUMNS}
FROM registry_imports
WHERE region_code LIKE $1
ORDER BY id DESC
LIMIT $2
"""

GET_BATCH_IN_SCOPE = f"""
SELECT {BATCH_COLUMNS}, rejects
FROM registry_imports
WHERE id = $1
  AND region_code LIKE $2
"""
