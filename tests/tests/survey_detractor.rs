//! End to end: scheduling, contact and complaints as three servers talking gRPC. A visit
//! completes, contact sends its survey, the customer answers 2 out of 10, and complaints
//! opens exactly one feedback work order at the branch for it, linked to the visit — with
//! contact and complaints each restarted before and after the answer. Contact then learns
//! from complaints' events what became of the detractor.

use std::time::Duration;

use complaints_service::Service as Complaints;
use contact_service::Service as Contact;
use hospital_proto::{
    complaints::{self as cpb, complaints_service_client::ComplaintsServiceClient},
    contact::{self as ct, contact_service_client::ContactServiceClient},
    scheduling as spb,
    scheduling::scheduling_service_client::SchedulingServiceClient,
};
use scheduling_service::Service as Scheduling;
use service_kit::auth::{OrgScope, Role};
use test_support::{
    Backend, TestService, World, backend_tests, req,
    scheduling::{self as fx, BranchSpec, ItemSpec, monday},
    until,
};

backend_tests!(a_detractors_answer_becomes_exactly_one_work_order_across_restarts);

struct Three {
    scheduling: TestService<Scheduling>,
    contact: TestService<Contact>,
    complaints: TestService<Complaints>,
}

impl Three {
    fn contact(&self) -> ContactServiceClient<tonic::transport::Channel> {
        ContactServiceClient::new(self.contact.channel())
    }

    fn complaints(&self) -> ComplaintsServiceClient<tonic::transport::Channel> {
        ComplaintsServiceClient::new(self.complaints.channel())
    }
}

async fn survey_work_orders(t: &Three, token: &str) -> Vec<cpb::WorkOrder> {
    t.complaints()
        .list_work_orders(req(
            token,
            cpb::ListWorkOrdersRequest {
                kind: cpb::Kind::Feedback as i32,
                ..Default::default()
            },
        ))
        .await
        .expect("list work orders")
        .into_inner()
        .work_orders
}

async fn surveys(t: &Three, token: &str, customer_id: &str) -> Vec<ct::Survey> {
    t.contact()
        .list_surveys(req(
            token,
            ct::ListSurveysRequest {
                customer_id: customer_id.into(),
            },
        ))
        .await
        .expect("list surveys")
        .into_inner()
        .surveys
}

async fn a_detractors_answer_becomes_exactly_one_work_order_across_restarts(backend: Backend) {
    let world = World::new(backend);
    let scheduling = TestService::<Scheduling>::start(&world, |_| {}).await;
    // Complaints first, on a port contact is told of; then contact, whose port complaints
    // learns on its restart below (until then its feed of contact retries).
    let mut complaints = TestService::<Complaints>::start(&world, |s| {
        s.sla.sweep_interval_ms = 50;
        s.scheduling.endpoint = scheduling.endpoint();
        s.contact.endpoint = "http://127.0.0.1:9".into();
    })
    .await;
    let complaints_endpoint = complaints.endpoint();
    let contact = TestService::<Contact>::start(&world, |s| {
        s.reminders.sweep_interval_ms = 20;
        s.scheduling.endpoint = scheduling.endpoint();
        s.complaints.endpoint = complaints_endpoint.clone();
    })
    .await;
    let contact_endpoint = contact.endpoint();
    complaints.settings.contact.endpoint = contact_endpoint;
    complaints.restart().await;
    let mut t = Three {
        scheduling,
        contact,
        complaints,
    };
    let admin = world.admin();
    let mut sched = SchedulingServiceClient::new(t.scheduling.channel());

    let spec = BranchSpec::new("SZ-FT-01", "guangdong", "shenzhen")
        .name("深圳福田分院")
        .template_weekdays(&[1])
        .windows(&[((8, 30), (9, 30))])
        .capacity(10)
        .slot_days(monday(), monday());
    let branch = fx::create_branch(&mut sched, &admin, &spec).await;
    let ecg = fx::create_item(&mut sched, &admin, &ItemSpec::new("ECG", "心电图", 0)).await;
    let package = fx::create_package(&mut sched, &admin, "ONE", "单项", &[&ecg], 9_900).await;
    let desk = world.token("agent-7", Role::CallCentreAgent, OrgScope::Group);
    let customer = t
        .contact()
        .find_or_create_customer(req(
            &desk,
            ct::FindOrCreateCustomerRequest {
                request_id: "cus-1".into(),
                phone: "13900000001".into(),
                name: "王女士".into(),
                consents: vec![ct::ConsentInput {
                    purpose: ct::Purpose::Surveys as i32,
                    granted: true,
                    method: ct::ConsentMethod::Verbal as i32,
                    source: "call-centre:agent-7".into(),
                }],
                ..Default::default()
            },
        ))
        .await
        .expect("customer")
        .into_inner()
        .customer
        .expect("a customer");
    let slot = fx::slots(
        &mut sched,
        &admin,
        &branch.branch_id,
        &package.package_id,
        monday(),
        monday(),
    )
    .await
    .remove(0);
    let apt = fx::book(
        &mut sched,
        &admin,
        "book-1",
        &slot.slot_id,
        &package.package_id,
        spb::CustomerInput {
            customer_id: customer.customer_id.clone(),
            name: customer.name.clone(),
            phone: customer.phone.clone(),
        },
    )
    .await
    .expect("book");
    world.advance(30);
    fx::check_in(&mut sched, &admin, &apt.appointment_id).await;
    fx::complete_visit(&mut sched, &admin, &branch.branch_id, &apt.appointment_id).await;
    until("contact plans the survey", || async {
        (!surveys(&t, &desk, &customer.customer_id).await.is_empty()).then_some(())
    })
    .await;
    world.advance(121);
    let survey = until("the survey goes out", || async {
        let s = surveys(&t, &desk, &customer.customer_id)
            .await
            .into_iter()
            .next()?;
        (s.status == ct::SurveyStatus::Sent as i32).then_some(s)
    })
    .await;

    // Complaints restarts before the answer, contact right after it.
    t.complaints.restart().await;
    let platform = world.token("messaging", Role::Service, OrgScope::Group);
    let answer = ct::AnswerSurveyRequest {
        survey_id: survey.survey_id.clone(),
        score: 2,
        comment: "体检报告等了十天, 没人解释".into(),
    };
    t.contact()
        .answer_survey(req(&platform, answer.clone()))
        .await
        .expect("the answer");
    t.contact.restart().await;
    // The platform retries the same answer after a timeout: nothing more happens.
    t.contact()
        .answer_survey(req(&platform, answer))
        .await
        .expect("the retried answer");

    let orders = until("complaints opens the work order", || async {
        let w = survey_work_orders(&t, &admin).await;
        (!w.is_empty()).then_some(w)
    })
    .await;
    assert_eq!(orders.len(), 1);
    let wo = &orders[0];
    assert_eq!(wo.channel, cpb::Channel::Survey as i32);
    assert_eq!(wo.kind, cpb::Kind::Feedback as i32);
    assert_eq!(wo.appointment_id, apt.appointment_id);
    assert_eq!(wo.branch.as_ref().unwrap().branch_id, branch.branch_id);
    assert!(wo.description.contains("没人解释"), "{}", wo.description);

    // Both restart again; the feeds replay from their stored positions and open nothing.
    t.complaints.restart().await;
    t.contact.restart().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(survey_work_orders(&t, &admin).await.len(), 1);

    // Contact follows complaints: the survey names its work order.
    let tied = until("contact ties the survey to its work order", || async {
        let s = surveys(&t, &desk, &customer.customer_id)
            .await
            .into_iter()
            .next()?;
        (!s.work_order_id.is_empty()).then_some(s)
    })
    .await;
    assert_eq!(tied.work_order_id, wo.work_order_id);
    assert_eq!(tied.work_order_number, wo.number);
    let figures = t
        .contact()
        .get_survey_figures(req(
            &admin,
            ct::GetSurveyFiguresRequest {
                branch_id: branch.branch_id.clone(),
                from: Some(monday()),
                to: Some(monday()),
                ..Default::default()
            },
        ))
        .await
        .expect("figures")
        .into_inner()
        .branches;
    assert_eq!(figures[0].detractors, 1);
    assert_eq!(figures[0].detractors_with_work_order, 1);

    t.contact.stop().await;
    t.complaints.stop().await;
    t.scheduling.stop().await;
}
