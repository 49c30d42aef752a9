-- The receivable sub-ledger balance of a buyer [solde du compte client],
-- kept per account and currency by a statement trigger, as the exposure
-- is, in the lines' own transaction. It was the only reader of
-- journal_lines_buyer, an index that took each batch's lines at as many
-- places as the batch had buyers. Lines are insert-only, so an insert is
-- the only change to follow. Rows are upserted in key order, so two
-- transactions never wait on each other in a cycle; concurrent writers for
-- one buyer add their sums one after the other and none is lost. The
-- ledger test checks the kept sums against the lines after random
-- sequences of events.
CREATE TABLE buyer_ledger_balances (
    buyer_id TEXT NOT NULL,
    account TEXT NOT NULL,
    currency TEXT NOT NULL,
    debit_minor BIGINT NOT NULL,
    credit_minor BIGINT NOT NULL,
    PRIMARY KEY (buyer_id, account, currency)
);

INSERT INTO buyer_ledger_balances (buyer_id, account, currency, debit_minor, credit_minor)
SELECT buyer_id, account, currency, SUM(debit_minor), SUM(credit_minor)
FROM journal_lines WHERE buyer_id IS NOT NULL
GROUP BY buyer_id, account, currency;

CREATE FUNCTION buyer_ledger_balances_add_inserted() RETURNS trigger AS $$
BEGIN
    INSERT INTO buyer_ledger_balances (buyer_id, account, currency, debit_minor, credit_minor)
    SELECT buyer_id, account, currency, SUM(debit_minor), SUM(credit_minor)
    FROM inserted_lines WHERE buyer_id IS NOT NULL
    GROUP BY buyer_id, account, currency
    ORDER BY buyer_id, account, currency
    ON CONFLICT (buyer_id, account, currency) DO UPDATE SET
        debit_minor = buyer_ledger_balances.debit_minor + EXCLUDED.debit_minor,
        credit_minor = buyer_ledger_balances.credit_minor + EXCLUDED.credit_minor;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER journal_lines_buyer_balance AFTER INSERT ON journal_lines
REFERENCING NEW TABLE AS inserted_lines
FOR EACH STATEMENT EXECUTE FUNCTION buyer_ledger_balances_add_inserted();

DROP INDEX journal_lines_buyer;
