//! `scheduling serve` (the default) and `scheduling migrate`.

use std::{path::PathBuf, sync::Arc};

use clap::{Parser, Subcommand};
use scheduling_service::{Settings, migrate, start};
use service_kit::{clock::SystemClock, telemetry};

#[derive(Parser)]
#[command(version, about = "The hospital suite's scheduling service")]
struct Cli {
    /// Optional TOML configuration file; the environment (SCHEDULING__…) overrides it.
    #[arg(long, env = "SCHEDULING_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve gRPC (the default).
    Serve,
    /// Apply the embedded database migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    let _telemetry = telemetry::init("scheduling", &settings.telemetry)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            migrate(&settings).await?;
            tracing::info!("migrations applied");
        }
        Command::Serve => {
            let listener = tokio::net::TcpListener::bind(settings.server.listen).await?;
            start(settings, Arc::new(SystemClock), listener)
                .await?
                .until_signal()
                .await?;
        }
    }
    Ok(())
}
