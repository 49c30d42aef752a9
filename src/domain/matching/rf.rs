//! ISO 11649 structured creditor references ("RF" references): "RF", two
//! check digits, then up to 21 letters or digits. The check is ISO 7064
//! mod 97-10, as for IBANs: the first four characters moved to the end,
//! letters read as 10..35, the number mod 97 must be 1.
//!
//! How we issue them: the body is the invoice number with everything but
//! letters and digits removed, upper-cased ("F-2026-001" gives body
//! "F2026001" and reference "RF29F2026001": 98 - ("F2026001RF00" read as
//! digits mod 97) = 29).
//! A payer who quotes it back therefore names the invoice exactly, and the
//! matcher finds the invoice by the same key it uses for numbers in text.
//! An invoice number longer than 21 letters and digits gets no reference.

/// The body of an invoice number as used in references and lookups.
pub fn body_of(number: &str) -> String {
    number
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// `digits mod 97` of the text with letters as 10..35, streamed.
fn mod97(chars: impl Iterator<Item = char>) -> Option<u32> {
    let mut r: u32 = 0;
    for c in chars {
        let v = c.to_digit(36)?;
        r = if v < 10 {
            (r * 10 + v) % 97
        } else {
            (r * 100 + v) % 97
        };
    }
    Some(r)
}

/// True if `reference` (spaces allowed, any case) is a well-formed RF
/// reference with valid check digits.
pub fn is_valid(reference: &str) -> bool {
    let compact: String = reference
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if compact.len() < 5 || compact.len() > 25 || !compact.starts_with("RF") {
        return false;
    }
    if !compact.chars().all(|c| c.is_ascii_alphanumeric())
        || !compact[2..4].chars().all(|c| c.is_ascii_digit())
    {
        return false;
    }
    mod97(compact[4..].chars().chain(compact[..4].chars())) == Some(1)
}

/// The body of a valid RF reference, None if it is not one.
pub fn body_of_reference(reference: &str) -> Option<String> {
    if !is_valid(reference) {
        return None;
    }
    let compact: String = reference
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Some(compact[4..].to_string())
}

/// The RF reference we issue for an invoice number (see the module doc).
pub fn reference_for(number: &str) -> Option<String> {
    let body = body_of(number);
    if body.is_empty() || body.len() > 21 {
        return None;
    }
    let r = mod97(body.chars().chain("RF00".chars()))?;
    Some(format!("RF{:02}{body}", 98 - r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn iso_examples() {
        // The example of ISO 11649 itself: RF18 5390 0754 7034.
        assert!(is_valid("RF18 5390 0754 7034"));
        assert!(is_valid("RF18539007547034"));
        // One digit changed, or the check digits swapped: refused.
        assert!(!is_valid("RF18539007547035"));
        assert!(!is_valid("RF81539007547034"));
        assert!(!is_valid("RF18"));
        assert!(!is_valid("XX18539007547034"));
        // Worked by hand: body "539007547034" + "RF00" -> 539007547034271500
        // mod 97 = 80, 98 - 80 = 18.
        assert_eq!(
            reference_for("539007547034").as_deref(),
            Some("RF18539007547034")
        );
    }

    #[test]
    fn invoice_numbers_give_references() {
        let r = reference_for("F-2026-001").unwrap();
        // By hand: "F2026001" + "RF00" with F=15, R=27 reads as the number
        // 1520260012715 00; it is 69 mod 97, and 98 - 69 = 29.
        assert_eq!(r, "RF29F2026001");
        assert!(is_valid(&r));
        assert_eq!(body_of_reference(&r).as_deref(), Some("F2026001"));
        assert_eq!(reference_for("F-0123456789-0123456789-X"), None);
    }

    proptest! {
        #[test]
        fn rf_round_trip(number in "[A-Za-z0-9/ -]{1,21}") {
            if let Some(r) = reference_for(&number) {
                prop_assert!(is_valid(&r));
                prop_assert_eq!(body_of_reference(&r), Some(body_of(&number)));
            }
        }

        #[test]
        fn one_changed_digit_is_caught(body in "[0-9]{6,18}", pos in 0usize..18, delta in 1u32..10) {
            let r = reference_for(&body).unwrap();
            let pos = 4 + pos % body.len();
            let mut chars: Vec<char> = r.chars().collect();
            let d = chars[pos].to_digit(10).unwrap();
            chars[pos] = char::from_digit((d + delta) % 10, 10).unwrap();
            let changed: String = chars.into_iter().collect();
            prop_assert!(!is_valid(&changed));
        }
    }
}
