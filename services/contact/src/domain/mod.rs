//! The rules, without I/O: who a customer is and how they may be reached, when a visit's
//! reminders go out, and what is checked when one is due.

pub mod customer;
pub mod plan;
pub mod reminder;
pub mod vocab;
