//! The rules, without I/O: who a customer is and how they may be reached, when a visit's
//! reminders go out, and what is checked when one is due; follow-up plans and their calls,
//! the planned load, surveys and segments.

pub mod call;
pub mod customer;
pub mod followup;
pub mod followup_vocab;
pub mod load;
pub mod plan;
pub mod reminder;
pub mod survey;
pub mod task;
pub mod vocab;
