//! The complaint-handling rules: plain types and functions, no I/O, no tonic or sqlx.

pub mod calendar;
pub mod figures;
pub mod lifecycle;
pub mod recovery;
pub mod recovery_figures;
pub mod sla;
pub mod timeline;
pub mod vocab;
pub mod work_order;

pub use service_kit::rules::{RuleError, check, printable};
