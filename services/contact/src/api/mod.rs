//! The gRPC edge: decode, authenticate, validate what only the wire can get wrong, call the
//! use cases, map errors.

mod convert;
mod followup;
mod followup_convert;

use hospital_proto::contact::{self as pb, contact_service_server::ContactService};
use service_kit::{
    Error,
    edge::{self, Reply, ReplyStream, filter, ok, principal, required_date, time_of_day},
    error::Violations,
    error::merge,
    requests::{Page, check_request_id, next_page_token, page},
};
use tonic::Request;

use crate::{
    app::{self, Contact, NewCustomerCommand},
    domain::{
        customer::{ConsentInput, NewCustomer, Preferences, check_new},
        plan::{Policy, QuietHours},
    },
};
use convert::*;

/// The tonic service.
#[derive(Clone)]
pub struct Api {
    app: Contact,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").field("app", &self.app).finish()
    }
}

impl Api {
    /// The edge over the use cases.
    pub fn new(app: Contact) -> Self {
        Self { app }
    }
}

fn consent_in(c: Option<pb::ConsentInput>, field: &str, v: &mut Violations) -> ConsentInput {
    let c = c.unwrap_or_default();
    v.check(c.purpose != 0, &format!("{field}.purpose"), "required");
    v.check(c.method != 0, &format!("{field}.method"), "required");
    ConsentInput {
        purpose: filter(c.purpose, &format!("{field}.purpose"), purpose_in, v),
        granted: c.granted,
        method: filter(c.method, &format!("{field}.method"), method_in, v),
        source: c.source,
    }
}

#[tonic::async_trait]
impl ContactService for Api {
    async fn record_visit_outcome(
        &self,
        req: Request<pb::RecordVisitOutcomeRequest>,
    ) -> Reply<pb::RecordVisitOutcomeResponse> {
        followup::record_visit_outcome(&self.app, req).await
    }

    async fn list_follow_up_plans(
        &self,
        req: Request<pb::ListFollowUpPlansRequest>,
    ) -> Reply<pb::ListFollowUpPlansResponse> {
        followup::list_follow_up_plans(&self.app, req).await
    }

    async fn get_follow_up_templates(
        &self,
        req: Request<pb::GetFollowUpTemplatesRequest>,
    ) -> Reply<pb::GetFollowUpTemplatesResponse> {
        followup::get_follow_up_templates(&self.app, req).await
    }

    async fn set_follow_up_template(
        &self,
        req: Request<pb::SetFollowUpTemplateRequest>,
    ) -> Reply<pb::SetFollowUpTemplateResponse> {
        followup::set_follow_up_template(&self.app, req).await
    }

    async fn set_agent(&self, req: Request<pb::SetAgentRequest>) -> Reply<pb::SetAgentResponse> {
        followup::set_agent(&self.app, req).await
    }

    async fn claim_next(&self, req: Request<pb::ClaimNextRequest>) -> Reply<pb::ClaimNextResponse> {
        followup::claim_next(&self.app, req).await
    }

    async fn record_call_outcome(
        &self,
        req: Request<pb::RecordCallOutcomeRequest>,
    ) -> Reply<pb::RecordCallOutcomeResponse> {
        followup::record_call_outcome(&self.app, req).await
    }

    async fn reassign_task(
        &self,
        req: Request<pb::ReassignTaskRequest>,
    ) -> Reply<pb::ReassignTaskResponse> {
        followup::reassign_task(&self.app, req).await
    }

    async fn list_tasks(&self, req: Request<pb::ListTasksRequest>) -> Reply<pb::ListTasksResponse> {
        followup::list_tasks(&self.app, req).await
    }

    async fn get_planned_load(
        &self,
        req: Request<pb::GetPlannedLoadRequest>,
    ) -> Reply<pb::GetPlannedLoadResponse> {
        followup::get_planned_load(&self.app, req).await
    }

    async fn import_leads(
        &self,
        req: Request<pb::ImportLeadsRequest>,
    ) -> Reply<pb::ImportLeadsResponse> {
        followup::import_leads(&self.app, req).await
    }

    async fn get_lead_figures(
        &self,
        req: Request<pb::GetLeadFiguresRequest>,
    ) -> Reply<pb::GetLeadFiguresResponse> {
        followup::get_lead_figures(&self.app, req).await
    }

    async fn answer_survey(
        &self,
        req: Request<pb::AnswerSurveyRequest>,
    ) -> Reply<pb::AnswerSurveyResponse> {
        followup::answer_survey(&self.app, req).await
    }

    async fn list_surveys(
        &self,
        req: Request<pb::ListSurveysRequest>,
    ) -> Reply<pb::ListSurveysResponse> {
        followup::list_surveys(&self.app, req).await
    }

    async fn get_survey_figures(
        &self,
        req: Request<pb::GetSurveyFiguresRequest>,
    ) -> Reply<pb::GetSurveyFiguresResponse> {
        followup::get_survey_figures(&self.app, req).await
    }

    async fn get_segment_counts(
        &self,
        req: Request<pb::GetSegmentCountsRequest>,
    ) -> Reply<pb::GetSegmentCountsResponse> {
        followup::get_segment_counts(&self.app, req).await
    }

    async fn find_or_create_customer(
        &self,
        req: Request<pb::FindOrCreateCustomerRequest>,
    ) -> Reply<pb::FindOrCreateCustomerResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        check_request_id(&r.request_id, &mut v);
        edge::optional_id(&mut v, &r.home_branch_id, "home_branch_id");
        let gender = filter(r.gender, "gender", gender_in, &mut v);
        let birth_date = r
            .birth_date
            .as_ref()
            .and_then(|_| required_date(r.birth_date.as_ref(), "birth_date", &mut v));
        let consents: Vec<_> = r
            .consents
            .into_iter()
            .enumerate()
            .map(|(i, c)| consent_in(Some(c), &format!("consents[{i}]"), &mut v))
            .collect();
        let customer = NewCustomer {
            phone: r.phone,
            name: r.name,
            gender,
            birth_date,
            home_branch_id: r.home_branch_id,
            national_id: r.national_id,
        };
        // The wire's faults and the rules' in one answer.
        merge(
            v,
            check_new(&customer, false).map(drop).map_err(Error::from),
        )?;
        let (customer, created) = self
            .app
            .find_or_create(
                &p,
                NewCustomerCommand {
                    request_id: r.request_id,
                    customer,
                    consents,
                },
            )
            .await?;
        ok(pb::FindOrCreateCustomerResponse {
            customer: Some(customer_out(&customer)),
            created,
        })
    }

    async fn get_customer(
        &self,
        req: Request<pb::GetCustomerRequest>,
    ) -> Reply<pb::GetCustomerResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        edge::required(&r.customer_id, "customer_id")?;
        let c = self.app.customer(&p, &r.customer_id).await?;
        ok(pb::GetCustomerResponse {
            customer: Some(customer_out(&c)),
        })
    }

    async fn find_customer_by_national_id(
        &self,
        req: Request<pb::FindCustomerByNationalIdRequest>,
    ) -> Reply<pb::FindCustomerByNationalIdResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let c = self.app.by_national_id(&p, &r.national_id).await?;
        ok(pb::FindCustomerByNationalIdResponse {
            customer: Some(customer_out(&c)),
        })
    }

    async fn set_needs(&self, req: Request<pb::SetNeedsRequest>) -> Reply<pb::SetNeedsResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        edge::require(&mut v, &r.customer_id, "customer_id");
        let needs: Vec<_> = r
            .needs
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let need = need_in(*n);
                v.check(need.is_some(), &format!("needs[{i}]"), "a need");
                need
            })
            .collect();
        v.into_result()?;
        let c = self
            .app
            .set_needs(&p, &r.customer_id, &needs, &r.notes, r.expected_version)
            .await?;
        ok(pb::SetNeedsResponse {
            customer: Some(customer_out(&c)),
        })
    }

    async fn set_contact_preferences(
        &self,
        req: Request<pb::SetContactPreferencesRequest>,
    ) -> Reply<pb::SetContactPreferencesResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        edge::require(&mut v, &r.customer_id, "customer_id");
        let quiet_hours = match &r.quiet_hours {
            None => None,
            Some(q) => {
                let start = time_of_day(q.start.as_ref(), "quiet_hours.start", &mut v);
                let end = time_of_day(q.end.as_ref(), "quiet_hours.end", &mut v);
                v.check(
                    q.start.is_some() && q.end.is_some(),
                    "quiet_hours",
                    "both start and end, or neither",
                );
                start.zip(end).map(|(start, end)| QuietHours { start, end })
            }
        };
        v.into_result()?;
        let prefs = Preferences {
            contact_points: r
                .contact_points
                .into_iter()
                .map(|c| (channel_in(c.channel), c.address))
                .collect(),
            channel_order: r.channel_order.iter().map(|c| channel_in(*c)).collect(),
            quiet_hours,
            do_not_contact: r.do_not_contact,
        };
        let c = self
            .app
            .set_preferences(&p, &r.customer_id, &prefs, r.expected_version)
            .await?;
        ok(pb::SetContactPreferencesResponse {
            customer: Some(customer_out(&c)),
        })
    }

    async fn record_consent(
        &self,
        req: Request<pb::RecordConsentRequest>,
    ) -> Reply<pb::RecordConsentResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        check_request_id(&r.request_id, &mut v);
        edge::require(&mut v, &r.customer_id, "customer_id");
        let consent = consent_in(r.consent, "consent", &mut v);
        v.into_result()?;
        let c = self
            .app
            .record_consent(&p, &r.request_id, &r.customer_id, &consent)
            .await?;
        ok(pb::RecordConsentResponse {
            customer: Some(customer_out(&c)),
        })
    }

    async fn list_contact_history(
        &self,
        req: Request<pb::ListContactHistoryRequest>,
    ) -> Reply<pb::ListContactHistoryResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        edge::required(&r.customer_id, "customer_id")?;
        let Page { limit, after } = page(r.page_size, &r.page_token)?;
        let records = self.app.history(&p, &r.customer_id, &after, limit).await?;
        ok(pb::ListContactHistoryResponse {
            next_page_token: next_page_token(&records, limit, |r| r.id.clone()),
            records: records.iter().map(record_out).collect(),
        })
    }

    async fn get_reminder_policy(
        &self,
        req: Request<pb::GetReminderPolicyRequest>,
    ) -> Reply<pb::GetReminderPolicyResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        service_kit::rules::text(&mut v, "brand", &r.brand, 64, false);
        v.into_result()?;
        let (brand, policy, at) = self.app.policy(&p, r.brand.trim()).await?;
        ok(pb::GetReminderPolicyResponse {
            policy: Some(policy_out(&brand, &policy, at)),
        })
    }

    async fn set_reminder_policy(
        &self,
        req: Request<pb::SetReminderPolicyRequest>,
    ) -> Reply<pb::SetReminderPolicyResponse> {
        let p = principal(&req)?;
        let r = req.into_inner().policy.unwrap_or_default();
        let mut v = Violations::new();
        let brand = service_kit::rules::text(&mut v, "policy.brand", &r.brand, 64, false);
        let mut at = |t: Option<&hospital_proto::common::TimeOfDay>, field: &str| {
            v.check(t.is_some(), field, "required");
            time_of_day(t, field, &mut v)
        };
        let three = at(
            r.three_days_before_at.as_ref(),
            "policy.three_days_before_at",
        );
        let one = at(r.one_day_before_at.as_ref(), "policy.one_day_before_at");
        let same = at(r.same_day_at.as_ref(), "policy.same_day_at");
        v.into_result()?;
        let policy = Policy {
            three_days_before: three.expect("checked"),
            one_day_before: one.expect("checked"),
            same_day: same.expect("checked"),
        };
        let at = self.app.set_policy(&p, &brand, &policy).await?;
        ok(pb::SetReminderPolicyResponse {
            policy: Some(policy_out(&brand, &policy, Some(at))),
        })
    }

    async fn list_reminders(
        &self,
        req: Request<pb::ListRemindersRequest>,
    ) -> Reply<pb::ListRemindersResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        edge::required(&r.appointment_id, "appointment_id")?;
        let (visit, reminders) = self.app.reminders(&p, &r.appointment_id).await?;
        ok(pb::ListRemindersResponse {
            reminders: reminders
                .iter()
                .map(|x| reminder_out(x, &visit.customer_id))
                .collect(),
        })
    }

    async fn list_messages(
        &self,
        req: Request<pb::ListMessagesRequest>,
    ) -> Reply<pb::ListMessagesResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        edge::optional_id(&mut v, &r.customer_id, "customer_id");
        v.into_result()?;
        let Page { limit, after } = page(r.page_size, &r.page_token)?;
        let full = app::roles::CALLERS.contains(&p.role);
        let messages = self.app.messages(&p, &r.customer_id, &after, limit).await?;
        ok(pb::ListMessagesResponse {
            next_page_token: next_page_token(&messages, limit, |m| m.id.clone()),
            messages: messages.iter().map(|m| message_out(m, full)).collect(),
        })
    }

    async fn report_delivery(
        &self,
        req: Request<pb::ReportDeliveryRequest>,
    ) -> Reply<pb::ReportDeliveryResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        edge::require(&mut v, &r.message_id, "message_id");
        let outcome = filter(r.outcome, "outcome", outcome_in, &mut v);
        v.check(outcome.is_some() || r.outcome != 0, "outcome", "required");
        let detail = service_kit::rules::text(&mut v, "detail", &r.detail, 500, false);
        v.into_result()?;
        let (m, reminder) = self
            .app
            .report_delivery(&p, &r.message_id, outcome.expect("checked"), &detail)
            .await?;
        let full = app::roles::CALLERS.contains(&p.role);
        ok(pb::ReportDeliveryResponse {
            reminder: Some(reminder_out(&reminder, &m.customer_id)),
            message: Some(message_out(&m, full)),
        })
    }

    async fn get_day_sheet(
        &self,
        req: Request<pb::GetDaySheetRequest>,
    ) -> Reply<pb::GetDaySheetResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        edge::require(&mut v, &r.branch_id, "branch_id");
        let date = required_date(r.date.as_ref(), "date", &mut v);
        v.into_result()?;
        let (rows, full, unlinked) = self
            .app
            .day_sheet(&p, &r.branch_id, date.expect("checked"))
            .await?;
        ok(pb::GetDaySheetResponse {
            rows: rows.iter().map(|row| row_out(row, full)).collect(),
            unlinked,
        })
    }

    async fn list_unlinked_bookings(
        &self,
        req: Request<pb::ListUnlinkedBookingsRequest>,
    ) -> Reply<pb::ListUnlinkedBookingsResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        edge::optional_id(&mut v, &r.branch_id, "branch_id");
        v.into_result()?;
        let Page { limit, after } = page(r.page_size, &r.page_token)?;
        let (visits, total) = self.app.unlinked(&p, &r.branch_id, &after, limit).await?;
        ok(pb::ListUnlinkedBookingsResponse {
            next_page_token: next_page_token(&visits, limit, |v| v.appointment_id.clone()),
            bookings: visits
                .iter()
                .map(|v| pb::UnlinkedBooking {
                    appointment_id: v.appointment_id.clone(),
                    branch_id: v.branch_id.clone(),
                    starts_at: Some(service_kit::clock::to_proto(v.starts_at)),
                    reason: v.unlinked_reason.clone(),
                })
                .collect(),
            total,
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
            |e: &mut pb::ContactEvent, position| e.position = position,
            |event| pb::SubscribeResponse { event: Some(event) },
        ))
    }
}
