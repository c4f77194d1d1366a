-- +goose Up
-- Commerce Layer: an inventory model is a ranking of stock locations that
-- orders ship from; each stock level puts one location in a model with a
-- priority (ship from the highest first) and on_hold (hold shipments from
-- it: backorders, preorders, made-to-order). Orders name a model, or get the
-- store's default one.
CREATE TABLE inventory_models (
    store_id    bigint NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CHECK (name <> ''),
    reference   text NOT NULL DEFAULT '',
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id),
    UNIQUE (store_id, name)
);
-- Exactly one default per store: at most one by this index, at least one
-- because the default cannot be deleted and moving the flag is one
-- transaction.
CREATE UNIQUE INDEX inventory_models_one_default ON inventory_models (store_id) WHERE is_default;

INSERT INTO inventory_models (store_id, name, is_default)
SELECT id, 'Default', true FROM stores;

CREATE TABLE stock_levels (
    store_id            bigint NOT NULL,
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    inventory_model_id  bigint NOT NULL,
    location_id         bigint NOT NULL,
    priority            integer NOT NULL DEFAULT 0,
    on_hold             boolean NOT NULL DEFAULT false,
    reference           text NOT NULL DEFAULT '',
    metadata            jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id),
    UNIQUE (store_id, inventory_model_id, location_id),
    FOREIGN KEY (store_id, inventory_model_id) REFERENCES inventory_models (store_id, id) ON DELETE CASCADE,
    -- A level means nothing without its location: deleting the location
    -- takes it out of every model.
    FOREIGN KEY (store_id, location_id) REFERENCES locations (store_id, id) ON DELETE CASCADE
);
CREATE INDEX stock_levels_location_idx ON stock_levels (store_id, location_id, id);

-- +goose Down
DROP TABLE stock_levels;
DROP TABLE inventory_models;
