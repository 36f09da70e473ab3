//! The event feed: a consumer that stores its position in its own database, in the same
//! transaction as each event's effect, is killed mid-stream and restarted; it ends with
//! every event applied exactly once.

use std::time::Duration;

use hospital_proto::scheduling::{self as pb, scheduling_service_client::SchedulingServiceClient};
use secrecy::SecretString;
use service_kit::{
    auth::{OrgScope, Role},
    config::DatabaseSettings,
    db::{Db, Migrations},
    events,
};
use sqlx::Row;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(
    a_subscriber_killed_and_restarted_resumes_without_loss_or_duplicates,
    events_arrive_in_position_order_and_resume_after_a_position,
    branch_tokens_see_only_their_branch_events,
);

static CONSUMER_PG: sqlx::migrate::Migrator = sqlx::migrate!("./tests/api/consumer_migrations");
static CONSUMER_LITE: sqlx::migrate::Migrator = sqlx::migrate!("./tests/api/consumer_migrations");
static CONSUMER: Migrations = Migrations {
    postgres: &CONSUMER_PG,
    sqlite: &CONSUMER_LITE,
};

/// A consumer in the style of a downstream service: one transaction per event, holding
/// the event's effect (a row per booked appointment) and the claimed position.
async fn consume(
    db: Db,
    mut client: SchedulingServiceClient<Channel>,
    token: String,
    stop_after: Option<usize>,
) -> usize {
    let after = events::position(&db, "test-consumer").await.unwrap();
    let mut stream = client
        .subscribe(req(
            &token,
            pb::SubscribeRequest {
                after,
                branch_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .map(event);
    let mut applied = 0;
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(700), stream.next()).await
    {
        let event = event.unwrap();
        let mut tx = db.begin().await.unwrap();
        if !events::claim(&mut tx, "test-consumer", event.position, 0)
            .await
            .unwrap()
        {
            continue;
        }
        if let Some(pb::scheduling_event::Kind::AppointmentBooked(b)) = event.kind {
            // The effect: a plain insert that would fail on a duplicate.
            sqlx::query("INSERT INTO seen_bookings (appointment_id, position) VALUES ($1, $2)")
                .bind(b.appointment_id)
                .bind(event.position as i64)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        applied += 1;
        if stop_after.is_some_and(|n| applied >= n) {
            // Killed: the stream is dropped mid-flight without a goodbye.
            return applied;
        }
    }
    applied
}

async fn consumer_db(dir: &std::path::Path, backend: &Backend) -> Db {
    let url = backend.fresh_url(dir, "consumer").await;
    let db = Db::connect(&DatabaseSettings {
        url: SecretString::from(url),
        max_connections: None,
        acquire_timeout_ms: 2000,
    })
    .await
    .unwrap();
    db.migrate(&CONSUMER).await.unwrap();
    db
}

async fn a_subscriber_killed_and_restarted_resumes_without_loss_or_duplicates(backend: Backend) {
    let app = spawn_app(backend.clone()).await;
    let f = fixture(&app, 100).await;
    let dir = tempfile::tempdir().unwrap();
    let db = consumer_db(dir.path(), &backend).await;
    let service = app.token(Role::Service, OrgScope::Group);

    // Bookings keep coming while the consumer is killed twice and restarted.
    let writer = {
        let client = app.client();
        let token = app.admin.clone();
        let slots = f.slots.clone();
        let package = f.plain_package.package_id.clone();
        tokio::spawn(async move {
            for n in 0..60u32 {
                let mut c = client.clone();
                c.book_appointment(req(
                    &token,
                    pb::BookAppointmentRequest {
                        request_id: format!("ev-{n}"),
                        slot_id: slots[n as usize % slots.len()].slot_id.clone(),
                        package_id: package.clone(),
                        customer: Some(customer(n)),
                    },
                ))
                .await
                .unwrap();
            }
        })
    };
    consume(db.clone(), app.client(), service.clone(), Some(7)).await;
    consume(db.clone(), app.client(), service.clone(), Some(13)).await;
    writer.await.unwrap();
    consume(db.clone(), app.client(), service.clone(), None).await;

    let rows = sqlx::query("SELECT appointment_id, position FROM seen_bookings ORDER BY position")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 60, "every booking applied exactly once");
    let positions: Vec<i64> = rows.iter().map(|r| r.get::<i64, _>("position")).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    db.close().await;
    app.stop().await;
}

async fn events_arrive_in_position_order_and_resume_after_a_position(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    for n in 0..5 {
        book(
            &app,
            &app.admin,
            &format!("o-{n}"),
            &f.slot,
            &f.plain_package,
            n,
        )
        .await
        .unwrap();
    }
    let collect = |after: u64| {
        let mut c = app.client();
        let token = app.admin.clone();
        async move {
            let mut s = c
                .subscribe(req(
                    &token,
                    pb::SubscribeRequest {
                        after,
                        branch_id: String::new(),
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .map(event);
            let mut out = Vec::new();
            while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(400), s.next()).await
            {
                out.push(e.unwrap());
            }
            out
        }
    };
    let all = collect(0).await;
    let booked = all
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                Some(pb::scheduling_event::Kind::AppointmentBooked(_))
            )
        })
        .count();
    assert_eq!(booked, 5);
    assert!(matches!(
        all[0].kind,
        Some(pb::scheduling_event::Kind::BranchChanged(_))
    ));
    let positions: Vec<u64> = all.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=all.len() as u64).collect::<Vec<_>>());
    let rest = collect(positions[2]).await;
    assert_eq!(rest.first().map(|e| e.position), Some(positions[3]));
    assert_eq!(rest.len(), all.len() - 3);
    app.stop().await;
}

async fn branch_tokens_see_only_their_branch_events(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let other = create_branch(&app, "SH-JA-01", "shanghai", "shanghai", 10).await;
    book(&app, &app.admin, "b-1", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let system = app.token(
        Role::BranchSystem,
        OrgScope::Branch(other.branch_id.clone()),
    );
    let mut s = app
        .client()
        .subscribe(req(
            &system,
            pb::SubscribeRequest {
                after: 0,
                branch_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .map(event);
    let mut seen = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(400), s.next()).await {
        seen.push(e.unwrap());
    }
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|e| e.branch_id == other.branch_id));
    // Asking for another branch's feed is refused.
    let err = app
        .client()
        .subscribe(req(
            &system,
            pb::SubscribeRequest {
                after: 0,
                branch_id: f.branch.branch_id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    app.stop().await;
}
