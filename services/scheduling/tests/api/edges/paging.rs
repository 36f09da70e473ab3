//! Page tokens the service issued, and page sizes that are not negative.

use hospital_proto::scheduling as pb;
use test_support::backend_tests;
use tonic::Status;

use super::{Client, expect_refused, known, none_broken, one_mib};
use crate::helpers::*;

backend_tests!(every_list_accepts_only_page_tokens_it_issued_and_no_negative_page_size);

/// One page of `rpc`: the ids on it and the next page's token.
async fn page(
    c: &mut Client,
    t: &str,
    branch_id: &str,
    rpc: &str,
    page_size: i32,
    page_token: &str,
) -> Result<(Vec<String>, String), Status> {
    let page_token = page_token.to_owned();
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
        other => panic!("not a list: {other}"),
    })
}

/// `token` with its last character changed: the checksum no longer matches.
fn tampered(token: &str) -> String {
    let mut t = token.to_owned();
    let last = t.pop().expect("a non-empty token");
    t.push(if last == '0' { '1' } else { '0' });
    t
}

async fn every_list_accepts_only_page_tokens_it_issued_and_no_negative_page_size(backend: Backend) {
    let app = spawn_app(backend).await;
    let (f, ids) = known(&app).await;
    let mut c = app.client();
    let t = app.admin.clone();
    create_branch(&app, "EDGE-P2", "guangdong", "guangzhou", 10).await;
    create_branch(&app, "EDGE-P3", "shanghai", "shanghai", 10).await;
    for n in 2..=3 {
        book(
            &app,
            &t,
            &format!("edge-page-{n}"),
            &f.slot,
            &f.plain_package,
            n,
        )
        .await
        .expect("book");
    }
    let lists = [
        "ListBranches",
        "ListExamItems",
        "ListPackages",
        "ListAppointments",
    ];
    let mut failures = Vec::new();
    let mut cases = 0;
    for rpc in lists {
        // Size 0 is the default page, which holds everything here.
        let (all, next) = page(&mut c, &t, &ids.branch, rpc, 0, "")
            .await
            .unwrap_or_else(|e| panic!("{rpc} with page_size 0: {e:?}"));
        assert!(all.len() >= 2 && next.is_empty(), "{rpc}: {all:?} {next:?}");
        // Page by page, each next_page_token accepted, the same rows in the same order.
        let (mut walked, mut token, mut issued) = (Vec::new(), String::new(), Vec::new());
        loop {
            let (rows, next) = page(&mut c, &t, &ids.branch, rpc, 1, &token)
                .await
                .unwrap_or_else(|e| panic!("{rpc} with its own token {token:?}: {e:?}"));
            walked.extend(rows);
            if next.is_empty() {
                break;
            }
            assert!(walked.len() <= all.len(), "{rpc} pages without end");
            issued.push(next.clone());
            token = next;
        }
        assert_eq!(walked, all, "{rpc}: paging by one");
        let real = issued.first().expect("a token was issued").clone();
        let bad_tokens = [
            ("garbage", "garbage".to_owned()),
            ("a made-up p1 token", "p1.41.00000000".to_owned()),
            ("a tampered token", tampered(&real)),
            ("a token with a NUL", format!("{real}\0")),
            ("1 MiB", one_mib()),
        ];
        for (what, token) in bad_tokens {
            cases += 1;
            let got = page(&mut c, &t, &ids.branch, rpc, 1, &token)
                .await
                .map(|_| ());
            expect_refused(
                &mut failures,
                &format!("{rpc}.page_token = {what}"),
                "page_token",
                &got,
            );
        }
        for size in [-1, i32::MIN] {
            cases += 1;
            let got = page(&mut c, &t, &ids.branch, rpc, size, "")
                .await
                .map(|_| ());
            expect_refused(
                &mut failures,
                &format!("{rpc}.page_size = {size}"),
                "page_size",
                &got,
            );
        }
    }
    none_broken(&failures, cases);
    app.stop().await;
}
