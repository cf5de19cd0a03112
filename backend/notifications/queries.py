INSERT_NOTIFICATIONS = """
INSERT INTO notifications (user_id, event, title, body, page, data)
SELECT user_id, $2, $3, $4, $5, $6
FROM unnest($1::bigint[]) AS recipients (user_id)
RETURNING id
"""
