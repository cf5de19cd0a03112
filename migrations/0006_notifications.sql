-- Notifications delivery (DOMAIN §9, §10): claims with a lease, channels, templates, subscribe grants.

-- `sending` = claimed by a worker until `claimed_until`; a claim whose lease ran out (the worker
-- died) is claimed again by the sweep. `channel` says how a delivered row went out.
ALTER TABLE notifications DROP CONSTRAINT notifications_delivery_status_check;
ALTER TABLE notifications
    ADD CONSTRAINT notifications_delivery_status_check
        CHECK (delivery_status IN ('pending', 'sending', 'sent', 'inbox_only', 'failed')),
    ADD COLUMN claimed_until      timestamptz,
    ADD COLUMN channel            text CHECK (channel IN ('wechat', 'sms')),
    ADD COLUMN wechat_template_id text,  -- the template whose grant this attempt spent
    ADD CONSTRAINT notifications_sending_has_lease
        CHECK (delivery_status <> 'sending' OR claimed_until IS NOT NULL);
CREATE INDEX notifications_lease_idx ON notifications (claimed_until) WHERE delivery_status = 'sending';
CREATE INDEX notifications_failed_idx ON notifications (id DESC) WHERE delivery_status = 'failed';

-- One WeChat subscribe-message template per event; an event without a row is inbox only.
-- `fields` maps a template key (thing1, phrase2, time3 ...) to its source: title, body,
-- created_at, data.<key> or literal:<text>.
CREATE TABLE notification_templates (
    event         text PRIMARY KEY,
    template_id   text NOT NULL CHECK (length(template_id) BETWEEN 1 AND 128),
    page          text NOT NULL DEFAULT '',
    fields        jsonb NOT NULL DEFAULT '{}',
    sms_fallback  boolean NOT NULL DEFAULT false,
    enabled       boolean NOT NULL DEFAULT true,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    bigint REFERENCES users (id)
);

-- wx.requestSubscribeMessage grants: each `accept` of a one-time template allows one message.
CREATE TABLE subscribe_grants (
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    template_id  text NOT NULL,
    remaining    integer NOT NULL DEFAULT 0 CHECK (remaining >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, template_id)
);
