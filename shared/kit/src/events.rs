//! Events between services: a transactional outbox, published in commit order.
//!
//! A service writes each event with [`append`] inside the transaction that makes the
//! change, so an event exists if and only if its change committed. Row ids are handed out
//! at insert time, though, and transactions commit in any order: reading "ids after N"
//! could pass over id 10 while it is still uncommitted and deliver 11, and 10 would never
//! be seen. So ids are not published. The [`Outbox`] sequencer gives committed rows their
//! `position`, one batch at a time under a lock, in the order it finds them committed;
//! a row that commits late simply gets a later position. Subscribers read by position
//! only, which therefore never skips.
//!
//! On the consuming side, [`claim`] records a consumer's position in the same transaction
//! as the event's effect, so each event takes effect once across restarts of either side.

use std::{sync::Arc, time::Duration};

use sqlx::{AnyConnection, Row};
use tokio::sync::{Notify, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

use crate::{
    Result,
    auth::OrgScope,
    db::{Backend, Db},
};

/// How many rows the sequencer numbers per transaction, and a subscriber reads per query.
const BATCH: i64 = 500;
/// How often the sequencer looks for rows written by other replicas.
const SEQUENCER_POLL: Duration = Duration::from_millis(250);
/// How long the sequencer lets commits gather after a wake-up before numbering them: one
/// numbering transaction (and one commit flush) per batch instead of one per event.
const SEQUENCER_LINGER: Duration = Duration::from_millis(5);
/// How often an idle subscription re-reads, in case a wake-up was missed.
const SUBSCRIBER_POLL: Duration = Duration::from_secs(1);
// Taken by the sequencer transaction on PostgreSQL so replicas number rows one at a time.
const SEQUENCER_LOCK: i64 = 0x6f75_7462_6f78; // "outbox"

/// An event to write into the outbox.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Unique id of the event (`evt_…`), for consumers that de-duplicate by id.
    pub event_id: String,
    /// The branch the event concerns (empty for none), for branch-filtered feeds.
    pub branch_id: String,
    /// That branch's region path, for region-scoped subscribers.
    pub region_path: String,
    /// When it happened, microseconds since the epoch.
    pub occurred_at: i64,
    /// The encoded event message.
    pub payload: Vec<u8>,
}

impl NewEvent {
    /// The outbox row for one event about `branch_id` at `at`: a fresh `evt_…` id, and the
    /// envelope `envelope(event_id, occurred_at)` builds (the service's event message,
    /// position left 0), encoded.
    pub fn encode<M: prost::Message>(
        branch_id: &str,
        region_path: &str,
        at: jiff::Timestamp,
        envelope: impl FnOnce(String, prost_types::Timestamp) -> M,
    ) -> Self {
        let event_id = crate::ids::new_id("evt");
        let payload = envelope(event_id.clone(), crate::clock::to_proto(at)).encode_to_vec();
        Self {
            event_id,
            branch_id: branch_id.to_owned(),
            region_path: region_path.to_owned(),
            occurred_at: crate::clock::to_micros(at),
            payload,
        }
    }
}

/// A published event as read back.
#[derive(Debug, Clone)]
pub struct Published {
    /// Position in the stream; strictly increasing in commit order.
    pub position: u64,
    /// The event's id.
    pub event_id: String,
    /// The branch it concerns.
    pub branch_id: String,
    /// When it happened, microseconds since the epoch.
    pub occurred_at: i64,
    /// The encoded event message.
    pub payload: Vec<u8>,
}

/// Writes `event` in the caller's transaction. Call [`Outbox::notify`] after the commit.
pub async fn append(conn: &mut AnyConnection, event: &NewEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (event_id, branch_id, region_path, occurred_at, payload) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&event.event_id)
    .bind(&event.branch_id)
    .bind(&event.region_path)
    .bind(event.occurred_at)
    .bind(&event.payload)
    .execute(conn)
    .await?;
    Ok(())
}

/// The publishing side of one service's outbox.
#[derive(Debug)]
pub struct Outbox {
    db: Db,
    appended: Notify,
    published: watch::Sender<u64>,
    closed: watch::Sender<bool>,
}

impl Outbox {
    /// An outbox over `db`.
    pub fn new(db: Db) -> Arc<Self> {
        let (published, _) = watch::channel(0);
        let (closed, _) = watch::channel(false);
        Arc::new(Self {
            db,
            appended: Notify::new(),
            published,
            closed,
        })
    }

    /// Ends every open subscription (their streams finish cleanly), so a graceful shutdown
    /// does not wait forever on subscribers that never hang up. The sequencer calls it
    /// when it stops.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Wakes the sequencer: call after committing a transaction that appended events.
    pub fn notify(&self) {
        self.appended.notify_one();
    }

    /// Numbers committed, unnumbered rows in id order; returns how many it numbered.
    pub async fn sequence_once(&self) -> Result<u64> {
        let mut tx = self.db.begin().await?;
        if self.db.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(SEQUENCER_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        // Read after taking the lock: under READ COMMITTED each statement sees every
        // earlier sequencer's commit.
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM outbox")
            .fetch_one(&mut *tx)
            .await?;
        let numbered = sqlx::query(
            "UPDATE outbox SET position = $1 + r.rn \
             FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM outbox \
                   WHERE position IS NULL ORDER BY id LIMIT $2) AS r \
             WHERE outbox.id = r.id",
        )
        .bind(last)
        .bind(BATCH)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        if numbered > 0 {
            self.published.send_replace(last as u64 + numbered);
        }
        Ok(numbered)
    }

    /// Runs the sequencer until `shutdown` resolves, then closes the subscriptions.
    pub async fn run_sequencer(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            loop {
                match self.sequence_once().await {
                    Ok(n) if n as i64 == BATCH => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "sequence outbox");
                        break;
                    }
                }
            }
            tokio::select! {
                () = &mut shutdown => {
                    self.close();
                    return;
                }
                () = self.appended.notified() => tokio::time::sleep(SEQUENCER_LINGER).await,
                () = tokio::time::sleep(SEQUENCER_POLL) => {},
            }
        }
    }

    /// Published events after `after`, oldest first, at most `limit`, within `scope` and
    /// (when not empty) for `branch_id` only.
    pub async fn read_after(
        &self,
        after: u64,
        scope: &OrgScope,
        branch_id: &str,
        limit: i64,
    ) -> Result<Vec<Published>> {
        let (scope_branch, scope_region) = match scope {
            OrgScope::Group => (String::new(), String::new()),
            OrgScope::Region(p) => (String::new(), p.clone()),
            OrgScope::Branch(b) => (b.clone(), String::new()),
        };
        let rows = sqlx::query(
            "SELECT position, event_id, branch_id, occurred_at, payload FROM outbox \
             WHERE position > $1 \
               AND ($2 = '' OR branch_id = $2) \
               AND ($3 = '' OR branch_id = $3) \
               AND ($4 = '' OR region_path = $4 OR region_path LIKE $4 || '/%') \
             ORDER BY position LIMIT $5",
        )
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(branch_id)
        .bind(scope_branch)
        .bind(scope_region)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(Published {
                    position: row.try_get::<i64, _>(0)? as u64,
                    event_id: row.try_get(1)?,
                    branch_id: row.try_get(2)?,
                    occurred_at: row.try_get(3)?,
                    payload: row.try_get(4)?,
                })
            })
            .collect()
    }

    /// A live stream of events after `after`: the backlog, then new events as they are
    /// published, until the receiver is dropped.
    pub fn subscribe(
        self: &Arc<Self>,
        after: u64,
        scope: OrgScope,
        branch_id: String,
    ) -> ReceiverStream<Result<Published>> {
        let (tx, rx) = mpsc::channel(BATCH as usize);
        let outbox = self.clone();
        let mut published = self.published.subscribe();
        let mut closed = self.closed.subscribe();
        tokio::spawn(async move {
            let mut after = after;
            loop {
                if *closed.borrow_and_update() {
                    return;
                }
                // Every position up to this mark was committed before the read below, so
                // the read sees all of them; a filtered feed may skip past the ones that
                // did not match instead of scanning them again next time.
                let mark = *published.borrow_and_update();
                match outbox.read_after(after, &scope, &branch_id, BATCH).await {
                    Ok(batch) => {
                        let full = batch.len() as i64 == BATCH;
                        for event in batch {
                            after = event.position;
                            if tx.send(Ok(event)).await.is_err() {
                                return;
                            }
                        }
                        if full {
                            continue;
                        }
                        after = after.max(mark);
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                }
                tokio::select! {
                    () = tx.closed() => return,
                    _ = closed.changed() => return,
                    _ = published.changed() => {},
                    () = tokio::time::sleep(SUBSCRIBER_POLL) => {},
                }
            }
        });
        ReceiverStream::new(rx)
    }
}

/// The consumer side: in the transaction that applies an event, claims `position` for
/// `consumer`. Returns `false` when this position (or a later one) was already applied, in
/// which case the caller applies nothing and rolls back. Concurrent claims of one position
/// serialise on the consumer's row, so only one wins.
pub async fn claim(
    conn: &mut AnyConnection,
    consumer: &str,
    position: u64,
    now_micros: i64,
) -> Result<bool> {
    let position = i64::try_from(position).unwrap_or(i64::MAX);
    let changed = sqlx::query(
        "INSERT INTO consumer_positions (consumer, position, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (consumer) DO UPDATE SET position = excluded.position, \
         updated_at = excluded.updated_at WHERE consumer_positions.position < excluded.position",
    )
    .bind(consumer)
    .bind(position)
    .bind(now_micros)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// The last position `consumer` applied (0 when it never ran): where to resume.
pub async fn position(db: &Db, consumer: &str) -> Result<u64> {
    let pos: Option<i64> =
        sqlx::query_scalar("SELECT position FROM consumer_positions WHERE consumer = $1")
            .bind(consumer)
            .fetch_optional(db.pool())
            .await?;
    Ok(pos.unwrap_or(0) as u64)
}

/// Begins a transaction for the event at `position` of `consumer`'s feed and claims the
/// position in it (see [`claim`]). `None` when the event was applied before: the caller
/// applies nothing. Apply the effect in the returned transaction and commit it, so the
/// effect and the position land together or not at all.
pub async fn begin_claimed(
    db: &Db,
    consumer: &str,
    position: u64,
    now_micros: i64,
) -> Result<Option<crate::db::Tx>> {
    let mut tx = db.begin().await?;
    if claim(&mut tx, consumer, position, now_micros).await? {
        Ok(Some(tx))
    } else {
        Ok(None)
    }
}

/// Begins a transaction that claims every position up to `last` of `consumer`'s feed at
/// once, for a batch of events applied together. Returns the transaction and the position
/// claimed before (apply only the batch's events after it), or `None` when `last` (or a
/// later position) was already applied. A compare-and-set on the stored position: a
/// replica that claimed part of the batch meanwhile makes this one read again, so no event
/// takes effect twice.
pub async fn begin_claimed_batch(
    db: &Db,
    consumer: &str,
    last: u64,
    now_micros: i64,
) -> Result<Option<(crate::db::Tx, u64)>> {
    let last = i64::try_from(last).unwrap_or(i64::MAX);
    loop {
        let mut tx = db.begin().await?;
        let before: Option<i64> =
            sqlx::query_scalar("SELECT position FROM consumer_positions WHERE consumer = $1")
                .bind(consumer)
                .fetch_optional(&mut *tx)
                .await?;
        let claimed = match before {
            Some(p) if p >= last => return Ok(None),
            Some(p) => sqlx::query(
                "UPDATE consumer_positions SET position = $1, updated_at = $2 \
                 WHERE consumer = $3 AND position = $4",
            )
            .bind(last)
            .bind(now_micros)
            .bind(consumer)
            .bind(p)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            None => sqlx::query(
                "INSERT INTO consumer_positions (consumer, position, updated_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (consumer) DO NOTHING",
            )
            .bind(consumer)
            .bind(last)
            .bind(now_micros)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        };
        if claimed == 1 {
            return Ok(Some((tx, before.unwrap_or(0).max(0) as u64)));
        }
        // Another replica moved the position between the read and the write: read again.
        drop(tx);
    }
}

/// Pause before the first reconnection of a [`follow`]; it doubles on each failure.
const RECONNECT: Duration = Duration::from_millis(500);
/// Longest pause between reconnections.
const MAX_RECONNECT: Duration = Duration::from_secs(10);

/// Follows another service's feed as `consumer` until `stop` resolves: connects from the
/// position it last claimed (`connect(after)`), hands each event to `apply` in order, and
/// reconnects with a doubling pause (up to 10 s) when the stream ends or fails, or an
/// event cannot be applied yet. `apply` claims the event's position in the transaction of
/// its effect ([`begin_claimed`]), so an event seen twice takes effect once.
pub async fn follow<E, S, C, CF, A, AF>(
    db: &Db,
    consumer: &str,
    connect: C,
    apply: A,
    stop: impl std::future::Future<Output = ()>,
) where
    S: tokio_stream::Stream<Item = Result<E>> + Unpin,
    C: Fn(u64) -> CF,
    CF: std::future::Future<Output = Result<S>>,
    A: Fn(E) -> AF,
    AF: std::future::Future<Output = Result<()>>,
{
    use tokio_stream::StreamExt;

    let once = async || -> Result<()> {
        let after = position(db, consumer).await?;
        let mut stream = connect(after).await?;
        while let Some(event) = stream.next().await {
            apply(event?).await?;
        }
        Ok(())
    };
    tokio::pin!(stop);
    let mut pause = RECONNECT;
    loop {
        let outcome = tokio::select! {
            () = &mut stop => return,
            r = once() => r,
        };
        match outcome {
            Ok(()) => pause = RECONNECT,
            Err(e) => {
                tracing::warn!(consumer, error = %e, "event feed interrupted");
                pause = (pause * 2).min(MAX_RECONNECT);
            }
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// [`follow`] for a busy feed: hands `apply` every event already waiting in the stream (at
/// least one, at most `max`) at once, so that it can apply them in one transaction
/// claimed with [`begin_claimed_batch`] instead of one transaction per event.
pub async fn follow_batched<E, S, C, CF, A, AF>(
    db: &Db,
    consumer: &str,
    max: usize,
    connect: C,
    apply: A,
    stop: impl std::future::Future<Output = ()>,
) where
    S: tokio_stream::Stream<Item = Result<E>> + Unpin,
    C: Fn(u64) -> CF,
    CF: std::future::Future<Output = Result<S>>,
    A: Fn(Vec<E>) -> AF,
    AF: std::future::Future<Output = Result<()>>,
{
    let connect = &connect;
    let apply = &apply;
    follow(
        db,
        consumer,
        move |after| async move {
            let stream = connect(after).await?;
            Ok(Batches {
                inner: stream,
                max: max.max(1),
                failed: None,
            })
        },
        move |batch: Vec<E>| apply(batch),
        stop,
    )
    .await;

    /// The events of `inner`, in batches of what is ready; an error comes after the
    /// events before it.
    struct Batches<S> {
        inner: S,
        max: usize,
        failed: Option<crate::Error>,
    }

    impl<E, S> tokio_stream::Stream for Batches<S>
    where
        S: tokio_stream::Stream<Item = Result<E>> + Unpin,
    {
        type Item = Result<Vec<E>>;

        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            use std::task::Poll;
            if let Some(e) = self.failed.take() {
                return Poll::Ready(Some(Err(e)));
            }
            let mut batch = Vec::new();
            while batch.len() < self.max {
                match std::pin::Pin::new(&mut self.inner).poll_next(cx) {
                    Poll::Ready(Some(Ok(e))) => batch.push(e),
                    Poll::Ready(Some(Err(e))) if batch.is_empty() => {
                        return Poll::Ready(Some(Err(e)));
                    }
                    Poll::Ready(Some(Err(e))) => {
                        self.failed = Some(e);
                        break;
                    }
                    Poll::Ready(None) if batch.is_empty() => return Poll::Ready(None),
                    Poll::Ready(None) | Poll::Pending => break,
                }
            }
            if batch.is_empty() {
                Poll::Pending
            } else {
                Poll::Ready(Some(Ok(batch)))
            }
        }
    }
}
