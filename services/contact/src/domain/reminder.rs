//! A visit as contact knows it (from scheduling's events), its three reminders, and the
//! messages that carry them. What is checked at the moment a reminder is due, and what it
//! says.

use jiff::{Timestamp, tz::TimeZone};

use super::{
    customer::Customer,
    vocab::{Channel, MessageStatus, Purpose, ReminderKind, ReminderStatus, VisitStatus},
};

/// A booked visit, from scheduling's events.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    /// Scheduling's appointment id.
    pub appointment_id: String,
    /// Contact's customer ('' when the booking named none).
    pub customer_id: String,
    /// Why no customer is tied to it ('' when one is).
    pub unlinked_reason: String,
    /// The booking's display copy of the name.
    pub customer_name: String,
    /// The booking's masked phone.
    pub phone_masked: String,
    /// Where.
    pub branch_id: String,
    /// The branch's region, for scope.
    pub region_path: String,
    /// The branch's name, for the message.
    pub branch_name: String,
    /// Its street address ('' when scheduling has none).
    pub branch_address: String,
    /// The branch's brand, whose reminder policy applies.
    pub brand: String,
    /// The package's name.
    pub package_name: String,
    /// Whether the package needs fasting.
    pub fasting: bool,
    /// Arrival window.
    pub starts_at: Timestamp,
    /// End of it.
    pub ends_at: Timestamp,
    /// Where it stands.
    pub status: VisitStatus,
    /// The branch's time zone.
    pub time_zone: String,
}

impl Visit {
    /// The branch's zone (Shanghai when unknown).
    pub fn tz(&self) -> TimeZone {
        TimeZone::get(&self.time_zone)
            .unwrap_or_else(|_| TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC))
    }
}

/// One of a visit's (at most) three reminders.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    /// `rem_…`.
    pub id: String,
    /// The visit.
    pub appointment_id: String,
    /// Which of the three.
    pub kind: ReminderKind,
    /// Where it stands.
    pub status: ReminderStatus,
    /// When it is due.
    pub due_at: Timestamp,
    /// When it went out.
    pub sent_at: Option<Timestamp>,
    /// The channel of its latest message.
    pub channel: Option<Channel>,
    /// Why it was withdrawn or skipped.
    pub reason: String,
}

/// A message handed (or to be handed) to one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// `msg_…`; also the idempotency key the messaging platform sees.
    pub id: String,
    /// The reminder it carries.
    pub reminder_id: String,
    /// To whom.
    pub customer_id: String,
    /// The visit's branch.
    pub branch_id: String,
    /// Its region, for scope.
    pub region_path: String,
    /// How.
    pub channel: Channel,
    /// Where (the address on that channel).
    pub to: String,
    /// What.
    pub body: String,
    /// Where it stands.
    pub status: MessageStatus,
    /// Hand-over attempts so far.
    pub attempts: u32,
    /// When to try again while queued.
    pub next_attempt_at: Option<Timestamp>,
    /// The last failure or receipt detail.
    pub detail: String,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// Why a due reminder is not sent, if it is not: the visit as it now stands, then the
/// customer's wishes. Checked at the moment it is due, never only when planned.
pub fn hold_back(visit: &Visit, customer: Option<&Customer>) -> Option<String> {
    if visit.status != VisitStatus::Booked {
        return Some(format!(
            "the visit is {}",
            visit.status.as_str().to_lowercase()
        ));
    }
    let Some(c) = customer else {
        return Some("no customer record is tied to the booking".into());
    };
    if c.do_not_contact {
        return Some("the customer asked not to be contacted".into());
    }
    if !c.consents_to(Purpose::Reminders) {
        return Some("no consent to reminders".into());
    }
    if c.reachable_channels().is_empty() {
        return Some("no agreed channel reaches the customer".into());
    }
    None
}

/// The channel after `current` in the customer's order, if any.
pub fn next_channel(customer: &Customer, current: Channel) -> Option<Channel> {
    let order = customer.reachable_channels();
    let at = order.iter().position(|c| *c == current)?;
    order.get(at + 1).copied()
}

/// The reminder's text: where, when, what to bring, how to prepare.
pub fn body(kind: ReminderKind, visit: &Visit, customer_name: &str) -> String {
    let tz = visit.tz();
    let from = visit.starts_at.to_zoned_datetime(tz.clone());
    let to = visit.ends_at.to_zoned_datetime(tz);
    let when = match kind {
        ReminderKind::ThreeDaysBefore => "三天后",
        ReminderKind::OneDayBefore => "明天",
        ReminderKind::SameDay => "今天",
    };
    let mut text = format!(
        "{customer_name}您好：您预约了{when}（{}）{}-{}在{}的{}体检，请在该时段内到达。请携带身份证原件。",
        from.strftime("%m月%d日"),
        from.strftime("%H:%M"),
        to.strftime("%H:%M"),
        visit.branch_name,
        visit.package_name,
    );
    if !visit.branch_address.is_empty() {
        text.push_str(&format!("地址：{}。", visit.branch_address));
    }
    if visit.fasting {
        text.push_str("您的套餐含空腹项目：请于检查前一天晚上10点后禁食，检查当天早晨勿进食。");
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::{
        customer::Consent,
        plan::QuietHours,
        vocab::{ConsentMethod, ReminderKind},
    };

    fn visit() -> Visit {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        Visit {
            appointment_id: "apt_1".into(),
            customer_id: "cus_1".into(),
            unlinked_reason: String::new(),
            customer_name: "王女士".into(),
            phone_masked: "139****0001".into(),
            branch_id: "br_1".into(),
            region_path: "guangdong/shenzhen".into(),
            branch_name: "深圳福田体检中心".into(),
            branch_address: "深圳市福田区深南大道3000号".into(),
            brand: "美年大健康".into(),
            package_name: "入职套餐".into(),
            fasting: true,
            starts_at: at("2026-12-10T00:30:00Z"),
            ends_at: at("2026-12-10T01:00:00Z"),
            status: VisitStatus::Booked,
            time_zone: "Asia/Shanghai".into(),
        }
    }

    fn customer() -> Customer {
        Customer {
            id: "cus_1".into(),
            name: "王女士".into(),
            phone: "13900000001".into(),
            gender: None,
            birth_date: None,
            home_branch_id: String::new(),
            home_region_path: String::new(),
            national_id_hash: String::new(),
            national_id_last4: String::new(),
            contact_points: BTreeMap::from([(Channel::WeChat, "wx-1".into())]),
            channel_order: vec![Channel::WeChat, Channel::Sms],
            quiet_hours: QuietHours::default(),
            do_not_contact: false,
            consents: vec![Consent {
                purpose: Purpose::Reminders,
                granted: true,
                method: ConsentMethod::Verbal,
                source: "desk".into(),
                changed_at: Timestamp::UNIX_EPOCH,
            }],
            needs: vec![],
            notes: String::new(),
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            version: 1,
        }
    }

    #[test]
    fn the_text_names_the_branch_the_window_and_the_fast() {
        let b = body(ReminderKind::OneDayBefore, &visit(), "王女士");
        assert!(
            b.contains("明天（12月10日）08:30-09:00在深圳福田体检中心的入职套餐"),
            "{b}"
        );
        assert!(b.contains("地址：深圳市福田区深南大道3000号"), "{b}");
        assert!(b.contains("禁食"), "{b}");
        assert!(!b.contains("1390000"), "no phone number in the text");
    }

    #[test]
    fn a_due_reminder_is_held_back_by_the_visit_and_the_customers_wishes() {
        let c = customer();
        assert_eq!(hold_back(&visit(), Some(&c)), None);
        let mut cancelled = visit();
        cancelled.status = VisitStatus::Cancelled;
        assert_eq!(
            hold_back(&cancelled, Some(&c)).unwrap(),
            "the visit is cancelled"
        );
        let mut withdrawn = c.clone();
        withdrawn.consents[0].granted = false;
        assert!(
            hold_back(&visit(), Some(&withdrawn))
                .unwrap()
                .contains("consent")
        );
        let mut dnc = c.clone();
        dnc.do_not_contact = true;
        assert!(hold_back(&visit(), Some(&dnc)).is_some());
        assert!(hold_back(&visit(), None).is_some());
    }

    #[test]
    fn the_fallback_follows_the_agreed_order() {
        let c = customer();
        assert_eq!(next_channel(&c, Channel::WeChat), Some(Channel::Sms));
        assert_eq!(next_channel(&c, Channel::Sms), None);
    }
}
