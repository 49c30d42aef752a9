//! The policies cover checks answer under, kept in memory: a check reads
//! only the buyer's live figures from the database (see `cover_reads`).
//!
//! A copy is exact because of the generation of the stored terms
//! (`insurance_terms_generation`, migration 000014): every statement that
//! changes a policy or one of its versions adds one to it in the same
//! transaction (database triggers, whatever made the change). A copy is
//! kept with the generation it was read at, proven by reading the
//! generation before and after the policy (equal: no change committed in
//! between, so the policy read is the state at that generation). Every
//! check reads the generation in the same statement as the buyer's live
//! figures, one snapshot: when it equals the copy's, that snapshot holds
//! exactly the copy's policies; when not, the copy is dropped and read
//! again. So a check never answers under terms other than those stored in
//! the snapshot its exposure comes from.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use diesel::prelude::*;

use super::insurance::to_terms;
use super::ServiceError;
use crate::domain::cover::PolicyTerms;
use crate::money::Currency;
use crate::store::rows::{PolicyRow, PolicyVersionRow};
use crate::store::schema::{
    insurance_policies as policies, insurance_policy_versions as versions,
    insurance_terms_generation as generation,
};
use crate::store::DbConnection;

/// Which policy answers a check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PolicyChoice {
    Id(String),
    /// The oldest policy in this currency.
    Currency(String),
}

/// A policy as a check needs it, its terms parsed once.
#[derive(Debug)]
pub struct CoverPolicy {
    pub id: String,
    pub currency: Currency,
    /// Every version of the terms, oldest first.
    pub versions: Vec<PolicyTerms>,
}

/// A policy (or the absence of one) and the generation it was read at.
pub type TermsAt = (i64, Option<Arc<CoverPolicy>>);

/// Policies read at one generation of the stored terms, by choice. One per
/// database (the API state holds one); a fresh one reads everything.
#[derive(Debug, Default)]
pub struct TermsCache {
    entries: RwLock<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// 0: nothing read yet (stored generations start at 1).
    generation: i64,
    policies: HashMap<PolicyChoice, Option<Arc<CoverPolicy>>>,
}

impl TermsCache {
    /// Beyond this many choices the copy starts afresh: callers naming
    /// policy ids that do not exist cannot grow it without bound.
    const CAPACITY: usize = 1_000;

    pub fn get(&self, choice: &PolicyChoice) -> Option<TermsAt> {
        let entries = self.entries.read().ok()?;
        let policy = entries.policies.get(choice)?;
        Some((entries.generation, policy.clone()))
    }

    fn put(&self, (at, policy): &TermsAt, choice: &PolicyChoice) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if *at < entries.generation {
            return;
        }
        if *at > entries.generation || entries.policies.len() >= Self::CAPACITY {
            entries.policies.clear();
            entries.generation = *at;
        }
        entries.policies.insert(choice.clone(), policy.clone());
    }

    /// Drops every copy read before `seen`, a generation a check saw.
    pub fn forget_before(&self, seen: Option<i64>) {
        if let Ok(mut entries) = self.entries.write() {
            match seen {
                Some(g) if g <= entries.generation => {}
                _ => {
                    entries.policies.clear();
                    entries.generation = seen.unwrap_or(0);
                }
            }
        }
    }

    /// The policy for `choice` at a known generation: from the copy, or
    /// read (and kept). `None` when the terms changed while being read.
    pub fn terms(
        &self,
        conn: &mut DbConnection,
        choice: &PolicyChoice,
    ) -> Result<Option<TermsAt>, ServiceError> {
        if let Some(found) = self.get(choice) {
            return Ok(Some(found));
        }
        let before = read_generation(conn)?;
        let policy = read_policy(conn, choice)?;
        let after = read_generation(conn)?;
        match (before, after) {
            (Some(b), Some(a)) if a == b => {
                let read = (b, policy.map(Arc::new));
                self.put(&read, choice);
                Ok(Some(read))
            }
            _ => Ok(None),
        }
    }
}

/// The generation of the stored terms; `None` if its row is missing (then
/// nothing is ever kept).
fn read_generation(conn: &mut DbConnection) -> Result<Option<i64>, ServiceError> {
    Ok(generation::table
        .find(1)
        .select(generation::generation)
        .first::<i64>(conn)
        .optional()?)
}

/// The chosen policy with every version of its terms.
fn read_policy(
    conn: &mut DbConnection,
    choice: &PolicyChoice,
) -> Result<Option<CoverPolicy>, ServiceError> {
    let joined = policies::table.inner_join(versions::table);
    let select = (PolicyRow::as_select(), PolicyVersionRow::as_select());
    let rows: Vec<(PolicyRow, PolicyVersionRow)> = match choice {
        PolicyChoice::Id(id) => joined
            .filter(policies::id.eq(id))
            .order(versions::effective_from)
            .select(select)
            .load(conn)?,
        PolicyChoice::Currency(code) => joined
            .filter(policies::currency.eq(code))
            .order((policies::created_at, policies::id, versions::effective_from))
            .select(select)
            .load(conn)?,
    };
    let Some((first, _)) = rows.first() else {
        return Ok(None);
    };
    let currency = Currency::from_code(&first.currency)
        .map_err(|e| ServiceError::invalid("currency_unknown", "currency", e.to_string()))?;
    let id = first.id.clone();
    let versions = rows
        .iter()
        .filter(|(p, _)| p.id == id)
        .map(|(p, v)| to_terms(v, &p.currency))
        .collect();
    Ok(Some(CoverPolicy {
        id,
        currency,
        versions,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(id: &str) -> Option<Arc<CoverPolicy>> {
        Some(Arc::new(CoverPolicy {
            id: id.into(),
            currency: Currency::EUR,
            versions: Vec::new(),
        }))
    }

    fn held(cache: &TermsCache, choice: &PolicyChoice) -> Option<(i64, Option<String>)> {
        cache.get(choice).map(|(g, p)| (g, p.map(|p| p.id.clone())))
    }

    #[test]
    fn copies_are_kept_for_one_generation_only() {
        let cache = TermsCache::default();
        let eur = PolicyChoice::Currency("EUR".into());
        let by_id = PolicyChoice::Id("P-1".into());
        assert_eq!(held(&cache, &eur), None);
        cache.put(&(3, policy("P-1")), &eur);
        assert_eq!(held(&cache, &eur), Some((3, Some("P-1".into()))));
        // Read at an older generation: not kept.
        cache.put(&(2, policy("P-1")), &by_id);
        assert_eq!(held(&cache, &by_id), None);
        // A newer generation replaces every copy; "no policy" is kept too.
        cache.put(&(4, None), &by_id);
        assert_eq!(held(&cache, &eur), None);
        assert_eq!(held(&cache, &by_id), Some((4, None)));
        // A check that saw generation 4 keeps them; one that saw 5, or no
        // generation at all, drops them.
        cache.forget_before(Some(4));
        assert_eq!(held(&cache, &by_id), Some((4, None)));
        cache.forget_before(Some(5));
        assert_eq!(held(&cache, &by_id), None);
        cache.put(&(5, policy("P-2")), &eur);
        cache.forget_before(None);
        assert_eq!(held(&cache, &eur), None);
    }
}
