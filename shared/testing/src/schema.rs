//! The shape of a migrated database, read back from the catalogue, so a test can hold a
//! service's PostgreSQL and SQLite migrations in step: the same tables, columns, keys and
//! indexes (column types may differ as the dialects require).

use std::collections::{BTreeMap, BTreeSet};

use secrecy::SecretString;
use service_kit::{
    config::DatabaseSettings,
    db::{Backend as Dialect, Db, Migrations},
};
use sqlx::Row;

/// Tables with their columns, keys and indexes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    /// Each table's column names.
    pub tables: BTreeMap<String, BTreeSet<String>>,
    /// Primary keys and unique constraints: `table(col,col)` with `primary` or `unique`.
    pub keys: BTreeSet<String>,
    /// Indexes made by `CREATE INDEX`: `name on table(col,col)`, `unique` when they are.
    pub indexes: BTreeSet<String>,
}

/// The schema of `db`, without the migration bookkeeping tables.
pub async fn read(db: &Db) -> Schema {
    match db.backend() {
        Dialect::Postgres => read_postgres(db).await,
        Dialect::Sqlite => read_sqlite(db).await,
    }
}

/// Migrates a fresh database at each URL with `migrations` (and the kit's own) and
/// fails the test, listing the differences, when the two schemas differ.
pub async fn assert_dialects_agree(migrations: &Migrations, postgres_url: &str, sqlite_url: &str) {
    let differences = differences(migrations, postgres_url, sqlite_url).await;
    assert!(
        differences.is_empty(),
        "the dialects' migrations disagree:\n  {}",
        differences.join("\n  ")
    );
}

/// Migrates a fresh database at each URL with `migrations` (and the kit's own) and lists
/// how the two schemas differ, one line per difference.
pub async fn differences(
    migrations: &Migrations,
    postgres_url: &str,
    sqlite_url: &str,
) -> Vec<String> {
    let mut schemas = Vec::new();
    for url in [postgres_url, sqlite_url] {
        let db = Db::connect(&DatabaseSettings {
            url: SecretString::from(url.to_owned()),
            max_connections: Some(1),
            acquire_timeout_ms: 2000,
        })
        .await
        .expect("connect");
        db.migrate(migrations).await.expect("migrations apply");
        schemas.push(read(&db).await);
        db.close().await;
    }
    let (pg, lite) = (&schemas[0], &schemas[1]);
    assert!(!pg.tables.is_empty(), "no tables read");
    let mut differences = Vec::new();
    let names: BTreeSet<_> = pg.tables.keys().chain(lite.tables.keys()).collect();
    for table in names {
        match (pg.tables.get(table), lite.tables.get(table)) {
            (Some(a), Some(b)) if a != b => differences.push(format!(
                "{table}: columns only in PostgreSQL {:?}, only in SQLite {:?}",
                a.difference(b).collect::<Vec<_>>(),
                b.difference(a).collect::<Vec<_>>()
            )),
            (Some(_), None) => differences.push(format!("{table}: only in PostgreSQL")),
            (None, Some(_)) => differences.push(format!("{table}: only in SQLite")),
            _ => {}
        }
    }
    for (what, a, b) in [
        ("key", &pg.keys, &lite.keys),
        ("index", &pg.indexes, &lite.indexes),
    ] {
        for only in a.difference(b) {
            differences.push(format!("{what} only in PostgreSQL: {only}"));
        }
        for only in b.difference(a) {
            differences.push(format!("{what} only in SQLite: {only}"));
        }
    }
    differences
}

fn bookkeeping(table: &str) -> bool {
    table.starts_with("_sqlx") || table.starts_with("_kit_")
}

async fn strings(db: &Db, sql: &'static str, bind: Option<&str>) -> Vec<Vec<String>> {
    let mut q = sqlx::query(sql);
    if let Some(b) = bind {
        q = q.bind(b.to_owned());
    }
    q.fetch_all(db.pool())
        .await
        .unwrap_or_else(|e| panic!("read the catalogue ({sql}): {e}"))
        .into_iter()
        .map(|row| {
            (0..row.len())
                .map(|i| row.try_get::<String, _>(i).expect("text"))
                .collect()
        })
        .collect()
}

async fn read_postgres(db: &Db) -> Schema {
    let mut schema = Schema::default();
    for row in strings(
        db,
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema()",
        None,
    )
    .await
    {
        if !bookkeeping(&row[0]) {
            schema
                .tables
                .entry(row[0].clone())
                .or_default()
                .insert(row[1].clone());
        }
    }
    // Each index with its table, uniqueness, columns in order, and whether a constraint
    // (primary key or UNIQUE) made it.
    let indexes = strings(
        db,
        "SELECT i.relname::text, t.relname::text, \
                CASE WHEN ix.indisprimary THEN 'primary' WHEN ix.indisunique THEN 'unique' \
                     ELSE '' END, \
                array_to_string(ARRAY(SELECT a.attname::text \
                    FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) \
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                    ORDER BY k.ord), ','), \
                CASE WHEN EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) \
                     THEN 'constraint' ELSE 'index' END \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema()",
        None,
    )
    .await;
    for row in indexes {
        let (name, table, unique, columns, origin) = (&row[0], &row[1], &row[2], &row[3], &row[4]);
        if bookkeeping(table) {
            continue;
        }
        if origin == "constraint" {
            schema.keys.insert(format!("{table}({columns}) {unique}"));
        } else {
            schema.indexes.insert(
                format!("{name} on {table}({columns}) {unique}")
                    .trim()
                    .to_owned(),
            );
        }
    }
    schema
}

async fn read_sqlite(db: &Db) -> Schema {
    let mut schema = Schema::default();
    let tables = strings(
        db,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        None,
    )
    .await;
    for table in tables.into_iter().map(|r| r[0].clone()) {
        if bookkeeping(&table) {
            continue;
        }
        let columns = strings(
            db,
            "SELECT name, CAST(pk AS TEXT) FROM pragma_table_info($1) ORDER BY pk",
            Some(&table),
        )
        .await;
        let primary: Vec<_> = columns
            .iter()
            .filter(|c| c[1] != "0")
            .map(|c| c[0].clone())
            .collect();
        if !primary.is_empty() {
            schema
                .keys
                .insert(format!("{table}({}) primary", primary.join(",")));
        }
        schema.tables.insert(
            table.clone(),
            columns.into_iter().map(|c| c[0].clone()).collect(),
        );
        let indexes = strings(
            db,
            "SELECT name, CAST(\"unique\" AS TEXT), origin FROM pragma_index_list($1)",
            Some(&table),
        )
        .await;
        for index in indexes {
            let (name, unique, origin) = (&index[0], index[1] == "1", &index[2]);
            let columns = strings(
                db,
                "SELECT COALESCE(name, '') FROM pragma_index_info($1) ORDER BY seqno",
                Some(name),
            )
            .await
            .into_iter()
            .map(|r| r[0].clone())
            .collect::<Vec<_>>()
            .join(",");
            match origin.as_str() {
                // A primary key that is not the rowid is also listed here; it is read above.
                "pk" => {}
                "u" => {
                    schema.keys.insert(format!("{table}({columns}) unique"));
                }
                _ => {
                    let unique = if unique { "unique" } else { "" };
                    schema.indexes.insert(
                        format!("{name} on {table}({columns}) {unique}")
                            .trim()
                            .to_owned(),
                    );
                }
            }
        }
    }
    schema
}

/// [`assert_dialects_agree`] for service `T`, on a fresh PostgreSQL database (from
/// `TEST_DATABASE_URL`; skipped without one, failed under `REQUIRE_POSTGRES`) and a fresh
/// SQLite file.
pub async fn assert_service_dialects_agree<T: service_kit::service::Spec>() {
    let Some(postgres) = crate::Backend::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let pg = postgres.fresh_url(dir.path(), T::NAME).await;
    let lite = crate::Backend::Sqlite.fresh_url(dir.path(), T::NAME).await;
    assert_dialects_agree(T::migrations(), &pg, &lite).await;
}
