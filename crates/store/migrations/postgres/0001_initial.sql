-- The PostgreSQL schema: API keys, executions (the queue), their live output,
-- the webhook outbox and the catalog. Several nodes share it.
--
-- Timestamps are epoch milliseconds (BIGINT), binary data is BYTEA, ids TEXT.
-- Job specs, outcomes and catalog bodies are documents runbox never queries
-- inside, stored as JSON rather than JSONB: JSONB refuses the escape \u0000,
-- which a program's captured output (part of the outcome) may well contain.

CREATE TABLE api_keys (
    prefix     TEXT PRIMARY KEY,
    hash       BYTEA NOT NULL,
    user_name  TEXT NOT NULL,
    is_admin   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    -- Insertion order, to list keys created in the same millisecond stably.
    position   BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE executions (
    seq                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                      TEXT NOT NULL UNIQUE,
    kind                    TEXT NOT NULL,
    user_name               TEXT NOT NULL,
    status                  TEXT NOT NULL CHECK (status IN
                                ('queued', 'running', 'succeeded', 'failed', 'timed_out', 'canceled')),
    cancel_requested        BOOLEAN NOT NULL DEFAULT FALSE,
    priority                INTEGER NOT NULL,
    timeout_secs            INTEGER NOT NULL,
    -- The domain JobSpec.
    job                     JSON NOT NULL,
    -- The domain Outcome, once ended.
    outcome                 JSON,
    created_at              BIGINT NOT NULL,
    started_at              BIGINT,
    finished_at             BIGINT,
    node_id                 TEXT,
    lease_until             BIGINT,
    subject                 TEXT,
    idempotency_key         TEXT,
    idempotency_fingerprint TEXT
);

-- The claim query and the queue-length count: queued, highest priority, then oldest.
CREATE INDEX executions_queued ON executions (priority DESC, seq) WHERE status = 'queued';
-- Running executions per user (the per-user limit).
CREATE INDEX executions_running_user ON executions (user_name) WHERE status = 'running';
-- Lease renewal and orphan detection only look at running rows.
CREATE INDEX executions_running_node ON executions (node_id, lease_until)
    WHERE status = 'running';
-- Listings.
CREATE INDEX executions_user_seq ON executions (user_name, seq);
CREATE INDEX executions_subject ON executions (subject, seq);
CREATE INDEX executions_status_seq ON executions (status, seq);
CREATE UNIQUE INDEX executions_idempotency ON executions (user_name, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE webhook_outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    execution_id    TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    held_until      BIGINT,
    held_by         TEXT,
    delivered_at    BIGINT,
    gave_up_at      BIGINT,
    last_error      TEXT
);

CREATE INDEX webhook_outbox_pending ON webhook_outbox (next_attempt_at, id)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX webhook_outbox_execution ON webhook_outbox (execution_id);

CREATE TABLE execution_output (
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    stream       TEXT NOT NULL,
    data         BYTEA NOT NULL,
    at           BIGINT NOT NULL,
    PRIMARY KEY (execution_id, seq)
);

-- The catalog: buttons, agents and scenarios as JSON bodies owned by a user,
-- with a never-reused number per kind and a schedule tick.
CREATE TABLE catalog (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    number     BIGINT NOT NULL,
    owner      TEXT NOT NULL,
    body       JSON NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    next_tick  BIGINT,
    PRIMARY KEY (kind, id)
);

CREATE UNIQUE INDEX catalog_number ON catalog (kind, number);

CREATE TABLE catalog_counters (
    kind TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);
