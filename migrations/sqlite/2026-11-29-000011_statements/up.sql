-- Statements received (bank camt.053/054 and CFONB 120 now; factor and
-- insurer statements later, hence source_kind) and their lines, matched to
-- invoices or waiting in suspense for a person.
CREATE TABLE statements (
    id TEXT PRIMARY KEY NOT NULL,
    source_kind TEXT NOT NULL CHECK (source_kind IN ('bank', 'factor', 'insurer')),
    format TEXT NOT NULL,
    -- The sender's id of the statement (camt Stmt/Id).
    statement_ref TEXT NOT NULL,
    account TEXT NOT NULL,
    currency TEXT NOT NULL,
    from_date DATE,
    to_date DATE,
    opening_minor BIGINT,
    closing_minor BIGINT,
    balance_check TEXT NOT NULL CHECK (balance_check IN ('reconciled', 'not_given')),
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    UNIQUE (source_kind, account, statement_ref)
);

CREATE TABLE statement_movements (
    id TEXT PRIMARY KEY NOT NULL,
    statement_id TEXT NOT NULL REFERENCES statements(id),
    -- account | entry reference | detail index, where the entry reference
    -- is the bank's booking reference (AcctSvcrRef) when given, else the
    -- statement id with NtryRef or the entry's position: a second import,
    -- or an overlapping statement, finds the line already known.
    movement_key TEXT NOT NULL UNIQUE,
    entry_ref TEXT NOT NULL,
    detail_index INTEGER NOT NULL,
    -- Signed: credits positive, debits negative.
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    booked INTEGER NOT NULL,
    booked_on DATE,
    value_on DATE,
    counterparty_name TEXT,
    counterparty_iban TEXT,
    remittance TEXT NOT NULL,
    structured_ref TEXT,
    end_to_end_id TEXT,
    state TEXT NOT NULL CHECK (state IN ('matched', 'suggested', 'unmatched', 'ignored')),
    buyer_id TEXT REFERENCES buyers(id),
    -- The proposed or applied settlement, JSON: allocations and credit.
    proposal TEXT,
    score INTEGER,
    method TEXT,
    explanation TEXT,
    payment_id TEXT REFERENCES payments(id),
    -- The entry that parked the money in suspense (471), if any.
    suspense_entry_id TEXT,
    -- A buyer under a notified factoring contract paid us: the money is the
    -- factor's and must be forwarded. Set once factoring contracts exist.
    forward_to_factor INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX statement_movements_statement ON statement_movements(statement_id);
CREATE INDEX statement_movements_state ON statement_movements(state);

-- Buyers' bank accounts: configured, or learnt from confirmed matches.
CREATE TABLE buyer_bank_accounts (
    iban TEXT PRIMARY KEY NOT NULL,
    buyer_id TEXT NOT NULL REFERENCES buyers(id),
    source TEXT NOT NULL CHECK (source IN ('configured', 'learnt')),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX buyer_bank_accounts_buyer ON buyer_bank_accounts(buyer_id);
