//! The closed vocabularies of a work order. Stored and published by name (`COMPLAINT`),
//! never by number, so the database reads on its own.

use service_kit::vocabulary;

vocabulary! {
    /// Where a work order came from.
    Channel {
        /// The call centre's hotline.
        Hotline = "HOTLINE",
        /// At the branch.
        OnSite = "ON_SITE",
        /// Web or app.
        Online = "ONLINE",
        /// WeChat.
        WeChat = "WECHAT",
        /// A branch's on-site system through the gateway.
        BranchSystem = "BRANCH_SYSTEM",
        /// A survey answer.
        Survey = "SURVEY",
        /// Opened by the service itself.
        Automatic = "AUTOMATIC",
    }
}

vocabulary! {
    /// What the customer brings.
    Kind {
        /// Something went wrong.
        Complaint = "COMPLAINT",
        /// An idea for doing better.
        Suggestion = "SUGGESTION",
        /// Thanks, naming staff or not.
        Praise = "PRAISE",
        /// The customer needs help (有困难,请找我).
        RequestForHelp = "REQUEST_FOR_HELP",
        /// What a customer told us in a survey or unprompted, not yet classed.
        Feedback = "FEEDBACK",
    }
}

vocabulary! {
    /// What it is about.
    Category {
        /// Staff attitude.
        Attitude = "ATTITUDE",
        /// Waiting time.
        WaitingTime = "WAITING_TIME",
        /// Report accuracy.
        ReportAccuracy = "REPORT_ACCURACY",
        /// Billing.
        Billing = "BILLING",
        /// Environment.
        Environment = "ENVIRONMENT",
        /// Medical care.
        MedicalCare = "MEDICAL_CARE",
        /// Anything else.
        Other = "OTHER",
    }
}

vocabulary! {
    /// How urgent; picks the SLA policy.
    Severity {
        /// Low.
        Low = "LOW",
        /// Medium.
        Medium = "MEDIUM",
        /// High.
        High = "HIGH",
        /// Critical.
        Critical = "CRITICAL",
    }
}

vocabulary! {
    /// Where a work order is in its lifecycle.
    Status {
        /// Opened, nobody has taken it yet.
        New = "NEW",
        /// Someone has taken it.
        Acknowledged = "ACKNOWLEDGED",
        /// Being worked on.
        InProgress = "IN_PROGRESS",
        /// Waiting for the customer; SLA clocks paused.
        WaitingOnCustomer = "WAITING_ON_CUSTOMER",
        /// Resolved, the customer may still answer.
        Resolved = "RESOLVED",
        /// Done.
        Closed = "CLOSED",
    }
}

impl Status {
    /// Whether work is still owed (the resolve clock applies).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed)
    }
}

vocabulary! {
    /// Who holds a work order on the org tree, from the branch up.
    Level {
        /// The branch where it was opened.
        Branch = "BRANCH",
        /// The city's customer-service manager.
        City = "CITY",
        /// The province's.
        Province = "PROVINCE",
        /// The group customer-service centre.
        Group = "GROUP",
    }
}

impl Level {
    /// One level up, `None` at the top.
    pub fn up(self) -> Option<Level> {
        match self {
            Level::Branch => Some(Level::City),
            Level::City => Some(Level::Province),
            Level::Province => Some(Level::Group),
            Level::Group => None,
        }
    }
}

vocabulary! {
    /// A service-recovery gesture.
    CompensationKind {
        /// An exam item added to the visit free of charge.
        ComplimentaryItem = "COMPLIMENTARY_ITEM",
        /// A voucher for a later visit.
        Voucher = "VOUCHER",
        /// Money back.
        Refund = "REFUND",
    }
}

vocabulary! {
    /// Whether a granted compensation has reached the customer.
    Delivery {
        /// Being added to the visit.
        Pending = "PENDING",
        /// Done.
        Delivered = "DELIVERED",
        /// Refused downstream; no longer counts against the cap.
        Failed = "FAILED",
    }
}

vocabulary! {
    /// How a contact attempt went.
    ContactOutcome {
        /// Spoke to the customer.
        Reached = "REACHED",
        /// No answer.
        NoAnswer = "NO_ANSWER",
        /// Left a message.
        LeftMessage = "LEFT_MESSAGE",
        /// The number was wrong.
        WrongNumber = "WRONG_NUMBER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(*s));
        }
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Level::Branch.up(), Some(Level::City));
        assert_eq!(Level::Group.up(), None);
        assert!(Status::WaitingOnCustomer.is_open());
        assert!(!Status::Closed.is_open());
    }
}
