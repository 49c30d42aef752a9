DROP TABLE insurance_recoveries;
DROP TABLE insurance_premiums;
ALTER TABLE insurance_claims DROP COLUMN cap_reason;
ALTER TABLE insurance_claims DROP COLUMN indemnity_uncapped_minor;
ALTER TABLE insurance_policy_versions DROP COLUMN premium_rate;
ALTER TABLE insurance_policy_versions DROP COLUMN max_liability_minor;
