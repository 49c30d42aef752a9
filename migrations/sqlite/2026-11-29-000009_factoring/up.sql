-- Factoring [affacturage]: contracts and their dated versions, the
-- factor's debtor approvals, assignments [bordereaux] and their items,
-- funding requests, and every movement on the factor account (the
-- position at any date is their sum).

-- Intra-group buyers [sociétés du groupe] are excluded by most contracts.
ALTER TABLE buyers ADD COLUMN intra_group INTEGER NOT NULL DEFAULT 0;

CREATE TABLE factoring_contracts (
    id TEXT PRIMARY KEY NOT NULL,
    factor TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    seller_id TEXT NOT NULL REFERENCES sellers(id),
    currency TEXT NOT NULL,
    -- The factor connection requests go through; NULL: answers typed in.
    connection TEXT,
    -- Assignments are numbered <contract>-000001, one sequence per contract.
    next_assignment_seq INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL
);

-- A change of terms is a new version from its effective date; rates are
-- decimal text (fractions: "0.90").
CREATE TABLE factoring_contract_versions (
    contract_id TEXT NOT NULL REFERENCES factoring_contracts(id),
    effective_from DATE NOT NULL,
    recourse TEXT NOT NULL CHECK (recourse IN ('with_recourse', 'without_recourse')),
    notification TEXT NOT NULL CHECK (notification IN ('notified', 'confidential')),
    scope TEXT NOT NULL CHECK (scope IN ('whole_turnover', 'spot')),
    advance_rate TEXT NOT NULL,
    reserve_rate TEXT NOT NULL,
    fee_rate TEXT NOT NULL,
    fee_vat_rate TEXT NOT NULL,
    reference_series TEXT NOT NULL,
    margin TEXT NOT NULL,
    recourse_days INTEGER NOT NULL CHECK (recourse_days >= 0),
    max_invoice_age_days INTEGER NOT NULL CHECK (max_invoice_age_days >= 0),
    max_term_days INTEGER NOT NULL CHECK (max_term_days >= 0),
    -- ISO 3166 alpha-2 codes, comma-separated.
    excluded_countries TEXT NOT NULL DEFAULT '',
    exclude_disputed INTEGER NOT NULL DEFAULT 1,
    exclude_intra_group INTEGER NOT NULL DEFAULT 1,
    concentration_cap TEXT NOT NULL,
    -- Days between the factor's notice of a reduced approval and its effect.
    approval_notice_days INTEGER NOT NULL DEFAULT 30,
    factor_name TEXT NOT NULL,
    factor_iban TEXT,
    subrogation_notice TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (contract_id, effective_from)
);

-- The factor's limit per buyer [agrément]: one row per decision, never
-- overwritten (the same lifecycle as insured limits).
CREATE TABLE factoring_approval_decisions (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES factoring_contracts(id),
    buyer_id TEXT NOT NULL REFERENCES buyers(id),
    kind TEXT NOT NULL,
    amount_minor BIGINT CHECK (amount_minor IS NULL OR amount_minor >= 0),
    decided_on DATE NOT NULL,
    expires_on DATE,
    reference TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX factoring_approvals_buyer ON factoring_approval_decisions(contract_id, buyer_id, created_at);

CREATE TABLE factoring_assignments (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES factoring_contracts(id),
    number TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'acknowledged', 'funded', 'closed', 'rejected')),
    assigned_on DATE NOT NULL,
    currency TEXT NOT NULL,
    -- Invoices minus credit notes, and the approved part.
    total_minor BIGINT NOT NULL,
    approved_minor BIGINT NOT NULL,
    reserve_minor BIGINT NOT NULL,
    fee_minor BIGINT NOT NULL,
    fee_vat_minor BIGINT NOT NULL,
    factor_reference TEXT,
    entry_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX factoring_assignments_contract ON factoring_assignments(contract_id);

-- One invoice or credit note of an assignment. An invoice is under at most
-- one active assignment: double financing is a fraud, so the database
-- itself refuses a second active row.
CREATE TABLE factoring_assignment_items (
    id TEXT PRIMARY KEY NOT NULL,
    assignment_id TEXT NOT NULL REFERENCES factoring_assignments(id),
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    buyer_id TEXT NOT NULL REFERENCES buyers(id),
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    gross_minor BIGINT NOT NULL CHECK (gross_minor >= 0),
    approved_minor BIGINT NOT NULL CHECK (approved_minor >= 0 AND approved_minor <= gross_minor),
    state TEXT NOT NULL CHECK (state IN ('approved', 'non_approved', 'rejected', 'collected', 'charged_back')),
    active INTEGER NOT NULL CHECK (active IN (0, 1)),
    reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX factoring_items_one_active ON factoring_assignment_items(invoice_id) WHERE active = 1;
CREATE INDEX factoring_items_assignment ON factoring_assignment_items(assignment_id);
CREATE INDEX factoring_items_buyer ON factoring_assignment_items(buyer_id, active);

-- Drawings on the available amount [demandes de financement].
CREATE TABLE factoring_fundings (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES factoring_contracts(id),
    requested_on DATE NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    state TEXT NOT NULL CHECK (state IN ('requested', 'accepted', 'refused')),
    granted_minor BIGINT CHECK (granted_minor IS NULL OR granted_minor >= 0),
    -- Not yet repaid by collections or charge-backs (financing charges run on it).
    outstanding_minor BIGINT NOT NULL DEFAULT 0 CHECK (outstanding_minor >= 0),
    value_date DATE,
    factor_reference TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX factoring_fundings_contract ON factoring_fundings(contract_id, state);

-- Every movement of the factor account, dated: amount is its effect on the
-- factor current account (467; positive: the factor owes us more), the
-- deltas move the assigned and approved outstanding, the financed amount
-- and the reserve (4678).
CREATE TABLE factoring_movements (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES factoring_contracts(id),
    kind TEXT NOT NULL,
    on_date DATE NOT NULL,
    amount_minor BIGINT NOT NULL,
    outstanding_delta BIGINT NOT NULL DEFAULT 0,
    approved_delta BIGINT NOT NULL DEFAULT 0,
    financed_delta BIGINT NOT NULL DEFAULT 0,
    reserve_delta BIGINT NOT NULL DEFAULT 0,
    assignment_id TEXT REFERENCES factoring_assignments(id),
    item_id TEXT REFERENCES factoring_assignment_items(id),
    funding_id TEXT REFERENCES factoring_fundings(id),
    entry_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX factoring_movements_contract ON factoring_movements(contract_id, on_date);

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
        'notify_overdue', 'file_claim', 'submit_assignment', 'request_funding',
        'request_approval', 'poll_approval')),
    -- The canonical request as JSON text, idempotency key included.
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    -- The business record the call belongs to.
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('limit_decision', 'notice', 'claim',
        'factoring_assignment', 'factoring_funding', 'factoring_approval')),
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
