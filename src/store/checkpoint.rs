//! WAL checkpoints of a SQLite file, off the writers' path.
//!
//! In WAL mode a commit appends pages to the `-wal` file; a checkpoint copies
//! them back into the database file and syncs it. By default SQLite runs that
//! checkpoint inside the commit that crosses 1,000 pages, so a writer of large
//! batches paid for it in every transaction (copy, two fsyncs). Here one
//! thread per store, with its own connection, runs a PASSIVE checkpoint (it
//! never blocks a reader or a writer) a few times a second; the writers'
//! own automatic checkpoint stays on as a backstop at [`WRITER_BACKSTOP_PAGES`],
//! for when this thread falls behind. Durability is unchanged: commits are
//! in the WAL (synchronous = NORMAL), and a checkpoint interrupted by a crash
//! is redone from the WAL on the next open.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

/// `PRAGMA wal_autocheckpoint` of the pool's connections: a writer
/// checkpoints itself only when the WAL holds this many pages (64 MiB of
/// 4 KiB pages), several large batches' worth.
pub const WRITER_BACKSTOP_PAGES: u32 = 16_384;

/// How often the checkpointer looks at the WAL. A look with nothing to copy
/// reads the WAL index header and returns.
const INTERVAL: Duration = Duration::from_millis(50);

/// Stops the checkpointer when the last clone of its store is dropped.
pub struct Checkpointer {
    stop: Arc<AtomicBool>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Checkpointer {
    /// Starts the thread; `None` when it cannot open its connection (the
    /// writers' automatic checkpoint then does the work, as before).
    pub fn start(path: PathBuf) -> Option<Checkpointer> {
        let text = path.to_str()?.to_string();
        let mut conn = SqliteConnection::establish(&text).ok()?;
        conn.batch_execute("PRAGMA busy_timeout = 1000;").ok()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(INTERVAL);
                    if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                        tracing::debug!(error = %e, "WAL checkpoint skipped");
                    }
                }
            })
            .ok()?;
        Some(Checkpointer { stop })
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;

    use crate::store::Store;

    /// Committed pages reach the database file without any writer
    /// checkpointing (they stay below the writers' backstop).
    #[test]
    fn the_wal_is_copied_back_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.db");
        let store = Store::open(&format!("sqlite://{}", path.display())).unwrap();
        let mut conn = store.conn().unwrap();
        conn.batch_execute(
            "CREATE TABLE t (x TEXT); BEGIN; \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
             INSERT INTO t SELECT printf('%.1000c', 'x') FROM n; COMMIT;",
        )
        .unwrap();
        let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let mut waited = 0;
        while size() < 2_000_000 && waited < 100 {
            std::thread::sleep(std::time::Duration::from_millis(20));
            waited += 1;
        }
        assert!(size() >= 2_000_000, "database file {} bytes", size());
    }
}
