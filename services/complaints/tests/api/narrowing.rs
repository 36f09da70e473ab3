//! Narrowing a list, a figure or the feed to a branch or region outside the caller's scope
//! is `PERMISSION_DENIED` for every scoped role, never an empty answer; narrowing inside
//! the scope answers.

use hospital_proto::complaints as pb;
use service_kit::auth::{OrgScope, Role};
use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(every_list_figure_and_feed_refuses_a_narrowing_outside_the_callers_scope);

fn period() -> Option<pb::Period> {
    Some(pb::Period {
        from: Some(date(2026, 11, 1)),
        to: Some(date(2026, 12, 31)),
    })
}

async fn every_list_figure_and_feed_refuses_a_narrowing_outside_the_callers_scope(
    backend: Backend,
) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let callers =
        test_support::scoped_callers(&s.world, "guangdong", "shenzhen", &f.shenzhen.branch_id);
    assert_eq!(callers.len(), 19);
    let foreign_branch = f.shanghai.branch_id.clone();
    let mut c = s.client();
    let mut checked = 0;
    for caller in &callers {
        let (token, what) = (caller.token.as_str(), &caller.label);
        for (branch_id, region_path) in [
            (foreign_branch.clone(), String::new()),
            (String::new(), "shanghai".to_owned()),
        ] {
            test_support::assert_denied(
                c.list_work_orders(req(
                    token,
                    pb::ListWorkOrdersRequest {
                        branch_id: branch_id.clone(),
                        region_path: region_path.clone(),
                        ..Default::default()
                    },
                ))
                .await,
                &format!("ListWorkOrders {branch_id}{region_path}, {what}"),
            );
            test_support::assert_denied(
                c.get_figures(req(
                    token,
                    pb::GetFiguresRequest {
                        period: period(),
                        branch_id: branch_id.clone(),
                        region_path: region_path.clone(),
                    },
                ))
                .await,
                &format!("GetFigures {branch_id}{region_path}, {what}"),
            );
            checked += 2;
        }
        test_support::assert_denied(
            c.subscribe(req(
                token,
                pb::SubscribeRequest {
                    after: 0,
                    branch_id: foreign_branch.clone(),
                },
            ))
            .await,
            &format!("Subscribe, {what}"),
        );
        checked += 1;
    }
    assert_eq!(checked, 5 * (7 + 7 + 7 - 2));

    // Inside the scope the same narrowing answers.
    let director = director(&s, &f.shenzhen);
    c.list_work_orders(req(
        &director,
        pb::ListWorkOrdersRequest {
            branch_id: f.shenzhen.branch_id.clone(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    let region = s.token(
        "gm",
        Role::RegionAdmin,
        OrgScope::Region("guangdong".into()),
    );
    c.get_figures(req(
        &region,
        pb::GetFiguresRequest {
            period: period(),
            branch_id: String::new(),
            region_path: "guangdong/shenzhen".into(),
        },
    ))
    .await
    .unwrap();
    c.subscribe(req(
        &director,
        pb::SubscribeRequest {
            after: 0,
            branch_id: f.shenzhen.branch_id.clone(),
        },
    ))
    .await
    .unwrap();
    s.stop().await;
}
