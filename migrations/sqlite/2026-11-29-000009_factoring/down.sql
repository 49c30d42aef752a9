DELETE FROM outbox_attempts WHERE message_id IN (SELECT id FROM outbox_messages WHERE subject_kind LIKE 'factoring_%');
DELETE FROM outbox_messages WHERE subject_kind LIKE 'factoring_%';

-- The outbox carries factor calls too. SQLite cannot change a CHECK
-- constraint: the two outbox tables are rebuilt with their rows.
CREATE TABLE outbox_attempts_copy AS SELECT * FROM outbox_attempts;
CREATE TABLE outbox_messages_copy AS SELECT * FROM outbox_messages;
DROP TABLE outbox_attempts;
DROP TABLE outbox_messages;
CREATE TABLE outbox_messages (
    id TEXT PRIMARY KEY NOT NULL,
    -- The configured connection ([insurers.<name>]) the call goes through.
    connection TEXT NOT NULL,
    operation TEXT NOT NULL CHECK (operation IN ('request_limit', 'poll_decision',
        'notify_overdue', 'file_claim')),
    -- The canonical request as JSON text, idempotency key included.
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    -- The business record the call belongs to.
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('limit_decision', 'notice', 'claim')),
    subject_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'done', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    -- Attempts made before a person last asked for a retry: the retry
    -- budget counts from here.
    attempts_base INTEGER NOT NULL CHECK (attempts_base >= 0),
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_expires_at TIMESTAMP,
    result TEXT,
    last_error_code TEXT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_messages_due ON outbox_messages(state, next_attempt_at);
CREATE INDEX outbox_messages_subject ON outbox_messages(subject_kind, subject_id);
INSERT INTO outbox_messages SELECT * FROM outbox_messages_copy;
CREATE TABLE outbox_attempts (
    message_id TEXT NOT NULL REFERENCES outbox_messages(id),
    attempt INTEGER NOT NULL CHECK (attempt > 0),
    worker TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome TEXT NOT NULL CHECK (outcome IN ('in_flight', 'succeeded', 'retry', 'failed',
        'abandoned')),
    error_code TEXT,
    error_message TEXT,
    duration_ms BIGINT,
    PRIMARY KEY (message_id, attempt)
);

INSERT INTO outbox_attempts SELECT * FROM outbox_attempts_copy;
DROP TABLE outbox_attempts_copy;
DROP TABLE outbox_messages_copy;
DROP TABLE factoring_movements;
DROP TABLE factoring_fundings;
DROP TABLE factoring_assignment_items;
DROP TABLE factoring_assignments;
DROP TABLE factoring_approval_decisions;
DROP TABLE factoring_contract_versions;
DROP TABLE factoring_contracts;
ALTER TABLE buyers DROP COLUMN intra_group;
