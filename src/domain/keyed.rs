//! Accumulators keyed by an id and a currency, for reports that add up a
//! million rows into a hundred thousand buyers. Keys live inline in the
//! hash table (our ids are 36-character UUIDs) and the accumulators in one
//! vector, so a row costs one hash probe and one slot access, instead of
//! following a pointer to each key's string and to each key's own map.

use rustc_hash::FxHashMap;

use crate::money::Currency;

/// Longest key kept inline.
const INLINE: usize = 40;

/// A short string stored inline when it fits (always, for our ids).
#[derive(Debug, Clone)]
pub enum InlineKey {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(String),
}

impl InlineKey {
    pub fn new(s: &str) -> InlineKey {
        if s.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            InlineKey::Inline {
                len: s.len() as u8,
                bytes,
            }
        } else {
            InlineKey::Heap(s.to_string())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            InlineKey::Inline { len, bytes } => {
                let b = &bytes[..usize::from(*len)];
                // SAFETY: `bytes[..len]` is a copy of a whole `&str` (see
                // `new`), so it is valid UTF-8; checking it again on every
                // read cost 4 % of a report's time.
                unsafe { std::str::from_utf8_unchecked(b) }
            }
            InlineKey::Heap(s) => s,
        }
    }
}

// Hashed and compared as the `str` it holds, so maps keyed by it are
// searched with a `&str`.
impl std::hash::Hash for InlineKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq for InlineKey {
    fn eq(&self, other: &InlineKey) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for InlineKey {}

impl std::borrow::Borrow<str> for InlineKey {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// One accumulator per (key, currency).
#[derive(Debug, Clone)]
pub struct Keyed<T> {
    index: FxHashMap<(InlineKey, Currency), usize>,
    slots: Vec<(InlineKey, Currency, T)>,
    /// The slot of the previous row: consecutive rows often share a key.
    last: Option<usize>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed {
            index: FxHashMap::default(),
            slots: Vec::new(),
            last: None,
        }
    }
}

impl<T: Default> Keyed<T> {
    pub fn slot(&mut self, key: &str, currency: Currency) -> &mut T {
        let i = match self.last {
            Some(i) if self.slots[i].1 == currency && self.slots[i].0.as_str() == key => i,
            _ => {
                let probe = (InlineKey::new(key), currency);
                match self.index.get(&probe) {
                    Some(i) => *i,
                    None => {
                        self.slots.push((probe.0.clone(), currency, T::default()));
                        self.index.insert(probe, self.slots.len() - 1);
                        self.slots.len() - 1
                    }
                }
            }
        };
        self.last = Some(i);
        &mut self.slots[i].2
    }
}

impl<T> Keyed<T> {
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Every (key, currency, accumulator), sorted by key then currency.
    pub fn sorted(&self) -> Vec<(&str, Currency, &T)> {
        let mut out: Vec<(&str, Currency, &T)> = self
            .slots
            .iter()
            .map(|(key, currency, t)| (key.as_str(), *currency, t))
            .collect();
        out.sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_inline_or_on_the_heap_read_back_whole() {
        let id = "0193a2c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d";
        assert!(matches!(InlineKey::new(id), InlineKey::Inline { .. }));
        assert_eq!(InlineKey::new(id).as_str(), id);
        let long = "x".repeat(41);
        assert!(matches!(InlineKey::new(&long), InlineKey::Heap(_)));
        assert_eq!(InlineKey::new(&long).as_str(), long);
        assert_eq!(InlineKey::new("é€").as_str(), "é€");
        assert_eq!(InlineKey::new("").as_str(), "");
    }

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap_or(Currency::EUR)
    }

    #[test]
    fn one_slot_per_key_and_currency_sorted_on_the_way_out() {
        let mut k: Keyed<i64> = Keyed::default();
        *k.slot("b", Currency::EUR) += 1;
        *k.slot("a", usd()) += 10;
        *k.slot("b", Currency::EUR) += 2;
        *k.slot("a", Currency::EUR) += 100;
        *k.slot("b", Currency::EUR) += 4;
        *k.slot("a", usd()) += 20;
        let got: Vec<(String, Currency, i64)> = k
            .sorted()
            .into_iter()
            .map(|(key, c, v)| (key.to_string(), c, *v))
            .collect();
        let mut expected = vec![
            ("a".to_string(), Currency::EUR, 100),
            ("a".to_string(), usd(), 30),
            ("b".to_string(), Currency::EUR, 7),
        ];
        expected.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
        assert_eq!(got, expected);
    }
}
