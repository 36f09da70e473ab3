//! The two backends, a fresh database per test, and a macro that runs one test body on both.

use std::path::Path;

use sqlx::Connection;

/// Which database a test runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A SQLite file in the test's temporary folder.
    Sqlite,
    /// A fresh database on the server named by this admin URL.
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when `TEST_DATABASE_URL` is set. When `REQUIRE_POSTGRES` is set too (CI),
    /// a missing URL fails the test instead of skipping it.
    pub fn postgres() -> Option<Backend> {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ if std::env::var_os("REQUIRE_POSTGRES").is_some() => {
                panic!("REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not")
            }
            _ => {
                eprintln!("skipping: TEST_DATABASE_URL not set");
                None
            }
        }
    }

    /// The PostgreSQL admin URL (the role that creates the test databases), if this is
    /// PostgreSQL.
    pub fn admin_url(&self) -> Option<&str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres(url) => Some(url),
        }
    }

    /// A URL to a new, empty database: `name.db` under `dir` for SQLite, a new database
    /// named `t_<random>` for PostgreSQL (CI drops them between runs).
    pub async fn fresh_url(&self, dir: &Path, name: &str) -> String {
        match self {
            Backend::Sqlite => format!(
                "sqlite://{}?mode=rwc",
                dir.join(format!("{name}.db")).display()
            ),
            Backend::Postgres(admin_url) => {
                let db = format!("t_{}", uuid::Uuid::now_v7().simple());
                let mut conn = sqlx::PgConnection::connect(admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let _ = conn.close().await;
                let (base, _) = admin_url.rsplit_once('/').expect("database URL has a path");
                format!("{base}/{db}")
            }
        }
    }
}

/// Runs each named `async fn name(backend: Backend)` as two tests, `sqlite::name` and
/// `postgres::name`, on a multi-threaded runtime.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(backend) = $crate::Backend::postgres() {
                        super::$name(backend).await
                    }
                }
            )*
        }
    };
}
