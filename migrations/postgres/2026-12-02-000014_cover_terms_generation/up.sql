-- A cover check keeps the policies and their versions in memory and reads
-- only the buyer's live figures from the database. This generation is how
-- it knows its copy is still the stored one: every statement that changes
-- a policy or a version adds one to it in the same transaction (the
-- triggers below, whatever code path or hand-written SQL made the change).
-- The check reads the generation in the same statement as the live
-- figures, so both come from one snapshot: equal to the generation its
-- copy was read under, the copy is what that snapshot holds; otherwise the
-- copy is read again. Concurrent changes queue on the row's lock, so the
-- number only grows, by one per committed change.
CREATE TABLE insurance_terms_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO insurance_terms_generation (id, generation) VALUES (1, 1);

CREATE FUNCTION insurance_terms_generation_bump() RETURNS trigger AS $$
BEGIN
    UPDATE insurance_terms_generation SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER insurance_policies_generation
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON insurance_policies
FOR EACH STATEMENT EXECUTE FUNCTION insurance_terms_generation_bump();

CREATE TRIGGER insurance_policy_versions_generation
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON insurance_policy_versions
FOR EACH STATEMENT EXECUTE FUNCTION insurance_terms_generation_bump();

-- The check's reads are one prepared statement now (src/service/cover_reads.rs).
DROP FUNCTION cover_check_inputs(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, DATE, TIMESTAMP);
