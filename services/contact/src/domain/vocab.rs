//! Contact's closed vocabularies. Stored and published by name (`SMS`), never by number.

use service_kit::vocabulary;

vocabulary! {
    /// A means of reaching a customer.
    Channel {
        /// Text message to the mobile.
        Sms = "SMS",
        /// A call to the mobile.
        PhoneCall = "PHONE_CALL",
        /// WeChat service account.
        WeChat = "WECHAT",
        /// The group's app.
        AppPush = "APP_PUSH",
        /// E-mail.
        Email = "EMAIL",
    }
}

impl Channel {
    /// Whether the channel reaches the customer's mobile number (no separate address).
    pub fn uses_mobile(self) -> bool {
        matches!(self, Channel::Sms | Channel::PhoneCall)
    }
}

vocabulary! {
    /// What a message is for; each purpose needs its own consent.
    Purpose {
        /// Visit reminders.
        Reminders = "REMINDERS",
        /// Follow-up after a visit.
        FollowUp = "FOLLOW_UP",
        /// Satisfaction surveys.
        Surveys = "SURVEYS",
        /// Offers.
        Marketing = "MARKETING",
    }
}

vocabulary! {
    /// How consent was given or withdrawn.
    ConsentMethod {
        /// On paper.
        Written = "WRITTEN",
        /// Told to staff.
        Verbal = "VERBAL",
        /// In the app or on the web.
        Electronic = "ELECTRONIC",
    }
}

vocabulary! {
    /// Gender, as the customer gives it.
    Gender {
        /// Female.
        Female = "FEMALE",
        /// Male.
        Male = "MALE",
    }
}

vocabulary! {
    /// What the branch prepares for on the day.
    Need {
        /// Faint after fasting and the blood draw.
        FastingDiscomfort = "FASTING_DISCOMFORT",
        /// Low blood sugar.
        LowBloodSugar = "LOW_BLOOD_SUGAR",
        /// Children come along.
        ChildrenAlong = "CHILDREN_ALONG",
        /// Mobility help.
        Mobility = "MOBILITY",
        /// Language help.
        Language = "LANGUAGE",
        /// Hearing.
        Hearing = "HEARING",
    }
}

vocabulary! {
    /// The three reminders of a visit.
    ReminderKind {
        /// Three days before, at the policy's time.
        ThreeDaysBefore = "THREE_DAYS_BEFORE",
        /// The day before.
        OneDayBefore = "ONE_DAY_BEFORE",
        /// On the day.
        SameDay = "SAME_DAY",
    }
}

impl ReminderKind {
    /// Days before the visit's local date.
    pub fn days_before(self) -> i64 {
        match self {
            ReminderKind::ThreeDaysBefore => 3,
            ReminderKind::OneDayBefore => 1,
            ReminderKind::SameDay => 0,
        }
    }
}

vocabulary! {
    /// Where a reminder stands.
    ReminderStatus {
        /// Waiting for its instant.
        Planned = "PLANNED",
        /// Handed to a channel.
        Sent = "SENT",
        /// Reported delivered.
        Delivered = "DELIVERED",
        /// Every agreed channel failed.
        Failed = "FAILED",
        /// Never to be sent; the reason says why.
        Withdrawn = "WITHDRAWN",
        /// Its instant had passed when the visit was booked or moved.
        Skipped = "SKIPPED",
    }
}

impl ReminderStatus {
    /// Whether it went out (and so counts towards the visit's three for good).
    pub fn went_out(self) -> bool {
        matches!(
            self,
            ReminderStatus::Sent | ReminderStatus::Delivered | ReminderStatus::Failed
        )
    }
}

vocabulary! {
    /// Where a message stands.
    MessageStatus {
        /// Waiting for the adapter.
        Queued = "QUEUED",
        /// Accepted by the channel.
        Sent = "SENT",
        /// Reported delivered.
        Delivered = "DELIVERED",
        /// Reported undelivered.
        Failed = "FAILED",
        /// Every attempt to hand it over failed.
        DeadLetter = "DEAD_LETTER",
    }
}

vocabulary! {
    /// What a receipt reports.
    DeliveryOutcome {
        /// Reached the customer.
        Delivered = "DELIVERED",
        /// Did not.
        Failed = "FAILED",
    }
}

vocabulary! {
    /// Where a visit stands, as scheduling's events tell it.
    VisitStatus {
        /// Booked (or moved): reminders are due.
        Booked = "BOOKED",
        /// Arrived.
        CheckedIn = "CHECKED_IN",
        /// Done.
        Completed = "COMPLETED",
        /// Cancelled.
        Cancelled = "CANCELLED",
        /// Did not come.
        NoShow = "NO_SHOW",
    }
}
