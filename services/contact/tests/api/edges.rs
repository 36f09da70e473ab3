//! The edge's rules on every RPC, through the kit's shared tables: every refused token told
//! the same thing, every id checked before any look-up (also with scheduling down), every
//! free-text field bounded and free of control characters.

use hospital_proto::{
    common, contact as pb, contact::contact_service_client::ContactServiceClient,
};
use test_support::edges::{
    Answer, Case, every_rpc_refuses_every_token, none_broken, passes_ids_at_the_bounds,
    refuses_bad_ids, refuses_bad_texts,
};
use tonic::transport::Channel;

use crate::helpers::*;

backend_tests!(
    every_rpc_tells_every_refused_token_the_same_thing,
    malformed_ids_are_refused_naming_the_field_before_any_look_up,
    ids_of_up_to_128_characters_pass_the_edge,
    free_text_that_is_too_long_or_holds_control_characters_is_refused,
);

type Client = ContactServiceClient<Channel>;

/// Every RPC of the service; the token test checks it against the contract.
const RPCS: &[&str] = &[
    "FindOrCreateCustomer",
    "GetCustomer",
    "FindCustomerByNationalId",
    "SetNeeds",
    "SetContactPreferences",
    "RecordConsent",
    "ListContactHistory",
    "GetReminderPolicy",
    "SetReminderPolicy",
    "ListReminders",
    "ListMessages",
    "ReportDelivery",
    "GetDaySheet",
    "ListUnlinkedBookings",
    "Subscribe",
    "RecordVisitOutcome",
    "ListFollowUpPlans",
    "GetFollowUpTemplates",
    "SetFollowUpTemplate",
    "SetAgent",
    "ClaimNext",
    "RecordCallOutcome",
    "ReassignTask",
    "ListTasks",
    "GetPlannedLoad",
    "ImportLeads",
    "GetLeadFigures",
    "AnswerSurvey",
    "ListSurveys",
    "GetSurveyFigures",
    "GetSegmentCounts",
];

/// Every id field of every RPC (`request_id` is a client's key, checked as such).
const ID_FIELDS: &[(&str, &str)] = &[
    ("FindOrCreateCustomer", "home_branch_id"),
    ("GetCustomer", "customer_id"),
    ("SetNeeds", "customer_id"),
    ("SetContactPreferences", "customer_id"),
    ("RecordConsent", "customer_id"),
    ("ListContactHistory", "customer_id"),
    ("ListReminders", "appointment_id"),
    ("ListMessages", "customer_id"),
    ("ReportDelivery", "message_id"),
    ("GetDaySheet", "branch_id"),
    ("ListUnlinkedBookings", "branch_id"),
    ("Subscribe", "branch_id"),
    ("RecordVisitOutcome", "appointment_id"),
    ("ListFollowUpPlans", "customer_id"),
    ("RecordCallOutcome", "task_id"),
    ("ReassignTask", "task_id"),
    ("ListTasks", "customer_id"),
    ("ListTasks", "branch_id"),
    ("AnswerSurvey", "survey_id"),
    ("ListSurveys", "customer_id"),
    ("GetSurveyFigures", "branch_id"),
    ("GetSegmentCounts", "branch_id"),
];

/// Free-text fields, with their bound.
const TEXT_FIELDS: &[(&str, &str, Option<usize>)] = &[
    ("FindOrCreateCustomer", "name", Some(64)),
    ("SetNeeds", "notes", Some(500)),
    (
        "SetContactPreferences",
        "contact_points[0].address",
        Some(128),
    ),
    ("RecordConsent", "consent.source", Some(64)),
    ("ReportDelivery", "detail", Some(500)),
    ("GetReminderPolicy", "brand", Some(64)),
    ("SetReminderPolicy", "policy.brand", Some(64)),
];

/// Ids a call needs beside the one under test.
struct Ids {
    customer: String,
    branch: String,
    appointment: String,
    message: String,
}

fn tod(hours: i32, minutes: i32) -> Option<common::TimeOfDay> {
    Some(common::TimeOfDay { hours, minutes })
}

/// Calls `case.rpc` with every field valid (ids from `ids`) except `case.field`.
async fn call(c: &mut Client, t: &str, ids: &Ids, case: Case<'_>) -> Answer {
    let s = |name: &str, valid: &str| case.or(name, valid);
    let customer_id = s("customer_id", &ids.customer);
    match case.rpc {
        "FindOrCreateCustomer" => c
            .find_or_create_customer(req(
                t,
                pb::FindOrCreateCustomerRequest {
                    request_id: s("request_id", "edge-customer"),
                    phone: s("phone", "13900000001"),
                    name: s("name", "王女士"),
                    home_branch_id: s("home_branch_id", ""),
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        "GetCustomer" => c
            .get_customer(req(t, pb::GetCustomerRequest { customer_id }))
            .await
            .map(drop),
        "FindCustomerByNationalId" => c
            .find_customer_by_national_id(req(
                t,
                pb::FindCustomerByNationalIdRequest {
                    national_id: s("national_id", "11010519491231002X"),
                },
            ))
            .await
            .map(drop),
        "SetNeeds" => c
            .set_needs(req(
                t,
                pb::SetNeedsRequest {
                    customer_id,
                    needs: vec![pb::Need::Hearing as i32],
                    notes: s("notes", "请大声说话"),
                    expected_version: 0,
                },
            ))
            .await
            .map(drop),
        "SetContactPreferences" => c
            .set_contact_preferences(req(
                t,
                pb::SetContactPreferencesRequest {
                    customer_id,
                    contact_points: vec![pb::ContactPoint {
                        channel: pb::Channel::Wechat as i32,
                        address: s("contact_points[0].address", "wx-open-id-1"),
                    }],
                    channel_order: vec![pb::Channel::Wechat as i32],
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        "RecordConsent" => c
            .record_consent(req(
                t,
                pb::RecordConsentRequest {
                    request_id: s("request_id", "edge-consent"),
                    customer_id,
                    consent: Some(pb::ConsentInput {
                        purpose: pb::Purpose::Surveys as i32,
                        granted: true,
                        method: pb::ConsentMethod::Electronic as i32,
                        source: s("consent.source", "app"),
                    }),
                },
            ))
            .await
            .map(drop),
        "ListContactHistory" => c
            .list_contact_history(req(
                t,
                pb::ListContactHistoryRequest {
                    customer_id,
                    page_size: 10,
                    page_token: s("page_token", ""),
                },
            ))
            .await
            .map(drop),
        "GetReminderPolicy" => c
            .get_reminder_policy(req(
                t,
                pb::GetReminderPolicyRequest {
                    brand: s("brand", "美年大健康"),
                },
            ))
            .await
            .map(drop),
        "SetReminderPolicy" => c
            .set_reminder_policy(req(
                t,
                pb::SetReminderPolicyRequest {
                    policy: Some(pb::ReminderPolicy {
                        brand: s("policy.brand", "美年大健康"),
                        three_days_before_at: tod(10, 0),
                        one_day_before_at: tod(10, 0),
                        same_day_at: tod(7, 0),
                        updated_at: None,
                    }),
                },
            ))
            .await
            .map(drop),
        "ListReminders" => c
            .list_reminders(req(
                t,
                pb::ListRemindersRequest {
                    appointment_id: s("appointment_id", &ids.appointment),
                },
            ))
            .await
            .map(drop),
        "ListMessages" => c
            .list_messages(req(
                t,
                pb::ListMessagesRequest {
                    customer_id: s("customer_id", ""),
                    page_size: 10,
                    page_token: s("page_token", ""),
                },
            ))
            .await
            .map(drop),
        "ReportDelivery" => c
            .report_delivery(req(
                t,
                pb::ReportDeliveryRequest {
                    message_id: s("message_id", &ids.message),
                    outcome: pb::DeliveryOutcome::Delivered as i32,
                    detail: s("detail", ""),
                },
            ))
            .await
            .map(drop),
        "GetDaySheet" => c
            .get_day_sheet(req(
                t,
                pb::GetDaySheetRequest {
                    branch_id: s("branch_id", &ids.branch),
                    date: Some(common::Date {
                        year: 2026,
                        month: 12,
                        day: 3,
                    }),
                },
            ))
            .await
            .map(drop),
        "ListUnlinkedBookings" => c
            .list_unlinked_bookings(req(
                t,
                pb::ListUnlinkedBookingsRequest {
                    branch_id: s("branch_id", ""),
                    page_size: 10,
                    page_token: s("page_token", ""),
                },
            ))
            .await
            .map(drop),
        "Subscribe" => c
            .subscribe(req(
                t,
                pb::SubscribeRequest {
                    after: 0,
                    branch_id: s("branch_id", ""),
                },
            ))
            .await
            .map(drop),
        "RecordVisitOutcome" => c
            .record_visit_outcome(req(
                t,
                pb::RecordVisitOutcomeRequest {
                    request_id: s("request_id", "edge-outcome"),
                    appointment_id: s("appointment_id", &ids.appointment),
                    outcome: pb::VisitOutcome::Normal as i32,
                    summary: s("summary", ""),
                },
            ))
            .await
            .map(drop),
        "ListFollowUpPlans" => c
            .list_follow_up_plans(req(t, pb::ListFollowUpPlansRequest { customer_id }))
            .await
            .map(drop),
        "GetFollowUpTemplates" => c
            .get_follow_up_templates(req(t, pb::GetFollowUpTemplatesRequest {}))
            .await
            .map(drop),
        "SetFollowUpTemplate" => c
            .set_follow_up_template(req(t, pb::SetFollowUpTemplateRequest { template: None }))
            .await
            .map(drop),
        "SetAgent" => c
            .set_agent(req(t, pb::SetAgentRequest { agent: None }))
            .await
            .map(drop),
        "ClaimNext" => c
            .claim_next(req(t, pb::ClaimNextRequest {}))
            .await
            .map(drop),
        "RecordCallOutcome" => c
            .record_call_outcome(req(
                t,
                pb::RecordCallOutcomeRequest {
                    request_id: s("request_id", "edge-call"),
                    task_id: s("task_id", "tsk_00000000000000000000000000000000"),
                    outcome: pb::CallOutcome::NoAnswer as i32,
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        "ReassignTask" => c
            .reassign_task(req(
                t,
                pb::ReassignTaskRequest {
                    request_id: s("request_id", "edge-reassign"),
                    task_id: s("task_id", "tsk_00000000000000000000000000000000"),
                    team: "group".into(),
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        "ListTasks" => c
            .list_tasks(req(
                t,
                pb::ListTasksRequest {
                    customer_id: s("customer_id", ""),
                    branch_id: s("branch_id", ""),
                    page_size: 10,
                    page_token: s("page_token", ""),
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        "GetPlannedLoad" => c
            .get_planned_load(req(t, pb::GetPlannedLoadRequest::default()))
            .await
            .map(drop),
        "ImportLeads" => c
            .import_leads(req(t, pb::ImportLeadsRequest::default()))
            .await
            .map(drop),
        "GetLeadFigures" => c
            .get_lead_figures(req(t, pb::GetLeadFiguresRequest::default()))
            .await
            .map(drop),
        "AnswerSurvey" => c
            .answer_survey(req(
                t,
                pb::AnswerSurveyRequest {
                    survey_id: s("survey_id", "svy_00000000000000000000000000000000"),
                    score: 8,
                    comment: s("comment", ""),
                },
            ))
            .await
            .map(drop),
        "ListSurveys" => c
            .list_surveys(req(t, pb::ListSurveysRequest { customer_id }))
            .await
            .map(drop),
        "GetSurveyFigures" => c
            .get_survey_figures(req(
                t,
                pb::GetSurveyFiguresRequest {
                    branch_id: s("branch_id", ""),
                    from: Some(common::Date {
                        year: 2026,
                        month: 11,
                        day: 1,
                    }),
                    to: Some(common::Date {
                        year: 2026,
                        month: 11,
                        day: 30,
                    }),
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        "GetSegmentCounts" => c
            .get_segment_counts(req(
                t,
                pb::GetSegmentCountsRequest {
                    branch_id: s("branch_id", ""),
                    region_path: String::new(),
                },
            ))
            .await
            .map(drop),
        other => panic!("no request builder for {other}"),
    }
}

/// A customer with a visit at the fixture's branch and one reminder sent.
async fn known(s: &Suite) -> Ids {
    let f = fixture(s).await;
    let c = customer(s, 1).await;
    let apt = book(s, &f, &f.plain, &c, "2026-12-03", 8, 30).await;
    planned(s, &apt.appointment_id).await;
    s.at("2026-11-30T10:00").await;
    let message = messages_reach(s, 1).await.remove(0).message_id;
    Ids {
        customer: c.customer_id,
        branch: f.branch.branch_id,
        appointment: apt.appointment_id,
        message,
    }
}

fn unknown() -> Ids {
    let hex = "0".repeat(32);
    Ids {
        customer: format!("cus_{hex}"),
        branch: format!("br_{hex}"),
        appointment: format!("apt_{hex}"),
        message: format!("msg_{hex}"),
    }
}

async fn every_rpc_tells_every_refused_token_the_same_thing(backend: Backend) {
    let mut listed: Vec<_> = RPCS.iter().map(|r| r.to_string()).collect();
    listed.sort();
    let mut contract = test_support::rpc_names("hospital.contact.v1.ContactService");
    contract.sort();
    assert_eq!(listed, contract, "RPCS lists every RPC of the contract");
    let s = spawn(backend).await;
    let ids = known(&s).await;
    let mut c = s.client();
    every_rpc_refuses_every_token(&s.world, RPCS, "ListMessages", async |rpc, token| {
        call(&mut c, token, &ids, Case::valid(rpc)).await
    })
    .await;
    s.stop().await;
}

async fn malformed_ids_are_refused_naming_the_field_before_any_look_up(backend: Backend) {
    let mut s = spawn(backend).await;
    let ids = known(&s).await;
    let mut c = s.client();
    let t = s.admin.clone();
    let mut failures = Vec::new();
    let look = ("cus", "客户");
    let mut cases = 0;
    for (other, context) in [(&ids, "other ids known"), (&unknown(), "other ids unknown")] {
        cases += refuses_bad_ids(&mut failures, ID_FIELDS, look, context, async |case| {
            call(&mut c, &t, other, case).await
        })
        .await;
    }
    // With scheduling down, a branch id is still refused at the edge, never UNAVAILABLE.
    s.scheduling.stop().await;
    cases += refuses_bad_ids(
        &mut failures,
        ID_FIELDS,
        look,
        "scheduling down",
        async |case| call(&mut c, &t, &unknown(), case).await,
    )
    .await;
    none_broken(&failures, cases);
    s.stop().await;
}

async fn ids_of_up_to_128_characters_pass_the_edge(backend: Backend) {
    let s = spawn(backend).await;
    let ids = known(&s).await;
    let mut c = s.client();
    let mut failures = Vec::new();
    let cases = passes_ids_at_the_bounds(&mut failures, ID_FIELDS, async |case| {
        call(&mut c, &s.admin, &ids, case).await
    })
    .await;
    none_broken(&failures, cases);
    s.stop().await;
}

async fn free_text_that_is_too_long_or_holds_control_characters_is_refused(backend: Backend) {
    let s = spawn(backend).await;
    let ids = known(&s).await;
    let mut c = s.client();
    refuses_bad_texts(TEXT_FIELDS, ("王", "女士"), async |case| {
        call(&mut c, &s.admin, &ids, case).await
    })
    .await;
    s.stop().await;
}
