//! What the benchmarks share: the data key, command-line numbers, bursts
//! of concurrent requests with their latencies, and `fanxing serve` run as
//! its own process.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// The data key every benchmark's data directory is opened with.
pub const KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

pub struct Figures {
    /// Requests sent (fewer than asked when the time budget ran out).
    pub sent: usize,
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub ok: usize,
}

pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
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
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(30))
        .build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let started = Instant::now();
    let deadline = started.checked_add(budget);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, next, make) = (client.clone(), next.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut ok = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs || deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                let t = Instant::now();
                let res = make(&client, i).send().await;
                let good = match res {
                    Ok(r) => {
                        let s = r.status().is_success();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => false,
                };
                lat.push(t.elapsed().as_micros() as u64);
                if good {
                    ok += 1;
                }
            }
            (lat, ok)
        }));
    }
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
        p99_ms: percentile(&all, 0.99),
        ok,
    })
}

/// `fanxing serve` as its own process on a free port, its log (stderr) in
/// `log`; killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn start(dir: &Path, database_url: Option<&str>, log: &Path) -> anyhow::Result<Server> {
        let exe = std::env::current_exe()?.with_file_name("fanxing");
        let mut cmd = Command::new(&exe);
        cmd.args(["serve", "--port", "0", "--data-dir"])
            .arg(dir)
            .env("FANXING_DATA_KEY", KEY)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).with_context(|| log.display().to_string())?);
        if let Some(u) = database_url {
            cmd.env("DATABASE_URL", u);
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("start {}", exe.display()))?;
        let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let base = loop {
            let Some(line) = lines.next() else {
                let _ = child.kill();
                let _ = child.wait();
                let text = std::fs::read_to_string(log).unwrap_or_default();
                bail!("server exited before it was ready:\n{text}");
            };
            if let Some(rest) = line?.strip_prefix("Fanxing ready on ") {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Ok(Server { child, base })
    }

    /// A `/proc/PID/status` figure (kB there) in MB.
    pub fn mem_mb(&self, field: &str) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
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

    /// Resets the peak (`VmHWM`) to the current RSS (Linux ≥ 4.0).
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5").is_ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
