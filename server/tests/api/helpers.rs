//! Test harness: the real server on port 0 over a fresh database (a temporary SQLite file,
//! or a new PostgreSQL database when `TEST_DATABASE_URL` is set), and a browser-like
//! client that keeps cookies and the CSRF token.

use msgbuddy_core::{Backend, Db};
use msgbuddy_domain::AppError;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;
use server::config::Config;
use server::startup;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::watch;

/// The backends every storage and integration test runs on.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        all.push(Backend::Postgres);
    }
    all
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        msgbuddy_core::db::now_ms(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A fresh database, removed again when dropped.
pub struct TestDb {
    pub url: String,
    pub data_dir: PathBuf,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let data_dir = std::env::temp_dir().join(unique("msgbuddy_test"));
        std::fs::create_dir_all(&data_dir).expect("temp dir");
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}/test.db", data_dir.display()),
                data_dir,
                pg_admin: None,
            },
            Backend::Postgres => {
                use sqlx::Connection;
                let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let name = unique("msgbuddy_t");
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                TestDb {
                    url: format!("{base}/{name}"),
                    data_dir,
                    pg_admin: Some((admin, name)),
                }
            }
        }
    }
}

impl Drop for TestDb {
    /// Checks the set sizes every test leaves (unless it failed already), then removes
    /// the database.
    fn drop(&mut self) {
        let url = self.url.clone();
        let mismatch = if std::thread::panicking() {
            None
        } else {
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(set_sizes_mismatch(&url))
            })
            .join()
            .ok()
            .flatten()
        };
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some((admin, name)) = self.pg_admin.take() {
            // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        )))
                        .execute(&mut conn)
                        .await;
                    }
                });
            })
            .join();
        }
        if let Some(mismatch) = mismatch {
            panic!("{mismatch}");
        }
    }
}

/// Settings tests may change; everything else comes from the defaults.
pub fn test_config(db: &TestDb, overrides: &[(&str, &str)]) -> Config {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("DATABASE_URL".into(), db.url.clone());
    env.insert(
        "MSGBUDDY_DATA_DIR".into(),
        db.data_dir.display().to_string(),
    );
    env.insert("MSGBUDDY_SEED_DEMO".into(), "false".into());
    env.insert("MSGBUDDY_WORKER".into(), "false".into());
    env.insert("MSGBUDDY_LOGIN_LIMIT_PER_IP".into(), "1000".into());
    env.insert("MSGBUDDY_LOGIN_LIMIT_PER_ACCOUNT".into(), "1000".into());
    for (k, v) in overrides {
        env.insert((*k).into(), (*v).into());
    }
    Config::from_sources(|k| env.get(k).cloned(), &BTreeMap::new()).expect("test config is valid")
}

/// One running server.
pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub bus: msgbuddy_core::events::EventBus,
    pub messaging: msgbuddy_messaging::Messaging,
    shutdown: watch::Sender<bool>,
}

impl TestApp {
    pub async fn spawn(db: &TestDb, overrides: &[(&str, &str)]) -> TestApp {
        let config = test_config(db, overrides);
        let database = startup::open_db(&config)
            .await
            .expect("database opens and migrates");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("port");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let options = leptos::config::LeptosOptions::builder()
            .output_name("msgbuddy")
            .site_root("target/site")
            .site_addr(addr)
            .build();
        let server = startup::build(&config, database.clone(), options)
            .await
            .expect("server builds");
        let bus = server.state.services.bus.clone();
        let messaging = server.state.services.messaging.clone();
        let router = server::routes::router(
            server.state.clone(),
            server.sessions.clone(),
            server.session_settings,
        );
        let shutdown = server.shutdown_tx;
        let mut stop = shutdown.subscribe();
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stop.changed().await;
            })
            .await;
        });
        TestApp {
            base: format!("http://{addr}"),
            db: database,
            bus,
            messaging,
            shutdown,
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// The server functions that only read (GET).
const READS: [&str; 29] = [
    "groups/list",
    "imports/list",
    "imports/get",
    "contacts/list",
    "contacts/get",
    "contacts/duplicates",
    "contact-settings/get",
    "segments/view",
    "conversations/older",
    "quick-replies/list",
    "notifications/preferences",
    "messages/starred",
    "assignment/settings",
    "api-keys/list",
    "notifications/list",
    "search",
    "labels/list",
    "channels/list",
    "channels/get",
    "conversations/list",
    "conversations/thread",
    "me",
    "workspaces/view",
    "workspaces/settings",
    "members/list",
    "invitations/list",
    "invitations/preview",
    "audit/list",
    "admin/workspaces",
];

/// A client that behaves like a browser: keeps cookies, reads the page's CSRF token and
/// sends it with every form.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub csrf: String,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            // A hung request fails the test instead of hanging the suite. Generous: the
            // whole suite runs its servers in parallel on two cores, on two databases.
            .timeout(std::time::Duration::from_secs(90))
            .build()
            .expect("client");
        Browser {
            client,
            base: base.to_owned(),
            csrf: String::new(),
            jar,
        }
    }

    /// Loads a page as a browser would; remembers its CSRF token.
    pub async fn page(&mut self, path: &str) -> (u16, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header(ACCEPT, "text/html")
            .send()
            .await
            .expect("page request");
        let status = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        if let Some(token) = meta_csrf(&body) {
            self.csrf = token;
        }
        (status, body)
    }

    /// Calls a server function the way the hydrated app does: reads as GET with a query
    /// string, writes as POST with a form body and the CSRF token; JSON back.
    pub async fn call(&mut self, endpoint: &str, form: &[(&str, &str)]) -> Result<Value, AppError> {
        if READS.contains(&endpoint) {
            let res = self
                .client
                .get(format!(
                    "{}/api/{endpoint}?{}",
                    self.base,
                    serde_urlencoded(form)
                ))
                .header(ACCEPT, "application/json")
                .send()
                .await
                .expect("server function request");
            return decode_call(res).await;
        }
        if self.csrf.is_empty() {
            self.page("/login").await;
        }
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let csrf = self.csrf.clone();
        fields.push(("csrf_token", &csrf));
        let res = self
            .client
            .post(format!("{}/api/{endpoint}", self.base))
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded(&fields))
            .send()
            .await
            .expect("server function request");
        decode_call(res).await
    }

    /// Posts a server function like [`Browser::call`] but hands back the raw answer, for
    /// checking statuses and headers. `accept` is `application/json` (a script) or
    /// `text/html` (a plain form post).
    pub async fn post_raw(
        &mut self,
        endpoint: &str,
        form: &[(&str, &str)],
        accept: &str,
    ) -> reqwest::Response {
        if self.csrf.is_empty() {
            self.page("/login").await;
        }
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let csrf = self.csrf.clone();
        fields.push(("csrf_token", &csrf));
        self.client
            .post(format!("{}/api/{endpoint}", self.base))
            .header(ACCEPT, accept)
            .header(reqwest::header::REFERER, format!("{}/login", self.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded(&fields))
            .send()
            .await
            .expect("server function request")
    }

    pub async fn sign_up(
        &mut self,
        name: &str,
        email: &str,
        password: &str,
    ) -> Result<(), AppError> {
        self.call(
            "auth/signup",
            &[("name", name), ("email", email), ("password", password)],
        )
        .await?;
        self.page("/account").await;
        Ok(())
    }

    pub async fn log_in(&mut self, email: &str, password: &str) -> Result<(), AppError> {
        self.call("auth/login", &[("email", email), ("password", password)])
            .await?;
        self.page("/account").await;
        Ok(())
    }

    /// Creates a workspace and returns its id.
    pub async fn create_workspace(&mut self, name: &str) -> String {
        self.call("workspaces/create", &[("name", name)])
            .await
            .expect("workspace created");
        let me = self.call("me", &[]).await.expect("me");
        me["workspaces"]
            .as_array()
            .and_then(|list| list.iter().find(|w| w["name"] == name))
            .and_then(|w| w["id"].as_str())
            .expect("new workspace listed")
            .to_owned()
    }

    /// Creates an invitation link token in `workspace_id` for `role`.
    pub async fn invite(&mut self, workspace_id: &str, role: &str) -> String {
        let link = self
            .call(
                "invitations/create",
                &[
                    ("workspace_id", workspace_id),
                    ("role", role),
                    ("email", ""),
                ],
            )
            .await
            .expect("invitation created");
        link.as_str()
            .and_then(|l| l.strip_prefix("/invite/"))
            .expect("link")
            .to_owned()
    }

    pub async fn user_id(&mut self) -> String {
        let me = self.call("me", &[]).await.expect("me");
        me["user"]["id"].as_str().expect("logged in").to_owned()
    }

    /// The value of this client's session cookie, as the server last set it.
    pub fn session_cookie(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().ok()?;
        let header = self.jar.cookies(&url)?;
        header.to_str().ok()?.split(';').find_map(|c| {
            c.trim()
                .strip_prefix("msgbuddy_session=")
                .map(str::to_owned)
        })
    }

    /// A second browser carrying a given session cookie (a stolen or stale one).
    pub fn with_session_cookie(base: &str, value: &str) -> Browser {
        let b = Browser::new(base);
        let url = base.parse().expect("base url");
        b.jar
            .add_cookie_str(&format!("msgbuddy_session={value}; Path=/"), &url);
        b
    }
}

/// Olivia, signed up in a fresh browser, owning a new workspace; returns her browser and
/// the workspace id.
pub async fn owner_with_workspace(app: &TestApp, workspace: &str) -> (Browser, String) {
    let mut owner = app.browser();
    owner
        .sign_up("Olivia", "olivia@example.com", "password-123")
        .await
        .expect("sign up");
    let ws = owner.create_workspace(workspace).await;
    (owner, ws)
}

/// Signs up a user in a fresh browser and joins them to `workspace_id` as `role`.
pub async fn member_with_role(
    app: &TestApp,
    owner: &mut Browser,
    workspace_id: &str,
    role: &str,
) -> (Browser, String) {
    let token = owner.invite(workspace_id, role).await;
    let mut b = app.browser();
    let email = format!("{}@example.com", unique(role).to_lowercase());
    b.sign_up(role, &email, "password-123")
        .await
        .expect("sign up");
    b.call("invitations/accept", &[("token", &token)])
        .await
        .expect("accept");
    let id = b.user_id().await;
    (b, id)
}

pub async fn decode_call(res: reqwest::Response) -> Result<Value, AppError> {
    let failed = res.headers().contains_key("serverfnerror") || !res.status().is_success();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    if failed {
        return Err(AppError::from_body(text.as_bytes()).unwrap_or_else(|| {
            AppError::new(
                msgbuddy_domain::ErrorCode::Internal,
                format!("HTTP {status}: {text}"),
            )
        }));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn meta_csrf(html: &str) -> Option<String> {
    let start =
        html.find("name=\"csrf-token\" content=\"")? + "name=\"csrf-token\" content=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned()).filter(|t| !t.is_empty())
}

pub fn serde_urlencoded(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn unique_email(prefix: &str) -> String {
    format!("{}@example.com", unique(prefix).to_lowercase())
}

/// A migrated database with an owner and their workspace, for tests that drive the
/// services directly.
pub struct Story {
    pub db: Db,
    pub bus: msgbuddy_core::events::EventBus,
    pub actor: msgbuddy_core::Actor,
    pub member: msgbuddy_core::workspaces::Member,
}

impl Story {
    pub async fn begin(test_db: &TestDb, workspace: &str) -> Story {
        use msgbuddy_domain::values::{Email, NewPassword, PersonName, WorkspaceName};
        let db = startup::open_db(&test_config(test_db, &[]))
            .await
            .expect("open");
        let bus = msgbuddy_core::events::EventBus::start(db.clone())
            .await
            .expect("bus");
        let owner = msgbuddy_core::accounts::sign_up(
            &db,
            &Email::parse("o@example.com").expect("email"),
            &PersonName::parse("O").expect("name"),
            &NewPassword::parse("password-123").expect("password"),
        )
        .await
        .expect("owner");
        let actor = msgbuddy_core::Actor {
            user_id: owner.id.clone(),
            ip: Some("10.0.0.1".into()),
        };
        let ws = msgbuddy_core::workspaces::create(
            &bus,
            &actor,
            &WorkspaceName::parse(workspace).expect("name"),
        )
        .await
        .expect("workspace");
        let member = msgbuddy_core::workspaces::access(
            &db,
            &owner.id,
            &ws.id,
            msgbuddy_domain::Permission::WorkspaceView,
        )
        .await
        .expect("owner access");
        Story {
            db,
            bus,
            actor,
            member,
        }
    }
}

/// A `multipart/form-data` body, built by hand as a browser sends it: `(name, file name,
/// bytes)` parts in order. Returns the content type (with its boundary) and the body.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----msgbuddyTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A tiny real PNG (1×1, transparent).
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82";

impl Browser {
    /// Posts the thread's attachment form as the browser would (token first). Returns the
    /// status and the `Location` it sends the browser to.
    pub async fn attach(
        &mut self,
        ws: &str,
        conversation: &str,
        parts: &[(&str, Option<&str>, &[u8])],
    ) -> (u16, String) {
        let (content_type, body) = multipart(parts);
        let res = self
            .client
            .post(format!(
                "{}/w/{ws}/conversations/{conversation}/attachment",
                self.base
            ))
            .header(ACCEPT, "text/html")
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("attachment post");
        let location = res
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (res.status().as_u16(), location)
    }
}

/// Runs the pipeline (sends, then stored deliveries and receipts) until nothing is left
/// to do.
/// The number a counting query returns, with its text parameters bound in order.
pub async fn count(app: &TestApp, sql: &str, params: &[&str]) -> i64 {
    use sqlx::Row;
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for p in params {
        query = query.bind(p.to_string());
    }
    query
        .fetch_one(app.db.reader())
        .await
        .expect("count")
        .try_get::<i64, _>(0)
        .expect("a number")
}

pub async fn settle(app: &TestApp) {
    use msgbuddy_messaging::{dispatch, inbound};
    let settings = dispatch::Settings::default();
    for _ in 0..20 {
        let sent = dispatch::dispatch_due(&app.messaging, "test", &settings)
            .await
            .expect("dispatch");
        let processed = inbound::process_due(&app.messaging, 500)
            .await
            .expect("process");
        if sent == 0 && processed == 0 {
            return;
        }
    }
}

/// What differs between the set sizes the triggers keep in `contact_set_sizes` (segments
/// are counted from them) and a count of the sets' rows now; `None` when nothing does
/// or the database has no contacts tables.
async fn set_sizes_mismatch(url: &str) -> Option<String> {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::AnyConnection::connect(url).await.ok()?;
    let day = match Backend::from_url(url)? {
        Backend::Postgres => "contact_created_day(created_at)",
        Backend::Sqlite => {
            "(created_at - ((created_at % 86400000) + 86400000) % 86400000) / 86400000"
        }
    };
    let counted = format!(
        "SELECT set_id, value_text, CAST(value_number AS DOUBLE PRECISION), CAST(SUM(n) AS BIGINT) FROM ( \
         SELECT tag_id AS set_id, '' AS value_text, 0 AS value_number, COUNT(*) AS n \
           FROM contact_tags GROUP BY tag_id \
         UNION ALL SELECT group_id, '', 0, COUNT(*) FROM contact_group_members GROUP BY group_id \
         UNION ALL SELECT field_id, COALESCE(value_text, ''), COALESCE(value_number, 0), COUNT(*) \
           FROM contact_field_values GROUP BY 1, 2, 3 \
         UNION ALL SELECT 'created:' || workspace_id, '', {day}, COUNT(*) FROM contacts GROUP BY 1, 3 \
         UNION ALL SELECT 'opted_out:' || c.workspace_id, o.channel_kind, 0, COUNT(*) \
           FROM contact_opt_outs o JOIN contacts c ON c.id = o.contact_id GROUP BY 1, 2 \
         ) s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    );
    let kept = "SELECT set_id, value_text, CAST(value_number AS DOUBLE PRECISION), CAST(SUM(n) AS BIGINT) \
                FROM contact_set_sizes GROUP BY 1, 2, 3 HAVING SUM(n) <> 0 ORDER BY 1, 2, 3";
    let mut read = async |sql: String| -> Option<Vec<(String, String, f64, i64)>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .ok()?;
        rows.iter()
            .map(|r| {
                Some((
                    r.try_get(0).ok()?,
                    r.try_get(1).ok()?,
                    r.try_get(2).ok()?,
                    r.try_get(3).ok()?,
                ))
            })
            .collect()
    };
    let counted = read(counted).await?;
    let kept = read(kept.to_owned()).await?;
    (kept != counted).then(|| format!("set sizes kept {kept:?}\nbut the sets hold {counted:?}"))
}
