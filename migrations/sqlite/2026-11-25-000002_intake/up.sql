-- What e-invoices state beyond the foundation's invoice: the EN 16931 type
-- code, line total, prepaid and payable amounts, who is to be paid (a factor
-- when the invoice is factored), the seller's bank account, and where the
-- invoice came from.
ALTER TABLE invoices ADD COLUMN type_code TEXT NOT NULL DEFAULT '380';
ALTER TABLE invoices ADD COLUMN line_total_minor BIGINT;
ALTER TABLE invoices ADD COLUMN prepaid_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN payable_minor BIGINT;
ALTER TABLE invoices ADD COLUMN payee_name TEXT;
ALTER TABLE invoices ADD COLUMN payee_id TEXT;
ALTER TABLE invoices ADD COLUMN seller_iban TEXT;
ALTER TABLE invoices ADD COLUMN source_format TEXT NOT NULL DEFAULT 'api';
ALTER TABLE invoices ADD COLUMN profile TEXT;
