-- +goose Up
-- The ledger's two foreign keys to locations and the stock events' to
-- stores were checked for every row a write inserts: a third of the
-- PostgreSQL time of a 1,000-item write, and a FOR KEY SHARE lock on the
-- location and store rows that every concurrent writer took, which
-- PostgreSQL keeps as a multixact once two hold it. What they guarded
-- holds another way:
--
-- * A movement's locations exist when it is written. Each end of a
--   movement is either a built-in location (SUPPLIER, SOLD, BIN), which is
--   never deleted, or a physical location whose inventory item the write
--   holds FOR UPDATE; catalog.DeleteLocation locks a location's items
--   before it looks for ledger history and deletes, so the two run one
--   after the other. The write also checks that it updated every item it
--   locked (inventory's write step).
-- * A location with ledger history is never deleted: the trigger below
--   refuses it, as the foreign key did.
-- * A store's events go with the store: the trigger below deletes them,
--   as ON DELETE CASCADE did.
ALTER TABLE inventory_movements
    DROP CONSTRAINT inventory_movements_store_id_from_location_id_fkey,
    DROP CONSTRAINT inventory_movements_store_id_to_location_id_fkey;
ALTER TABLE stock_events DROP CONSTRAINT stock_events_store_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION keep_locations_with_history() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inventory_movements
               WHERE store_id = OLD.store_id AND (from_location_id = OLD.id OR to_location_id = OLD.id)) THEN
        RAISE EXCEPTION 'location % of store % has ledger history', OLD.id, OLD.store_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER locations_keep_history BEFORE DELETE ON locations
    FOR EACH ROW EXECUTE FUNCTION keep_locations_with_history();

-- +goose StatementBegin
CREATE FUNCTION delete_store_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM stock_events WHERE store_id = OLD.id;
    RETURN OLD;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER stores_delete_events BEFORE DELETE ON stores
    FOR EACH ROW EXECUTE FUNCTION delete_store_events();

-- +goose Down
DROP TRIGGER stores_delete_events ON stores;
DROP FUNCTION delete_store_events();
DROP TRIGGER locations_keep_history ON locations;
DROP FUNCTION keep_locations_with_history();
ALTER TABLE stock_events ADD CONSTRAINT stock_events_store_id_fkey
    FOREIGN KEY (store_id) REFERENCES stores (id) ON DELETE CASCADE;
ALTER TABLE inventory_movements
    ADD CONSTRAINT inventory_movements_store_id_from_location_id_fkey
        FOREIGN KEY (store_id, from_location_id) REFERENCES locations (store_id, id),
    ADD CONSTRAINT inventory_movements_store_id_to_location_id_fkey
        FOREIGN KEY (store_id, to_location_id) REFERENCES locations (store_id, id);
