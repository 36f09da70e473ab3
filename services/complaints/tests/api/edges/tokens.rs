//! Tokens: every RPC tells every refused token the same thing.

use service_kit::auth::{OrgScope, REFUSED_TOKEN, Role};
use test_support::backend_tests;
use tonic::Code;

use super::requests::call;
use super::{answer, known, none_broken};
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
    "GetScorecard",
    "Subscribe",
];

/// Just enough HS256 to sign tokens the issuer in `test_support` cannot: expired ones.
mod hs256 {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    fn sha256(data: &[u8]) -> [u8; 32] {
        let mut h: [u32; 8] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        let mut msg = data.to_vec();
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&(data.len() as u64 * 8).to_be_bytes());
        for block in msg.chunks(64) {
            let mut w = [0u32; 64];
            for (i, word) in block.chunks(4).enumerate() {
                w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            }
            for i in 16..64 {
                let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
                let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16]
                    .wrapping_add(s0)
                    .wrapping_add(w[i - 7])
                    .wrapping_add(s1);
            }
            let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
            for (k, wi) in K.iter().zip(w) {
                let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
                let ch = (e & f) ^ (!e & g);
                let t1 = hh
                    .wrapping_add(s1)
                    .wrapping_add(ch)
                    .wrapping_add(*k)
                    .wrapping_add(wi);
                let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
                let maj = (a & b) ^ (a & c) ^ (b & c);
                let t2 = s0.wrapping_add(maj);
                (hh, g, f, e, d, c, b, a) =
                    (g, f, e, d.wrapping_add(t1), c, b, a, t1.wrapping_add(t2));
            }
            for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
                *x = x.wrapping_add(y);
            }
        }
        let mut out = [0u8; 32];
        for (chunk, x) in out.chunks_mut(4).zip(h) {
            chunk.copy_from_slice(&x.to_be_bytes());
        }
        out
    }

    fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
        assert!(key.len() <= 64, "a short key");
        let mut inner = vec![0x36u8; 64];
        let mut outer = vec![0x5cu8; 64];
        for (i, k) in key.iter().enumerate() {
            inner[i] ^= k;
            outer[i] ^= k;
        }
        inner.extend_from_slice(msg);
        outer.extend_from_slice(&sha256(&inner));
        sha256(&outer)
    }

    fn b64url(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
            }
        }
        out
    }

    /// The signature part of a token whose first two parts are `signed`.
    pub fn signature(secret: &str, signed: &str) -> String {
        b64url(&hmac(secret.as_bytes(), signed.as_bytes()))
    }

    /// A group administrator's token, signed with `secret`, expiring at `exp` (seconds since
    /// the epoch).
    pub fn token(secret: &str, exp: u64) -> String {
        let header = b64url(br#"{"typ":"JWT","alg":"HS256"}"#);
        let claims = format!(
            r#"{{"sub":"edge-admin","role":"group_admin","org":"group","iss":"hospital-suite","exp":{exp},"iat":{}}}"#,
            exp.saturating_sub(3600)
        );
        let signed = format!("{header}.{}", b64url(claims.as_bytes()));
        let signature = signature(secret, &signed);
        format!("{signed}.{signature}")
    }
}

/// `token` with the first character of its signature changed.
fn tampered_signature(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').expect("three parts");
    let first = if signature.starts_with('A') { 'B' } else { 'A' };
    format!("{signed}.{first}{}", &signature[1..])
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

async fn every_rpc_tells_every_refused_token_the_same_thing(backend: Backend) {
    let s = spawn(backend).await;
    let (_, ids) = known(&s).await;
    let mut c = s.client();
    let secret = test_support::SECRET;
    // The signer agrees with the suite's issuer, and its unexpired token is accepted: an
    // expired one is refused for its expiry alone.
    let issued = s.admin.clone();
    let (signed, signature) = issued.rsplit_once('.').expect("three parts");
    assert_eq!(hs256::signature(secret, signed), signature);
    let fresh = hs256::token(secret, now_secs() + 3600);
    call(&mut c, &fresh, &ids, "ListWorkOrders", "", "")
        .await
        .expect("a fresh self-signed token is accepted");

    let other_secret = service_kit::auth::TokenIssuer::hs256(
        &"another-secret".to_string().into(),
        "hospital-suite",
    )
    .issue("x", Role::GroupAdmin, &OrgScope::Group, 3600);
    let refused = [
        ("garbage", "not-a-jwt".to_owned()),
        ("three dots of nothing", "a.b.c".to_owned()),
        (
            "alg none",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".to_owned(),
        ),
        ("another secret", other_secret),
        ("a tampered signature", tampered_signature(&issued)),
        (
            "expired an hour ago",
            hs256::token(secret, now_secs() - 3600),
        ),
        (
            "a branch system bound to no branch",
            s.token("kiosk", Role::BranchSystem, OrgScope::Group),
        ),
    ];
    let mut failures = Vec::new();
    for rpc in RPCS {
        for (what, token) in &refused {
            let got = call(&mut c, token, &ids, rpc, "", "").await;
            match &got {
                Err(st) if st.code() == Code::Unauthenticated && st.message() == REFUSED_TOKEN => {}
                _ => failures.push(format!("{rpc} with {what}: {}", answer(&got))),
            }
        }
    }
    none_broken(&failures, RPCS.len() * refused.len());
    s.stop().await;
}
