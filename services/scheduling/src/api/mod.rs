//! The gRPC edge: decode, authenticate, validate, call the use cases, map errors.

mod branch_patch;
mod convert;
mod recovery;

use hospital_proto::scheduling::{self as pb, scheduling_service_server::SchedulingService};
use service_kit::{
    Error,
    auth::OrgScope,
    clock::SharedClock,
    edge::{
        self, Reply, ReplyStream, date, merge, ok, principal, require, required, required_date,
    },
    error::Violations,
};
use tonic::Request;

use crate::{
    app::{self, Scheduling},
    domain::{branch::Region, customer::Customer},
};
use branch_patch::{CREATE_PATHS, RawPatch, UPDATE_PATHS, update_paths};
use convert::*;

/// The tonic service.
#[derive(Clone)]
pub struct Api {
    app: Scheduling,
    clock: SharedClock,
    require_customer_id: bool,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("app", &self.app)
            .finish_non_exhaustive()
    }
}

impl Api {
    /// The edge over the use cases.
    pub fn new(app: Scheduling, clock: SharedClock) -> Self {
        Self {
            app,
            clock,
            require_customer_id: false,
        }
    }

    /// The same, refusing bookings that name no customer of the contact service.
    pub fn requiring_customer_id(mut self, required: bool) -> Self {
        self.require_customer_id = required;
        self
    }
}

#[tonic::async_trait]
impl SchedulingService for Api {
    async fn create_branch(
        &self,
        req: Request<pb::CreateBranchRequest>,
    ) -> Reply<pb::CreateBranchResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let region = r.region.unwrap_or_default();
        let mut v = Violations::new();
        let patch = RawPatch {
            paths: &CREATE_PATHS,
            name: Some(r.name).filter(|s| !s.trim().is_empty()),
            brand: Some(r.brand).filter(|s| !s.trim().is_empty()),
            time_zone: Some(r.time_zone),
            hours: Some(&r.opening_hours),
            holidays: Some(&r.holidays),
            wait_promise_minutes: Some(r.wait_promise_minutes).filter(|m| *m != 0),
            visit_wait_promise_minutes: Some(r.visit_wait_promise_minutes).filter(|m| *m != 0),
            address: Some(r.address),
            cutoff: r.fasting_arrival_cutoff.as_ref(),
        }
        .decode(&mut v);
        let region = Region {
            province: region.province,
            city: region.city,
        };
        if !v.is_empty() {
            let domain = crate::domain::branch::new_branch(
                String::new(),
                &r.code,
                region.clone(),
                patch.clone(),
                jiff::Timestamp::UNIX_EPOCH,
            );
            merge(v, domain.map(|_| ()).map_err(Error::from))?;
        }
        let cmd = app::CreateBranch {
            request_id: r.request_id,
            code: r.code,
            region,
            patch,
        };
        let branch = self.app.create_branch(&p, cmd).await?;
        ok(pb::CreateBranchResponse {
            branch: Some(branch_out(&branch)),
        })
    }

    async fn update_branch(
        &self,
        req: Request<pb::UpdateBranchRequest>,
    ) -> Reply<pb::UpdateBranchResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.branch_id, "branch_id")?;
        let mut v = Violations::new();
        let patch = RawPatch {
            paths: &UPDATE_PATHS,
            name: r.name,
            brand: r.brand,
            time_zone: r.time_zone,
            hours: r.opening_hours.as_ref().map(|h| h.hours.as_slice()),
            holidays: r.holidays.as_ref().map(|h| h.dates.as_slice()),
            wait_promise_minutes: r.wait_promise_minutes,
            visit_wait_promise_minutes: r.visit_wait_promise_minutes,
            address: r.address,
            cutoff: r.fasting_arrival_cutoff.as_ref(),
        }
        .decode(&mut v);
        if !v.is_empty() {
            let mut domain = Violations::new();
            crate::domain::branch::validate_patch(&patch, &mut domain);
            merge(v, domain.into_result().map_err(update_paths))?;
        }
        let cmd = app::UpdateBranch {
            branch_id: r.branch_id,
            expected_version: r.expected_version,
            patch,
        };
        let branch = self
            .app
            .update_branch(&p, cmd)
            .await
            .map_err(update_paths)?;
        ok(pb::UpdateBranchResponse {
            branch: Some(branch_out(&branch)),
        })
    }

    async fn get_branch(&self, req: Request<pb::GetBranchRequest>) -> Reply<pb::GetBranchResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.branch_id, "branch_id")?;
        let branch = self.app.get_branch(&p, &r.branch_id).await?;
        ok(pb::GetBranchResponse {
            branch: Some(branch_out(&branch)),
        })
    }

    async fn list_branches(
        &self,
        req: Request<pb::ListBranchesRequest>,
    ) -> Reply<pb::ListBranchesResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let (branches, next) = self
            .app
            .list_branches(&p, r.region_path, r.brand, r.page_size, r.page_token)
            .await?;
        ok(pb::ListBranchesResponse {
            branches: branches.iter().map(branch_out).collect(),
            next_page_token: next,
        })
    }

    async fn create_exam_item(
        &self,
        req: Request<pb::CreateExamItemRequest>,
    ) -> Reply<pb::CreateExamItemResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let cmd = app::CreateExamItem {
            request_id: r.request_id,
            code: r.code,
            name: r.name,
            department: r.department,
            duration_minutes: r.duration_minutes,
            fasting_required: r.fasting_required,
            order_hint: r.order_hint,
            list_price: r.list_price.map(|m| crate::domain::catalogue::Price {
                currency: m.currency_code,
                minor: m.minor_units,
            }),
        };
        let item = self.app.create_exam_item(&p, cmd).await?;
        ok(pb::CreateExamItemResponse {
            exam_item: Some(item_out(&item)),
        })
    }

    async fn list_exam_items(
        &self,
        req: Request<pb::ListExamItemsRequest>,
    ) -> Reply<pb::ListExamItemsResponse> {
        principal(&req)?;
        let r = req.into_inner();
        let (items, next) = self.app.list_exam_items(r.page_size, &r.page_token).await?;
        ok(pb::ListExamItemsResponse {
            exam_items: items.iter().map(item_out).collect(),
            next_page_token: next,
        })
    }

    async fn set_exam_item_price(
        &self,
        req: Request<pb::SetExamItemPriceRequest>,
    ) -> Reply<pb::SetExamItemPriceResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.exam_item_id, "exam_item_id")?;
        let price = r.list_price.map(|m| crate::domain::catalogue::Price {
            currency: m.currency_code,
            minor: m.minor_units,
        });
        let item = self
            .app
            .set_exam_item_price(&p, &r.exam_item_id, price)
            .await?;
        ok(pb::SetExamItemPriceResponse {
            exam_item: Some(item_out(&item)),
        })
    }

    async fn create_package(
        &self,
        req: Request<pb::CreatePackageRequest>,
    ) -> Reply<pb::CreatePackageResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        edge::ids(&mut v, &r.exam_item_ids, "exam_item_ids");
        v.into_result()?;
        let price = r.price.unwrap_or_default();
        let cmd = app::CreatePackage {
            request_id: r.request_id,
            code: r.code,
            name: r.name,
            exam_item_ids: r.exam_item_ids,
            currency: price.currency_code,
            price_minor: price.minor_units,
        };
        let package = self.app.create_package(&p, cmd).await?;
        ok(pb::CreatePackageResponse {
            package: Some(package_out(&package)),
        })
    }

    async fn get_package(
        &self,
        req: Request<pb::GetPackageRequest>,
    ) -> Reply<pb::GetPackageResponse> {
        principal(&req)?;
        let r = req.into_inner();
        required(&r.package_id, "package_id")?;
        let package = self.app.get_package(&r.package_id).await?;
        ok(pb::GetPackageResponse {
            package: Some(package_out(&package)),
        })
    }

    async fn list_packages(
        &self,
        req: Request<pb::ListPackagesRequest>,
    ) -> Reply<pb::ListPackagesResponse> {
        principal(&req)?;
        let r = req.into_inner();
        let (packages, next) = self.app.list_packages(r.page_size, &r.page_token).await?;
        ok(pb::ListPackagesResponse {
            packages: packages.iter().map(package_out).collect(),
            next_page_token: next,
        })
    }

    async fn set_weekly_template(
        &self,
        req: Request<pb::SetWeeklyTemplateRequest>,
    ) -> Reply<pb::SetWeeklyTemplateResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.branch_id, "branch_id")?;
        let windows = windows(&r.windows)?;
        let saved = self.app.set_template(&p, &r.branch_id, windows).await?;
        ok(pb::SetWeeklyTemplateResponse {
            windows: windows_out(&saved),
        })
    }

    async fn get_weekly_template(
        &self,
        req: Request<pb::GetWeeklyTemplateRequest>,
    ) -> Reply<pb::GetWeeklyTemplateResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.branch_id, "branch_id")?;
        let saved = self.app.get_template(&p, &r.branch_id).await?;
        ok(pb::GetWeeklyTemplateResponse {
            windows: windows_out(&saved),
        })
    }

    async fn generate_slots(
        &self,
        req: Request<pb::GenerateSlotsRequest>,
    ) -> Reply<pb::GenerateSlotsResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.branch_id, "branch_id")?;
        let report = self
            .app
            .generate_slots(&p, &r.branch_id, date(r.from.as_ref()), date(r.to.as_ref()))
            .await?;
        ok(pb::GenerateSlotsResponse {
            created: report.created,
            already_present: report.already_present,
            holidays_skipped: report.holidays_skipped,
        })
    }

    async fn search_availability(
        &self,
        req: Request<pb::SearchAvailabilityRequest>,
    ) -> Reply<pb::SearchAvailabilityResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        require(&mut v, &r.branch_id, "branch_id");
        require(&mut v, &r.package_id, "package_id");
        v.into_result()?;
        let slots = self
            .app
            .search_availability(
                &p,
                &r.branch_id,
                &r.package_id,
                date(r.from.as_ref()),
                date(r.to.as_ref()),
            )
            .await?;
        ok(pb::SearchAvailabilityResponse {
            slots: slots.iter().map(slot_out).collect(),
        })
    }

    async fn book_appointment(
        &self,
        req: Request<pb::BookAppointmentRequest>,
    ) -> Reply<pb::BookAppointmentResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        require(&mut v, &r.slot_id, "slot_id");
        require(&mut v, &r.package_id, "package_id");
        let c = r.customer.unwrap_or_default();
        let customer = Customer::parse(&c.customer_id, &c.name, &c.phone, "customer.", &mut v);
        v.check(
            !self.require_customer_id || !c.customer_id.trim().is_empty(),
            "customer.customer_id",
            "required: find or create the customer in the contact service first",
        );
        service_kit::requests::check_request_id(&r.request_id, &mut v);
        v.into_result()?;
        let cmd = app::BookCommand {
            request_id: r.request_id,
            slot_id: r.slot_id,
            package_id: r.package_id,
            customer: customer.expect("validated"),
        };
        let apt = self.app.book(&p, cmd).await?;
        ok(pb::BookAppointmentResponse {
            appointment: Some(appointment_out(&apt)),
        })
    }

    async fn get_appointment(
        &self,
        req: Request<pb::GetAppointmentRequest>,
    ) -> Reply<pb::GetAppointmentResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.appointment_id, "appointment_id")?;
        let (apt, items) = self.app.appointment_detail(&p, &r.appointment_id).await?;
        ok(pb::GetAppointmentResponse {
            appointment: Some(appointment_detail_out(&apt, &items)),
        })
    }

    async fn list_appointments(
        &self,
        req: Request<pb::ListAppointmentsRequest>,
    ) -> Reply<pb::ListAppointmentsResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        edge::optional_id(&mut v, &r.branch_id, "branch_id");
        let date = match r.date.as_ref() {
            None => None,
            some => required_date(some, "date", &mut v),
        };
        let phone = if r.customer_phone.is_empty() {
            String::new()
        } else {
            match crate::domain::customer::Phone::parse(&r.customer_phone) {
                Some(p) => p.digits().to_owned(),
                None => {
                    v.add("customer_phone", "must be an 11-digit mobile number");
                    String::new()
                }
            }
        };
        if r.branch_id.is_empty()
            && !matches!(p.scope, OrgScope::Branch(_))
            && date.is_none()
            && phone.is_empty()
        {
            v.add(
                "branch_id",
                "required unless a date or a phone narrows the search",
            );
        }
        v.into_result()?;
        let query = app::ListAppointments {
            branch_id: r.branch_id,
            date,
            status: status_filter(r.status)?,
            phone,
            page_size: r.page_size,
            page_token: r.page_token,
        };
        let (page, next) = self.app.list_appointments(&p, query).await?;
        ok(pb::ListAppointmentsResponse {
            appointments: page.iter().map(appointment_out).collect(),
            next_page_token: next,
        })
    }

    async fn reschedule_appointment(
        &self,
        req: Request<pb::RescheduleAppointmentRequest>,
    ) -> Reply<pb::RescheduleAppointmentResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        require(&mut v, &r.appointment_id, "appointment_id");
        require(&mut v, &r.new_slot_id, "new_slot_id");
        v.into_result()?;
        let apt = self
            .app
            .reschedule(&p, &r.appointment_id, &r.new_slot_id, r.expected_version)
            .await?;
        ok(pb::RescheduleAppointmentResponse {
            appointment: Some(appointment_out(&apt)),
        })
    }

    async fn cancel_appointment(
        &self,
        req: Request<pb::CancelAppointmentRequest>,
    ) -> Reply<pb::CancelAppointmentResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        require(&mut v, &r.appointment_id, "appointment_id");
        let note = service_kit::rules::note(&mut v, "note", &r.note, 500, false);
        v.into_result()?;
        let reason = cancel_reason(r.reason)?;
        let apt = self.app.cancel(&p, &r.appointment_id, reason, note).await?;
        ok(pb::CancelAppointmentResponse {
            appointment: Some(appointment_out(&apt)),
        })
    }

    async fn mark_no_show(
        &self,
        req: Request<pb::MarkNoShowRequest>,
    ) -> Reply<pb::MarkNoShowResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.appointment_id, "appointment_id")?;
        let apt = self.app.mark_no_show(&p, &r.appointment_id).await?;
        ok(pb::MarkNoShowResponse {
            appointment: Some(appointment_out(&apt)),
        })
    }

    async fn list_appointment_history(
        &self,
        req: Request<pb::ListAppointmentHistoryRequest>,
    ) -> Reply<pb::ListAppointmentHistoryResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.appointment_id, "appointment_id")?;
        let changes = self.app.history(&p, &r.appointment_id).await?;
        ok(pb::ListAppointmentHistoryResponse {
            changes: changes.iter().map(change_out).collect(),
        })
    }

    async fn check_in(&self, req: Request<pb::CheckInRequest>) -> Reply<pb::CheckInResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.appointment_id, "appointment_id")?;
        let visit = self.app.check_in(&p, &r.appointment_id).await?;
        ok(pb::CheckInResponse {
            visit: Some(visit_out(&visit, self.clock.now())),
        })
    }

    async fn get_visit(&self, req: Request<pb::GetVisitRequest>) -> Reply<pb::GetVisitResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.appointment_id, "appointment_id")?;
        let visit = self.app.get_visit(&p, &r.appointment_id).await?;
        ok(pb::GetVisitResponse {
            visit: Some(visit_out(&visit, self.clock.now())),
        })
    }

    async fn call_next(&self, req: Request<pb::CallNextRequest>) -> Reply<pb::CallNextResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        require(&mut v, &r.branch_id, "branch_id");
        require(&mut v, &r.exam_item_id, "exam_item_id");
        v.into_result()?;
        let entry = self
            .app
            .call_next(&p, &r.branch_id, &r.exam_item_id)
            .await?;
        let now = self.clock.now();
        ok(pb::CallNextResponse {
            entry: entry.map(|e| entry_out(&e, now)),
        })
    }

    async fn start_exam_item(
        &self,
        req: Request<pb::StartExamItemRequest>,
    ) -> Reply<pb::StartExamItemResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.entry_id, "entry_id")?;
        let entry = self.app.start_item(&p, &r.entry_id).await?;
        ok(pb::StartExamItemResponse {
            entry: Some(entry_out(&entry, self.clock.now())),
        })
    }

    async fn complete_exam_item(
        &self,
        req: Request<pb::CompleteExamItemRequest>,
    ) -> Reply<pb::CompleteExamItemResponse> {
        let p = principal(&req)?;
        let r = req.into_inner();
        required(&r.entry_id, "entry_id")?;
        let visit = self.app.complete_item(&p, &r.entry_id).await?;
        ok(pb::CompleteExamItemResponse {
            visit: Some(visit_out(&visit, self.clock.now())),
        })
    }

    async fn add_complimentary_item(
        &self,
        req: Request<pb::AddComplimentaryItemRequest>,
    ) -> Reply<pb::AddComplimentaryItemResponse> {
        let p = principal(&req)?;
        // Validated by the use case, so every bad field is named at once.
        let cmd = grant_in(req.into_inner());
        let g = self.app.add_complimentary_item(&p, cmd).await?;
        ok(pb::AddComplimentaryItemResponse {
            item: Some(complimentary_out(&g.item)),
            appointment: Some(appointment_detail_out(&g.appointment, &g.items)),
        })
    }

    async fn set_recovery_policy(
        &self,
        req: Request<pb::SetRecoveryPolicyRequest>,
    ) -> Reply<pb::SetRecoveryPolicyResponse> {
        let p = principal(&req)?;
        ok(recovery::set_policy(&self.app, &p, req.into_inner()).await?)
    }

    async fn get_recovery_policy(
        &self,
        req: Request<pb::GetRecoveryPolicyRequest>,
    ) -> Reply<pb::GetRecoveryPolicyResponse> {
        let p = principal(&req)?;
        ok(recovery::get_policy(&self.app, &p, req.into_inner()).await?)
    }

    async fn list_recovery_due(
        &self,
        req: Request<pb::ListRecoveryDueRequest>,
    ) -> Reply<pb::ListRecoveryDueResponse> {
        let p = principal(&req)?;
        ok(recovery::list_due(&self.app, &p, req.into_inner()).await?)
    }

    async fn decide_recovery(
        &self,
        req: Request<pb::DecideRecoveryRequest>,
    ) -> Reply<pb::DecideRecoveryResponse> {
        let p = principal(&req)?;
        ok(recovery::decide(&self.app, &p, req.into_inner()).await?)
    }

    async fn name_recovery_deputy(
        &self,
        req: Request<pb::NameRecoveryDeputyRequest>,
    ) -> Reply<pb::NameRecoveryDeputyResponse> {
        let p = principal(&req)?;
        ok(recovery::name_deputy(&self.app, &p, req.into_inner()).await?)
    }

    type SubscribeStream = ReplyStream<pb::SubscribeResponse>;

    async fn subscribe(&self, req: Request<pb::SubscribeRequest>) -> Reply<Self::SubscribeStream> {
        let p = principal(&req)?;
        p.require_role(app::roles::SUBSCRIBE, "read the event feed")?;
        let r = req.into_inner();
        if !r.branch_id.is_empty() {
            required(&r.branch_id, "branch_id")?;
            self.app.get_branch(&p, &r.branch_id).await?;
        }
        ok(edge::subscription(
            self.app.outbox(),
            &p,
            r.after,
            r.branch_id,
            |e: &mut pb::SchedulingEvent, position| e.position = position,
            |event| pb::SubscribeResponse { event: Some(event) },
        ))
    }
}
