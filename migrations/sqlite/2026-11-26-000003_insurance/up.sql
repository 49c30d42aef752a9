-- Credit insurance: policies with dated versions of their terms, and every
-- insurer decision on a buyer's limit as its own row (never overwritten).
CREATE TABLE insurance_policies (
    id TEXT PRIMARY KEY NOT NULL,
    insurer TEXT NOT NULL,
    number TEXT NOT NULL,
    currency TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (insurer, number)
);

CREATE TABLE insurance_policy_versions (
    policy_id TEXT NOT NULL REFERENCES insurance_policies(id),
    effective_from DATE NOT NULL,
    -- Rates as decimal text ("0.90"): exact on both backends.
    indemnity_rate TEXT NOT NULL,
    max_credit_days INTEGER NOT NULL CHECK (max_credit_days >= 0),
    notification_days INTEGER NOT NULL CHECK (notification_days >= 0),
    waiting_days INTEGER NOT NULL CHECK (waiting_days >= 0),
    discretionary_limit_minor BIGINT NOT NULL CHECK (discretionary_limit_minor >= 0),
    deductible_minor BIGINT NOT NULL CHECK (deductible_minor >= 0),
    reduction_notice_days INTEGER NOT NULL CHECK (reduction_notice_days >= 0),
    vat_covered INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (policy_id, effective_from)
);

CREATE TABLE insurance_limit_decisions (
    id TEXT PRIMARY KEY NOT NULL,
    policy_id TEXT NOT NULL REFERENCES insurance_policies(id),
    buyer_id TEXT NOT NULL REFERENCES buyers(id),
    kind TEXT NOT NULL CHECK (kind IN ('requested', 'pending', 'approved', 'partially_approved',
        'conditional', 'refused', 'increased', 'reduced', 'prolonged', 'cancelled')),
    amount_minor BIGINT CHECK (amount_minor IS NULL OR amount_minor >= 0),
    decided_on DATE NOT NULL,
    expires_on DATE,
    reference TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX insurance_limit_decisions_buyer ON insurance_limit_decisions(buyer_id, policy_id, decided_on);

-- A cover check may reserve the covered amount for a pending order until
-- it expires (two-phase): the invoice for that order consumes it, or it
-- lapses. Active holds count in the buyer's exposure.
CREATE TABLE insurance_holds (
    id TEXT PRIMARY KEY NOT NULL,
    policy_id TEXT NOT NULL REFERENCES insurance_policies(id),
    buyer_id TEXT NOT NULL REFERENCES buyers(id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    order_reference TEXT,
    expires_at TIMESTAMP NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('held', 'consumed', 'released')),
    invoice_id TEXT REFERENCES invoices(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX insurance_holds_buyer ON insurance_holds(buyer_id, state);

-- Overdue notifications [déclarations de menace de sinistre] and claims
-- [déclarations de sinistre], one per invoice and policy.
CREATE TABLE insurance_notices (
    id TEXT PRIMARY KEY NOT NULL,
    policy_id TEXT NOT NULL REFERENCES insurance_policies(id),
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    kind TEXT NOT NULL CHECK (kind IN ('overdue', 'extension', 'payment_plan')),
    notified_on DATE NOT NULL,
    -- Notified after the policy's deadline: cover is lost.
    late INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (policy_id, invoice_id, kind)
);

CREATE TABLE insurance_claims (
    id TEXT PRIMARY KEY NOT NULL,
    policy_id TEXT NOT NULL REFERENCES insurance_policies(id),
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    filed_on DATE NOT NULL,
    loss_gross_minor BIGINT NOT NULL CHECK (loss_gross_minor > 0),
    loss_vat_minor BIGINT NOT NULL CHECK (loss_vat_minor >= 0),
    state TEXT NOT NULL CHECK (state IN ('filed', 'accepted', 'refused', 'paid')),
    indemnity_minor BIGINT,
    decided_on DATE,
    paid_on DATE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (policy_id, invoice_id)
);
