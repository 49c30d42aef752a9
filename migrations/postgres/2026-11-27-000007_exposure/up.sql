-- Each buyer's open invoiced amount per currency [encours], kept in step
-- with its invoices by statement-level triggers, so every change to an
-- invoice's open amount moves it in the same transaction, whatever code
-- path made it. The upsert takes the row lock of the buyer's exposure
-- row: concurrent writers for one buyer add their deltas one after the
-- other and none is lost. Rows are upserted in key order so two
-- transactions never wait on each other in a cycle.
CREATE TABLE buyer_exposures (
    buyer_id TEXT NOT NULL REFERENCES buyers(id),
    currency TEXT NOT NULL,
    -- No CHECK here: an upsert checks its proposed row (a negative delta)
    -- before it meets the conflict. The ledger test proves it never goes
    -- below zero and always equals the open invoices.
    open_minor BIGINT NOT NULL,
    PRIMARY KEY (buyer_id, currency)
);

INSERT INTO buyer_exposures (buyer_id, currency, open_minor)
SELECT buyer_id, currency, SUM(open_minor) FROM invoices
WHERE kind = 'invoice' AND open_minor <> 0
GROUP BY buyer_id, currency;

CREATE FUNCTION buyer_exposures_add_inserted() RETURNS trigger AS $$
BEGIN
    INSERT INTO buyer_exposures (buyer_id, currency, open_minor)
    SELECT buyer_id, currency, SUM(open_minor) FROM inserted_invoices
    WHERE kind = 'invoice' AND open_minor <> 0
    GROUP BY buyer_id, currency
    ORDER BY buyer_id, currency
    ON CONFLICT (buyer_id, currency)
    DO UPDATE SET open_minor = buyer_exposures.open_minor + EXCLUDED.open_minor;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER invoices_exposure_insert AFTER INSERT ON invoices
REFERENCING NEW TABLE AS inserted_invoices
FOR EACH STATEMENT EXECUTE FUNCTION buyer_exposures_add_inserted();

CREATE FUNCTION buyer_exposures_add_changed() RETURNS trigger AS $$
BEGIN
    INSERT INTO buyer_exposures (buyer_id, currency, open_minor)
    SELECT buyer_id, currency, SUM(delta) FROM (
        SELECT buyer_id, currency, open_minor AS delta FROM changed_new WHERE kind = 'invoice'
        UNION ALL
        SELECT buyer_id, currency, -open_minor FROM changed_old WHERE kind = 'invoice'
    ) moves
    GROUP BY buyer_id, currency
    HAVING SUM(delta) <> 0
    ORDER BY buyer_id, currency
    ON CONFLICT (buyer_id, currency)
    DO UPDATE SET open_minor = buyer_exposures.open_minor + EXCLUDED.open_minor;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER invoices_exposure_update AFTER UPDATE ON invoices
REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
FOR EACH STATEMENT EXECUTE FUNCTION buyer_exposures_add_changed();

CREATE FUNCTION buyer_exposures_remove_deleted() RETURNS trigger AS $$
BEGIN
    UPDATE buyer_exposures e SET open_minor = e.open_minor - d.open_minor
    FROM (SELECT buyer_id, currency, SUM(open_minor) AS open_minor FROM deleted_invoices
          WHERE kind = 'invoice' GROUP BY buyer_id, currency) d
    WHERE e.buyer_id = d.buyer_id AND e.currency = d.currency;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER invoices_exposure_delete AFTER DELETE ON invoices
REFERENCING OLD TABLE AS deleted_invoices
FOR EACH STATEMENT EXECUTE FUNCTION buyer_exposures_remove_deleted();

-- The overdue probe of the cover check: the buyer's oldest open due date.
CREATE INDEX invoices_buyer_open_due ON invoices(buyer_id, due_date)
WHERE kind = 'invoice' AND open_minor > 0;
