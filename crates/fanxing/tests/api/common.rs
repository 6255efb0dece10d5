//! The test harness: each test gets a fresh database (SQLite in a temporary
//! directory, or a new PostgreSQL database when `FANXING_TEST_PG` names an
//! admin URL), the demo data at a small scale, and the real server on a
//! random port.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use fanxing::{open, serve_with, Config, Opened, WebOptions};
use fanxing_core::auth::Actor;
use fanxing_core::store::prelude::*;
use fanxing_core::training::ProgrammeId;
use fanxing_demo::{self as demo, DemoSize};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::redirect::Policy;
use sqlx::Executor;
use tokio::net::TcpListener;

/// A fixed key so that CLI runs in tests can read what the server wrote.
pub const TEST_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

pub struct TestApp {
    pub base: String,
    pub opened: Opened,
    pub config: Config,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The holiday calendar deadlines count by is one per process (a server
/// runs one database): tests that enter a year hold this, so that one
/// test's entry does not replace another's while it counts.
pub static CALENDAR: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A fresh PostgreSQL database URL, when the suite runs against PostgreSQL.
pub async fn fresh_database_url() -> Option<String> {
    let admin = std::env::var("FANXING_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())?;
    sqlx::any::install_default_drivers();
    let name = format!(
        "fxt_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        rand::random::<u32>()
    );
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .expect("FANXING_TEST_PG must be reachable");
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    Some(format!("{base}/{name}"))
}

pub fn is_postgres() -> bool {
    std::env::var("FANXING_TEST_PG")
        .map(|s| !s.is_empty())
        .unwrap_or(false)
}

impl TestApp {
    /// Demo data at a size that keeps each test quick.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Some(DemoSize {
            orgs: 300,
            people: 3_000,
        }))
        .await
    }

    pub async fn spawn_with(demo_size: Option<DemoSize>) -> TestApp {
        Self::spawn_trusting(demo_size, Vec::new()).await
    }

    /// A server that takes client addresses from these proxies' headers.
    pub async fn spawn_trusting(
        demo_size: Option<DemoSize>,
        trusted_proxies: Vec<std::net::IpAddr>,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config {
            database_url: fresh_database_url().await,
            data_dir: dir.path().to_path_buf(),
            data_key: Some(TEST_KEY.into()),
            max_connections: 5,
        };
        let opened = open(&config).await.expect("open");
        if let Some(size) = demo_size {
            demo::seed(&opened.app, &*opened.store, 2026, size)
                .await
                .expect("seed")
                .expect("seeded");
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let o = opened.clone();
        tokio::spawn(async move {
            let options = WebOptions {
                secure_cookies: false,
                trusted_proxies,
            };
            let _ = serve_with(&o, listener, &options, async {
                let _ = rx.await;
            })
            .await;
        });
        TestApp {
            base,
            opened,
            config,
            dir,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// GETs `path` with `client` and parses the JSON answer.
    pub async fn get_json(&self, client: &reqwest::Client, path: &str) -> serde_json::Value {
        client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// GETs a path (a page) and reads its text, whatever the status.
    pub async fn get_text(&self, client: &reqwest::Client, path: &str) -> String {
        client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// An API client authenticated with a fresh bearer token for `username`.
    pub async fn api(&self, username: &str) -> reqwest::Client {
        let token = self
            .opened
            .app
            .accounts
            .create_api_token(username, "test")
            .await
            .expect("token");
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        reqwest::Client::builder()
            .default_headers(h)
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    /// A browser-like client (cookies, no automatic redirects), not logged in.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    /// The CSRF token a page hands out (from its `<meta name="csrf-token">`).
    pub async fn csrf(&self, client: &reqwest::Client) -> String {
        let html = client
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        csrf_from(&html)
    }

    /// A browser-like client logged in as `username`, and its CSRF token.
    pub async fn login(&self, username: &str) -> (reqwest::Client, String) {
        let client = self.browser();
        let csrf = self.csrf(&client).await;
        let res = client
            .post(self.url("/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", username),
                ("password", demo::DEMO_PASSWORD),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "log-in as {username} failed");
        (client, csrf)
    }
}

pub fn csrf_from(html: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = html.find(marker).expect("csrf meta") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// A unique, valid mobile number outside the demo block.
pub fn fresh_mobile() -> String {
    format!("139{:08}", rand::random::<u32>() % 100_000_000)
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl TestApp {
    /// An API client for a new trainee account (for data sets without demo users).
    pub async fn api_anyone(&self) -> reqwest::Client {
        let username = format!("viewer{}", rand::random::<u32>());
        self.opened
            .app
            .accounts
            .create_user(fanxing_core::people::accounts::NewUserInput {
                username: username.clone(),
                display_name: username.clone(),
                password: "a-long-enough-password".into(),
                role: fanxing_core::auth::Role::Trainee,
                region: None,
                person_id: None,
                org_id: None,
            })
            .await
            .expect("user");
        self.api(&username).await
    }
}

/// Requests as the tests make them: one line a request, the answer whole.
impl TestApp {
    /// GETs `path` with `client`.
    pub async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.get(self.url(path)).send().await.unwrap()
    }

    /// POSTs `body` as JSON to `path` with `client`.
    pub async fn post_json(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        client.post(self.url(path)).json(body).send().await.unwrap()
    }

    /// POSTs nothing to `path` with `client` (an API action such as a reveal).
    pub async fn post_empty(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.post(self.url(path)).send().await.unwrap()
    }

    /// POSTs a form to `path` with `client`: the CSRF token first, then `fields`.
    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        csrf: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = vec![("csrf", csrf)];
        form.extend_from_slice(fields);
        client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// A person's full numbers, revealed through the API by `client`.
    pub async fn reveal(
        &self,
        client: &reqwest::Client,
        person: impl std::fmt::Display,
    ) -> serde_json::Value {
        let path = format!("/api/v1/people/{person}/reveal");
        self.post_empty(client, &path).await.json().await.unwrap()
    }

    /// The audit log as the province office's API reads it.
    pub async fn audit(&self) -> Vec<serde_json::Value> {
        let admin = self.api("admin").await;
        match self.get_json(&admin, "/api/v1/audit").await {
            serde_json::Value::Array(entries) => entries,
            other => panic!("the audit log is a list: {other}"),
        }
    }

    /// The `fanxing` command on this app's data directory, key and database.
    pub fn cli(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fanxing"));
        cmd.arg("--data-dir")
            .arg(self.data_dir())
            .env("FANXING_DATA_KEY", TEST_KEY);
        match &self.config.database_url {
            Some(u) => cmd.env("DATABASE_URL", u),
            None => cmd.env_remove("DATABASE_URL"),
        };
        cmd
    }

    /// The account `username` as the services see it.
    pub async fn actor(&self, username: &str) -> Actor {
        let user = self
            .opened
            .store
            .find_user_by_username(username)
            .await
            .unwrap()
            .unwrap();
        Actor::new(user)
    }

    /// A programme called `name` running through 2025 and 2026.
    pub async fn programme(&self, admin: &Actor, name: &str) -> ProgrammeId {
        self.opened
            .app
            .training
            .create_programme(admin, name, "2025-01-01", "2026-12-31")
            .await
            .unwrap()
            .id
    }
}

/// Asserts that `res` has `status` and that its body says `needle` (a
/// refusal's message, most often); returns the body for further checks.
pub async fn assert_says(res: reqwest::Response, status: u16, needle: &str) -> String {
    let got = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    assert!(text.contains(needle), "{needle:?} not in {text}");
    text
}

impl TestApp {
    /// Starts `fanxing serve` as a process of its own on `dir` (its data
    /// directory: this app's for a restart, another for a second server)
    /// over this app's database, on a free port; returns it with its base
    /// URL once it is ready.
    pub fn serve_process(&self, dir: &std::path::Path) -> (std::process::Child, String) {
        use std::io::{BufRead, BufReader};
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fanxing"));
        cmd.args(["serve", "--port", "0", "--data-dir"])
            .arg(dir)
            .env("FANXING_DATA_KEY", TEST_KEY)
            .env("RUST_LOG", "warn")
            // The same database (on SQLite, the file in this app's directory).
            .env("DATABASE_URL", self.config.url())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().expect("spawn fanxing");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("server exited before it was ready")
                .unwrap();
            if let Some(rest) = line.strip_prefix("Fanxing ready on ") {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        (child, base)
    }
}
