"""Feed batch SQL. Staging-table statements are built per feed from the FeedCode (a closed set)."""

from __future__ import annotations

from backend.feeds.rules import staging_table
from schemas.feeds import FeedCode

GET_USER_FEEDS = "SELECT department_feeds FROM users WHERE id = $1"
REGION_EXISTS = "SELECT 1 FROM regions WHERE code = $1"

BATCH_COLUMNS = """
b.id, b.feed, b.region_code, r.name AS region_name, to_char(b.period, 'YYYY-MM') AS period, b.source,
b.uploaded_by, b.file_name, b.size_bytes, encode(b.file_sha256, 'hex') AS file_sha256, b.sheet, b.status,
b.encoding, b.header_row, b.rows_expected, b.rows_read, b.rows_rejected, b.rows_loaded, b.rows_matched,
b.alerts_raised, b.alerts_exempted, b.failure_code, b.failure_message, b.created_at, b.started_at, b.finished_at
"""

# Scope: $1 region LIKE pattern, $2 the feeds the caller sees.
GET_BATCH_IN_SCOPE = f"""
SELECT {BATCH_COLUMNS}
FROM feed_batches b
JOIN regions r ON r.code = b.region_code
WHERE b.id = $3
  AND b.region_code LIKE $1
  AND b.feed = ANY($2::text[])
"""

LIST_BATCHES_IN_SCOPE = f"""
SELECT {BATCH_COLUMNS}
FROM feed_batches b
JOIN regions r ON r.code = b.region_code
WHERE b.region_code LIKE $1
  AND b.feed = ANY($2::text[])
ORDER BY b.id DESC
LIMIT $3 OFFSET $4
"""

COUNT_BATCHES_IN_SCOPE = """
SELECT count(*)
FROM feed_batches b
WHERE b.region_code LIKE $1
  AND b.feed = ANY($2::text[])
"""

GET_BATCH_BY_CONTENT = """
SELECT id, status
FROM feed_batches
WHERE feed = $1 AND region_code = $2 AND period = $3 AND file_sha256 = $4
FOR UPDATE
"""

INSERT_BATCH = """
INSERT INTO feed_batches (feed, region_code, period, source, uploaded_by, file_name, file_sha256, size_bytes,
                          storage_key, sheet)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (feed, region_code, period, file_sha256) DO NOTHING
RETURNING id
"""

# A failed batch sent again (the same bytes): it starts over from a fresh copy of the file, with
# the sheet now asked for (a wrong sheet name is a common reason it failed).
REQUEUE_FAILED_BATCH = """
UPDATE feed_batches
SET status = 'queued', storage_key = $2, sheet = $3, file_name = $4, attempts = 0,
    failure_code = NULL, failure_message = NULL, encoding = NULL, header_row = NULL, rows_expected = NULL,
    rows_read = 0, rows_rejected = 0, rows_loaded = 0, rows_matched = 0, alerts_raised = 0, alerts_exempted = 0,
    started_at = NULL, finished_at = NULL
WHERE id = $1 AND status = 'failed'
"""

# Rejects in pages by key, so a report of any length streams with flat memory.
LIST_REJECTS_AFTER = """
SELECT row_no, column_key, value_masked, reason
FROM feed_rejects
WHERE batch_id = $1 AND (row_no, column_key) > ($2, $3)
ORDER BY row_no, column_key
LIMIT $4
"""

# The worker ------------------------------------------------------------------------------------

# Held by the run working on a batch, for the whole run (session lock: released when its
# connection ends, also when the worker process is killed).
BATCH_LOCK_KEY = "hashtextextended('fangpin.feed_batch:' || {}::text, 0)"
TRY_LOCK_BATCH = f"SELECT pg_try_advisory_lock({BATCH_LOCK_KEY.format('$1::bigint')})"
UNLOCK_BATCH = f"SELECT pg_advisory_unlock({BATCH_LOCK_KEY.format('$1::bigint')})"

GET_BATCH_FOR_RUN = """
SELECT id, feed, region_code, period, sheet, storage_key, status, attempts
FROM feed_batches
WHERE id = $1
"""

GET_BATCH_FEED = "SELECT feed FROM feed_batches WHERE id = $1"

START_RUN = """
UPDATE feed_batches
SET status = 'parsing', attempts = attempts + 1, started_at = now(), finished_at = NULL,
    encoding = NULL, header_row = NULL, rows_expected = NULL,
    rows_read = 0, rows_rejected = 0, rows_loaded = 0, rows_matched = 0, alerts_raised = 0, alerts_exempted = 0
WHERE id = $1
"""

SET_FILE_FACTS = "UPDATE feed_batches SET encoding = $2, header_row = $3, rows_expected = $4 WHERE id = $1"

ADD_CHUNK_COUNTS = """
UPDATE feed_batches
SET rows_read = $2, rows_rejected = rows_rejected + $3, rows_loaded = rows_loaded + $4
WHERE id = $1
"""

SET_MATCHING = "UPDATE feed_batches SET status = 'matching', rows_read = $2 WHERE id = $1"

FINISH_BATCH = """
UPDATE feed_batches
SET status = 'done', rows_matched = $2, alerts_raised = $3, finished_at = now(),
    rows_expected = coalesce(rows_expected, rows_read)
WHERE id = $1
RETURNING storage_key
"""

# Nothing of a failed batch is kept but how far it read: no rows, no rejects, no counts of them.
FAIL_BATCH = """
UPDATE feed_batches
SET status = 'failed', failure_code = $2, failure_message = $3, finished_at = now(),
    rows_rejected = 0, rows_loaded = 0, rows_matched = 0, alerts_raised = 0, alerts_exempted = 0
WHERE id = $1 AND status IN ('queued', 'parsing', 'matching')
RETURNING storage_key
"""

DELETE_REJECTS = "DELETE FROM feed_rejects WHERE batch_id = $1"
REJECT_COLUMNS = ("batch_id", "row_no", "column_key", "value_masked", "reason")

# Batches whose job is lost: unfinished, no run holds their lock, and (if still queued) old
# enough that the upload's own job should have started.
LIST_LOST_BATCH_CANDIDATES = """
SELECT id
FROM feed_batches
WHERE status IN ('queued', 'parsing', 'matching')
  AND (status <> 'queued' OR created_at < now() - make_interval(secs => $1))
ORDER BY id
LIMIT $2
"""
# Taking a candidate's lock proves no run holds it; it is let go at once.
LOCK_IDLE_BATCHES = f"""
SELECT id FROM unnest($1::bigint[]) AS id WHERE pg_try_advisory_lock({BATCH_LOCK_KEY.format("id")})
"""
UNLOCK_BATCHES = f"SELECT pg_advisory_unlock({BATCH_LOCK_KEY.format('id')}) FROM unnest($1::bigint[]) AS id"


def delete_staging(feed: FeedCode) -> str:
    return f"DELETE FROM {staging_table(feed)} WHERE batch_id = $1"


def analyze_staging(feed: FeedCode) -> str:
    return f"ANALYZE {staging_table(feed)}"


def match_staging(feed: FeedCode) -> str:
    """Matches a batch's rows to persons by blind index, only those living inside the batch's
    region ($2, a LIKE pattern); the rest keep NULL."""
    return f"""
UPDATE {staging_table(feed)} s
SET person_id = p.id, household_id = p.household_id
FROM persons p
JOIN households h ON h.id = p.household_id
WHERE s.batch_id = $1
  AND p.id_number_bidx = s.id_number_bidx
  AND h.village_code LIKE $2
"""


# A negative-list batch replaces what the same sources sent for the same region and month
# (a corrected file), then adds its matched rows. Rows of people outside the registry are not
# kept: the lists are only ever checked against registry members (DOMAIN §7.3; PIPL: no more
# personal data than the purpose needs).
REPLACE_NEGATIVE_LIST_ENTRIES = """
DELETE FROM negative_list_entries n
USING feed_batches b
WHERE n.batch_id = b.id
  AND b.feed = 'negative_list' AND b.region_code = $2 AND b.period = $3
  AND n.source_department IN (SELECT DISTINCT source_department FROM feed_rows_negative_list WHERE batch_id = $1)
"""
INSERT_NEGATIVE_LIST_ENTRIES = """
INSERT INTO negative_list_entries (id_number_bidx, kind, source_department, evidence, batch_id)
SELECT id_number_bidx, kind, source_department,
       jsonb_strip_nulls(jsonb_build_object(
           'description', nullif(description, ''),
           'amount_fen', amount_fen,
           'period', to_char($2::date, 'YYYY-MM'),
           'row_no', row_no)),
       batch_id
FROM feed_rows_negative_list
WHERE batch_id = $1 AND person_id IS NOT NULL
ORDER BY row_no
"""
