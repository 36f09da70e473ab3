//! End to end: scheduling and complaints as separate servers talking gRPC. Broken wait
//! promises are decided on the spot at the branch (scheduling's recovery-due queue):
//! a gift at its catalogue price joins the route while the customer still waits, a gift
//! after the visit becomes a voucher, a missed window moves the case up to the city, and
//! complaints' figures for the customer-service centre count every path once — with both
//! services restarted on the way.

use std::time::Duration;

use complaints_service::Service as Complaints;
use hospital_proto::{
    complaints::{self as cpb, complaints_service_client::ComplaintsServiceClient},
    scheduling::{self as spb, scheduling_service_client::SchedulingServiceClient},
};
use scheduling_service::Service as Scheduling;
use service_kit::auth::{OrgScope, Role};
use test_support::{
    Backend, TestService, World, backend_tests, req,
    scheduling::{self as fx, BranchSpec, ItemSpec, date, monday},
    until,
};
use tonic::{Code, transport::Channel};

backend_tests!(broken_wait_promises_are_recovered_on_the_spot_and_counted_once);

type Sched = SchedulingServiceClient<Channel>;

async fn due(c: &mut Sched, token: &str) -> Vec<spb::RecoveryCase> {
    c.list_recovery_due(req(token, spb::ListRecoveryDueRequest::default()))
        .await
        .expect("the recovery-due queue")
        .into_inner()
        .cases
}

/// Waits until the queue (as `token` sees it) holds the case of `appointment_id`.
async fn case_of(c: &Sched, token: &str, appointment_id: &str) -> spb::RecoveryCase {
    until("the visit's recovery case", || {
        let mut c = c.clone();
        async move {
            due(&mut c, token)
                .await
                .into_iter()
                .find(|k| k.appointment_id == appointment_id)
        }
    })
    .await
}

async fn decide(
    c: &mut Sched,
    token: &str,
    request_id: &str,
    case_id: &str,
    r: spb::DecideRecoveryRequest,
) -> Result<spb::RecoveryCase, tonic::Status> {
    c.decide_recovery(req(
        token,
        spb::DecideRecoveryRequest {
            request_id: request_id.into(),
            case_id: case_id.into(),
            ..r
        },
    ))
    .await
    .map(|r| r.into_inner().case.expect("the case in the reply"))
}

fn gift(item: &spb::ExamItem) -> spb::DecideRecoveryRequest {
    spb::DecideRecoveryRequest {
        decision: spb::RecoveryDecision::Granted as i32,
        exam_item_id: item.exam_item_id.clone(),
        recipient: spb::GiftRecipient::Customer as i32,
        ..Default::default()
    }
}

async fn visit(c: &mut Sched, token: &str, appointment_id: &str) -> spb::Visit {
    c.get_visit(req(
        token,
        spb::GetVisitRequest {
            appointment_id: appointment_id.into(),
        },
    ))
    .await
    .expect("the visit")
    .into_inner()
    .visit
    .expect("a visit in the reply")
}

/// The station calls, starts and completes the exam the customer is waiting for.
async fn serve_next(c: &mut Sched, token: &str, branch_id: &str, appointment_id: &str) {
    let v = visit(c, token, appointment_id).await;
    let waiting = v
        .entries
        .iter()
        .find(|e| e.status == spb::QueueEntryStatus::Waiting as i32)
        .expect("a wait in progress");
    let called = c
        .call_next(req(
            token,
            spb::CallNextRequest {
                branch_id: branch_id.into(),
                exam_item_id: waiting.exam_item_id.clone(),
            },
        ))
        .await
        .expect("call")
        .into_inner()
        .entry
        .expect("the customer is called");
    assert_eq!(called.appointment_id, appointment_id);
    c.start_exam_item(req(
        token,
        spb::StartExamItemRequest {
            entry_id: called.entry_id.clone(),
        },
    ))
    .await
    .expect("start");
    c.complete_exam_item(req(
        token,
        spb::CompleteExamItemRequest {
            entry_id: called.entry_id,
        },
    ))
    .await
    .expect("complete");
}

async fn figures(
    c: &mut ComplaintsServiceClient<Channel>,
    token: &str,
) -> Result<cpb::RecoveryFigures, tonic::Status> {
    let r = c
        .get_recovery_figures(req(
            token,
            cpb::GetRecoveryFiguresRequest {
                period: Some(cpb::Period {
                    from: Some(date(2026, 11, 1)),
                    to: Some(date(2026, 12, 31)),
                }),
                ..Default::default()
            },
        ))
        .await?;
    Ok(r.into_inner().figures.expect("figures in the reply"))
}

fn cost(key: &str, gifts: u64, fen: i64) -> cpb::CostLine {
    cpb::CostLine {
        key: key.into(),
        gifts,
        total: Some(hospital_proto::common::Money {
            currency_code: "CNY".into(),
            minor_units: fen,
        }),
    }
}

async fn broken_wait_promises_are_recovered_on_the_spot_and_counted_once(backend: Backend) {
    let world = World::new(backend);
    let mut scheduling = TestService::<Scheduling>::start(&world, |s| {
        s.visits.breach_sweep_interval_ms = 20;
    })
    .await;
    let mut complaints_svc = TestService::<Complaints>::start(&world, |s| {
        s.sla.sweep_interval_ms = 20;
        s.scheduling.endpoint = scheduling.endpoint();
        s.contact.follow_events = false;
    })
    .await;
    let mut complaints = ComplaintsServiceClient::new(complaints_svc.channel());
    let mut sched = SchedulingServiceClient::new(scheduling.channel());
    let admin = world.admin();

    // A branch promising 30 minutes per exam item and 60 for the whole visit; a package
    // of five items; two giftable items at their list prices.
    let mut spec = BranchSpec::new("SZ-FT-01", "guangdong", "shenzhen")
        .name("深圳福田分院")
        .template_weekdays(&[1])
        .windows(&[((8, 30), (9, 30))])
        .capacity(10)
        .slot_days(monday(), monday());
    spec.visit_wait_promise_minutes = 60;
    let branch = fx::create_branch(&mut sched, &admin, &spec).await;
    let branch_id = branch.branch_id.clone();
    let mut route = Vec::new();
    for (i, (code, name)) in [
        ("BLD", "抽血"),
        ("ECG", "心电图"),
        ("EYE", "眼科"),
        ("ENT", "耳鼻喉"),
        ("IM", "内科"),
    ]
    .into_iter()
    .enumerate()
    {
        route.push(fx::create_item(&mut sched, &admin, &ItemSpec::new(code, name, i as i32)).await);
    }
    let mut us = ItemSpec::new("US", "腹部彩超", 10);
    us.price_fen = 18_000;
    let ultrasound = fx::create_item(&mut sched, &admin, &us).await;
    let mut bmd = ItemSpec::new("BMD", "骨密度", 11);
    bmd.price_fen = 12_000;
    let bone = fx::create_item(&mut sched, &admin, &bmd).await;
    let package = fx::create_package(
        &mut sched,
        &admin,
        "FIVE",
        "五项套餐",
        &route.iter().collect::<Vec<_>>(),
        59_900,
    )
    .await;
    let director = world.token(
        "director-zhang",
        Role::BranchDirector,
        OrgScope::Branch(branch_id.clone()),
    );
    sched
        .set_recovery_policy(req(
            &director,
            spb::SetRecoveryPolicyRequest {
                branch_id: branch_id.clone(),
                giftable_item_ids: vec![ultrasound.exam_item_id.clone(), bone.exam_item_id.clone()],
                decision_minutes: 10,
                gifts_per_visit: 0,
            },
        ))
        .await
        .expect("the director lists what may be given");
    let station = world.token(
        "station-1",
        Role::ExamStation,
        OrgScope::Branch(branch_id.clone()),
    );
    let nurse = world.token(
        "nurse-li",
        Role::FrontDesk,
        OrgScope::Branch(branch_id.clone()),
    );
    let slot = fx::slots(
        &mut sched,
        &admin,
        &branch_id,
        &package.package_id,
        monday(),
        monday(),
    )
    .await
    .remove(0);
    // Five customers booked for 08:30; each arrives when the one before has gone.
    let mut booked = Vec::new();
    for n in 1..=5 {
        let apt = fx::book(
            &mut sched,
            &admin,
            &format!("book-{n}"),
            &slot.slot_id,
            &package.package_id,
            fx::customer(n),
        )
        .await
        .expect("book");
        booked.push(apt);
    }
    let arrive = async |c: &mut Sched, n: usize| {
        let apt = booked[n - 1].clone();
        fx::check_in(c, &admin, &apt.appointment_id).await;
        apt
    };

    // 1. Five waits of 13 minutes each keep every item's promise, and add up past the
    //    visit's: one breach, while the customer waits for the fifth item.
    let first = arrive(&mut sched, 1).await;
    for _ in 0..4 {
        world.advance(13);
        serve_next(&mut sched, &station, &branch_id, &first.appointment_id).await;
    }
    assert!(
        due(&mut sched, &director).await.is_empty(),
        "52 minutes: kept"
    );
    world.advance(13);
    let case = case_of(&sched, &director, &first.appointment_id).await;
    assert_eq!(case.trigger, spb::WaitScope::WholeVisit as i32);
    assert_eq!(case.waited_minutes, 65);
    assert_eq!(case.customer.as_ref().unwrap().phone_masked, "139****0001");
    let offered: Vec<_> = case
        .giftable_items
        .iter()
        .map(|g| {
            (
                g.exam_item_id.clone(),
                g.list_price.as_ref().unwrap().minor_units,
            )
        })
        .collect();
    assert_eq!(
        offered,
        [
            (ultrasound.exam_item_id.clone(), 18_000),
            (bone.exam_item_id.clone(), 12_000)
        ]
    );
    // A front-desk nurse cannot grant; the director does, two minutes after the breach.
    let e = decide(
        &mut sched,
        &nurse,
        "g-nurse",
        &case.case_id,
        gift(&ultrasound),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    world.advance(2);
    let granted = decide(
        &mut sched,
        &director,
        "g-1",
        &case.case_id,
        gift(&ultrasound),
    )
    .await
    .expect("the director grants");
    let given = &granted.gifts[0];
    assert_eq!(
        given.value.as_ref().unwrap().minor_units,
        18_000,
        "the list price"
    );
    assert_eq!(given.delivery, spb::GiftDelivery::OnRoute as i32);
    assert_eq!(given.cost_bearer, format!("branch:{branch_id}"));
    // On the route while the customer still waits.
    let v = visit(&mut sched, &admin, &first.appointment_id).await;
    assert!(!v.completed);
    assert!(
        v.entries
            .iter()
            .any(|e| e.complimentary && e.exam_item_id == ultrasound.exam_item_id),
        "{v:?}"
    );
    // A second gift to the same visit is refused by default.
    let e = decide(&mut sched, &director, "g-2", &case.case_id, gift(&bone))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    fx::complete_visit(&mut sched, &station, &branch_id, &first.appointment_id).await;

    until("the first gift in the figures", || {
        let mut c = complaints.clone();
        let admin = admin.clone();
        async move {
            let f = figures(&mut c, &admin).await.ok()?;
            (f.whole_visit_breaches == 1 && f.gifts_during_wait == 1).then_some(())
        }
    })
    .await;

    // Both services restart; nothing is lost or counted twice.
    complaints_svc.restart().await;
    scheduling.restart().await;
    complaints = ComplaintsServiceClient::new(complaints_svc.channel());
    sched = SchedulingServiceClient::new(scheduling.channel());

    // 2. A breach decided after the visit ended: a voucher for the next visit.
    let second = arrive(&mut sched, 2).await;
    world.advance(31);
    let case = case_of(&sched, &director, &second.appointment_id).await;
    assert_eq!(case.trigger, spb::WaitScope::ExamItem as i32);
    fx::complete_visit(&mut sched, &station, &branch_id, &second.appointment_id).await;
    world.advance(3);
    let voucher = decide(&mut sched, &director, "g-3", &case.case_id, gift(&bone))
        .await
        .expect("a voucher");
    assert_eq!(voucher.gifts[0].delivery, spb::GiftDelivery::Voucher as i32);

    // 3. Declined by the customer, one minute in.
    let third = arrive(&mut sched, 3).await;
    world.advance(31);
    let case = case_of(&sched, &director, &third.appointment_id).await;
    world.advance(1);
    let declined = spb::DecideRecoveryRequest {
        decision: spb::RecoveryDecision::DeclinedByCustomer as i32,
        ..Default::default()
    };
    decide(&mut sched, &director, "d-1", &case.case_id, declined)
        .await
        .expect("declined");
    fx::complete_visit(&mut sched, &station, &branch_id, &third.appointment_id).await;

    // 4. Not given: the customer had left, four minutes in.
    let fourth = arrive(&mut sched, 4).await;
    world.advance(31);
    let case = case_of(&sched, &director, &fourth.appointment_id).await;
    world.advance(4);
    let left = spb::DecideRecoveryRequest {
        decision: spb::RecoveryDecision::NotGiven as i32,
        reason: spb::NotGivenReason::CustomerLeft as i32,
        ..Default::default()
    };
    decide(&mut sched, &director, "n-1", &case.case_id, left)
        .await
        .expect("not given");
    fx::complete_visit(&mut sched, &station, &branch_id, &fourth.appointment_id).await;

    // 5. Nobody decides within the ten minutes: the case is late and moves up to the
    //    city, which gives the bone-density scan at its own cost.
    let fifth = arrive(&mut sched, 5).await;
    world.advance(31);
    case_of(&sched, &director, &fifth.appointment_id).await;
    world.advance(11);
    let case = case_of(&sched, &director, &fifth.appointment_id).await;
    assert!(case.late);
    assert_eq!(case.level, spb::RecoveryLevel::City as i32);
    let e = decide(&mut sched, &director, "g-late", &case.case_id, gift(&bone))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    let city = world.token(
        "gm-shenzhen",
        Role::RegionAdmin,
        OrgScope::Region("guangdong/shenzhen".into()),
    );
    let by_city = decide(&mut sched, &city, "g-city", &case.case_id, gift(&bone))
        .await
        .expect("the city decides");
    assert_eq!(by_city.gifts[0].cost_bearer, "region:guangdong/shenzhen");
    fx::complete_visit(&mut sched, &station, &branch_id, &fifth.appointment_id).await;

    // The customer-service centre's figures count each path once.
    let group = until("all five decisions in the figures", || {
        let mut c = complaints.clone();
        let admin = admin.clone();
        async move {
            let f = figures(&mut c, &admin).await.ok()?;
            (f.gifts_during_wait + f.vouchers + f.declined_by_customer == 4
                && !f.not_given_by_reason.is_empty())
            .then_some(f)
        }
    })
    .await;
    complaints_svc.restart().await;
    complaints = ComplaintsServiceClient::new(complaints_svc.channel());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = figures(&mut complaints, &admin).await.unwrap();
    assert_eq!(again, group, "a restart counts nothing twice");
    assert_eq!(
        (group.exam_item_breaches, group.whole_visit_breaches),
        (4, 1)
    );
    assert_eq!(group.cases, 5);
    assert_eq!((group.gifts_during_wait, group.vouchers), (2, 1));
    assert_eq!(group.declined_by_customer, 1);
    assert_eq!(
        group.not_given_by_reason,
        [cpb::Count {
            key: "NOT_GIVEN_REASON_CUSTOMER_LEFT".into(),
            count: 1
        }]
    );
    assert_eq!((group.decided_late, group.overdue_undecided), (1, 0));
    // Minutes to decide: 2, 3, 1, 4 and 11.
    assert_eq!(group.median_minutes_to_decision, 3.0);
    assert_eq!(group.cost_by_branch, [cost(&branch_id, 3, 42_000)]);
    assert_eq!(
        group.cost_by_decider,
        [
            cost("director-zhang", 2, 30_000),
            cost("gm-shenzhen", 1, 12_000)
        ]
    );
    assert_eq!(
        group.cost_by_bearer,
        [
            cost(&format!("branch:{branch_id}"), 2, 30_000),
            cost("region:guangdong/shenzhen", 1, 12_000)
        ]
    );
    // Scoped as every figure: the branch's director sees the same; Shanghai sees none.
    assert_eq!(figures(&mut complaints, &director).await.unwrap(), group);
    let shanghai = world.token(
        "gm-shanghai",
        Role::RegionAdmin,
        OrgScope::Region("shanghai".into()),
    );
    let theirs = figures(&mut complaints, &shanghai).await.unwrap();
    assert_eq!((theirs.cases, theirs.cost_by_decider.len()), (0, 0));

    complaints_svc.stop().await;
    scheduling.stop().await;
}
