DROP TABLE insurance_claims;
DROP TABLE insurance_notices;
DROP TABLE insurance_holds;
DROP TABLE insurance_limit_decisions;
DROP TABLE insurance_policy_versions;
DROP TABLE insurance_policies;
