-- +goose Up
-- Tokens can expire and say when they were last used; catalog,
-- configuration, webhook and token changes leave an audit row (issue:
-- hardening).
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;

-- When each token was last used, touched at most once a minute by
-- authentication. A table of its own, so that touching it takes no lock
-- a request waits for and changes no audited row.
CREATE TABLE api_token_use (
    store_id      bigint NOT NULL,
    token_id      bigint NOT NULL,
    last_used_at  timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (store_id, token_id),
    FOREIGN KEY (store_id, token_id) REFERENCES api_tokens (store_id, id) ON DELETE CASCADE
);
INSERT INTO api_token_use (store_id, token_id) SELECT store_id, id FROM api_tokens;

-- Who changed what, when. Written by the triggers below, in the change's
-- own transaction, so no write path can forget it. token_id is the API
-- token whose request made the change (the transaction-local setting
-- stockgraph.token_id, set by internal/database for writes under a
-- token); NULL is the command line or the server itself. No foreign key
-- to stores: the log outlives what it describes, as the ledger does.
CREATE TABLE audit_log (
    store_id    bigint NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    token_id    bigint,
    action      text NOT NULL CHECK (action IN ('CREATE', 'UPDATE', 'DELETE')),
    -- What kind of object: product, variant, location, inventory_model,
    -- stock_level, store (its configuration), webhook, api_token.
    subject     text NOT NULL,
    subject_id  bigint NOT NULL,
    -- CREATE and DELETE: the row; UPDATE: {column: [before, after]} of the
    -- columns that changed. Secrets and bookkeeping columns are left out.
    changes     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (store_id, id)
);
CREATE INDEX audit_log_subject_idx ON audit_log (store_id, subject, subject_id, id);

-- +goose StatementBegin
CREATE FUNCTION audit_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who bigint := nullif(current_setting('stockgraph.token_id', true), '')::bigint;
    -- Never logged: secrets, and columns the server moves by itself.
    hidden text[] := ARRAY['token_hash', 'secret', 'created_at', 'updated_at', 'revision',
                           'fanout_xid', 'fanout_id', 'failing_since', 'consecutive_failures'];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO audit_log (store_id, token_id, action, subject, subject_id, changes)
        SELECT coalesce((n ->> 'store_id')::bigint, (n ->> 'id')::bigint), who, 'UPDATE', TG_ARGV[0], (n ->> 'id')::bigint, d
        FROM (SELECT to_jsonb(o) AS o, to_jsonb(nw) AS n FROM old_rows o JOIN new_rows nw ON to_jsonb(o) -> 'id' = to_jsonb(nw) -> 'id'
              AND (to_jsonb(o) -> 'store_id') IS NOT DISTINCT FROM (to_jsonb(nw) -> 'store_id')) pair,
        LATERAL (SELECT jsonb_object_agg(k, jsonb_build_array(o -> k, n -> k)) AS d
                 FROM jsonb_object_keys(n) k WHERE k <> ALL (hidden) AND (o -> k) IS DISTINCT FROM (n -> k)) diff
        WHERE d IS NOT NULL;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO audit_log (store_id, token_id, action, subject, subject_id, changes)
        SELECT coalesce((r ->> 'store_id')::bigint, (r ->> 'id')::bigint), who, 'CREATE', TG_ARGV[0], (r ->> 'id')::bigint, r - hidden
        FROM (SELECT to_jsonb(nw) AS r FROM new_rows nw) x;
    ELSE
        INSERT INTO audit_log (store_id, token_id, action, subject, subject_id, changes)
        SELECT coalesce((r ->> 'store_id')::bigint, (r ->> 'id')::bigint), who, 'DELETE', TG_ARGV[0], (r ->> 'id')::bigint, r - hidden
        FROM (SELECT to_jsonb(o) AS r FROM old_rows o) x;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- One trigger per table and event: a statement-level trigger sees all the
-- rows a statement changed (a bulk import is one INSERT … SELECT here).
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('products', 'product'), ('variants', 'variant'), ('locations', 'location'),
                                   ('inventory_models', 'inventory_model'), ('stock_levels', 'stock_level'),
                                   ('webhooks', 'webhook'), ('api_tokens', 'api_token'), ('stores', 'store')) AS v(tbl, subject)
    LOOP
        IF t.tbl <> 'stores' THEN
            EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                            FOR EACH STATEMENT EXECUTE FUNCTION audit_changes(%L)', t.tbl || '_audit_insert', t.tbl, t.subject);
            EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                            FOR EACH STATEMENT EXECUTE FUNCTION audit_changes(%L)', t.tbl || '_audit_delete', t.tbl, t.subject);
        END IF;
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION audit_changes(%L)', t.tbl || '_audit_update', t.tbl, t.subject);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['products', 'variants', 'locations', 'inventory_models', 'stock_levels', 'webhooks', 'api_tokens', 'stores'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_audit_insert', tbl);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_audit_delete', tbl);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_audit_update', tbl);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION audit_changes();
DROP TABLE audit_log;
DROP TABLE api_token_use;
ALTER TABLE api_tokens DROP COLUMN expires_at;
