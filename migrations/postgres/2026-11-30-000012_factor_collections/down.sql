DELETE FROM allocations WHERE source_kind = 'factor_collection';
ALTER TABLE allocations DROP CONSTRAINT allocations_source_kind_check;
ALTER TABLE allocations ADD CONSTRAINT allocations_source_kind_check
    CHECK (source_kind IN ('payment', 'credit_note'));
