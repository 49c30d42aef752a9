//! What each CII fixture says, read off the XML by hand (values exactly as
//! written there; totals in the invoice currency).

use chrono::NaiveDate;
use factorgate::formats::einvoice::{
    EInvoice, Line, Party, SchemedId, Syntax, TaxBreakdown, Totals,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const EN16931: &str = "urn:cen.eu:en16931:2017";
const XRECHNUNG_3: &str = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0";

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn id(value: &str) -> SchemedId {
    SchemedId {
        value: value.into(),
        scheme: None,
    }
}

fn sid(scheme: &str, value: &str) -> SchemedId {
    SchemedId {
        value: value.into(),
        scheme: Some(scheme.into()),
    }
}

fn s(text: &str) -> Option<String> {
    Some(text.into())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn party(name: &str, country: &str, vat: Option<&str>) -> Party {
    Party {
        name: name.into(),
        country: s(country),
        vat_id: vat.map(Into::into),
        ..Party::default()
    }
}

/// Lines as "LineID=LineTotalAmount; ...".
fn lines(items: &str) -> Vec<Line> {
    items
        .split("; ")
        .map(|item| {
            let (id, net) = item.rsplit_once('=').unwrap();
            Line {
                id: id.into(),
                net_amount: Decimal::from_str_exact(net).unwrap(),
            }
        })
        .collect()
}

fn vat(category: &str, rate: Decimal, taxable: Decimal, tax: Decimal) -> TaxBreakdown {
    TaxBreakdown {
        category: category.into(),
        rate: Some(rate),
        taxable_amount: taxable,
        tax_amount: tax,
    }
}

fn invoice(profile: &str, number: &str, issued: Option<NaiveDate>, currency: &str) -> EInvoice {
    EInvoice {
        profile: s(profile),
        number: number.into(),
        type_code: "380".into(),
        issue_date: issued,
        currency: currency.into(),
        ..EInvoice::empty(Syntax::Cii)
    }
}

pub fn rounding_issue() -> EInvoice {
    EInvoice {
        due_date: date(2021, 3, 26),
        payment_terms: s("Fällig nach Belegdatum + 10 Tage"),
        buyer_reference: s("XXX-XXXXX-XX"),
        billing_references: strings(&["0"]),
        seller: party("Seller GmbH", "DE", Some("DE 123 456 789")),
        buyer: Party {
            ids: vec![id("1")],
            ..party("BuyerName", "DE", None)
        },
        payment_accounts: strings(&["IBAN"]),
        lines: lines("1=720.81; 1=0.01; 2=-720.81; 2=-0.01"),
        tax_breakdowns: vec![
            vat("Z", dec!(0), dec!(0.00), dec!(0.00)),
            vat("S", dec!(19.00), dec!(0.00), dec!(0.00)),
        ],
        totals: Totals {
            line_total: Some(dec!(0.00)),
            charges: Some(dec!(0)),
            allowances: Some(dec!(0)),
            tax_exclusive: Some(dec!(0.00)),
            tax_total: Some(dec!(0.00)),
            tax_inclusive: Some(dec!(0.00)),
            prepaid: Some(dec!(0)),
            rounding: None,
            payable: Some(dec!(0.00)),
        },
        ..invoice(
            "urn:ferd:CrossIndustryDocument:invoice:1p0:comfort",
            "0",
            date(2021, 3, 26),
            "EUR",
        )
    }
}

pub fn example1() -> EInvoice {
    EInvoice {
        due_date: date(2015, 1, 9),
        seller: Party {
            legal_id: Some(id("57151520")),
            ..party("De Koksmaat", "NL", Some("NL8200.98.395.B.01"))
        },
        buyer: Party {
            ids: vec![id("10202")],
            ..party("ODIN 59", "NL", None)
        },
        payment_accounts: strings(&["NL57 RABO 0107307510", "NL57 RABO 0107307510"]),
        lines: lines(
            "1=19.9; 2=9.85; 3=8.29; 4=14.46; 5=35; 6=35; 7=10.65; 8=1.55; \
            9=14.37; 10=8.29; 11=16.58; 12=9.95; 13=3.3; 14=10.8; 15=3.9; \
            16=7.6; 17=9.34; 18=18.63; 19=102.12; 20=-109.98",
        ),
        tax_breakdowns: vec![
            vat("S", dec!(6), dec!(183.23), dec!(10.99)),
            vat("S", dec!(21), dec!(46.37), dec!(9.74)),
        ],
        totals: Totals {
            line_total: Some(dec!(229.6)),
            tax_exclusive: Some(dec!(229.6)),
            tax_total: Some(dec!(20.73)),
            tax_inclusive: Some(dec!(250.33)),
            payable: Some(dec!(250.33)),
            ..Totals::default()
        },
        ..invoice(EN16931, "12115118", date(2015, 1, 9), "EUR")
    }
}

pub fn example2() -> EInvoice {
    EInvoice {
        due_date: date(2013, 7, 20),
        payment_terms: s(
            "2 % discount if paid within 2 days\nPenalty percentage 10% from due date",
        ),
        order_reference: s("123"),
        seller: Party {
            legal_id: Some(id("123456789")),
            ids: vec![sid("0088", "1238764941386")],
            ..party("Salescompany ltd.", "NO", Some("NO123456789MVA"))
        },
        buyer: Party {
            legal_id: Some(id("987654321")),
            ids: vec![sid("0088", "3456789012098")],
            ..party("The Buyercompany", "NO", Some("NO987654321MVA"))
        },
        payee: Some(Party {
            name: "Ebeneser Scrooge AS".into(),
            legal_id: Some(id("989823401")),
            ids: vec![id("2298740918237")],
            ..Party::default()
        }),
        payment_accounts: strings(&["NO9386011117947", "NO9386011117947"]),
        lines: lines("1=1273; 2=-3.96; 3=4.96; 4=-25; 5=187.5"),
        tax_breakdowns: vec![
            vat("S", dec!(25), dec!(1460.5), dec!(365.13)),
            vat("S", dec!(15), dec!(1), dec!(0.15)),
            vat("E", dec!(0), dec!(-25), dec!(0)),
        ],
        totals: Totals {
            line_total: Some(dec!(1436.5)),
            charges: Some(dec!(100)),
            allowances: Some(dec!(100)),
            tax_exclusive: Some(dec!(1436.5)),
            tax_total: Some(dec!(365.28)),
            tax_inclusive: Some(dec!(1801.78)),
            prepaid: Some(dec!(1000)),
            rounding: None,
            payable: Some(dec!(801.78)),
        },
        ..invoice(EN16931, "TOSL108", date(2013, 6, 30), "NOK")
    }
}

pub fn example8() -> EInvoice {
    EInvoice {
        due_date: date(2014, 11, 24),
        payment_terms: s("Enexis brengt wettelijke rente in rekening over te laat betaalde\nfacturen. Kijk voor informatie op www.enexis.nl/rentenota"),
        seller: Party {
            legal_id: Some(id("17131139")),
            ..party("Enexis B.V.", "NL", Some("NL809561074B01"))
        },
        buyer: Party {
            ids: vec![id("1081119")],
            ..party("Klant", "NL", None)
        },
        payment_accounts: strings(&["NL28RBOS0420242228", "NL28RBOS0420242228"]),
        lines: lines(
            "1=140.80; 2=16.16; 3=167.64; 4=88.74; 5=36.75; 6=56.50; \
            7=83.34; 8=190.31; 9=64.21; 10=64.46",
        ),
        tax_breakdowns: vec![vat("S", dec!(21), dec!(908.91), dec!(190.87))],
        totals: Totals {
            line_total: Some(dec!(908.91)),
            tax_exclusive: Some(dec!(908.91)),
            tax_total: Some(dec!(190.87)),
            tax_inclusive: Some(dec!(1099.78)),
            payable: Some(dec!(1099.78)),
            ..Totals::default()
        },
        ..invoice(EN16931, "1100512149", date(2014, 11, 10), "EUR")
    }
}

pub fn xrechnung_o() -> EInvoice {
    EInvoice {
        due_date: date(2021, 1, 1),
        buyer_reference: s("XX"),
        // Only a fiscal number (FC), no VAT id; the buyer's empty legal id
        // and empty e-mail address are absent.
        seller: Party {
            legal_id: Some(sid("0189", "XX")),
            ids: vec![sid("EM", "XX")],
            ..party("XX", "DE", None)
        },
        buyer: party("XX", "DE", None),
        payment_accounts: strings(&["XX"]),
        lines: lines("1=83654.15; 2=252646.80"),
        tax_breakdowns: vec![vat("O", dec!(0.0000), dec!(385544.60), dec!(0.00))],
        totals: Totals {
            line_total: Some(dec!(336300.95)),
            charges: Some(dec!(49243.65)),
            tax_exclusive: Some(dec!(385544.60)),
            tax_inclusive: Some(dec!(385544.60)),
            payable: Some(dec!(385544.60)),
            ..Totals::default()
        },
        ..invoice(EN16931, "150377292", date(2021, 1, 14), "EUR")
    }
}

pub fn huf() -> EInvoice {
    EInvoice {
        due_date: date(2021, 11, 1),
        payment_terms: s("01.11.2021 00:00:00"),
        buyer_reference: s("992-80013-14"),
        seller: Party {
            ids: vec![id("5201")],
            ..party("DKV Euro Service GmbH + Co. KG", "DE", Some("HU30048650"))
        },
        buyer: Party {
            ids: vec![id("843312")],
            ..party(
                "HIL Heeresinstandsetzungslogistik GmbH",
                "DE",
                Some("DE242688168"),
            )
        },
        payment_accounts: strings(&["DE26330403100827038100"]),
        lines: lines("1=23440.00; 2=21389.00; 3=24351.00"),
        tax_breakdowns: vec![vat("S", dec!(27.00), dec!(69180.00), dec!(18679.00))],
        totals: Totals {
            line_total: Some(dec!(69180.00)),
            tax_exclusive: Some(dec!(69180.00)),
            tax_total: Some(dec!(18679.00)),
            tax_inclusive: Some(dec!(87859.00)),
            prepaid: Some(dec!(0.00)),
            payable: Some(dec!(87859.00)),
            ..Totals::default()
        },
        ..invoice(EN16931, "21/001003559/996", date(2021, 10, 5), "HUF")
    }
}

pub fn extended_foreign_currency() -> EInvoice {
    EInvoice {
        due_date: date(2024, 12, 1),
        payment_terms: s("Zahlbar ohne Abschlag bis"),
        buyer_reference: s("Test"),
        // The only BuyerOrderReferencedDocument is a line's (ORDER84359).
        order_reference: None,
        seller: Party {
            ids: vec![id("12345676"), sid("EM", "seller@email.de")],
            ..party("Rohstoff AG Salzgitter", "DE", Some("DE123456789"))
        },
        buyer: Party {
            ids: vec![
                id("75969813"),
                sid("0204", "04 0 11 000 - 12345 12345 - 35"),
                sid("EM", "buyer@email.de"),
            ],
            ..party("Metallbau Leipzig GmbH & Co. KG", "DE", None)
        },
        payee: Some(Party {
            ids: vec![sid("0060", "432156789")],
            ..party("Global Supplies Financial Services", "DE", None)
        }),
        payment_accounts: strings(&["DE77 3707 0060 0321 9870 00"]),
        lines: lines("1=850"),
        tax_breakdowns: vec![vat("S", dec!(19), dec!(858.75), dec!(163.16))],
        totals: Totals {
            line_total: Some(dec!(850)),
            charges: Some(dec!(30)),
            allowances: Some(dec!(21.25)),
            tax_exclusive: Some(dec!(858.75)),
            // GBP 163.16, not the EUR 183.14 also stated.
            tax_total: Some(dec!(163.16)),
            tax_inclusive: Some(dec!(1021.91)),
            prepaid: Some(dec!(500)),
            rounding: None,
            payable: Some(dec!(521.91)),
        },
        ..invoice(
            "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
            "47110815",
            date(2024, 11, 15),
            "GBP",
        )
    }
}

pub fn facturx_basic() -> EInvoice {
    EInvoice {
        due_date: date(2024, 12, 15),
        payment_terms: s("Zahlbar innerhalb 30 Tagen netto bis 25.12.2024, 3% Skonto innerhalb 10 Tagen bis 25.11.2024."),
        // VA only: the FC registration 201/113/40209 is a fiscal number.
        seller: party("Lieferant GmbH", "DE", Some("DE123456789")),
        buyer: party("Kunden AG Mitte", "DE", None),
        lines: lines("1=198.00"),
        tax_breakdowns: vec![vat("S", dec!(19.00), dec!(198.00), dec!(37.62))],
        totals: Totals {
            line_total: Some(dec!(198.00)),
            charges: Some(dec!(0.00)),
            allowances: Some(dec!(0.00)),
            tax_exclusive: Some(dec!(198.00)),
            tax_total: Some(dec!(37.62)),
            tax_inclusive: Some(dec!(235.62)),
            prepaid: Some(dec!(0.00)),
            rounding: None,
            payable: Some(dec!(235.62)),
        },
        ..invoice(
            "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
            "471102",
            date(2024, 11, 15),
            "EUR",
        )
    }
}

pub fn rabatte() -> EInvoice {
    EInvoice {
        // <ram:Description /> says nothing.
        payment_terms: None,
        seller: party("DATAflor Musterbetrieb", "DE", Some("DE00000000")),
        buyer: party("Thomas Adler", "DE", None),
        lines: lines("0004=55.40"),
        tax_breakdowns: vec![vat("S", dec!(19.00), dec!(54.40), dec!(10.34))],
        totals: Totals {
            line_total: Some(dec!(55.40)),
            charges: Some(dec!(0.00)),
            allowances: Some(dec!(1.00)),
            tax_exclusive: Some(dec!(54.40)),
            tax_total: Some(dec!(10.34)),
            tax_inclusive: Some(dec!(64.74)),
            prepaid: Some(dec!(50.00)),
            rounding: None,
            payable: Some(dec!(14.74)),
        },
        ..invoice(EN16931, "ST-1499", date(2019, 7, 26), "EUR")
    }
}

pub fn facturx() -> EInvoice {
    EInvoice {
        due_date: date(2020, 12, 12),
        payment_terms: s("Zahlbar ohne Abzug bis 12.12.2020"),
        buyer_reference: s("AB321"),
        seller: party("Bei Spiel GmbH", "DE", Some("DE136695976")),
        buyer: Party {
            ids: vec![id("2")],
            ..party("Theodor Est", "DE", None)
        },
        payment_accounts: strings(&["DE88200800000970375700"]),
        lines: lines("1=160.00; 2=316.00; 3=20.00"),
        tax_breakdowns: vec![
            vat("S", dec!(7.00), dec!(160.00), dec!(11.20)),
            vat("S", dec!(19.00), dec!(336.00), dec!(63.84)),
        ],
        totals: Totals {
            line_total: Some(dec!(496.00)),
            charges: Some(dec!(0.00)),
            allowances: Some(dec!(0.00)),
            tax_exclusive: Some(dec!(496.00)),
            tax_total: Some(dec!(75.04)),
            tax_inclusive: Some(dec!(571.04)),
            prepaid: Some(dec!(0.00)),
            rounding: None,
            payable: Some(dec!(571.04)),
        },
        ..invoice(EN16931, "RE-20201121/508", date(2020, 11, 21), "EUR")
    }
}

/// 01.01a and its broken copy share seller, buyer, lines and VAT.
fn kosit_0101(buyer_ids: Vec<SchemedId>, seller_ids: Vec<SchemedId>, iban: &str) -> EInvoice {
    EInvoice {
        payment_terms: s("Zahlbar sofort ohne Abzug."),
        seller: Party {
            legal_id: Some(id("[HRA-Eintrag]")),
            ids: seller_ids,
            ..party("[Seller name]", "DE", Some("DE 123456789"))
        },
        buyer: Party {
            ids: buyer_ids,
            ..party("[Buyer name]", "DE", None)
        },
        payment_accounts: strings(&[iban]),
        lines: lines("Zeitschrift [...]=288.79; Porto + Versandkosten=26.07"),
        tax_breakdowns: vec![vat("S", dec!(7), dec!(314.86), dec!(22.04))],
        totals: Totals {
            line_total: Some(dec!(314.86)),
            tax_exclusive: Some(dec!(314.86)),
            tax_total: Some(dec!(22.04)),
            tax_inclusive: Some(dec!(336.9)),
            payable: Some(dec!(336.9)),
            ..Totals::default()
        },
        ..invoice(XRECHNUNG_3, "123456XX", date(2016, 4, 4), "EUR")
    }
}

pub fn invalid_xr_v30() -> EInvoice {
    let mut doc = kosit_0101(
        vec![id("[Buyer identifier]"), sid("EM", "buyer@info.de")],
        vec![],
        "DE75512108001245126199",
    );
    // Its BuyerReference is commented out; it asks 0.01 more than the total.
    doc.totals.payable = Some(dec!(336.91));
    doc
}

pub fn kosit_01_01a() -> EInvoice {
    EInvoice {
        buyer_reference: s("04011000-12345-03"),
        ..kosit_0101(
            vec![id("[Buyer identifier]"), sid("EM", "buyer@info.de")],
            vec![sid("EM", "seller@email.de")],
            "DE79000000001234567890",
        )
    }
}

pub fn minimum_avoir() -> EInvoice {
    EInvoice {
        order_reference: s("PO445"),
        billing_references: strings(&["FA-2017-0010"]),
        seller: Party {
            legal_id: Some(sid("0002", "99999999800010")),
            ..party("Au bon moulin", "FR", Some("FR11999999998"))
        },
        buyer: Party {
            legal_id: Some(sid("0002", "78787878400035")),
            ..party("Ma jolie boutique", "FR", Some("FR19787878784"))
        },
        totals: Totals {
            tax_exclusive: Some(dec!(-218.48)),
            tax_total: Some(dec!(-14.99)),
            tax_inclusive: Some(dec!(-233.47)),
            payable: Some(dec!(-233.47)),
            ..Totals::default()
        },
        ..invoice(
            "urn:factur-x.eu:1p0:minimum",
            "AV-2017-0005",
            date(2017, 11, 16),
            "EUR",
        )
    }
}

pub fn kosit_01_14a() -> EInvoice {
    EInvoice {
        due_date: date(2018, 4, 13),
        buyer_reference: s("90000000-03083-72"),
        // Not the SellerOrderReferencedDocument ABC123456789.
        order_reference: s("65002278"),
        seller: Party {
            legal_id: Some(id("HRB 123")),
            ids: vec![sid("EM", "seller@email.de")],
            ..party("[Seller name]", "DE", Some("ATU123456789"))
        },
        buyer: Party {
            legal_id: Some(id("HRB 3456")),
            ids: vec![id("138"), sid("EM", "buyer@info.de")],
            ..party("[Buyer name]", "DE", Some("DE12345ABC"))
        },
        payee: Some(Party {
            name: "[Payee name]".into(),
            ids: vec![id("74")],
            ..Party::default()
        }),
        payment_accounts: strings(&["DE79000000001234567890"]),
        lines: lines("1=4743.75; 2=6037.5"),
        tax_breakdowns: vec![vat("S", dec!(19), dec!(10781.25), dec!(2048.44))],
        totals: Totals {
            line_total: Some(dec!(10781.25)),
            tax_exclusive: Some(dec!(10781.25)),
            tax_total: Some(dec!(2048.44)),
            tax_inclusive: Some(dec!(12829.69)),
            payable: Some(dec!(12829.69)),
            ..Totals::default()
        },
        ..invoice(XRECHNUNG_3, "1234567", date(2018, 4, 13), "EUR")
    }
}

pub fn kosit_03_01a() -> EInvoice {
    EInvoice {
        due_date: date(2019, 3, 14),
        payment_terms: s("Dieses Guthaben werden wir auf Ihr Konto erstatten."),
        buyer_reference: s("90000000-03083-72"),
        seller: Party {
            ids: vec![
                id("[Seller identifier 1]"),
                id("[Seller identifier 2]"),
                sid("EM", "seller@email.de"),
            ],
            ..party("[Seller name]", "DE", Some("ATU123456789"))
        },
        buyer: Party {
            ids: vec![id("BI123456"), sid("EM", "buyer@info.de")],
            ..party("[Buyer name]", "DE", None)
        },
        // Direct debit: the only IBAN is the payer's.
        payment_accounts: vec![],
        lines: lines(
            "1.1=204.3; 1.2=26; 1.3=25.05; 1.4=3.17; 2.1=13.28; 2.2=156.94; \
            2.3=70.71; 2.4=18.42; 2.5=52.09; 2.6=8.93; 3.1=46.5; 3.2=7.44; \
            3.3=48.33; 3.4=6.12",
        ),
        tax_breakdowns: vec![
            vat("S", dec!(19), dec!(578.89), dec!(109.99)),
            vat("S", dec!(7), dec!(108.39), dec!(7.59)),
        ],
        totals: Totals {
            line_total: Some(dec!(687.28)),
            tax_exclusive: Some(dec!(687.28)),
            tax_total: Some(dec!(117.58)),
            tax_inclusive: Some(dec!(804.86)),
            prepaid: Some(dec!(1030)),
            payable: Some(dec!(-225.14)),
            ..Totals::default()
        },
        ..invoice(XRECHNUNG_3, "123456789", date(2019, 2, 28), "EUR")
    }
}

pub fn kosit_04_05a() -> EInvoice {
    EInvoice {
        due_date: date(2020, 1, 17),
        buyer_reference: s("Leitweg-ID"),
        seller: Party {
            ids: vec![
                id("TEST_RECHNUNGSSTELLER"),
                sid("XR03", "987654321"),
                sid("EM", "seller@email.de"),
            ],
            ..party("Rechnungssteller", "DE", Some("DE 123 456 789"))
        },
        buyer: Party {
            ids: vec![sid("XR03", "123456789"), sid("EM", "buyer@info.de")],
            ..party("Rechnungsempfänger", "DE", None)
        },
        payee: Some(Party {
            name: "Payee".into(),
            ids: vec![sid("XR03", "987654322")],
            ..Party::default()
        }),
        payment_accounts: strings(&["DE79000000001234567890"]),
        lines: lines("TEST_POSITION_01=100.00"),
        tax_breakdowns: vec![vat("S", dec!(19.00), dec!(100.00), dec!(19.00))],
        totals: Totals {
            line_total: Some(dec!(100.00)),
            tax_exclusive: Some(dec!(100.00)),
            tax_total: Some(dec!(19.00)),
            tax_inclusive: Some(dec!(119.00)),
            payable: Some(dec!(119.00)),
            ..Totals::default()
        },
        ..invoice(
            "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0",
            "2020-1",
            date(2020, 1, 3),
            "EUR",
        )
    }
}
