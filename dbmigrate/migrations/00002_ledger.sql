-- +goose Up
-- The movement ledger, quantity states, backorder and preorder settings,
-- and idempotency records (issue: inventory writes).

-- Quantity states an item holds besides on_hand (the sellable pool).
ALTER TABLE inventory_items
    ADD COLUMN damaged              integer NOT NULL DEFAULT 0 CHECK (damaged BETWEEN 0 AND 99999),
    ADD COLUMN quality_control      integer NOT NULL DEFAULT 0 CHECK (quality_control BETWEEN 0 AND 99999),
    ADD COLUMN incoming             integer NOT NULL DEFAULT 0 CHECK (incoming BETWEEN 0 AND 99999),
    ADD COLUMN next_incoming_at     timestamptz,
    -- Oracle: below this many units of backorder capacity the item shows out of stock.
    ADD COLUMN backorder_threshold  integer NOT NULL DEFAULT 0 CHECK (backorder_threshold BETWEEN 0 AND 99999),
    -- Oracle's preorder level and threshold, Wix's preorder settings.
    ADD COLUMN preorder_enabled     boolean NOT NULL DEFAULT false,
    ADD COLUMN preorder_limit       integer NOT NULL DEFAULT 0 CHECK (preorder_limit BETWEEN 0 AND 99999),
    ADD COLUMN preorder_threshold   integer NOT NULL DEFAULT 0 CHECK (preorder_threshold BETWEEN 0 AND 99999),
    ADD COLUMN qty_preordered       integer NOT NULL DEFAULT 0 CHECK (qty_preordered BETWEEN 0 AND 99999),
    ADD COLUMN preorder_message     text NOT NULL DEFAULT '',
    ADD COLUMN availability_date    timestamptz,
    ADD CONSTRAINT inventory_items_qty_backordered_max CHECK (qty_backordered <= 99999),
    ADD CONSTRAINT inventory_items_committed_max CHECK (committed <= 99999);

-- The quantity a movement changes at each of its ends.
CREATE TYPE quantity_state AS ENUM ('ON_HAND', 'BACKORDERED', 'DAMAGED', 'QUALITY_CONTROL', 'INCOMING', 'COMMITTED', 'PREORDERED');

-- Every change of every quantity is a movement of quantity units from one
-- location and state to another. Physical ends change an inventory item;
-- virtual ends (SUPPLIER, SOLD, BIN) are the outside world. An item's
-- level in a state is what moved in minus what moved out.
CREATE TABLE inventory_movements (
    store_id          bigint NOT NULL,
    id                bigint GENERATED ALWAYS AS IDENTITY,
    -- All movements of one mutation share its operation.
    operation_id      uuid NOT NULL,
    variant_id        bigint NOT NULL,
    from_location_id  bigint NOT NULL,
    from_state        quantity_state NOT NULL,
    to_location_id    bigint NOT NULL,
    to_state          quantity_state NOT NULL,
    quantity          integer NOT NULL CHECK (quantity > 0),
    reason            text NOT NULL,
    reference         text NOT NULL DEFAULT '',
    idempotency_key   text,
    token_id          bigint,
    -- The level of the state at each physical end after the movement.
    from_balance      integer,
    to_balance        integer,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (store_id, id),
    FOREIGN KEY (store_id, from_location_id) REFERENCES locations (store_id, id),
    FOREIGN KEY (store_id, to_location_id) REFERENCES locations (store_id, id),
    CHECK (from_location_id <> to_location_id OR from_state <> to_state)
);
-- The variant is not a foreign key: the ledger outlives deleted variants.
CREATE INDEX inventory_movements_variant_idx ON inventory_movements (store_id, variant_id, created_at, id);
CREATE INDEX inventory_movements_from_idx ON inventory_movements (store_id, from_location_id, variant_id, created_at);
CREATE INDEX inventory_movements_to_idx ON inventory_movements (store_id, to_location_id, variant_id, created_at);
CREATE INDEX inventory_movements_reference_idx ON inventory_movements (store_id, reference) WHERE reference <> '';
CREATE INDEX inventory_movements_created_idx ON inventory_movements (store_id, created_at, id);

-- A retried mutation with the same key returns the first result.
CREATE TABLE idempotency_keys (
    store_id      bigint NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    operation     text NOT NULL,
    request_hash  bytea NOT NULL,
    response      jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, key)
);

-- Every store gets its virtual locations, the far ends of adjustments.
INSERT INTO locations (store_id, code, name, type, priority)
SELECT s.id, v.code, v.name, v.type::location_type, -1000
FROM stores s
CROSS JOIN (VALUES ('SUPPLIER', 'Supplier', 'SUPPLIER'), ('SOLD', 'Sold', 'SOLD'), ('BIN', 'Shrinkage bin', 'BIN')) AS v(code, name, type)
ON CONFLICT (store_id, code) DO NOTHING;

-- Opening balances, so that the ledger adds up to the levels already held.
INSERT INTO inventory_movements (store_id, operation_id, variant_id, from_location_id, from_state, to_location_id, to_state,
                                 quantity, reason, to_balance, from_balance)
SELECT i.store_id, '00000000-0000-0000-0000-000000000000', i.variant_id,
       CASE WHEN i.on_hand > 0 THEN sup.id ELSE i.location_id END, 'ON_HAND',
       CASE WHEN i.on_hand > 0 THEN i.location_id ELSE bin.id END, 'ON_HAND',
       abs(i.on_hand), 'opening_balance',
       CASE WHEN i.on_hand > 0 THEN i.on_hand END, CASE WHEN i.on_hand < 0 THEN i.on_hand END
FROM inventory_items i
JOIN locations sup ON sup.store_id = i.store_id AND sup.code = 'SUPPLIER'
JOIN locations bin ON bin.store_id = i.store_id AND bin.code = 'BIN'
WHERE i.on_hand <> 0;

INSERT INTO inventory_movements (store_id, operation_id, variant_id, from_location_id, from_state, to_location_id, to_state,
                                 quantity, reason, to_balance)
SELECT i.store_id, '00000000-0000-0000-0000-000000000000', i.variant_id, sold.id, 'BACKORDERED', i.location_id, 'BACKORDERED',
       i.qty_backordered, 'opening_balance', i.qty_backordered
FROM inventory_items i
JOIN locations sold ON sold.store_id = i.store_id AND sold.code = 'SOLD'
WHERE i.qty_backordered > 0;

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE inventory_movements;
DROP TYPE quantity_state;
DELETE FROM locations WHERE code IN ('SUPPLIER', 'SOLD', 'BIN') AND type IN ('SUPPLIER', 'SOLD', 'BIN');
ALTER TABLE inventory_items
    DROP COLUMN damaged, DROP COLUMN quality_control, DROP COLUMN incoming, DROP COLUMN next_incoming_at,
    DROP COLUMN backorder_threshold, DROP COLUMN preorder_enabled, DROP COLUMN preorder_limit,
    DROP COLUMN preorder_threshold, DROP COLUMN qty_preordered, DROP COLUMN preorder_message,
    DROP COLUMN availability_date,
    DROP CONSTRAINT inventory_items_qty_backordered_max, DROP CONSTRAINT inventory_items_committed_max;
