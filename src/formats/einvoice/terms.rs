//! Where each business term lives in each syntax, so a refusal can name the
//! element (or column) the user has to look at.

use super::model::Syntax;

/// The business terms the rules check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    Number,
    IssueDate,
    TypeCode,
    Currency,
    DueDate,
    SellerName,
    BuyerName,
    BuyerCountry,
    Line,
    LineNet,
    LineTotal,
    Allowances,
    Charges,
    TaxExclusive,
    TaxTotal,
    TaxBreakdownAmount,
    TaxInclusive,
    Prepaid,
    Rounding,
    Payable,
}

const CII_SETTLEMENT: &str =
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement";
const CII_AGREEMENT: &str =
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement";

impl Term {
    /// The XPath (UBL, CII) or the column / field name (CSV, JSON).
    pub fn path(self, syntax: Syntax, credit_note_document: bool) -> String {
        match syntax {
            Syntax::Ubl => self.ubl_path(credit_note_document),
            Syntax::Cii => self.cii_path(),
            Syntax::Csv | Syntax::Json => self.field().to_string(),
        }
    }

    /// The column of the CSV format and the field of the JSON format.
    pub fn field(self) -> &'static str {
        match self {
            Term::Number => "number",
            Term::IssueDate => "issue_date",
            Term::TypeCode => "type_code",
            Term::Currency => "currency",
            Term::DueDate => "due_date",
            Term::SellerName => "seller_name",
            Term::BuyerName => "buyer_name",
            Term::BuyerCountry => "buyer_country",
            Term::Line | Term::LineNet => "lines",
            Term::LineTotal => "line_total",
            Term::Allowances => "allowances",
            Term::Charges => "charges",
            Term::TaxExclusive => "net",
            Term::TaxTotal | Term::TaxBreakdownAmount => "tax",
            Term::TaxInclusive => "gross",
            Term::Prepaid => "prepaid",
            Term::Rounding => "rounding",
            Term::Payable => "payable",
        }
    }

    fn ubl_path(self, credit_note: bool) -> String {
        let (root, line, type_code) = if credit_note {
            (
                "/CreditNote",
                "cac:CreditNoteLine",
                "cbc:CreditNoteTypeCode",
            )
        } else {
            ("/Invoice", "cac:InvoiceLine", "cbc:InvoiceTypeCode")
        };
        let total = "cac:LegalMonetaryTotal";
        let rest = match self {
            Term::Number => "cbc:ID".to_string(),
            Term::IssueDate => "cbc:IssueDate".to_string(),
            Term::TypeCode => type_code.to_string(),
            Term::Currency => "cbc:DocumentCurrencyCode".to_string(),
            Term::DueDate => "cbc:DueDate".to_string(),
            Term::SellerName => {
                "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName"
                    .to_string()
            }
            Term::BuyerName => {
                "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName"
                    .to_string()
            }
            Term::BuyerCountry => {
                "cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode"
                    .to_string()
            }
            Term::Line => line.to_string(),
            Term::LineNet => format!("{line}/cbc:LineExtensionAmount"),
            Term::LineTotal => format!("{total}/cbc:LineExtensionAmount"),
            Term::Allowances => format!("{total}/cbc:AllowanceTotalAmount"),
            Term::Charges => format!("{total}/cbc:ChargeTotalAmount"),
            Term::TaxExclusive => format!("{total}/cbc:TaxExclusiveAmount"),
            Term::TaxTotal => "cac:TaxTotal/cbc:TaxAmount".to_string(),
            Term::TaxBreakdownAmount => "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount".to_string(),
            Term::TaxInclusive => format!("{total}/cbc:TaxInclusiveAmount"),
            Term::Prepaid => format!("{total}/cbc:PrepaidAmount"),
            Term::Rounding => format!("{total}/cbc:PayableRoundingAmount"),
            Term::Payable => format!("{total}/cbc:PayableAmount"),
        };
        format!("{root}/{rest}")
    }

    fn cii_path(self) -> String {
        let sums = format!("{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation");
        let doc = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument";
        let line = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem";
        match self {
            Term::Number => format!("{doc}/ram:ID"),
            Term::IssueDate => format!("{doc}/ram:IssueDateTime/udt:DateTimeString"),
            Term::TypeCode => format!("{doc}/ram:TypeCode"),
            Term::Currency => format!("{CII_SETTLEMENT}/ram:InvoiceCurrencyCode"),
            Term::DueDate => format!(
                "{CII_SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"
            ),
            Term::SellerName => format!("{CII_AGREEMENT}/ram:SellerTradeParty/ram:Name"),
            Term::BuyerName => format!("{CII_AGREEMENT}/ram:BuyerTradeParty/ram:Name"),
            Term::BuyerCountry => format!(
                "{CII_AGREEMENT}/ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID"
            ),
            Term::Line => line.to_string(),
            Term::LineNet => format!(
                "{line}/ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
            ),
            Term::LineTotal => format!("{sums}/ram:LineTotalAmount"),
            Term::Allowances => format!("{sums}/ram:AllowanceTotalAmount"),
            Term::Charges => format!("{sums}/ram:ChargeTotalAmount"),
            Term::TaxExclusive => format!("{sums}/ram:TaxBasisTotalAmount"),
            Term::TaxTotal => format!("{sums}/ram:TaxTotalAmount"),
            Term::TaxBreakdownAmount => {
                format!("{CII_SETTLEMENT}/ram:ApplicableTradeTax/ram:CalculatedAmount")
            }
            Term::TaxInclusive => format!("{sums}/ram:GrandTotalAmount"),
            Term::Prepaid => format!("{sums}/ram:TotalPrepaidAmount"),
            Term::Rounding => format!("{sums}/ram:RoundingAmount"),
            Term::Payable => format!("{sums}/ram:DuePayableAmount"),
        }
    }
}
