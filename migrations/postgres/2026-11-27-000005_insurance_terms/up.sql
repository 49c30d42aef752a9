-- Policy terms: the yearly maximum liability [plafond d'indemnisation]
-- (NULL: no maximum) and the premium rate on insured turnover, as decimal
-- text like the indemnity rate. Existing versions keep no maximum and a
-- zero premium.
ALTER TABLE insurance_policy_versions
    ADD COLUMN max_liability_minor BIGINT CHECK (max_liability_minor IS NULL OR max_liability_minor >= 0);
ALTER TABLE insurance_policy_versions ADD COLUMN premium_rate TEXT NOT NULL DEFAULT '0';

-- A decision lowered by the yearly maximum keeps what the terms gave and why.
ALTER TABLE insurance_claims ADD COLUMN indemnity_uncapped_minor BIGINT;
ALTER TABLE insurance_claims
    ADD COLUMN cap_reason TEXT CHECK (cap_reason IS NULL OR cap_reason IN ('yearly_max_liability'));

-- Premiums [primes] computed and posted, one per policy and period; periods
-- of a policy never overlap (checked by the service; the exact period is
-- unique here).
CREATE TABLE insurance_premiums (
    id TEXT PRIMARY KEY NOT NULL,
    policy_id TEXT NOT NULL REFERENCES insurance_policies(id),
    period_from DATE NOT NULL,
    period_to DATE NOT NULL CHECK (period_to >= period_from),
    turnover_minor BIGINT NOT NULL,
    premium_minor BIGINT NOT NULL CHECK (premium_minor >= 0),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (policy_id, period_from, period_to)
);

-- Money recovered from the buyer after a claim was paid, shared with the
-- insurer in the indemnity's proportion.
CREATE TABLE insurance_recoveries (
    id TEXT PRIMARY KEY NOT NULL,
    claim_id TEXT NOT NULL REFERENCES insurance_claims(id),
    recovered_on DATE NOT NULL,
    recovered_by TEXT NOT NULL CHECK (recovered_by IN ('us', 'insurer')),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    vat_minor BIGINT NOT NULL CHECK (vat_minor >= 0),
    insurer_share_minor BIGINT NOT NULL CHECK (insurer_share_minor >= 0),
    our_share_minor BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX insurance_recoveries_claim ON insurance_recoveries(claim_id);
