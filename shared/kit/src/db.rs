//! Storage: one pool type for PostgreSQL (production) and SQLite (embedded default).
//!
//! Services write portable SQL against [`sqlx::Any`] with `$1` placeholders (SQLite reads
//! them as numbered parameters), store instants as microseconds in a 64-bit integer and
//! booleans as integers, and keep one migrations folder per backend for the DDL that
//! differs.

use std::{
    future::Future,
    path::Path,
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use secrecy::ExposeSecret;
use sqlx::{
    Any, AnyPool, Executor, Transaction,
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
};

use crate::{Error, Result, config::DatabaseSettings};

/// Which database sits behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL: many writers at once, capacity enforced by row locks.
    Postgres,
    /// SQLite: one writer at a time (`BEGIN IMMEDIATE`), WAL journal.
    Sqlite,
}

impl Backend {
    /// The backend a URL names, by its scheme.
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else {
            Err(Error::invalid(
                "database.url",
                "scheme must be postgres:// or sqlite://",
            ))
        }
    }
}

/// A transaction on either backend.
pub type Tx = Transaction<'static, Any>;

/// The embedded migrations of one service, one set per backend.
#[derive(Debug)]
pub struct Migrations {
    /// DDL for PostgreSQL.
    pub postgres: &'static Migrator,
    /// DDL for SQLite.
    pub sqlite: &'static Migrator,
}

// The kit's own tables (outbox, consumer positions) are versioned in their own table so
// their numbering never collides with a service's.
static KIT_POSTGRES: Migrator = Migrator {
    table_name: std::borrow::Cow::Borrowed("_kit_migrations"),
    ..sqlx::migrate!("./migrations/postgres")
};
static KIT_SQLITE: Migrator = Migrator {
    table_name: std::borrow::Cow::Borrowed("_kit_migrations"),
    ..sqlx::migrate!("./migrations/sqlite")
};

/// The calling service crate's embedded migrations, `migrations/postgres/` and
/// `migrations/sqlite/` beside its `Cargo.toml`, as a `&'static Migrations`:
/// `fn migrations() -> &'static Migrations { service_kit::migrations!() }`.
#[macro_export]
macro_rules! migrations {
    () => {{
        static POSTGRES: ::sqlx::migrate::Migrator = ::sqlx::migrate!("./migrations/postgres");
        static SQLITE: ::sqlx::migrate::Migrator = ::sqlx::migrate!("./migrations/sqlite");
        static MIGRATIONS: $crate::db::Migrations = $crate::db::Migrations {
            postgres: &POSTGRES,
            sqlite: &SQLITE,
        };
        &MIGRATIONS
    }};
}

/// A connection pool and the backend behind it.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// What the health probe last saw (see [`Db::set_reachable`]).
    reachable: Arc<AtomicBool>,
}

impl Db {
    /// Connects (creating the SQLite file and its folder when missing).
    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let url = settings.url.expose_secret();
        let backend = Backend::from_url(url)?;
        if backend == Backend::Sqlite {
            create_sqlite_parent(url)?;
        }
        let options = AnyConnectOptions::from_str(url)?;
        let max = settings.max_connections.unwrap_or(match backend {
            Backend::Postgres => 16,
            Backend::Sqlite => 1,
        });
        let mut pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms.max(1)))
            // No ping before every acquire: that was a round trip (on SQLite a trip through
            // its worker thread) on every call's critical path. sqlx still pings a
            // connection when it is released, off the caller's path, and drops one that
            // fails; a connection that died while idle (a database restart) fails its one
            // next call with UNAVAILABLE and is dropped. The outage test holds bookings to
            // succeeding again after the database returns.
            .test_before_acquire(false);
        if backend == Backend::Sqlite {
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers run beside the writer; busy_timeout makes a second
                    // process wait for the lock instead of failing at once.
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(options).await?;
        Ok(Self {
            pool,
            backend,
            reachable: Arc::new(AtomicBool::new(true)),
        })
    }

    /// Runs the kit's migrations, then the service's.
    pub async fn migrate(&self, service: &Migrations) -> anyhow::Result<()> {
        let (kit, own) = match self.backend {
            Backend::Postgres => (&KIT_POSTGRES, service.postgres),
            Backend::Sqlite => (&KIT_SQLITE, service.sqlite),
        };
        kit.run(&self.pool).await?;
        own.run(&self.pool).await?;
        Ok(())
    }

    /// The pool, for reads outside a transaction.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Records whether the database answers, as the health probe finds it. While it does
    /// not, [`Db::acquire`] and [`Db::begin`] fail at once with `UNAVAILABLE` instead of
    /// each call waiting out the acquire timeout.
    pub fn set_reachable(&self, up: bool) {
        self.reachable.store(up, Ordering::Relaxed);
    }

    /// Whether the health probe last found the database answering.
    pub fn is_reachable(&self) -> bool {
        self.reachable.load(Ordering::Relaxed)
    }

    fn fail_fast(&self) -> Result<()> {
        if self.is_reachable() {
            Ok(())
        } else {
            Err(crate::Error::Unavailable("database unreachable".into()))
        }
    }

    /// A connection for reads outside a transaction; `UNAVAILABLE` at once while the
    /// database is known to be down, or after the acquire timeout.
    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<Any>> {
        self.fail_fast()?;
        Ok(self.pool.acquire().await?)
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so two writers never deadlock upgrading a read lock.
    pub async fn begin(&self) -> Result<Tx> {
        self.fail_fast()?;
        let tx = match self.backend {
            Backend::Postgres => self.pool.begin().await?,
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
        };
        Ok(tx)
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        let probe = sqlx::query("SELECT 1").execute(&self.pool);
        matches!(
            tokio::time::timeout(Duration::from_secs(2), probe).await,
            Ok(Ok(_))
        )
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Runs `op` again (up to five times, with a short growing pause) while it fails with a
/// transient database conflict: a serialization failure or deadlock on PostgreSQL, a busy
/// database on SQLite. `op` must run a whole transaction, so a retry repeats it whole.
pub async fn retry<T, F, Fut>(mut op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0u32;
    loop {
        match op().await {
            Err(e) if e.is_transient() && attempt < 5 => {
                attempt += 1;
                tracing::debug!(attempt, error = %e, "retrying transaction");
                tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt * attempt))).await;
            }
            other => return other,
        }
    }
}

/// A boolean stored as a 0/1 integer (the portable form on both backends).
pub fn flag(value: i64) -> bool {
    value != 0
}

fn create_sqlite_parent(url: &str) -> anyhow::Result<()> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)?;
    }
    Ok(())
}
