//! Bearer-token authentication and org-scope authorisation.
//!
//! Every call carries `authorization: Bearer <JWT>`. The token names a [`Role`] and an
//! [`OrgScope`] (the whole group, a region path, or one branch). [`AuthLayer`] verifies it
//! (HS256 for local runs, RS256 with the issuer's public key in production) and puts the
//! [`Principal`] into the request's extensions; handlers then check the scope of the data
//! they touch with [`Principal::check_branch`] and friends.

use std::{
    fmt,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{SystemTime, UNIX_EPOCH},
};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tonic::Status;
use tower::{Layer, Service};

use crate::{Error, Result, config::AuthSettings};

/// What a token holder is, which decides what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Group IT and the group customer-service centre's administrators.
    GroupAdmin,
    /// A province or city manager.
    RegionAdmin,
    /// A branch's director (院长): may grant service recovery.
    BranchDirector,
    /// Front-desk and guide staff at a branch.
    FrontDesk,
    /// A call-centre agent.
    CallCentreAgent,
    /// A health manager, doctor or medical assistant at a branch: records what a visit
    /// found and makes the medical follow-up calls.
    HealthManager,
    /// An exam station (department room) calling and serving its queue.
    ExamStation,
    /// An on-site system (HIS, kiosk) syncing through the gateway.
    BranchSystem,
    /// Another service of the suite.
    Service,
}

/// The part of the org tree a token may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgScope {
    /// Everything.
    Group,
    /// Branches whose region path is this path or below it (`guangdong`,
    /// `guangdong/shenzhen`).
    Region(String),
    /// One branch.
    Branch(String),
}

impl OrgScope {
    /// Whether a branch with `branch_id` under `region_path` is inside this scope.
    pub fn covers(&self, branch_id: &str, region_path: &str) -> bool {
        match self {
            OrgScope::Group => true,
            OrgScope::Region(path) => region_covers(path, region_path),
            OrgScope::Branch(id) => id == branch_id,
        }
    }

    /// Whether a region path is inside this scope (a branch scope covers no region).
    pub fn covers_region(&self, region_path: &str) -> bool {
        match self {
            OrgScope::Group => true,
            OrgScope::Region(path) => region_covers(path, region_path),
            OrgScope::Branch(_) => false,
        }
    }
}

/// Whether `path` is one or more slugs (lowercase ASCII letters, digits, dashes) joined by
/// `/`. Scopes are matched with SQL `LIKE`, so `%` and `_` must never reach it.
pub fn is_region_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|seg| {
            (1..=32).contains(&seg.len())
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Whether `path` is `scope` or lies below it, segment by segment.
pub fn region_covers(scope: &str, path: &str) -> bool {
    path == scope
        || path
            .strip_prefix(scope)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl fmt::Display for OrgScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrgScope::Group => f.write_str("group"),
            OrgScope::Region(p) => write!(f, "region:{p}"),
            OrgScope::Branch(b) => write!(f, "branch:{b}"),
        }
    }
}

impl std::str::FromStr for OrgScope {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.split_once(':') {
            None if s == "group" => Ok(OrgScope::Group),
            Some(("region", p)) if is_region_path(p) => Ok(OrgScope::Region(p.to_owned())),
            Some(("branch", b)) if !b.is_empty() => Ok(OrgScope::Branch(b.to_owned())),
            _ => Err(format!("unknown org scope {s:?}")),
        }
    }
}

/// The JWT claims the suite uses.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Who: a staff id, a system id or a service name.
    pub sub: String,
    /// What they are.
    pub role: Role,
    /// Where they act: `group`, `region:<path>` or `branch:<id>`.
    pub org: String,
    /// Issuer.
    pub iss: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at, seconds since the epoch.
    #[serde(default)]
    pub iat: u64,
    /// Audience, when the issuer sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// The verified caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Token subject, recorded as the actor in audit trails.
    pub subject: String,
    /// Role.
    pub role: Role,
    /// Org scope.
    pub scope: OrgScope,
}

impl Principal {
    /// Fails with `PERMISSION_DENIED` unless the role is one of `allowed`.
    pub fn require_role(&self, allowed: &[Role], action: &str) -> Result<()> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!(
                "role {:?} may not {action}",
                self.role
            )))
        }
    }

    /// Fails with `PERMISSION_DENIED` unless the branch lies in the caller's scope.
    pub fn check_branch(&self, branch_id: &str, region_path: &str) -> Result<()> {
        if self.scope.covers(branch_id, region_path) {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!(
                "branch {branch_id} is outside the caller's scope ({})",
                self.scope
            )))
        }
    }

    /// Fails with `PERMISSION_DENIED` unless the whole region lies in the caller's scope.
    pub fn check_region(&self, region_path: &str) -> Result<()> {
        if self.scope.covers_region(region_path) {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!(
                "region {region_path} is outside the caller's scope ({})",
                self.scope
            )))
        }
    }

    /// The one rule for narrowing a list, a figure or a feed, in every service: a branch
    /// filter (its id and region path, as the service looked it up) must lie in the
    /// caller's scope, and so must the whole of a region filter; otherwise
    /// `PERMISSION_DENIED` — never an empty answer, which would tell a caller who may not
    /// look that there is nothing to see.
    pub fn check_narrowing(&self, branch: Option<(&str, &str)>, region_path: &str) -> Result<()> {
        if let Some((id, region)) = branch {
            self.check_branch(id, region)?;
        }
        if !region_path.is_empty() {
            self.check_region(region_path)?;
        }
        Ok(())
    }

    /// The principal a request carries, put there by [`AuthLayer`].
    pub fn from_request<T>(req: &tonic::Request<T>) -> Result<Principal> {
        req.extensions()
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| Error::Unauthenticated("missing bearer token".into()))
    }
}

/// Verifies bearer tokens.
#[derive(Clone)]
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("algorithms", &self.validation.algorithms)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// From settings: RS256 when a public key file is configured, else HS256.
    pub fn from_settings(settings: &AuthSettings) -> anyhow::Result<Self> {
        let (key, alg) = if let Some(file) = &settings.rs256_public_key_file {
            let pem = std::fs::read(file)
                .map_err(|e| anyhow::anyhow!("read RS256 public key {}: {e}", file.display()))?;
            (DecodingKey::from_rsa_pem(&pem)?, Algorithm::RS256)
        } else if let Some(secret) = &settings.hs256_secret {
            (
                DecodingKey::from_secret(secret.expose_secret().as_bytes()),
                Algorithm::HS256,
            )
        } else {
            anyhow::bail!("configure auth.rs256_public_key_file or auth.hs256_secret")
        };
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        match &settings.audience {
            Some(aud) => validation.set_audience(&[aud.as_str()]),
            None => validation.validate_aud = false,
        }
        Ok(Self { key, validation })
    }

    /// Verifies a token and returns its principal. Every refusal tells the caller the same
    /// thing ([`REFUSED_TOKEN`]); the reason goes to the log, so a prober learns nothing
    /// about the parser, the accepted algorithms or the expected claims.
    pub fn verify(&self, token: &str) -> Result<Principal> {
        self.check(token).map_err(|reason| {
            tracing::info!(%reason, "token refused");
            Error::Unauthenticated(REFUSED_TOKEN.into())
        })
    }

    fn check(&self, token: &str) -> std::result::Result<Principal, String> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| e.to_string())?;
        let claims = data.claims;
        let scope = claims.org.parse::<OrgScope>().map_err(|e| e.to_string())?;
        if claims.role == Role::BranchSystem && !matches!(scope, OrgScope::Branch(_)) {
            return Err("a branch system's token must be bound to its branch".into());
        }
        Ok(Principal {
            subject: claims.sub,
            role: claims.role,
            scope,
        })
    }
}

/// What every refused token is told.
pub const REFUSED_TOKEN: &str = "invalid or expired token";

/// Mints HS256 tokens: for local runs, tests, the suite's admin token and service tokens.
#[derive(Clone)]
pub struct TokenIssuer {
    key: EncodingKey,
    issuer: String,
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    /// An issuer signing with a shared secret.
    pub fn hs256(secret: &SecretString, issuer: &str) -> Self {
        Self {
            key: EncodingKey::from_secret(secret.expose_secret().as_bytes()),
            issuer: issuer.to_owned(),
        }
    }

    /// A token for `subject` valid for `ttl_secs`.
    pub fn issue(&self, subject: &str, role: Role, scope: &OrgScope, ttl_secs: u64) -> String {
        self.issue_expiring_at(subject, role, scope, unix_now() + ttl_secs)
    }

    /// A token for `subject` whose `exp` is `expires_at_unix_secs` (seconds since the
    /// epoch), issued now or, when that moment has already passed, at it: tests use it for
    /// tokens that expired a while ago. Verifiers allow a minute of clock skew
    /// (`jsonwebtoken`'s default leeway), so a token counts as expired only once its `exp`
    /// is more than a minute in the past.
    pub fn issue_expiring_at(
        &self,
        subject: &str,
        role: Role,
        scope: &OrgScope,
        expires_at_unix_secs: u64,
    ) -> String {
        let claims = Claims {
            sub: subject.to_owned(),
            role,
            org: scope.to_string(),
            iss: self.issuer.clone(),
            exp: expires_at_unix_secs,
            iat: unix_now().min(expires_at_unix_secs),
            aud: None,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .expect("HS256 signing cannot fail")
    }
}

/// Seconds since the epoch, by the system clock (the one token expiry is checked against).
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The token a service presents on its outgoing calls: configured, or minted from the
/// HS256 secret for local runs.
pub fn service_token(settings: &AuthSettings, service: &str) -> Option<SecretString> {
    settings.service_token.clone().or_else(|| {
        settings.hs256_secret.as_ref().map(|secret| {
            let token = TokenIssuer::hs256(secret, &settings.issuer).issue(
                service,
                Role::Service,
                &OrgScope::Group,
                10 * 365 * 24 * 3600,
            );
            SecretString::from(token)
        })
    })
}

/// Paths served without a token: health probes and reflection.
fn is_public(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

/// Tower layer that verifies the bearer token of every gRPC call except health and
/// reflection, rejecting with `UNAUTHENTICATED`.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    verifier: Arc<JwtVerifier>,
}

impl AuthLayer {
    /// A layer using `verifier`.
    pub fn new(verifier: Arc<JwtVerifier>) -> Self {
        Self { verifier }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            verifier: self.verifier.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps around the gRPC routes.
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    verifier: Arc<JwtVerifier>,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B, RB> Service<http::Request<B>> for AuthService<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<std::result::Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        // The clone may not be ready; the instance polled ready is the one that serves.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if is_public(req.uri().path()) {
            return Box::pin(inner.call(req));
        }
        let verified = bearer(req.headers()).and_then(|t| self.verifier.verify(t));
        match verified {
            Ok(principal) => {
                tracing::Span::current().record("subject", principal.subject.as_str());
                req.extensions_mut().insert(principal);
                Box::pin(inner.call(req))
            }
            Err(e) => {
                let status: Status = e.into();
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

fn bearer(headers: &http::HeaderMap) -> Result<&str> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or_else(|| Error::Unauthenticated("missing bearer token".into()))?;
    value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Unauthenticated("authorization must be 'Bearer <token>'".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> AuthSettings {
        AuthSettings {
            hs256_secret: Some(SecretString::from("test-secret")),
            rs256_public_key_file: None,
            issuer: "hospital-suite".into(),
            audience: None,
            service_token: None,
        }
    }

    #[test]
    fn a_minted_token_verifies_to_its_principal() {
        let s = settings();
        let issuer = TokenIssuer::hs256(s.hs256_secret.as_ref().unwrap(), &s.issuer);
        let token = issuer.issue(
            "nurse-7",
            Role::FrontDesk,
            &OrgScope::Branch("br_1".into()),
            60,
        );
        let p = JwtVerifier::from_settings(&s)
            .unwrap()
            .verify(&token)
            .unwrap();
        assert_eq!(p.subject, "nurse-7");
        assert_eq!(p.role, Role::FrontDesk);
        assert_eq!(p.scope, OrgScope::Branch("br_1".into()));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let other = TokenIssuer::hs256(&SecretString::from("other"), "hospital-suite");
        let token = other.issue("x", Role::GroupAdmin, &OrgScope::Group, 60);
        let err = JwtVerifier::from_settings(&settings())
            .unwrap()
            .verify(&token)
            .unwrap_err();
        assert!(matches!(err, Error::Unauthenticated(_)));
    }

    #[test]
    fn every_refused_token_gets_the_same_plain_message() {
        let verifier = JwtVerifier::from_settings(&settings()).unwrap();
        let other = TokenIssuer::hs256(&SecretString::from("other"), "hospital-suite").issue(
            "x",
            Role::GroupAdmin,
            &OrgScope::Group,
            60,
        );
        let unbound = TokenIssuer::hs256(&SecretString::from("test-secret"), "hospital-suite")
            .issue("kiosk", Role::BranchSystem, &OrgScope::Group, 60);
        for token in ["abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", &other, &unbound] {
            let status = tonic::Status::from(verifier.verify(token).unwrap_err());
            assert_eq!(status.code(), tonic::Code::Unauthenticated, "{token}");
            assert_eq!(status.message(), REFUSED_TOKEN, "{token}");
        }
    }

    #[test]
    fn rs256_tokens_verify_with_the_issuers_public_key_only() {
        use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
        let mut rng = rsa::rand_core::OsRng;
        let issuer_key = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let other_key = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let public = dir.path().join("issuer.pem");
        let pem = issuer_key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        std::fs::write(&public, pem).unwrap();
        let verifier = JwtVerifier::from_settings(&AuthSettings {
            hs256_secret: Some(SecretString::from("ignored-when-a-key-is-set")),
            rs256_public_key_file: Some(public),
            ..settings()
        })
        .unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = Claims {
            sub: "director-3".into(),
            role: Role::BranchDirector,
            org: "branch:br_9".into(),
            iss: "hospital-suite".into(),
            exp: now + 60,
            iat: now,
            aud: None,
        };
        let sign = |key: &rsa::RsaPrivateKey| {
            let der = key.to_pkcs8_pem(LineEnding::LF).unwrap();
            let key = EncodingKey::from_rsa_pem(der.as_bytes()).unwrap();
            jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).unwrap()
        };
        let p = verifier.verify(&sign(&issuer_key)).unwrap();
        assert_eq!(
            (p.role, p.scope),
            (Role::BranchDirector, OrgScope::Branch("br_9".into()))
        );
        assert!(verifier.verify(&sign(&other_key)).is_err());
        // An HS256 token must not pass an RS256 verifier (algorithm confusion).
        let hs = TokenIssuer::hs256(
            &SecretString::from("ignored-when-a-key-is-set"),
            "hospital-suite",
        )
        .issue("x", Role::GroupAdmin, &OrgScope::Group, 60);
        assert!(verifier.verify(&hs).is_err());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let s = settings();
        let key = EncodingKey::from_secret(b"test-secret");
        let claims = Claims {
            sub: "x".into(),
            role: Role::GroupAdmin,
            org: "group".into(),
            iss: "hospital-suite".into(),
            exp: 1_000,
            iat: 0,
            aud: None,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap();
        assert!(
            JwtVerifier::from_settings(&s)
                .unwrap()
                .verify(&token)
                .is_err()
        );
    }

    #[test]
    fn a_token_issued_to_expire_a_minute_ago_is_refused() {
        let s = settings();
        let issuer = TokenIssuer::hs256(s.hs256_secret.as_ref().unwrap(), &s.issuer);
        let verifier = JwtVerifier::from_settings(&s).unwrap();
        let now = unix_now();
        // A minute ago, past the verifier's minute of leeway by one second.
        let expired = issuer.issue_expiring_at("x", Role::GroupAdmin, &OrgScope::Group, now - 61);
        let status = tonic::Status::from(verifier.verify(&expired).unwrap_err());
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
        assert_eq!(status.message(), REFUSED_TOKEN);
        // The same token expiring in a minute passes: the expiry alone refused it.
        let fresh = issuer.issue_expiring_at("x", Role::GroupAdmin, &OrgScope::Group, now + 60);
        assert_eq!(verifier.verify(&fresh).unwrap().subject, "x");
    }

    #[test]
    fn region_scope_covers_only_its_subtree() {
        let scope = OrgScope::Region("guangdong".into());
        assert!(scope.covers("b", "guangdong/shenzhen"));
        assert!(scope.covers("b", "guangdong"));
        assert!(!scope.covers("b", "guangdongx/shenzhen"));
        assert!(!scope.covers("b", "shanghai/shanghai"));
        assert!(OrgScope::Group.covers("b", "anything"));
        assert!(OrgScope::Branch("b".into()).covers("b", "x"));
        assert!(!OrgScope::Branch("b".into()).covers("c", "x"));
    }

    #[test]
    fn org_scopes_round_trip_through_text() {
        for s in ["group", "region:guangdong/shenzhen", "branch:br_1"] {
            assert_eq!(s.parse::<OrgScope>().unwrap().to_string(), s);
        }
        assert!("region:".parse::<OrgScope>().is_err());
        assert!("region:guang%".parse::<OrgScope>().is_err());
        assert!("region:Guang_Dong".parse::<OrgScope>().is_err());
        assert!("planet:earth".parse::<OrgScope>().is_err());
    }
}
