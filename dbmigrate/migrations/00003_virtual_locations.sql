-- +goose Up
-- Each store has exactly one location of each virtual type, built in: the
-- ledger's far ends are found by type.
CREATE UNIQUE INDEX locations_one_virtual_per_type ON locations (store_id, type)
    WHERE type IN ('SUPPLIER', 'SOLD', 'BIN');

-- +goose Down
DROP INDEX locations_one_virtual_per_type;
