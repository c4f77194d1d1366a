-- +goose Up
-- Two store settings that stock writes read (issue 11, Wix and Oracle):
--   - default_location_id: where a write that leaves out locationId goes
--     (Wix's default location; Oracle's SKU-level updates name no
--     location). It is a physical, enabled location of the store: the
--     foreign key keeps it the store's own and keeps it from being
--     deleted, and catalog.DeleteLocation and UpdateLocation refuse
--     first with DEFAULT_LOCATION_IN_USE, which says what to do.
--   - require_expected_revision: every write that names an existing item
--     must pass expectedRevision (Wix), else REVISION_REQUIRED.
-- Both are read with the switches (stock_write_store), so a write sees a
-- change committed before it and none changes while it runs.
ALTER TABLE stores
    ADD COLUMN default_location_id bigint,
    ADD COLUMN require_expected_revision boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT stores_default_location_fkey FOREIGN KEY (id, default_location_id) REFERENCES locations (store_id, id);

-- The first physical location (the oldest enabled STORE or WAREHOUSE) is
-- each existing store's default.
UPDATE stores s SET default_location_id = (
    SELECT l.id FROM locations l
    WHERE l.store_id = s.id AND l.type IN ('STORE', 'WAREHOUSE') AND l.enabled
    ORDER BY l.id LIMIT 1);

-- +goose StatementBegin
-- A store without a default (a new store, or one that had no enabled
-- physical location) takes the first enabled physical location created
-- or enabled in it. Triggers, so that every way of writing locations
-- (the API, seed, import) does.
CREATE FUNCTION default_first_location() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE stores s SET default_location_id = f.id
    FROM (SELECT DISTINCT ON (store_id) store_id, id FROM new_rows
          WHERE type IN ('STORE', 'WAREHOUSE') AND enabled ORDER BY store_id, id) f
    WHERE s.id = f.store_id AND s.default_location_id IS NULL;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER locations_default_first AFTER INSERT ON locations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION default_first_location();
CREATE TRIGGER locations_default_enabled AFTER UPDATE ON locations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION default_first_location();

-- +goose Down
DROP TRIGGER locations_default_enabled ON locations;
DROP TRIGGER locations_default_first ON locations;
DROP FUNCTION default_first_location();
ALTER TABLE stores DROP CONSTRAINT stores_default_location_fkey,
    DROP COLUMN require_expected_revision,
    DROP COLUMN default_location_id;
