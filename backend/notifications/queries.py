"""Notification SQL: the outbox writes, the delivery claim and outcome, the inbox, templates, grants."""

INSERT_NOTIFICATIONS = """
INSERT INTO notifications (user_id, event, title, body, page, data)
SELECT user_id, $2, $3, $4, $5, $6
FROM unnest($1::bigint[]) AS recipients (user_id)
RETURNING id
"""

# --- delivery -------------------------------------------------------------------------------

# A worker that died holding claims. A row whose send had started may have been delivered: it
# becomes `unconfirmed` and is not sent again. The others go back (or fail once attempts are used
# up), and the grant their claim spent is given back. $2 is the note an unconfirmed row gets.
RELEASE_EXPIRED_CLAIMS = """
WITH expired AS (
    SELECT id, user_id, wechat_template_id AS spent_template, send_started_at IS NOT NULL AS started
    FROM notifications
    WHERE delivery_status = 'sending'
      AND claimed_until <= now()
    FOR UPDATE SKIP LOCKED
), released AS (
    UPDATE notifications AS n
    SET delivery_status = CASE WHEN e.started THEN 'unconfirmed'
                               WHEN n.attempts >= $1 THEN 'failed'
                               ELSE 'pending' END,
        last_error = CASE WHEN e.started THEN $2
                          WHEN n.attempts >= $1 THEN 'worker stopped during delivery'
                          ELSE n.last_error END,
        wechat_template_id = CASE WHEN e.started THEN n.wechat_template_id END,
        next_attempt_at = now(),
        claimed_until = NULL
    FROM expired AS e
    WHERE n.id = e.id
), refunds AS (
    SELECT user_id, spent_template AS template_id, count(*)::integer AS unused
    FROM expired
    WHERE NOT started AND spent_template IS NOT NULL
    GROUP BY user_id, spent_template
)
UPDATE subscribe_grants AS g
SET remaining = g.remaining + r.unused,
    updated_at = now()
FROM refunds AS r
WHERE g.user_id = r.user_id
  AND g.template_id = r.template_id
"""

# Claim due rows so no other worker can take them; SKIP LOCKED lets concurrent workers claim
# disjoint sets. `_CLAIM` is completed with the `due` CTE choosing the rows; $1 and $2 are the
# lease (seconds) and the batch size. Returns what delivery needs in one round trip.
_CLAIM = """
WITH due AS ({due}), claimed AS (
    UPDATE notifications AS n
    SET delivery_status = 'sending',
        claimed_until = now() + make_interval(secs => $1),
        attempts = n.attempts + 1,
        send_started_at = NULL,
        wechat_template_id = NULL
    FROM due
    WHERE n.id = due.id
    RETURNING n.id, n.user_id, n.event, n.title, n.body, n.page, n.data, n.created_at, n.attempts
)
SELECT c.id, c.user_id, c.event, c.title, c.body, c.page, c.data, c.created_at, c.attempts,
       u.openid, u.phone_enc,
       t.template_id, t.page AS template_page, t.fields AS template_fields, t.sms_fallback
FROM claimed AS c
JOIN users AS u ON u.id = c.user_id
LEFT JOIN notification_templates AS t ON t.event = c.event AND t.enabled
ORDER BY c.id
"""

# The oldest due rows (the sweep).
CLAIM_DUE = _CLAIM.format(
    due="""
    SELECT id
    FROM notifications
    WHERE delivery_status = 'pending'
      AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
"""
)

# These rows ($3), if still due (the job enqueued after a commit).
CLAIM_DUE_IDS = _CLAIM.format(
    due="""
    SELECT id
    FROM notifications
    WHERE id = ANY ($3::bigint[])
      AND delivery_status = 'pending'
      AND next_attempt_at <= now()
    LIMIT $2
    FOR UPDATE SKIP LOCKED
"""
)

# Lock the grants a batch wants (in key order, so two workers never deadlock); read after the lock,
# so a grant another worker just spent is seen as spent.
LOCK_GRANTS = """
SELECT g.user_id, g.template_id, g.remaining
FROM subscribe_grants AS g
JOIN unnest($1::bigint[], $2::text[]) AS wanted (user_id, template_id)
  ON g.user_id = wanted.user_id AND g.template_id = wanted.template_id
WHERE g.remaining > 0
ORDER BY g.user_id, g.template_id
FOR UPDATE OF g
"""

# Add $3[i] (negative to spend) to each (user, template) grant; one row per pair.
ADJUST_GRANTS = """
UPDATE subscribe_grants AS g
SET remaining = g.remaining + change.delta,
    updated_at = now()
FROM unnest($1::bigint[], $2::text[], $3::integer[]) AS change (user_id, template_id, delta)
WHERE g.user_id = change.user_id
  AND g.template_id = change.template_id
"""

# WeChat said 43101: the user holds no grant for this template, whatever we counted.
CLEAR_GRANTS = """
UPDATE subscribe_grants AS g
SET remaining = 0,
    updated_at = now()
FROM unnest($1::bigint[], $2::text[]) AS gone (user_id, template_id)
WHERE g.user_id = gone.user_id
  AND g.template_id = gone.template_id
"""

# The claim spent a grant of this template for each of these rows ($1 ids, $2 templates).
RECORD_SPENT_GRANTS = """
UPDATE notifications AS n
SET wechat_template_id = spent.template_id
FROM unnest($1::bigint[], $2::text[]) AS spent (id, template_id)
WHERE n.id = spent.id
"""

# Committed just before these rows' requests go out: from here on they may reach the user.
MARK_SEND_STARTED = """
UPDATE notifications
SET send_started_at = now()
WHERE id = ANY ($1::bigint[])
  AND delivery_status = 'sending'
"""

# Record each claimed row's outcome; a row is only touched while still claimed. $5 is the retry
# delay in seconds for rows going back to `pending`.
FINISH_DELIVERIES = """
UPDATE notifications AS n
SET delivery_status = r.status,
    channel = r.channel,
    wechat_template_id = r.wechat_template_id,
    last_error = r.error,
    next_attempt_at = CASE WHEN r.status = 'pending'
                           THEN now() + make_interval(secs => r.retry_s)
                           ELSE n.next_attempt_at END,
    delivered_at = CASE WHEN r.status IN ('sent', 'inbox_only') THEN now() END,
    claimed_until = NULL
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::double precision[], $6::text[])
     AS r (id, status, channel, wechat_template_id, retry_s, error)
WHERE n.id = r.id
  AND n.delivery_status = 'sending'
"""

# --- admin: outbox status and retry ---------------------------------------------------------

_DELIVERY_FILTER = """
WHERE ($1::text IS NULL OR delivery_status = $1)
  AND ($2::text IS NULL OR event = $2)
  AND ($3::bigint IS NULL OR user_id = $3)
"""

LIST_DELIVERIES = f"""
SELECT id, user_id, event, title, created_at, delivery_status, attempts, next_attempt_at,
       channel, wechat_template_id, last_error, delivered_at
FROM notifications
{_DELIVERY_FILTER}
ORDER BY id DESC
LIMIT $4 OFFSET $5
"""

COUNT_DELIVERIES = f"""
SELECT count(*)
FROM notifications
{_DELIVERY_FILTER}
"""

# Failed or unconfirmed rows back to the queue with a fresh set of attempts: these ids, or all
# (of one event). Sending an unconfirmed row again is a person's decision, never the worker's.
REQUEUE_FAILED = """
UPDATE notifications
SET delivery_status = 'pending',
    attempts = 0,
    next_attempt_at = now()
WHERE delivery_status IN ('failed', 'unconfirmed')
  AND (cardinality($1::bigint[]) = 0 OR id = ANY ($1::bigint[]))
  AND ($2::text IS NULL OR event = $2)
RETURNING id
"""

# --- inbox (always the caller's own rows) ---------------------------------------------------

LIST_INBOX = """
SELECT id, event, title, body, created_at, page, data, read_at
FROM notifications
WHERE user_id = $1
  AND (NOT $2::boolean OR read_at IS NULL)
ORDER BY id DESC
LIMIT $3 OFFSET $4
"""

COUNT_INBOX = """
SELECT count(*) AS total,
       count(*) FILTER (WHERE read_at IS NULL) AS unread
FROM notifications
WHERE user_id = $1
"""

COUNT_UNREAD = """
SELECT count(*)
FROM notifications
WHERE user_id = $1
  AND read_at IS NULL
"""

MARK_READ = """
UPDATE notifications
SET read_at = coalesce(read_at, now())
WHERE id = $1
  AND user_id = $2
RETURNING id, event, title, body, created_at, page, data, read_at
"""

MARK_ALL_READ = """
UPDATE notifications
SET read_at = now()
WHERE user_id = $1
  AND read_at IS NULL
"""

# --- templates ------------------------------------------------------------------------------

LIST_TEMPLATES = """
SELECT event, template_id, fields, page, sms_fallback, enabled, updated_at
FROM notification_templates
ORDER BY event
"""

UPSERT_TEMPLATE = """
INSERT INTO notification_templates (event, template_id, fields, page, sms_fallback, enabled, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (event) DO UPDATE
SET template_id = excluded.template_id,
    fields = excluded.fields,
    page = excluded.page,
    sms_fallback = excluded.sms_fallback,
    enabled = excluded.enabled,
    updated_by = excluded.updated_by,
    updated_at = now()
RETURNING event, template_id, fields, page, sms_fallback, enabled, updated_at
"""

DELETE_TEMPLATE = """
DELETE FROM notification_templates
WHERE event = $1
RETURNING event
"""

# --- subscribe grants -----------------------------------------------------------------------

# One more message per accepted template, only for templates we use ($2 may name any id).
ADD_GRANTS = """
INSERT INTO subscribe_grants (user_id, template_id, remaining)
SELECT $1, known.template_id, 1
FROM (SELECT DISTINCT template_id FROM notification_templates WHERE template_id = ANY ($2::text[])) AS known
ON CONFLICT (user_id, template_id) DO UPDATE
SET remaining = subscribe_grants.remaining + 1,
    updated_at = now()
"""

LIST_SUBSCRIBE_TEMPLATES = """
SELECT t.event, t.template_id, coalesce(g.remaining, 0) AS remaining
FROM notification_templates AS t
LEFT JOIN subscribe_grants AS g ON g.template_id = t.template_id AND g.user_id = $1
WHERE t.enabled
ORDER BY t.event
"""
