-- A message is never pushed twice (issue 19). A row's HTTP send is marked as started, committed,
-- before the request goes out; a worker that dies after that leaves the row `unconfirmed` (the
-- push may have arrived; it is in the inbox either way) instead of sending it again. A row claimed
-- but never started goes back to `pending`, and the grant its claim spent is given back.
ALTER TABLE notifications DROP CONSTRAINT notifications_delivery_status_check;
ALTER TABLE notifications
    ADD CONSTRAINT notifications_delivery_status_check
        CHECK (delivery_status IN ('pending', 'sending', 'sent', 'inbox_only', 'failed', 'unconfirmed')),
    ADD COLUMN send_started_at timestamptz;
