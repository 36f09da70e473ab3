//! The suite: every service built so far in one process, for local use and demos.
//! `main.rs` is the `suite up` command; [`seed`] fills an empty system with a demo group and
//! [`demo_complaints`] adds demo work orders, [`demo_contact`] demo customers and visits.

pub mod demo_complaints;
pub mod demo_contact;
pub mod seed;
