-- The outbox: every call to a counterparty is written here in the same
-- transaction as the change that needs it, and sent by a worker. The
-- idempotency key travels in the stored payload, so a retry is never a
-- second request.
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

-- One row per attempt, written before the call goes out (outcome
-- 'in_flight') and completed after; a worker that died mid-call leaves
-- its row, marked 'abandoned' when the lease is taken over.
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

-- A policy linked to an insurer connection sends its limit requests,
-- notices and claims through the outbox; without one, decisions are typed
-- in by a person as before.
ALTER TABLE insurance_policies ADD COLUMN connection TEXT;
-- The insurer's reference once it has acknowledged a notice or a claim.
ALTER TABLE insurance_notices ADD COLUMN insurer_reference TEXT;
ALTER TABLE insurance_claims ADD COLUMN insurer_reference TEXT;
