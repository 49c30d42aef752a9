//! Reading remittance texts and payer names: invoice numbers in free text,
//! and names normalised for comparison.

use super::rf::body_of;

/// Words that introduce an invoice number, in the normalised form (letters
/// and digits only, upper case), longest first so that "FACTURENO" is
/// stripped before "FACTURE".
const PREFIXES: &[&str] = &[
    "FACTURENUMERO",
    "FACTURENO",
    "FACTURENR",
    "FACTUREN",
    "FACTURE",
    "INVOICENO",
    "INVOICENR",
    "INVOICE",
    "RECHNUNGNR",
    "RECHNUNG",
    "FACTNO",
    "FACTN",
    "FACT",
    "INVNO",
    "INV",
    "REF",
    "NO",
    "NR",
];

/// Shortest key we look up: shorter tokens ("12", "EUR") would name
/// invoices by accident.
const MIN_KEY: usize = 3;
/// Tokens joined at most, for numbers written with spaces ("F 2026 001").
const MAX_WINDOW: usize = 4;

/// Candidate invoice-number keys found in a text, in order of appearance,
/// without duplicates: every run of up to four tokens, joined, and the same
/// with a leading "Facture n°", "INV", "No"... removed. The caller keeps the
/// keys that name an open invoice.
pub fn number_candidates(text: &str) -> Vec<String> {
    let tokens: Vec<String> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '+' | '*'))
        .map(body_of)
        .filter(|t| !t.is_empty())
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut push = |k: String| {
        if k.len() >= MIN_KEY && !out.contains(&k) {
            out.push(k);
        }
    };
    for i in 0..tokens.len() {
        let mut key = String::new();
        for t in tokens.iter().skip(i).take(MAX_WINDOW) {
            key.push_str(t);
            if let Some(p) = PREFIXES
                .iter()
                .find(|p| key.starts_with(**p) && key.len() > p.len())
            {
                push(key[p.len()..].to_string());
            }
            push(key.clone());
        }
    }
    out
}

/// Legal forms dropped from names before comparing them.
const LEGAL_FORMS: &[&str] = &[
    "SA", "SAS", "SASU", "SARL", "EURL", "SNC", "SCI", "GMBH", "AG", "KG", "BV", "BVBA", "NV",
    "LTD", "LIMITED", "INC", "LLC", "PLC", "SPA", "SRL", "CO", "CIE", "ET",
];

/// A name for comparison: upper case, accents folded, punctuation as
/// spaces, legal forms dropped, tokens joined by one space.
pub fn normalize_name(name: &str) -> String {
    let folded: String = name
        .chars()
        .filter(|c| *c != '.')
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' | 'À' | 'Â' | 'Ä' | 'Á' => 'A',
            'ç' | 'Ç' => 'C',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'î' | 'ï' | 'í' | 'Î' | 'Ï' => 'I',
            'ô' | 'ö' | 'ó' | 'õ' | 'Ô' | 'Ö' => 'O',
            'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' => 'U',
            'ÿ' => 'Y',
            'ñ' | 'Ñ' => 'N',
            c if c.is_ascii_alphanumeric() => c.to_ascii_uppercase(),
            _ => ' ',
        })
        .collect();
    folded
        .split_whitespace()
        .filter(|t| !LEGAL_FORMS.contains(t))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Similarity of two normalised names: shared tokens over all tokens
/// (Jaccard), 0.0 to 1.0.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let ta: Vec<&str> = a.split(' ').filter(|t| !t.is_empty()).collect();
    let tb: Vec<&str> = b.split(' ').filter(|t| !t.is_empty()).collect();
    if ta.is_empty() || tb.is_empty() {
        return 0.0;
    }
    let shared = ta.iter().filter(|t| tb.contains(t)).count();
    let union = ta.len() + tb.len() - shared;
    shared as f64 / union as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_prefixes_spaces_and_several() {
        let c = number_candidates("Facture n° F-2026-001 et FACT F 2026 002, INV-77/3");
        assert!(c.contains(&"F2026001".to_string()));
        // "F 2026 002" written with spaces: the three tokens joined.
        assert!(c.contains(&"F2026002".to_string()));
        // "INV-77/3" -> "INV773" with the prefix stripped -> "773".
        assert!(c.contains(&"773".to_string()));
        assert!(c.contains(&"INV773".to_string()));
        // Short tokens are not keys.
        assert!(!c.contains(&"ET".to_string()));
    }

    #[test]
    fn names_compare_without_forms_and_accents() {
        assert_eq!(normalize_name("Société Générale S.A."), "SOCIETE GENERALE");
        assert_eq!(normalize_name("ACME GmbH"), "ACME");
        assert_eq!(name_similarity("ACME INDUSTRIES", "ACME INDUSTRIES"), 1.0);
        // 2 shared of 3 distinct tokens.
        assert!(
            (name_similarity("ACME INDUSTRIES FRANCE", "ACME INDUSTRIES") - 2.0 / 3.0).abs() < 1e-9
        );
    }
}
