DROP INDEX invoices_buyer;
CREATE INDEX invoices_buyer ON invoices(buyer_id, state);
CREATE INDEX invoices_buyer_open_due ON invoices(buyer_id, due_date)
WHERE kind = 'invoice' AND open_minor > 0;

CREATE INDEX journal_lines_buyer ON journal_lines(buyer_id, account) WHERE buyer_id IS NOT NULL;
DROP TRIGGER journal_lines_buyer_balance;
DROP TABLE buyer_ledger_balances;
