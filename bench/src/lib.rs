//! What the benchmarks share: the data key and configuration, command-line
//! options, the seeded demo with its programme, people, bulk registrations
//! and signed tickets, bursts of concurrent requests with their latencies
//! (and a request beside the no-op `GET /healthz`, printed as one table),
//! the log-in form, a process's memory from `/proc`, and `fanxing serve`
//! run as its own process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use fanxing::{Config, Opened};
use fanxing_core::app::Fanxing;
use fanxing_core::auth::{Access, Actor};
use fanxing_core::now;
use fanxing_core::people::store::PeopleQuery;
use fanxing_core::people::Person;
use fanxing_core::region::RegionRange;
use fanxing_core::training::service::SessionView;
use fanxing_core::training::store::RegistrationRow;
use fanxing_core::training::{
    ticket, ProgrammeId, RegistrationStatus, SessionId, VenueId, VenueKind,
};
use fanxing_demo::{self as demo, DemoSize, SeedStore, DEMO_PASSWORD};
use reqwest::header::{COOKIE, SET_COOKIE};

/// The data key every benchmark's data directory is opened with.
pub const KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
/// How long the server may take to say it is ready.
pub const READY_WAIT: Duration = Duration::from_secs(120);
/// How long the server may take to stop after SIGTERM before SIGKILL.
pub const STOP_WAIT: Duration = Duration::from_secs(15);

// ------------------------------------------------------------ command line

/// The value after `name` on the command line.
pub fn text_arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// A benchmark's working directory: `--dir DIR` (created, and kept), else
/// a temporary one, removed when this is dropped.
pub struct WorkDir {
    pub path: std::path::PathBuf,
    _temp: Option<tempfile::TempDir>,
}

/// The working directory `--dir` names, or a temporary one.
pub fn work_dir() -> anyhow::Result<WorkDir> {
    Ok(match text_arg("--dir") {
        Some(d) => {
            std::fs::create_dir_all(&d)?;
            WorkDir {
                path: d.into(),
                _temp: None,
            }
        }
        None => {
            let temp = tempfile::tempdir()?;
            WorkDir {
                path: temp.path().to_path_buf(),
                _temp: Some(temp),
            }
        }
    })
}

/// The number after `name` on the command line, else `default`.
pub fn arg(name: &str, default: usize) -> usize {
    text_arg(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// How a figure against its target reads.
pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}

/// Bytes in MB (1 MB = 1,048,576 bytes).
pub fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// A `/proc/PID/status` figure (kB there) in MB, of process `pid` (a number
/// or `self`); 0 when it cannot be read.
pub fn proc_mb(pid: &str, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

/// Resets the peak (`VmHWM`) of process `pid` (a number or `self`) to its
/// current RSS (Linux ≥ 4.0): whether it could.
pub fn reset_proc_peak(pid: &str) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

// ---------------------------------------------------------------- the data

/// A benchmark's database: `DATABASE_URL` when set (PostgreSQL), else
/// SQLite in `data_dir`; opened with [`KEY`].
pub fn config(data_dir: PathBuf) -> Config {
    Config {
        database_url: std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()),
        data_dir,
        data_key: Some(KEY.into()),
        max_connections: 16,
    }
}

/// The name of `config`'s database, as the benchmarks print it.
pub fn backend(config: &Config) -> &'static str {
    if config.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// The demo's `admin`.
pub async fn admin(fx: &Fanxing) -> anyhow::Result<Actor> {
    Ok(Actor::new(
        fx.stores
            .accounts
            .find_user_by_username("admin")
            .await?
            .context("admin")?,
    ))
}

/// The demo seeded (seed 7) and a programme, 繁星计划, created by `admin`:
/// the actor and the programme.
pub async fn seed_with_programme(opened: &Opened) -> anyhow::Result<(Actor, ProgrammeId)> {
    let fx = &opened.app;
    demo::seed(fx, &*opened.store, 7, DemoSize::default()).await?;
    let admin = admin(fx).await?;
    let programme = fx
        .training
        .create_programme(&admin, "繁星计划", "2025-01-01", "2026-12-31")
        .await?
        .id;
    Ok((admin, programme))
}

/// Every person in every region (up to 100,000).
pub async fn all_people(fx: &Fanxing) -> anyhow::Result<Vec<Person>> {
    Ok(fx
        .stores
        .people
        .list_people(&PeopleQuery {
            access: Access::Regions(RegionRange::ALL),
            text: None,
            region: None,
            tier: None,
            org_id: None,
            offset: 0,
            limit: 100_000,
        })
        .await?
        .items)
}

/// Registers `n` of `people` for session `v` in one bulk insert, the `i`-th
/// such session taking them from its own offset, spread over its physical
/// venues.
pub async fn register_in_bulk(
    seeds: &dyn SeedStore,
    v: &SessionView,
    people: &[Person],
    i: usize,
    n: usize,
) -> anyhow::Result<()> {
    let physical: Vec<VenueId> = v
        .venues
        .iter()
        .filter(|l| l.venue.kind != VenueKind::Online)
        .map(|l| l.venue.id)
        .collect();
    let offset = (i * 997) % people.len();
    let rows: Vec<RegistrationRow> = (0..n)
        .map(|k| RegistrationRow {
            session_id: v.session.id,
            person_id: people[(offset + k) % people.len()].id,
            venue_id: physical[k % physical.len()],
            status: RegistrationStatus::Registered,
            created_at: now(),
        })
        .collect();
    seeds.insert_registrations_bulk(&rows).await?;
    Ok(())
}

/// Signed tickets of the session's registered people at its physical
/// venues, as trainees' phones would show them: (venue, code), in roster
/// order.
pub async fn tickets(fx: &Fanxing, session: SessionId) -> anyhow::Result<Vec<(VenueId, String)>> {
    let store = &fx.stores.training;
    let enc = store.session_signing_key(session).await?.context("key")?;
    let seed: [u8; 32] = fx
        .people
        .cipher()
        .decrypt_bytes(&enc)?
        .try_into()
        .map_err(|_| anyhow::anyhow!("key length"))?;
    let online: Vec<VenueId> = store
        .session_venues(session)
        .await?
        .iter()
        .filter(|l| l.venue.kind == VenueKind::Online)
        .map(|l| l.venue.id)
        .collect();
    let mut scans = Vec::new();
    for r in store.roster(session).await? {
        if online.contains(&r.venue_id) || r.status != RegistrationStatus::Registered {
            continue;
        }
        let code = ticket::sign(
            &seed,
            &ticket::Claims {
                session_id: session,
                registration_id: r.registration_id,
                venue_id: r.venue_id,
                person_id: r.person_id,
            },
        );
        scans.push((r.venue_id, code));
    }
    Ok(scans)
}

// ------------------------------------------------------------------- HTTP

pub struct Figures {
    /// Requests sent (fewer than asked when the time budget ran out).
    pub sent: usize,
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub ok: usize,
}

pub fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// Sends the request and reads the answer to its end: whether it was 2xx.
pub async fn send_ok(request: reqwest::RequestBuilder) -> bool {
    match request.send().await {
        Ok(r) => {
            let s = r.status().is_success();
            let _ = r.bytes().await;
            s
        }
        Err(_) => false,
    }
}

/// Sends `jobs` requests from `clients` concurrent tasks; `make` builds the
/// i-th request. No request starts after `budget` has passed
/// (`Duration::MAX`: no limit). Returns throughput and latency.
pub async fn burst<F>(
    clients: usize,
    jobs: usize,
    budget: Duration,
    make: F,
) -> anyhow::Result<Figures>
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let deadline = Instant::now().checked_add(budget);
    load(
        clients,
        jobs,
        Duration::from_secs(30),
        move || deadline.is_some_and(|d| Instant::now() >= d),
        make,
    )
    .await
}

/// [`burst`] over connections opened before the clock starts: each client
/// first sends `warm` (untimed; the no-op, say), then all start together,
/// as `wrk` measures. A phone or scanner keeps its connection open; the
/// connection storm of 200 clients starting at once is not what any
/// request sees after it.
pub async fn burst_warm<W, F>(
    clients: usize,
    jobs: usize,
    budget: Duration,
    warm: W,
    make: F,
) -> anyhow::Result<Figures>
where
    W: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync + 'static,
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let deadline = Instant::now().checked_add(budget);
    let warm: Warm = Arc::new(warm);
    load_inner(
        clients,
        jobs,
        Duration::from_secs(30),
        move || deadline.is_some_and(|d| Instant::now() >= d),
        Some(warm),
        make,
    )
    .await
}

/// A request each client sends, untimed, before the clock starts.
type Warm = Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync>;

/// Sends up to `jobs` requests from `clients` concurrent tasks, each task
/// one after another; `make` builds the i-th request, each may take
/// `timeout`. No request starts once `stop()` holds. Returns throughput and
/// latency.
pub async fn load<S, F>(
    clients: usize,
    jobs: usize,
    timeout: Duration,
    stop: S,
    make: F,
) -> anyhow::Result<Figures>
where
    S: Fn() -> bool + Send + Sync + 'static,
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    load_inner(clients, jobs, timeout, stop, None, make).await
}

async fn load_inner<S, F>(
    clients: usize,
    jobs: usize,
    timeout: Duration,
    stop: S,
    warm: Option<Warm>,
    make: F,
) -> anyhow::Result<Figures>
where
    S: Fn() -> bool + Send + Sync + 'static,
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(timeout)
        .build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let (stop, make) = (Arc::new(stop), Arc::new(make));
    let gate = Arc::new(tokio::sync::Barrier::new(clients + 1));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, next, stop, make) = (client.clone(), next.clone(), stop.clone(), make.clone());
        let (gate, warm) = (gate.clone(), warm.clone());
        tasks.push(tokio::spawn(async move {
            if let Some(warm) = warm {
                send_ok(warm(&client)).await;
            }
            gate.wait().await;
            let mut lat = Vec::new();
            let mut ok = 0;
            loop {
                if stop() {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs {
                    break;
                }
                let t = Instant::now();
                let good = send_ok(make(&client, i)).await;
                lat.push(t.elapsed().as_micros() as u64);
                if good {
                    ok += 1;
                }
            }
            (lat, ok)
        }));
    }
    gate.wait().await;
    let started = Instant::now();
    let mut all = Vec::with_capacity(jobs);
    let mut ok = 0;
    for t in tasks {
        let (lat, n) = t.await?;
        all.extend(lat);
        ok += n;
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_unstable();
    Ok(Figures {
        sent: all.len(),
        per_sec: all.len() as f64 / secs,
        p50_ms: percentile(&all, 0.50),
        p95_ms: percentile(&all, 0.95),
        p99_ms: percentile(&all, 0.99),
        max_ms: percentile(&all, 1.0),
        ok,
    })
}

/// The median latency, in ms, of `n` requests sent one at a time with
/// `client` (each must answer 2xx), and the size of the last answer.
pub async fn one_at_a_time<F>(
    client: &reqwest::Client,
    n: usize,
    make: F,
) -> anyhow::Result<(f64, usize)>
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder,
{
    let mut lat = Vec::with_capacity(n);
    let mut size = 0;
    for i in 0..n {
        let t = Instant::now();
        let r = make(client, i).send().await?;
        if !r.status().is_success() {
            bail!("{} answered {}", r.url(), r.status());
        }
        size = r.bytes().await?.len();
        lat.push(t.elapsed().as_micros() as u64);
    }
    lat.sort_unstable();
    Ok((percentile(&lat, 0.5), size))
}

/// A client for requests one at a time (each may take 30 s).
pub fn single_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// The no-op request, `GET /healthz` at `base`.
pub fn healthz(
    base: &str,
) -> impl Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Clone + Send + Sync + 'static {
    let url = format!("{base}/healthz");
    move |c, _| c.get(&url)
}

/// A request beside the no-op, each one at a time and in a burst.
pub struct VersusNoop {
    pub noop: Figures,
    /// Median ms of 20 no-ops one at a time.
    pub noop_alone: f64,
    pub target: Figures,
    /// Median ms of the request one at a time.
    pub target_alone: f64,
    /// The size of the last answer one at a time.
    pub answer_bytes: usize,
    /// The server's CPU time per request in each burst, ms.
    pub noop_cpu_ms: f64,
    pub target_cpu_ms: f64,
}

/// The no-op `GET /healthz` on `server` and the request `make` builds:
/// first one at a time (20 no-ops, `alone` requests; each must answer 2xx),
/// then a burst of `requests` of each from `clients` concurrent clients,
/// the no-op first (no request starts after `budget`), each burst over
/// connections opened before its clock starts ([`burst_warm`]). `name`
/// names the request in the progress lines (stderr).
pub async fn versus_noop<F>(
    server: &Server,
    clients: usize,
    requests: usize,
    budget: Duration,
    alone: usize,
    name: &str,
    make: F,
) -> anyhow::Result<VersusNoop>
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Clone + Send + Sync + 'static,
{
    let base = &server.base;
    let client = single_client()?;
    let (noop_alone, _) = one_at_a_time(&client, 20, healthz(base)).await?;
    let (target_alone, answer_bytes) = one_at_a_time(&client, alone, make.clone()).await?;
    eprintln!("no-op burst: {requests} requests from {clients} clients …");
    let cpu = server.cpu_secs();
    let warm = {
        let url = format!("{base}/healthz");
        move |c: &reqwest::Client| c.get(&url)
    };
    let noop = burst_warm(clients, requests, budget, warm.clone(), healthz(base)).await?;
    let noop_cpu_ms = (server.cpu_secs() - cpu) * 1000.0 / noop.sent.max(1) as f64;
    eprintln!("{name} burst: {requests} requests from {clients} clients …");
    let cpu = server.cpu_secs();
    let target = burst_warm(clients, requests, budget, warm, make).await?;
    let target_cpu_ms = (server.cpu_secs() - cpu) * 1000.0 / target.sent.max(1) as f64;
    Ok(VersusNoop {
        noop,
        noop_alone,
        target,
        target_alone,
        answer_bytes,
        noop_cpu_ms,
        target_cpu_ms,
    })
}

/// The header of a table of bursts, `title` in its first column.
pub fn print_burst_header(title: &str) {
    println!(
        "{:<44} {:>7} {:>7} {:>10} {:>9} {:>9} {:>9}",
        title, "sent", "2xx", "per sec", "p50 ms", "p99 ms", "alone ms"
    );
}

/// A burst's line in that table (`alone`: the median one at a time, if
/// measured).
pub fn print_burst_row(name: &str, f: &Figures, alone: Option<f64>) {
    let alone = alone.map(|a| format!("{a:.2}")).unwrap_or_default();
    println!(
        "{:<44} {:>7} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>9}",
        name, f.sent, f.ok, f.per_sec, f.p50_ms, f.p99_ms, alone
    );
}

/// `what / no-op: throughput …%, p50 …x, p99 …x`.
pub fn print_versus_noop(what: &str, v: &VersusNoop) {
    println!(
        "{what} / no-op: throughput {:.1}%, p50 {:.1}x, p99 {:.1}x",
        v.target.per_sec / v.noop.per_sec * 100.0,
        v.target.p50_ms / v.noop.p50_ms,
        v.target.p99_ms / v.noop.p99_ms
    );
}

/// The slow-statement warnings (> 1 s) in the server's log `log`: how
/// many, and the statements' summaries, each once.
pub fn slow_statements(log: &Path) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut n = 0;
    let mut kinds: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| l.contains("slow statement")) {
        n += 1;
        let summary = line
            .split("summary=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("?")
            .to_string();
        if !kinds.contains(&summary) {
            kinds.push(summary);
        }
    }
    (n, kinds)
}

/// The value a response sets for cookie `name`.
fn cookie_set(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.to_string())
}

/// Logs in as the demo user `user` (password [`DEMO_PASSWORD`]) through
/// the form, as a browser does: the log-in page sets the CSRF cookie and
/// hands out its token (`<meta name="csrf-token">`); the POST sends both
/// and sets the session cookie. Returns the `Cookie` header for later
/// requests (pages take the session cookie, not API tokens). Log in once
/// and share the cookie: many log-ins from one address are throttled.
pub async fn login(base: &str, user: &str) -> anyhow::Result<String> {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let page = c.get(format!("{base}/login")).send().await?;
    let cookie = cookie_set(&page, "fx_csrf").context("no CSRF cookie on /login")?;
    let html = page.text().await?;
    let token = html
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .context("no CSRF token on /login")?
        .to_string();
    ensure!(token == cookie, "the page's CSRF token is not the cookie's");
    let res = c
        .post(format!("{base}/login"))
        .header(COOKIE, format!("fx_csrf={cookie}"))
        .form(&[
            ("csrf", token.as_str()),
            ("next", "/"),
            ("login", user),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await?;
    ensure!(
        res.status().is_redirection(),
        "log-in as {user} failed: {}",
        res.status()
    );
    let session = cookie_set(&res, "fx_session").context("no session cookie")?;
    Ok(format!("fx_session={session}; fx_csrf={cookie}"))
}

// ----------------------------------------------------------------- server

/// `fanxing serve` as its own process on a free port, its log (stderr) in
/// `log`, every wait bounded: ready within [`READY_WAIT`]; its process id in
/// `server.pid` in the data directory while it runs. When dropped it is killed (SIGKILL) or,
/// started with [`Server::start_graceful`], stopped with SIGTERM and, after
/// [`STOP_WAIT`], SIGKILL.
pub struct Server {
    child: Child,
    pub base: String,
    pid_file: PathBuf,
    graceful: bool,
}

impl Server {
    /// Starts the server on `config`'s database; killed when dropped.
    pub fn start(config: &Config, log: &Path) -> anyhow::Result<Server> {
        Self::launch(config, log, false)
    }

    /// Starts the server on `config`'s database; stopped with SIGTERM when
    /// dropped.
    pub fn start_graceful(config: &Config, log: &Path) -> anyhow::Result<Server> {
        Self::launch(config, log, true)
    }

    fn launch(config: &Config, log: &Path, graceful: bool) -> anyhow::Result<Server> {
        let dir = &config.data_dir;
        let exe = std::env::current_exe()?.with_file_name("fanxing");
        let mut cmd = Command::new(&exe);
        cmd.args(["serve", "--port", "0", "--data-dir"])
            .arg(dir)
            .env("FANXING_DATA_KEY", KEY)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).with_context(|| log.display().to_string())?);
        if let Some(u) = &config.database_url {
            cmd.env("DATABASE_URL", u);
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("start {}", exe.display()))?;
        let pid_file = dir.join("server.pid");
        std::fs::write(&pid_file, child.id().to_string())?;
        let stdout = child.stdout.take().context("stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("Fanxing ready on ") {
                    let base = rest.split_whitespace().next().unwrap_or_default();
                    let _ = tx.send(base.to_string());
                }
            }
        });
        let mut server = Server {
            child,
            base: String::new(),
            pid_file,
            graceful,
        };
        match rx.recv_timeout(READY_WAIT) {
            Ok(base) => server.base = base,
            Err(e) => {
                server.stop();
                let text = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(20).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                bail!(
                    "the server was not ready ({}):\n{}",
                    if e == mpsc::RecvTimeoutError::Timeout {
                        format!("not within {} s", READY_WAIT.as_secs())
                    } else {
                        "it exited".to_string()
                    },
                    tail.join("\n")
                );
            }
        }
        Ok(server)
    }

    /// A `/proc/PID/status` figure (kB there) in MB.
    pub fn mem_mb(&self, field: &str) -> f64 {
        proc_mb(&self.child.id().to_string(), field)
    }

    /// Resets the peak (`VmHWM`) to the current RSS (Linux ≥ 4.0).
    pub fn reset_peak(&self) -> bool {
        reset_proc_peak(&self.child.id().to_string())
    }

    /// CPU seconds the server has used so far, user and system, all its
    /// threads (`/proc/PID/stat`, at 100 clock ticks a second); 0 when it
    /// cannot be read.
    pub fn cpu_secs(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .ok()
            .and_then(|s| {
                let rest = s.rsplit_once(')')?.1;
                let f: Vec<&str> = rest.split_whitespace().collect();
                Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
            })
            .map_or(0.0, |ticks| ticks / 100.0)
    }

    fn stop(&mut self) {
        if self.graceful && matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let until = Instant::now() + STOP_WAIT;
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.pid_file);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
