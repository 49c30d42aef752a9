-- A narrower ledger and cheaper invoice writes, same rules.
--
-- journal_lines loses its surrogate id (nothing read it, and each line paid
-- a sequence call and an index entry for it): (entry_id, line_no), unique
-- already, becomes the primary key.
ALTER TABLE journal_lines DROP COLUMN id;
ALTER TABLE journal_lines ADD CONSTRAINT journal_lines_pkey PRIMARY KEY (entry_id, line_no);
ALTER TABLE journal_lines DROP CONSTRAINT journal_lines_entry_id_line_no_key;

-- An invoice's seller and buyer must exist. The foreign keys checked that
-- one row at a time (a query and a KEY SHARE lock per invoice, about half
-- the cost of a batch's invoice statement); a statement trigger now checks
-- each seller and buyer of the statement once, and takes the same lock, so
-- a party cannot be deleted or re-keyed before the invoices commit. A party
-- that has invoices cannot be deleted or re-keyed (triggers on sellers and
-- buyers, which nothing deletes today).
ALTER TABLE invoices DROP CONSTRAINT invoices_seller_id_fkey;
ALTER TABLE invoices DROP CONSTRAINT invoices_buyer_id_fkey;

CREATE FUNCTION invoices_parties_exist() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
    missing TEXT;
BEGIN
    SELECT 'seller ' || n.seller_id INTO missing
    FROM (SELECT DISTINCT seller_id FROM new_invoices) n
    LEFT JOIN LATERAL (
        SELECT true AS found FROM sellers s WHERE s.id = n.seller_id FOR KEY SHARE
    ) party ON true
    WHERE party.found IS NULL
    LIMIT 1;
    IF missing IS NULL THEN
        SELECT 'buyer ' || n.buyer_id INTO missing
        FROM (SELECT DISTINCT buyer_id FROM new_invoices) n
        LEFT JOIN LATERAL (
            SELECT true AS found FROM buyers b WHERE b.id = n.buyer_id FOR KEY SHARE
        ) party ON true
        WHERE party.found IS NULL
        LIMIT 1;
    END IF;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'invoice_party_missing: % does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER invoices_parties_exist AFTER INSERT ON invoices
    REFERENCING NEW TABLE AS new_invoices
    FOR EACH STATEMENT EXECUTE FUNCTION invoices_parties_exist();

CREATE FUNCTION invoice_parties_exist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM sellers WHERE id = NEW.seller_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice_party_missing: seller % does not exist', NEW.seller_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM buyers WHERE id = NEW.buyer_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice_party_missing: buyer % does not exist', NEW.buyer_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER invoices_parties_exist_on_update AFTER UPDATE OF seller_id, buyer_id ON invoices
    FOR EACH ROW
    WHEN (OLD.seller_id IS DISTINCT FROM NEW.seller_id OR OLD.buyer_id IS DISTINCT FROM NEW.buyer_id)
    EXECUTE FUNCTION invoice_parties_exist();

CREATE FUNCTION party_has_no_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    IF (TG_TABLE_NAME = 'sellers' AND EXISTS (SELECT 1 FROM invoices WHERE seller_id = OLD.id))
       OR (TG_TABLE_NAME = 'buyers' AND EXISTS (SELECT 1 FROM invoices WHERE buyer_id = OLD.id)) THEN
        RAISE EXCEPTION 'invoice_party_referenced: % % has invoices', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER sellers_keep_invoiced BEFORE DELETE OR UPDATE OF id ON sellers
    FOR EACH ROW EXECUTE FUNCTION party_has_no_invoices();
CREATE TRIGGER buyers_keep_invoiced BEFORE DELETE OR UPDATE OF id ON buyers
    FOR EACH ROW EXECUTE FUNCTION party_has_no_invoices();
