-- Collections [recouvrement]: disputes, promises to pay, per-buyer
-- collection terms, dunning plans and actions, penalty charges.

-- A dispute [litige] on one invoice. At most one open per invoice; the
-- invoice's state is 'disputed' exactly while one is open.
CREATE TABLE disputes (
    id TEXT PRIMARY KEY NOT NULL,
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    reason TEXT NOT NULL CHECK (reason IN ('quality', 'quantity', 'price', 'not_delivered', 'late_delivery', 'duplicate', 'already_paid', 'other')),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    owner TEXT NOT NULL,
    notes TEXT,
    opened_on DATE NOT NULL,
    resolution TEXT CHECK (resolution IN ('credit_note', 'rejected', 'paid')),
    resolved_on DATE,
    resolution_notes TEXT,
    created_at TIMESTAMP NOT NULL,
    CHECK ((resolution IS NULL) = (resolved_on IS NULL))
);
CREATE INDEX disputes_invoice ON disputes(invoice_id);
CREATE UNIQUE INDEX disputes_one_open ON disputes(invoice_id) WHERE resolution IS NULL;

-- A promise to pay [promesse de paiement]: pending until kept or broken.
CREATE TABLE payment_promises (
    id TEXT PRIMARY KEY NOT NULL,
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    promised_on DATE NOT NULL,
    recorded_on DATE NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'kept', 'broken')),
    settled_on DATE,
    notes TEXT,
    created_at TIMESTAMP NOT NULL,
    CHECK (promised_on >= recorded_on)
);
CREATE INDEX payment_promises_invoice ON payment_promises(invoice_id);

-- What collections needs to know of a buyer beyond its identity.
CREATE TABLE buyer_collection_terms (
    buyer_id TEXT PRIMARY KEY NOT NULL REFERENCES buyers(id),
    email TEXT,
    language TEXT CHECK (language IN ('fr', 'en')),
    -- Contract late-payment rate, annual percent; NULL: ECB MRO + 10 points.
    penalty_rate TEXT,
    -- The credit insurer's grade, 1 (best) to 10 (worst).
    insurer_grade INTEGER CHECK (insurer_grade BETWEEN 1 AND 10),
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE dunning_plans (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE dunning_steps (
    plan_id TEXT NOT NULL REFERENCES dunning_plans(id),
    step_no INTEGER NOT NULL,
    offset_days INTEGER NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'letter', 'phone', 'formal_notice', 'litigation', 'insurer')),
    template TEXT NOT NULL CHECK (template IN ('courtesy', 'reminder', 'formal_notice', 'task')),
    PRIMARY KEY (plan_id, step_no),
    UNIQUE (plan_id, offset_days)
);

-- Which plan a risk class follows.
CREATE TABLE dunning_class_plans (
    risk_class TEXT PRIMARY KEY NOT NULL CHECK (risk_class IN ('A', 'B', 'C', 'D', 'E')),
    plan_id TEXT NOT NULL REFERENCES dunning_plans(id)
);

-- One action per invoice and step, ever: a second run creates nothing.
CREATE TABLE dunning_actions (
    id TEXT PRIMARY KEY NOT NULL,
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    buyer_id TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    step_no INTEGER NOT NULL,
    channel TEXT NOT NULL,
    due_on DATE NOT NULL,
    run_on DATE NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('to_send', 'sent', 'failed', 'no_recipient', 'written', 'open', 'done')),
    language TEXT NOT NULL,
    recipient TEXT,
    subject TEXT,
    body TEXT,
    file_path TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (invoice_id, plan_id, step_no)
);
CREATE INDEX dunning_actions_state ON dunning_actions(state);

-- Late-payment penalties charged [pénalités de retard facturées]: each one
-- covers the days after the previous one, so no day is charged twice.
CREATE TABLE penalty_charges (
    id TEXT PRIMARY KEY NOT NULL,
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    penalty_invoice_id TEXT NOT NULL REFERENCES invoices(id),
    period_from DATE NOT NULL,
    period_to DATE NOT NULL,
    interest_minor BIGINT NOT NULL,
    indemnity_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (invoice_id, period_to)
);

-- Reads by date: the KPI pass and the as-of rebuild.
CREATE INDEX allocations_invoice_date ON allocations(invoice_id, allocated_on, source_kind, amount_minor);

INSERT INTO dunning_plans (id, name, created_at) VALUES
    ('plan-light', 'light', CURRENT_TIMESTAMP),
    ('plan-standard', 'standard', CURRENT_TIMESTAMP),
    ('plan-strict', 'strict', CURRENT_TIMESTAMP);
INSERT INTO dunning_steps (plan_id, step_no, offset_days, channel, template) VALUES
    ('plan-light', 1, 3, 'email', 'reminder'),
    ('plan-light', 2, 15, 'phone', 'task'),
    ('plan-light', 3, 30, 'formal_notice', 'formal_notice'),
    ('plan-light', 4, 60, 'litigation', 'task'),
    ('plan-standard', 1, -5, 'email', 'courtesy'),
    ('plan-standard', 2, 1, 'email', 'reminder'),
    ('plan-standard', 3, 7, 'phone', 'task'),
    ('plan-standard', 4, 20, 'formal_notice', 'formal_notice'),
    ('plan-standard', 5, 45, 'litigation', 'task'),
    ('plan-strict', 1, -10, 'email', 'courtesy'),
    ('plan-strict', 2, 1, 'email', 'reminder'),
    ('plan-strict', 3, 3, 'phone', 'task'),
    ('plan-strict', 4, 10, 'formal_notice', 'formal_notice'),
    ('plan-strict', 5, 30, 'insurer', 'task');
INSERT INTO dunning_class_plans (risk_class, plan_id) VALUES
    ('A', 'plan-light'), ('B', 'plan-standard'), ('C', 'plan-standard'),
    ('D', 'plan-strict'), ('E', 'plan-strict');
