-- +goose Up
-- Idempotency keys name their mutation as the schema does.
UPDATE idempotency_keys SET operation = 'adjustInventoryRelative' WHERE operation = 'adjustInventoryRELATIVE';
UPDATE idempotency_keys SET operation = 'adjustInventoryAbsolute' WHERE operation = 'adjustInventoryABSOLUTE';

-- Only an item tracked by STATUS has an in-stock status of its own; the
-- others are in stock by their quantities (QUANTITY) or always
-- (UNTRACKED), and show true.
UPDATE inventory_items SET is_in_stock = true WHERE tracking_mode <> 'STATUS' AND NOT is_in_stock;

-- +goose Down
UPDATE idempotency_keys SET operation = 'adjustInventoryRELATIVE' WHERE operation = 'adjustInventoryRelative';
UPDATE idempotency_keys SET operation = 'adjustInventoryABSOLUTE' WHERE operation = 'adjustInventoryAbsolute';
