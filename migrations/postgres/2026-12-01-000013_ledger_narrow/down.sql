DROP TRIGGER buyers_keep_invoiced ON buyers;
DROP TRIGGER sellers_keep_invoiced ON sellers;
DROP FUNCTION party_has_no_invoices();
DROP TRIGGER invoices_parties_exist_on_update ON invoices;
DROP FUNCTION invoice_parties_exist();
DROP TRIGGER invoices_parties_exist ON invoices;
DROP FUNCTION invoices_parties_exist();
ALTER TABLE invoices ADD CONSTRAINT invoices_seller_id_fkey FOREIGN KEY (seller_id) REFERENCES sellers(id);
ALTER TABLE invoices ADD CONSTRAINT invoices_buyer_id_fkey FOREIGN KEY (buyer_id) REFERENCES buyers(id);

ALTER TABLE journal_lines DROP CONSTRAINT journal_lines_pkey;
ALTER TABLE journal_lines ADD CONSTRAINT journal_lines_entry_id_line_no_key UNIQUE (entry_id, line_no);
ALTER TABLE journal_lines ADD COLUMN id BIGSERIAL PRIMARY KEY;
