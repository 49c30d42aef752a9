use super::*;
use crate::formats::einvoice::cii::read_cii;
use crate::formats::einvoice::model::{Line, Syntax, TaxBreakdown, Totals};
use crate::formats::xml::Limits;
use rust_decimal_macros::dec;

fn id(value: &str, scheme: Option<&str>) -> SchemedId {
    SchemedId {
        value: value.into(),
        scheme: scheme.map(Into::into),
    }
}

/// A factored invoice using every field of the model.
fn factored() -> EInvoice {
    let mut d = EInvoice::empty(Syntax::Cii);
    d.profile = Some("urn:cen.eu:en16931:2017".into());
    d.number = "F-2026-001".into();
    d.type_code = "393".into();
    d.issue_date = NaiveDate::from_ymd_opt(2026, 3, 1);
    d.due_date = NaiveDate::from_ymd_opt(2026, 4, 30);
    d.payment_terms = Some("Pay the factor only\nwithin 60 days".into());
    d.currency = "EUR".into();
    d.buyer_reference = Some("04011000-12345-03".into());
    d.order_reference = Some("PO 7".into());
    d.billing_references = vec!["F-2025-099".into(), "F-2025-100".into()];
    d.seller = Party {
        name: "Seller & Fils <SA>".into(),
        country: Some("FR".into()),
        vat_id: Some("FR11123456789".into()),
        legal_id: Some(id("123456789", Some("0002"))),
        ids: vec![
            id("S-1", None),
            id("3012345678901", Some("0088")),
            id("invoices@seller.fr", Some("EM")),
        ],
    };
    d.buyer = Party {
        name: "Buyer GmbH".into(),
        country: Some("DE".into()),
        vat_id: Some("DE123456789".into()),
        legal_id: Some(id("HRB 1", None)),
        ids: vec![
            id("B-9", None),
            id("04 0 11 000", Some("0204")),
            id("b@x.de", Some("EM")),
        ],
    };
    d.payee = Some(Party {
        name: "Factor SAS".into(),
        legal_id: Some(id("99999999900017", Some("0009"))),
        ids: vec![id("FAC-1", None)],
        ..Party::default()
    });
    d.payment_accounts = vec!["FR76 3000 6000 0112 3456 7890 189".into(), "ACC-42".into()];
    d.lines = vec![
        Line {
            id: "1".into(),
            net_amount: dec!(120.50),
        },
        Line {
            id: "2".into(),
            net_amount: dec!(-20.50),
        },
    ];
    d.tax_breakdowns = vec![TaxBreakdown {
        category: "S".into(),
        rate: Some(dec!(20.00)),
        taxable_amount: dec!(100.00),
        tax_amount: dec!(20.00),
    }];
    d.totals = Totals {
        line_total: Some(dec!(100.00)),
        allowances: Some(dec!(0)),
        charges: Some(dec!(0.00)),
        tax_exclusive: Some(dec!(100.00)),
        tax_total: Some(dec!(20.00)),
        tax_inclusive: Some(dec!(120.00)),
        prepaid: Some(dec!(10)),
        rounding: Some(dec!(0.01)),
        payable: Some(dec!(110.01)),
    };
    d
}

fn written(doc: &EInvoice) -> String {
    let mut out = Vec::new();
    write_cii(doc, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn reread(doc: &EInvoice) -> EInvoice {
    read_cii(written(doc).as_bytes(), Limits::default()).unwrap()
}

/// Asserts the names occur in this order in `xml`, from `from` on.
/// The first of `names` missing, or out of order, after `from` (`from`
/// itself when it is missing); None when all are there in order.
fn out_of_order<'a>(xml: &str, from: &'a str, names: &[&'a str]) -> Option<&'a str> {
    let Some(mut at) = xml.find(from) else {
        return Some(from);
    };
    for name in names {
        match xml[at..].find(name) {
            Some(found) => at += found,
            None => return Some(name),
        }
    }
    None
}

#[test]
fn every_field_reads_back_as_written() {
    let doc = factored();
    assert_eq!(reread(&doc), doc);
    assert_eq!(crate::formats::einvoice::check(&reread(&doc)), vec![]);
}

#[test]
fn a_factored_invoice_names_the_factor_as_payee() {
    let xml = written(&factored());
    assert_eq!(
        out_of_order(
            &xml,
            "<ram:ApplicableHeaderTradeSettlement>",
            &[
                "<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>",
                "<ram:PayeeTradeParty>",
                "<ram:ID>FAC-1</ram:ID>",
                "<ram:Name>Factor SAS</ram:Name>",
                r#"<ram:ID schemeID="0009">99999999900017</ram:ID>"#,
                "</ram:PayeeTradeParty>",
                "<ram:SpecifiedTradeSettlementPaymentMeans>",
            ],
        ),
        None
    );
    assert!(xml.contains("<ram:TypeCode>393</ram:TypeCode>"));
}

#[test]
fn elements_follow_the_schema_order() {
    let xml = written(&factored());
    assert_eq!(
        out_of_order(
            &xml,
            "<rsm:CrossIndustryInvoice",
            &[
                "<rsm:ExchangedDocumentContext>",
                "<rsm:ExchangedDocument>",
                "<rsm:SupplyChainTradeTransaction>",
                "<ram:IncludedSupplyChainTradeLineItem>",
                "<ram:ApplicableHeaderTradeAgreement>",
                "<ram:BuyerReference>",
                "<ram:SellerTradeParty>",
                "<ram:BuyerTradeParty>",
                "<ram:BuyerOrderReferencedDocument>",
                "<ram:ApplicableHeaderTradeDelivery/>",
                "<ram:ApplicableHeaderTradeSettlement>",
                "<ram:ApplicableTradeTax>",
                "<ram:SpecifiedTradePaymentTerms>",
                "<ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
                "<ram:InvoiceReferencedDocument>",
            ],
        ),
        None
    );
    assert_eq!(
        out_of_order(
            &xml,
            "<ram:SellerTradeParty>",
            &[
                "<ram:ID>S-1</ram:ID>",
                r#"<ram:GlobalID schemeID="0088">3012345678901</ram:GlobalID>"#,
                "<ram:Name>Seller &amp; Fils &lt;SA&gt;</ram:Name>",
                "<ram:SpecifiedLegalOrganization>",
                "<ram:PostalTradeAddress>",
                r#"<ram:URIID schemeID="EM">invoices@seller.fr</ram:URIID>"#,
                r#"<ram:ID schemeID="VA">FR11123456789</ram:ID>"#,
            ],
        ),
        None
    );
    assert_eq!(
        out_of_order(
            &xml,
            "<ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
            &[
                "<ram:LineTotalAmount>100.00<",
                "<ram:ChargeTotalAmount>0.00<",
                "<ram:AllowanceTotalAmount>0<",
                "<ram:TaxBasisTotalAmount>100.00<",
                r#"<ram:TaxTotalAmount currencyID="EUR">20.00<"#,
                "<ram:RoundingAmount>0.01<",
                "<ram:GrandTotalAmount>120.00<",
                "<ram:TotalPrepaidAmount>10<",
                "<ram:DuePayableAmount>110.01<",
            ],
        ),
        None
    );
    assert_eq!(
        out_of_order(
            &xml,
            "<ram:IncludedSupplyChainTradeLineItem>",
            &[
                "<ram:LineID>1</ram:LineID>",
                "<ram:SpecifiedTradeProduct>",
                "<ram:NetPriceProductTradePrice>",
                r#"<ram:BilledQuantity unitCode="C62">1<"#,
                "<ram:CategoryCode>S</ram:CategoryCode>",
                "<ram:RateApplicablePercent>20.00<",
                "<ram:LineTotalAmount>120.50<",
            ],
        ),
        None
    );
}

#[test]
fn a_negative_line_is_a_negative_quantity_at_a_positive_price() {
    let xml = written(&factored());
    assert_eq!(
        out_of_order(
            &xml,
            "<ram:LineID>2</ram:LineID>",
            &[
                "<ram:ChargeAmount>20.50<",
                r#"<ram:BilledQuantity unitCode="C62">-1<"#,
                "<ram:LineTotalAmount>-20.50<",
            ],
        ),
        None
    );
}

#[test]
fn only_the_last_id_can_be_the_electronic_address() {
    let xml = written(&factored());
    // The buyer's Leitweg-ID goes as a GlobalID, the e-mail as the URIID.
    assert_eq!(
        out_of_order(
            &xml,
            "<ram:BuyerTradeParty>",
            &[
                "<ram:ID>B-9</ram:ID>",
                r#"<ram:GlobalID schemeID="0204">04 0 11 000</ram:GlobalID>"#,
                r#"<ram:URIID schemeID="EM">b@x.de</ram:URIID>"#,
            ],
        ),
        None
    );
    assert_eq!(electronic_address(&[id("a", Some("0088"))]), None);
    assert_eq!(electronic_address(&[id("a", Some("9930"))]), Some(0));
    assert_eq!(
        electronic_address(&[id("a", Some("0088")), id("b", None)]),
        Some(1)
    );
    assert_eq!(electronic_address(&[id("b", None)]), None);
    assert_eq!(electronic_address(&[]), None);
}

#[test]
fn accounts_are_ibans_only_when_they_check() {
    assert!(is_iban("FR76 3000 6000 0112 3456 7890 189"));
    assert!(is_iban("DE75512108001245126199"));
    assert!(is_iban("NO9386011117947"));
    assert!(!is_iban("DE75512108001245126198"));
    assert!(!is_iban("IBAN"));
    assert!(!is_iban("XX"));
    let xml = written(&factored());
    assert!(xml.contains("<ram:TypeCode>58</ram:TypeCode>"));
    assert!(xml.contains("<ram:IBANID>FR76 3000 6000 0112 3456 7890 189</ram:IBANID>"));
    assert!(xml.contains("<ram:ProprietaryID>ACC-42</ram:ProprietaryID>"));
}

#[test]
fn line_categories_are_left_empty_when_rates_differ() {
    let mut doc = factored();
    doc.tax_breakdowns.push(TaxBreakdown {
        category: "S".into(),
        rate: Some(dec!(5.5)),
        taxable_amount: dec!(0),
        tax_amount: dec!(0),
    });
    let xml = written(&doc);
    assert_eq!(
        out_of_order(
            &xml,
            "<ram:SpecifiedLineTradeSettlement>",
            &[
                "<ram:TypeCode>VAT</ram:TypeCode>",
                "<ram:CategoryCode></ram:CategoryCode>",
            ],
        ),
        None
    );
    assert_eq!(reread(&doc), doc);
}

#[test]
fn a_bare_document_gets_the_en16931_profile_and_reads_back() {
    let mut doc = EInvoice::empty(Syntax::Cii);
    doc.number = "X".into();
    let xml = written(&doc);
    assert!(xml.contains("<ram:ID>urn:cen.eu:en16931:2017</ram:ID>"));
    assert!(!xml.contains("PayeeTradeParty"));
    let back = read_cii(xml.as_bytes(), Limits::default()).unwrap();
    assert_eq!(back.profile.as_deref(), Some(DEFAULT_PROFILE));
    assert_eq!(
        EInvoice {
            profile: None,
            ..back
        },
        doc
    );
}

#[test]
fn what_xml_cannot_carry_is_refused() {
    let mut doc = factored();
    doc.buyer.name = "Bell\u{7}".into();
    match write_cii(&doc, Vec::new()) {
        Err(DocumentError::Malformed { path, .. }) => assert_eq!(
            path,
            "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction\
             /ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/ram:Name"
        ),
        other => panic!("expected malformed, got {other:?}"),
    }
    let mut doc = factored();
    doc.due_date = NaiveDate::from_ymd_opt(10000, 1, 1);
    match write_cii(&doc, Vec::new()) {
        Err(DocumentError::Malformed { path, .. }) => {
            assert!(
                path.ends_with("ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime"),
                "{path}"
            )
        }
        other => panic!("expected malformed, got {other:?}"),
    }
    // An output that fails is reported with where the writing stopped.
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::WriteZero.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    match write_cii(&factored(), Full) {
        Err(DocumentError::Malformed { message, .. }) => {
            assert!(
                message.starts_with("cannot write the document"),
                "{message}"
            )
        }
        other => panic!("expected malformed, got {other:?}"),
    }
}
