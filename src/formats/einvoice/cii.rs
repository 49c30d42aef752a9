//! Reads a UN/CEFACT CrossIndustryInvoice (Factur-X, ZUGFeRD 2, XRechnung
//! CII) into the e-invoice model, streaming: each mapped element is read by
//! the function of its parent, so an `ID` or a `LineTotalAmount` means what
//! its position says, and every subtree we do not map is skipped unread
//! (attachments can be megabytes of base64). Rules are not applied here.

use std::cell::RefCell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::model::{EInvoice, Line, Party, SchemedId, Syntax, TaxBreakdown, Totals};
use super::terms::Term;
use super::value::{clip, parse_decimal};
use super::DocumentError;
use crate::formats::xml::{GuardedReader, Limits, XmlEvent};

/// The namespace of the root element.
pub const CII_NAMESPACE: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";

/// How much of the document before the root's start tag is kept to check
/// its namespace; a prologue longer than this is not an invoice we read.
const PROLOGUE_CAP: usize = 256 * 1024;

type Attrs = Vec<(String, String)>;

/// Each TaxTotalAmount with its currencyID, in document order.
type TaxTotals = Vec<(Decimal, Option<String>)>;

/// Reads one CrossIndustryInvoice. Fails with `UnknownFormat` when the root
/// is not a CII invoice, `Unsafe` on a DTD or beyond the limits, and
/// `Malformed` (naming the element and the text) on broken XML, dates or
/// amounts. Nothing partial is returned.
pub fn read_cii<R: BufRead>(input: R, limits: Limits) -> Result<EInvoice, DocumentError> {
    let seen = Rc::new(RefCell::new(Some(Vec::with_capacity(1024))));
    let mut r = GuardedReader::new(
        Prologue {
            inner: input,
            seen: Rc::clone(&seen),
        },
        limits,
    );
    root(&mut r, &seen)?;

    let mut doc = EInvoice::empty(Syntax::Cii);
    let mut tax_totals = Vec::new();
    children(&mut r, |r, name, _| match name {
        "ExchangedDocumentContext" => children(r, |r, name, _| match name {
            "GuidelineSpecifiedDocumentContextParameter" => children(r, |r, name, _| match name {
                "ID" => set_opt(&mut doc.profile, r),
                _ => r.skip(),
            }),
            _ => r.skip(),
        }),
        "ExchangedDocument" => exchanged_document(r, &mut doc),
        "SupplyChainTradeTransaction" => transaction(r, &mut doc, &mut tax_totals),
        _ => r.skip(),
    })?;
    // Whatever follows the root must still be well-formed (and DTD-free).
    while r.next()?.is_some() {}

    doc.totals.tax_total = invoice_currency_tax(&tax_totals, &doc.currency);
    Ok(doc)
}

/// Passes the input through, keeping what is consumed until the root's start
/// tag has been read: the guarded reader drops `xmlns` attributes, and the
/// root's namespace is what tells a CII invoice from a look-alike.
struct Prologue<R> {
    inner: R,
    /// None once the root has been seen.
    seen: Rc<RefCell<Option<Vec<u8>>>>,
}

fn record(seen: &RefCell<Option<Vec<u8>>>, bytes: &[u8]) {
    if let Ok(mut slot) = seen.try_borrow_mut() {
        if let Some(seen) = slot.as_mut() {
            let room = PROLOGUE_CAP.saturating_sub(seen.len());
            seen.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }
}

impl<R: Read> Read for Prologue<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        record(&self.seen, &buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Prologue<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        let recording = self.seen.try_borrow().is_ok_and(|s| s.is_some());
        if amt > 0 && recording {
            // The bytes are still in the inner buffer: consume follows fill_buf.
            if let Ok(buf) = self.inner.fill_buf() {
                record(&self.seen, &buf[..amt.min(buf.len())]);
            }
        }
        self.inner.consume(amt)
    }
}

fn unknown(message: impl Into<String>) -> DocumentError {
    DocumentError::UnknownFormat {
        message: message.into(),
    }
}

/// Reads up to the root's start tag and checks it is a CII invoice.
fn root<B: BufRead>(
    r: &mut GuardedReader<B>,
    seen: &Rc<RefCell<Option<Vec<u8>>>>,
) -> Result<(), DocumentError> {
    let local = loop {
        match r.next()? {
            Some(XmlEvent::Start { local, .. }) => break local,
            // A byte order mark quick-xml did not see whole (tiny reads).
            Some(XmlEvent::Text(t)) if t.trim_start_matches('\u{feff}').is_empty() => {}
            Some(_) => return Err(unknown("text before the root element: not an XML invoice")),
            None => return Err(unknown("no root element")),
        }
    };
    let prologue = seen.borrow_mut().take().unwrap_or_default();
    if local != "CrossIndustryInvoice" {
        return Err(unknown(format!(
            "root element {} is not a CrossIndustryInvoice",
            clip(&local)
        )));
    }
    let qualified = r.path();
    let prefix = qualified
        .trim_start_matches('/')
        .split_once(':')
        .map(|(p, _)| p);
    match root_namespace(&prologue, prefix) {
        Some(ns) if ns == CII_NAMESPACE => Ok(()),
        Some(ns) => Err(unknown(format!(
            "CrossIndustryInvoice in namespace {}, expected {CII_NAMESPACE}",
            clip(&ns)
        ))),
        None => Err(unknown("CrossIndustryInvoice without a declared namespace")),
    }
}

/// The namespace bound to `prefix` (or the default one) on the first
/// element of `prologue`, which ends with the root's start tag.
fn root_namespace(prologue: &[u8], prefix: Option<&str>) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(prologue);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let found = e.attributes().flatten().find(|a| {
                    let key = a.key.as_ref();
                    match prefix {
                        Some(p) => key.strip_prefix(b"xmlns:") == Some(p.as_bytes()),
                        None => key == b"xmlns",
                    }
                });
                return found.and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()));
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Hands each child element to `each`, which must read it whole (`text`,
/// `skip` or `children`).
fn children<B: BufRead>(
    r: &mut GuardedReader<B>,
    mut each: impl FnMut(&mut GuardedReader<B>, &str, &Attrs) -> Result<(), DocumentError>,
) -> Result<(), DocumentError> {
    while let Some((local, attrs)) = r.child()? {
        each(r, &local, &attrs)?;
    }
    Ok(())
}

fn attr<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

fn set_text<B: BufRead>(field: &mut String, r: &mut GuardedReader<B>) -> Result<(), DocumentError> {
    *field = r.text()?;
    Ok(())
}

fn set_amount<B: BufRead>(
    field: &mut Option<Decimal>,
    r: &mut GuardedReader<B>,
) -> Result<(), DocumentError> {
    *field = Some(amount(r)?);
    Ok(())
}

/// An optional text field: an empty element counts as absent.
fn set_opt<B: BufRead>(
    field: &mut Option<String>,
    r: &mut GuardedReader<B>,
) -> Result<(), DocumentError> {
    *field = non_empty(r.text()?);
    Ok(())
}

fn schemed(value: String, scheme: Option<&str>) -> Option<SchemedId> {
    non_empty(value).map(|value| SchemedId {
        value,
        scheme: scheme.map(str::to_owned),
    })
}

/// An amount (or percentage) element's value.
fn amount<B: BufRead>(r: &mut GuardedReader<B>) -> Result<Decimal, DocumentError> {
    let path = r.path();
    let text = r.text()?;
    parse_decimal(&text).ok().ok_or_else(|| {
        DocumentError::malformed(path, format!("not a decimal number: {:?}", clip(&text)))
    })
}

/// A date as CII writes it: format 102 (YYYYMMDD), or YYYY-MM-DD.
fn parse_date(text: &str, format: Option<&str>) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let num = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (y, m, d) = match b.len() {
        8 if format.unwrap_or("102") == "102" => (&b[..4], &b[4..6], &b[6..]),
        10 if b[4] == b'-' && b[7] == b'-' => (&b[..4], &b[5..7], &b[8..]),
        _ => return None,
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(y)?).ok()?, num(m)?, num(d)?)
}

/// The date inside a `...DateTime` element (its `DateTimeString`).
fn date_time<B: BufRead>(r: &mut GuardedReader<B>) -> Result<Option<NaiveDate>, DocumentError> {
    let mut date = None;
    children(r, |r, name, attrs| match name {
        "DateTimeString" => {
            let path = r.path();
            let text = r.text()?;
            let format = attr(attrs, "format");
            date = Some(parse_date(&text, format).ok_or_else(|| {
                DocumentError::malformed(
                    path,
                    format!(
                        "not a date in format {} (YYYYMMDD): {:?}",
                        clip(format.unwrap_or("102")),
                        clip(&text)
                    ),
                )
            })?);
            Ok(())
        }
        _ => r.skip(),
    })?;
    Ok(date)
}

fn exchanged_document<B: BufRead>(
    r: &mut GuardedReader<B>,
    doc: &mut EInvoice,
) -> Result<(), DocumentError> {
    children(r, |r, name, _| match name {
        "ID" => set_text(&mut doc.number, r),
        "TypeCode" => set_text(&mut doc.type_code, r),
        "IssueDateTime" => {
            doc.issue_date = date_time(r)?;
            Ok(())
        }
        _ => r.skip(),
    })
}

fn transaction<B: BufRead>(
    r: &mut GuardedReader<B>,
    doc: &mut EInvoice,
    tax_totals: &mut TaxTotals,
) -> Result<(), DocumentError> {
    children(r, |r, name, _| match name {
        "IncludedSupplyChainTradeLineItem" => line_item(r, &mut doc.lines),
        "ApplicableHeaderTradeAgreement" => agreement(r, doc),
        "ApplicableHeaderTradeSettlement" => settlement(r, doc, tax_totals),
        _ => r.skip(),
    })
}

fn line_item<B: BufRead>(
    r: &mut GuardedReader<B>,
    lines: &mut Vec<Line>,
) -> Result<(), DocumentError> {
    let mut id = String::new();
    let mut net = None;
    children(r, |r, name, _| match name {
        "AssociatedDocumentLineDocument" => children(r, |r, name, _| match name {
            "LineID" => set_text(&mut id, r),
            _ => r.skip(),
        }),
        // Its ApplicableTradeTax (the line's VAT category) is not mapped.
        "SpecifiedLineTradeSettlement" => children(r, |r, name, _| match name {
            "SpecifiedTradeSettlementLineMonetarySummation" => {
                children(r, |r, name, _| match name {
                    "LineTotalAmount" => set_amount(&mut net, r),
                    _ => r.skip(),
                })
            }
            _ => r.skip(),
        }),
        _ => r.skip(),
    })?;
    match net {
        Some(net_amount) => {
            lines.push(Line { id, net_amount });
            Ok(())
        }
        None => Err(DocumentError::malformed(
            format!(
                "{}[{}]",
                Term::Line.path(Syntax::Cii, false),
                lines.len() + 1
            ),
            format!("line {:?} has no LineTotalAmount (BT-131)", clip(&id)),
        )),
    }
}

fn agreement<B: BufRead>(
    r: &mut GuardedReader<B>,
    doc: &mut EInvoice,
) -> Result<(), DocumentError> {
    children(r, |r, name, _| match name {
        "BuyerReference" => set_opt(&mut doc.buyer_reference, r),
        "SellerTradeParty" => party(r, &mut doc.seller),
        "BuyerTradeParty" => party(r, &mut doc.buyer),
        "BuyerOrderReferencedDocument" => children(r, |r, name, _| match name {
            "IssuerAssignedID" => set_opt(&mut doc.order_reference, r),
            _ => r.skip(),
        }),
        _ => r.skip(),
    })
}

/// A TradeParty. Identifiers come in document order by kind: `ID` (CII
/// gives BT-29 no scheme there), `GlobalID`, then the electronic address
/// (`URIUniversalCommunication/URIID`).
fn party<B: BufRead>(r: &mut GuardedReader<B>, p: &mut Party) -> Result<(), DocumentError> {
    *p = Party::default();
    let mut global = Vec::new();
    let mut uris = Vec::new();
    children(r, |r, name, attrs| match name {
        "ID" => {
            p.ids.extend(schemed(r.text()?, None));
            Ok(())
        }
        "GlobalID" => {
            global.extend(schemed(r.text()?, attr(attrs, "schemeID")));
            Ok(())
        }
        "Name" => set_text(&mut p.name, r),
        "SpecifiedLegalOrganization" => children(r, |r, name, attrs| match name {
            "ID" => {
                p.legal_id = schemed(r.text()?, attr(attrs, "schemeID"));
                Ok(())
            }
            _ => r.skip(),
        }),
        "PostalTradeAddress" => children(r, |r, name, _| match name {
            "CountryID" => set_opt(&mut p.country, r),
            _ => r.skip(),
        }),
        "URIUniversalCommunication" => children(r, |r, name, attrs| match name {
            "URIID" => {
                uris.extend(schemed(r.text()?, attr(attrs, "schemeID")));
                Ok(())
            }
            _ => r.skip(),
        }),
        // "VA" is the VAT number; "FC" a national fiscal number, not mapped.
        "SpecifiedTaxRegistration" => children(r, |r, name, attrs| match name {
            "ID" => {
                let value = r.text()?;
                if attr(attrs, "schemeID") == Some("VA") && p.vat_id.is_none() {
                    p.vat_id = non_empty(value);
                }
                Ok(())
            }
            _ => r.skip(),
        }),
        _ => r.skip(),
    })?;
    p.ids.append(&mut global);
    p.ids.append(&mut uris);
    Ok(())
}

fn settlement<B: BufRead>(
    r: &mut GuardedReader<B>,
    doc: &mut EInvoice,
    tax_totals: &mut TaxTotals,
) -> Result<(), DocumentError> {
    children(r, |r, name, _| match name {
        "InvoiceCurrencyCode" => set_text(&mut doc.currency, r),
        "PayeeTradeParty" => {
            let mut payee = Party::default();
            party(r, &mut payee)?;
            doc.payee = Some(payee);
            Ok(())
        }
        "SpecifiedTradeSettlementPaymentMeans" => payment_means(r, &mut doc.payment_accounts),
        "ApplicableTradeTax" => {
            let breakdown = tax_breakdown(r)?;
            doc.tax_breakdowns.push(breakdown);
            Ok(())
        }
        "SpecifiedTradePaymentTerms" => payment_terms(r, doc),
        "SpecifiedTradeSettlementHeaderMonetarySummation" => {
            summation(r, &mut doc.totals, tax_totals)
        }
        "InvoiceReferencedDocument" => children(r, |r, name, _| match name {
            "IssuerAssignedID" => {
                doc.billing_references.extend(non_empty(r.text()?));
                Ok(())
            }
            _ => r.skip(),
        }),
        _ => r.skip(),
    })
}

/// The account to pay into: the payee's (never the payer's, for a direct
/// debit), by IBAN or else by proprietary id.
fn payment_means<B: BufRead>(
    r: &mut GuardedReader<B>,
    accounts: &mut Vec<String>,
) -> Result<(), DocumentError> {
    children(r, |r, name, _| match name {
        "PayeePartyCreditorFinancialAccount" => {
            let mut iban = None;
            let mut proprietary = None;
            children(r, |r, name, _| match name {
                "IBANID" => set_opt(&mut iban, r),
                "ProprietaryID" => set_opt(&mut proprietary, r),
                _ => r.skip(),
            })?;
            accounts.extend(iban.or(proprietary));
            Ok(())
        }
        _ => r.skip(),
    })
}

fn tax_breakdown<B: BufRead>(r: &mut GuardedReader<B>) -> Result<TaxBreakdown, DocumentError> {
    let path = r.path();
    let mut category = String::new();
    let (mut rate, mut taxable, mut tax) = (None, None, None);
    children(r, |r, name, _| match name {
        "CalculatedAmount" => set_amount(&mut tax, r),
        "BasisAmount" => set_amount(&mut taxable, r),
        "CategoryCode" => set_text(&mut category, r),
        "RateApplicablePercent" => set_amount(&mut rate, r),
        _ => r.skip(),
    })?;
    let missing =
        |what: &str| DocumentError::malformed(&path, format!("a VAT breakdown without its {what}"));
    Ok(TaxBreakdown {
        taxable_amount: taxable.ok_or_else(|| missing("BasisAmount (BT-116)"))?,
        tax_amount: tax.ok_or_else(|| missing("CalculatedAmount (BT-117)"))?,
        category,
        rate,
    })
}

/// Payment terms: descriptions are joined (EXTENDED allows several terms);
/// the first due date is kept.
fn payment_terms<B: BufRead>(
    r: &mut GuardedReader<B>,
    doc: &mut EInvoice,
) -> Result<(), DocumentError> {
    children(r, |r, name, _| match name {
        "Description" => {
            if let Some(text) = non_empty(r.text()?) {
                match doc.payment_terms.as_mut() {
                    Some(terms) => {
                        terms.push('\n');
                        terms.push_str(&text);
                    }
                    None => doc.payment_terms = Some(text),
                }
            }
            Ok(())
        }
        "DueDateDateTime" => {
            let date = date_time(r)?;
            if doc.due_date.is_none() {
                doc.due_date = date;
            }
            Ok(())
        }
        _ => r.skip(),
    })
}

fn summation<B: BufRead>(
    r: &mut GuardedReader<B>,
    t: &mut Totals,
    tax_totals: &mut TaxTotals,
) -> Result<(), DocumentError> {
    children(r, |r, name, attrs| {
        let field = match name {
            "LineTotalAmount" => &mut t.line_total,
            "ChargeTotalAmount" => &mut t.charges,
            "AllowanceTotalAmount" => &mut t.allowances,
            "TaxBasisTotalAmount" => &mut t.tax_exclusive,
            "RoundingAmount" => &mut t.rounding,
            "GrandTotalAmount" => &mut t.tax_inclusive,
            "TotalPrepaidAmount" => &mut t.prepaid,
            "DuePayableAmount" => &mut t.payable,
            // One per currency: picked once the invoice currency is known.
            "TaxTotalAmount" => {
                let currency = attr(attrs, "currencyID").map(str::to_owned);
                tax_totals.push((amount(r)?, currency));
                return Ok(());
            }
            _ => return r.skip(),
        };
        set_amount(field, r)
    })
}

/// BT-110: the VAT total in the invoice currency, or the one stated without
/// a currency; a total only in the tax currency (BT-111) is not it.
fn invoice_currency_tax(
    candidates: &[(Decimal, Option<String>)],
    currency: &str,
) -> Option<Decimal> {
    let in_currency = |c: &str| c.eq_ignore_ascii_case(currency);
    candidates
        .iter()
        .find(|(_, c)| c.as_deref().is_some_and(in_currency))
        .or_else(|| candidates.iter().find(|(_, c)| c.is_none()))
        .map(|(v, _)| *v)
}

#[cfg(test)]
mod tests;
