-- +goose Up
-- Bulk operations (issue 11): an inventory export or import that a client
-- starts through the API and a worker of any replica runs in the
-- background (internal/bulk). The operation's row is the job: workers
-- claim it with FOR UPDATE SKIP LOCKED and a lease, as webhook deliveries
-- are claimed; a worker that dies leaves a lease that runs out, and
-- another worker resumes an import after its checkpoint (written in each
-- batch's transaction) or starts an export again.
CREATE TYPE bulk_operation_kind AS ENUM ('EXPORT', 'IMPORT');
CREATE TYPE bulk_operation_status AS ENUM ('CREATED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELED');

CREATE TABLE bulk_operations (
    store_id          bigint NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    id                bigint GENERATED ALWAYS AS IDENTITY,
    kind              bulk_operation_kind NOT NULL,
    status            bulk_operation_status NOT NULL DEFAULT 'CREATED',
    format            text NOT NULL CHECK (format IN ('csv', 'jsonl')),
    -- An export's filter (transfer.ExportFilter).
    filter            jsonb NOT NULL DEFAULT '{}',
    error_policy      text NOT NULL DEFAULT 'CONTINUE',
    -- The API token that started it: the ledger names it as each change's actor.
    token_id          bigint,
    dry_run           boolean NOT NULL DEFAULT false,
    -- A retried startInventoryImport with the same key gets the first
    -- operation back; request_hash (of the file and the options) tells a
    -- retry from another request that reuses the key.
    idempotency_key   text,
    request_hash      text NOT NULL DEFAULT '',
    -- Progress: rows read (done) of about total, rows applied or exported
    -- (rows_written), rows that failed (error_count).
    done              bigint NOT NULL DEFAULT 0,
    total             bigint NOT NULL DEFAULT 0,
    rows_written      bigint NOT NULL DEFAULT 0,
    error_count       bigint NOT NULL DEFAULT 0,
    -- Why a FAILED operation failed: a documented code and a message.
    error_code        text NOT NULL DEFAULT '',
    error_message     text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    -- When the operation's files are deleted (and its URLs stop working).
    expires_at        timestamptz,
    -- The claim: the worker's attempt that holds it and until when. A
    -- write of a worker whose lease another attempt took changes nothing
    -- (every write says lease_owner = its own).
    lease_owner       text NOT NULL DEFAULT '',
    lease_expires_at  timestamptz,
    attempts          integer NOT NULL DEFAULT 0,
    -- An import's counts after its last committed batch (transfer.Report).
    checkpoint        jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (store_id, id),
    UNIQUE (id)
);
CREATE UNIQUE INDEX bulk_operations_idempotency_key ON bulk_operations (store_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX bulk_operations_due_idx ON bulk_operations (created_at, id) WHERE status IN ('CREATED', 'RUNNING');

-- The operations' files in chunks of up to a MiB, in PostgreSQL so that
-- every replica reads what any replica received or wrote, and an upload
-- survives a restart: the import's file (input), an export's file
-- (result) and the per-line error report (errors). No store_id: the
-- operation's row says whose they are, and writing a chunk changes
-- nothing a query shows.
CREATE TABLE bulk_operation_files (
    operation_id  bigint NOT NULL REFERENCES bulk_operations (id) ON DELETE CASCADE,
    part          text NOT NULL CHECK (part IN ('input', 'result', 'errors')),
    seq           integer NOT NULL,
    data          bytea NOT NULL,
    PRIMARY KEY (operation_id, part, seq)
);

-- Secrets the server generates once for every replica, such as the key
-- that signs bulk operations' download URLs when STOCKGRAPH_BULK_URL_SECRET
-- is unset.
CREATE TABLE server_secrets (
    name    text PRIMARY KEY,
    secret  bytea NOT NULL
);

CREATE TRIGGER bulk_operations_changes_insert AFTER INSERT ON bulk_operations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION note_store_changes();
CREATE TRIGGER bulk_operations_changes_delete AFTER DELETE ON bulk_operations REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION note_store_changes();
CREATE TRIGGER bulk_operations_changes_update AFTER UPDATE ON bulk_operations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION note_store_changes();

-- +goose Down
DROP TABLE server_secrets;
DROP TABLE bulk_operation_files;
DROP TABLE bulk_operations;
DROP TYPE bulk_operation_status;
DROP TYPE bulk_operation_kind;
