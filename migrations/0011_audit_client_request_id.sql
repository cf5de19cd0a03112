-- The request id in audit_log is the server's own from now on; the id a client sent in
-- X-Request-ID (trimmed, printable ASCII only) is kept beside it, marked as the client's.
ALTER TABLE audit_log ADD COLUMN client_request_id text CHECK (length(client_request_id) <= 64);
