//! The suite: every service built so far in one process, for local use and demos.
//! `main.rs` is the `suite up` command; [`seed`] fills an empty system with a demo group and
//! [`demo_complaints`] adds demo work orders.

pub mod demo_complaints;
pub mod seed;
