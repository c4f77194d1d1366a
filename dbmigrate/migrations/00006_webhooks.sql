-- +goose Up
-- Webhooks: each subscribes a URL to topics of the store's stock events.
-- Deliveries are derived from stock_events itself, never from a queue in
-- memory: a fan-out worker locks a webhook, reads its events past the
-- webhook's position (events.Read), inserts their deliveries and moves
-- the position on in the same transaction. A crash at any point either
-- commits both or neither, so no event is lost and none is fanned out
-- twice (UNIQUE (webhook, event) says so again).
CREATE TYPE webhook_status AS ENUM ('ACTIVE', 'PAUSED', 'DISABLED');
CREATE TYPE webhook_delivery_status AS ENUM ('PENDING', 'SUCCEEDED', 'FAILED');

CREATE TABLE webhooks (
    store_id              bigint NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id                    bigint GENERATED ALWAYS AS IDENTITY,
    url                   text NOT NULL,
    -- store/inventory/... topics; each stands for one stock event type.
    topics                text[] NOT NULL CHECK (cardinality(topics) > 0),
    -- Filters as subscriptions have them; NULL lets every value through.
    variant_ids           bigint[],
    product_ids           bigint[],
    location_ids          bigint[],
    -- Standard Webhooks secret, whsec_ + base64 of the key.
    secret                text NOT NULL,
    status                webhook_status NOT NULL DEFAULT 'ACTIVE',
    disabled_reason       text NOT NULL DEFAULT '',
    -- The first failed attempt since the last success, and the final
    -- failures in a row: what disables a webhook that keeps failing.
    failing_since         timestamptz,
    consecutive_failures  integer NOT NULL DEFAULT 0,
    -- The fan-out position: events after (fanout_xid, fanout_id) are still
    -- to be turned into deliveries. A new webhook starts at the horizon:
    -- every event below it committed before the webhook existed.
    fanout_xid            xid8 NOT NULL DEFAULT pg_snapshot_xmin(pg_current_snapshot()),
    fanout_id             bigint NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id)
);
CREATE INDEX webhooks_active_idx ON webhooks (id) WHERE status = 'ACTIVE';

CREATE TABLE webhook_deliveries (
    store_id         bigint NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    webhook_id       bigint NOT NULL,
    event_id         bigint NOT NULL,
    -- Deliveries of one item keep the order of its events: the fan-out
    -- inserts them in event order, so per webhook and item, a lower ID is
    -- an earlier event.
    item_id          bigint NOT NULL,
    topic            text NOT NULL,
    -- The webhook-id header: the same on every attempt and redelivery,
    -- so receivers can drop duplicates.
    message_id       text NOT NULL DEFAULT 'msg_' || replace(gen_random_uuid()::text, '-', ''),
    status           webhook_delivery_status NOT NULL DEFAULT 'PENDING',
    -- attempts counts every attempt; round_attempts those since the
    -- delivery was created or redelivered, which the retry schedule counts.
    attempts         integer NOT NULL DEFAULT 0,
    round_attempts   integer NOT NULL DEFAULT 0,
    -- When it is due; while an attempt runs, when its lease ends.
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_latency_ms  integer,
    last_response    text NOT NULL DEFAULT '',
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    PRIMARY KEY (store_id, id),
    UNIQUE (store_id, webhook_id, event_id),
    FOREIGN KEY (store_id, webhook_id) REFERENCES webhooks (store_id, id) ON DELETE CASCADE
);
-- In the order the sender claims, so that a claim stops at the first
-- delivery it may send instead of sorting every pending one.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_item_idx ON webhook_deliveries (webhook_id, item_id, id) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_list_idx ON webhook_deliveries (store_id, webhook_id, id);

-- One row per attempt, for the API's delivery history.
CREATE TABLE webhook_attempts (
    store_id     bigint NOT NULL,
    delivery_id  bigint NOT NULL,
    attempt      integer NOT NULL,
    started_at   timestamptz NOT NULL,
    status_code  integer,
    latency_ms   integer NOT NULL,
    response     text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    PRIMARY KEY (store_id, delivery_id, attempt),
    FOREIGN KEY (store_id, delivery_id) REFERENCES webhook_deliveries (store_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TYPE webhook_delivery_status;
DROP TYPE webhook_status;
