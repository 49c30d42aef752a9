//! An invoice as an e-invoicing document states it: the part of the EN 16931
//! semantic model factorgate maps, whatever the syntax it came in (UBL, CII,
//! CSV, JSON). Amounts stay decimals as written; turning them into minor
//! units, and checking them, happens after reading (see `rules`).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The syntax a document was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Syntax {
    /// OASIS UBL 2.1 Invoice or CreditNote (PEPPOL BIS 3, XRechnung UBL).
    Ubl,
    /// UN/CEFACT CrossIndustryInvoice (Factur-X, ZUGFeRD, XRechnung CII).
    Cii,
    Csv,
    Json,
}

impl Syntax {
    pub fn as_str(self) -> &'static str {
        match self {
            Syntax::Ubl => "ubl",
            Syntax::Cii => "cii",
            Syntax::Csv => "csv",
            Syntax::Json => "json",
        }
    }
}

/// An identifier with the ISO 6523 scheme (`schemeID`) it was given under,
/// if any: "0002" SIREN, "0009" SIRET, "0088" GLN, "0060" DUNS, "0199" LEI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemedId {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
}

/// A party: seller (BG-4), buyer (BG-7) or payee (BG-10).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// BT-27 / BT-44 / BT-59.
    pub name: String,
    /// ISO 3166-1 alpha-2, BT-40 / BT-55.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// VAT identifier, BT-31 / BT-48.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    /// Legal registration identifier, BT-30 / BT-47 / BT-61.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_id: Option<SchemedId>,
    /// Other identifiers, BT-29 / BT-46 / BT-60 (GLN, DUNS, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<SchemedId>,
}

/// An invoice line (BG-25): only what the totals are checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// BT-126.
    pub id: String,
    /// Line net amount, BT-131.
    pub net_amount: Decimal,
}

/// A VAT breakdown (BG-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxBreakdown {
    /// BT-118 (S, Z, E, AE, K, G, O, L, M).
    pub category: String,
    /// BT-119, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Decimal>,
    /// BT-116.
    pub taxable_amount: Decimal,
    /// BT-117.
    pub tax_amount: Decimal,
}

/// Document totals (BG-22), in the invoice currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Sum of invoice line net amounts, BT-106.
    #[serde(default)]
    pub line_total: Option<Decimal>,
    /// Sum of document-level allowances, BT-107.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowances: Option<Decimal>,
    /// Sum of document-level charges, BT-108.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charges: Option<Decimal>,
    /// Total without VAT, BT-109.
    #[serde(default)]
    pub tax_exclusive: Option<Decimal>,
    /// Total VAT in the invoice currency, BT-110.
    #[serde(default)]
    pub tax_total: Option<Decimal>,
    /// Total with VAT, BT-112.
    #[serde(default)]
    pub tax_inclusive: Option<Decimal>,
    /// Paid amount, BT-113.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepaid: Option<Decimal>,
    /// Rounding amount, BT-114.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounding: Option<Decimal>,
    /// Amount due for payment, BT-115.
    #[serde(default)]
    pub payable: Option<Decimal>,
}

/// One invoice or credit note as read from a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EInvoice {
    pub syntax: Syntax,
    /// Specification identifier, BT-24 (CustomizationID / GuidelineSpecifiedDocumentContextParameter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// BT-1.
    pub number: String,
    /// BT-3 (UNTDID 1001): 380 invoice, 381 credit note, 384 corrected,
    /// 389 self-billed, 393 factored invoice, 396 factored credit note, ...
    pub type_code: String,
    /// True for a UBL CreditNote document (its amounts are positive and the
    /// type code is in the credit-note family whatever it says).
    #[serde(default)]
    pub credit_note_document: bool,
    /// BT-2.
    pub issue_date: Option<NaiveDate>,
    /// BT-9.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    /// Payment terms as text, BT-20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_terms: Option<String>,
    /// BT-5.
    pub currency: String,
    /// BT-10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_reference: Option<String>,
    /// BT-13.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_reference: Option<String>,
    /// Preceding invoice references, BT-25.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub billing_references: Vec<String>,
    pub seller: Party,
    pub buyer: Party,
    /// BG-10, when someone else than the seller is to be paid (a factor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<Party>,
    /// Payment account identifiers (IBAN), BT-84, in document order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_accounts: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<Line>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_breakdowns: Vec<TaxBreakdown>,
    pub totals: Totals,
}

impl EInvoice {
    /// An empty document of the given syntax, for readers to fill in.
    pub fn empty(syntax: Syntax) -> EInvoice {
        EInvoice {
            syntax,
            profile: None,
            number: String::new(),
            type_code: String::new(),
            credit_note_document: false,
            issue_date: None,
            due_date: None,
            payment_terms: None,
            currency: String::new(),
            buyer_reference: None,
            order_reference: None,
            billing_references: Vec::new(),
            seller: Party::default(),
            buyer: Party::default(),
            payee: None,
            payment_accounts: Vec::new(),
            lines: Vec::new(),
            tax_breakdowns: Vec::new(),
            totals: Totals::default(),
        }
    }
}
