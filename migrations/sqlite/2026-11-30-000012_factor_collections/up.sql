-- A buyer's payment the factor collected (notified contracts) settles the
-- invoice like a payment: an allocation of its own kind. SQLite cannot
-- alter a CHECK constraint: the table is rebuilt, rows and indexes kept.
CREATE TABLE allocations_new (
    id TEXT PRIMARY KEY NOT NULL,
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    source_kind TEXT NOT NULL CHECK (source_kind IN ('payment', 'credit_note', 'factor_collection')),
    source_id TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    allocated_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO allocations_new (id, invoice_id, source_kind, source_id, amount_minor, allocated_on, created_at)
    SELECT id, invoice_id, source_kind, source_id, amount_minor, allocated_on, created_at FROM allocations;
DROP TABLE allocations;
ALTER TABLE allocations_new RENAME TO allocations;
CREATE INDEX allocations_invoice ON allocations(invoice_id);
CREATE INDEX allocations_source ON allocations(source_kind, source_id);
CREATE INDEX allocations_invoice_date ON allocations(invoice_id, allocated_on, source_kind, amount_minor);
