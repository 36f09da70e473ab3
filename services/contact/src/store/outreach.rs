//! Leads, surveys and what each customer's segment is derived from.

use jiff::Timestamp;
use service_kit::{Result, clock::to_micros, sql::Where};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{opt_ts, parsed, ts};
use crate::domain::{
    followup_vocab::{LeadStatus, Segment, SurveyStatus},
    survey::{History, LONG_TERM_AFTER},
    vocab::Channel,
};

// ---------------------------------------------------------------- leads

/// A lead as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    /// `led_…`.
    pub id: String,
    /// Where it came from.
    pub source: String,
    /// Marketing's id, unique within the source.
    pub external_id: String,
    /// The batch that brought it.
    pub batch_id: String,
    /// The customer it is.
    pub customer_id: String,
    /// The branch asked about ('' for the group).
    pub branch_id: String,
    /// Its region.
    pub region_path: String,
    /// Where it stands.
    pub status: LeadStatus,
    /// Why it is not called.
    pub reason: String,
}

fn lead_of(row: &AnyRow) -> sqlx::Result<Lead> {
    Ok(Lead {
        id: row.try_get("id")?,
        source: row.try_get("source")?,
        external_id: row.try_get("external_id")?,
        batch_id: row.try_get("batch_id")?,
        customer_id: row.try_get("customer_id")?,
        branch_id: row.try_get("branch_id")?,
        region_path: row.try_get("region_path")?,
        status: parsed(row, "status", LeadStatus::parse)?,
        reason: row.try_get("reason")?,
    })
}

/// The results a batch first returned (JSON), if it was imported.
pub async fn batch(conn: &mut AnyConnection, id: &str) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT source, results FROM lead_batches WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("source")?, r.try_get("results")?)))
        .transpose()?)
}

/// Records a batch's results; `false` when another import of it got there first.
pub async fn insert_batch(
    conn: &mut AnyConnection,
    id: &str,
    source: &str,
    results: &str,
    now: Timestamp,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO lead_batches (id, source, results, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(source)
    .bind(results)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The lead of `source` with marketing's id `external_id`.
pub async fn lead(
    conn: &mut AnyConnection,
    source: &str,
    external_id: &str,
) -> Result<Option<Lead>> {
    let row = sqlx::query("SELECT * FROM leads WHERE source = $1 AND external_id = $2")
        .bind(source)
        .bind(external_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(lead_of).transpose()?)
}

/// Stores a lead; `false` when the source already has it.
pub async fn insert_lead(conn: &mut AnyConnection, l: &Lead, now: Timestamp) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO leads (id, source, external_id, batch_id, customer_id, branch_id, \
         region_path, status, reason, appointment_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', $10) \
         ON CONFLICT (source, external_id) DO NOTHING",
    )
    .bind(&l.id)
    .bind(&l.source)
    .bind(&l.external_id)
    .bind(&l.batch_id)
    .bind(&l.customer_id)
    .bind(&l.branch_id)
    .bind(&l.region_path)
    .bind(l.status.as_str())
    .bind(&l.reason)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Converts the customer's open leads on their booking; the leads converted.
pub async fn convert(
    conn: &mut AnyConnection,
    customer_id: &str,
    appointment_id: &str,
    now: Timestamp,
) -> Result<Vec<Lead>> {
    let rows = sqlx::query("SELECT * FROM leads WHERE customer_id = $1 AND status = 'OPEN'")
        .bind(customer_id)
        .fetch_all(&mut *conn)
        .await?;
    let leads: Vec<Lead> = rows.iter().map(lead_of).collect::<sqlx::Result<_>>()?;
    if !leads.is_empty() {
        sqlx::query(
            "UPDATE leads SET status = 'CONVERTED', appointment_id = $2, converted_at = $3 \
             WHERE customer_id = $1 AND status = 'OPEN'",
        )
        .bind(customer_id)
        .bind(appointment_id)
        .bind(to_micros(now))
        .execute(conn)
        .await?;
    }
    Ok(leads)
}

/// Leads per source and status, matching `filter`.
pub async fn lead_figures(
    conn: &mut AnyConnection,
    filter: &Where,
) -> Result<Vec<(String, LeadStatus, i64)>> {
    let rows = filter
        .query(
            "SELECT source, status, COUNT(*) AS n FROM leads",
            "GROUP BY source, status ORDER BY source",
        )
        .fetch_all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get("source")?,
                parsed(r, "status", LeadStatus::parse)?,
                r.try_get("n")?,
            ))
        })
        .collect::<sqlx::Result<_>>()?)
}

// ---------------------------------------------------------------- surveys

/// A survey as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    /// `svy_…`.
    pub id: String,
    /// The visit.
    pub appointment_id: String,
    /// Whose.
    pub customer_id: String,
    /// The visit's branch.
    pub branch_id: String,
    /// Its region.
    pub region_path: String,
    /// Where it stands.
    pub status: SurveyStatus,
    /// The channel it went on.
    pub channel: Option<Channel>,
    /// When it goes (went) out.
    pub send_at: Timestamp,
    /// Its local day.
    pub send_day: i64,
    /// Hand-over attempts.
    pub attempts: u32,
    /// When it was answered.
    pub answered_at: Option<Timestamp>,
    /// 0–10.
    pub score: Option<i32>,
    /// The customer's words.
    pub comment: String,
    /// Why it was withdrawn or failed.
    pub reason: String,
    /// The detractor's work order in complaints.
    pub work_order_id: String,
    /// Its number.
    pub work_order_number: String,
    /// Its status as complaints last reported it.
    pub work_order_status: String,
}

fn survey_of(row: &AnyRow) -> sqlx::Result<Survey> {
    let channel: String = row.try_get("channel")?;
    Ok(Survey {
        id: row.try_get("id")?,
        appointment_id: row.try_get("appointment_id")?,
        customer_id: row.try_get("customer_id")?,
        branch_id: row.try_get("branch_id")?,
        region_path: row.try_get("region_path")?,
        status: parsed(row, "status", SurveyStatus::parse)?,
        channel: Channel::parse(&channel),
        send_at: ts(row, "send_at")?,
        send_day: row.try_get("send_day")?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
        answered_at: opt_ts(row, "answered_at")?,
        score: row
            .try_get::<Option<i64>, _>("score")?
            .map(|s| s.clamp(0, 10) as i32),
        comment: row.try_get("comment")?,
        reason: row.try_get("reason")?,
        work_order_id: row.try_get("work_order_id")?,
        work_order_number: row.try_get("work_order_number")?,
        work_order_status: row.try_get("work_order_status")?,
    })
}

/// Plans a survey; nothing when the visit has one.
pub async fn insert_survey(conn: &mut AnyConnection, s: &Survey, now: Timestamp) -> Result<()> {
    sqlx::query(
        "INSERT INTO surveys (id, appointment_id, customer_id, branch_id, region_path, status, \
         channel, send_at, send_day, attempts, comment, reason, work_order_id, \
         work_order_number, work_order_status, updated_at) VALUES ($1, $2, $3, $4, $5, $6, \
         '', $7, $8, 0, '', '', '', '', '', $9) ON CONFLICT (appointment_id) DO NOTHING",
    )
    .bind(&s.id)
    .bind(&s.appointment_id)
    .bind(&s.customer_id)
    .bind(&s.branch_id)
    .bind(&s.region_path)
    .bind(s.status.as_str())
    .bind(to_micros(s.send_at))
    .bind(s.send_day)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// One survey.
pub async fn survey(conn: &mut AnyConnection, id: &str) -> Result<Option<Survey>> {
    let row = sqlx::query("SELECT * FROM surveys WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(survey_of).transpose()?)
}

/// The customer's surveys, newest first.
pub async fn surveys_of(conn: &mut AnyConnection, customer_id: &str) -> Result<Vec<Survey>> {
    let rows = sqlx::query(
        "SELECT * FROM surveys WHERE customer_id = $1 ORDER BY send_at DESC, id DESC LIMIT 200",
    )
    .bind(customer_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(survey_of).collect::<sqlx::Result<_>>()?)
}

/// Planned surveys whose instant has come, soonest first.
pub async fn surveys_due(
    conn: &mut AnyConnection,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<Survey>> {
    let rows = sqlx::query(
        "SELECT * FROM surveys WHERE status = 'PLANNED' AND send_at <= $1 \
         ORDER BY send_at LIMIT $2",
    )
    .bind(to_micros(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(survey_of).collect::<sqlx::Result<_>>()?)
}

/// Takes a planned survey for one hand-over attempt (the `attempts` read), holding it
/// until `lease_until`; `false` when another sweeper took it first.
pub async fn take_survey(
    conn: &mut AnyConnection,
    id: &str,
    attempts: u32,
    lease_until: Timestamp,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE surveys SET attempts = attempts + 1, send_at = $3 \
         WHERE id = $1 AND status = 'PLANNED' AND attempts = $2",
    )
    .bind(id)
    .bind(i64::from(attempts))
    .bind(to_micros(lease_until))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Settles a planned survey: sent, withdrawn, failed, or planned again from `send_at`.
pub async fn settle_survey(
    conn: &mut AnyConnection,
    id: &str,
    status: SurveyStatus,
    channel: Option<Channel>,
    send_at: Timestamp,
    reason: &str,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE surveys SET status = $2, channel = $3, send_at = $4, reason = $5, \
         updated_at = $6 WHERE id = $1 AND status = 'PLANNED'",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(channel.map(|c| c.as_str()).unwrap_or(""))
    .bind(to_micros(send_at))
    .bind(reason)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the answer to a sent survey; `false` when it is not waiting for one.
pub async fn answer(
    conn: &mut AnyConnection,
    id: &str,
    score: i32,
    comment: &str,
    now: Timestamp,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE surveys SET status = 'ANSWERED', score = $2, comment = $3, answered_at = $4, \
         updated_at = $4 WHERE id = $1 AND status = 'SENT'",
    )
    .bind(id)
    .bind(i64::from(score))
    .bind(comment)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ties the survey of `appointment_id` to complaints' work order.
pub async fn set_work_order(
    conn: &mut AnyConnection,
    appointment_id: &str,
    work_order_id: &str,
    number: &str,
    status: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE surveys SET work_order_id = $2, work_order_number = $3, work_order_status = $4 \
         WHERE appointment_id = $1 AND status = 'ANSWERED' AND work_order_id = ''",
    )
    .bind(appointment_id)
    .bind(work_order_id)
    .bind(number)
    .bind(status)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the status complaints reported for a survey's work order.
pub async fn set_work_order_status(
    conn: &mut AnyConnection,
    work_order_id: &str,
    status: &str,
) -> Result<()> {
    sqlx::query("UPDATE surveys SET work_order_status = $2 WHERE work_order_id = $1")
        .bind(work_order_id)
        .bind(status)
        .execute(conn)
        .await?;
    Ok(())
}

/// Surveys per branch, status, score and work-order status, matching `filter`.
pub async fn survey_figures(
    conn: &mut AnyConnection,
    filter: &Where,
) -> Result<Vec<(String, SurveyStatus, Option<i64>, String, i64)>> {
    let rows = filter
        .query(
            "SELECT branch_id, status, score, work_order_status, COUNT(*) AS n FROM surveys",
            "GROUP BY branch_id, status, score, work_order_status ORDER BY branch_id",
        )
        .fetch_all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get("branch_id")?,
                parsed(r, "status", SurveyStatus::parse)?,
                r.try_get("score")?,
                r.try_get("work_order_status")?,
                r.try_get("n")?,
            ))
        })
        .collect::<sqlx::Result<_>>()?)
}

// ---------------------------------------------------------------- segments

/// One more completed visit for the customer, at `branch_id`.
pub async fn completed_visit(
    conn: &mut AnyConnection,
    customer_id: &str,
    branch_id: &str,
    region_path: &str,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE customers SET completed_visits = completed_visits + 1, \
         first_completed_at = COALESCE(first_completed_at, $2), \
         segment_branch_id = CASE WHEN segment_branch_id = '' THEN $3 ELSE segment_branch_id END, \
         segment_region_path = CASE WHEN segment_region_path = '' THEN $4 \
           ELSE segment_region_path END WHERE id = $1",
    )
    .bind(customer_id)
    .bind(to_micros(at))
    .bind(branch_id)
    .bind(region_path)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the customer as having come in as a lead (counted at `branch_id` if they have no
/// branch yet).
pub async fn mark_lead(
    conn: &mut AnyConnection,
    customer_id: &str,
    branch_id: &str,
    region_path: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE customers SET is_lead = 1, \
         segment_branch_id = CASE WHEN segment_branch_id = '' THEN $2 ELSE segment_branch_id END, \
         segment_region_path = CASE WHEN segment_region_path = '' THEN $3 \
           ELSE segment_region_path END WHERE id = $1",
    )
    .bind(customer_id)
    .bind(branch_id)
    .bind(region_path)
    .execute(conn)
    .await?;
    Ok(())
}

/// Starts the customer's follow-up after an operation (the first one counts).
pub async fn after_operation(
    conn: &mut AnyConnection,
    customer_id: &str,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE customers SET after_operation_since = COALESCE(after_operation_since, $2) \
         WHERE id = $1",
    )
    .bind(customer_id)
    .bind(to_micros(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// What the customer's segment is derived from.
pub async fn history(conn: &mut AnyConnection, customer_id: &str) -> Result<History> {
    let row = sqlx::query(
        "SELECT completed_visits, first_completed_at, after_operation_since, is_lead \
         FROM customers WHERE id = $1",
    )
    .bind(customer_id)
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else {
        return Ok(History {
            completed_visits: 0,
            first_completed_at: None,
            after_operation_since: None,
            is_lead: false,
        });
    };
    Ok(History {
        completed_visits: r.try_get("completed_visits")?,
        first_completed_at: opt_ts(&r, "first_completed_at")?,
        after_operation_since: opt_ts(&r, "after_operation_since")?,
        is_lead: service_kit::db::flag(r.try_get("is_lead")?),
    })
}

/// The branch a customer is counted at: the home branch, or that of their first visit.
pub const SEGMENT_BRANCH: &str = "COALESCE(NULLIF(home_branch_id, ''), segment_branch_id)";
/// Its region.
pub const SEGMENT_REGION: &str = "COALESCE(NULLIF(home_region_path, ''), segment_region_path)";

/// Customers per counted branch and segment, matching `filter` (over [`SEGMENT_BRANCH`]
/// and [`SEGMENT_REGION`]). The CASE is `domain::survey::segment` in SQL, so that a
/// million customers are counted where they are stored; a test holds the two together.
pub async fn segment_counts(
    conn: &mut AnyConnection,
    filter: &Where,
    now: Timestamp,
) -> Result<Vec<(String, String, Segment, i64)>> {
    let year_ago = to_micros(now) - LONG_TERM_AFTER.as_micros() as i64;
    let select = format!(
        "SELECT {SEGMENT_BRANCH} AS b, {SEGMENT_REGION} AS r, CASE \
         WHEN after_operation_since <= {year_ago} \
           OR (completed_visits >= 2 AND first_completed_at <= {year_ago}) THEN 'LONG_TERM' \
         WHEN completed_visits >= 2 THEN 'RETURNING' \
         WHEN completed_visits = 0 AND is_lead = 1 THEN 'PROSPECT' \
         ELSE 'FIRST_VISIT' END AS segment, COUNT(*) AS n FROM customers"
    );
    let rows = filter
        .query(&select, "GROUP BY 1, 2, 3 ORDER BY 1")
        .fetch_all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get("b")?,
                r.try_get("r")?,
                parsed(r, "segment", Segment::parse)?,
                r.try_get("n")?,
            ))
        })
        .collect::<sqlx::Result<_>>()?)
}
