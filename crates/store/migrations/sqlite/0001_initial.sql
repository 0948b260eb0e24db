-- The initial SQLite schema: API keys, executions (the queue), their live
-- output and the webhook outbox. Timestamps are epoch milliseconds.

CREATE TABLE api_keys (
    prefix     TEXT PRIMARY KEY NOT NULL,
    hash       BLOB NOT NULL,
    user_name  TEXT NOT NULL,
    is_admin   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE executions (
    seq                     INTEGER PRIMARY KEY AUTOINCREMENT,
    id                      TEXT NOT NULL UNIQUE,
    kind                    TEXT NOT NULL,
    user_name               TEXT NOT NULL,
    status                  TEXT NOT NULL CHECK (status IN
                                ('queued', 'running', 'succeeded', 'failed', 'timed_out', 'canceled')),
    cancel_requested        INTEGER NOT NULL DEFAULT 0,
    priority                INTEGER NOT NULL,
    timeout_secs            INTEGER NOT NULL,
    -- JSON of the domain JobSpec.
    job                     TEXT NOT NULL,
    -- JSON of the domain Outcome, once ended.
    outcome                 TEXT,
    created_at              INTEGER NOT NULL,
    started_at              INTEGER,
    finished_at             INTEGER,
    node_id                 TEXT,
    lease_until             INTEGER,
    subject                 TEXT,
    idempotency_key         TEXT,
    idempotency_fingerprint TEXT
);

-- The claim query: queued, highest priority, then oldest.
CREATE INDEX executions_claim ON executions (status, priority DESC, seq);
-- Running executions per user (the per-user limit) and a user's listings.
CREATE INDEX executions_user_status ON executions (user_name, status);
CREATE INDEX executions_user_seq ON executions (user_name, seq);
CREATE INDEX executions_subject ON executions (subject, seq);
-- Lease renewal and orphan detection only look at running rows.
CREATE INDEX executions_running_node ON executions (node_id, lease_until)
    WHERE status = 'running';
CREATE UNIQUE INDEX executions_idempotency ON executions (user_name, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id    TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    held_until      INTEGER,
    held_by         TEXT,
    delivered_at    INTEGER,
    gave_up_at      INTEGER,
    last_error      TEXT
);

CREATE INDEX webhook_outbox_pending ON webhook_outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX webhook_outbox_execution ON webhook_outbox (execution_id);

CREATE TABLE execution_output (
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    stream       TEXT NOT NULL,
    data         BLOB NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (execution_id, seq)
);
