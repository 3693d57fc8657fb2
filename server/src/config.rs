//! The one typed configuration: defaults, overlaid by an optional TOML file, overlaid by
//! environment variables. Every variable is listed in the README.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub data_dir: PathBuf,
    /// `id:base64[,id:base64...]`; `None` means read or create `<data_dir>/master.key`.
    pub master_key: Option<String>,
    /// `None` means: secure unless the public address is loopback (local development).
    pub secure_cookies: Option<bool>,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    pub login_limit_per_ip: i64,
    pub login_limit_per_account: i64,
    pub login_limit_window_secs: i64,
    pub invitation_ttl_hours: i64,
    pub seed_demo: bool,
    pub platform_admins: Vec<String>,
    pub trust_proxy: bool,
    pub db_max_connections: u32,
    pub cleanup_interval_secs: u64,
    pub worker: bool,
    pub log: String,
    pub log_json: bool,
    pub leptos_toml: PathBuf,
    /// msgbuddy's public base URL, for the webhook URLs providers are given. `None` means
    /// `http://` and the address it serves on.
    pub public_url: Option<String>,
    pub whatsapp_api_url: String,
    pub telegram_api_url: String,
    pub twilio_api_url: String,
    /// How long the dispatcher's claim on a message lasts; a send interrupted by a crash is
    /// looked at again after it.
    pub send_lease_secs: u64,
    /// How often email channels' mailboxes are polled over IMAP.
    pub email_poll_secs: u64,
    /// Push service addresses allowed besides the browsers' own (comma-separated
    /// prefixes, like `https://push.example.com/`).
    pub push_services: Vec<String>,
    /// The VAPID contact push services may reach the operator at (`mailto:` or `https:`).
    pub push_contact: String,
}

impl std::fmt::Debug for Config {
    /// Never prints the master key or the database password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database", &redact_url(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("master_key", &self.master_key.as_ref().map(|_| "***"))
            .field("seed_demo", &self.seed_demo)
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

/// The URL without its password, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{user}:***@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// Every setting: (environment variable, file key, default).
pub const SETTINGS: &[(&str, &str, &str)] = &[
    ("DATABASE_URL", "database_url", "sqlite://data/msgbuddy.db"),
    ("MSGBUDDY_DATA_DIR", "data_dir", "data"),
    ("MSGBUDDY_MASTER_KEY", "master_key", ""),
    ("MSGBUDDY_SECURE_COOKIES", "secure_cookies", ""),
    (
        "MSGBUDDY_SESSION_IDLE_MINUTES",
        "session_idle_minutes",
        "720",
    ),
    (
        "MSGBUDDY_SESSION_ABSOLUTE_HOURS",
        "session_absolute_hours",
        "168",
    ),
    ("MSGBUDDY_LOGIN_LIMIT_PER_IP", "login_limit_per_ip", "30"),
    (
        "MSGBUDDY_LOGIN_LIMIT_PER_ACCOUNT",
        "login_limit_per_account",
        "10",
    ),
    (
        "MSGBUDDY_LOGIN_LIMIT_WINDOW_SECS",
        "login_limit_window_secs",
        "900",
    ),
    (
        "MSGBUDDY_INVITATION_TTL_HOURS",
        "invitation_ttl_hours",
        "168",
    ),
    ("MSGBUDDY_SEED_DEMO", "seed_demo", "true"),
    ("MSGBUDDY_PLATFORM_ADMINS", "platform_admins", ""),
    ("MSGBUDDY_TRUST_PROXY", "trust_proxy", "false"),
    ("MSGBUDDY_DB_MAX_CONNECTIONS", "db_max_connections", "8"),
    (
        "MSGBUDDY_CLEANUP_INTERVAL_SECS",
        "cleanup_interval_secs",
        "3600",
    ),
    ("MSGBUDDY_WORKER", "worker", "true"),
    ("MSGBUDDY_LOG", "log", "info"),
    ("MSGBUDDY_LOG_FORMAT", "log_format", "text"),
    ("MSGBUDDY_LEPTOS_TOML", "leptos_toml", "Leptos.toml"),
    ("MSGBUDDY_PUBLIC_URL", "public_url", ""),
    (
        "MSGBUDDY_WHATSAPP_API_URL",
        "whatsapp_api_url",
        "https://graph.facebook.com/v23.0",
    ),
    (
        "MSGBUDDY_TELEGRAM_API_URL",
        "telegram_api_url",
        "https://api.telegram.org",
    ),
    (
        "MSGBUDDY_TWILIO_API_URL",
        "twilio_api_url",
        "https://api.twilio.com",
    ),
    ("MSGBUDDY_SEND_LEASE_SECS", "send_lease_secs", "120"),
    ("MSGBUDDY_EMAIL_POLL_SECS", "email_poll_secs", "30"),
    ("MSGBUDDY_PUSH_SERVICES", "push_services", ""),
    (
        "MSGBUDDY_PUSH_CONTACT",
        "push_contact",
        "mailto:admin@localhost",
    ),
];

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Reads the file named by `MSGBUDDY_CONFIG` (if any) and the process environment.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let file = match config_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
                parse_file(&text)?
            }
            None => BTreeMap::new(),
        };
        Self::from_sources(|k| std::env::var(k).ok(), &file)
    }

    pub fn from_sources(
        env: impl Fn(&str) -> Option<String>,
        file: &BTreeMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let get = |var: &str| -> String {
            let (_, key, default) = SETTINGS
                .iter()
                .find(|(v, _, _)| *v == var)
                .copied()
                .unwrap_or((var, var, ""));
            env(var)
                .or_else(|| file.get(key).cloned())
                .unwrap_or_else(|| default.to_owned())
        };
        let int = |var: &str| -> Result<i64, ConfigError> {
            let raw = get(var);
            match raw.trim().parse::<i64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(ConfigError(format!(
                    "{var} must be a positive whole number, not `{raw}`"
                ))),
            }
        };
        let flag = |var: &str| -> Result<Option<bool>, ConfigError> {
            match get(var).trim().to_ascii_lowercase().as_str() {
                "" => Ok(None),
                "1" | "true" | "yes" | "on" => Ok(Some(true)),
                "0" | "false" | "no" | "off" => Ok(Some(false)),
                other => Err(ConfigError(format!(
                    "{var} must be true or false, not `{other}`"
                ))),
            }
        };
        let log_format = get("MSGBUDDY_LOG_FORMAT");
        let log_json = match log_format.as_str() {
            "json" => true,
            "text" => false,
            other => {
                return Err(ConfigError(format!(
                    "MSGBUDDY_LOG_FORMAT must be text or json, not `{other}`"
                )));
            }
        };
        let database_url = get("DATABASE_URL");
        if msgbuddy_core::Backend::from_url(&database_url).is_none() {
            return Err(ConfigError(
                "DATABASE_URL must start with sqlite: or postgres://".into(),
            ));
        }
        let master_key = Some(get("MSGBUDDY_MASTER_KEY")).filter(|k| !k.trim().is_empty());
        Ok(Config {
            database_url,
            data_dir: PathBuf::from(get("MSGBUDDY_DATA_DIR")),
            master_key,
            secure_cookies: flag("MSGBUDDY_SECURE_COOKIES")?,
            session_idle_minutes: int("MSGBUDDY_SESSION_IDLE_MINUTES")?,
            session_absolute_hours: int("MSGBUDDY_SESSION_ABSOLUTE_HOURS")?,
            login_limit_per_ip: int("MSGBUDDY_LOGIN_LIMIT_PER_IP")?,
            login_limit_per_account: int("MSGBUDDY_LOGIN_LIMIT_PER_ACCOUNT")?,
            login_limit_window_secs: int("MSGBUDDY_LOGIN_LIMIT_WINDOW_SECS")?,
            invitation_ttl_hours: int("MSGBUDDY_INVITATION_TTL_HOURS")?,
            seed_demo: flag("MSGBUDDY_SEED_DEMO")?.unwrap_or(true),
            platform_admins: get("MSGBUDDY_PLATFORM_ADMINS")
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            trust_proxy: flag("MSGBUDDY_TRUST_PROXY")?.unwrap_or(false),
            db_max_connections: u32::try_from(int("MSGBUDDY_DB_MAX_CONNECTIONS")?).unwrap_or(8),
            cleanup_interval_secs: u64::try_from(int("MSGBUDDY_CLEANUP_INTERVAL_SECS")?)
                .unwrap_or(3600),
            worker: flag("MSGBUDDY_WORKER")?.unwrap_or(true),
            log: get("MSGBUDDY_LOG"),
            log_json,
            leptos_toml: PathBuf::from(get("MSGBUDDY_LEPTOS_TOML")),
            public_url: Some(get("MSGBUDDY_PUBLIC_URL"))
                .map(|u| u.trim().trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty())
                .map(|u| url_setting("MSGBUDDY_PUBLIC_URL", u))
                .transpose()?,
            whatsapp_api_url: url_setting(
                "MSGBUDDY_WHATSAPP_API_URL",
                get("MSGBUDDY_WHATSAPP_API_URL"),
            )?,
            telegram_api_url: url_setting(
                "MSGBUDDY_TELEGRAM_API_URL",
                get("MSGBUDDY_TELEGRAM_API_URL"),
            )?,
            twilio_api_url: url_setting("MSGBUDDY_TWILIO_API_URL", get("MSGBUDDY_TWILIO_API_URL"))?,
            send_lease_secs: u64::try_from(int("MSGBUDDY_SEND_LEASE_SECS")?).unwrap_or(120),
            email_poll_secs: u64::try_from(int("MSGBUDDY_EMAIL_POLL_SECS")?)
                .unwrap_or(30)
                .max(1),
            push_services: get("MSGBUDDY_PUSH_SERVICES")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                // Prefixes end at a `/`, so `http://host:1` never admits `http://host:12`.
                .map(|s| {
                    url_setting("MSGBUDDY_PUSH_SERVICES", s.to_owned()).map(|u| format!("{u}/"))
                })
                .collect::<Result<_, _>>()?,
            push_contact: match get("MSGBUDDY_PUSH_CONTACT").trim() {
                c if c.starts_with("mailto:") || c.starts_with("https://") => c.to_owned(),
                _ => {
                    return Err(ConfigError(
                        "MSGBUDDY_PUSH_CONTACT must be a mailto: or https: address".to_owned(),
                    ));
                }
            },
        })
    }
}

/// An `http(s)://` base URL, without a trailing slash.
fn url_setting(var: &str, raw: String) -> Result<String, ConfigError> {
    let url = raw.trim().trim_end_matches('/').to_owned();
    if (url.starts_with("http://") || url.starts_with("https://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        Ok(url)
    } else {
        Err(ConfigError(format!(
            "{var} must be an http:// or https:// URL, not `{raw}`"
        )))
    }
}

fn parse_file(text: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e| ConfigError(format!("config file: {e}")))?;
    let mut out = BTreeMap::new();
    for (key, value) in table {
        if !SETTINGS.iter().any(|(_, k, _)| *k == key) {
            return Err(ConfigError(format!("config file: unknown setting `{key}`")));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Array(items) => items
                .iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };
        out.insert(key, value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn defaults_run_on_sqlite_under_data() {
        let c = Config::from_sources(|_| None, &BTreeMap::new()).expect("defaults are valid");
        assert_eq!(c.database_url, "sqlite://data/msgbuddy.db");
        assert!(c.seed_demo && c.worker && !c.trust_proxy);
        assert_eq!(c.secure_cookies, None);
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let file = parse_file("seed_demo = false\nsession_idle_minutes = 30\nplatform_admins = [\"a@x.io\", \"b@x.io\"]\n").expect("valid file");
        let c = Config::from_sources(env_of(&[("MSGBUDDY_SESSION_IDLE_MINUTES", "45")]), &file)
            .expect("valid");
        assert!(!c.seed_demo);
        assert_eq!(c.session_idle_minutes, 45);
        assert_eq!(c.platform_admins, vec!["a@x.io", "b@x.io"]);
    }

    #[test]
    fn bad_values_are_named_in_the_error() {
        let err = Config::from_sources(
            env_of(&[("MSGBUDDY_LOGIN_LIMIT_PER_IP", "lots")]),
            &BTreeMap::new(),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("MSGBUDDY_LOGIN_LIMIT_PER_IP"), "{err}");
        assert!(
            Config::from_sources(env_of(&[("DATABASE_URL", "mysql://x")]), &BTreeMap::new())
                .is_err()
        );
        assert!(parse_file("no_such_setting = 1").is_err());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let c = Config::from_sources(
            env_of(&[
                ("DATABASE_URL", "postgres://app:hunter2@db/msgbuddy"),
                ("MSGBUDDY_MASTER_KEY", "k1:c2VjcmV0"),
            ]),
            &BTreeMap::new(),
        )
        .expect("valid");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("c2VjcmV0"),
            "{shown}"
        );
    }
}
