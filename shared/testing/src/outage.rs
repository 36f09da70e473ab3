//! A PostgreSQL outage for one service's database, made without stopping the server the
//! other tests share: the database closed to new connections and the service's sessions
//! ended, then opened again.

use sqlx::Connection;

/// A database cut off from its service until [`Outage::end`].
#[derive(Debug)]
pub struct Outage {
    admin: sqlx::PgConnection,
    database: String,
}

fn sql(q: String) -> sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments> {
    sqlx::query(sqlx::AssertSqlSafe(q))
}

impl Outage {
    /// Cuts off the database `database_url` names, connecting as `admin_url`'s role (the
    /// one that created it). Only that role's sessions are ended: an autovacuum worker may
    /// be in the database too, and it counts as a superuser process the role may not
    /// signal (42501).
    pub async fn begin(admin_url: &str, database_url: &str) -> Self {
        let database = database_url
            .rsplit('/')
            .next()
            .and_then(|d| d.split('?').next())
            .expect("a database name in the URL")
            .to_owned();
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .expect("connect as the test role");
        sql(format!("ALTER DATABASE {database} ALLOW_CONNECTIONS false"))
            .execute(&mut admin)
            .await
            .expect("close the database to new connections");
        sql(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{database}' AND usename = current_user AND pid <> pg_backend_pid()"
        ))
        .execute(&mut admin)
        .await
        .expect("end the service's sessions");
        Self { admin, database }
    }

    /// Opens the database to connections again.
    pub async fn end(mut self) {
        sql(format!(
            "ALTER DATABASE {} ALLOW_CONNECTIONS true",
            self.database
        ))
        .execute(&mut self.admin)
        .await
        .expect("open the database again");
        let _ = self.admin.close().await;
    }
}
