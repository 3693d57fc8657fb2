//! The command line: `serve` (the default), `migrate`, `create-user`,
//! `grant-platform-admin`, `seed-demo`. Every subcommand reads the same configuration.

use crate::config::Config;
use crate::startup;
use clap::{Parser, Subcommand};
use msgbuddy_core::{accounts, seed};
use msgbuddy_domain::values::{Email, NewPassword, PersonName};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "msgbuddy",
    version,
    about = "msgbuddy: multi-channel customer messaging for teams"
)]
pub struct Cli {
    /// A TOML file with settings (environment variables still win).
    #[arg(long, global = true, env = "MSGBUDDY_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, seed the demo on first run, and serve (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a user account (without a workspace).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The password; read from MSGBUDDY_NEW_PASSWORD if not given, so it stays out of
        /// shell history.
        #[arg(long, env = "MSGBUDDY_NEW_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Make an existing user a platform admin (or take it away with --revoke).
    GrantPlatformAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        revoke: bool,
    },
    /// Create the demo workspace and its owner login.
    SeedDemo,
}

pub async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let config = Config::load(cli.config.as_deref())?;
    startup::init_tracing(&config);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => startup::serve(config).await?,
        Command::Migrate => {
            let db = startup::open_db(&config).await?;
            println!("migrations applied ({})", db.backend().as_str());
        }
        Command::CreateUser {
            email,
            name,
            password,
        } => {
            let db = startup::open_db(&config).await?;
            let user = accounts::sign_up(
                &db,
                &Email::parse(&email)?,
                &PersonName::parse(&name)?,
                &NewPassword::parse(&password)?,
            )
            .await
            .map_err(msgbuddy_core::Error::into_app_error)?;
            println!("created user {} ({})", user.email, user.id);
        }
        Command::GrantPlatformAdmin { email, revoke } => {
            let db = startup::open_db(&config).await?;
            let user = accounts::set_platform_admin(&db, &Email::parse(&email)?, !revoke)
                .await
                .map_err(|e| match e.into_app_error() {
                    e if e.code == msgbuddy_domain::ErrorCode::NotFound => {
                        format!("no user with email {email}")
                    }
                    e => e.message,
                })?;
            println!(
                "{} is {}a platform admin",
                user.email,
                if revoke { "no longer " } else { "" }
            );
        }
        Command::SeedDemo => {
            let db = startup::open_db(&config).await?;
            let bus = msgbuddy_core::events::EventBus::start(db).await?;
            let keys = startup::master_keys(&config)?;
            let leptos = crate::leptos_conf::load(&config.leptos_toml)?;
            let m = startup::messaging_service(&config, &bus, &keys, leptos.site_addr);
            crate::demo::seed_all(&m)
                .await
                .map_err(msgbuddy_core::Error::into_app_error)?;
            println!("demo login: {} / {}", seed::DEMO_EMAIL, seed::DEMO_PASSWORD);
        }
    }
    Ok(())
}
