//! TLS termination with rustls 0.23 (ring provider): a PEM certificate chain
//! and a PEM private key (PKCS#8, PKCS#1 or SEC1).

use std::io::BufReader;
use std::sync::Arc;

use crate::config::TlsConfig;

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

pub fn server_config(tls: &TlsConfig) -> std::io::Result<rustls::ServerConfig> {
    let open = |path: &std::path::Path| {
        std::fs::File::open(path)
            .map(BufReader::new)
            .map_err(|e| invalid(format!("{}: {e}", path.display())))
    };
    let certs = rustls_pemfile::certs(&mut open(&tls.cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("{}: {e}", tls.cert.display())))?;
    if certs.is_empty() {
        return Err(invalid(format!(
            "{}: no PEM certificate found",
            tls.cert.display()
        )));
    }
    let key = rustls_pemfile::private_key(&mut open(&tls.key)?)
        .map_err(|e| invalid(format!("{}: {e}", tls.key.display())))?
        .ok_or_else(|| invalid(format!("{}: no PEM private key found", tls.key.display())))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid(format!("TLS certificate and key: {e}")))
}
