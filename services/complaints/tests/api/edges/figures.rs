//! `GetFigures` for a branch scheduling does not know: NOT_FOUND or refused, never
//! UNAVAILABLE.

use test_support::backend_tests;
use test_support::edges::{Case, answer, none_broken, refuses, refuses_bad_ids, short};
use tonic::Code;

use super::requests::call;
use super::{ID_LOOK, Ids, known};
use crate::helpers::*;

backend_tests!(figures_for_a_branch_scheduling_does_not_know_are_not_found_never_unavailable);

async fn figures_for_a_branch_scheduling_does_not_know_are_not_found_never_unavailable(
    backend: Backend,
) {
    let mut s = spawn(backend).await;
    let (_, ids) = known(&s).await;
    let mut c = s.client();
    let t = s.admin.clone();
    let mut figures = async |branch_id: &str| {
        let case = Case::new("GetFigures", "branch_id", branch_id);
        call(&mut c, &t, &ids, case).await
    };
    figures(&ids.branch)
        .await
        .expect("figures of a known branch");
    let mut failures = Vec::new();
    let unknown = [
        ("an unknown branch", Ids::unknown().branch),
        ("an unknown 128-character id", "b".repeat(128)),
        ("an unknown one-character id", "b".into()),
    ];
    for (what, branch_id) in &unknown {
        let got = figures(branch_id).await;
        short(&mut failures, what, &got);
        match &got {
            Err(st) if st.code() == Code::NotFound || refuses(st, "branch_id") => {}
            _ => failures.push(format!("GetFigures.branch_id = {what}: {}", answer(&got))),
        }
    }
    // With scheduling gone, what it would refuse is still refused here, not UNAVAILABLE.
    let field = [("GetFigures", "branch_id")];
    let mut cases = unknown.len();
    for up in [true, false] {
        if !up {
            s.scheduling.stop().await;
        }
        let context = if up {
            "scheduling up"
        } else {
            "scheduling down"
        };
        cases += refuses_bad_ids(&mut failures, &field, ID_LOOK, context, async |case| {
            call(&mut c, &t, &ids, case).await
        })
        .await;
    }
    none_broken(&failures, cases);
    s.stop().await;
}
