-- +goose Up
-- A store's switches (backorders_enabled, preorders_enabled,
-- allow_negative_stock) decide what a stock write may do, so none may
-- change while a write that read them runs, and a write must see a change
-- committed before it. Writes used to read the store row FOR SHARE: a row
-- lock every concurrent writer of the store takes, which PostgreSQL keeps
-- as a multixact once two hold it. These two functions give the same
-- guarantee with a transaction-level advisory lock keyed by the store's
-- ID, shared by writers and exclusive for a change of the switches: they
-- are the one place that lock is taken.
--
-- stock_write_store takes the shared lock, then reads the store. The
-- function is VOLATILE so that its SELECT runs with a snapshot taken
-- after the lock is granted: in the calling statement's own snapshot,
-- taken before it waited, a change of the switches that committed while
-- it waited would not be seen.
-- +goose StatementBegin
CREATE FUNCTION stock_write_store(store bigint) RETURNS SETOF stores
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(store);
    RETURN QUERY SELECT * FROM stores WHERE id = store;
END
$$;
-- +goose StatementEnd

-- lock_store_switches waits for the writes that read the store's switches
-- and keeps new ones waiting until the caller's transaction ends.
-- +goose StatementBegin
CREATE FUNCTION lock_store_switches(store bigint) RETURNS void
LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(store);
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION lock_store_switches(bigint);
DROP FUNCTION stock_write_store(bigint);
