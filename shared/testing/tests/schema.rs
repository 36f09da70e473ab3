//! The schema comparison finds what two dialects' migrations do differently, and nothing
//! where they agree but for column types.

use service_kit::db::Migrations;
use test_support::{Backend, schema::differences};

static DRIFT_PG: sqlx::migrate::Migrator = sqlx::migrate!("tests/drift/postgres");
static DRIFT_LITE: sqlx::migrate::Migrator = sqlx::migrate!("tests/drift/sqlite");
static DRIFT: Migrations = Migrations {
    postgres: &DRIFT_PG,
    sqlite: &DRIFT_LITE,
};
static SAME: Migrations = Migrations {
    postgres: &DRIFT_PG,
    sqlite: &DRIFT_PG,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_column_and_a_reordered_index_are_reported() {
    let Some(postgres) = Backend::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pg = postgres.fresh_url(dir.path(), "drift").await;
    let lite = Backend::Sqlite.fresh_url(dir.path(), "drift").await;
    let found = differences(&DRIFT, &pg, &lite).await;
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found[0].contains("visits") && found[0].contains("note"),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|d| d
                .contains("only in PostgreSQL: visits_by_branch on visits(branch_id,starts_at)")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|d| d.contains("only in SQLite: visits_by_branch on visits(starts_at,branch_id)")),
        "{found:#?}"
    );

    // The same DDL on both (BIGINT is an integer to SQLite too): no differences, the
    // kit's own tables included.
    let pg = postgres.fresh_url(dir.path(), "same").await;
    let lite = Backend::Sqlite.fresh_url(dir.path(), "same").await;
    assert_eq!(differences(&SAME, &pg, &lite).await, Vec::<String>::new());
}
