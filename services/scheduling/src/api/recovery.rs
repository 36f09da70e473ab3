//! The recovery RPCs' requests and replies.

use hospital_proto::{common, scheduling as pb};
use jiff::Timestamp;
use service_kit::{
    Error, Result,
    auth::Principal,
    clock::to_proto,
    edge::{date_out, filter, ids, optional_id, require, required, required_date},
    error::{Violations, merge},
};

use super::convert::item_out;
use crate::{
    app::{
        DecideCommand, DueCase, PolicyView, Scheduling,
        wire::{
            decision_in, decision_out, delivery_out, level_out, reason_in, reason_out,
            recipient_in, recipient_out, trigger_out,
        },
    },
    domain::{
        catalogue::ExamItem,
        recovery::{self, DecisionInput, Gift, PolicyInput},
    },
};

fn giftable_out(items: &[ExamItem]) -> Vec<pb::GiftableItem> {
    items
        .iter()
        .map(|i| pb::GiftableItem {
            exam_item_id: i.id.clone(),
            name: i.name.clone(),
            list_price: item_out(i).list_price,
        })
        .collect()
}

fn policy_out(v: &PolicyView) -> pb::RecoveryPolicy {
    pb::RecoveryPolicy {
        branch_id: v.policy.branch_id.clone(),
        giftable_items: giftable_out(&v.items),
        decision_minutes: v.policy.decision_minutes,
        gifts_per_visit: v.policy.gifts_per_visit,
        updated_at: v.policy.updated_at.map(to_proto),
    }
}

fn case_out(c: &DueCase) -> pb::RecoveryCase {
    pb::RecoveryCase {
        case_id: c.case.id.clone(),
        appointment_id: c.case.appointment_id.clone(),
        branch_id: c.case.branch_id.clone(),
        customer: Some(common::CustomerRef {
            customer_id: c.appointment.customer.customer_id.clone(),
            name: c.appointment.customer.name.clone(),
            phone_masked: c.appointment.customer.phone.masked(),
        }),
        trigger: trigger_out(c.case.trigger),
        breached_at: Some(to_proto(c.case.breached_at)),
        decide_by: Some(to_proto(c.case.decide_by)),
        late: c.late,
        waited_minutes: c.waited_minutes,
        giftable_items: giftable_out(&c.giftable),
        decision: c
            .case
            .decided
            .as_ref()
            .map_or(0, |d| decision_out(d.decision)),
        decided_by: c
            .case
            .decided
            .as_ref()
            .map(|d| d.by.clone())
            .unwrap_or_default(),
        decided_at: c.case.decided.as_ref().map(|d| to_proto(d.at)),
        reason: c
            .case
            .decided
            .as_ref()
            .and_then(|d| d.reason)
            .map_or(0, reason_out),
        note: c
            .case
            .decided
            .as_ref()
            .map(|d| d.note.clone())
            .unwrap_or_default(),
        gifts: c.gifts.iter().map(gift_out).collect(),
        level: level_out(c.level),
    }
}

fn gift_out(g: &Gift) -> pb::RecoveryGift {
    pb::RecoveryGift {
        exam_item_id: g.exam_item_id.clone(),
        exam_item_name: g.exam_item_name.clone(),
        value: Some(common::Money {
            currency_code: g.currency.clone(),
            minor_units: g.value_minor,
        }),
        recipient: recipient_out(g.recipient),
        companion_name: g.companion_name.clone(),
        delivery: delivery_out(g.delivery),
        decided_by: g.decided_by.clone(),
        cost_bearer: g.cost_bearer.to_string(),
        granted_at: Some(to_proto(g.granted_at)),
    }
}

pub(super) async fn decide(
    app: &Scheduling,
    p: &Principal,
    r: pb::DecideRecoveryRequest,
) -> Result<pb::DecideRecoveryResponse> {
    let mut v = Violations::new();
    require(&mut v, &r.case_id, "case_id");
    optional_id(&mut v, &r.exam_item_id, "exam_item_id");
    let input = DecisionInput {
        decision: filter(r.decision, "decision", decision_in, &mut v),
        exam_item_id: r.exam_item_id,
        recipient: filter(r.recipient, "recipient", recipient_in, &mut v),
        companion_name: r.companion_name,
        reason: filter(r.reason, "reason", reason_in, &mut v),
        note: r.note,
    };
    if !v.is_empty() {
        merge(v, recovery::validate_decision(&input).map_err(Error::from))?;
    }
    let cmd = DecideCommand {
        request_id: r.request_id,
        case_id: r.case_id,
        input,
    };
    let case = app.decide_recovery(p, cmd).await?;
    Ok(pb::DecideRecoveryResponse {
        case: Some(case_out(&case)),
    })
}

pub(super) async fn set_policy(
    app: &Scheduling,
    p: &Principal,
    r: pb::SetRecoveryPolicyRequest,
) -> Result<pb::SetRecoveryPolicyResponse> {
    let input = PolicyInput {
        giftable_item_ids: r.giftable_item_ids,
        decision_minutes: r.decision_minutes,
        gifts_per_visit: r.gifts_per_visit,
    };
    // Every id before any look-up; with the policy's own rules, so all bad fields show.
    let mut v = Violations::new();
    require(&mut v, &r.branch_id, "branch_id");
    ids(&mut v, &input.giftable_item_ids, "giftable_item_ids");
    if !v.is_empty() {
        let rules = recovery::policy(&r.branch_id, input.clone(), Timestamp::UNIX_EPOCH);
        merge(v, rules.map(|_| ()).map_err(Error::from))?;
    }
    let view = app.set_recovery_policy(p, &r.branch_id, input).await?;
    Ok(pb::SetRecoveryPolicyResponse {
        policy: Some(policy_out(&view)),
    })
}

pub(super) async fn get_policy(
    app: &Scheduling,
    p: &Principal,
    r: pb::GetRecoveryPolicyRequest,
) -> Result<pb::GetRecoveryPolicyResponse> {
    required(&r.branch_id, "branch_id")?;
    let view = app.get_recovery_policy(p, &r.branch_id).await?;
    Ok(pb::GetRecoveryPolicyResponse {
        policy: Some(policy_out(&view)),
    })
}

pub(super) async fn list_due(
    app: &Scheduling,
    p: &Principal,
    r: pb::ListRecoveryDueRequest,
) -> Result<pb::ListRecoveryDueResponse> {
    let mut v = Violations::new();
    optional_id(&mut v, &r.branch_id, "branch_id");
    v.into_result()?;
    let (cases, next) = app
        .list_recovery_due(p, &r.branch_id, r.page_size, &r.page_token)
        .await?;
    Ok(pb::ListRecoveryDueResponse {
        cases: cases.iter().map(case_out).collect(),
        next_page_token: next,
    })
}

pub(super) async fn name_deputy(
    app: &Scheduling,
    p: &Principal,
    r: pb::NameRecoveryDeputyRequest,
) -> Result<pb::NameRecoveryDeputyResponse> {
    let mut v = Violations::new();
    require(&mut v, &r.branch_id, "branch_id");
    let date = required_date(r.date.as_ref(), "date", &mut v);
    v.check(
        recovery::is_subject(&r.deputy),
        "deputy",
        "required: a token subject of at most 128 letters, digits, '_', '-', '.', ':' or '@'",
    );
    v.into_result()?;
    let date = date.expect("checked");
    app.name_recovery_deputy(p, &r.branch_id, date, &r.deputy)
        .await?;
    Ok(pb::NameRecoveryDeputyResponse {
        branch_id: r.branch_id,
        date: Some(date_out(date)),
        deputy: r.deputy,
        named_by: p.subject.clone(),
    })
}
