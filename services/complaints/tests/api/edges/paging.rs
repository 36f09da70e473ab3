//! Page tokens the service issued, and page sizes that are not negative.

use hospital_proto::complaints as pb;
use test_support::backend_tests;
use tonic::Status;

use super::{Client, expect_refused, known, none_broken, one_mib};
use crate::helpers::*;

backend_tests!(every_list_accepts_only_page_tokens_it_issued_and_no_negative_page_size);

/// One page of `rpc`: the ids on it and the next page's token.
async fn page(
    c: &mut Client,
    t: &str,
    work_order_id: &str,
    rpc: &str,
    page_size: i32,
    page_token: &str,
) -> Result<(Vec<String>, String), Status> {
    let page_token = page_token.to_owned();
    Ok(match rpc {
        "ListWorkOrders" => {
            let r = c
                .list_work_orders(req(
                    t,
                    pb::ListWorkOrdersRequest {
                        page_size,
                        page_token,
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            let ids = r.work_orders.into_iter().map(|w| w.work_order_id).collect();
            (ids, r.next_page_token)
        }
        "ListTimeline" => {
            let r = c
                .list_timeline(req(
                    t,
                    pb::ListTimelineRequest {
                        work_order_id: work_order_id.into(),
                        page_size,
                        page_token,
                    },
                ))
                .await?
                .into_inner();
            let ids = r
                .entries
                .into_iter()
                .map(|e| e.sequence.to_string())
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
    let s = spawn(backend).await;
    let (f, ids) = known(&s).await;
    let mut c = s.client();
    let t = s.admin.clone();
    open(&s, &t, intake("edge-page-gz", &f.guangzhou.branch_id)).await;
    open(&s, &t, intake("edge-page-sh", &f.shanghai.branch_id)).await;
    for text in ["第一次回访", "第二次回访"] {
        c.add_note(req(
            &t,
            pb::AddNoteRequest {
                work_order_id: ids.work_order.clone(),
                text: text.into(),
            },
        ))
        .await
        .expect("note");
    }
    let mut failures = Vec::new();
    let mut cases = 0;
    for rpc in ["ListWorkOrders", "ListTimeline"] {
        // Size 0 is the default page, which holds everything here.
        let (all, next) = page(&mut c, &t, &ids.work_order, rpc, 0, "")
            .await
            .unwrap_or_else(|e| panic!("{rpc} with page_size 0: {e:?}"));
        assert!(all.len() >= 3 && next.is_empty(), "{rpc}: {all:?} {next:?}");
        // Page by page, each next_page_token accepted, the same rows in the same order.
        let (mut walked, mut token, mut issued) = (Vec::new(), String::new(), Vec::new());
        loop {
            let (rows, next) = page(&mut c, &t, &ids.work_order, rpc, 1, &token)
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
            let got = page(&mut c, &t, &ids.work_order, rpc, 1, &token)
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
            let got = page(&mut c, &t, &ids.work_order, rpc, size, "")
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
    s.stop().await;
}
