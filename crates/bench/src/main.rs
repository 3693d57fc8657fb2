//! The benchmark: starts the release server on a fresh SQLite database and prints
//! - its idle resident memory,
//! - the gzipped bytes a first page load transfers (HTML, CSS, JS, WASM and the rest),
//! - p50/p95 latency of a server-rendered page and of `/healthz` under 50 concurrent clients.
//!
//! Run through `scripts/bench.sh`, which builds the release site first (a crate of its own,
//! so its HTTP client never changes how the server itself is compiled). Later modules add
//! their pages and endpoints here.

use reqwest::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_TYPE};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;
const REQUESTS_PER_CLIENT: usize = 40;
const PORT: u16 = 3199;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn start_server(data: &PathBuf) -> Server {
    let exe = root().join("target/release/msgbuddy");
    assert!(
        exe.exists(),
        "build first: cargo leptos build --release (scripts/bench.sh does)"
    );
    let child = Command::new(exe)
        .current_dir(root())
        .env("LEPTOS_OUTPUT_NAME", "msgbuddy")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("LEPTOS_SITE_PKG_DIR", "pkg")
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{PORT}"))
        .env("LEPTOS_ENV", "PROD")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/bench.db", data.display()),
        )
        .env("MSGBUDDY_DATA_DIR", data)
        .env("MSGBUDDY_LOGIN_LIMIT_PER_IP", "100000")
        .env("MSGBUDDY_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("server starts");
    Server(child)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

async fn load(client: &reqwest::Client, url: &str) -> (Duration, Duration, f64) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(REQUESTS_PER_CLIENT);
                for _ in 0..REQUESTS_PER_CLIENT {
                    let t = Instant::now();
                    let res = client
                        .get(&url)
                        .header(ACCEPT, "text/html")
                        .send()
                        .await
                        .expect("request");
                    assert!(res.status().is_success(), "{url}: {}", res.status());
                    let _ = res.bytes().await.expect("body");
                    times.push(t.elapsed());
                }
                times
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client task"));
    }
    let rps = all.len() as f64 / started.elapsed().as_secs_f64();
    all.sort();
    (percentile(&all, 0.50), percentile(&all, 0.95), rps)
}

fn csrf_from(html: &str) -> String {
    let key = "name=\"csrf-token\" content=\"";
    let start = html.find(key).map(|i| i + key.len()).unwrap_or(0);
    html[start..].split('"').next().unwrap_or("").to_owned()
}

#[tokio::main]
async fn main() {
    let data = std::env::temp_dir().join(format!("msgbuddy-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).expect("data dir");
    let server = start_server(&data);
    let base = format!("http://127.0.0.1:{PORT}");
    let plain = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while plain.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_kib = rss_kib(server.0.id());

    // First load of the login page as a new visitor: every byte over the wire, gzipped.
    let page = plain
        .get(format!("{base}/login"))
        .header(ACCEPT, "text/html")
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("login page");
    let html_gz = page.bytes().await.expect("html").len();
    let mut first_load = vec![("HTML /login".to_owned(), html_gz)];
    for asset in [
        "/pkg/msgbuddy.css",
        "/pkg/msgbuddy.js",
        "/pkg/msgbuddy.wasm",
        "/register-sw.js",
        "/manifest.webmanifest",
        "/icons/icon-192.png",
    ] {
        let res = plain
            .get(format!("{base}{asset}"))
            .header(ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .expect("asset");
        assert!(res.status().is_success(), "{asset}: {}", res.status());
        first_load.push((
            asset.to_owned(),
            res.bytes().await.expect("asset body").len(),
        ));
    }
    let total: usize = first_load.iter().map(|(_, n)| n).sum();

    // A logged-in client for the server-rendered workspace page.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = client
        .get(format!("{base}/login"))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .expect("login");
    let csrf = csrf_from(&login.text().await.expect("login html"));
    let body = format!("csrf_token={csrf}&email=owner%40demo.msgbuddy.test&password=msgbuddy-demo");
    let res = client
        .post(format!("{base}/api/auth/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "text/html")
        .body(body)
        .send()
        .await
        .expect("log in");
    assert_eq!(res.status(), 302, "demo login");
    let home = client
        .get(format!("{base}/"))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .expect("home");
    let workspace = home.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();

    let (page_p50, page_p95, page_rps) = load(&client, &format!("{base}{workspace}")).await;
    let (health_p50, health_p95, health_rps) = load(&plain, &format!("{base}/healthz")).await;
    let loaded_kib = rss_kib(server.0.id());
    drop(server);
    let _ = std::fs::remove_dir_all(&data);

    println!(
        "msgbuddy benchmark (release build, SQLite, {CLIENTS} concurrent clients x {REQUESTS_PER_CLIENT} requests)"
    );
    println!(
        "  idle RSS:                  {:.1} MB   (target < 60 MB)",
        idle_kib as f64 / 1024.0
    );
    println!(
        "  RSS after load:            {:.1} MB",
        loaded_kib as f64 / 1024.0
    );
    println!(
        "  first load, gzipped:       {:.1} KB   (target < 400 KB)",
        total as f64 / 1024.0
    );
    for (what, bytes) in &first_load {
        println!("    {what:<26} {:>8.1} KB", *bytes as f64 / 1024.0);
    }
    println!("  SSR page {workspace}:");
    println!(
        "    p50 {:>7.2} ms   p95 {:>7.2} ms   {:>7.0} req/s",
        ms(page_p50),
        ms(page_p95),
        page_rps
    );
    println!("  /healthz:");
    println!(
        "    p50 {:>7.2} ms   p95 {:>7.2} ms   {:>7.0} req/s",
        ms(health_p50),
        ms(health_p95),
        health_rps
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
