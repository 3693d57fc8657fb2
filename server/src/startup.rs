//! Start-up: logging, database, master key, demo seed, and the server with its worker.

use crate::config::{Config, redact_url};
use crate::routes::{self, SessionSettings};
use crate::state::AppState;
use crate::worker::{JobContext, JobQueue, schedule_cleanup};
use app::server::{AuthLimits, ServerContext};
use msgbuddy_channels::registry::Endpoints;
use msgbuddy_core::crypto::MasterKeys;
use msgbuddy_core::events::EventBus;
use msgbuddy_core::rate_limit::Limit;
use msgbuddy_core::seed::{self, Seeded};
use msgbuddy_core::sessions::SqlSessionStore;
use msgbuddy_core::{Backend, Db, accounts};
use msgbuddy_domain::values::Email;
use msgbuddy_messaging::Messaging;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second init (tests start several servers) is harmless; ignore the error.
    let _ = if config.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Opens (creating the SQLite file and its folder if needed) and migrates the database.
pub async fn open_db(config: &Config) -> Result<Db, BoxError> {
    if Backend::from_url(&config.database_url) == Some(Backend::Sqlite) {
        std::fs::create_dir_all(&config.data_dir)?;
        if let Some(parent) =
            sqlite_path(&config.database_url).and_then(|p| p.parent().map(ToOwned::to_owned))
        {
            std::fs::create_dir_all(parent)?;
        }
    }
    let db = Db::connect(&config.database_url, config.db_max_connections).await?;
    db.migrate().await?;
    tracing::info!(database = %redact_url(&config.database_url), "database ready");
    Ok(db)
}

fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// The master key from configuration, or `<data_dir>/master.key`, generated on first run.
pub fn master_keys(config: &Config) -> Result<MasterKeys, BoxError> {
    if let Some(spec) = &config.master_key {
        return Ok(MasterKeys::parse(spec)?);
    }
    let path = config.data_dir.join("master.key");
    if let Ok(spec) = std::fs::read_to_string(&path) {
        return Ok(MasterKeys::parse(spec.trim())?);
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let spec = MasterKeys::generate_spec();
    std::fs::write(&path, &spec)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    tracing::warn!(
        path = %path.display(),
        "!!! GENERATED A NEW MASTER KEY. Provider credentials are encrypted with it: back this file up, \
         or set MSGBUDDY_MASTER_KEY. Losing it makes stored credentials unreadable. !!!"
    );
    Ok(MasterKeys::parse(&spec)?)
}

/// The message pipeline's service, configured.
pub fn messaging_service(
    config: &Config,
    bus: &EventBus,
    keys: &MasterKeys,
    site_addr: SocketAddr,
) -> Messaging {
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{site_addr}"));
    Messaging::new(
        bus.clone(),
        keys.clone(),
        Endpoints {
            whatsapp: config.whatsapp_api_url.clone(),
            telegram: config.telegram_api_url.clone(),
            twilio: config.twilio_api_url.clone(),
        },
        &public_url,
        std::sync::Arc::new(msgbuddy_media::store::LocalStore::new(
            config.data_dir.join("media"),
        )),
    )
}

/// Everything `serve` builds before it listens; tests build the same thing on port 0.
pub struct Server {
    pub state: AppState,
    pub sessions: SqlSessionStore,
    pub session_settings: SessionSettings,
    pub queue: Option<JobQueue>,
    pub shutdown_tx: watch::Sender<bool>,
    pub keys: MasterKeys,
}

pub async fn build(
    config: &Config,
    db: Db,
    leptos_options: leptos::config::LeptosOptions,
) -> Result<Server, BoxError> {
    let keys = master_keys(config)?;
    let bus = EventBus::start(db.clone()).await?;
    for email in &config.platform_admins {
        match accounts::set_platform_admin(&db, &Email::parse(email)?, true).await {
            Ok(_) => tracing::info!(%email, "platform admin"),
            Err(_) => {
                tracing::warn!(%email, "MSGBUDDY_PLATFORM_ADMINS names an email with no account yet")
            }
        }
    }
    let window_ms = config.login_limit_window_secs * 1000;
    let secure = cookies_secure(config.secure_cookies, leptos_options.site_addr);
    let messaging = messaging_service(config, &bus, &keys, leptos_options.site_addr);
    let push = msgbuddy_notifications::push::Pusher {
        db: db.clone(),
        keys: keys.clone(),
        http: messaging.http.clone(),
        extra_services: config.push_services.clone(),
        contact: config.push_contact.clone(),
    };
    let services = ServerContext {
        bus,
        messaging,
        push,
        limits: AuthLimits {
            per_ip: Limit {
                max: config.login_limit_per_ip,
                window_ms,
            },
            per_account: Limit {
                max: config.login_limit_per_account,
                window_ms,
            },
        },
        absolute_session_ms: config.session_absolute_hours * 3_600_000,
        secure_cookies: secure,
        invitation_ttl_ms: config.invitation_ttl_hours * 3_600_000,
    };
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let queue = if config.worker {
        Some(JobQueue::open(&db).await?)
    } else {
        None
    };
    Ok(Server {
        state: AppState {
            leptos_options,
            services,
            trust_proxy: config.trust_proxy,
            shutdown: shutdown_rx,
        },
        sessions: SqlSessionStore::new(db),
        session_settings: SessionSettings {
            secure,
            idle: time::Duration::minutes(config.session_idle_minutes),
        },
        queue,
        shutdown_tx,
        keys,
    })
}

/// Whether the session cookie carries `Secure`: as configured, or else everywhere but a
/// loopback address (local development over plain HTTP, where a browser would drop it).
pub fn cookies_secure(configured: Option<bool>, site_addr: SocketAddr) -> bool {
    configured.unwrap_or(!site_addr.ip().is_loopback())
}

pub async fn serve(config: Config) -> Result<(), BoxError> {
    let leptos_options = crate::leptos_conf::load(&config.leptos_toml)?;
    let addr: SocketAddr = leptos_options.site_addr;
    let db = open_db(&config).await?;
    let server = build(&config, db.clone(), leptos_options).await?;
    tracing::debug!(key_id = server.keys.current_id(), "master key loaded");
    let seeded = if config.seed_demo {
        Some(crate::demo::seed_if_empty(&server.state.services.messaging).await?)
    } else {
        None
    };

    let shutdown_rx = server.state.shutdown.clone();
    let worker = server.queue.clone().map(|queue| {
        let ctx = JobContext { db: db.clone() };
        let mut stop = shutdown_rx.clone();
        let run = tokio::spawn(queue.clone().run(ctx, async move {
            let _ = stop.changed().await;
        }));
        tokio::spawn(schedule_cleanup(
            queue,
            Duration::from_secs(config.cleanup_interval_secs),
            shutdown_rx.clone(),
        ));
        let mut pipeline = crate::worker::start_pipeline(
            server.state.services.messaging.clone(),
            msgbuddy_messaging::dispatch::Settings {
                lease: Duration::from_secs(config.send_lease_secs),
                ..Default::default()
            },
            Duration::from_secs(config.email_poll_secs),
            shutdown_rx.clone(),
        );
        pipeline.push(tokio::spawn(msgbuddy_notifications::push::run(
            server.state.services.push.clone(),
            Duration::from_secs(2),
            shutdown_rx.clone(),
        )));
        (run, pipeline)
    });

    let app = routes::router(
        server.state.clone(),
        server.sessions.clone(),
        server.session_settings,
    );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("\n  msgbuddy is running at http://{addr}");
    if seeded.is_some() {
        println!(
            "  demo login: {} / {}",
            seed::DEMO_EMAIL,
            seed::DEMO_PASSWORD
        );
    }
    if seeded == Some(Seeded::Created) {
        println!(
            "  (the demo workspace \"{}\" was created on this first run)",
            seed::DEMO_WORKSPACE
        );
    }
    println!();
    let shutdown_tx = server.shutdown_tx;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests and in-flight jobs");
        let _ = shutdown_tx.send(true);
    })
    .await?;
    if let Some((worker, pipeline)) = worker {
        let _ = worker.await;
        for task in pipeline {
            let _ = task.await;
        }
    }
    db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

#[cfg(test)]
mod tests {
    use super::cookies_secure;

    #[test]
    fn cookies_are_secure_except_on_loopback_unless_configured() {
        let at = |a: &str| a.parse().expect("socket address");
        assert!(!cookies_secure(None, at("127.0.0.1:3000")));
        assert!(!cookies_secure(None, at("[::1]:3000")));
        assert!(cookies_secure(None, at("0.0.0.0:3000")));
        assert!(cookies_secure(None, at("10.1.2.3:8080")));
        assert!(cookies_secure(Some(true), at("127.0.0.1:3000")));
        assert!(!cookies_secure(Some(false), at("0.0.0.0:3000")));
    }
}
