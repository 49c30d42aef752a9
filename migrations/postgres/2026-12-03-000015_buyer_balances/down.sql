CREATE INDEX journal_lines_buyer ON journal_lines(buyer_id, account) WHERE buyer_id IS NOT NULL;
DROP TRIGGER journal_lines_buyer_balance ON journal_lines;
DROP FUNCTION buyer_ledger_balances_add_inserted();
DROP TABLE buyer_ledger_balances;
