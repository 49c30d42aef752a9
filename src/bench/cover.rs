//! `factorgate bench --scenario cover-check`: cover checks per second over
//! HTTP. A scratch portfolio (buyers by SIREN, open invoices, one EUR
//! policy, a named limit for every other buyer) is served by the real API
//! in this process, and `wrk` (a separate process on the same machine)
//! posts checks naming random buyers, half by our id, half by SIREN.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chrono::NaiveDate;
use diesel::prelude::*;
use factorgate::api::{app, ApiState};
use factorgate::service::insurance::{create_policy, PolicyInput};
use factorgate::service::keys::{create_key, Role};
use factorgate::service::Context;
use factorgate::store::rows::LimitDecisionRow;
use factorgate::store::schema::{buyer_legal_ids, buyers, insurance_limit_decisions};
use factorgate::store::{write_tx, Store, StoreError};

use super::BenchArgs;
use crate::cli::{CliError, CliResult};

fn failed(message: impl Into<String>) -> CliError {
    CliError::input("bench_failed", message.into())
}

/// What `wrk` measured.
#[derive(Debug, Default, PartialEq)]
pub struct WrkFigures {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub non_2xx: u64,
    pub socket_errors: u64,
}

/// Reads a wrk latency like `1.23ms`, `812.00us` or `1.02s` as milliseconds.
fn millis(s: &str) -> Option<f64> {
    let s = s.trim();
    let (number, factor) = if let Some(v) = s.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = s.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = s.strip_suffix('s') {
        (v, 1000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|v| v * factor)
}

/// Picks the figures out of `wrk --latency` output.
pub fn parse_wrk(output: &str) -> Option<WrkFigures> {
    let mut figures = WrkFigures::default();
    let mut seen_rate = false;
    for line in output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v] => {
                figures.requests_per_second = v.parse().ok()?;
                seen_rate = true;
            }
            ["50%", v] => figures.p50_ms = millis(v)?,
            ["99%", v] => figures.p99_ms = millis(v)?,
            ["Non-2xx", "or", "3xx", "responses:", v] => figures.non_2xx = v.parse().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                figures.socket_errors = rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum();
            }
            _ => {}
        }
    }
    seen_rate.then_some(figures)
}

/// The wrk script: each request names a random buyer from the file.
fn lua_script(buyers_file: &Path, key: &str) -> String {
    format!(
        r#"local refs = {{}}
for line in io.lines("{file}") do refs[#refs + 1] = line end
math.randomseed(42)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
request = function()
  local ref = refs[math.random(#refs)]
  local cents = math.random(100000, 5000000)
  local body = string.format('{{"buyer":"%s","amount":"%d.%02d","currency":"EUR","date":"2026-03-01","term_days":60}}', ref, math.floor(cents / 100), cents % 100)
  return wrk.format(nil, "/v1/cover-checks", nil, body)
end
local shown = false
response = function(status, headers, body)
  if status ~= 200 and not shown then
    shown = true
    print("first error: " .. status .. " " .. body)
  end
end
"#,
        file = buyers_file.display()
    )
}

fn policy_input() -> Result<PolicyInput, CliError> {
    // Through JSON, as a caller would send it: terms added later with
    // defaults need no change here.
    serde_json::from_value(serde_json::json!({
        "insurer": "Bench Insurance",
        "number": "BENCH-1",
        "currency": "EUR",
        "terms": {
            "effective_from": "2025-01-01",
            "indemnity_rate": "0.90",
            "max_credit_days": 120,
            "notification_days": 60,
            "waiting_days": 150,
            "discretionary_limit": "10000.00",
            "deductible": "500.00"
        }
    }))
    .map_err(|e| failed(format!("bench policy: {e}")))
}

/// A named limit for every other buyer, written straight in (a seed, not
/// what is measured).
fn seed_limits(store: &Store, policy_id: &str) -> Result<usize, CliError> {
    let mut conn = store.conn()?;
    let ids: Vec<String> = buyers::table
        .order(buyers::id)
        .select(buyers::id)
        .load(&mut *conn)
        .map_err(StoreError::from)?;
    let day = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or_default();
    let rows: Vec<LimitDecisionRow> = ids
        .iter()
        .step_by(2)
        .enumerate()
        .map(|(n, b)| LimitDecisionRow {
            id: uuid::Uuid::now_v7().to_string(),
            policy_id: policy_id.to_string(),
            buyer_id: b.clone(),
            kind: "approved".into(),
            amount_minor: Some(2_000_000 + (n as i64 % 20) * 1_000_000),
            decided_on: day,
            expires_on: None,
            reference: None,
            created_at: chrono::Utc::now().naive_utc(),
        })
        .collect();
    write_tx(&mut conn, |c| {
        factorgate::insert_rows!(c, insurance_limit_decisions::table, rows.as_slice())
    })
    .map_err(StoreError::from)?;
    Ok(rows.len())
}

/// One buyer reference per line: our id for even buyers, `0002:SIREN` for
/// odd ones, so both lookups are measured.
fn write_buyer_refs(store: &Store, path: &Path) -> Result<usize, CliError> {
    let mut conn = store.conn()?;
    let rows: Vec<(String, Option<String>)> = buyers::table
        .left_join(buyer_legal_ids::table.on(buyer_legal_ids::buyer_id.eq(buyers::id)))
        .order(buyers::id)
        .select((buyers::id, buyer_legal_ids::value.nullable()))
        .load(&mut *conn)
        .map_err(StoreError::from)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for (n, (id, siren)) in rows.iter().enumerate() {
        match siren {
            Some(s) if n % 2 == 1 => writeln!(out, "0002:{s}")?,
            _ => writeln!(out, "{id}")?,
        }
    }
    out.flush()?;
    Ok(rows.len())
}

pub fn run(store: &Store, dir: &Path, backend: &str, args: &BenchArgs) -> CliResult {
    let wrk = which_wrk()?;
    let started = Instant::now();
    super::import_portfolio(store, dir, backend, args)?;
    let mut conn = store.conn()?;
    let policy = create_policy(&mut conn, &policy_input()?)?;
    let key = create_key(&mut conn, Role::FinanceSystem, "bench")?.key;
    drop(conn);
    let limits = seed_limits(store, &policy.id)?;
    if !store.url().is_sqlite() {
        // What autovacuum does within a minute of a bulk load: without
        // statistics the planner scans instead of probing the indexes.
        use diesel::connection::SimpleConnection;
        store
            .conn()?
            .batch_execute("ANALYZE")
            .map_err(StoreError::from)?;
    }
    let refs = dir.join("buyers.txt");
    let buyers = write_buyer_refs(store, &refs)?;
    eprintln!(
        "{backend}: portfolio of {} invoices, {buyers} buyers, {limits} named limits ready in {:.0} s",
        args.count,
        started.elapsed().as_secs_f64()
    );
    let script = dir.join("cover-check.lua");
    std::fs::write(&script, lua_script(&refs, &key))?;

    let state = ApiState::new(store.clone(), Context::default());
    let (tx, rx) = std::sync::mpsc::channel();
    let workers = args.server_workers;
    std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            let server = actix_web::HttpServer::new(move || app(state.clone()))
                .workers(workers)
                .bind("127.0.0.1:0");
            match server {
                Ok(server) => {
                    let addr = server.addrs().first().copied();
                    let running = server.run();
                    let _ = tx.send(addr);
                    let _ = running.await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "bench server did not start");
                    let _ = tx.send(None);
                }
            }
        });
    });
    let addr = rx
        .recv()
        .ok()
        .flatten()
        .ok_or_else(|| failed("the bench server did not start"))?;
    preflight(addr, &key, &refs)?;
    let url = format!("http://{addr}");
    eprintln!(
        "{backend}: wrk -t{} -c{} -d{}s --latency against {url}/v1/cover-checks ({workers} server workers)",
        args.wrk_threads, args.connections, args.duration
    );
    let output = Command::new(&wrk)
        .args([
            format!("-t{}", args.wrk_threads),
            format!("-c{}", args.connections),
            format!("-d{}s", args.duration),
            "--latency".to_string(),
            "-s".to_string(),
            script.display().to_string(),
            url,
        ])
        .output()?;
    // wrk runs on with its default request when the script does not load:
    // a script error must fail the bench, not measure something else.
    let errors = String::from_utf8_lossy(&output.stderr);
    if !errors.trim().is_empty() {
        return Err(failed(format!("wrk: {errors}")));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let figures =
        parse_wrk(&text).ok_or_else(|| failed(format!("unreadable wrk output:\n{text}")))?;
    if figures.non_2xx > 0 || figures.socket_errors > 0 {
        return Err(failed(format!(
            "{} non-2xx answers and {} socket errors:\n{text}",
            figures.non_2xx, figures.socket_errors
        )));
    }
    println!(
        "{backend}: {:.0} cover checks/s over HTTP, p50 {:.2} ms, p99 {:.2} ms ({} invoices, {buyers} buyers, {} connections, {workers} server workers)",
        figures.requests_per_second,
        figures.p50_ms,
        figures.p99_ms,
        args.count,
        args.connections
    );
    Ok(())
}

/// One check by hand before the load: a setup mistake shows as its answer,
/// not as a million failed requests.
fn preflight(addr: std::net::SocketAddr, key: &str, refs: &Path) -> Result<(), CliError> {
    use std::io::Read;
    let text = std::fs::read_to_string(refs)?;
    let reference = text.lines().nth(1).unwrap_or_default();
    let body = format!(
        r#"{{"buyer":"{reference}","amount":"1000.00","currency":"EUR","date":"2026-03-01","term_days":60}}"#
    );
    let mut stream = std::net::TcpStream::connect(addr)?;
    write!(
        stream,
        "POST /v1/cover-checks HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if !answer.starts_with("HTTP/1.1 200") {
        return Err(failed(format!("the first cover check failed:\n{answer}")));
    }
    Ok(())
}

fn which_wrk() -> Result<std::path::PathBuf, CliError> {
    let paths = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&paths)
        .map(|p| p.join("wrk"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            failed("the cover-check scenario needs the load generator wrk on PATH (apt-get install wrk)")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        // As wrk 4.1 prints it with --latency.
        let out = "Running 10s test @ http://127.0.0.1:8080\n  2 threads and 32 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     1.45ms  512.00us  12.03ms   80.00%\n  Latency Distribution\n     50%    1.32ms\n     75%    1.70ms\n     90%    2.10ms\n     99%    3.50ms\n  220000 requests in 10.00s, 60.00MB read\n  Non-2xx or 3xx responses: 3\nRequests/sec:  22000.50\nTransfer/sec:      6.00MB\n";
        let f = parse_wrk(out).unwrap();
        assert_eq!(f.requests_per_second, 22000.50);
        assert_eq!(f.p50_ms, 1.32);
        assert_eq!(f.p99_ms, 3.5);
        assert_eq!(f.non_2xx, 3);
        assert_eq!(f.socket_errors, 0);
    }

    #[test]
    fn wrk_latency_units_become_milliseconds() {
        assert_eq!(millis("812.00us"), Some(0.812));
        assert_eq!(millis("1.02s"), Some(1020.0));
        assert_eq!(millis("3ms"), Some(3.0));
        assert_eq!(millis("3"), None);
        let errors = "Socket errors: connect 0, read 2, write 0, timeout 5\nRequests/sec: 10.0\n";
        assert_eq!(parse_wrk(errors).unwrap().socket_errors, 7);
        assert_eq!(parse_wrk("nothing here"), None);
    }
}
