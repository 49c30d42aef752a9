//! A guarded streaming XML reader for documents from outside: no DTD, no
//! entity declarations, capped nesting and size, so no crafted file can
//! exhaust memory. It yields simplified events and knows the path of the
//! element it is in, for error messages.

use std::io::{BufRead, Take};

use quick_xml::events::Event;
use quick_xml::Reader;

use super::einvoice::DocumentError;

/// Caps applied while reading.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest document accepted, in bytes.
    pub max_bytes: u64,
    /// Deepest element nesting accepted.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 64 * 1024 * 1024,
            max_depth: 64,
        }
    }
}

/// A start tag, text, or end tag. Names are local (prefix stripped);
/// attribute names too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlEvent {
    Start {
        local: String,
        attrs: Vec<(String, String)>,
    },
    Text(String),
    End {
        local: String,
    },
}

pub struct GuardedReader<R: BufRead> {
    /// The input cut one byte past the size cap, so that no single event
    /// (a text node, an attribute) can buffer more than the cap allows.
    reader: Reader<Take<R>>,
    buf: Vec<u8>,
    /// The path of the open elements, `/root/child/...` (qualified names):
    /// one string, so entering an element allocates nothing.
    names: String,
    /// Where each open element's `/name` starts in `names`.
    ends: Vec<usize>,
    limits: Limits,
    /// Set after an empty element's start: its end comes next.
    pending_end: Option<String>,
}

fn path_of(names: &str) -> String {
    if names.is_empty() {
        "/".to_string()
    } else {
        names.to_string()
    }
}

/// The next raw event, within the size cap; a DTD is refused here so that
/// no path (reading or skipping) can let one through.
fn read_capped<'b, R: BufRead>(
    reader: &mut Reader<Take<R>>,
    buf: &'b mut Vec<u8>,
    names: &str,
    max_bytes: u64,
) -> Result<Event<'b>, DocumentError> {
    let too_large = || DocumentError::Unsafe {
        message: format!("document larger than {max_bytes} bytes"),
    };
    buf.clear();
    // Checked before the result: past the cap the input looks cut short,
    // which is no reason to call the document malformed.
    let cut = |reader: &Reader<Take<R>>| reader.get_ref().limit() == 0;
    match reader.read_event_into(buf) {
        Err(_) if cut(reader) => Err(too_large()),
        Err(e) => Err(DocumentError::malformed(path_of(names), e.to_string())),
        Ok(_) if reader.buffer_position() > max_bytes => Err(too_large()),
        Ok(Event::DocType(_)) => Err(DocumentError::Unsafe {
            message: "DTD and entity declarations are refused".into(),
        }),
        Ok(event) => Ok(event),
    }
}

fn local_of(qualified: &str) -> &str {
    qualified.rsplit(':').next().unwrap_or(qualified)
}

impl<R: BufRead> GuardedReader<R> {
    pub fn new(input: R, limits: Limits) -> Self {
        let mut reader = Reader::from_reader(input.take(limits.max_bytes.saturating_add(1)));
        let config = reader.config_mut();
        config.trim_text(true);
        config.expand_empty_elements = false;
        GuardedReader {
            reader,
            buf: Vec::with_capacity(4096),
            names: String::with_capacity(256),
            ends: Vec::with_capacity(16),
            limits,
            pending_end: None,
        }
    }

    /// The path of the current element, e.g. `/Invoice/cac:LegalMonetaryTotal`.
    pub fn path(&self) -> String {
        path_of(&self.names)
    }

    pub fn depth(&self) -> usize {
        self.ends.len()
    }

    fn push(&mut self, qualified: &str) {
        self.ends.push(self.names.len());
        self.names.push('/');
        self.names.push_str(qualified);
    }

    /// Closes the innermost element; returns its local name.
    fn pop(&mut self) -> String {
        let start = self.ends.pop().unwrap_or(0);
        let local = self
            .names
            .get(start + 1..)
            .map(|q| local_of(q).to_string())
            .unwrap_or_default();
        self.names.truncate(start);
        local
    }

    fn unsafe_depth(&self) -> DocumentError {
        DocumentError::Unsafe {
            message: format!(
                "elements nested deeper than {} at {}",
                self.limits.max_depth,
                path_of(&self.names)
            ),
        }
    }

    fn malformed(&self, message: impl Into<String>) -> DocumentError {
        DocumentError::malformed(self.path(), message)
    }

    /// The next event, or None at the end of the document.
    pub fn next(&mut self) -> Result<Option<XmlEvent>, DocumentError> {
        if self.pending_end.take().is_some() {
            let local = self.pop();
            return Ok(Some(XmlEvent::End { local }));
        }
        loop {
            let event = read_capped(
                &mut self.reader,
                &mut self.buf,
                &self.names,
                self.limits.max_bytes,
            )?;
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(event, Event::Empty(_));
                    if self.ends.len() >= self.limits.max_depth {
                        return Err(self.unsafe_depth());
                    }
                    let name = e.name();
                    let qualified = String::from_utf8_lossy(name.as_ref());
                    let local = local_of(&qualified).to_string();
                    let mut attrs = Vec::new();
                    for a in e.attributes() {
                        let a = a.map_err(|err| {
                            DocumentError::malformed(path_of(&self.names), err.to_string())
                        })?;
                        let key = String::from_utf8_lossy(a.key.as_ref());
                        if key == "xmlns" || key.starts_with("xmlns:") {
                            continue;
                        }
                        let value = a
                            .unescape_value()
                            .map_err(|err| {
                                DocumentError::malformed(path_of(&self.names), err.to_string())
                            })?
                            .into_owned();
                        attrs.push((local_of(&key).to_string(), value));
                    }
                    let qualified = qualified.into_owned();
                    self.push(&qualified);
                    if empty {
                        self.pending_end = Some(String::new());
                    }
                    return Ok(Some(XmlEvent::Start { local, attrs }));
                }
                Event::End(_) => {
                    let local = self.pop();
                    return Ok(Some(XmlEvent::End { local }));
                }
                Event::Text(t) => {
                    let text = t
                        .unescape()
                        .map_err(|err| {
                            DocumentError::malformed(path_of(&self.names), err.to_string())
                        })?
                        .into_owned();
                    if !text.is_empty() {
                        return Ok(Some(XmlEvent::Text(text)));
                    }
                }
                Event::CData(c) => {
                    let text = String::from_utf8(c.into_inner().into_owned()).map_err(|_| {
                        DocumentError::malformed(path_of(&self.names), "CDATA is not UTF-8")
                    })?;
                    return Ok(Some(XmlEvent::Text(text)));
                }
                Event::Eof => {
                    if !self.ends.is_empty() {
                        return Err(DocumentError::malformed(
                            path_of(&self.names),
                            "document ends inside an element",
                        ));
                    }
                    return Ok(None);
                }
                // DocType never comes out of read_capped.
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
    }

    /// The next child element (local name, attributes) of the element being
    /// read, or None at its end. Text between children is passed over.
    pub fn child(&mut self) -> Result<Option<(String, Vec<(String, String)>)>, DocumentError> {
        loop {
            match self.next()? {
                Some(XmlEvent::Start { local, attrs }) => return Ok(Some((local, attrs))),
                Some(XmlEvent::End { .. }) => return Ok(None),
                Some(XmlEvent::Text(_)) => {}
                None => return Err(self.malformed("document ends inside an element")),
            }
        }
    }

    /// The text of the element just started, up to its end; nested elements
    /// are refused. Leaves the reader after the element's end tag.
    pub fn text(&mut self) -> Result<String, DocumentError> {
        let mut out = String::new();
        if self.pending_end.take().is_some() {
            self.pop_silent();
            return Ok(out);
        }
        loop {
            let event = read_capped(
                &mut self.reader,
                &mut self.buf,
                &self.names,
                self.limits.max_bytes,
            )?;
            match event {
                Event::Text(t) => {
                    let text = t.unescape().map_err(|err| {
                        DocumentError::malformed(path_of(&self.names), err.to_string())
                    })?;
                    out.push_str(&text);
                }
                Event::CData(c) => {
                    let text = std::str::from_utf8(&c).map_err(|_| {
                        DocumentError::malformed(path_of(&self.names), "CDATA is not UTF-8")
                    })?;
                    out.push_str(text);
                }
                Event::End(_) => {
                    self.pop_silent();
                    return Ok(out);
                }
                Event::Start(e) | Event::Empty(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    return Err(self
                        .malformed(format!("unexpected element {} in a value", local_of(&name))));
                }
                Event::Eof => return Err(self.malformed("document ends inside an element")),
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
    }

    /// Closes the innermost element without naming it.
    fn pop_silent(&mut self) {
        let start = self.ends.pop().unwrap_or(0);
        self.names.truncate(start);
    }

    /// [`child`](Self::child) for hot loops: the next child's local name is
    /// written into `name` and its attributes into `attrs` (both cleared
    /// first; attribute values are only allocated when there are any), so
    /// reading a large document allocates nothing per element. Returns
    /// false at the end of the element being read.
    pub fn child_into(
        &mut self,
        name: &mut String,
        attrs: &mut Vec<(String, String)>,
    ) -> Result<bool, DocumentError> {
        if self.pending_end.take().is_some() {
            self.pop_silent();
            return Ok(false);
        }
        loop {
            let event = read_capped(
                &mut self.reader,
                &mut self.buf,
                &self.names,
                self.limits.max_bytes,
            )?;
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(event, Event::Empty(_));
                    if self.ends.len() >= self.limits.max_depth {
                        return Err(self.unsafe_depth());
                    }
                    let qname = e.name();
                    let qualified = std::str::from_utf8(qname.as_ref()).map_err(|_| {
                        DocumentError::malformed(path_of(&self.names), "element name is not UTF-8")
                    })?;
                    name.clear();
                    name.push_str(local_of(qualified));
                    attrs.clear();
                    for a in e.attributes() {
                        let a = a.map_err(|err| {
                            DocumentError::malformed(path_of(&self.names), err.to_string())
                        })?;
                        let key = String::from_utf8_lossy(a.key.as_ref());
                        if key == "xmlns" || key.starts_with("xmlns:") {
                            continue;
                        }
                        let value = a
                            .unescape_value()
                            .map_err(|err| {
                                DocumentError::malformed(path_of(&self.names), err.to_string())
                            })?
                            .into_owned();
                        attrs.push((local_of(&key).to_string(), value));
                    }
                    self.ends.push(self.names.len());
                    self.names.push('/');
                    self.names.push_str(qualified);
                    if empty {
                        self.pending_end = Some(String::new());
                    }
                    return Ok(true);
                }
                Event::End(_) => {
                    self.pop_silent();
                    return Ok(false);
                }
                Event::Eof => return Err(self.malformed("document ends inside an element")),
                _ => {}
            }
        }
    }

    /// Skips the element just started, with everything inside it, without
    /// building names or text for what it skips (attachments can be large).
    pub fn skip(&mut self) -> Result<(), DocumentError> {
        if self.pending_end.take().is_some() {
            self.pop();
            return Ok(());
        }
        let mut inner = 0usize;
        loop {
            let event = read_capped(
                &mut self.reader,
                &mut self.buf,
                &self.names,
                self.limits.max_bytes,
            )?;
            match event {
                Event::Start(_) => {
                    inner += 1;
                    if self.ends.len() + inner > self.limits.max_depth {
                        return Err(self.unsafe_depth());
                    }
                }
                Event::End(_) if inner == 0 => {
                    self.pop();
                    return Ok(());
                }
                Event::End(_) => inner -= 1,
                Event::Eof => {
                    return Err(DocumentError::malformed(
                        path_of(&self.names),
                        "document ends inside an element",
                    ))
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(xml: &str) -> Result<Vec<XmlEvent>, DocumentError> {
        let mut r = GuardedReader::new(xml.as_bytes(), Limits::default());
        let mut out = Vec::new();
        while let Some(e) = r.next()? {
            out.push(e);
        }
        Ok(out)
    }

    #[test]
    fn yields_local_names_text_and_attributes() {
        let ev =
            events(r#"<a:Root xmlns:a="urn:x"><a:V currencyID="EUR">1.50</a:V><a:E/></a:Root>"#)
                .unwrap();
        assert_eq!(
            ev,
            vec![
                XmlEvent::Start {
                    local: "Root".into(),
                    attrs: vec![]
                },
                XmlEvent::Start {
                    local: "V".into(),
                    attrs: vec![("currencyID".into(), "EUR".into())]
                },
                XmlEvent::Text("1.50".into()),
                XmlEvent::End { local: "V".into() },
                XmlEvent::Start {
                    local: "E".into(),
                    attrs: vec![]
                },
                XmlEvent::End { local: "E".into() },
                XmlEvent::End {
                    local: "Root".into()
                },
            ]
        );
    }

    #[test]
    fn refuses_dtds_and_entities() {
        let billion = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>"#;
        assert!(matches!(events(billion), Err(DocumentError::Unsafe { .. })));
    }

    #[test]
    fn refuses_deep_nesting_and_large_documents() {
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(matches!(events(&deep), Err(DocumentError::Unsafe { .. })));
        let big = format!("<a>{}</a>", "x".repeat(5000));
        let mut r = GuardedReader::new(
            big.as_bytes(),
            Limits {
                max_bytes: 1000,
                max_depth: 8,
            },
        );
        let mut result = Ok(None);
        for _ in 0..10 {
            result = r.next();
            if result.is_err() {
                break;
            }
        }
        assert!(matches!(result, Err(DocumentError::Unsafe { .. })));
    }

    /// Counts the bytes the reader pulls from its source.
    struct Counting<R> {
        inner: R,
        pulled: std::rc::Rc<std::cell::Cell<u64>>,
    }

    impl<R: std::io::Read> std::io::Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.pulled.set(self.pulled.get() + n as u64);
            Ok(n)
        }
    }

    #[test]
    fn one_huge_text_or_attribute_is_refused_before_it_is_buffered() {
        // 50 MB without markup, in a text node or in an attribute: the size
        // cap must stop reading at the cap, not after buffering it all.
        for start in [&b"<a>"[..], &b"<a b=\""[..]] {
            let pulled = std::rc::Rc::new(std::cell::Cell::new(0));
            let endless = std::io::Read::take(std::io::repeat(b'x'), 50_000_000);
            let input = std::io::BufReader::new(Counting {
                inner: std::io::Read::chain(start, endless),
                pulled: pulled.clone(),
            });
            let limits = Limits {
                max_bytes: 100_000,
                max_depth: 8,
            };
            let mut r = GuardedReader::new(input, limits);
            let mut result = Ok(None);
            for _ in 0..10 {
                result = r.next();
                if result.is_err() {
                    break;
                }
            }
            assert!(
                matches!(result, Err(DocumentError::Unsafe { .. })),
                "{result:?}"
            );
            assert!(pulled.get() < 200_000, "read {} bytes", pulled.get());
        }
    }

    #[test]
    fn truncated_documents_are_malformed_with_their_path() {
        match events("<Invoice><cbc:ID>F1</cbc:ID><cac:Total>") {
            Err(DocumentError::Malformed { path, .. }) => {
                assert_eq!(path, "/Invoice/cac:Total")
            }
            other => panic!("expected malformed, got {other:?}"),
        }
    }
}
