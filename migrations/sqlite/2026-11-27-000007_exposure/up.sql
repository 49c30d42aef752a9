-- Each buyer's open invoiced amount per currency [encours], kept in step
-- with its invoices by triggers, so every change to an invoice's open
-- amount (recording, credit note, payment, write-off, claim) moves it in
-- the same transaction, whatever code path made it. Credit notes are not
-- exposure: an unallocated credit note is the buyer's, not a risk.
CREATE TABLE buyer_exposures (
    buyer_id TEXT NOT NULL REFERENCES buyers(id),
    currency TEXT NOT NULL,
    -- No CHECK here: an upsert checks its proposed row (a negative delta)
    -- before it meets the conflict. The ledger test proves it never goes
    -- below zero and always equals the open invoices.
    open_minor BIGINT NOT NULL,
    PRIMARY KEY (buyer_id, currency)
) WITHOUT ROWID;

INSERT INTO buyer_exposures (buyer_id, currency, open_minor)
SELECT buyer_id, currency, SUM(open_minor) FROM invoices
WHERE kind = 'invoice' AND open_minor <> 0
GROUP BY buyer_id, currency;

CREATE TRIGGER invoices_exposure_insert AFTER INSERT ON invoices
WHEN NEW.kind = 'invoice' AND NEW.open_minor <> 0
BEGIN
    INSERT INTO buyer_exposures (buyer_id, currency, open_minor)
    VALUES (NEW.buyer_id, NEW.currency, NEW.open_minor)
    ON CONFLICT (buyer_id, currency) DO UPDATE SET open_minor = open_minor + excluded.open_minor;
END;

CREATE TRIGGER invoices_exposure_update AFTER UPDATE OF open_minor, buyer_id, currency, kind ON invoices
WHEN (OLD.kind = 'invoice' OR NEW.kind = 'invoice')
    AND (OLD.open_minor <> NEW.open_minor OR OLD.buyer_id <> NEW.buyer_id
         OR OLD.currency <> NEW.currency OR OLD.kind <> NEW.kind)
BEGIN
    UPDATE buyer_exposures SET open_minor = open_minor - OLD.open_minor
    WHERE OLD.kind = 'invoice' AND buyer_id = OLD.buyer_id AND currency = OLD.currency;
    INSERT INTO buyer_exposures (buyer_id, currency, open_minor)
    SELECT NEW.buyer_id, NEW.currency, NEW.open_minor WHERE NEW.kind = 'invoice'
    ON CONFLICT (buyer_id, currency) DO UPDATE SET open_minor = open_minor + excluded.open_minor;
END;

CREATE TRIGGER invoices_exposure_delete AFTER DELETE ON invoices
WHEN OLD.kind = 'invoice' AND OLD.open_minor <> 0
BEGIN
    UPDATE buyer_exposures SET open_minor = open_minor - OLD.open_minor
    WHERE buyer_id = OLD.buyer_id AND currency = OLD.currency;
END;

-- The overdue probe of the cover check: the buyer's oldest open due date.
CREATE INDEX invoices_buyer_open_due ON invoices(buyer_id, due_date)
WHERE kind = 'invoice' AND open_minor > 0;
