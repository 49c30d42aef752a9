//! Writing into the outbox folder: whole files only (a temporary name,
//! then a rename), and one file per idempotency key, ever.

use std::fs;
use std::io::Write;
use std::path::Path;

use factorgate_adapter::AdapterError;

/// Where the outbox remembers which file each idempotency key wrote, so a
/// retry finds its first file even after the transfer took it away.
const KEYS_DIR: &str = ".factorgate-keys";

fn io(what: &str, path: &Path, e: std::io::Error) -> AdapterError {
    AdapterError::Transport(format!("{what} {}: {e}", path.display()))
}

/// A key as a file name: hex of its bytes, so any key is safe on disk.
fn key_file(outbox: &Path, key: &str) -> std::path::PathBuf {
    let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
    outbox.join(KEYS_DIR).join(hex)
}

/// What happened to a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// A new file.
    New,
    /// The key wrote this same content before: nothing written again.
    Replay,
}

/// Writes `bytes` as `outbox/name` for `key`. The same key with the same
/// name is a replay (even once the file was taken away); the same key for
/// another file, or a name already holding other content, is refused.
pub fn write_once(
    outbox: &Path,
    name: &str,
    key: &str,
    bytes: &[u8],
) -> Result<Written, AdapterError> {
    let marker = key_file(outbox, key);
    match fs::read_to_string(&marker) {
        Ok(first) if first == name => return Ok(Written::Replay),
        Ok(first) => {
            return Err(AdapterError::Rejected {
                code: "idempotency_key_reused".into(),
                message: format!("key '{key}' already wrote {first}, not {name}"),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("cannot read", &marker, e)),
    }
    let target = outbox.join(name);
    match fs::read(&target) {
        Ok(existing) if existing != bytes => {
            return Err(AdapterError::Rejected {
                code: "schedule_exists".into(),
                message: format!("{} exists with other content", target.display()),
            })
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            write_atomic(outbox, name, bytes)?;
        }
        Err(e) => return Err(io("cannot read", &target, e)),
    }
    let keys = outbox.join(KEYS_DIR);
    fs::create_dir_all(&keys).map_err(|e| io("cannot create", &keys, e))?;
    write_atomic(&keys, &marker_name(&marker), name.as_bytes())?;
    Ok(Written::New)
}

fn marker_name(marker: &Path) -> String {
    marker
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `dir/name` appears whole or not at all: written under a dot-name the
/// transfer ignores, synced, then renamed.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), AdapterError> {
    let temp = dir.join(format!(".{name}.tmp"));
    let target = dir.join(name);
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, &target)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&temp);
        io("cannot write", &target, e)
    })
}
