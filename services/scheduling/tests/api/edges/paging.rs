//! Page tokens the service issued, and page sizes that are not negative: the lists and
//! how to ask for one page; the walk is `test_support::edges`'s.

use hospital_proto::scheduling as pb;
use test_support::backend_tests;
use test_support::edges::{Page, every_list_pages_only_by_its_own_tokens};
use tonic::Status;

use super::{Client, known};
use crate::helpers::*;

backend_tests!(every_list_accepts_only_page_tokens_it_issued_and_no_negative_page_size);

/// One page of `rpc`: the ids on it and the next page's token.
async fn page(
    c: &mut Client,
    t: &str,
    branch_id: &str,
    rpc: &str,
    page_size: i32,
    page_token: String,
) -> Result<Page, Status> {
    Ok(match rpc {
        "ListBranches" => {
            let r = c
                .list_branches(req(
                    t,
                    pb::ListBranchesRequest {
                        page_size,
                        page_token,
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            let ids = r.branches.into_iter().map(|b| b.branch_id).collect();
            (ids, r.next_page_token)
        }
        "ListExamItems" => {
            let r = c
                .list_exam_items(req(
                    t,
                    pb::ListExamItemsRequest {
                        page_size,
                        page_token,
                    },
                ))
                .await?
                .into_inner();
            let ids = r.exam_items.into_iter().map(|i| i.exam_item_id).collect();
            (ids, r.next_page_token)
        }
        "ListPackages" => {
            let r = c
                .list_packages(req(
                    t,
                    pb::ListPackagesRequest {
                        page_size,
                        page_token,
                    },
                ))
                .await?
                .into_inner();
            let ids = r.packages.into_iter().map(|p| p.package_id).collect();
            (ids, r.next_page_token)
        }
        "ListAppointments" => {
            let r = c
                .list_appointments(req(
                    t,
                    pb::ListAppointmentsRequest {
                        branch_id: branch_id.into(),
                        page_size,
                        page_token,
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            let ids = r
                .appointments
                .into_iter()
                .map(|a| a.appointment_id)
                .collect();
            (ids, r.next_page_token)
        }
        "ListRecoveryDue" => {
            let r = c
                .list_recovery_due(req(
                    t,
                    pb::ListRecoveryDueRequest {
                        branch_id: branch_id.into(),
                        page_size,
                        page_token,
                    },
                ))
                .await?
                .into_inner();
            let ids = r.cases.into_iter().map(|c| c.case_id).collect();
            (ids, r.next_page_token)
        }
        other => panic!("not a list: {other}"),
    })
}

async fn every_list_accepts_only_page_tokens_it_issued_and_no_negative_page_size(backend: Backend) {
    let app = spawn_app(backend).await;
    let (f, ids) = known(&app).await;
    let mut c = app.client();
    let t = app.admin.clone();
    create_branch(&app, "EDGE-P2", "guangdong", "guangzhou", 10).await;
    create_branch(&app, "EDGE-P3", "shanghai", "shanghai", 10).await;
    for n in 2..=3 {
        let apt = book(
            &app,
            &t,
            &format!("edge-page-{n}"),
            &f.slot,
            &f.plain_package,
            n,
        )
        .await
        .expect("book");
        check_in(&app, &apt).await;
    }
    // Three visits waiting past the promise: three recovery cases to page through.
    app.advance(31);
    let probe = app.client();
    test_support::eventually("three recovery cases", || {
        let mut probe = probe.clone();
        let t = t.clone();
        async move {
            probe
                .list_recovery_due(req(&t, pb::ListRecoveryDueRequest::default()))
                .await
                .is_ok_and(|r| r.into_inner().cases.len() == 3)
        }
    })
    .await;
    let lists = [
        "ListBranches",
        "ListExamItems",
        "ListPackages",
        "ListAppointments",
        "ListRecoveryDue",
    ];
    every_list_pages_only_by_its_own_tokens(&lists, 2, async |rpc, size, token| {
        page(&mut c, &t, &ids.branch, rpc, size, token).await
    })
    .await;
    app.stop().await;
}
