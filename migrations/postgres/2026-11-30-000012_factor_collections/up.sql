-- A buyer's payment the factor collected (notified contracts) settles the
-- invoice like a payment: an allocation of its own kind.
ALTER TABLE allocations DROP CONSTRAINT allocations_source_kind_check;
ALTER TABLE allocations ADD CONSTRAINT allocations_source_kind_check
    CHECK (source_kind IN ('payment', 'credit_note', 'factor_collection'));
