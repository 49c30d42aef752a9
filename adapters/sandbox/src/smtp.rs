//! A minimal SMTP server that keeps what it receives, for tests and local
//! work: it listens on 127.0.0.1 (port 0: any free port), speaks enough
//! SMTP for a real client (EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot
//! unstuffing, RSET, NOOP, QUIT) and stores each message whole. No TLS, no
//! authentication, no relaying: nothing it receives leaves the process.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, CRLF line ends, dots unstuffed.
    pub data: String,
}

impl ReceivedMail {
    /// The value of a header (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with(' ') || line.starts_with('\t') {
                    v.push_str(line.trim_start());
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':') {
                if n.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_string());
                }
            }
        }
        value
    }

    /// Everything after the headers, as sent.
    pub fn raw_body(&self) -> &str {
        self.data.split_once("\r\n\r\n").map_or("", |(_, b)| b)
    }

    /// The body as text: quoted-printable decoded when the message says so
    /// (what a mail reader shows).
    pub fn body(&self) -> String {
        let qp = self
            .header("Content-Transfer-Encoding")
            .is_some_and(|e| e.eq_ignore_ascii_case("quoted-printable"));
        if qp {
            decode_quoted_printable(self.raw_body())
        } else {
            self.raw_body().to_string()
        }
    }
}

/// RFC 2045 6.7: `=XX` is a byte, `=` at a line end a soft break.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = joined
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A running sink. Stops when dropped.
pub struct SmtpSink {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SmtpSink {
    /// Starts on 127.0.0.1 and a free port, on a thread of its own.
    pub fn start() -> std::io::Result<SmtpSink> {
        let received = Arc::new(Mutex::new(Vec::new()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let store = received.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("smtp-sink".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = stopped => {}
                        _ = accept_loop(listener, store) => {}
                    }
                });
            })?;
        Ok(SmtpSink {
            addr,
            received,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The messages received so far.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.received.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Waits until at least `n` messages arrived, or `timeout` passed.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let start = Instant::now();
        loop {
            let m = self.messages();
            if m.len() >= n || start.elapsed() >= timeout {
                return m;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, store: Arc<Mutex<Vec<ReceivedMail>>>) {
    while let Ok((stream, _)) = listener.accept().await {
        let store = store.clone();
        tokio::spawn(async move {
            if let Err(e) = session(stream, store).await {
                tracing::debug!(error = %e, "smtp sink session ended");
            }
        });
    }
}

/// Longest line or message accepted, so a runaway client cannot exhaust memory.
const MAX_LINE: usize = 8 * 1024;
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

async fn session(stream: TcpStream, store: Arc<Mutex<Vec<ReceivedMail>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 factorgate-sink ESMTP ready\r\n")
        .await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if line.len() > MAX_LINE {
            write.write_all(b"500 line too long\r\n").await?;
            continue;
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => {
                b"250-factorgate-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 16777216\r\n"
            }
            "HELO" => b"250 factorgate-sink\r\n",
            "MAIL" => {
                from = Some(address(command));
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" if from.is_some() => {
                to.push(address(command));
                b"250 OK\r\n"
            }
            "RCPT" => b"503 MAIL first\r\n",
            "DATA" if from.is_some() && !to.is_empty() => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    let l = line.trim_end_matches(['\r', '\n']);
                    if l == "." {
                        break;
                    }
                    // Dot unstuffing (RFC 5321 4.5.2).
                    let l = l.strip_prefix('.').unwrap_or(l);
                    if data.len() + l.len() < MAX_MESSAGE {
                        data.push_str(l);
                        data.push_str("\r\n");
                    }
                }
                if let Ok(mut m) = store.lock() {
                    m.push(ReceivedMail {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        data,
                    });
                }
                b"250 OK queued\r\n"
            }
            "DATA" => b"503 MAIL and RCPT first\r\n",
            "RSET" => {
                from = None;
                to.clear();
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The address between `<` and `>` of `MAIL FROM:<a@b> ...`.
fn address(command: &str) -> String {
    match (command.find('<'), command.find('>')) {
        (Some(a), Some(b)) if b > a => command[a + 1..b].to_string(),
        _ => command
            .split_once(':')
            .map_or("", |(_, v)| v.trim())
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader as StdBufReader, Write};

    #[test]
    fn a_plain_smtp_conversation_is_stored_with_dots_unstuffed() {
        let sink = SmtpSink::start().unwrap();
        let stream = std::net::TcpStream::connect(sink.addr()).unwrap();
        let mut reader = StdBufReader::new(stream.try_clone().unwrap());
        let mut w = stream;
        let mut line = String::new();
        let mut expect = |reader: &mut StdBufReader<std::net::TcpStream>, code: &str| loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            assert!(line.starts_with(code), "expected {code}, got {line}");
            if line.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        };
        expect(&mut reader, "220");
        w.write_all(b"EHLO test\r\n").unwrap();
        expect(&mut reader, "250");
        w.write_all(b"MAIL FROM:<a@example.fr> BODY=8BITMIME\r\n")
            .unwrap();
        expect(&mut reader, "250");
        w.write_all(b"RCPT TO:<b@example.fr>\r\n").unwrap();
        expect(&mut reader, "250");
        w.write_all(b"DATA\r\n").unwrap();
        expect(&mut reader, "354");
        w.write_all(b"Subject: Hello\r\n\r\n..leading dot\r\nline two\r\n.\r\n")
            .unwrap();
        expect(&mut reader, "250");
        w.write_all(b"QUIT\r\n").unwrap();
        expect(&mut reader, "221");
        let m = sink.wait_for(1, Duration::from_secs(5));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].from, "a@example.fr");
        assert_eq!(m[0].to, vec!["b@example.fr".to_string()]);
        assert_eq!(m[0].header("subject").as_deref(), Some("Hello"));
        assert_eq!(m[0].body(), ".leading dot\r\nline two\r\n");
    }

    #[test]
    fn quoted_printable_bodies_are_decoded() {
        assert_eq!(
            decode_quoted_printable("p=C3=A9nalit=C3=A9s de retard (20 jou=\r\nrs) : 6,66 EUR"),
            "pénalités de retard (20 jours) : 6,66 EUR"
        );
    }
}
