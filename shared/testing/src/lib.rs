//! Test support for every service's behaviour tests and the end-to-end tests: a dev-dependency
//! only.
//!
//! - [`Backend`] and [`backend_tests!`]: one test body on SQLite and on PostgreSQL;
//! - [`World`]: a test's temporary folder, backend, manual clock and token issuer, shared
//!   by every service the test starts;
//! - [`TestService`]: any service in-process on port 0 with a fresh database, restarted on
//!   the same port and database, stopped;
//! - [`req`], [`bad_fields`], [`eventually`], [`reflected_services`], [`rpc_names`]: the calls tests make;
//! - [`outage`]: a PostgreSQL database cut off from its service and back;
//! - [`schema`]: the tables, columns and indexes of a migrated database, to hold the two
//!   dialects' migrations in step;
//! - [`scheduling`]: branches, items, packages, slots, booked and checked-in customers;
//! - [`edges`]: the edge rules every service holds (ids, free text, dates, money, paging,
//!   refused tokens), checked through a closure that makes one call.

#![warn(missing_docs)]

mod backend;
pub mod edges;
pub mod outage;
pub mod scheduling;
pub mod schema;
mod service;

use std::future::Future;

use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use service_kit::auth::{OrgScope, Role, TokenIssuer};
use tonic::Request;

pub use backend::Backend;
pub use service::TestService;
pub use service_kit::clock::ManualClock;

/// The HS256 secret every test service verifies tokens with.
pub const SECRET: &str = "test-secret-not-for-production";

/// Monday 30 November 2026, 08:00 in Shanghai: where every test's clock starts.
pub fn start_time() -> Timestamp {
    "2026-11-30T00:00:00Z".parse().expect("a timestamp")
}

/// What the services of one test share: a temporary folder for SQLite files, the backend,
/// one clock the test moves, and the token issuer.
#[derive(Debug)]
pub struct World {
    /// Where every database of the test lives.
    pub backend: Backend,
    /// The clock every service of the test reads.
    pub clock: ManualClock,
    /// Signs tokens the services accept.
    pub issuer: TokenIssuer,
    dir: tempfile::TempDir,
}

impl World {
    /// A new world on `backend`, its clock at [`start_time`].
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            clock: ManualClock::new(start_time()),
            issuer: TokenIssuer::hs256(&SecretString::from(SECRET), "hospital-suite"),
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    /// A URL to a new, empty database named after `name`.
    pub async fn fresh_database(&self, name: &str) -> String {
        self.backend.fresh_url(self.dir.path(), name).await
    }

    /// A token for `subject` with `role` over `scope`, valid for an hour.
    pub fn token(&self, subject: &str, role: Role, scope: OrgScope) -> String {
        self.issuer.issue(subject, role, &scope, 3600)
    }

    /// A token for `role` over `scope`, its subject the role's name.
    pub fn token_for(&self, role: Role, scope: OrgScope) -> String {
        self.token(&format!("{role:?}").to_lowercase(), role, scope)
    }

    /// A group administrator's token.
    pub fn admin(&self) -> String {
        self.token("group-admin", Role::GroupAdmin, OrgScope::Group)
    }

    /// Moves the clock on by `minutes`.
    pub fn advance(&self, minutes: i64) {
        self.clock.advance(SignedDuration::from_mins(minutes));
    }
}

/// A caller whose token is narrower than the group: every scoped role over a region, a
/// sub-region and one branch.
#[derive(Debug, Clone)]
pub struct ScopedCaller {
    /// Its role.
    pub role: Role,
    /// Its scope.
    pub scope: OrgScope,
    /// Its token.
    pub token: String,
    /// `"<role> over <scope>"`, for failure messages.
    pub label: String,
}

/// Every scoped role (region admin, branch director, front desk, call-centre agent, exam
/// station, branch system) over `region`, over `region/city` and over the branch
/// `branch_id`, skipping the branch system's region tokens, which are refused outright.
/// What a narrowing test runs through: for each, a filter outside its scope must be
/// `PERMISSION_DENIED`.
pub fn scoped_callers(
    world: &World,
    region: &str,
    city: &str,
    branch_id: &str,
) -> Vec<ScopedCaller> {
    let scopes = [
        OrgScope::Region(region.to_owned()),
        OrgScope::Region(format!("{region}/{city}")),
        OrgScope::Branch(branch_id.to_owned()),
    ];
    let roles = [
        Role::RegionAdmin,
        Role::BranchDirector,
        Role::FrontDesk,
        Role::CallCentreAgent,
        Role::HealthManager,
        Role::ExamStation,
        Role::BranchSystem,
    ];
    let mut callers = Vec::new();
    for scope in &scopes {
        for role in roles {
            if role == Role::BranchSystem && !matches!(scope, OrgScope::Branch(_)) {
                continue;
            }
            callers.push(ScopedCaller {
                role,
                label: format!("{role:?} over {scope}"),
                token: world.token_for(role, scope.clone()),
                scope: scope.clone(),
            });
        }
    }
    callers
}

/// Fails the test unless `result` is `PERMISSION_DENIED`; `what` names the call.
pub fn assert_denied<T>(result: Result<T, tonic::Status>, what: &str) {
    let code = result.err().map(|s| s.code());
    assert_eq!(code, Some(tonic::Code::PermissionDenied), "{what}");
}

/// The status health reports for `service` (`""` for the whole server).
pub async fn health_status(
    channel: tonic::transport::Channel,
    service: &str,
) -> tonic_health::pb::health_check_response::ServingStatus {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .expect("health answers")
        .into_inner()
        .status;
    tonic_health::pb::health_check_response::ServingStatus::try_from(status)
        .expect("a known status")
}

/// `msg` with `token` as its bearer.
pub fn req<T>(token: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("an ASCII token"),
    );
    r
}

/// The field names of an `INVALID_ARGUMENT` status; fails the test on any other code.
pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|f| f.field.clone()).collect())
        .unwrap_or_default()
}

/// Waits (real time) until `check` holds, for at most six seconds; fails the test naming
/// `what` otherwise.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Waits (real time) until `f` yields a value, for at most six seconds, and returns it.
pub async fn until<F, Fut, T>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..300 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The method names of `service` (its full name) in the contracts, from the descriptors
/// the services register for reflection.
pub fn rpc_names(service: &str) -> Vec<String> {
    use prost::Message;
    let set = prost_types::FileDescriptorSet::decode(hospital_proto::FILE_DESCRIPTOR_SET)
        .expect("the contracts' descriptors decode");
    set.file
        .iter()
        .flat_map(|f| {
            f.service
                .iter()
                .filter(move |s| format!("{}.{}", f.package(), s.name()) == service)
        })
        .flat_map(|s| s.method.iter().map(|m| m.name().to_owned()))
        .collect()
}

/// The services a server lists through reflection (v1), as a client such as grpcurl sees
/// them.
pub async fn reflected_services(channel: tonic::transport::Channel) -> Vec<String> {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection answers")
        .into_inner();
    let response = responses
        .message()
        .await
        .expect("a reflection response")
        .expect("a reflection response");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("{response:?}")
    };
    list.service.into_iter().map(|s| s.name).collect()
}
