//! `GetFigures` for a branch scheduling does not know: NOT_FOUND or refused, never
//! UNAVAILABLE.

use test_support::backend_tests;
use tonic::Code;

use super::requests::call;
use super::{Ids, answer, bad_ids, expect_refused, known, none_broken, refuses, short};
use crate::helpers::*;

backend_tests!(figures_for_a_branch_scheduling_does_not_know_are_not_found_never_unavailable);

async fn figures_for_a_branch_scheduling_does_not_know_are_not_found_never_unavailable(
    backend: Backend,
) {
    let mut s = spawn(backend).await;
    let (_, ids) = known(&s).await;
    let mut c = s.client();
    let t = s.admin.clone();
    call(&mut c, &t, &ids, "GetFigures", "branch_id", &ids.branch)
        .await
        .expect("figures of a known branch");
    let mut failures = Vec::new();
    let unknown = [
        ("an unknown branch", Ids::unknown().branch),
        ("an unknown 128-character id", "b".repeat(128)),
        ("an unknown one-character id", "b".into()),
    ];
    for (what, branch_id) in &unknown {
        let got = call(&mut c, &t, &ids, "GetFigures", "branch_id", branch_id).await;
        short(&mut failures, what, &got);
        match &got {
            Err(st) if st.code() == Code::NotFound || refuses(st, "branch_id") => {}
            _ => failures.push(format!("GetFigures.branch_id = {what}: {}", answer(&got))),
        }
    }
    let malformed = bad_ids();
    for (what, branch_id) in &malformed {
        let got = call(&mut c, &t, &ids, "GetFigures", "branch_id", branch_id).await;
        expect_refused(
            &mut failures,
            &format!("GetFigures.branch_id = {what}"),
            "branch_id",
            &got,
        );
    }
    // With scheduling gone, what it would refuse is still refused here, not UNAVAILABLE.
    s.scheduling.stop().await;
    for (what, branch_id) in &malformed {
        let got = call(&mut c, &t, &ids, "GetFigures", "branch_id", branch_id).await;
        expect_refused(
            &mut failures,
            &format!("GetFigures.branch_id = {what} (scheduling down)"),
            "branch_id",
            &got,
        );
    }
    none_broken(&failures, unknown.len() + 2 * malformed.len());
    s.stop().await;
}
