//! Diesel table definitions, written by hand to match both migration sets
//! (migrations/sqlite and migrations/postgres). Only types that diesel's
//! MultiConnection supports on both backends are used: flags are Integer.

diesel::table! {
    sellers (id) {
        id -> Text,
        name -> Text,
        siren -> Nullable<Text>,
        vat -> Nullable<Text>,
        iban -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    buyers (id) {
        id -> Text,
        name -> Text,
        country -> Text,
        created_at -> Timestamp,
        intra_group -> Integer,
    }
}

diesel::table! {
    buyer_legal_ids (scheme, value) {
        scheme -> Text,
        value -> Text,
        buyer_id -> Text,
        verified -> Integer,
    }
}

diesel::table! {
    buyer_exposures (buyer_id, currency) {
        buyer_id -> Text,
        currency -> Text,
        open_minor -> BigInt,
    }
}

diesel::table! {
    buyer_ledger_balances (buyer_id, account, currency) {
        buyer_id -> Text,
        account -> Text,
        currency -> Text,
        debit_minor -> BigInt,
        credit_minor -> BigInt,
    }
}

diesel::table! {
    invoices (id) {
        id -> Text,
        seller_id -> Text,
        buyer_id -> Text,
        number -> Text,
        kind -> Text,
        issue_date -> Date,
        due_date -> Date,
        currency -> Text,
        net_minor -> BigInt,
        tax_minor -> BigInt,
        gross_minor -> BigInt,
        open_minor -> BigInt,
        payment_terms -> Nullable<Text>,
        lme_exceeded -> Integer,
        state -> Text,
        credited_invoice_id -> Nullable<Text>,
        buyer_reference -> Nullable<Text>,
        order_reference -> Nullable<Text>,
        content_hash -> Text,
        created_at -> Timestamp,
        type_code -> Text,
        line_total_minor -> Nullable<BigInt>,
        prepaid_minor -> BigInt,
        payable_minor -> Nullable<BigInt>,
        payee_name -> Nullable<Text>,
        payee_id -> Nullable<Text>,
        seller_iban -> Nullable<Text>,
        source_format -> Text,
        profile -> Nullable<Text>,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        buyer_id -> Text,
        received_on -> Date,
        currency -> Text,
        amount_minor -> BigInt,
        unallocated_minor -> BigInt,
        reference -> Nullable<Text>,
        external_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    allocations (id) {
        id -> Text,
        invoice_id -> Text,
        source_kind -> Text,
        source_id -> Text,
        amount_minor -> BigInt,
        allocated_on -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    journals (code) {
        code -> Text,
        label -> Text,
    }
}

diesel::table! {
    journal_entries (seq) {
        seq -> BigInt,
        id -> Text,
        journal_code -> Text,
        entry_date -> Date,
        label -> Text,
        piece_ref -> Text,
        piece_date -> Date,
        event_kind -> Text,
        event_id -> Text,
        reverses_entry_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Keyed by (entry_id, line_no) on both backends. SQLite's table still
    /// has its rowid alias `id` (a rowid table measured faster there than
    /// WITHOUT ROWID); nothing reads it, so it is not declared here.
    journal_lines (entry_id, line_no) {
        entry_id -> Text,
        line_no -> Integer,
        account -> Text,
        buyer_id -> Nullable<Text>,
        debit_minor -> BigInt,
        credit_minor -> BigInt,
        currency -> Text,
        label -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        label -> Text,
        role -> Text,
        key_hash -> Text,
        key_prefix -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (api_key_id, idem_key) {
        api_key_id -> Text,
        idem_key -> Text,
        method -> Text,
        path -> Text,
        request_hash -> Text,
        status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The generation of the stored policy terms, kept by triggers
    /// (migration 000014): one row.
    insurance_terms_generation (id) {
        id -> Integer,
        generation -> BigInt,
    }
}

diesel::table! {
    insurance_policies (id) {
        id -> Text,
        insurer -> Text,
        number -> Text,
        currency -> Text,
        created_at -> Timestamp,
        connection -> Nullable<Text>,
    }
}

diesel::table! {
    insurance_policy_versions (policy_id, effective_from) {
        policy_id -> Text,
        effective_from -> Date,
        indemnity_rate -> Text,
        max_credit_days -> Integer,
        notification_days -> Integer,
        waiting_days -> Integer,
        discretionary_limit_minor -> BigInt,
        deductible_minor -> BigInt,
        reduction_notice_days -> Integer,
        vat_covered -> Integer,
        created_at -> Timestamp,
        max_liability_minor -> Nullable<BigInt>,
        premium_rate -> Text,
    }
}

diesel::table! {
    insurance_limit_decisions (id) {
        id -> Text,
        policy_id -> Text,
        buyer_id -> Text,
        kind -> Text,
        amount_minor -> Nullable<BigInt>,
        decided_on -> Date,
        expires_on -> Nullable<Date>,
        reference -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    insurance_holds (id) {
        id -> Text,
        policy_id -> Text,
        buyer_id -> Text,
        amount_minor -> BigInt,
        order_reference -> Nullable<Text>,
        expires_at -> Timestamp,
        state -> Text,
        invoice_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    insurance_notices (id) {
        id -> Text,
        policy_id -> Text,
        invoice_id -> Text,
        kind -> Text,
        notified_on -> Date,
        late -> Integer,
        created_at -> Timestamp,
        insurer_reference -> Nullable<Text>,
    }
}

diesel::table! {
    insurance_claims (id) {
        id -> Text,
        policy_id -> Text,
        invoice_id -> Text,
        filed_on -> Date,
        loss_gross_minor -> BigInt,
        loss_vat_minor -> BigInt,
        state -> Text,
        indemnity_minor -> Nullable<BigInt>,
        decided_on -> Nullable<Date>,
        paid_on -> Nullable<Date>,
        created_at -> Timestamp,
        indemnity_uncapped_minor -> Nullable<BigInt>,
        cap_reason -> Nullable<Text>,
        insurer_reference -> Nullable<Text>,
    }
}

diesel::table! {
    rates (series, on_date) {
        series -> Text,
        on_date -> Date,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    insurance_premiums (id) {
        id -> Text,
        policy_id -> Text,
        period_from -> Date,
        period_to -> Date,
        turnover_minor -> BigInt,
        premium_minor -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    insurance_recoveries (id) {
        id -> Text,
        claim_id -> Text,
        recovered_on -> Date,
        recovered_by -> Text,
        amount_minor -> BigInt,
        vat_minor -> BigInt,
        insurer_share_minor -> BigInt,
        our_share_minor -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox_messages (id) {
        id -> Text,
        connection -> Text,
        operation -> Text,
        payload -> Text,
        idempotency_key -> Text,
        subject_kind -> Text,
        subject_id -> Text,
        state -> Text,
        attempts -> Integer,
        attempts_base -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_expires_at -> Nullable<Timestamp>,
        result -> Nullable<Text>,
        last_error_code -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    outbox_attempts (message_id, attempt) {
        message_id -> Text,
        attempt -> Integer,
        worker -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        outcome -> Text,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
        duration_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    statements (id) {
        id -> Text,
        source_kind -> Text,
        format -> Text,
        statement_ref -> Text,
        account -> Text,
        currency -> Text,
        from_date -> Nullable<Date>,
        to_date -> Nullable<Date>,
        opening_minor -> Nullable<BigInt>,
        closing_minor -> Nullable<BigInt>,
        balance_check -> Text,
        file_name -> Text,
        file_sha256 -> Text,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    statement_movements (id) {
        id -> Text,
        statement_id -> Text,
        movement_key -> Text,
        entry_ref -> Text,
        detail_index -> Integer,
        amount_minor -> BigInt,
        currency -> Text,
        booked -> Integer,
        booked_on -> Nullable<Date>,
        value_on -> Nullable<Date>,
        counterparty_name -> Nullable<Text>,
        counterparty_iban -> Nullable<Text>,
        remittance -> Text,
        structured_ref -> Nullable<Text>,
        end_to_end_id -> Nullable<Text>,
        state -> Text,
        buyer_id -> Nullable<Text>,
        proposal -> Nullable<Text>,
        score -> Nullable<Integer>,
        method -> Nullable<Text>,
        explanation -> Nullable<Text>,
        payment_id -> Nullable<Text>,
        suspense_entry_id -> Nullable<Text>,
        forward_to_factor -> Integer,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    buyer_bank_accounts (iban) {
        iban -> Text,
        buyer_id -> Text,
        source -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    factoring_contracts (id) {
        id -> Text,
        factor -> Text,
        number -> Text,
        seller_id -> Text,
        currency -> Text,
        connection -> Nullable<Text>,
        next_assignment_seq -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    factoring_contract_versions (contract_id, effective_from) {
        contract_id -> Text,
        effective_from -> Date,
        recourse -> Text,
        notification -> Text,
        scope -> Text,
        advance_rate -> Text,
        reserve_rate -> Text,
        fee_rate -> Text,
        fee_vat_rate -> Text,
        reference_series -> Text,
        margin -> Text,
        recourse_days -> Integer,
        max_invoice_age_days -> Integer,
        max_term_days -> Integer,
        excluded_countries -> Text,
        exclude_disputed -> Integer,
        exclude_intra_group -> Integer,
        concentration_cap -> Text,
        approval_notice_days -> Integer,
        factor_name -> Text,
        factor_iban -> Nullable<Text>,
        subrogation_notice -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    factoring_approval_decisions (id) {
        id -> Text,
        contract_id -> Text,
        buyer_id -> Text,
        kind -> Text,
        amount_minor -> Nullable<BigInt>,
        decided_on -> Date,
        expires_on -> Nullable<Date>,
        reference -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    factoring_assignments (id) {
        id -> Text,
        contract_id -> Text,
        number -> Text,
        state -> Text,
        assigned_on -> Date,
        currency -> Text,
        total_minor -> BigInt,
        approved_minor -> BigInt,
        reserve_minor -> BigInt,
        fee_minor -> BigInt,
        fee_vat_minor -> BigInt,
        factor_reference -> Nullable<Text>,
        entry_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    factoring_assignment_items (id) {
        id -> Text,
        assignment_id -> Text,
        invoice_id -> Text,
        buyer_id -> Text,
        kind -> Text,
        gross_minor -> BigInt,
        approved_minor -> BigInt,
        state -> Text,
        active -> Integer,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    factoring_fundings (id) {
        id -> Text,
        contract_id -> Text,
        requested_on -> Date,
        amount_minor -> BigInt,
        state -> Text,
        granted_minor -> Nullable<BigInt>,
        outstanding_minor -> BigInt,
        value_date -> Nullable<Date>,
        factor_reference -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    factoring_movements (id) {
        id -> Text,
        contract_id -> Text,
        kind -> Text,
        on_date -> Date,
        amount_minor -> BigInt,
        outstanding_delta -> BigInt,
        approved_delta -> BigInt,
        financed_delta -> BigInt,
        reserve_delta -> BigInt,
        assignment_id -> Nullable<Text>,
        item_id -> Nullable<Text>,
        funding_id -> Nullable<Text>,
        entry_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    disputes (id) {
        id -> Text,
        invoice_id -> Text,
        reason -> Text,
        amount_minor -> BigInt,
        owner -> Text,
        notes -> Nullable<Text>,
        opened_on -> Date,
        resolution -> Nullable<Text>,
        resolved_on -> Nullable<Date>,
        resolution_notes -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payment_promises (id) {
        id -> Text,
        invoice_id -> Text,
        amount_minor -> BigInt,
        promised_on -> Date,
        recorded_on -> Date,
        state -> Text,
        settled_on -> Nullable<Date>,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    buyer_collection_terms (buyer_id) {
        buyer_id -> Text,
        email -> Nullable<Text>,
        language -> Nullable<Text>,
        penalty_rate -> Nullable<Text>,
        insurer_grade -> Nullable<Integer>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    dunning_plans (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dunning_steps (plan_id, step_no) {
        plan_id -> Text,
        step_no -> Integer,
        offset_days -> Integer,
        channel -> Text,
        template -> Text,
    }
}

diesel::table! {
    dunning_class_plans (risk_class) {
        risk_class -> Text,
        plan_id -> Text,
    }
}

diesel::table! {
    dunning_actions (id) {
        id -> Text,
        invoice_id -> Text,
        buyer_id -> Text,
        plan_id -> Text,
        step_no -> Integer,
        channel -> Text,
        due_on -> Date,
        run_on -> Date,
        state -> Text,
        language -> Text,
        recipient -> Nullable<Text>,
        subject -> Nullable<Text>,
        body -> Nullable<Text>,
        file_path -> Nullable<Text>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    penalty_charges (id) {
        id -> Text,
        invoice_id -> Text,
        penalty_invoice_id -> Text,
        period_from -> Date,
        period_to -> Date,
        interest_minor -> BigInt,
        indemnity_minor -> BigInt,
        currency -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(outbox_attempts -> outbox_messages (message_id));
diesel::joinable!(statement_movements -> statements (statement_id));
diesel::joinable!(insurance_policy_versions -> insurance_policies (policy_id));

diesel::joinable!(factoring_assignment_items -> factoring_assignments (assignment_id));
diesel::joinable!(factoring_assignment_items -> invoices (invoice_id));
diesel::joinable!(disputes -> invoices (invoice_id));
diesel::joinable!(payment_promises -> invoices (invoice_id));
diesel::joinable!(dunning_steps -> dunning_plans (plan_id));
diesel::allow_tables_to_appear_in_same_query!(
    sellers,
    buyers,
    buyer_legal_ids,
    buyer_exposures,
    buyer_ledger_balances,
    invoices,
    payments,
    allocations,
    journals,
    journal_entries,
    journal_lines,
    api_keys,
    idempotency_keys,
    insurance_policies,
    insurance_policy_versions,
    insurance_limit_decisions,
    insurance_holds,
    insurance_notices,
    insurance_claims,
    rates,
    insurance_premiums,
    insurance_recoveries,
    outbox_messages,
    outbox_attempts,
    statements,
    statement_movements,
    buyer_bank_accounts,
    factoring_contracts,
    factoring_contract_versions,
    factoring_approval_decisions,
    factoring_assignments,
    factoring_assignment_items,
    factoring_fundings,
    factoring_movements,
    disputes,
    payment_promises,
    buyer_collection_terms,
    dunning_plans,
    dunning_steps,
    dunning_class_plans,
    dunning_actions,
    penalty_charges,
);
