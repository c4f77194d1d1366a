-- +goose Up
-- Stock events: every change of an item's stock, and the transitions it
-- caused, written in the change's transaction. Subscriptions and webhooks
-- read them in the order of (xid, id): a reader passes only events whose
-- transaction is older than every transaction still running
-- (pg_snapshot_xmin), so an event that commits late can never land behind
-- a position a reader has already passed.
CREATE TYPE stock_event_type AS ENUM (
    'STOCK_CHANGED', 'LOW_STOCK', 'OUT_OF_STOCK', 'BACK_IN_STOCK',
    'BACKORDER_LIMIT_REACHED', 'PREORDER_LIMIT_REACHED', 'AVAILABILITY_CHANGED'
);

CREATE TABLE stock_events (
    store_id      bigint NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    -- The writing transaction (top level, also from a savepoint).
    xid           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    type          stock_event_type NOT NULL,
    -- The item, its variant, product and location, kept as numbers: the
    -- events outlive deleted variants, as the ledger does.
    item_id       bigint NOT NULL,
    variant_id    bigint NOT NULL,
    product_id    bigint NOT NULL,
    location_id   bigint NOT NULL,
    -- What caused it: the mutation (its movements share operation_id),
    -- the reason and reference it gave, and the token.
    operation_id  uuid NOT NULL,
    movement_ids  bigint[] NOT NULL DEFAULT '{}',
    reason        text NOT NULL DEFAULT '',
    reference     text NOT NULL DEFAULT '',
    token_id      bigint,
    -- The item's levels and availability before and after the change.
    before        jsonb NOT NULL,
    after         jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (store_id, id)
);
CREATE INDEX stock_events_position_idx ON stock_events (store_id, xid, id);

-- +goose Down
DROP TABLE stock_events;
DROP TYPE stock_event_type;
