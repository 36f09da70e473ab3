//! Tokens: every RPC tells every refused token the same thing.

use std::time::{SystemTime, UNIX_EPOCH};

use secrecy::SecretString;
use service_kit::auth::{OrgScope, REFUSED_TOKEN, Role, TokenIssuer};
use tonic::Code;

use super::{Answer, answer, none_broken};
use crate::World;

/// A token that names no signing algorithm (`{"alg":"none"}`) and carries no signature.
pub const NO_ALGORITHM_TOKEN: &str = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";

/// Seconds since the epoch by the system clock, which token expiry is checked against
/// (not the world's manual clock).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// A group administrator's token from the world's issuer, expiring `secs` from now (in
/// the past when negative).
pub fn expiring_in(world: &World, secs: i64) -> String {
    let at = unix_now().saturating_add_signed(secs);
    world
        .issuer
        .issue_expiring_at("edge-admin", Role::GroupAdmin, &OrgScope::Group, at)
}

/// `token` with the first character of its signature changed.
pub fn tampered_signature(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').expect("three parts");
    let first = if signature.starts_with('A') { 'B' } else { 'A' };
    format!("{signed}.{first}{}", &signature[1..])
}

/// The tokens every RPC must refuse, and what each is: garbage, three dots of nothing, no
/// algorithm, another secret, a tampered signature, a token of the world's issuer that
/// expired an hour ago, and a branch system's token bound to no branch.
pub fn refused_tokens(world: &World) -> Vec<(&'static str, String)> {
    let other_secret = TokenIssuer::hs256(&SecretString::from("another-secret"), "hospital-suite")
        .issue("x", Role::GroupAdmin, &OrgScope::Group, 3600);
    vec![
        ("garbage", "not-a-jwt".to_owned()),
        ("three dots of nothing", "a.b.c".to_owned()),
        ("alg none", NO_ALGORITHM_TOKEN.to_owned()),
        ("another secret", other_secret),
        ("a tampered signature", tampered_signature(&world.admin())),
        ("expired an hour ago", expiring_in(world, -3600)),
        (
            "a branch system bound to no branch",
            world.token_for(Role::BranchSystem, OrgScope::Group),
        ),
    ]
}

/// Calls each of `rpcs` with each of [`refused_tokens`] through `call(rpc, token)`, and
/// fails unless every answer is UNAUTHENTICATED with the one plain [`REFUSED_TOKEN`].
/// First `probe` (an RPC a group administrator may call with every field at its default)
/// must accept the issuer's token expiring in an hour: the one that expired an hour ago is
/// refused for its expiry alone.
pub async fn every_rpc_refuses_every_token(
    world: &World,
    rpcs: &[&str],
    probe: &str,
    mut call: impl AsyncFnMut(&str, &str) -> Answer,
) {
    call(probe, &expiring_in(world, 3600))
        .await
        .unwrap_or_else(|e| panic!("{probe} with a token expiring in an hour: {e:?}"));
    let refused = refused_tokens(world);
    let mut failures = Vec::new();
    for rpc in rpcs {
        for (what, token) in &refused {
            let got = call(rpc, token).await;
            match &got {
                Err(s) if s.code() == Code::Unauthenticated && s.message() == REFUSED_TOKEN => {}
                _ => failures.push(format!("{rpc} with {what}: {}", answer(&got))),
            }
        }
    }
    none_broken(&failures, rpcs.len() * refused.len());
}
