-- A cover check keeps the policies and their versions in memory and reads
-- only the buyer's live figures from the database. This generation is how
-- it knows its copy is still the stored one: every row changed in a policy
-- or a version adds one to it in the same transaction (the triggers below,
-- whatever code path or hand-written SQL made the change). The check reads
-- the generation in the same statement as the live figures (one snapshot):
-- equal to the generation its copy was read under, the copy is what that
-- snapshot holds; otherwise the copy is read again. SQLite has one writer
-- at a time, so the number only grows.
CREATE TABLE insurance_terms_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO insurance_terms_generation (id, generation) VALUES (1, 1);

CREATE TRIGGER insurance_policies_generation_insert AFTER INSERT ON insurance_policies
BEGIN UPDATE insurance_terms_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER insurance_policies_generation_update AFTER UPDATE ON insurance_policies
BEGIN UPDATE insurance_terms_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER insurance_policies_generation_delete AFTER DELETE ON insurance_policies
BEGIN UPDATE insurance_terms_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER insurance_policy_versions_generation_insert AFTER INSERT ON insurance_policy_versions
BEGIN UPDATE insurance_terms_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER insurance_policy_versions_generation_update AFTER UPDATE ON insurance_policy_versions
BEGIN UPDATE insurance_terms_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER insurance_policy_versions_generation_delete AFTER DELETE ON insurance_policy_versions
BEGIN UPDATE insurance_terms_generation SET generation = generation + 1 WHERE id = 1; END;
