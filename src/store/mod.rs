//! Persistence: one connection type over SQLite and PostgreSQL (diesel's
//! MultiConnection), an r2d2 pool, embedded migrations per backend.
//!
//! Queries are written once against [`DbConnection`]. The few statements that
//! need a backend's own features (multi-row inserts) go through
//! [`on_backend!`], which compiles the same code once per backend.

mod checkpoint;
pub mod factoring_rows;
pub mod pg_bulk;
pub mod rows;
pub mod scan;
pub mod schema;

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::ErrorCode;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The database connection, whichever backend the URL named.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs the same code on the inner connection of either backend, for
/// statements MultiConnection does not cover (multi-row inserts).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::DbConnection::Sqlite($c) => $body,
            $crate::store::DbConnection::Postgres($c) => $body,
        }
    };
}

/// Rows per multi-row INSERT on the bulk paths. Full chunks go through a
/// fixed-size array, so diesel caches their prepared statement (a `Vec` of
/// varying length would be parsed and planned again for every chunk); only
/// the remainder is prepared afresh. 256 rows of up to 32 columns stay under
/// SQLite's and PostgreSQL's bind-parameter limits.
pub const INSERT_CHUNK: usize = 256;

/// Inserts a slice of `Insertable` rows into `$table` in chunks of
/// [`INSERT_CHUNK`], on either backend. Evaluates to `QueryResult<usize>`.
#[macro_export]
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        (|| -> diesel::QueryResult<usize> {
            let rows = $rows;
            let mut written = 0;
            let mut chunks = rows.chunks_exact($crate::store::INSERT_CHUNK);
            for chunk in &mut chunks {
                let full: &[_; $crate::store::INSERT_CHUNK] = chunk
                    .try_into()
                    .map_err(|_| diesel::result::Error::RollbackTransaction)?;
                written += $crate::on_backend!(&mut *$conn, |c| diesel::insert_into($table)
                    .values(full)
                    .execute(c))?;
            }
            let rest = chunks.remainder();
            if !rest.is_empty() {
                written += $crate::on_backend!(&mut *$conn, |c| diesel::insert_into($table)
                    .values(rest)
                    .execute(c))?;
            }
            Ok(written)
        })()
    }};
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid database URL '{0}': expected sqlite://PATH, a file path, or postgres://...")]
    BadUrl(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl ErrorCode for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::BadUrl(_) => "database_url_invalid",
            StoreError::Query(_) => "database_error",
            StoreError::Connect(_) | StoreError::Pool(_) => "database_unavailable",
            StoreError::Migration(_) => "database_migration_failed",
        }
    }
}

/// Which backend a URL names. `sqlite://path`, `sqlite:path`, a bare path or
/// `:memory:` is SQLite; `postgres://` or `postgresql://` is PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    SqliteMemory,
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<DatabaseUrl, StoreError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(StoreError::BadUrl(url.to_string()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_string()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path == ":memory:" {
            return Ok(DatabaseUrl::SqliteMemory);
        }
        if path.is_empty() || path.contains("://") {
            return Err(StoreError::BadUrl(url.to_string()));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn is_sqlite(&self) -> bool {
        !matches!(self, DatabaseUrl::Postgres(_))
    }

    /// For logs: the PostgreSQL password is never printed.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::SqliteMemory => "sqlite://:memory:".to_string(),
            DatabaseUrl::Postgres(u) => redact_password(u),
        }
    }

    fn establish(&self) -> Result<DbConnection, StoreError> {
        match self {
            DatabaseUrl::Postgres(u) => PgConnection::establish(u)
                .map(DbConnection::Postgres)
                .map_err(|e| StoreError::Connect(redact_password(&e.to_string()))),
            DatabaseUrl::Sqlite(p) => {
                let text = p
                    .to_str()
                    .ok_or_else(|| StoreError::BadUrl(p.display().to_string()))?;
                let mut conn = SqliteConnection::establish(text)
                    .map_err(|e| StoreError::Connect(e.to_string()))?;
                configure_sqlite(&mut conn)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::SqliteMemory => {
                let mut conn = SqliteConnection::establish(":memory:")
                    .map_err(|e| StoreError::Connect(e.to_string()))?;
                configure_sqlite(&mut conn)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// The same PostgreSQL server URL naming another database:
/// `postgres://u@h:5432/test?x=y` -> `postgres://u@h:5432/<db>?x=y`. Used to
/// make scratch databases (tests, benchmarks) next to the one configured.
pub fn with_database_name(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host}/{db}?{q}"),
        None => format!("{host}/{db}"),
    }
}

fn redact_password(url: &str) -> String {
    // postgres://user:secret@host/db -> postgres://user:***@host/db
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        if let Some(at) = rest.find('@') {
            let userinfo = &rest[..at];
            if let Some(colon) = userinfo.find(':') {
                return format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &rest[at..]
                );
            }
        }
    }
    url.to_string()
}

fn configure_sqlite(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    // WAL lets readers work while one writer commits; foreign keys are off by
    // default in SQLite and our ledger check relies on a deferred one.
    //
    // Pages of 8 KiB (for a new file only: SQLite keeps an existing file's
    // page size): a batch's commit writes half as many WAL frames, and
    // b-trees split half as often; recording in batches of 5,000 went from
    // 45,000 to 50,000 invoices/s, single-invoice writes from 6,300 to
    // 5,400/s (BENCHMARKS.md, issue 2).
    //
    // 32 MiB of page cache per connection: a cache grows by fresh memory,
    // and on this machine the page faults that zero it cost bulk writes
    // more than re-reading evicted pages from the OS cache (256 MiB made
    // batch recording 11 % slower). A WAL reader's cache is emptied whenever
    // another connection has committed anyway.
    conn.batch_execute(
        // busy_timeout first: switching to WAL takes a lock, and a pool
        // opening connections while another one writes must wait, not fail.
        "PRAGMA busy_timeout = 15000; PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768; \
         PRAGMA temp_store = MEMORY;",
    )?;
    // Checkpoints are the store's checkpointer thread's job; a writer does
    // one itself only past this backstop (see `checkpoint`).
    conn.batch_execute(&format!(
        "PRAGMA wal_autocheckpoint = {};",
        checkpoint::WRITER_BACKSTOP_PAGES
    ))?;
    Ok(())
}

/// Whether short reads run on the calling (HTTP worker) thread: yes on
/// SQLite (in process, and a read in WAL mode waits for no writer) and on
/// a PostgreSQL server on this machine (loopback or Unix socket: a round
/// trip of tens of microseconds costs less than two thread hand-offs); no
/// on a remote server, whose round trip would hold the worker.
/// `FACTORGATE_INLINE_READS=0` or `1` decides instead.
fn inline_reads(url: &DatabaseUrl) -> bool {
    match std::env::var("FACTORGATE_INLINE_READS").as_deref() {
        Ok("0") => return false,
        Ok("1") => return true,
        _ => {}
    }
    match url {
        DatabaseUrl::Postgres(u) => postgres_is_local(u),
        _ => true,
    }
}

/// A PostgreSQL URL naming this machine: no host (Unix socket), a
/// loopback host, or a `host=` socket directory.
fn postgres_is_local(url: &str) -> bool {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    if let Some(host) = query.split('&').find_map(|kv| kv.strip_prefix("host=")) {
        return host.starts_with('/') || host.starts_with("%2F") || is_loopback(host);
    }
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match hostport.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => hostport.split(':').next().unwrap_or(""),
    };
    host.is_empty() || is_loopback(host)
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// r2d2 manager that opens the backend the URL names.
#[derive(Debug, Clone)]
pub struct DbManager {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for DbManager {
    type Connection = DbConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<DbConnection, StoreError> {
        self.url.establish()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        conn.batch_execute("SELECT 1").map_err(StoreError::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

pub type Pool = r2d2::Pool<DbManager>;

/// `SUM` of a BIGINT column as BIGINT on both backends (PostgreSQL would
/// widen it to NUMERIC).
pub fn sum_bigint(
    column: &str,
) -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::BigInt>> {
    diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(&format!(
        "CAST(SUM({column}) AS BIGINT)"
    ))
}
pub type PooledConn = r2d2::PooledConnection<DbManager>;

/// The database: a pool of connections to one backend.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    url: DatabaseUrl,
    /// Whether [`Store::run_read`] may run on the calling thread.
    inline_reads: bool,
    /// SQLite file: the thread that checkpoints its WAL, while the store lives.
    _checkpointer: Option<std::sync::Arc<checkpoint::Checkpointer>>,
}

impl Store {
    /// Opens a pool. SQLite in memory gets a single connection (each
    /// connection would otherwise be its own empty database).
    pub fn open(url: &str) -> Result<Store, StoreError> {
        let url = DatabaseUrl::parse(url)?;
        let size = match url {
            DatabaseUrl::SqliteMemory => 1,
            DatabaseUrl::Sqlite(_) => 4,
            DatabaseUrl::Postgres(_) => 8,
        };
        let pool = r2d2::Pool::builder()
            .max_size(size)
            // Connections are not probed on checkout: on PostgreSQL that is
            // a round trip on every request, a third of a cover check's
            // cost. A connection that fails is probed then, and dropped if
            // it no longer answers (`Store::recheck`).
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(15))
            .build(DbManager { url: url.clone() })?;
        let checkpointer = match &url {
            DatabaseUrl::Sqlite(path) => {
                checkpoint::Checkpointer::start(path.clone()).map(std::sync::Arc::new)
            }
            _ => None,
        };
        Ok(Store {
            pool,
            inline_reads: inline_reads(&url),
            url,
            _checkpointer: checkpointer,
        })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn conn(&self) -> Result<PooledConn, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn()?;
        let applied = match &mut *conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
            DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        }
        .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    }

    /// Runs blocking database work off the async executor.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = store.conn()?;
            store.checked(&mut conn, f)
        })
        .await
        .map_err(|e| E::from(StoreError::Connect(format!("worker stopped: {e}"))))?
    }

    /// Short read-only work (no write lock, no row lock: nothing it could
    /// wait for) runs on the calling thread when a connection is free at
    /// once, sparing two thread hand-offs, if the store reads inline (see
    /// [`inline_reads`]); otherwise as [`Store::run`].
    pub async fn run_read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        if self.inline_reads {
            if let Some(mut conn) = self.pool.try_get() {
                return self.checked(&mut conn, f);
            }
        }
        self.run(f).await
    }

    /// Runs one unit of work on a pooled connection; after a failure the
    /// connection is rechecked ([`Store::recheck`]).
    fn checked<T, E>(
        &self,
        conn: &mut DbConnection,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        let out = f(conn);
        if out.is_err() {
            self.recheck(conn);
        }
        out
    }

    /// After a failed unit of work on PostgreSQL: a connection that no
    /// longer answers (a server restart) is marked broken, so the pool
    /// drops it instead of lending it again.
    fn recheck(&self, conn: &mut DbConnection) {
        if self.url.is_sqlite() || conn.batch_execute("SELECT 1").is_ok() {
            return;
        }
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .set_in_error();
    }
}

/// One transaction for one business event. On SQLite the transaction takes
/// the write lock at once (BEGIN IMMEDIATE) so two writers queue on the busy
/// timeout instead of failing when a read lock cannot be upgraded.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => {
            match <DbConnection as Connection>::TransactionManager::commit_transaction(conn) {
                Ok(()) => Ok(value),
                Err(e) => {
                    let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(
                        conn,
                    );
                    Err(E::from(e))
                }
            }
        }
        Err(e) => {
            <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::RunQueryDsl;

    #[test]
    fn database_urls() {
        assert_eq!(
            DatabaseUrl::parse("factorgate.db").unwrap(),
            DatabaseUrl::Sqlite("factorgate.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://:memory:").unwrap(),
            DatabaseUrl::SqliteMemory
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://u@h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("  ").is_err());
    }

    #[test]
    fn database_name_is_replaced_keeping_host_and_options() {
        assert_eq!(
            with_database_name("postgres://u@h:5432/test?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(
            with_database_name("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
    }

    #[test]
    fn a_postgres_server_on_this_machine_is_told_from_a_remote_one() {
        for local in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://app:pw@localhost/fg?sslmode=disable",
            "postgres://u@[::1]:5432/fg",
            "postgres:///fg",
            "postgres://u@/fg?host=/var/run/postgresql",
        ] {
            assert!(postgres_is_local(local), "{local}");
        }
        for remote in [
            "postgres://app:pw@db.internal:5432/fg",
            "postgres://u@10.0.0.5/fg",
            "postgres://u@[2001:db8::1]:5432/fg",
            "postgres://u@localhost.example.com/fg",
        ] {
            assert!(!postgres_is_local(remote), "{remote}");
        }
    }

    fn page_size(conn: &mut DbConnection) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct PageSize {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            page_size: i64,
        }
        let DbConnection::Sqlite(c) = conn else {
            panic!("a SQLite store gave another connection")
        };
        diesel::sql_query("PRAGMA page_size")
            .get_result::<PageSize>(c)
            .unwrap()
            .page_size
    }

    /// A new file gets 8 KiB pages; a file made before keeps its own page
    /// size (SQLite cannot change it in WAL mode) and is migrated and used
    /// as it is.
    #[test]
    fn new_files_get_8_kib_pages_and_old_files_keep_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.db");
        let store = Store::open(&format!("sqlite://{}", fresh.display())).unwrap();
        store.migrate().unwrap();
        assert_eq!(page_size(&mut store.conn().unwrap()), 8192);

        let old = dir.path().join("old.db");
        {
            let mut c = SqliteConnection::establish(old.to_str().unwrap()).unwrap();
            c.batch_execute("PRAGMA page_size = 4096; CREATE TABLE before_us (x INTEGER);")
                .unwrap();
        }
        let store = Store::open(&format!("sqlite://{}", old.display())).unwrap();
        store.migrate().unwrap();
        let mut conn = store.conn().unwrap();
        assert_eq!(page_size(&mut conn), 4096);
        conn.batch_execute("INSERT INTO journals (code, label) VALUES ('XX', 'test')")
            .unwrap();
    }

    #[test]
    fn passwords_are_redacted() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db.local:5432/fg").unwrap();
        assert_eq!(url.redacted(), "postgres://app:***@db.local:5432/fg");
        assert!(!url.redacted().contains("s3cret"));
    }
}
