//! Test databases: a fresh SQLite file per test, and, when
//! FACTORGATE_TEST_POSTGRES_URL is set, a fresh PostgreSQL database per test
//! (created from the server URL, dropped afterwards), so tests run in parallel.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use factorgate::service::Context;
use factorgate::store::Store;

pub struct TestDb {
    pub name: &'static str,
    pub store: Store,
    pub ctx: Context,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, db)) = self.pg_drop.take() {
            if let Ok(mut c) = PgConnection::establish(&admin_url) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"));
            }
        }
    }
}

pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("test.db");
    let store = Store::open(&format!("sqlite://{}", path.display())).expect("open sqlite");
    store.migrate().expect("migrate sqlite");
    TestDb {
        name: "sqlite",
        store,
        ctx: Context::default(),
        _dir: Some(dir),
        pg_drop: None,
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("FACTORGATE_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

pub fn postgres() -> Option<TestDb> {
    let admin_url = postgres_url()?;
    let db = format!("fg_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin =
        PgConnection::establish(&admin_url).expect("connect to FACTORGATE_TEST_POSTGRES_URL");
    admin
        .batch_execute(&format!("CREATE DATABASE \"{db}\""))
        .expect("create test database");
    let url = factorgate::store::with_database_name(&admin_url, &db);
    let store = Store::open(&url).expect("open postgres");
    store.migrate().expect("migrate postgres");
    Some(TestDb {
        name: "postgres",
        store,
        ctx: Context::default(),
        _dir: None,
        pg_drop: Some((admin_url, db)),
    })
}

/// Every backend this run can reach: SQLite always, PostgreSQL when configured.
pub fn backends() -> Vec<TestDb> {
    let mut v = vec![sqlite()];
    v.extend(postgres());
    v
}
