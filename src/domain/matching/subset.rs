//! Which of a buyer's open invoices add up exactly to a payment: a bounded
//! subset-sum search. Only the `MAX_ITEMS` oldest invoices are considered,
//! split in two halves whose 2^10 subset sums each are listed and joined
//! through a hash map (meet in the middle): at most 2 x 1,024 sums and
//! 1,024 look-ups per payment, whatever the buyer's book.

use std::collections::HashMap;

/// Invoices considered, oldest first.
pub const MAX_ITEMS: usize = 20;

/// The found subset (positions in `amounts`), and the steps taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubsetResult {
    pub positions: Option<Vec<usize>>,
    pub steps: usize,
}

/// Finds positions among the first `MAX_ITEMS` of `amounts` (all positive)
/// that sum to `target`, preferring the fewest invoices, then the oldest
/// (lower positions). Subsets of one are left to the caller's exact-amount
/// rule but found here too.
pub fn find_subset(amounts: &[i64], target: i64) -> SubsetResult {
    let items = &amounts[..amounts.len().min(MAX_ITEMS)];
    let half = items.len() / 2;
    let (left, right) = items.split_at(half);
    let mut steps = 0usize;
    let sums = |part: &[i64], steps: &mut usize| -> Vec<(i64, u32)> {
        let mut out = Vec::with_capacity(1 << part.len());
        for mask in 0u32..(1u32 << part.len()) {
            *steps += 1;
            let mut s: i64 = 0;
            for (i, a) in part.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    s = s.saturating_add(*a);
                }
            }
            out.push((s, mask));
        }
        out
    };
    // For each left sum keep the best mask: fewest bits, then lowest.
    let mut best_left: HashMap<i64, u32> = HashMap::new();
    for (s, m) in sums(left, &mut steps) {
        best_left
            .entry(s)
            .and_modify(|b| {
                if better(m, *b) {
                    *b = m
                }
            })
            .or_insert(m);
    }
    let mut best: Option<(u32, u32)> = None;
    for (s, rm) in sums(right, &mut steps) {
        steps += 1;
        if let Some(lm) = best_left.get(&(target - s)) {
            let cand = (*lm, rm);
            let count = |c: (u32, u32)| c.0.count_ones() + c.1.count_ones();
            if count(cand) == 0 {
                continue;
            }
            best = match best {
                Some(b)
                    if count(b) < count(cand)
                        || (count(b) == count(cand) && (b.1, b.0) <= (cand.1, cand.0)) =>
                {
                    Some(b)
                }
                _ => Some(cand),
            };
        }
    }
    let positions = best.map(|(lm, rm)| {
        let mut p: Vec<usize> = (0..left.len()).filter(|i| lm & (1 << i) != 0).collect();
        p.extend(
            (0..right.len())
                .filter(|i| rm & (1 << i) != 0)
                .map(|i| i + half),
        );
        p
    });
    SubsetResult { positions, steps }
}

fn better(a: u32, b: u32) -> bool {
    (a.count_ones(), a) < (b.count_ones(), b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_two_of_five() {
        // 100 + 250 = 350 (positions 0 and 2); 350 alone does not exist.
        let r = find_subset(&[100, 200, 250, 400, 999], 350);
        assert_eq!(r.positions, Some(vec![0, 2]));
        // 200 + 150? no 150: 1234 cannot be made from these five.
        assert_eq!(
            find_subset(&[100, 200, 250, 400, 999], 1234).positions,
            None
        );
    }

    #[test]
    fn prefers_fewest_invoices() {
        // 300 = 100 + 200 = 300 alone: the single invoice wins.
        assert_eq!(find_subset(&[100, 200, 300], 300).positions, Some(vec![2]));
    }

    #[test]
    fn the_bound_holds_for_a_large_book() {
        // 10,000 open invoices: only the 20 oldest are looked at, so at most
        // 1,024 + 1,024 sums and 1,024 look-ups = 3,072 steps.
        let amounts: Vec<i64> = (1..=10_000).collect();
        let r = find_subset(&amounts, 5_000_000);
        assert!(r.steps <= 3 * 1024, "{} steps", r.steps);
        // 5,000,000 exceeds 1+..+20 = 210: not found within the bound.
        assert_eq!(r.positions, None);
    }

    proptest! {
        #[test]
        fn a_planted_subset_is_found(
            amounts in proptest::collection::vec(1i64..1_000_000, 1..20),
            picks in proptest::collection::vec(any::<bool>(), 20),
        ) {
            let chosen: Vec<usize> = (0..amounts.len()).filter(|i| picks[*i]).collect();
            prop_assume!(!chosen.is_empty());
            let target: i64 = chosen.iter().map(|i| amounts[*i]).sum();
            let r = find_subset(&amounts, target);
            let found = r.positions.expect("a subset exists");
            prop_assert_eq!(found.iter().map(|i| amounts[*i]).sum::<i64>(), target);
            prop_assert!(found.len() <= chosen.len());
            prop_assert!(r.steps <= 3 * 1024);
        }
    }
}
