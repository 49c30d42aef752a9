-- factorgate foundation schema (SQLite). Amounts are BIGINT minor units.

CREATE TABLE sellers (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    siren TEXT UNIQUE,
    vat TEXT UNIQUE,
    iban TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE buyers (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- A legal id belongs to one buyer only: (scheme, value) is the key.
CREATE TABLE buyer_legal_ids (
    scheme TEXT NOT NULL,
    value TEXT NOT NULL,
    buyer_id TEXT NOT NULL REFERENCES buyers(id),
    verified INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (scheme, value)
);
CREATE INDEX buyer_legal_ids_buyer ON buyer_legal_ids(buyer_id);

CREATE TABLE invoices (
    id TEXT PRIMARY KEY NOT NULL,
    seller_id TEXT NOT NULL REFERENCES sellers(id),
    buyer_id TEXT NOT NULL REFERENCES buyers(id),
    number TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    issue_date DATE NOT NULL,
    due_date DATE NOT NULL CHECK (due_date >= issue_date),
    currency TEXT NOT NULL,
    net_minor BIGINT NOT NULL,
    tax_minor BIGINT NOT NULL,
    gross_minor BIGINT NOT NULL CHECK (gross_minor = net_minor + tax_minor),
    open_minor BIGINT NOT NULL,
    payment_terms TEXT,
    lme_exceeded INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('open', 'partially_paid', 'paid', 'disputed', 'written_off')),
    credited_invoice_id TEXT REFERENCES invoices(id),
    buyer_reference TEXT,
    order_reference TEXT,
    content_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (seller_id, number)
);
CREATE INDEX invoices_buyer ON invoices(buyer_id, state);

CREATE TABLE payments (
    id TEXT PRIMARY KEY NOT NULL,
    buyer_id TEXT NOT NULL REFERENCES buyers(id),
    received_on DATE NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    unallocated_minor BIGINT NOT NULL CHECK (unallocated_minor >= 0),
    reference TEXT,
    external_id TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX payments_buyer ON payments(buyer_id);

-- What settled an invoice, and when: payments and credit notes.
CREATE TABLE allocations (
    id TEXT PRIMARY KEY NOT NULL,
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    source_kind TEXT NOT NULL CHECK (source_kind IN ('payment', 'credit_note')),
    source_id TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    allocated_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX allocations_invoice ON allocations(invoice_id);
CREATE INDEX allocations_source ON allocations(source_kind, source_id);

CREATE TABLE journals (
    code TEXT PRIMARY KEY NOT NULL,
    label TEXT NOT NULL
);
INSERT INTO journals (code, label) VALUES
    ('VE', 'Ventes'), ('BQ', 'Banque'), ('OD', 'Opérations diverses'),
    ('FA', 'Affacturage'), ('AS', 'Assurance-crédit');

-- Insert-only ledger. Lines are written first, then their entry header: the
-- header insert checks the balance, and no line can join an entry afterwards.
CREATE TABLE journal_entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    journal_code TEXT NOT NULL REFERENCES journals(code),
    entry_date DATE NOT NULL,
    label TEXT NOT NULL,
    piece_ref TEXT NOT NULL,
    piece_date DATE NOT NULL,
    event_kind TEXT NOT NULL,
    event_id TEXT NOT NULL,
    reverses_entry_id TEXT REFERENCES journal_entries(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (event_kind, event_id)
);

CREATE TABLE journal_lines (
    id INTEGER PRIMARY KEY,
    entry_id TEXT NOT NULL REFERENCES journal_entries(id) DEFERRABLE INITIALLY DEFERRED,
    line_no INTEGER NOT NULL,
    account TEXT NOT NULL,
    buyer_id TEXT,
    debit_minor BIGINT NOT NULL,
    credit_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    label TEXT NOT NULL,
    CHECK (debit_minor >= 0 AND credit_minor >= 0 AND (debit_minor = 0 OR credit_minor = 0) AND debit_minor + credit_minor > 0),
    UNIQUE (entry_id, line_no)
);
-- Only sub-ledger lines are looked up by buyer; the trial balance and the
-- FEC export read every line anyway. Each index costs every posting, so the
-- hot tables carry only the ones a query needs.
CREATE INDEX journal_lines_buyer ON journal_lines(buyer_id, account) WHERE buyer_id IS NOT NULL;

CREATE TRIGGER journal_entry_must_balance BEFORE INSERT ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_unbalanced: entry has no lines')
    WHERE NOT EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.id);
    SELECT RAISE(ABORT, 'ledger_unbalanced: debits and credits differ')
    WHERE EXISTS (
        SELECT 1 FROM journal_lines WHERE entry_id = NEW.id
        GROUP BY currency HAVING SUM(debit_minor) <> SUM(credit_minor)
    );
END;

CREATE TRIGGER journal_line_entry_still_open BEFORE INSERT ON journal_lines
BEGIN
    SELECT RAISE(ABORT, 'ledger_insert_only: entry already posted')
    WHERE EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id);
END;

CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'ledger_insert_only: journal entries cannot be changed'); END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'ledger_insert_only: journal entries cannot be deleted'); END;
CREATE TRIGGER journal_lines_no_update BEFORE UPDATE ON journal_lines
BEGIN SELECT RAISE(ABORT, 'ledger_insert_only: journal lines cannot be changed'); END;
CREATE TRIGGER journal_lines_no_delete BEFORE DELETE ON journal_lines
BEGIN SELECT RAISE(ABORT, 'ledger_insert_only: journal lines cannot be deleted'); END;

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    label TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'treasurer', 'accountant', 'finance_system')),
    key_hash TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE idempotency_keys (
    api_key_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
);
