//! The three reminders of a visit: their exact instants in the branch's zone, quiet hours
//! on both sides of the visit, visits booked inside a window, consent withdrawn between
//! reminders, and both services restarted mid-plan.

use hospital_proto::contact as pb;
use pb::{ReminderKind as K, ReminderStatus as S};

use crate::helpers::*;

fn tod(hours: i32, minutes: i32) -> hospital_proto::common::TimeOfDay {
    hospital_proto::common::TimeOfDay { hours, minutes }
}

backend_tests!(
    three_reminders_at_their_local_instants_each_sent_once_across_restarts,
    a_visit_booked_inside_a_window_gets_only_the_reminders_still_ahead,
    an_early_visit_is_reminded_before_the_quiet_hours_began,
    withdrawn_consent_stops_the_reminders_not_yet_sent,
);

async fn three_reminders_at_their_local_instants_each_sent_once_across_restarts(backend: Backend) {
    let mut s = spawn(backend).await;
    let f = fixture(&s).await;
    let c = customer(&s, 1).await;
    // Thursday 08:30, booked on Monday at 08:00.
    let apt = book(&s, &f, &f.fasting, &c, "2026-12-03", 8, 30).await;
    let plan = planned(&s, &apt.appointment_id).await;
    assert_eq!(
        plan_of(&plan),
        [
            (K::ThreeDaysBefore, S::Planned, "2026-11-30T10:00:00".into()),
            (K::OneDayBefore, S::Planned, "2026-12-02T10:00:00".into()),
            // 07:00 is inside the quiet hours (21:00–08:00); 08:00 is still before 08:30.
            (K::SameDay, S::Planned, "2026-12-03T08:00:00".into()),
        ]
    );
    assert!(messages(&s).await.is_empty());

    // A minute early: nothing. On the minute: the first, by SMS (nothing else agreed).
    s.at("2026-11-30T09:59").await;
    assert!(messages(&s).await.is_empty());
    s.at("2026-11-30T10:00").await;
    let sent = messages_reach(&s, 1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].channel(), pb::Channel::Sms);
    assert_eq!(sent[0].status(), pb::MessageStatus::Sent);
    assert!(
        sent[0].body.contains("深圳福田体检中心"),
        "{}",
        sent[0].body
    );
    assert!(sent[0].body.contains("08:30-09:00"), "{}", sent[0].body);
    assert!(
        sent[0].body.contains("地址：shenzhen市测试路1号"),
        "{}",
        sent[0].body
    );
    assert!(
        sent[0].body.contains("禁食"),
        "fasting preparation: {}",
        sent[0].body
    );
    assert_eq!(sent[0].to, "139****0001", "masked for the group admin");

    // Both services restart between reminders; nothing is planned or sent again.
    s.restart_contact().await;
    s.restart_scheduling().await;
    s.at("2026-12-02T10:00").await;
    s.restart_contact().await;
    s.at("2026-12-03T08:00").await;
    s.at("2026-12-03T12:00").await;
    let sent = messages_reach(&s, 3).await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    let r = reminders(&s, &apt.appointment_id).await;
    assert!(r.iter().all(|r| r.status() == S::Sent), "{r:?}");
    assert_eq!(
        r.iter().map(|r| shown(&r.sent_at)).collect::<Vec<_>>(),
        [
            "2026-11-30T10:00:00",
            "2026-12-02T10:00:00",
            "2026-12-03T08:00:00"
        ]
    );
    let mut ids: Vec<_> = sent.iter().map(|m| m.reminder_id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3, "one message per reminder");
    s.stop().await;
}

async fn a_visit_booked_inside_a_window_gets_only_the_reminders_still_ahead(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    // Two days ahead: no three-day reminder.
    let two = book(
        &s,
        &f,
        &f.plain,
        &customer(&s, 1).await,
        "2026-12-02",
        14,
        0,
    )
    .await;
    assert_eq!(
        plan_of(&planned(&s, &two.appointment_id).await),
        [
            (K::ThreeDaysBefore, S::Skipped, String::new()),
            (K::OneDayBefore, S::Planned, "2026-12-01T10:00:00".into()),
            (K::SameDay, S::Planned, "2026-12-02T08:00:00".into()),
        ]
    );
    // The group's policy moves the same-day reminder to 11:00.
    let set = s
        .client()
        .set_reminder_policy(req(
            &s.admin,
            pb::SetReminderPolicyRequest {
                policy: Some(pb::ReminderPolicy {
                    brand: String::new(),
                    three_days_before_at: Some(tod(10, 0)),
                    one_day_before_at: Some(tod(10, 0)),
                    same_day_at: Some(tod(11, 0)),
                    updated_at: None,
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert_eq!(set.same_day_at, Some(tod(11, 0)));
    // Booked on the morning of the day, before 11:00: that one only.
    let same = book(
        &s,
        &f,
        &f.plain,
        &customer(&s, 2).await,
        "2026-11-30",
        14,
        0,
    )
    .await;
    assert_eq!(
        plan_of(&planned(&s, &same.appointment_id).await),
        [
            (K::ThreeDaysBefore, S::Skipped, String::new()),
            (K::OneDayBefore, S::Skipped, String::new()),
            (K::SameDay, S::Planned, "2026-11-30T11:00:00".into()),
        ]
    );
    // Booked after 11:00 for the afternoon: none.
    s.at("2026-11-30T11:30").await;
    let late = book(
        &s,
        &f,
        &f.plain,
        &customer(&s, 3).await,
        "2026-11-30",
        14,
        0,
    )
    .await;
    let p = plan_of(&planned(&s, &late.appointment_id).await);
    assert!(p.iter().all(|(_, st, _)| *st == S::Skipped), "{p:?}");
    s.at("2026-12-02T12:00").await;
    // Two for the visit two days ahead, one for the morning booking, none for the late one.
    let sent = messages_reach(&s, 3).await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    s.stop().await;
}

async fn an_early_visit_is_reminded_before_the_quiet_hours_began(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let c = customer(&s, 1).await;
    // Quiet until 09:00: the same-day reminder would move to 09:00, after the 08:30 visit
    // starts, so it goes the evening before, at the last minute before 21:00.
    s.client()
        .set_contact_preferences(req(
            &s.admin,
            pb::SetContactPreferencesRequest {
                customer_id: c.customer_id.clone(),
                quiet_hours: Some(pb::QuietHours {
                    start: Some(tod(21, 0)),
                    end: Some(tod(9, 0)),
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let morning = book(&s, &f, &f.plain, &c, "2026-12-03", 8, 30).await;
    assert_eq!(
        plan_of(&planned(&s, &morning.appointment_id).await)[2],
        (K::SameDay, S::Planned, "2026-12-02T20:59:00".into())
    );
    // For the afternoon the same reminder waits for the end of the quiet hours.
    let c2 = customer(&s, 2).await;
    s.client()
        .set_contact_preferences(req(
            &s.admin,
            pb::SetContactPreferencesRequest {
                customer_id: c2.customer_id.clone(),
                quiet_hours: Some(pb::QuietHours {
                    start: Some(tod(21, 0)),
                    end: Some(tod(9, 0)),
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let afternoon = book(&s, &f, &f.plain, &c2, "2026-12-03", 14, 0).await;
    assert_eq!(
        plan_of(&planned(&s, &afternoon.appointment_id).await)[2],
        (K::SameDay, S::Planned, "2026-12-03T09:00:00".into())
    );
    s.stop().await;
}

async fn withdrawn_consent_stops_the_reminders_not_yet_sent(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let c = customer(&s, 1).await;
    let apt = book(&s, &f, &f.plain, &c, "2026-12-03", 8, 30).await;
    planned(&s, &apt.appointment_id).await;
    s.at("2026-11-30T10:00").await;
    assert_eq!(messages_reach(&s, 1).await.len(), 1);
    // The customer says on the phone: no more reminders.
    let agent = s.token(
        "agent-7",
        service_kit::auth::Role::CallCentreAgent,
        service_kit::auth::OrgScope::Group,
    );
    let after = s
        .client()
        .record_consent(req(
            &agent,
            pb::RecordConsentRequest {
                request_id: "withdraw-1".into(),
                customer_id: c.customer_id.clone(),
                consent: Some(pb::ConsentInput {
                    purpose: pb::Purpose::Reminders as i32,
                    granted: false,
                    method: pb::ConsentMethod::Verbal as i32,
                    source: "call-centre:agent-7".into(),
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    let reminders_consent = after
        .consents
        .iter()
        .find(|x| x.purpose() == pb::Purpose::Reminders)
        .unwrap();
    assert!(!reminders_consent.granted);
    assert_eq!(reminders_consent.source, "call-centre:agent-7");
    assert_eq!(
        after.phone, "13900000001",
        "the call centre sees the number"
    );
    s.at("2026-12-03T12:00").await;
    assert_eq!(
        messages(&s).await.len(),
        1,
        "nothing more after the withdrawal"
    );
    let r = reminders(&s, &apt.appointment_id).await;
    assert_eq!(r[0].status(), S::Sent);
    for later in &r[1..] {
        assert_eq!(later.status(), S::Withdrawn);
        assert_eq!(later.withdrawn_reason, "no consent to reminders");
    }
    s.stop().await;
}
