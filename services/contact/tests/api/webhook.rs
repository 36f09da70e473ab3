//! The webhook adapter against a real HTTP server on a local port: signed JSON under the
//! message's idempotency key, retries with backoff, the dead letter, the fallback channel,
//! receipts, a restart mid-retry; nothing lost and nothing accepted twice.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use bytes::Bytes;
use contact_service::adapters::{IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signature};
use hospital_proto::contact as pb;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode, body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use secrecy::SecretString;
use tokio::net::TcpListener;

use crate::helpers::*;

backend_tests!(the_platform_down_then_back_loses_nothing_and_takes_nothing_twice);

const SECRET: &str = "platform-shared-secret";

/// One request as the platform saw it.
#[derive(Debug, Clone)]
struct Seen {
    key: String,
    channel: String,
    signed: bool,
    answered: u16,
}

#[derive(Default)]
struct State {
    seen: Vec<Seen>,
    /// Channels that answer 503.
    down: Vec<String>,
}

/// A messaging platform on a local port.
async fn platform(state: Arc<Mutex<State>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let state = state.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let state = state.clone();
                    async move {
                        let key = req
                            .headers()
                            .get(IDEMPOTENCY_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        let sig = req
                            .headers()
                            .get(SIGNATURE_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                        let channel = json["channel"].as_str().unwrap_or_default().to_owned();
                        let mut st = state.lock().unwrap();
                        let status = if st.down.contains(&channel) { 503 } else { 200 };
                        st.seen.push(Seen {
                            key: key.clone(),
                            channel,
                            signed: sig == signature(SECRET.as_bytes(), &body)
                                && json["message_id"] == key.as_str(),
                            answered: status,
                        });
                        Ok::<_, Infallible>(
                            Response::builder()
                                .status(StatusCode::from_u16(status).unwrap())
                                .body(Full::new(Bytes::from_static(b"{}")))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn seen(state: &Arc<Mutex<State>>) -> Vec<Seen> {
    state.lock().unwrap().seen.clone()
}

/// Waits (the sweep runs every 20 ms, but a loaded machine may be slower) until the
/// platform has seen `n` requests; what it saw.
async fn seen_reaches(state: &Arc<Mutex<State>>, n: usize) -> Vec<Seen> {
    until(&format!("{n} requests at the platform"), || async {
        let got = seen(state);
        (got.len() >= n).then_some(got)
    })
    .await
}

fn set_down(state: &Arc<Mutex<State>>, channels: &[&str]) {
    state.lock().unwrap().down = channels.iter().map(|c| c.to_string()).collect();
}

async fn report(
    s: &Suite,
    message_id: &str,
    outcome: pb::DeliveryOutcome,
) -> pb::ReportDeliveryResponse {
    s.client()
        .report_delivery(req(
            &s.admin,
            pb::ReportDeliveryRequest {
                message_id: message_id.into(),
                outcome: outcome as i32,
                detail: String::new(),
            },
        ))
        .await
        .expect("receipt")
        .into_inner()
}

async fn the_platform_down_then_back_loses_nothing_and_takes_nothing_twice(backend: Backend) {
    let state = Arc::new(Mutex::new(State::default()));
    let addr = platform(state.clone()).await;
    let mut s = spawn_with(backend, |c| {
        c.delivery.adapter = "webhook".into();
        c.delivery.webhook_url = Some(format!("http://{addr}/messages"));
        c.delivery.webhook_secret = Some(SecretString::from(SECRET));
        c.delivery.max_attempts = 3;
        c.delivery.backoff_ms = 60_000;
        c.delivery.timeout_ms = 2_000;
    })
    .await;
    let f = fixture(&s).await;
    let c = customer(&s, 1).await;
    // WeChat first, SMS as the fallback.
    s.client()
        .set_contact_preferences(req(
            &agent(&s),
            pb::SetContactPreferencesRequest {
                customer_id: c.customer_id.clone(),
                contact_points: vec![pb::ContactPoint {
                    channel: pb::Channel::Wechat as i32,
                    address: "wx-open-id-0001".into(),
                }],
                channel_order: vec![pb::Channel::Wechat as i32, pb::Channel::Sms as i32],
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let apt = book(&s, &f, &f.plain, &c, "2026-12-03", 8, 30).await;
    planned(&s, &apt.appointment_id).await;

    // 1. WeChat's gateway is down: three attempts a minute, then two apart; then the dead
    //    letter, and the same reminder goes by SMS.
    set_down(&state, &["WECHAT"]);
    s.at("2026-11-30T10:00").await;
    seen_reaches(&state, 1).await;
    s.at("2026-11-30T10:01").await;
    seen_reaches(&state, 2).await;
    s.at("2026-11-30T10:02").await;
    assert_eq!(
        seen(&state).len(),
        2,
        "backing off: the third attempt is at 10:03"
    );
    s.at("2026-11-30T10:03").await;
    let got = seen_reaches(&state, 4).await;
    assert_eq!(
        got.iter()
            .map(|x| (x.channel.as_str(), x.answered))
            .collect::<Vec<_>>(),
        [
            ("WECHAT", 503),
            ("WECHAT", 503),
            ("WECHAT", 503),
            ("SMS", 200)
        ]
    );
    assert!(
        got[..3].iter().all(|x| x.key == got[0].key),
        "one idempotency key per message"
    );
    // The platform counted the request before answering; the answer is recorded after.
    let m = until("the SMS recorded as sent", || async {
        let m = messages(&s).await;
        (m.len() == 2 && m[1].status() == pb::MessageStatus::Sent).then_some(m)
    })
    .await;
    assert_eq!(
        m.iter()
            .map(|x| (x.channel(), x.status()))
            .collect::<Vec<_>>(),
        [
            (pb::Channel::Wechat, pb::MessageStatus::DeadLetter),
            (pb::Channel::Sms, pb::MessageStatus::Sent)
        ]
    );
    assert_eq!(m[0].attempts, 3);
    // The platform confirms the SMS.
    let r = report(&s, &m[1].message_id, pb::DeliveryOutcome::Delivered).await;
    assert_eq!(r.reminder.unwrap().status(), pb::ReminderStatus::Delivered);

    // 2. The whole platform is down on Wednesday; contact restarts mid-retry; the platform
    //    comes back and the same message goes through, once.
    set_down(&state, &["WECHAT", "SMS"]);
    s.at("2026-12-02T10:00").await;
    seen_reaches(&state, 5).await;
    s.restart_contact().await;
    set_down(&state, &[]);
    s.at("2026-12-02T10:01").await;
    let got = seen_reaches(&state, 6).await;
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(got[4].key, got[5].key, "the retry carries the same key");
    assert_eq!(got[5].answered, 200);
    // Its receipt says it failed: the same reminder falls back to SMS.
    let wechat = until("the retried WeChat message recorded as sent", || async {
        messages(&s)
            .await
            .into_iter()
            .rfind(|x| x.channel() == pb::Channel::Wechat)
            .filter(|x| x.status() == pb::MessageStatus::Sent)
    })
    .await;
    let r = report(&s, &wechat.message_id, pb::DeliveryOutcome::Failed).await;
    assert_eq!(r.message.unwrap().status(), pb::MessageStatus::Failed);
    s.at("2026-12-02T10:02").await;
    let got = seen_reaches(&state, 7).await;
    assert_eq!(got.len(), 7);
    assert_eq!(got[6].channel, "SMS");

    // 3. The day itself: straight through. A receipt reported twice changes nothing.
    s.at("2026-12-03T08:00").await;
    seen_reaches(&state, 8).await;
    let m = until("the day's message", || async {
        let m = messages(&s).await;
        (m.last()?.status() == pb::MessageStatus::Sent).then_some(m)
    })
    .await;
    let last = m.last().unwrap();
    assert_eq!(last.channel(), pb::Channel::Wechat);
    report(&s, &last.message_id, pb::DeliveryOutcome::Delivered).await;
    let again = report(&s, &last.message_id, pb::DeliveryOutcome::Delivered).await;
    assert_eq!(
        again.message.unwrap().status(),
        pb::MessageStatus::Delivered
    );

    // Every request signed; every message accepted at most once; three reminders.
    let got = seen(&state);
    assert!(got.iter().all(|x| x.signed), "{got:?}");
    let mut accepted: Vec<_> = got
        .iter()
        .filter(|x| x.answered == 200)
        .map(|x| x.key.clone())
        .collect();
    let n = accepted.len();
    accepted.sort();
    accepted.dedup();
    assert_eq!(accepted.len(), n, "no message accepted twice");
    let r = reminders(&s, &apt.appointment_id).await;
    assert_eq!(r.len(), 3);
    // The history has every attempt, each with its outcome.
    let history = s
        .client()
        .list_contact_history(req(
            &s.admin,
            pb::ListContactHistoryRequest {
                customer_id: c.customer_id.clone(),
                page_size: 100,
                page_token: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .records;
    let outcomes: Vec<_> = history.iter().map(|h| h.outcome.as_str()).collect();
    assert_eq!(
        outcomes.iter().filter(|o| o.starts_with("retry")).count(),
        3
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| o.starts_with("dead letter"))
            .count(),
        1
    );
    assert_eq!(outcomes.iter().filter(|o| **o == "delivered").count(), 2);
    assert_eq!(
        outcomes.iter().filter(|o| o.starts_with("failed")).count(),
        1
    );
    s.stop().await;
}
