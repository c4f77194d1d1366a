-- +goose Up
-- Every table carries store_id, and every primary, unique and foreign key
-- starts with it, so that the data can later be distributed by store.

CREATE TABLE stores (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    handle                text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name                  text NOT NULL,
    backorders_enabled    boolean NOT NULL DEFAULT false,
    preorders_enabled     boolean NOT NULL DEFAULT false,
    allow_negative_stock  boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- Physical locations (STORE, WAREHOUSE) hold stock that can be sold; virtual
-- ones (SUPPLIER, SOLD, BIN) are the other ends of movements.
CREATE TYPE location_type AS ENUM ('STORE', 'WAREHOUSE', 'SUPPLIER', 'SOLD', 'BIN');

CREATE TABLE locations (
    store_id       bigint NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    code           text NOT NULL CHECK (code <> ''),
    name           text NOT NULL CHECK (name <> ''),
    type           location_type NOT NULL DEFAULT 'WAREHOUSE',
    enabled        boolean NOT NULL DEFAULT true,
    -- Commerce Layer: ship from the highest priority first; hold shipments.
    priority       integer NOT NULL DEFAULT 0,
    on_hold        boolean NOT NULL DEFAULT false,
    address_line1  text NOT NULL DEFAULT '',
    address_line2  text NOT NULL DEFAULT '',
    city           text NOT NULL DEFAULT '',
    region         text NOT NULL DEFAULT '',
    postal_code    text NOT NULL DEFAULT '',
    country_code   text NOT NULL DEFAULT '',
    phone          text NOT NULL DEFAULT '',
    email          text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id),
    UNIQUE (store_id, code)
);

CREATE TABLE products (
    store_id     bigint NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    name         text NOT NULL CHECK (name <> ''),
    sku          text NOT NULL DEFAULT '',
    description  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id)
);
-- A product SKU is optional but unique when given.
CREATE UNIQUE INDEX products_store_sku_key ON products (store_id, sku) WHERE sku <> '';
-- Keyset pagination sorts by one column and then id.
CREATE INDEX products_store_name_idx ON products (store_id, name, id);
CREATE INDEX products_store_created_idx ON products (store_id, created_at, id);

CREATE TABLE variants (
    store_id     bigint NOT NULL,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    product_id   bigint NOT NULL,
    sku          text NOT NULL CHECK (sku <> ''),
    name         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id),
    UNIQUE (store_id, sku),
    FOREIGN KEY (store_id, product_id) REFERENCES products (store_id, id) ON DELETE CASCADE
);
CREATE INDEX variants_product_idx ON variants (store_id, product_id, id);

-- Exactly one inventory item per variant and location.
CREATE TABLE inventory_items (
    store_id            bigint NOT NULL,
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    variant_id          bigint NOT NULL,
    location_id         bigint NOT NULL,
    on_hand             integer NOT NULL DEFAULT 0 CHECK (on_hand BETWEEN -99999 AND 99999),
    -- Units promised to orders but not shipped yet (filled by the orders work).
    committed           integer NOT NULL DEFAULT 0 CHECK (committed >= 0),
    qty_backordered     integer NOT NULL DEFAULT 0 CHECK (qty_backordered >= 0),
    safety_stock        integer NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
    warning_level       integer NOT NULL DEFAULT 0 CHECK (warning_level >= 0),
    backorder_limit     integer NOT NULL DEFAULT 0 CHECK (backorder_limit >= 0),
    bin_picking_number  text NOT NULL DEFAULT '',
    tracking_mode       text NOT NULL DEFAULT 'QUANTITY' CHECK (tracking_mode IN ('QUANTITY', 'STATUS', 'UNTRACKED')),
    is_in_stock         boolean NOT NULL DEFAULT true,
    revision            bigint NOT NULL DEFAULT 1,
    reference           text NOT NULL DEFAULT '',
    metadata            jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id),
    UNIQUE (store_id, variant_id, location_id),
    FOREIGN KEY (store_id, variant_id) REFERENCES variants (store_id, id) ON DELETE CASCADE,
    FOREIGN KEY (store_id, location_id) REFERENCES locations (store_id, id) ON DELETE RESTRICT
);
CREATE INDEX inventory_items_location_idx ON inventory_items (store_id, location_id, id);

CREATE TABLE api_tokens (
    store_id      bigint NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    name          text NOT NULL DEFAULT '',
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash    bytea NOT NULL UNIQUE,
    scopes        text[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    PRIMARY KEY (store_id, id)
);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE inventory_items;
DROP TABLE variants;
DROP TABLE products;
DROP TABLE locations;
DROP TYPE location_type;
DROP TABLE stores;
