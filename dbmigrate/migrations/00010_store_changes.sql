-- +goose Up
-- The store's change position (issue 10: conditional reads). Every
-- transaction that changes a store's data leaves one row here, written by
-- the triggers below in that transaction, so no write path can forget it;
-- internal/changes reads the position from these rows and the reader's
-- snapshot. stock_events alone would not do: catalog, configuration,
-- order, webhook and token changes emit no stock event.
--
-- No foreign key to stores: inserting a row that references the store
-- would take FOR KEY SHARE on the store's row in every writing
-- transaction, and so many at once share it through a multixact.
CREATE TABLE store_changes (
    store_id  bigint NOT NULL,
    -- The writing transaction (the top-level one, also from a savepoint).
    xid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (store_id, xid)
);

-- +goose StatementBegin
-- One row per store and transaction, however many statements and rows:
-- the first statement inserts it, the others find it there.
CREATE FUNCTION note_store_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO store_changes (store_id) SELECT DISTINCT store_id FROM new_rows ON CONFLICT DO NOTHING;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO store_changes (store_id) SELECT DISTINCT store_id FROM old_rows ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO store_changes (store_id)
        SELECT store_id FROM new_rows UNION SELECT store_id FROM old_rows ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

-- The stores table itself: its id is the store.
CREATE FUNCTION note_stores_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO store_changes (store_id) SELECT DISTINCT id FROM new_rows ON CONFLICT DO NOTHING;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO store_changes (store_id) SELECT DISTINCT id FROM old_rows ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO store_changes (store_id)
        SELECT id FROM new_rows UNION SELECT id FROM old_rows ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- Statement triggers with transition tables, one per table and event (a
-- bulk import is one statement, one trigger call), on every table with a
-- store_id column and on stores. Two tables are left out, on purpose
-- (TestStoreChangeTriggers in dbmigrate keeps the list honest):
--   - audit_log: only the audit triggers write it, in the transaction of
--     a change to a table that has its own triggers here;
--   - api_token_use: authentication touches it once a minute per token,
--     and no query serves it (only `stockgraph token list` reads
--     lastUsedAt), so it must not move the position of every dashboard.
DO $$
DECLARE
    t record;
    fn text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind = 'r'
               AND (c.relname = 'stores' OR EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = c.oid AND a.attname = 'store_id' AND NOT a.attisdropped))
               AND c.relname NOT IN ('store_changes', 'audit_log', 'api_token_use')
    LOOP
        fn := CASE WHEN t.relname = 'stores' THEN 'note_stores_changes' ELSE 'note_store_changes' END;
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION %I()', t.relname || '_changes_insert', t.relname, fn);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION %I()', t.relname || '_changes_delete', t.relname, fn);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION %I()', t.relname || '_changes_update', t.relname, fn);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tgname, tgrelid::regclass AS tbl FROM pg_trigger
             WHERE tgname ~ '_changes_(insert|update|delete)$' AND NOT tgisinternal
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.tbl);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION note_stores_changes();
DROP FUNCTION note_store_changes();
DROP TABLE store_changes;
