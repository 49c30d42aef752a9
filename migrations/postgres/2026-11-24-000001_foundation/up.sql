-- factorgate foundation schema (PostgreSQL). Amounts are BIGINT minor units.

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

-- Insert-only ledger. Lines are written first, then their entry header; a
-- deferred constraint trigger checks each entry balances per currency at
-- commit, and no line can join an entry once its header exists.
CREATE TABLE journal_entries (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    -- A check, not a foreign key: the journals are fixed, and a key check
    -- per entry is a query per entry.
    journal_code TEXT NOT NULL CHECK (journal_code IN ('VE', 'BQ', 'OD', 'FA', 'AS')),
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
    id BIGSERIAL PRIMARY KEY,
    -- No foreign key: the statement-level triggers below check that every
    -- line's entry is written by the same statement (and entries are never
    -- deleted), which a per-row key check would repeat for every line.
    entry_id TEXT NOT NULL,
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

-- Entries and their lines are written by one statement (a data-modifying
-- WITH); the checks are set-based, one per statement however many entries
-- it carries, where a per-row trigger would cost a function call and a query
-- per entry. After the statement: every new entry has lines that balance per
-- currency, and every new line belongs to an entry that exists and has no
-- lines from an earlier statement (entries are insert-only).
-- The transition table has no statistics, and the ledger's may be stale: a
-- planner left free may sort, hash or scan the whole ledger to join a few
-- hundred new rows to it. LATERAL with seqscan off makes each new row one
-- index probe, whatever the statistics say.
CREATE FUNCTION journal_entries_must_balance() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
    bad TEXT;
BEGIN
    SELECT n.id INTO bad FROM new_entries n
    LEFT JOIN LATERAL (
        SELECT true AS found FROM journal_lines l WHERE l.entry_id = n.id LIMIT 1
    ) line ON true
    WHERE line.found IS NULL
    LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger_unbalanced: entry % has no lines', bad USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER journal_entries_must_balance
    AFTER INSERT ON journal_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION journal_entries_must_balance();

-- All lines of an entry are in the statement that wrote it, so its balance
-- is summed from the statement's own rows.
CREATE FUNCTION journal_line_entry_still_open() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
    bad RECORD;
BEGIN
    SELECT added.entry_id, posted.found INTO bad
    FROM (SELECT entry_id, count(*) AS lines FROM new_lines GROUP BY entry_id) added
    CROSS JOIN LATERAL (
        SELECT count(*) AS lines FROM journal_lines l WHERE l.entry_id = added.entry_id
    ) total
    LEFT JOIN LATERAL (
        SELECT true AS found FROM journal_entries e WHERE e.id = added.entry_id LIMIT 1
    ) posted ON true
    WHERE posted.found IS NULL OR total.lines <> added.lines
    LIMIT 1;
    IF bad.entry_id IS NOT NULL AND bad.found IS NULL THEN
        RAISE EXCEPTION 'ledger_orphan_lines: lines of entry % written without their entry', bad.entry_id USING ERRCODE = 'foreign_key_violation';
    ELSIF bad.entry_id IS NOT NULL THEN
        RAISE EXCEPTION 'ledger_insert_only: entry % already posted', bad.entry_id USING ERRCODE = 'check_violation';
    END IF;
    SELECT entry_id INTO bad FROM new_lines
    GROUP BY entry_id, currency HAVING SUM(debit_minor) <> SUM(credit_minor)
    LIMIT 1;
    IF bad.entry_id IS NOT NULL THEN
        RAISE EXCEPTION 'ledger_unbalanced: entry % debits and credits differ', bad.entry_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER journal_line_entry_still_open
    AFTER INSERT ON journal_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION journal_line_entry_still_open();

CREATE FUNCTION ledger_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_insert_only: % on % is not allowed', TG_OP, TG_TABLE_NAME USING ERRCODE = 'check_violation';
END $$;

CREATE TRIGGER journal_entries_insert_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_insert_only();
CREATE TRIGGER journal_lines_insert_only BEFORE UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION ledger_insert_only();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_insert_only();
CREATE TRIGGER journal_lines_no_truncate BEFORE TRUNCATE ON journal_lines
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_insert_only();

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
