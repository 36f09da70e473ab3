//! Follow-up plans, their tasks, the agents and the templates. A task changes only by a
//! write conditional on the version read, and is claimed by one conditional update, so two
//! agents (or two replicas) never hold the same task.

use jiff::Timestamp;
use service_kit::{
    Result,
    clock::to_micros,
    db::{Backend, flag},
    sql::Where,
};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{in_list, in_list_after, opt_micros, opt_ts, parsed, ts};
use crate::domain::{
    followup_vocab::{
        CallOutcome, EscalationLevel, PlanKind, PlanStatus, Skill, TaskStatus, VisitOutcome,
    },
    task::{Plan, Task},
    vocab::Channel,
};

const PLAN_COLS: &str = "id, request_id, customer_id, appointment_id, branch_id, region_path, \
    kind, outcome, status, reason, summary, recorded_by, created_at";

fn plan_of(row: &AnyRow) -> sqlx::Result<Plan> {
    let outcome: String = row.try_get("outcome")?;
    Ok(Plan {
        id: row.try_get("id")?,
        request_id: row
            .try_get::<Option<String>, _>("request_id")?
            .unwrap_or_default(),
        customer_id: row.try_get("customer_id")?,
        appointment_id: row.try_get("appointment_id")?,
        branch_id: row.try_get("branch_id")?,
        region_path: row.try_get("region_path")?,
        kind: parsed(row, "kind", PlanKind::parse)?,
        outcome: VisitOutcome::parse(&outcome),
        status: parsed(row, "status", PlanStatus::parse)?,
        reason: row.try_get("reason")?,
        summary: row.try_get("summary")?,
        recorded_by: row.try_get("recorded_by")?,
        created_at: ts(row, "created_at")?,
    })
}

/// Stores a new plan; `false` when its request id is taken (a retry).
pub async fn insert_plan(conn: &mut AnyConnection, p: &Plan, now: Timestamp) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO follow_up_plans (id, request_id, customer_id, appointment_id, branch_id, \
         region_path, kind, outcome, status, reason, summary, recorded_by, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(&p.id)
    .bind(if p.request_id.is_empty() {
        None
    } else {
        Some(p.request_id.as_str())
    })
    .bind(&p.customer_id)
    .bind(&p.appointment_id)
    .bind(&p.branch_id)
    .bind(&p.region_path)
    .bind(p.kind.as_str())
    .bind(p.outcome.map(|o| o.as_str()).unwrap_or(""))
    .bind(p.status.as_str())
    .bind(&p.reason)
    .bind(&p.summary)
    .bind(&p.recorded_by)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The plan a request started.
pub async fn plan_by_request(conn: &mut AnyConnection, request_id: &str) -> Result<Option<Plan>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PLAN_COLS} FROM follow_up_plans WHERE request_id = $1"
    )))
    .bind(request_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(plan_of).transpose()?)
}

/// The customer's plans, newest first.
pub async fn plans_of(conn: &mut AnyConnection, customer_id: &str) -> Result<Vec<Plan>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PLAN_COLS} FROM follow_up_plans WHERE customer_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT 200"
    )))
    .bind(customer_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(plan_of).collect::<sqlx::Result<_>>()?)
}

/// Marks a plan completed once none of its tasks is live.
pub async fn complete_if_settled(
    conn: &mut AnyConnection,
    plan_id: &str,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE follow_up_plans SET status = 'COMPLETED', updated_at = $2 \
         WHERE id = $1 AND status = 'ACTIVE' AND NOT EXISTS \
         (SELECT 1 FROM tasks WHERE plan_id = $1 AND status IN ('SCHEDULED', 'OPEN', 'CLAIMED'))",
    )
    .bind(plan_id)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Withdraws the customer's live plans of `kinds` and their live tasks, except those only a
/// reached customer settles; how many tasks were withdrawn.
pub async fn withdraw(
    conn: &mut AnyConnection,
    customer_id: &str,
    kinds: &[PlanKind],
    reason: &str,
    now: Timestamp,
) -> Result<u64> {
    if kinds.is_empty() {
        return Ok(0);
    }
    let list = in_list_after(3, kinds.len());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE tasks SET status = 'WITHDRAWN', reason = $2, closed_at = $3, updated_at = $3, \
         claimed_by = '', claimed_until = NULL, next_escalation_at = NULL, \
         version = version + 1 WHERE customer_id = $1 AND status IN ('SCHEDULED', 'OPEN', 'CLAIMED') \
         AND until_reached = 0 AND plan_kind IN ({list})"
    )))
    .bind(customer_id)
    .bind(reason)
    .bind(to_micros(now));
    for k in kinds {
        q = q.bind(k.as_str());
    }
    let n = q.execute(&mut *conn).await?.rows_affected();
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE follow_up_plans SET status = 'WITHDRAWN', reason = $2, updated_at = $3 \
         WHERE customer_id = $1 AND status = 'ACTIVE' AND kind IN ({list}) AND NOT EXISTS \
         (SELECT 1 FROM tasks t WHERE t.plan_id = follow_up_plans.id \
          AND t.status IN ('SCHEDULED', 'OPEN', 'CLAIMED'))"
    )))
    .bind(customer_id)
    .bind(reason)
    .bind(to_micros(now));
    for k in kinds {
        q = q.bind(k.as_str());
    }
    q.execute(conn).await?;
    Ok(n)
}

const TASK_COLS: &str = "id, plan_id, customer_id, customer_name, branch_id, region_path, \
    team, skill, plan_kind, priority, title, detail, open_from, due_at, ready_at, open_day, \
    due_day, status, claimed_by, claimed_until, assigned_to, attempts, max_attempts, \
    retry_minutes, until_reached, escalation, escalated_to, escalation_step, \
    next_escalation_at, last_outcome, outcome_note, channel, reason, closed_at, version";

/// A task as read, with the version its next write is conditional on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    /// The task.
    pub task: Task,
    /// Its version.
    pub version: i64,
}

fn task_of(row: &AnyRow) -> sqlx::Result<Versioned> {
    let outcome: String = row.try_get("last_outcome")?;
    let n = |col: &str| -> sqlx::Result<u32> {
        Ok(u32::try_from(row.try_get::<i64, _>(col)?).unwrap_or(0))
    };
    Ok(Versioned {
        task: Task {
            id: row.try_get("id")?,
            plan_id: row.try_get("plan_id")?,
            customer_id: row.try_get("customer_id")?,
            customer_name: row.try_get("customer_name")?,
            branch_id: row.try_get("branch_id")?,
            region_path: row.try_get("region_path")?,
            team: row.try_get("team")?,
            skill: parsed(row, "skill", Skill::parse)?,
            plan_kind: parsed(row, "plan_kind", PlanKind::parse)?,
            priority: n("priority")?.min(255) as u8,
            title: row.try_get("title")?,
            detail: row.try_get("detail")?,
            open_from: ts(row, "open_from")?,
            due_at: ts(row, "due_at")?,
            ready_at: ts(row, "ready_at")?,
            open_day: row.try_get("open_day")?,
            due_day: row.try_get("due_day")?,
            status: parsed(row, "status", TaskStatus::parse)?,
            claimed_by: row.try_get("claimed_by")?,
            claimed_until: opt_ts(row, "claimed_until")?,
            assigned_to: row.try_get("assigned_to")?,
            attempts: n("attempts")?,
            max_attempts: n("max_attempts")?,
            retry_minutes: n("retry_minutes")?,
            until_reached: flag(row.try_get("until_reached")?),
            escalation: parsed(row, "escalation", EscalationLevel::parse)?,
            escalated_to: row.try_get("escalated_to")?,
            escalation_step: n("escalation_step")?,
            next_escalation_at: opt_ts(row, "next_escalation_at")?,
            last_outcome: CallOutcome::parse(&outcome),
            outcome_note: row.try_get("outcome_note")?,
            channel: parsed(row, "channel", Channel::parse)?,
            reason: row.try_get("reason")?,
            closed_at: opt_ts(row, "closed_at")?,
        },
        version: row.try_get("version")?,
    })
}

/// Stores new tasks.
pub async fn insert_tasks(conn: &mut AnyConnection, tasks: &[Task], now: Timestamp) -> Result<()> {
    for t in tasks {
        sqlx::query(
            "INSERT INTO tasks (id, plan_id, customer_id, customer_name, branch_id, \
             region_path, team, skill, plan_kind, priority, title, detail, open_from, due_at, \
             ready_at, open_day, due_day, status, claimed_by, claimed_until, assigned_to, \
             attempts, max_attempts, retry_minutes, until_reached, escalation, escalated_to, \
             escalation_step, next_escalation_at, last_outcome, outcome_note, channel, reason, \
             closed_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, \
             $27, $28, $29, $30, $31, $32, $33, $34, $35, 0)",
        )
        .bind(&t.id)
        .bind(&t.plan_id)
        .bind(&t.customer_id)
        .bind(&t.customer_name)
        .bind(&t.branch_id)
        .bind(&t.region_path)
        .bind(&t.team)
        .bind(t.skill.as_str())
        .bind(t.plan_kind.as_str())
        .bind(i64::from(t.priority))
        .bind(&t.title)
        .bind(&t.detail)
        .bind(to_micros(t.open_from))
        .bind(to_micros(t.due_at))
        .bind(to_micros(t.ready_at))
        .bind(t.open_day)
        .bind(t.due_day)
        .bind(t.status.as_str())
        .bind(&t.claimed_by)
        .bind(opt_micros(t.claimed_until))
        .bind(&t.assigned_to)
        .bind(i64::from(t.attempts))
        .bind(i64::from(t.max_attempts))
        .bind(i64::from(t.retry_minutes))
        .bind(i64::from(t.until_reached))
        .bind(t.escalation.as_str())
        .bind(&t.escalated_to)
        .bind(i64::from(t.escalation_step))
        .bind(opt_micros(t.next_escalation_at))
        .bind(t.last_outcome.map(|o| o.as_str()).unwrap_or(""))
        .bind(&t.outcome_note)
        .bind(t.channel.as_str())
        .bind(&t.reason)
        .bind(opt_micros(t.closed_at))
        .bind(to_micros(now))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// One task.
pub async fn task(conn: &mut AnyConnection, id: &str) -> Result<Option<Versioned>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TASK_COLS} FROM tasks WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(task_of).transpose()?)
}

/// The tasks of the plans given, in plan order then due time.
pub async fn tasks_of(conn: &mut AnyConnection, plan_ids: &[&str]) -> Result<Vec<Task>> {
    if plan_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TASK_COLS} FROM tasks WHERE plan_id IN ({}) ORDER BY plan_id, due_at, id",
        in_list(plan_ids.len())
    )));
    for id in plan_ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(conn).await?;
    Ok(rows
        .iter()
        .map(|r| task_of(r).map(|v| v.task))
        .collect::<sqlx::Result<_>>()?)
}

/// Writes `t` if it is still at `version`; `false` when someone changed it meanwhile.
pub async fn save(
    conn: &mut AnyConnection,
    t: &Task,
    version: i64,
    now: Timestamp,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE tasks SET team = $3, status = $4, claimed_by = $5, claimed_until = $6, \
         assigned_to = $7, attempts = $8, ready_at = $9, escalation = $10, escalated_to = $11, \
         escalation_step = $12, next_escalation_at = $13, last_outcome = $14, \
         outcome_note = $15, reason = $16, closed_at = $17, updated_at = $18, \
         version = version + 1 WHERE id = $1 AND version = $2",
    )
    .bind(&t.id)
    .bind(version)
    .bind(&t.team)
    .bind(t.status.as_str())
    .bind(&t.claimed_by)
    .bind(opt_micros(t.claimed_until))
    .bind(&t.assigned_to)
    .bind(i64::from(t.attempts))
    .bind(to_micros(t.ready_at))
    .bind(t.escalation.as_str())
    .bind(&t.escalated_to)
    .bind(i64::from(t.escalation_step))
    .bind(opt_micros(t.next_escalation_at))
    .bind(t.last_outcome.map(|o| o.as_str()).unwrap_or(""))
    .bind(&t.outcome_note)
    .bind(&t.reason)
    .bind(opt_micros(t.closed_at))
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives `agent` the most urgent open task of `team` for one of `skills` that is ready and
/// not kept for another agent, held until `until`, with the customer's phone; `None` when
/// there is none. One statement:
/// on PostgreSQL the candidate row is locked and rows other agents are claiming are skipped,
/// so fifty agents claiming at once each get a different task without waiting on each
/// other; SQLite runs one writer at a time.
pub async fn claim_next(
    conn: &mut AnyConnection,
    backend: Backend,
    agent: &str,
    team: &str,
    skills: &[Skill],
    now: Timestamp,
    until: Timestamp,
) -> Result<Option<(Task, String)>> {
    if skills.is_empty() {
        return Ok(None);
    }
    let list = in_list_after(4, skills.len());
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE tasks SET status = 'CLAIMED', claimed_by = $1, claimed_until = $2, \
         updated_at = $3, version = version + 1 \
         WHERE id = (SELECT id FROM tasks WHERE status = 'OPEN' AND team = $4 \
           AND skill IN ({list}) AND ready_at <= $3 AND (assigned_to = '' OR assigned_to = $1) \
           ORDER BY priority DESC, due_at, id LIMIT 1{lock}) \
         AND status = 'OPEN' RETURNING {TASK_COLS}, \
         (SELECT phone FROM customers WHERE customers.id = tasks.customer_id) AS customer_phone"
    )))
    .bind(agent)
    .bind(to_micros(until))
    .bind(to_micros(now))
    .bind(team);
    for s in skills {
        q = q.bind(s.as_str());
    }
    let Some(row) = q.fetch_optional(conn).await? else {
        return Ok(None);
    };
    let phone: Option<String> = row.try_get("customer_phone")?;
    Ok(Some((task_of(&row)?.task, phone.unwrap_or_default())))
}

/// Moves scheduled tasks whose time has come into the queue; how many. Only queued tasks
/// are in the claim index, so a claim never steps over the million calls planned for
/// later in the year.
pub async fn open_ready(conn: &mut AnyConnection, now: Timestamp) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE tasks SET status = 'OPEN', updated_at = $1, version = version + 1 \
         WHERE status = 'SCHEDULED' AND ready_at <= $1",
    )
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Puts tasks whose claim ran out back in the queue; how many.
pub async fn release_expired(conn: &mut AnyConnection, now: Timestamp) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE tasks SET status = 'OPEN', claimed_by = '', claimed_until = NULL, \
         updated_at = $1, version = version + 1 WHERE status = 'CLAIMED' AND claimed_until < $1",
    )
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Live tasks whose next escalation has fallen due, soonest first.
pub async fn escalations_due(
    conn: &mut AnyConnection,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<Versioned>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TASK_COLS} FROM tasks WHERE next_escalation_at <= $1 \
         AND status IN ('SCHEDULED', 'OPEN', 'CLAIMED') ORDER BY next_escalation_at LIMIT $2"
    )))
    .bind(to_micros(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(task_of).collect::<sqlx::Result<_>>()?)
}

/// Cancels the customer's live tasks of `kind` (a lead who booked); how many.
pub async fn cancel_kind(
    conn: &mut AnyConnection,
    customer_id: &str,
    kind: PlanKind,
    reason: &str,
    now: Timestamp,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE tasks SET status = 'CANCELLED', reason = $3, closed_at = $4, updated_at = $4, \
         claimed_by = '', claimed_until = NULL, next_escalation_at = NULL, \
         version = version + 1 WHERE customer_id = $1 AND plan_kind = $2 \
         AND status IN ('SCHEDULED', 'OPEN', 'CLAIMED')",
    )
    .bind(customer_id)
    .bind(kind.as_str())
    .bind(reason)
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE follow_up_plans SET status = 'COMPLETED', updated_at = $3 \
         WHERE customer_id = $1 AND kind = $2 AND status = 'ACTIVE'",
    )
    .bind(customer_id)
    .bind(kind.as_str())
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// A page of tasks matching `filter`, by id.
pub async fn list(conn: &mut AnyConnection, filter: &Where, limit: i64) -> Result<Vec<Task>> {
    let select = format!("SELECT {TASK_COLS} FROM tasks");
    let rows = filter
        .query(&select, "ORDER BY id LIMIT {limit}")
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| task_of(r).map(|v| v.task))
        .collect::<sqlx::Result<_>>()?)
}

/// Live tasks counted by team, local open day and local due day, for the planned load:
/// those matching `filter` and due before `until_day`.
pub async fn load(
    conn: &mut AnyConnection,
    mut filter: Where,
    until_day: i64,
) -> Result<Vec<(String, i64, i64, i64)>> {
    filter
        .raw("status IN ('SCHEDULED', 'OPEN', 'CLAIMED')")
        .raw(&format!("due_day < {until_day}"));
    let rows = filter
        .query(
            "SELECT team, open_day, due_day, COUNT(*) AS n FROM tasks",
            "GROUP BY team, open_day, due_day",
        )
        .fetch_all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get("team")?,
                r.try_get("open_day")?,
                r.try_get("due_day")?,
                r.try_get("n")?,
            ))
        })
        .collect::<sqlx::Result<_>>()?)
}

/// Records an action taken under `request_id`; `false` when it was recorded before.
pub async fn record_action(
    conn: &mut AnyConnection,
    request_id: &str,
    task_id: &str,
    actor: &str,
    action: &str,
    now: Timestamp,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO task_actions (request_id, task_id, actor, action, at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(request_id)
    .bind(task_id)
    .bind(actor)
    .bind(action)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The task an earlier action under `request_id` was on, and what the action was.
pub async fn action(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT task_id, action FROM task_actions WHERE request_id = $1")
        .bind(request_id)
        .fetch_optional(conn)
        .await?;
    Ok(row
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("task_id")?, r.try_get("action")?)))
        .transpose()?)
}

/// Lets anyone of the team take queued tasks kept for one agent who has not taken them
/// within `grace` of their time (a call back the agent missed, an agent who moved on).
pub async fn release_assignments(
    conn: &mut AnyConnection,
    now: Timestamp,
    grace: jiff::SignedDuration,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE tasks SET assigned_to = '', updated_at = $1, version = version + 1 \
         WHERE status = 'OPEN' AND assigned_to <> '' AND ready_at <= $2",
    )
    .bind(to_micros(now))
    .bind(to_micros(now - grace))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
