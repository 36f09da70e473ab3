//! The outbox's published order never lets a subscriber skip an event whose transaction
//! committed late.

use std::{collections::HashSet, sync::Arc, time::Duration};

use secrecy::SecretString;
use service_kit::{
    auth::OrgScope,
    config::DatabaseSettings,
    db::{Db, Migrations},
    events::{NewEvent, Outbox, append},
};
use test_support::{Backend, backend_tests};
use tokio_stream::StreamExt;

static NONE_PG: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;
static NONE_LITE: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;
static NO_SERVICE_TABLES: Migrations = Migrations {
    postgres: &NONE_PG,
    sqlite: &NONE_LITE,
};

async fn database(backend: &Backend, dir: &std::path::Path) -> Db {
    let url = backend.fresh_url(dir, "outbox").await;
    let settings = DatabaseSettings {
        url: SecretString::from(url),
        max_connections: Some(8),
        acquire_timeout_ms: 2000,
    };
    let db = Db::connect(&settings).await.unwrap();
    db.migrate(&NO_SERVICE_TABLES).await.unwrap();
    db
}

fn event(n: u32) -> NewEvent {
    NewEvent {
        event_id: format!("evt_{n}"),
        branch_id: "br_1".into(),
        region_path: "guangdong/shenzhen".into(),
        occurred_at: 0,
        payload: n.to_be_bytes().to_vec(),
    }
}

fn number(payload: &[u8]) -> u32 {
    u32::from_be_bytes(payload.try_into().unwrap())
}

backend_tests!(
    concurrent_writers_with_random_commit_delays_are_each_delivered_once_in_order,
    an_event_that_commits_late_is_published_after_the_ones_that_overtook_it,
    batches_claimed_by_racing_consumers_apply_each_position_once,
);

/// Consumers racing over overlapping batches of one feed (as replicas do after a
/// reconnect): each claims a batch's last position and applies only what lies after the
/// position it found; every position is applied exactly once.
async fn batches_claimed_by_racing_consumers_apply_each_position_once(backend: Backend) {
    use service_kit::events::begin_claimed_batch;
    let dir = tempfile::tempdir().unwrap();
    let db = database(&backend, dir.path()).await;
    sqlx::query("CREATE TABLE applied (position BIGINT NOT NULL)")
        .execute(db.pool())
        .await
        .unwrap();
    // Overlapping batches, ending at 5, 3, 9, 9, 12, 7, 20, in racing tasks.
    let lasts = [5u64, 3, 9, 9, 12, 7, 20, 16, 20, 1];
    let mut tasks = tokio::task::JoinSet::new();
    for last in lasts {
        let db = db.clone();
        tasks.spawn(async move {
            loop {
                let attempt = async {
                    let Some((mut tx, before)) =
                        begin_claimed_batch(&db, "racing", last, 0).await?
                    else {
                        return Ok::<_, service_kit::Error>(());
                    };
                    for p in (before + 1)..=last {
                        sqlx::query("INSERT INTO applied (position) VALUES ($1)")
                            .bind(p as i64)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                };
                match attempt.await {
                    Ok(()) => return,
                    // SQLite's single writer may be busy; PostgreSQL may abort a loser.
                    Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let mut applied: Vec<i64> = sqlx::query_scalar("SELECT position FROM applied")
        .fetch_all(db.pool())
        .await
        .unwrap();
    applied.sort();
    assert_eq!(
        applied,
        (1..=20).collect::<Vec<i64>>(),
        "each position once"
    );
    assert!(
        begin_claimed_batch(&db, "racing", 20, 0)
            .await
            .unwrap()
            .is_none(),
        "applied already"
    );
}

async fn an_event_that_commits_late_is_published_after_the_ones_that_overtook_it(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&backend, dir.path()).await;
    let outbox = Outbox::new(db.clone());
    if matches!(backend, Backend::Sqlite) {
        // SQLite cannot have two writers in flight: the second waits for the first to
        // commit (BEGIN IMMEDIATE), so ids follow commit order and nothing overtakes.
        let mut first = db.begin().await.unwrap();
        append(&mut first, &event(1)).await.unwrap();
        let db2 = db.clone();
        let second = tokio::spawn(async move {
            let mut tx = db2.begin().await.unwrap();
            append(&mut tx, &event(2)).await.unwrap();
            tx.commit().await.unwrap();
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            !second.is_finished(),
            "the second writer waits for the first"
        );
        first.commit().await.unwrap();
        second.await.unwrap();
        outbox.sequence_once().await.unwrap();
        let all = outbox
            .read_after(0, &OrgScope::Group, "", 100)
            .await
            .unwrap();
        assert_eq!(
            all.iter().map(|e| number(&e.payload)).collect::<Vec<_>>(),
            [1, 2]
        );
        db.close().await;
        return;
    }

    // The slow writer inserts first (lower id) but commits last.
    let mut slow = db.begin().await.unwrap();
    append(&mut slow, &event(1)).await.unwrap();
    let mut fast = db.begin().await.unwrap();
    append(&mut fast, &event(2)).await.unwrap();
    fast.commit().await.unwrap();

    outbox.sequence_once().await.unwrap();
    let first = outbox
        .read_after(0, &OrgScope::Group, "", 100)
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|e| number(&e.payload)).collect::<Vec<_>>(),
        [2]
    );
    let seen_up_to = first[0].position;

    // Reading by insert id would now ask for "id > 2" and never see event 1.
    slow.commit().await.unwrap();
    outbox.sequence_once().await.unwrap();
    let next = outbox
        .read_after(seen_up_to, &OrgScope::Group, "", 100)
        .await
        .unwrap();
    assert_eq!(
        next.iter().map(|e| number(&e.payload)).collect::<Vec<_>>(),
        [1]
    );
    assert!(next[0].position > seen_up_to);
    db.close().await;
}

async fn concurrent_writers_with_random_commit_delays_are_each_delivered_once_in_order(
    backend: Backend,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&backend, dir.path()).await;
    let outbox = Outbox::new(db.clone());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let sequencer = tokio::spawn(outbox.clone().run_sequencer(async {
        let _ = stop_rx.await;
    }));
    let mut stream = outbox.subscribe(0, OrgScope::Group, String::new());

    const WRITERS: u32 = 8;
    const PER_WRITER: u32 = 25;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let db = db.clone();
        let outbox: Arc<Outbox> = outbox.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..PER_WRITER {
                let n = w * PER_WRITER + i;
                let mut tx = db.begin().await.unwrap();
                append(&mut tx, &event(n)).await.unwrap();
                // Hold the transaction open for a varying while, so commits interleave
                // out of id order (on PostgreSQL; SQLite queues the writers).
                let pause = u64::from(n * 7919 % 13);
                tokio::time::sleep(Duration::from_millis(pause)).await;
                tx.commit().await.unwrap();
                outbox.notify();
            }
        }));
    }
    let mut seen = HashSet::new();
    let mut last = 0;
    while seen.len() < (WRITERS * PER_WRITER) as usize {
        let e = tokio::time::timeout(Duration::from_secs(30), stream.next())
            .await
            .expect("events keep coming")
            .unwrap()
            .unwrap();
        assert!(e.position > last, "positions strictly increase");
        last = e.position;
        assert!(seen.insert(number(&e.payload)), "delivered once");
    }
    for w in writers {
        w.await.unwrap();
    }
    // Nothing more arrives: no duplicates after the last one.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), stream.next())
            .await
            .is_err()
    );
    let _ = stop_tx.send(());
    sequencer.await.unwrap();
    db.close().await;
}
