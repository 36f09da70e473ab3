//! The follow-up vocabularies: outcomes, plans, tasks, segments, leads and surveys. Stored
//! and published by name, never by number.

use service_kit::vocabulary;

vocabulary! {
    /// What the health manager or doctor found, after the report.
    VisitOutcome {
        /// Nothing to follow up medically.
        Normal = "NORMAL",
        /// Something needs explaining.
        Abnormal = "ABNORMAL",
        /// A serious positive finding (危急值).
        CriticalFinding = "CRITICAL_FINDING",
        /// The customer had an operation.
        AfterOperation = "AFTER_OPERATION",
    }
}

vocabulary! {
    /// A follow-up plan, each from its own template.
    PlanKind {
        /// A normal result at a first visit.
        FirstVisit = "FIRST_VISIT",
        /// A normal result for a returning customer: two tracks.
        Returning = "RETURNING",
        /// A report to explain.
        Abnormal = "ABNORMAL",
        /// A serious finding.
        CriticalFinding = "CRITICAL_FINDING",
        /// Calls over the year after an operation.
        AfterOperation = "AFTER_OPERATION",
        /// Periodic care calls.
        LongTerm = "LONG_TERM",
        /// A prospect's introduction call.
        Lead = "LEAD",
    }
}

vocabulary! {
    /// Where a plan stands.
    PlanStatus {
        /// Tasks open.
        Active = "ACTIVE",
        /// Every task settled.
        Completed = "COMPLETED",
        /// No calls will be made; the reason says why.
        Withdrawn = "WITHDRAWN",
    }
}

vocabulary! {
    /// What a task needs of the agent.
    Skill {
        /// Health managers, doctors, medical assistants.
        Medical = "MEDICAL",
        /// Customer service.
        CustomerService = "CUSTOMER_SERVICE",
        /// Calls to prospects.
        Sales = "SALES",
    }
}

vocabulary! {
    /// Which team a template's task goes to, relative to the visit's branch.
    TeamLevel {
        /// The branch's own team.
        Branch = "BRANCH",
        /// The city call centre.
        City = "CITY",
        /// The group call centre.
        Group = "GROUP",
    }
}

vocabulary! {
    /// Where a task stands.
    TaskStatus {
        /// Not claimable yet: before it opens, in a retry pause, or waiting for a call-back
        /// time. The sweep moves it to the queue when its time comes.
        Scheduled = "SCHEDULED",
        /// In the queue.
        Open = "OPEN",
        /// An agent has it.
        Claimed = "CLAIMED",
        /// Reached.
        Done = "DONE",
        /// Attempts ran out or the number was wrong.
        Unreached = "UNREACHED",
        /// The customer declined.
        Refused = "REFUSED",
        /// Not to be made (consent, do not contact).
        Withdrawn = "WITHDRAWN",
        /// No longer needed.
        Cancelled = "CANCELLED",
    }
}

impl TaskStatus {
    /// Whether the task still waits for a call.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            TaskStatus::Scheduled | TaskStatus::Open | TaskStatus::Claimed
        )
    }

    /// Waiting for a call from `ready_at`: in the queue when that has come, else scheduled.
    pub fn waiting(ready_at: jiff::Timestamp, now: jiff::Timestamp) -> Self {
        if ready_at <= now {
            TaskStatus::Open
        } else {
            TaskStatus::Scheduled
        }
    }
}

vocabulary! {
    /// How a call went.
    CallOutcome {
        /// Spoke with the customer.
        Reached = "REACHED",
        /// Nobody answered.
        NoAnswer = "NO_ANSWER",
        /// Not the customer's number.
        WrongNumber = "WRONG_NUMBER",
        /// Asked to be called at another time.
        CallBack = "CALL_BACK",
        /// Declined the call.
        Refused = "REFUSED",
    }
}

vocabulary! {
    /// Who holds an overdue task besides its team.
    EscalationLevel {
        /// Nobody yet.
        None = "NONE",
        /// The branch's director.
        BranchDirector = "BRANCH_DIRECTOR",
        /// The region over the branch.
        Region = "REGION",
        /// The group customer-service centre.
        Group = "GROUP",
    }
}

vocabulary! {
    /// A customer's group for follow-up.
    Segment {
        /// A lead who never visited.
        Prospect = "PROSPECT",
        /// One visit.
        FirstVisit = "FIRST_VISIT",
        /// Two or more completed visits.
        Returning = "RETURNING",
        /// A year or more, or followed through a year after an operation.
        LongTerm = "LONG_TERM",
    }
}

vocabulary! {
    /// Where a lead stands.
    LeadStatus {
        /// Waiting for the call or a booking.
        Open = "OPEN",
        /// Booked.
        Converted = "CONVERTED",
        /// Already a customer with visits.
        ExistingCustomer = "EXISTING_CUSTOMER",
        /// May not be called.
        NotContactable = "NOT_CONTACTABLE",
    }
}

vocabulary! {
    /// Where a survey stands.
    SurveyStatus {
        /// Waiting for its instant.
        Planned = "PLANNED",
        /// Handed to a channel.
        Sent = "SENT",
        /// Answered.
        Answered = "ANSWERED",
        /// Not sent; the reason says why.
        Withdrawn = "WITHDRAWN",
        /// Every attempt failed.
        Failed = "FAILED",
    }
}
