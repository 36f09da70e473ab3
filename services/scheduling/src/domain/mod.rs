//! The scheduling rules: plain types and functions, no I/O, no tonic or sqlx.

pub mod appointment;
pub mod branch;
pub mod calendar;
pub mod catalogue;
pub mod complimentary;
pub mod customer;
pub mod recovery;
pub mod visit;

pub use service_kit::rules::{RuleError, check, printable};
