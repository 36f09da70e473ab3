//! Scheduling fixtures, made through scheduling's gRPC API as any client would: branches
//! with opening hours, holidays, a weekly template and slots; exam items; packages;
//! customers booked and checked in. Every other service's tests build on these.

use hospital_proto::{
    common,
    scheduling::{self as pb, scheduling_service_client::SchedulingServiceClient},
};
use tonic::transport::Channel;

use crate::req;

/// A scheduling client.
pub type Client = SchedulingServiceClient<Channel>;

/// A calendar date on the wire.
pub fn date(year: i32, month: i32, day: i32) -> common::Date {
    common::Date { year, month, day }
}

/// A time of day on the wire.
pub fn tod(hours: i32, minutes: i32) -> common::TimeOfDay {
    common::TimeOfDay { hours, minutes }
}

/// Monday 30 November 2026, the first day of the tests' week.
pub fn monday() -> common::Date {
    date(2026, 11, 30)
}

/// Sunday 6 December 2026, the last day of the tests' week.
pub fn sunday() -> common::Date {
    date(2026, 12, 6)
}

/// A time of day as `(hours, minutes)`.
pub type Hm = (i32, i32);

/// An arrival window, `(start, end)`.
pub type Window = (Hm, Hm);

/// A branch to create: open Monday to Saturday 07:00–12:00 with a 30-minute wait promise,
/// a weekly template of arrival windows on those days, and slots for the tests' week,
/// unless changed.
#[derive(Debug, Clone)]
pub struct BranchSpec {
    /// Branch code, unique in the group; the request id derives from it.
    pub code: String,
    /// Display name; `"<city> <code>"` when empty.
    pub name: String,
    /// Brand.
    pub brand: String,
    /// Province slug.
    pub province: String,
    /// City slug.
    pub city: String,
    /// Weekdays open (1 = Monday … 7 = Sunday).
    pub weekdays: Vec<i32>,
    /// Opening and closing time, each `(hours, minutes)`.
    pub hours: Window,
    /// Closed days.
    pub holidays: Vec<common::Date>,
    /// The wait promise per exam item, in minutes.
    pub wait_promise_minutes: u32,
    /// The whole-visit wait promise, in minutes (0: the service's default).
    pub visit_wait_promise_minutes: u32,
    /// Street address.
    pub address: String,
    /// Weekdays the weekly template has arrival windows on.
    pub template_weekdays: Vec<i32>,
    /// Arrival windows on each of those weekdays, `(start, end)` as `(hours, minutes)`.
    pub windows: Vec<Window>,
    /// Customers per window.
    pub capacity: u32,
    /// Slots are generated for these days (inclusive); none when `None`.
    pub slot_days: Option<(common::Date, common::Date)>,
}

impl BranchSpec {
    /// A branch with the defaults above and three 30-minute windows from 08:00, 50 places
    /// each.
    pub fn new(code: &str, province: &str, city: &str) -> Self {
        Self {
            code: code.into(),
            name: String::new(),
            brand: "美年大健康".into(),
            province: province.into(),
            city: city.into(),
            weekdays: (1..=6).collect(),
            template_weekdays: (1..=6).collect(),
            hours: ((7, 0), (12, 0)),
            holidays: Vec::new(),
            wait_promise_minutes: 30,
            visit_wait_promise_minutes: 0,
            address: format!("{city}市测试路1号"),
            windows: vec![((8, 0), (8, 30)), ((8, 30), (9, 0)), ((9, 0), (9, 30))],
            capacity: 50,
            slot_days: Some((monday(), sunday())),
        }
    }

    /// The same with `capacity` places per window.
    pub fn capacity(mut self, capacity: u32) -> Self {
        self.capacity = capacity;
        self
    }

    /// The same with these arrival windows.
    pub fn windows(mut self, windows: &[Window]) -> Self {
        self.windows = windows.to_vec();
        self
    }

    /// The same with arrival windows only on these weekdays (open hours unchanged).
    pub fn template_weekdays(mut self, weekdays: &[i32]) -> Self {
        self.template_weekdays = weekdays.to_vec();
        self
    }

    /// The same with this display name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }

    /// The same with slots for these days only.
    pub fn slot_days(mut self, from: common::Date, to: common::Date) -> Self {
        self.slot_days = Some((from, to));
        self
    }

    /// The `CreateBranch` request for this branch.
    pub fn request(&self) -> pb::CreateBranchRequest {
        let ((oh, om), (ch, cm)) = self.hours;
        pb::CreateBranchRequest {
            request_id: format!("branch-{}", self.code),
            code: self.code.clone(),
            name: if self.name.is_empty() {
                format!("{} {}", self.city, self.code)
            } else {
                self.name.clone()
            },
            brand: self.brand.clone(),
            region: Some(common::RegionPath {
                province: self.province.clone(),
                city: self.city.clone(),
            }),
            time_zone: String::new(),
            opening_hours: self
                .weekdays
                .iter()
                .map(|&weekday| pb::OpeningHours {
                    weekday,
                    opens: Some(tod(oh, om)),
                    closes: Some(tod(ch, cm)),
                })
                .collect(),
            holidays: self.holidays.clone(),
            wait_promise_minutes: self.wait_promise_minutes,
            fasting_arrival_cutoff: None,
            visit_wait_promise_minutes: self.visit_wait_promise_minutes,
            address: self.address.clone(),
        }
    }
}

/// Creates the branch, its weekly template and its slots.
pub async fn create_branch(c: &mut Client, token: &str, spec: &BranchSpec) -> pb::Branch {
    let branch = c
        .create_branch(req(token, spec.request()))
        .await
        .expect("create branch")
        .into_inner()
        .branch
        .expect("a branch in the reply");
    let windows = spec
        .template_weekdays
        .iter()
        .flat_map(|&weekday| {
            spec.windows
                .iter()
                .map(move |&((sh, sm), (eh, em))| pb::TemplateWindow {
                    weekday,
                    start: Some(tod(sh, sm)),
                    end: Some(tod(eh, em)),
                    capacity: spec.capacity,
                })
        })
        .collect();
    c.set_weekly_template(req(
        token,
        pb::SetWeeklyTemplateRequest {
            branch_id: branch.branch_id.clone(),
            windows,
        },
    ))
    .await
    .expect("set the weekly template");
    if let Some((from, to)) = spec.slot_days {
        c.generate_slots(req(
            token,
            pb::GenerateSlotsRequest {
                branch_id: branch.branch_id.clone(),
                from: Some(from),
                to: Some(to),
            },
        ))
        .await
        .expect("generate slots");
    }
    branch
}

/// An exam item to create.
#[derive(Debug, Clone)]
pub struct ItemSpec {
    /// Item code; the request id derives from it.
    pub code: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Department.
    pub department: &'static str,
    /// Minutes in the exam room.
    pub minutes: u32,
    /// Whether the customer must fast.
    pub fasting: bool,
    /// Position in the route.
    pub order_hint: i32,
    /// List price in fen (CNY); 0 leaves the item unpriced.
    pub price_fen: i64,
}

impl ItemSpec {
    /// A 10-minute item without fasting in 体检科.
    pub fn new(code: &'static str, name: &'static str, order_hint: i32) -> Self {
        Self {
            code,
            name,
            department: "体检科",
            minutes: 10,
            fasting: false,
            order_hint,
            price_fen: 8_000,
        }
    }
}

/// Creates an exam item.
pub async fn create_item(c: &mut Client, token: &str, item: &ItemSpec) -> pb::ExamItem {
    c.create_exam_item(req(
        token,
        pb::CreateExamItemRequest {
            request_id: format!("item-{}", item.code),
            code: item.code.into(),
            name: item.name.into(),
            department: item.department.into(),
            duration_minutes: item.minutes,
            fasting_required: item.fasting,
            order_hint: item.order_hint,
            list_price: (item.price_fen > 0).then(|| common::Money {
                currency_code: "CNY".into(),
                minor_units: item.price_fen,
            }),
        },
    ))
    .await
    .expect("create exam item")
    .into_inner()
    .exam_item
    .expect("an item in the reply")
}

/// Creates a package of `items` priced `price_minor` fen.
pub async fn create_package(
    c: &mut Client,
    token: &str,
    code: &str,
    name: &str,
    items: &[&pb::ExamItem],
    price_minor: i64,
) -> pb::Package {
    c.create_package(req(
        token,
        pb::CreatePackageRequest {
            request_id: format!("pkg-{code}"),
            code: code.into(),
            name: name.into(),
            exam_item_ids: items.iter().map(|i| i.exam_item_id.clone()).collect(),
            price: Some(common::Money {
                currency_code: "CNY".into(),
                minor_units: price_minor,
            }),
        },
    ))
    .await
    .expect("create package")
    .into_inner()
    .package
    .expect("a package in the reply")
}

/// The slots of `branch` where `package` can be booked, from `from` to `to`.
pub async fn slots(
    c: &mut Client,
    token: &str,
    branch_id: &str,
    package_id: &str,
    from: common::Date,
    to: common::Date,
) -> Vec<pb::Slot> {
    c.search_availability(req(
        token,
        pb::SearchAvailabilityRequest {
            branch_id: branch_id.into(),
            package_id: package_id.into(),
            from: Some(from),
            to: Some(to),
        },
    ))
    .await
    .expect("search availability")
    .into_inner()
    .slots
}

/// Customer `n`: 客户n, mobile 139 followed by `n` in eight digits.
pub fn customer(n: u32) -> pb::CustomerInput {
    pb::CustomerInput {
        customer_id: String::new(),
        name: format!("客户{n}"),
        phone: format!("139{n:08}"),
    }
}

/// Books `customer` into `slot_id` for `package_id`.
pub async fn book(
    c: &mut Client,
    token: &str,
    request_id: &str,
    slot_id: &str,
    package_id: &str,
    customer: pb::CustomerInput,
) -> Result<pb::Appointment, tonic::Status> {
    c.book_appointment(req(
        token,
        pb::BookAppointmentRequest {
            request_id: request_id.into(),
            slot_id: slot_id.into(),
            package_id: package_id.into(),
            customer: Some(customer),
        },
    ))
    .await
    .map(|r| {
        r.into_inner()
            .appointment
            .expect("an appointment in the reply")
    })
}

/// Checks the appointment's customer in (the clock must be within the arrival window) and
/// returns the visit with its queue entries.
pub async fn check_in(c: &mut Client, token: &str, appointment_id: &str) -> pb::Visit {
    c.check_in(req(
        token,
        pb::CheckInRequest {
            appointment_id: appointment_id.into(),
        },
    ))
    .await
    .expect("check in")
    .into_inner()
    .visit
    .expect("a visit in the reply")
}

/// Serves a checked-in visit to the end: for each item in turn, the station calls the
/// customer, starts and completes the exam (no time passes). Returns the completed visit.
pub async fn complete_visit(
    c: &mut Client,
    token: &str,
    branch_id: &str,
    appointment_id: &str,
) -> pb::Visit {
    loop {
        let visit = c
            .get_visit(req(
                token,
                pb::GetVisitRequest {
                    appointment_id: appointment_id.into(),
                },
            ))
            .await
            .expect("get the visit")
            .into_inner()
            .visit
            .expect("a visit in the reply");
        if visit.completed {
            return visit;
        }
        let waiting = visit
            .entries
            .iter()
            .find(|e| e.status == pb::QueueEntryStatus::Waiting as i32)
            .expect("an item in a queue")
            .clone();
        let called = c
            .call_next(req(
                token,
                pb::CallNextRequest {
                    branch_id: branch_id.into(),
                    exam_item_id: waiting.exam_item_id.clone(),
                },
            ))
            .await
            .expect("call the next customer")
            .into_inner()
            .entry
            .expect("the waiting customer is called");
        c.start_exam_item(req(
            token,
            pb::StartExamItemRequest {
                entry_id: called.entry_id.clone(),
            },
        ))
        .await
        .expect("start the exam");
        c.complete_exam_item(req(
            token,
            pb::CompleteExamItemRequest {
                entry_id: called.entry_id,
            },
        ))
        .await
        .expect("complete the exam");
    }
}

/// Books customer `n` at `branch` into the first slot of Monday for `package`, and checks
/// them in.
pub async fn booked_and_checked_in(
    c: &mut Client,
    token: &str,
    branch: &pb::Branch,
    package: &pb::Package,
    n: u32,
) -> pb::Appointment {
    let slots = slots(
        c,
        token,
        &branch.branch_id,
        &package.package_id,
        monday(),
        monday(),
    )
    .await;
    let apt = book(
        c,
        token,
        &format!("book-{}-{n}", branch.code),
        &slots.first().expect("a Monday slot").slot_id,
        &package.package_id,
        customer(n),
    )
    .await
    .expect("book");
    check_in(c, token, &apt.appointment_id).await;
    apt
}
