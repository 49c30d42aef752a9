DROP TRIGGER insurance_policy_versions_generation ON insurance_policy_versions;
DROP TRIGGER insurance_policies_generation ON insurance_policies;
DROP FUNCTION insurance_terms_generation_bump();
DROP TABLE insurance_terms_generation;

-- Everything a cover check reads, in one round trip. PL/pgSQL keeps the
-- plans of its statements for the session, so a check costs one call, not
-- six planned statements over the network. SQLite, in process, runs the
-- same reads as separate statements (src/service/cover_reads.rs); both
-- answer the same rows.
CREATE FUNCTION cover_check_inputs(
    p_ours TEXT, p_scheme TEXT, p_value TEXT, p_bare TEXT,
    p_policy TEXT, p_currency TEXT, p_date DATE, p_moment TIMESTAMP
) RETURNS TABLE (
    buyer_id TEXT, policy TEXT, decisions TEXT, exposures TEXT,
    held BIGINT, overdue_since DATE
) LANGUAGE plpgsql STABLE AS $$
DECLARE
    b TEXT;
    p TEXT;
BEGIN
    IF p_scheme IS NOT NULL THEN
        SELECT l.buyer_id INTO b FROM buyer_legal_ids l
        WHERE l.scheme = p_scheme AND l.value = p_value;
    ELSE
        SELECT x.id INTO b FROM buyers x WHERE x.id = p_ours;
        IF b IS NULL THEN
            SELECT l.buyer_id INTO b FROM buyer_legal_ids l WHERE l.value = p_bare LIMIT 1;
        END IF;
    END IF;
    IF b IS NULL THEN
        RETURN;
    END IF;
    IF p_policy IS NOT NULL THEN
        SELECT ip.id INTO p FROM insurance_policies ip WHERE ip.id = p_policy;
    ELSE
        SELECT ip.id INTO p FROM insurance_policies ip WHERE ip.currency = p_currency
        ORDER BY ip.created_at, ip.id LIMIT 1;
    END IF;
    RETURN QUERY SELECT
        b,
        (SELECT json_agg(json_build_object('policy', row_to_json(ip), 'version', row_to_json(v))
                ORDER BY v.effective_from)::text
         FROM insurance_policies ip JOIN insurance_policy_versions v ON v.policy_id = ip.id
         WHERE ip.id = p),
        (SELECT json_agg(d ORDER BY d.decided_on, d.created_at)::text
         FROM insurance_limit_decisions d WHERE d.buyer_id = b AND d.policy_id = p),
        (SELECT json_agg(json_build_array(e.currency, e.open_minor))::text
         FROM buyer_exposures e WHERE e.buyer_id = b AND e.open_minor > 0),
        (SELECT COALESCE(SUM(h.amount_minor), 0)::BIGINT FROM insurance_holds h
         WHERE h.buyer_id = b AND h.policy_id = p AND h.state = 'held' AND h.expires_at > p_moment),
        (SELECT MIN(i.due_date) FROM invoices i
         WHERE i.buyer_id = b AND i.kind = 'invoice' AND i.open_minor > 0 AND i.due_date < p_date);
END;
$$;
