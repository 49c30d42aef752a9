DROP INDEX invoices_buyer_open_due;
DROP TRIGGER invoices_exposure_delete ON invoices;
DROP TRIGGER invoices_exposure_update ON invoices;
DROP TRIGGER invoices_exposure_insert ON invoices;
DROP FUNCTION buyer_exposures_remove_deleted();
DROP FUNCTION buyer_exposures_add_changed();
DROP FUNCTION buyer_exposures_add_inserted();
DROP TABLE buyer_exposures;
