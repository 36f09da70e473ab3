//! Moves and cancellations: a visit rescheduled twice is never reminded more than three
//! times nor twice for one reminder; a cancellation withdraws what has not gone out.

use hospital_proto::{contact as pb, scheduling as sched};
use pb::{ReminderKind as K, ReminderStatus as S};

use crate::helpers::*;

backend_tests!(
    a_visit_moved_twice_is_reminded_at_most_three_times_never_twice_for_one,
    a_cancellation_withdraws_what_has_not_gone_out,
);

async fn move_to(s: &Suite, apt: &sched::Appointment, slot_id: String) {
    s.sched()
        .reschedule_appointment(req(
            &s.admin,
            sched::RescheduleAppointmentRequest {
                appointment_id: apt.appointment_id.clone(),
                new_slot_id: slot_id,
                expected_version: 0,
            },
        ))
        .await
        .expect("reschedule");
}

async fn cancel(s: &Suite, apt: &sched::Appointment) {
    s.sched()
        .cancel_appointment(req(
            &s.admin,
            sched::CancelAppointmentRequest {
                appointment_id: apt.appointment_id.clone(),
                reason: sched::CancelReason::CustomerRequest as i32,
                note: String::new(),
            },
        ))
        .await
        .expect("cancel");
}

/// Waits until contact has applied the move (the same-day reminder is due on `day`).
async fn replanned(s: &Suite, apt: &sched::Appointment, same_day_due: &str) -> Vec<pb::Reminder> {
    until("the reminders re-planned", || async {
        let r = reminders(s, &apt.appointment_id).await;
        (shown(&r[2].due_at) == same_day_due).then_some(r)
    })
    .await
}

async fn a_visit_moved_twice_is_reminded_at_most_three_times_never_twice_for_one(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let c = customer(&s, 1).await;
    let apt = book(&s, &f, &f.plain, &c, "2026-12-03", 8, 30).await;
    planned(&s, &apt.appointment_id).await;
    // The three-day reminder goes out on Monday.
    s.at("2026-11-30T10:00").await;
    assert_eq!(messages_reach(&s, 1).await.len(), 1);

    // Moved to Saturday afternoon: the three-day reminder stays sent and counts; the
    // others follow the new date.
    let saturday = slot(&s, &f, &f.plain, "2026-12-05", 14, 0).await;
    move_to(&s, &apt, saturday).await;
    let r = replanned(&s, &apt, "2026-12-05T08:00:00").await;
    assert_eq!(
        plan_of(&r),
        [
            (K::ThreeDaysBefore, S::Sent, "2026-11-30T10:00:00".into()),
            (K::OneDayBefore, S::Planned, "2026-12-04T10:00:00".into()),
            (K::SameDay, S::Planned, "2026-12-05T08:00:00".into()),
        ]
    );
    // The day-before reminder for Saturday is not yet due when the visit moves again, to
    // Wednesday morning: whose day-before time (Tuesday 10:00) is still ahead.
    s.at("2026-12-01T09:00").await;
    let wednesday = slot(&s, &f, &f.plain, "2026-12-02", 8, 30).await;
    move_to(&s, &apt, wednesday).await;
    let r = replanned(&s, &apt, "2026-12-02T08:00:00").await;
    assert_eq!(
        plan_of(&r),
        [
            (K::ThreeDaysBefore, S::Sent, "2026-11-30T10:00:00".into()),
            (K::OneDayBefore, S::Planned, "2026-12-01T10:00:00".into()),
            (K::SameDay, S::Planned, "2026-12-02T08:00:00".into()),
        ]
    );
    s.at("2026-12-06T12:00").await;
    let sent = messages_reach(&s, 3).await;
    assert_eq!(sent.len(), 3, "three in all: {sent:?}");
    let mut per_reminder: Vec<_> = sent.iter().map(|m| m.reminder_id.clone()).collect();
    per_reminder.sort();
    per_reminder.dedup();
    assert_eq!(per_reminder.len(), 3, "none twice");
    s.stop().await;
}

async fn a_cancellation_withdraws_what_has_not_gone_out(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    // Cancelled before any reminder.
    let early = book(
        &s,
        &f,
        &f.plain,
        &customer(&s, 1).await,
        "2026-12-03",
        8,
        30,
    )
    .await;
    planned(&s, &early.appointment_id).await;
    cancel(&s, &early).await;
    // Cancelled after the first.
    let later = book(
        &s,
        &f,
        &f.plain,
        &customer(&s, 2).await,
        "2026-12-03",
        14,
        0,
    )
    .await;
    planned(&s, &later.appointment_id).await;
    s.at("2026-11-30T10:00").await;
    cancel(&s, &later).await;
    let gone = until("the cancellation applied", || async {
        let r = reminders(&s, &later.appointment_id).await;
        (r[1].status() == S::Withdrawn).then_some(r)
    })
    .await;
    assert_eq!(gone[0].status(), S::Sent);
    assert_eq!(gone[2].status(), S::Withdrawn);
    assert_eq!(gone[2].withdrawn_reason, "the visit is cancelled");
    let r = reminders(&s, &early.appointment_id).await;
    assert!(r.iter().all(|x| x.status() == S::Withdrawn), "{r:?}");
    s.at("2026-12-03T12:00").await;
    let sent = messages(&s).await;
    assert_eq!(
        sent.len(),
        1,
        "only the one sent before the cancellation: {sent:?}"
    );
    s.stop().await;
}
