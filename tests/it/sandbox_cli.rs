//! `factorgate sandbox`: the simulated insurer and factor from the command line.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// Stops the sandbox process however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn factorgate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_factorgate"));
    cmd.env_remove("FACTORGATE_CONFIG")
        .env("FACTORGATE_LOG", "warn");
    cmd
}

#[test]
fn sandbox_prints_where_it_listens_and_hands_out_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sandbox.toml");
    std::fs::write(&config, "client_secret = \"local-secret\"\n").unwrap();
    let mut child = Running(
        factorgate()
            .args(["sandbox", "--bind", "127.0.0.1:0", "--config"])
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.strip_prefix("sandbox insurer: ").unwrap().to_string();
    let printed: Vec<String> = lines.by_ref().take(3).map(|l| l.unwrap()).collect();
    assert!(printed[1].ends_with("factorgate"), "{printed:?}");
    assert!(printed[2].ends_with("local-secret"), "{printed:?}");

    let host = url.strip_prefix("http://").unwrap();
    let body = "grant_type=client_credentials&client_id=factorgate&client_secret=local-secret";
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST /oauth/token HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    drop(child);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"token_type\":\"Bearer\""), "{answer}");
}

#[test]
fn a_bad_sandbox_config_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sandbox.toml");
    std::fs::write(&path, "[delays_ms]\nrequest_limits = 5\n").unwrap();
    let out = factorgate()
        .args(["sandbox", "--bind", "127.0.0.1:0", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("error[sandbox_config_invalid]"), "{err}");
    assert!(err.contains("request_limits"), "{err}");
}

#[test]
fn sandbox_also_serves_the_factor() {
    let mut child = Running(
        factorgate()
            .args(["sandbox", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let lines: Vec<String> = BufReader::new(child.0.stdout.take().unwrap())
        .lines()
        .take(7)
        .map(|l| l.unwrap())
        .collect();
    let factor = lines
        .iter()
        .find_map(|l| l.strip_prefix("sandbox factor:  "))
        .unwrap_or_else(|| panic!("{lines:?}"));
    let url = factor
        .strip_suffix("/factor/v1 (same token endpoint)")
        .unwrap();
    let host = url.strip_prefix("http://").unwrap();
    let body = r#"{"today": "2026-03-02"}"#;
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST /sandbox/factor/clock HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    drop(child);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"today\":\"2026-03-02\""), "{answer}");
}
