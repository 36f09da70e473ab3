//! Recovery policies and the recovery-due queue.

use service_kit::{Result, auth::OrgScope};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{Where, corrupt, micros, opt_ts, ts};
use crate::domain::recovery::{
    Case, Decided, Decision, Delivery, Gift, NotGivenReason, Policy, Recipient, Trigger,
};

/// Waiting for a decision.
const DUE: &str = "DUE";
/// Decided (out of the queue).
const DECIDED: &str = "DECIDED";

const CASE_COLUMNS: &str = "id, appointment_id, branch_id, region_path, trigger_scope, \
    breached_at, decide_by, decision, decided_by, decided_at, reason, note";

/// A branch's policy, if it ever set one.
pub async fn policy(conn: &mut AnyConnection, branch_id: &str) -> Result<Option<Policy>> {
    let row = sqlx::query(
        "SELECT branch_id, giftable_item_ids, decision_minutes, gifts_per_visit, updated_at \
         FROM recovery_policies WHERE branch_id = $1",
    )
    .bind(branch_id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let ids: String = row.try_get("giftable_item_ids")?;
    Ok(Some(Policy {
        branch_id: row.try_get("branch_id")?,
        giftable_item_ids: serde_json::from_str(&ids)
            .map_err(|_| corrupt("giftable_item_ids", "item ids"))?,
        decision_minutes: row.try_get::<i64, _>("decision_minutes")? as u32,
        gifts_per_visit: row.try_get::<i64, _>("gifts_per_visit")? as u32,
        updated_at: opt_ts(&row, "updated_at")?,
    }))
}

/// Stores `p` as its branch's policy, replacing the last one.
pub async fn put_policy(conn: &mut AnyConnection, p: &Policy) -> Result<()> {
    let ids = serde_json::to_string(&p.giftable_item_ids).expect("ids serialise");
    sqlx::query(
        "INSERT INTO recovery_policies (branch_id, giftable_item_ids, decision_minutes, \
         gifts_per_visit, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (branch_id) DO UPDATE SET giftable_item_ids = excluded.giftable_item_ids, \
         decision_minutes = excluded.decision_minutes, gifts_per_visit = excluded.gifts_per_visit, \
         updated_at = excluded.updated_at",
    )
    .bind(&p.branch_id)
    .bind(ids)
    .bind(i64::from(p.decision_minutes))
    .bind(i64::from(p.gifts_per_visit))
    .bind(p.updated_at.map(micros).unwrap_or_default())
    .execute(conn)
    .await?;
    Ok(())
}

/// Opens `c` unless its visit already has a case (one per visit, whichever breach came
/// first); true when this call opened it.
pub async fn open(conn: &mut AnyConnection, c: &Case) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO recovery_cases (id, appointment_id, branch_id, region_path, trigger_scope, \
         breached_at, decide_by, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (appointment_id) DO NOTHING",
    )
    .bind(&c.id)
    .bind(&c.appointment_id)
    .bind(&c.branch_id)
    .bind(&c.region_path)
    .bind(c.trigger.as_str())
    .bind(micros(c.breached_at))
    .bind(micros(c.decide_by))
    .bind(DUE)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn from_row(row: &AnyRow) -> sqlx::Result<Case> {
    let trigger: String = row.try_get("trigger_scope")?;
    let decision: String = row.try_get("decision")?;
    let reason: String = row.try_get("reason")?;
    let decided = match Decision::parse(&decision) {
        None if decision.is_empty() => None,
        None => return Err(corrupt("decision", "decision")),
        Some(decision) => Some(Decided {
            decision,
            by: row.try_get("decided_by")?,
            at: ts(row, "decided_at")?,
            reason: if reason.is_empty() {
                None
            } else {
                Some(NotGivenReason::parse(&reason).ok_or_else(|| corrupt("reason", "reason"))?)
            },
            note: row.try_get("note")?,
        }),
    };
    Ok(Case {
        decided,
        id: row.try_get("id")?,
        appointment_id: row.try_get("appointment_id")?,
        branch_id: row.try_get("branch_id")?,
        region_path: row.try_get("region_path")?,
        trigger: Trigger::parse(&trigger).ok_or_else(|| corrupt("trigger_scope", "trigger"))?,
        breached_at: ts(row, "breached_at")?,
        decide_by: ts(row, "decide_by")?,
    })
}

/// Open cases within `scope` (and `branch_id` when not empty), oldest first, after the case
/// id `after`, at most `limit`.
pub async fn due(
    conn: &mut AnyConnection,
    scope: &OrgScope,
    branch_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<Case>> {
    let mut w = Where::default();
    w.eq("status", DUE)
        .in_scope("branch_id", "region_path", scope)
        .eq("branch_id", branch_id)
        .after("id", after);
    let select = format!("SELECT {CASE_COLUMNS} FROM recovery_cases");
    let query = w.query(&select, "ORDER BY id LIMIT {limit}");
    let rows = query.bind(limit).fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// One case.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Case>> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM recovery_cases WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The case whose decline or "not given" `request_id` recorded, if any.
pub async fn by_decision_request(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<Case>> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM recovery_cases WHERE decision_request_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Records a decline or a "not given" if the case is still undecided; false otherwise.
/// A repeated `request_id` fails with `ALREADY_EXISTS`.
pub async fn record(
    conn: &mut AnyConnection,
    case_id: &str,
    d: &Decided,
    request_id: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE recovery_cases SET status = $1, decision = $2, decided_by = $3, decided_at = $4, \
         reason = $5, note = $6, decision_request_id = $7 WHERE id = $8 AND decision = ''",
    )
    .bind(DECIDED)
    .bind(d.decision.as_str())
    .bind(&d.by)
    .bind(micros(d.at))
    .bind(d.reason.map(NotGivenReason::as_str).unwrap_or(""))
    .bind(&d.note)
    .bind(request_id)
    .bind(case_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the case granted (keeping its first decider) unless it was decided otherwise;
/// false then. Taking the case's row first serialises concurrent gifts on one visit.
pub async fn mark_granted(
    conn: &mut AnyConnection,
    case_id: &str,
    by: &str,
    at: jiff::Timestamp,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE recovery_cases SET status = $1, decision = $2, \
         decided_by = CASE WHEN decided_by = '' THEN $3 ELSE decided_by END, \
         decided_at = COALESCE(decided_at, $4) \
         WHERE id = $5 AND decision IN ('', $2)",
    )
    .bind(DECIDED)
    .bind(Decision::Granted.as_str())
    .bind(by)
    .bind(micros(at))
    .bind(case_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

const GIFT_COLUMNS: &str = "request_id, case_id, appointment_id, exam_item_id, exam_item_name, \
    currency, value_minor, recipient, companion_name, delivery, decided_by, cost_bearer, granted_at";

fn gift_from_row(row: &AnyRow) -> sqlx::Result<Gift> {
    let recipient: String = row.try_get("recipient")?;
    let delivery: String = row.try_get("delivery")?;
    let bearer: String = row.try_get("cost_bearer")?;
    Ok(Gift {
        request_id: row.try_get("request_id")?,
        case_id: row.try_get("case_id")?,
        appointment_id: row.try_get("appointment_id")?,
        exam_item_id: row.try_get("exam_item_id")?,
        exam_item_name: row.try_get("exam_item_name")?,
        currency: row.try_get("currency")?,
        value_minor: row.try_get("value_minor")?,
        recipient: Recipient::parse(&recipient).ok_or_else(|| corrupt("recipient", "recipient"))?,
        companion_name: row.try_get("companion_name")?,
        delivery: Delivery::parse(&delivery).ok_or_else(|| corrupt("delivery", "delivery"))?,
        decided_by: row.try_get("decided_by")?,
        cost_bearer: bearer
            .parse::<OrgScope>()
            .map_err(|_| corrupt("cost_bearer", "cost bearer"))?,
        granted_at: ts(row, "granted_at")?,
    })
}

/// Records a gift; a repeated request id fails with `ALREADY_EXISTS`.
pub async fn insert_gift(conn: &mut AnyConnection, g: &Gift, c: &Case) -> Result<()> {
    let sql = format!(
        "INSERT INTO recovery_gifts ({GIFT_COLUMNS}, branch_id, region_path) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&g.request_id)
        .bind(&g.case_id)
        .bind(&g.appointment_id)
        .bind(&g.exam_item_id)
        .bind(&g.exam_item_name)
        .bind(&g.currency)
        .bind(g.value_minor)
        .bind(g.recipient.as_str())
        .bind(&g.companion_name)
        .bind(g.delivery.as_str())
        .bind(&g.decided_by)
        .bind(g.cost_bearer.to_string())
        .bind(micros(g.granted_at))
        .bind(&c.branch_id)
        .bind(&c.region_path)
        .execute(conn)
        .await?;
    Ok(())
}

/// The gifts of a case, oldest first.
pub async fn gifts(conn: &mut AnyConnection, case_id: &str) -> Result<Vec<Gift>> {
    let sql = format!(
        "SELECT {GIFT_COLUMNS} FROM recovery_gifts WHERE case_id = $1 ORDER BY granted_at, request_id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(case_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(gift_from_row).collect::<Result<_, _>>()?)
}

/// The gift `request_id` gave, if any.
pub async fn gift_by_request(conn: &mut AnyConnection, request_id: &str) -> Result<Option<Gift>> {
    let sql = format!("SELECT {GIFT_COLUMNS} FROM recovery_gifts WHERE request_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(gift_from_row).transpose()?)
}

/// Names `deputy` for `branch_id` on `date` (replacing whoever was named for that day).
pub async fn name_deputy(
    conn: &mut AnyConnection,
    branch_id: &str,
    date: jiff::civil::Date,
    deputy: &str,
    named_by: &str,
    at: jiff::Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO recovery_deputies (branch_id, local_date, deputy, named_by, named_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (branch_id, local_date) DO UPDATE SET \
         deputy = excluded.deputy, named_by = excluded.named_by, named_at = excluded.named_at",
    )
    .bind(branch_id)
    .bind(super::date_text(date))
    .bind(deputy)
    .bind(named_by)
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Who deputises for the director of `branch_id` on `date`, if anyone.
pub async fn deputy(
    conn: &mut AnyConnection,
    branch_id: &str,
    date: jiff::civil::Date,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT deputy FROM recovery_deputies WHERE branch_id = $1 AND local_date = $2",
    )
    .bind(branch_id)
    .bind(super::date_text(date))
    .fetch_optional(conn)
    .await?)
}
