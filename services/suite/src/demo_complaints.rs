//! Demo work orders for an empty complaints service: a few of each kind at the seeded
//! branches, some moved along, so the lists, timelines and figures have something to show.

use hospital_proto::{
    complaints::{self as pb, complaints_service_client::ComplaintsServiceClient},
    scheduling::{self as sched, scheduling_service_client::SchedulingServiceClient},
};
use tonic::transport::Channel;

use crate::seed::req;

/// (kind, category, severity, channel, summary)
const CASES: &[(pb::Kind, pb::Category, pb::Severity, pb::Channel, &str)] = &[
    (
        pb::Kind::Complaint,
        pb::Category::WaitingTime,
        pb::Severity::High,
        pb::Channel::OnSite,
        "彩超排队超过一小时",
    ),
    (
        pb::Kind::Complaint,
        pb::Category::Attitude,
        pb::Severity::Medium,
        pb::Channel::Hotline,
        "导诊台无人回应",
    ),
    (
        pb::Kind::Complaint,
        pb::Category::ReportAccuracy,
        pb::Severity::Critical,
        pb::Channel::Online,
        "报告姓名错误",
    ),
    (
        pb::Kind::Suggestion,
        pb::Category::Environment,
        pb::Severity::Low,
        pb::Channel::Wechat,
        "建议增设儿童玩具区",
    ),
    (
        pb::Kind::Praise,
        pb::Category::MedicalCare,
        pb::Severity::Low,
        pb::Channel::Survey,
        "采血护士手法轻柔",
    ),
    (
        pb::Kind::RequestForHelp,
        pb::Category::Billing,
        pb::Severity::Medium,
        pb::Channel::Hotline,
        "发票抬头需要修改",
    ),
];

/// Opens the demo work orders unless the complaints service already has some.
pub async fn seed_if_empty(scheduling: &str, complaints: &str, token: &str) -> anyhow::Result<()> {
    let mut c = ComplaintsServiceClient::new(
        Channel::from_shared(complaints.to_owned())?
            .connect()
            .await?,
    );
    let existing = c
        .list_work_orders(req(
            token,
            pb::ListWorkOrdersRequest {
                page_size: 1,
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    if !existing.work_orders.is_empty() {
        return Ok(());
    }
    let mut s = SchedulingServiceClient::new(
        Channel::from_shared(scheduling.to_owned())?
            .connect()
            .await?,
    );
    let branches = s
        .list_branches(req(
            token,
            sched::ListBranchesRequest {
                page_size: 10,
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .branches;
    for (i, (kind, category, severity, channel, summary)) in CASES.iter().enumerate() {
        let Some(branch) = branches.get(i % branches.len().max(1)) else {
            return Ok(());
        };
        let wo = c
            .open_work_order(req(
                token,
                pb::OpenWorkOrderRequest {
                    request_id: format!("demo-wo-{i}"),
                    channel: *channel as i32,
                    kind: *kind as i32,
                    category: *category as i32,
                    severity: *severity as i32,
                    customer: Some(pb::CustomerInput {
                        customer_id: String::new(),
                        name: format!("演示客户{i}"),
                        phone: format!("1370000{i:04}"),
                    }),
                    branch_id: branch.branch_id.clone(),
                    appointment_id: String::new(),
                    staff_ids: vec![format!("demo-staff-{i}")],
                    summary: (*summary).into(),
                    description: String::new(),
                },
            ))
            .await?
            .into_inner()
            .work_order
            .unwrap_or_default();
        if i % 2 == 0 {
            c.acknowledge_work_order(req(
                token,
                pb::AcknowledgeWorkOrderRequest {
                    work_order_id: wo.work_order_id.clone(),
                    expected_version: 0,
                    note: "已回电客户".into(),
                },
            ))
            .await?;
        }
    }
    tracing::info!(work_orders = CASES.len(), "seeded demo work orders");
    Ok(())
}
