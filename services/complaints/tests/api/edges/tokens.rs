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
    "OpenWorkOrder",
    "GetWorkOrder",
    "ListWorkOrders",
    "ListTimeline",
    "AcknowledgeWorkOrder",
    "StartWorkOrder",
    "WaitOnCustomer",
    "ResolveWorkOrder",
    "CloseWorkOrder",
    "ReopenWorkOrder",
    "AddNote",
    "AssignWorkOrder",
    "RecordContactAttempt",
    "RecordSatisfaction",
    "EscalateWorkOrder",
    "GrantCompensation",
    "SetSlaPolicy",
    "ListSlaPolicies",
    "GetFigures",
    "GetRecoveryFigures",
    "GetScorecard",
    "Subscribe",
];

async fn every_rpc_tells_every_refused_token_the_same_thing(backend: Backend) {
    // The table is the contract's whole list, so a new RPC cannot miss the edge tests.
    let mut listed: Vec<_> = RPCS.iter().map(|r| r.to_string()).collect();
    listed.sort();
    let mut contract = test_support::rpc_names("hospital.complaints.v1.ComplaintsService");
    contract.sort();
    assert_eq!(listed, contract, "RPCS lists every RPC of the contract");
    let s = spawn(backend).await;
    let (_, ids) = known(&s).await;
    let mut c = s.client();
    every_rpc_refuses_every_token(&s.world, RPCS, "ListWorkOrders", async |rpc, token| {
        call(&mut c, token, &ids, Case::valid(rpc)).await
    })
    .await;
    s.stop().await;
}
