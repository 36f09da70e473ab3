//! `suite up`: every service built so far in one process, each on its own port with its own
//! SQLite file under `./data/`, demo data on first start, and a local admin token.

use std::{path::PathBuf, sync::Arc};

use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use service_kit::{
    auth::{OrgScope, Role, TokenIssuer},
    clock::SystemClock,
    serve::shutdown_signal,
    service::{self, Spec},
    telemetry,
};

#[derive(Parser)]
#[command(
    version,
    about = "The hospital suite in one process, for local use and demos"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start every service, seed demo data on first start, print endpoints and a token.
    Up {
        /// Folder for the SQLite files and the local signing secret.
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Do not seed demo data.
        #[arg(long)]
        no_seed: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Cli {
        command: Command::Up { data_dir, no_seed },
    } = Cli::parse();
    std::fs::create_dir_all(&data_dir)?;
    let secret = local_secret(&data_dir)?;

    let mut scheduling = local::<scheduling_service::Service>(&data_dir, &secret)?;
    // Contact runs here, so every booking names contact's customer.
    if std::env::var_os("SCHEDULING__BOOKING__REQUIRE_CUSTOMER_ID").is_none() {
        scheduling.booking.require_customer_id = true;
    }
    let _telemetry = telemetry::init("suite", &scheduling.telemetry)?;
    let issuer = TokenIssuer::hs256(
        scheduling.auth.hs256_secret.as_ref().unwrap_or(&secret),
        &scheduling.auth.issuer,
    );
    let admin = issuer.issue(
        "local-admin",
        Role::GroupAdmin,
        &OrgScope::Group,
        30 * 24 * 3600,
    );

    let listener = tokio::net::TcpListener::bind(scheduling.server.listen).await?;
    let running =
        service::start::<scheduling_service::Service>(scheduling, Arc::new(SystemClock), listener)
            .await?;
    let scheduling_addr = running.addr;

    // Contact and complaints follow each other's events: both listen before either starts.
    let mut contact = local::<contact_service::Service>(&data_dir, &secret)?;
    let contact_listener = tokio::net::TcpListener::bind(contact.server.listen).await?;
    let mut complaints = local::<complaints_service::Service>(&data_dir, &secret)?;
    let listener = tokio::net::TcpListener::bind(complaints.server.listen).await?;
    if std::env::var_os("COMPLAINTS__SCHEDULING__ENDPOINT").is_none() {
        complaints.scheduling.endpoint = format!("http://{scheduling_addr}");
    }
    if std::env::var_os("COMPLAINTS__CONTACT__ENDPOINT").is_none() {
        complaints.contact.endpoint = format!("http://{}", contact_listener.local_addr()?);
    }
    if std::env::var_os("CONTACT__COMPLAINTS__ENDPOINT").is_none() {
        contact.complaints.endpoint = format!("http://{}", listener.local_addr()?);
    }
    let complaints_running =
        service::start::<complaints_service::Service>(complaints, Arc::new(SystemClock), listener)
            .await?;
    let complaints_addr = complaints_running.addr;

    if std::env::var_os("CONTACT__SCHEDULING__ENDPOINT").is_none() {
        contact.scheduling.endpoint = format!("http://{scheduling_addr}");
    }
    if contact.identity.hash_key.is_none() {
        contact.identity.hash_key = Some(local_key(&data_dir, "local-identity-key")?);
    }
    let contact_running = service::start::<contact_service::Service>(
        contact,
        Arc::new(SystemClock),
        contact_listener,
    )
    .await?;
    let contact_addr = contact_running.addr;

    if !no_seed {
        suite::seed::seed_if_empty(&format!("http://{scheduling_addr}"), &admin).await?;
        if let Err(e) = suite::demo_contact::seed(
            &format!("http://{scheduling_addr}"),
            &format!("http://{contact_addr}"),
            &admin,
        )
        .await
        {
            tracing::warn!(error = %e, "demo customers not seeded");
        }
        suite::demo_complaints::seed_if_empty(
            &format!("http://{scheduling_addr}"),
            &format!("http://{complaints_addr}"),
            &admin,
        )
        .await?;
    }

    println!();
    println!("hospital suite is up");
    println!("  scheduling  {scheduling_addr}   (hospital.scheduling.v1.SchedulingService)");
    println!("  contact     {contact_addr}   (hospital.contact.v1.ContactService)");
    println!("  complaints  {complaints_addr}   (hospital.complaints.v1.ComplaintsService)");
    println!();
    let agent = issuer.issue(
        suite::demo_contact::DEMO_AGENT,
        Role::CallCentreAgent,
        &OrgScope::Group,
        30 * 24 * 3600,
    );
    println!("local admin token (group scope, 30 days):");
    println!("  export TOKEN={admin}");
    println!("the group call centre's demo agent (30 days):");
    println!("  export AGENT={agent}");
    println!();
    println!("try:");
    println!(
        "  grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" {scheduling_addr} hospital.scheduling.v1.SchedulingService/ListBranches"
    );
    println!(
        "  grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" {complaints_addr} hospital.complaints.v1.ComplaintsService/ListWorkOrders"
    );
    println!(
        "  grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" {contact_addr} hospital.contact.v1.ContactService/ListMessages"
    );
    println!(
        "  grpcurl -plaintext -H \"authorization: Bearer $AGENT\" {contact_addr} hospital.contact.v1.ContactService/ClaimNext"
    );
    println!();
    println!("Ctrl-C stops.");

    shutdown_signal().await;
    complaints_running.stop().await?;
    contact_running.stop().await?;
    running.stop().await?;
    Ok(())
}

/// `T`'s settings for a local run: its SQLite file in the data folder and the local secret,
/// unless the environment or the defaults say otherwise.
fn local<T: Spec>(
    data_dir: &std::path::Path,
    secret: &SecretString,
) -> anyhow::Result<service::Settings<T::Own>> {
    let mut settings = service::load::<T>(None)?;
    let url_var = format!("{}__DATABASE__URL", T::NAME.to_uppercase());
    if std::env::var_os(url_var).is_none() {
        let file = data_dir.join(format!("{}.db", T::NAME));
        settings.database.url = SecretString::from(format!("sqlite://{}?mode=rwc", file.display()));
    }
    if settings.auth.hs256_secret.is_none() && settings.auth.rs256_public_key_file.is_none() {
        settings.auth.hs256_secret = Some(secret.clone());
    }
    Ok(settings)
}

/// The HS256 secret for local tokens: made once, kept in the data folder so tokens survive
/// restarts.
fn local_secret(data_dir: &std::path::Path) -> anyhow::Result<SecretString> {
    local_key(data_dir, "local-signing-secret")
}

/// A random key kept in the data folder under `name`, made on first use.
fn local_key(data_dir: &std::path::Path, name: &str) -> anyhow::Result<SecretString> {
    let path = data_dir.join(name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if !existing.is_empty() {
            return Ok(SecretString::from(existing));
        }
    }
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    write_private(&path, &secret)?;
    let secret = SecretString::from(secret);
    debug_assert!(!secret.expose_secret().is_empty());
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
