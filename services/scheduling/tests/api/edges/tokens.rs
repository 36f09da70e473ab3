//! Tokens: every RPC tells every refused token the same thing (the tokens and the check
//! are `test_support::edges`'s).

use test_support::backend_tests;
use test_support::edges::{Case, every_rpc_refuses_every_token};

use super::known;
use super::requests::call;
use crate::helpers::*;

backend_tests!(every_rpc_tells_every_refused_token_the_same_thing);

/// Every RPC of the service.
const RPCS: &[&str] = &[
    "CreateBranch",
    "UpdateBranch",
    "GetBranch",
    "ListBranches",
    "CreateExamItem",
    "ListExamItems",
    "CreatePackage",
    "GetPackage",
    "ListPackages",
    "SetWeeklyTemplate",
    "GetWeeklyTemplate",
    "GenerateSlots",
    "SearchAvailability",
    "BookAppointment",
    "GetAppointment",
    "ListAppointments",
    "RescheduleAppointment",
    "CancelAppointment",
    "MarkNoShow",
    "ListAppointmentHistory",
    "CheckIn",
    "GetVisit",
    "CallNext",
    "StartExamItem",
    "CompleteExamItem",
    "AddComplimentaryItem",
    "Subscribe",
];

async fn every_rpc_tells_every_refused_token_the_same_thing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, ids) = known(&app).await;
    let mut c = app.client();
    every_rpc_refuses_every_token(&app.world, RPCS, "ListBranches", async |rpc, token| {
        call(&mut c, token, &ids, Case::valid(rpc)).await
    })
    .await;
    app.stop().await;
}
