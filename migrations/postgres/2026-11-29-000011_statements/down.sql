DROP TABLE buyer_bank_accounts;
DROP TABLE statement_movements;
DROP TABLE statements;
