-- +goose Up
-- Orders and reservations (issue: selling against stock). An order's lines
-- are sourced from the stock levels of an inventory model, highest priority
-- first; each allocation says where units come from and how: from stock
-- (committed at the location), backordered or preordered there. A
-- reservation holds units for a cart the same way until it lapses, is
-- released, or becomes an order. The item columns (committed,
-- qty_backordered, qty_preordered) are the sums of the open allocations;
-- the ledger records every change.

CREATE TABLE reservations (
    store_id            bigint NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    inventory_model_id  bigint NOT NULL,
    -- ACTIVE until it becomes an order (CONVERTED), is let go
    -- (RELEASED) or lapses at expires_at (EXPIRED); only ACTIVE holds units.
    status              text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'CONVERTED', 'RELEASED', 'EXPIRED')),
    reference           text NOT NULL DEFAULT '',
    expires_at          timestamptz NOT NULL,
    ended_at            timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id),
    FOREIGN KEY (store_id, inventory_model_id) REFERENCES inventory_models (store_id, id)
);
-- The lapse worker looks for active reservations due, across stores.
CREATE INDEX reservations_due_idx ON reservations (expires_at) WHERE status = 'ACTIVE';

CREATE TABLE orders (
    store_id            bigint NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    reference           text NOT NULL DEFAULT '',
    inventory_model_id  bigint NOT NULL,
    -- OPEN while any unit is neither fulfilled nor cancelled.
    status              text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'FULFILLED', 'CANCELLED')),
    -- Wix: a paid order may take stock below zero where the store allows it.
    paid                boolean NOT NULL DEFAULT false,
    reservation_id      bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id),
    FOREIGN KEY (store_id, inventory_model_id) REFERENCES inventory_models (store_id, id),
    FOREIGN KEY (store_id, reservation_id) REFERENCES reservations (store_id, id)
);
CREATE INDEX orders_created_idx ON orders (store_id, created_at, id);
CREATE INDEX orders_reference_idx ON orders (store_id, reference) WHERE reference <> '';
-- A reservation becomes one order at most.
CREATE UNIQUE INDEX orders_reservation_key ON orders (store_id, reservation_id) WHERE reservation_id IS NOT NULL;

-- A line of an order, or of a reservation (and then of the order it
-- became). The variant is not a foreign key: orders outlive variants, as
-- the ledger does; the SKU is kept as the line named it.
CREATE TABLE order_lines (
    store_id            bigint NOT NULL,
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    order_id            bigint,
    reservation_id      bigint,
    position            integer NOT NULL,
    variant_id          bigint NOT NULL,
    sku                 text NOT NULL,
    -- Units ordered now; fulfilled and cancelled are parts of it, and the
    -- rest is open: held by the line's allocations.
    quantity            integer NOT NULL CHECK (quantity BETWEEN 0 AND 99999),
    quantity_fulfilled  integer NOT NULL DEFAULT 0 CHECK (quantity_fulfilled >= 0),
    quantity_cancelled  integer NOT NULL DEFAULT 0 CHECK (quantity_cancelled >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id),
    CHECK (order_id IS NOT NULL OR reservation_id IS NOT NULL),
    CHECK (quantity_fulfilled + quantity_cancelled <= quantity),
    FOREIGN KEY (store_id, order_id) REFERENCES orders (store_id, id) ON DELETE CASCADE,
    FOREIGN KEY (store_id, reservation_id) REFERENCES reservations (store_id, id) ON DELETE CASCADE
);
CREATE INDEX order_lines_order_idx ON order_lines (store_id, order_id, position) WHERE order_id IS NOT NULL;
CREATE INDEX order_lines_reservation_idx ON order_lines (store_id, reservation_id, position) WHERE reservation_id IS NOT NULL;
CREATE INDEX order_lines_variant_idx ON order_lines (store_id, variant_id, id);

-- Where a line's units come from: STOCK (committed at the location, or
-- uncounted for items not tracked by quantity), BACKORDER or PREORDER (the
-- item's qty_backordered or qty_preordered). quantity is open units;
-- fulfilled units have left (stock only).
CREATE TABLE allocations (
    store_id            bigint NOT NULL,
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    line_id             bigint NOT NULL,
    location_id         bigint NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('STOCK', 'BACKORDER', 'PREORDER')),
    quantity            integer NOT NULL CHECK (quantity BETWEEN 0 AND 99999),
    quantity_fulfilled  integer NOT NULL DEFAULT 0 CHECK (quantity_fulfilled >= 0),
    -- Whether the units are counted in the item's levels (quantity tracking).
    counted             boolean NOT NULL DEFAULT true,
    -- Shipments from a held stock level, backorders and preorders wait.
    on_hold             boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (store_id, id),
    UNIQUE (store_id, line_id, location_id, kind),
    CHECK (kind = 'STOCK' OR quantity_fulfilled = 0),
    FOREIGN KEY (store_id, line_id) REFERENCES order_lines (store_id, id) ON DELETE CASCADE,
    FOREIGN KEY (store_id, location_id) REFERENCES locations (store_id, id)
);
-- Backorders and preorders waiting at a location, oldest first.
CREATE INDEX allocations_waiting_idx ON allocations (store_id, location_id, kind, created_at, id)
    WHERE kind <> 'STOCK' AND quantity > 0;

-- Events of the order steps, besides the transitions they cause.
ALTER TYPE stock_event_type ADD VALUE IF NOT EXISTS 'ALLOCATED';
ALTER TYPE stock_event_type ADD VALUE IF NOT EXISTS 'BACKORDERED';
ALTER TYPE stock_event_type ADD VALUE IF NOT EXISTS 'PREORDERED';
ALTER TYPE stock_event_type ADD VALUE IF NOT EXISTS 'RELEASED';
ALTER TYPE stock_event_type ADD VALUE IF NOT EXISTS 'FULFILLED';

-- +goose Down
DROP TABLE allocations;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE reservations;
-- Enum labels cannot be dropped; the five order step types stay.
