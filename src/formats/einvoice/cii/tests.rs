use super::*;
use rust_decimal_macros::dec;

/// The shared strict decimal reader, as the CII reader uses it.
fn parse_decimal(text: &str) -> Option<Decimal> {
    crate::formats::einvoice::value::parse_decimal(text).ok()
}

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">"#;

/// Every mapped local name also appears somewhere it must not be mapped.
const TRICKY: &str = r#"
  <rsm:ExchangedDocumentContext>
    <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>process</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>INV-1</ram:ID>
    <ram:Name>RECHNUNG</ram:Name>
    <ram:TypeCode>393</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20260301</udt:DateTimeString></ram:IssueDateTime>
    <ram:IncludedNote><ram:Content>ID 999</ram:Content></ram:IncludedNote>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>L1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:GlobalID schemeID="0160">4012345001235</ram:GlobalID><ram:Name>Product</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>LINE-PO</ram:IssuerAssignedID><ram:LineID>7</ram:LineID></ram:BuyerOrderReferencedDocument>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>60.00</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:CalculatedAmount>99.99</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>999.99</ram:BasisAmount><ram:CategoryCode>Z</ram:CategoryCode></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>60.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>L2</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedLineTradeSettlement>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>40</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:BuyerReference>BR-1</ram:BuyerReference>
      <ram:SellerTradeParty>
        <ram:ID>S-1</ram:ID>
        <ram:GlobalID schemeID="0088">1234567890123</ram:GlobalID>
        <ram:Name>Seller SA</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">123456789</ram:ID><ram:TradingBusinessName>Seller</ram:TradingBusinessName></ram:SpecifiedLegalOrganization>
        <ram:DefinedTradeContact><ram:PersonName>Jo</ram:PersonName><ram:EmailURIUniversalCommunication><ram:URIID>jo@seller.fr</ram:URIID></ram:EmailURIUniversalCommunication></ram:DefinedTradeContact>
        <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
        <ram:URIUniversalCommunication><ram:URIID schemeID="EM">invoices@seller.fr</ram:URIID></ram:URIUniversalCommunication>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">12/345/67890</ram:ID></ram:SpecifiedTaxRegistration>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR11123456789</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Buyer &amp; Co</ram:Name><ram:PostalTradeAddress><ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress></ram:BuyerTradeParty>
      <ram:SellerTaxRepresentativeTradeParty><ram:Name>Representative</ram:Name><ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR99</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTaxRepresentativeTradeParty>
      <ram:SellerOrderReferencedDocument><ram:IssuerAssignedID>SO-1</ram:IssuerAssignedID></ram:SellerOrderReferencedDocument>
      <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>PO-1</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>
      <ram:AdditionalReferencedDocument><ram:IssuerAssignedID>ATT-1</ram:IssuerAssignedID><ram:TypeCode>916</ram:TypeCode><ram:Name>Timesheet</ram:Name>
        <ram:AttachmentBinaryObject mimeCode="application/pdf" filename="a.pdf">JVBERi0xLjcKJeLjz9MK</ram:AttachmentBinaryObject></ram:AdditionalReferencedDocument>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery>
      <ram:ShipToTradeParty><ram:ID>SHIP</ram:ID><ram:Name>Warehouse</ram:Name></ram:ShipToTradeParty>
      <ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime><udt:DateTimeString format="102">20260228</udt:DateTimeString></ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>
    </ram:ApplicableHeaderTradeDelivery>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:PaymentReference>INV-1</ram:PaymentReference>
      <ram:TaxCurrencyCode>EUR</ram:TaxCurrencyCode>
      <ram:InvoiceCurrencyCode>GBP</ram:InvoiceCurrencyCode>
      <ram:PayeeTradeParty><ram:GlobalID schemeID="0009">99999999900017</ram:GlobalID><ram:Name>Factor SAS</ram:Name></ram:PayeeTradeParty>
      <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode><ram:PayeePartyCreditorFinancialAccount><ram:IBANID>FR7630006000011234567890189</ram:IBANID></ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>59</ram:TypeCode><ram:PayerPartyDebtorFinancialAccount><ram:IBANID>DE02120300000000202051</ram:IBANID></ram:PayerPartyDebtorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>30</ram:TypeCode><ram:PayeePartyCreditorFinancialAccount><ram:AccountName>Local</ram:AccountName><ram:ProprietaryID>12-3456</ram:ProprietaryID></ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>20.00</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>100.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradeAllowanceCharge><ram:ActualAmount>5</ram:ActualAmount><ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode></ram:CategoryTradeTax></ram:SpecifiedTradeAllowanceCharge>
      <ram:SpecifiedTradePaymentTerms><ram:Description>30 days</ram:Description><ram:DueDateDateTime><udt:DateTimeString format="102">20260331</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradePaymentTerms><ram:Description>2% within 10 days</ram:Description><ram:DueDateDateTime><udt:DateTimeString>2026-04-30</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>100.00</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">23.40</ram:TaxTotalAmount>
        <ram:TaxTotalAmount currencyID="GBP">20.00</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>120.00</ram:GrandTotalAmount>
        <ram:TotalPrepaidAmount>20.00</ram:TotalPrepaidAmount>
        <ram:DuePayableAmount>100.00</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
      <ram:InvoiceReferencedDocument><ram:IssuerAssignedID>INV-0</ram:IssuerAssignedID><ram:TypeCode>380</ram:TypeCode></ram:InvoiceReferencedDocument>
      <ram:InvoiceReferencedDocument><ram:IssuerAssignedID>INV-00</ram:IssuerAssignedID></ram:InvoiceReferencedDocument>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>"#;

fn read(xml: &str) -> Result<EInvoice, DocumentError> {
    read_cii(xml.as_bytes(), Limits::default())
}

fn tricky() -> String {
    format!("{HEAD}{TRICKY}")
}

fn id(value: &str, scheme: Option<&str>) -> SchemedId {
    SchemedId {
        value: value.into(),
        scheme: scheme.map(Into::into),
    }
}

#[test]
fn each_element_is_read_by_its_position() {
    let doc = read(&tricky()).unwrap();
    assert_eq!(doc.profile.as_deref(), Some("urn:cen.eu:en16931:2017"));
    assert_eq!(doc.number, "INV-1");
    assert_eq!(doc.type_code, "393");
    assert_eq!(doc.issue_date, NaiveDate::from_ymd_opt(2026, 3, 1));
    assert_eq!(doc.buyer_reference.as_deref(), Some("BR-1"));
    assert_eq!(doc.order_reference.as_deref(), Some("PO-1"));
    assert_eq!(doc.billing_references, vec!["INV-0", "INV-00"]);
    assert_eq!(
        doc.seller,
        Party {
            name: "Seller SA".into(),
            country: Some("FR".into()),
            vat_id: Some("FR11123456789".into()),
            legal_id: Some(id("123456789", Some("0002"))),
            ids: vec![
                id("S-1", None),
                id("1234567890123", Some("0088")),
                id("invoices@seller.fr", Some("EM")),
            ],
        }
    );
    assert_eq!(doc.buyer.name, "Buyer & Co");
    assert_eq!(doc.buyer.country.as_deref(), Some("DE"));
    assert_eq!(
        doc.payee,
        Some(Party {
            name: "Factor SAS".into(),
            ids: vec![id("99999999900017", Some("0009"))],
            ..Party::default()
        })
    );
    // The payer's direct-debit account is not an account to pay into.
    assert_eq!(
        doc.payment_accounts,
        vec!["FR7630006000011234567890189", "12-3456"]
    );
    assert_eq!(
        doc.lines,
        vec![
            Line {
                id: "L1".into(),
                net_amount: dec!(60.00)
            },
            Line {
                id: "L2".into(),
                net_amount: dec!(40)
            },
        ]
    );
    assert_eq!(
        doc.payment_terms.as_deref(),
        Some("30 days\n2% within 10 days")
    );
    assert_eq!(doc.due_date, NaiveDate::from_ymd_opt(2026, 3, 31));
    assert_eq!(doc.totals.line_total, Some(dec!(100.00)));
    assert_eq!(doc.totals.prepaid, Some(dec!(20.00)));
    assert_eq!(doc.totals.payable, Some(dec!(100.00)));
}

#[test]
fn only_header_vat_breakdowns_are_read() {
    let doc = read(&tricky()).unwrap();
    assert_eq!(
        doc.tax_breakdowns,
        vec![TaxBreakdown {
            category: "S".into(),
            rate: Some(dec!(20)),
            taxable_amount: dec!(100.00),
            tax_amount: dec!(20.00),
        }]
    );
}

#[test]
fn the_vat_total_is_the_one_in_the_invoice_currency() {
    // GBP invoice with VAT also stated in EUR, the EUR one first.
    assert_eq!(read(&tricky()).unwrap().totals.tax_total, Some(dec!(20.00)));
    let without_currency = tricky().replace(
        r#"<ram:TaxTotalAmount currencyID="GBP">20.00"#,
        "<ram:TaxTotalAmount>20.01",
    );
    assert_eq!(
        read(&without_currency).unwrap().totals.tax_total,
        Some(dec!(20.01))
    );
    // Only the tax-currency total: BT-110 is absent, not 23.40.
    let only_eur = tricky().replace(
        r#"<ram:TaxTotalAmount currencyID="GBP">20.00</ram:TaxTotalAmount>"#,
        "",
    );
    assert_eq!(read(&only_eur).unwrap().totals.tax_total, None);
}

#[test]
fn small_reads_and_a_byte_order_mark_change_nothing() {
    let xml = format!("\u{feff}{}", tricky());
    let slow = std::io::BufReader::with_capacity(1, xml.as_bytes());
    assert_eq!(
        read_cii(slow, Limits::default()).unwrap(),
        read(&tricky()).unwrap()
    );
}

#[test]
fn the_root_must_be_a_cii_invoice_in_its_namespace() {
    let unknown = |xml: &str| matches!(read(xml), Err(DocumentError::UnknownFormat { .. }));
    assert!(unknown(""));
    assert!(unknown("%PDF-1.7 not xml"));
    assert!(unknown(
        r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"#
    ));
    assert!(unknown(
        r#"<rsm:CrossIndustryInvoice xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"/>"#
    ));
    assert!(unknown("<rsm:CrossIndustryInvoice/>"));
    // The namespace of the root's own prefix counts, not another one's.
    assert!(unknown(&format!(
        r#"<rsm:CrossIndustryInvoice xmlns="{CII_NAMESPACE}" xmlns:rsm="urn:other"/>"#
    )));
    let default_ns = read(&format!(
        r#"<CrossIndustryInvoice xmlns="{CII_NAMESPACE}"><ExchangedDocument><ID>D-1</ID></ExchangedDocument></CrossIndustryInvoice>"#
    ))
    .unwrap();
    assert_eq!(default_ns.number, "D-1");
    assert_eq!(default_ns.syntax, Syntax::Cii);
}

fn malformed(xml: &str) -> (String, String) {
    match read(xml) {
        Err(DocumentError::Malformed { path, message }) => (path, message),
        other => panic!("expected malformed, got {other:?}"),
    }
}

#[test]
fn bad_dates_are_named_with_their_element_and_text() {
    let (path, message) = malformed(&tricky().replace("20260301", "20260231"));
    assert_eq!(
        path,
        "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"
    );
    assert!(message.contains("\"20260231\""), "{message}");
    // Format 610 is a month, not a day.
    let (_, message) =
        malformed(&tricky().replace(r#"format="102">20260331"#, r#"format="610">202603"#));
    assert!(
        message.contains("610") && message.contains("202603"),
        "{message}"
    );
}

#[test]
fn bad_amounts_are_named_and_echoed_short() {
    let (path, message) = malformed(&tricky().replace(">120.00<", ">120,00<"));
    assert!(path.ends_with("ram:GrandTotalAmount"), "{path}");
    assert!(message.contains("\"120,00\""), "{message}");
    let long = "9".repeat(400);
    let (_, message) = malformed(&tricky().replace(">120.00<", &format!(">{long}<")));
    assert!(message.chars().count() < 100, "{message}");
    let (path, _) = malformed(&tricky().replace(">40<", ">4O<"));
    assert!(path.ends_with("ram:LineTotalAmount"), "{path}");
    assert!(path.contains("IncludedSupplyChainTradeLineItem"), "{path}");
}

#[test]
fn decimals_are_taken_only_as_xml_writes_them() {
    assert_eq!(parse_decimal("336.90"), Some(dec!(336.90)));
    assert_eq!(parse_decimal("336.90").map(|d| d.scale()), Some(2));
    assert_eq!(parse_decimal("-233.47"), Some(dec!(-233.47)));
    assert_eq!(parse_decimal("+5."), Some(dec!(5)));
    assert_eq!(parse_decimal("-.5"), Some(dec!(-0.5)));
    for bad in [
        "", "-", ".", "1_000", "1e3", "1.2.3", "12,50", " 1", "0x10", "--1",
    ] {
        assert_eq!(parse_decimal(bad), None, "{bad:?}");
    }
    // Beyond rust_decimal's 28 digits of scale or 96 bits: refused, not rounded.
    assert_eq!(parse_decimal(&format!("0.{}1", "0".repeat(28))), None);
    assert_eq!(parse_decimal(&"9".repeat(40)), None);
}

#[test]
fn dates_are_format_102_or_iso() {
    let d = NaiveDate::from_ymd_opt(2024, 2, 29);
    assert_eq!(parse_date("20240229", Some("102")), d);
    assert_eq!(parse_date("20240229", None), d);
    assert_eq!(parse_date("2024-02-29", Some("102")), d);
    for bad in [
        "20230229",
        "2024229",
        "2024-2-29",
        "2024/02/29",
        "+2024022",
        "２０２４０２２９",
    ] {
        assert_eq!(parse_date(bad, Some("102")), None, "{bad:?}");
    }
    assert_eq!(parse_date("20240229", Some("610")), None);
}

#[test]
fn lines_and_breakdowns_without_their_amounts_are_refused() {
    let no_line_amount = tricky().replace("<ram:LineTotalAmount>40</ram:LineTotalAmount>", "");
    let (path, message) = malformed(&no_line_amount);
    assert!(
        path.ends_with("IncludedSupplyChainTradeLineItem[2]"),
        "{path}"
    );
    assert!(message.contains("L2"), "{message}");
    let no_tax = tricky().replace("<ram:CalculatedAmount>20.00</ram:CalculatedAmount>", "");
    let (path, message) = malformed(&no_tax);
    assert!(
        path.ends_with("ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"),
        "{path}"
    );
    assert!(message.contains("BT-117"), "{message}");
}

#[test]
fn empty_optional_elements_count_as_absent() {
    let xml = tricky()
        .replace(
            "<ram:BuyerReference>BR-1</ram:BuyerReference>",
            "<ram:BuyerReference/>",
        )
        .replace(">PO-1<", "><")
        .replace(
            r#"<ram:ID schemeID="0002">123456789</ram:ID>"#,
            r#"<ram:ID schemeID="0002"/>"#,
        )
        .replace(">INV-0<", "> <");
    let doc = read(&xml).unwrap();
    assert_eq!(doc.buyer_reference, None);
    assert_eq!(doc.order_reference, None);
    assert_eq!(doc.seller.legal_id, None);
    assert_eq!(doc.billing_references, vec!["INV-00"]);
}

#[test]
fn markup_inside_a_value_and_truncation_are_malformed() {
    let (path, _) = malformed(&tricky().replace(">INV-1</ram:ID>", "><b>INV-1</b></ram:ID>"));
    assert!(path.contains("rsm:ExchangedDocument/ram:ID"), "{path}");
    let xml = tricky();
    let cut = xml.find("<ram:ApplicableHeaderTradeSettlement>").unwrap();
    assert!(matches!(
        read(&xml[..cut]),
        Err(DocumentError::Malformed { .. })
    ));
}
