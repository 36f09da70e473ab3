//! Page tokens the service issued, and page sizes that are not negative: the lists and
//! how to ask for one page; the walk is `test_support::edges`'s.

use hospital_proto::complaints as pb;
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
    work_order_id: &str,
    rpc: &str,
    page_size: i32,
    page_token: String,
) -> Result<Page, Status> {
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
    let lists = ["ListWorkOrders", "ListTimeline"];
    every_list_pages_only_by_its_own_tokens(&lists, 3, async |rpc, size, token| {
        page(&mut c, &t, &ids.work_order, rpc, size, token).await
    })
    .await;
    s.stop().await;
}
