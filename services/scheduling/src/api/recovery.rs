//! The recovery RPCs' requests and replies.

use hospital_proto::{common, scheduling as pb};
use jiff::Timestamp;
use service_kit::{
    Error, Result,
    auth::Principal,
    clock::to_proto,
    edge::{ids, optional_id, require, required},
    error::{Violations, merge},
};

use super::convert::item_out;
use crate::{
    app::{DueCase, PolicyView, Scheduling},
    domain::{
        catalogue::ExamItem,
        recovery::{self, PolicyInput, Trigger},
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
        trigger: match c.case.trigger {
            Trigger::ExamItem => pb::WaitScope::ExamItem,
            Trigger::WholeVisit => pb::WaitScope::WholeVisit,
        } as i32,
        breached_at: Some(to_proto(c.case.breached_at)),
        decide_by: Some(to_proto(c.case.decide_by)),
        late: c.late,
        waited_minutes: c.waited_minutes,
        giftable_items: giftable_out(&c.giftable),
    }
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
