//! The gRPC edge: decode, authenticate, validate what only the wire can get wrong, call the
//! use cases, map errors.

mod convert;

use hospital_proto::complaints::{self as pb, complaints_service_server::ComplaintsService};
use service_kit::{
    Error,
    edge::{self, Reply, ReplyStream, derive, filter, ok, principal, required, required_date},
    error::Violations,
    requests::{Page, next_page_token, page},
};
use tonic::{Request, Status};

use crate::{
    app::{self, Action, Complaints, GrantCommand, OpenCommand, Period},
    domain::{
        recovery::Grant,
        sla::Policy,
        work_order::{Filter, Intake},
    },
};
use convert::*;

/// The tonic service.
#[derive(Clone)]
pub struct Api {
    app: Complaints,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").field("app", &self.app).finish()
    }
}

impl Api {
    /// The edge over the use cases.
    pub fn new(app: Complaints) -> Self {
        Self { app }
    }

    async fn act(&self, req: Request<(String, i64, Action)>) -> Result<pb::WorkOrder, Status> {
        let p = principal(&req)?;
        let (id, version, action) = req.into_inner();
        // Every id the request carries, before the work order is looked up.
        let mut v = Violations::new();
        edge::require(&mut v, &id, "work_order_id");
        match &action {
            Action::Resolve {
                staff_ids: Some(staff),
                ..
            } => edge::ids(&mut v, staff, "staff_ids"),
            Action::Assign { assignee } => edge::require(&mut v, assignee, "assignee"),
            _ => {}
        }
        v.into_result()?;
        let detail = self.app.act(&p, &id, version, action).await?;
        Ok(detail_out(&detail))
    }
}

fn period(p: Option<pb::Period>, v: &mut Violations) -> Option<Period> {
    let p = p.unwrap_or_default();
    let from = required_date(p.from.as_ref(), "period.from", v);
    let to = required_date(p.to.as_ref(), "period.to", v);
    Some(Period {
        from: from?,
        to: to?,
    })
}

#[tonic::async_trait]
impl ComplaintsService for Api {
    async fn open_work_order(
        &self,
        req: Request<pb::OpenWorkOrderRequest>,
    ) -> Reply<pb::OpenWorkOrderResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let customer = r.customer.unwrap_or_default();
        let cmd = OpenCommand {
            request_id: r.request_id,
            intake: Intake {
                channel: channel_in(r.channel),
                kind: kind_in(r.kind),
                category: category_in(r.category),
                severity: severity_in(r.severity),
                customer_id: customer.customer_id,
                customer_name: customer.name,
                customer_phone: customer.phone,
                branch_id: r.branch_id,
                appointment_id: r.appointment_id,
                staff_ids: r.staff_ids,
                summary: r.summary,
                description: r.description,
            },
        };
        let wo = self.app.open(&p, cmd).await?;
        ok(pb::OpenWorkOrderResponse {
            work_order: Some(work_order_out(&wo, &[])),
        })
    }

    async fn get_work_order(
        &self,
        req: Request<pb::GetWorkOrderRequest>,
    ) -> Reply<pb::GetWorkOrderResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        if r.work_order_id.is_empty() == r.number.is_empty() {
            return Err(
                Error::invalid("work_order_id", "give either work_order_id or number").into(),
            );
        }
        let mut v = Violations::new();
        edge::optional_id(&mut v, &r.work_order_id, "work_order_id");
        // A number as an agent types what the customer reads out: any spacing and case.
        service_kit::rules::text(&mut v, "number", &r.number, 32, false);
        v.into_result()?;
        let detail = self.app.get(&p, &r.work_order_id, &r.number).await?;
        ok(pb::GetWorkOrderResponse {
            work_order: Some(detail_out(&detail)),
        })
    }

    async fn list_work_orders(
        &self,
        req: Request<pb::ListWorkOrdersRequest>,
    ) -> Reply<pb::ListWorkOrdersResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        let filter = Filter {
            scope: None,
            branch_id: r.branch_id,
            region_path: r.region_path.clone(),
            status: filter(r.status, "status", status_in, &mut v),
            level: filter(r.level, "level", level_in, &mut v),
            kind: filter(r.kind, "kind", kind_in, &mut v),
            customer_phone: if r.customer_phone.is_empty() {
                String::new()
            } else {
                match service_kit::phone::Phone::parse(&r.customer_phone) {
                    Some(phone) => phone.digits().to_owned(),
                    None => {
                        v.add("customer_phone", "an 11-digit mainland mobile number");
                        String::new()
                    }
                }
            },
            open_only: r.open_only,
            before_id: String::new(),
        };
        edge::region_path(&mut v, &r.region_path, "region_path");
        edge::optional_id(&mut v, &filter.branch_id, "branch_id");
        v.into_result()?;
        let Page { limit, after } = page(r.page_size, &r.page_token)?;
        let filter = Filter {
            before_id: after,
            ..filter
        };
        let page = self.app.list(&p, filter, r.my_queue, limit).await?;
        ok(pb::ListWorkOrdersResponse {
            work_orders: page.iter().map(|w| work_order_out(w, &[])).collect(),
            next_page_token: next_page_token(&page, limit, |w| w.id.clone()),
        })
    }

    async fn list_timeline(
        &self,
        req: Request<pb::ListTimelineRequest>,
    ) -> Reply<pb::ListTimelineResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.work_order_id, "work_order_id")?;
        let Page { limit, after } = page(r.page_size, &r.page_token)?;
        let after: i64 = if after.is_empty() {
            0
        } else {
            after
                .parse()
                .map_err(|_| Error::invalid("page_token", "not a token this service issued"))?
        };
        let entries = self
            .app
            .timeline(&p, &r.work_order_id, after, limit)
            .await?;
        ok(pb::ListTimelineResponse {
            entries: entries.iter().map(entry_out).collect(),
            next_page_token: next_page_token(&entries, limit, |e| e.seq.to_string()),
        })
    }

    async fn acknowledge_work_order(
        &self,
        req: Request<pb::AcknowledgeWorkOrderRequest>,
    ) -> Reply<pb::AcknowledgeWorkOrderResponse> {
        let wo = self
            .act(derive(req, |r| {
                (
                    r.work_order_id,
                    r.expected_version,
                    Action::Acknowledge { note: r.note },
                )
            }))
            .await?;
        ok(pb::AcknowledgeWorkOrderResponse {
            work_order: Some(wo),
        })
    }

    async fn start_work_order(
        &self,
        req: Request<pb::StartWorkOrderRequest>,
    ) -> Reply<pb::StartWorkOrderResponse> {
        let wo = self
            .act(derive(req, |r| {
                (
                    r.work_order_id,
                    r.expected_version,
                    Action::Start { note: r.note },
                )
            }))
            .await?;
        ok(pb::StartWorkOrderResponse {
            work_order: Some(wo),
        })
    }

    async fn wait_on_customer(
        &self,
        req: Request<pb::WaitOnCustomerRequest>,
    ) -> Reply<pb::WaitOnCustomerResponse> {
        let wo = self
            .act(derive(req, |r| {
                (
                    r.work_order_id,
                    r.expected_version,
                    Action::WaitOnCustomer { note: r.note },
                )
            }))
            .await?;
        ok(pb::WaitOnCustomerResponse {
            work_order: Some(wo),
        })
    }

    async fn resolve_work_order(
        &self,
        req: Request<pb::ResolveWorkOrderRequest>,
    ) -> Reply<pb::ResolveWorkOrderResponse> {
        let wo = self
            .act(derive(req, |r| {
                (
                    r.work_order_id,
                    r.expected_version,
                    Action::Resolve {
                        root_cause: r.root_cause,
                        corrective_action: r.corrective_action,
                        substantiated: r.substantiated,
                        staff_ids: (!r.staff_ids.is_empty()).then_some(r.staff_ids),
                    },
                )
            }))
            .await?;
        ok(pb::ResolveWorkOrderResponse {
            work_order: Some(wo),
        })
    }

    async fn close_work_order(
        &self,
        req: Request<pb::CloseWorkOrderRequest>,
    ) -> Reply<pb::CloseWorkOrderResponse> {
        let wo = self
            .act(derive(req, |r| {
                (
                    r.work_order_id,
                    r.expected_version,
                    Action::Close { note: r.note },
                )
            }))
            .await?;
        ok(pb::CloseWorkOrderResponse {
            work_order: Some(wo),
        })
    }

    async fn reopen_work_order(
        &self,
        req: Request<pb::ReopenWorkOrderRequest>,
    ) -> Reply<pb::ReopenWorkOrderResponse> {
        let wo = self
            .act(derive(req, |r| {
                (
                    r.work_order_id,
                    r.expected_version,
                    Action::Reopen { reason: r.reason },
                )
            }))
            .await?;
        ok(pb::ReopenWorkOrderResponse {
            work_order: Some(wo),
        })
    }

    async fn add_note(&self, req: Request<pb::AddNoteRequest>) -> Reply<pb::AddNoteResponse> {
        let wo = self
            .act(derive(req, |r| {
                (r.work_order_id, 0, Action::Note { text: r.text })
            }))
            .await?;
        ok(pb::AddNoteResponse {
            work_order: Some(wo),
        })
    }

    async fn assign_work_order(
        &self,
        req: Request<pb::AssignWorkOrderRequest>,
    ) -> Reply<pb::AssignWorkOrderResponse> {
        let wo = self
            .act(derive(req, |r| {
                (
                    r.work_order_id,
                    r.expected_version,
                    Action::Assign {
                        assignee: r.assignee,
                    },
                )
            }))
            .await?;
        ok(pb::AssignWorkOrderResponse {
            work_order: Some(wo),
        })
    }

    async fn record_contact_attempt(
        &self,
        req: Request<pb::RecordContactAttemptRequest>,
    ) -> Reply<pb::RecordContactAttemptResponse> {
        let wo = self
            .act(derive(req, |r| {
                (
                    r.work_order_id,
                    0,
                    Action::Contact {
                        channel: channel_in(r.channel),
                        outcome: outcome_in(r.outcome),
                        note: r.note,
                    },
                )
            }))
            .await?;
        ok(pb::RecordContactAttemptResponse {
            work_order: Some(wo),
        })
    }

    async fn record_satisfaction(
        &self,
        req: Request<pb::RecordSatisfactionRequest>,
    ) -> Reply<pb::RecordSatisfactionResponse> {
        let wo = self
            .act(derive(req, |r| {
                (
                    r.work_order_id,
                    0,
                    Action::Satisfaction {
                        score: r.score,
                        comment: r.comment,
                    },
                )
            }))
            .await?;
        ok(pb::RecordSatisfactionResponse {
            work_order: Some(wo),
        })
    }

    async fn escalate_work_order(
        &self,
        req: Request<pb::EscalateWorkOrderRequest>,
    ) -> Reply<pb::EscalateWorkOrderResponse> {
        let wo = self
            .act(derive(req, |r| {
                (
                    r.work_order_id,
                    r.expected_version,
                    Action::Escalate { reason: r.reason },
                )
            }))
            .await?;
        ok(pb::EscalateWorkOrderResponse {
            work_order: Some(wo),
        })
    }

    async fn grant_compensation(
        &self,
        req: Request<pb::GrantCompensationRequest>,
    ) -> Reply<pb::GrantCompensationResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        service_kit::requests::check_request_id(&r.request_id, &mut v);
        edge::require(&mut v, &r.work_order_id, "work_order_id");
        edge::optional_id(&mut v, &r.exam_item_id, "exam_item_id");
        v.into_result()?;
        let value = r.value.unwrap_or_default();
        let cmd = GrantCommand {
            request_id: r.request_id,
            work_order_id: r.work_order_id,
            grant: Grant {
                kind: compensation_kind_in(r.kind),
                currency: value.currency_code,
                value_minor: value.minor_units,
                exam_item_id: r.exam_item_id,
                note: r.note,
            },
        };
        let (detail, comp) = self.app.grant(&p, cmd).await?;
        ok(pb::GrantCompensationResponse {
            work_order: Some(detail_out(&detail)),
            compensation: Some(compensation_out(&comp)),
        })
    }

    async fn set_sla_policy(
        &self,
        req: Request<pb::SetSlaPolicyRequest>,
    ) -> Reply<pb::SetSlaPolicyResponse> {
        let p = principal(&req)?;
        let policy = req.into_inner().policy.unwrap_or_default();
        let Some(severity) = severity_in(policy.severity) else {
            return Err(Error::invalid("policy.severity", "required").into());
        };
        let (saved, at) = self
            .app
            .set_policy(
                &p,
                Policy {
                    severity,
                    acknowledge_minutes: policy.acknowledge_minutes,
                    resolve_minutes: policy.resolve_minutes,
                    warn_at_percent: policy.warn_at_percent,
                },
            )
            .await?;
        ok(pb::SetSlaPolicyResponse {
            policy: Some(policy_out(&saved, at)),
        })
    }

    async fn list_sla_policies(
        &self,
        req: Request<pb::ListSlaPoliciesRequest>,
    ) -> Reply<pb::ListSlaPoliciesResponse> {
        let p = principal(&req)?;
        let all = self.app.policies(&p).await?;
        ok(pb::ListSlaPoliciesResponse {
            policies: all.iter().map(|(p, at)| policy_out(p, *at)).collect(),
        })
    }

    async fn get_figures(
        &self,
        req: Request<pb::GetFiguresRequest>,
    ) -> Reply<pb::GetFiguresResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let period = figures_period(r.period, &r.region_path, &r.branch_id)?;
        let f = self
            .app
            .figures(&p, period, &r.region_path, &r.branch_id)
            .await?;
        ok(pb::GetFiguresResponse {
            figures: Some(figures_out(&f)),
        })
    }

    async fn get_recovery_figures(
        &self,
        req: Request<pb::GetRecoveryFiguresRequest>,
    ) -> Reply<pb::GetRecoveryFiguresResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let period = figures_period(r.period, &r.region_path, &r.branch_id)?;
        let f = self
            .app
            .recovery_figures(&p, period, &r.region_path, &r.branch_id)
            .await?;
        ok(pb::GetRecoveryFiguresResponse {
            figures: Some(recovery_figures_out(&f)),
        })
    }

    async fn get_scorecard(
        &self,
        req: Request<pb::GetScorecardRequest>,
    ) -> Reply<pb::GetScorecardResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        let period = period(r.period, &mut v);
        let by = filter(r.by, "by", level_in, &mut v);
        v.check(
            matches!(
                by,
                None | Some(
                    crate::domain::vocab::Level::Province | crate::domain::vocab::Level::City
                )
            ),
            "by",
            "LEVEL_PROVINCE or LEVEL_CITY",
        );
        v.into_result()?;
        let by_city = by == Some(crate::domain::vocab::Level::City);
        let rows = self
            .app
            .scorecard(&p, period.expect("checked"), by_city)
            .await?;
        ok(pb::GetScorecardResponse {
            rows: rows
                .iter()
                .map(|r| pb::ScorecardRow {
                    region_path: r.region_path.clone(),
                    figures: Some(figures_out(&r.figures)),
                    score: r.figures.score(),
                })
                .collect(),
        })
    }

    type SubscribeStream = ReplyStream<pb::SubscribeResponse>;

    async fn subscribe(&self, req: Request<pb::SubscribeRequest>) -> Reply<Self::SubscribeStream> {
        let p = principal(&req)?;
        p.require_role(app::roles::SUBSCRIBE, "read the event feed")?;
        let r = req.into_inner();
        let mut v = Violations::new();
        edge::optional_id(&mut v, &r.branch_id, "branch_id");
        v.into_result()?;
        self.app.check_narrowing(&p, &r.branch_id, "").await?;
        ok(edge::subscription(
            self.app.outbox(),
            &p,
            r.after,
            r.branch_id,
            |e: &mut pb::ComplaintsEvent, position| e.position = position,
            |event| pb::SubscribeResponse { event: Some(event) },
        ))
    }
}

/// The period and the optional narrowing every figures request carries, checked together
/// so one answer names every bad field.
fn figures_period(
    p: Option<pb::Period>,
    region_path: &str,
    branch_id: &str,
) -> Result<crate::app::Period, Status> {
    let mut v = Violations::new();
    let period = period(p, &mut v);
    edge::region_path(&mut v, region_path, "region_path");
    edge::optional_id(&mut v, branch_id, "branch_id");
    v.into_result()?;
    Ok(period.expect("checked"))
}
