//! The guarded reader drops namespace declarations; to tell a UBL root from
//! any other element called Invoice, the bytes up to the root start tag are
//! recorded on their way through and resolved with quick-xml's namespace
//! reader once the root has been seen.

use std::cell::RefCell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// Most bytes kept to find the root element's namespace declarations.
const PROLOG_CAP: usize = 1 << 20;

#[derive(Default)]
struct Recording {
    bytes: Vec<u8>,
    done: bool,
    overflow: bool,
}

/// The recorder's side kept by the caller.
pub(super) struct Prolog(Rc<RefCell<Recording>>);

/// Passes the input through, recording what is consumed until the prolog is
/// resolved.
pub(super) struct Tee<R> {
    inner: R,
    rec: Rc<RefCell<Recording>>,
}

pub(super) fn tee<R: BufRead>(inner: R) -> (Tee<R>, Prolog) {
    let rec = Rc::new(RefCell::new(Recording::default()));
    (
        Tee {
            inner,
            rec: Rc::clone(&rec),
        },
        Prolog(rec),
    )
}

impl Prolog {
    /// Stops recording and resolves the namespace of the first element.
    pub(super) fn root_namespace(&self) -> Option<String> {
        let mut rec = self.0.borrow_mut();
        rec.done = true;
        let bytes = std::mem::take(&mut rec.bytes);
        if rec.overflow {
            return None;
        }
        let mut ns = NsReader::from_reader(bytes.as_slice());
        loop {
            match ns.read_resolved_event() {
                Ok((ResolveResult::Bound(n), Event::Start(_) | Event::Empty(_))) => {
                    return std::str::from_utf8(n.as_ref()).ok().map(str::to_owned)
                }
                Ok((_, Event::Start(_) | Event::Empty(_) | Event::Eof)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }
}

impl<R: BufRead> Read for Tee<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Tee<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        let mut rec = self.rec.borrow_mut();
        if !rec.done && amt > 0 {
            // The bytes being consumed are still at the front of the buffer,
            // so this fill_buf does no I/O.
            if let Ok(buf) = self.inner.fill_buf() {
                let n = amt.min(buf.len());
                if rec.bytes.len() + n > PROLOG_CAP {
                    rec.done = true;
                    rec.overflow = true;
                    rec.bytes = Vec::new();
                } else {
                    rec.bytes.extend_from_slice(&buf[..n]);
                }
            }
        }
        drop(rec);
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn namespace_of(xml: &str) -> Option<String> {
        let (mut t, prolog) = tee(xml.as_bytes());
        let mut sink = Vec::new();
        t.read_to_end(&mut sink).unwrap();
        assert_eq!(sink, xml.as_bytes(), "the tee passes every byte through");
        prolog.root_namespace()
    }

    #[test]
    fn resolves_default_and_prefixed_root_namespaces() {
        assert_eq!(
            namespace_of(r#"<?xml version="1.0"?><!-- c --><Invoice xmlns="urn:a"/>"#).as_deref(),
            Some("urn:a")
        );
        assert_eq!(
            namespace_of(r#"<u:Invoice xmlns:u="urn:b" xmlns="urn:c"><x/></u:Invoice>"#).as_deref(),
            Some("urn:b")
        );
        assert_eq!(namespace_of("<Invoice><x/></Invoice>"), None);
        assert_eq!(namespace_of("not xml"), None);
    }
}
