//! Demo customers and visits: a few customers found or created in contact first (with
//! their consent, a preferred channel, needs for the day), each then booked in scheduling
//! under contact's id, as every booking client does. Safe to run again: the mobile is the
//! customer's identity and each booking carries its own request id.

use hospital_proto::{
    contact::{self as pb, contact_service_client::ContactServiceClient},
    scheduling::{self as sched, scheduling_service_client::SchedulingServiceClient},
};
use tonic::transport::Channel;

use crate::seed::req;

/// (name, mobile, days ahead, needs, WeChat open id or "")
const CUSTOMERS: &[(&str, &str, i64, &[pb::Need], &str)] = &[
    ("张丽", "13800000001", 1, &[pb::Need::FastingDiscomfort], ""),
    ("王强", "13800000002", 1, &[], "wx-demo-0002"),
    ("李娜", "13800000003", 2, &[pb::Need::ChildrenAlong], ""),
    (
        "赵敏",
        "13800000004",
        3,
        &[pb::Need::Mobility],
        "wx-demo-0004",
    ),
    ("陈刚", "13800000005", 4, &[pb::Need::Hearing], ""),
];

/// Finds or creates the demo customers and books their visits at the first seeded branch.
pub async fn seed(scheduling: &str, contact: &str, token: &str) -> anyhow::Result<()> {
    let mut c =
        ContactServiceClient::new(Channel::from_shared(contact.to_owned())?.connect().await?);
    let mut s = SchedulingServiceClient::new(
        Channel::from_shared(scheduling.to_owned())?
            .connect()
            .await?,
    );
    let branch = s
        .list_branches(req(
            token,
            sched::ListBranchesRequest {
                page_size: 1,
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .branches
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no branch to book at"))?;
    let package = s
        .list_packages(req(token, sched::ListPackagesRequest::default()))
        .await?
        .into_inner()
        .packages
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no package to book"))?;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai")?)
        .date();
    let mut booked = 0;
    for (i, (name, phone, days, needs, wechat)) in CUSTOMERS.iter().enumerate() {
        let customer = c
            .find_or_create_customer(req(
                token,
                pb::FindOrCreateCustomerRequest {
                    request_id: format!("demo-customer-{i}"),
                    phone: (*phone).into(),
                    name: (*name).into(),
                    home_branch_id: branch.branch_id.clone(),
                    consents: [
                        pb::Purpose::Reminders,
                        pb::Purpose::FollowUp,
                        pb::Purpose::Surveys,
                    ]
                    .into_iter()
                    .map(|purpose| pb::ConsentInput {
                        purpose: purpose as i32,
                        granted: true,
                        method: pb::ConsentMethod::Verbal as i32,
                        source: "demo:call-centre".into(),
                    })
                    .collect(),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner();
        let Some(customer) = customer.customer else {
            continue;
        };
        if !wechat.is_empty() {
            c.set_contact_preferences(req(
                token,
                pb::SetContactPreferencesRequest {
                    customer_id: customer.customer_id.clone(),
                    contact_points: vec![pb::ContactPoint {
                        channel: pb::Channel::Wechat as i32,
                        address: (*wechat).into(),
                    }],
                    channel_order: vec![pb::Channel::Wechat as i32, pb::Channel::Sms as i32],
                    ..Default::default()
                },
            ))
            .await?;
        }
        if !needs.is_empty() {
            c.set_needs(req(
                token,
                pb::SetNeedsRequest {
                    customer_id: customer.customer_id.clone(),
                    needs: needs.iter().map(|n| *n as i32).collect(),
                    ..Default::default()
                },
            ))
            .await?;
        }
        let day = today.checked_add(jiff::Span::new().days(*days))?;
        let date = hospital_proto::common::Date {
            year: day.year().into(),
            month: day.month().into(),
            day: day.day().into(),
        };
        let slots = s
            .search_availability(req(
                token,
                sched::SearchAvailabilityRequest {
                    branch_id: branch.branch_id.clone(),
                    package_id: package.package_id.clone(),
                    from: Some(date),
                    to: Some(date),
                },
            ))
            .await?
            .into_inner()
            .slots;
        let Some(slot) = slots.first() else {
            continue;
        };
        let reply = s
            .book_appointment(req(
                token,
                sched::BookAppointmentRequest {
                    request_id: format!("demo-visit-{i}"),
                    slot_id: slot.slot_id.clone(),
                    package_id: package.package_id.clone(),
                    customer: Some(sched::CustomerInput {
                        customer_id: customer.customer_id.clone(),
                        name: (*name).into(),
                        phone: (*phone).into(),
                    }),
                },
            ))
            .await;
        match reply {
            Ok(_) => booked += 1,
            Err(e) => tracing::warn!(code = ?e.code(), "demo visit not booked: {}", e.message()),
        }
    }
    // The group call centre's demo agent (its token is printed at start) and three leads
    // from a WeChat campaign waiting for its call.
    c.set_agent(req(
        token,
        pb::SetAgentRequest {
            agent: Some(pb::Agent {
                agent_id: DEMO_AGENT.into(),
                team: "group".into(),
                skills: vec![pb::Skill::CustomerService as i32, pb::Skill::Sales as i32],
                tasks_per_day: 40,
                working_days: vec![1, 2, 3, 4, 5, 6],
            }),
        },
    ))
    .await?;
    let leads = c
        .import_leads(req(
            token,
            pb::ImportLeadsRequest {
                batch_id: "demo-leads-1".into(),
                source: "demo-wechat-ad".into(),
                leads: [
                    ("潜客甲", "13700000001"),
                    ("潜客乙", "13700000002"),
                    ("潜客丙", "13700000003"),
                ]
                .iter()
                .enumerate()
                .map(|(i, (name, phone))| pb::Lead {
                    external_id: format!("ad-{i}"),
                    name: (*name).into(),
                    phone: (*phone).into(),
                    ..Default::default()
                })
                .collect(),
            },
        ))
        .await?
        .into_inner();
    tracing::info!(
        customers = CUSTOMERS.len(),
        visits = booked,
        leads = leads.created,
        "demo customers, visits and leads"
    );
    Ok(())
}

/// The demo call-centre agent's id (the subject of the agent token `suite up` prints).
pub const DEMO_AGENT: &str = "agent-demo";
