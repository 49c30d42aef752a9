DROP INDEX invoices_buyer_open_due;
DROP TRIGGER invoices_exposure_delete;
DROP TRIGGER invoices_exposure_update;
DROP TRIGGER invoices_exposure_insert;
DROP TABLE buyer_exposures;
