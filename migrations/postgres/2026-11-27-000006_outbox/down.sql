ALTER TABLE insurance_claims DROP COLUMN insurer_reference;
ALTER TABLE insurance_notices DROP COLUMN insurer_reference;
ALTER TABLE insurance_policies DROP COLUMN connection;
DROP TABLE outbox_attempts;
DROP TABLE outbox_messages;
