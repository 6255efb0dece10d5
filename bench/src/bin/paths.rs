//! bench/paths: learning paths, each figure beside a baseline measured in
//! the same run.
//!
//! The Jiangsu demo at its default size (about 30,000 people), its
//! programme 繁星计划 and synthetic live rooms (`--rooms`, default 43,000,
//! the province's count, over `--months`, default 6, from January 2025; a
//! share of 30 % asked to be run by trainees, as many as the programme
//! trained, about 740; every third trained room with a planted weakness)
//! are seeded into a fresh data directory (SQLite unless `DATABASE_URL` is
//! set): about 3.3 million live sessions, a minute or so. Then:
//!
//! 1. **Every trainee's path.** The baseline is
//!    `PathService::read_every_input` (every SQL read the paths need:
//!    people, courses attended, both windows' room sums, operators, the
//!    reference data); beside it the same read followed by
//!    `PathService::compute_every_path` (a path for every person). Best and
//!    median of `--runs` (default 5) of each, interleaved; the ratio of the
//!    medians against the goal (≤ 3×); the peak heap of each (Rust
//!    allocations, through an instrumented global allocator).
//! 2. **The trainee's home page over HTTP.** `fanxing serve` is started as
//!    its own process on the same data directory, the demo `trainee` logs
//!    in once through the log-in form, and from 200 concurrent clients
//!    `--requests` no-op `GET /healthz` (the baseline) and as many `GET /`
//!    with the session cookie (the home page with the path card) are sent:
//!    requests/s, p50, p99, the ratios, home p99 against the goal
//!    (≤ 50 ms), and the server's CPU time per request. A diagnostic third
//!    burst asks for the same trainee's path alone as JSON
//!    (`GET /api/v1/me/path`, with an API token).
//!
//! Usage: `paths-bench [--part all|compute|http] [--requests N]
//! [--clients N] [--seconds S] [--runs N] [--rooms N] [--months N]
//! [--dir DIR]` (the `fanxing` binary must sit next to this one: build both
//! with `--release`; `bench/paths.sh` does). The data directory and the
//! server's log go to `--dir` (default: a temporary directory removed at
//! the end); the server's process id is written to `DIR/data/server.pid`
//! while it runs, so that the script can stop it if this process is
//! killed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use fanxing::{open, Config};
use fanxing_bench::{
    arg, backend, burst, config, login, mb, one_at_a_time, print_burst_header, print_burst_row,
    print_versus_noop, proc_mb, reset_proc_peak, single_client, slow_statements, text_arg, verdict,
    versus_noop, Server,
};
use fanxing_core::paths::service::PathService;
use fanxing_core::paths::Reason;
use fanxing_demo::live::{seed_analytics, GenConfig};
use fanxing_demo::{self as demo, DemoSize};
use peakmem_alloc::{PeakMemAlloc, PeakMemAllocTrait, INSTRUMENTED_SYSTEM};
use reqwest::header::COOKIE;

/// Counts the bytes allocated since a reset, and their peak.
#[global_allocator]
static GLOBAL: &PeakMemAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Goal: every path computed within this many times the reads they need.
const GOAL_RATIO: f64 = 3.0;
/// Goal: the trainee's home page's p99 at 200 connections, in ms.
const GOAL_HOME_P99_MS: f64 = 50.0;

/// What was seeded.
struct Seeded {
    people: usize,
    rooms: usize,
    trained_rooms: usize,
    sessions: usize,
    /// An API token of the demo `trainee` (for the diagnostic burst).
    token: String,
}

/// Seeds the demo (seed 2026, default size), its programme and `gen`'s
/// live rooms into `config`'s empty database, printing the time of each
/// step on stderr.
async fn seed(config: &Config, gen: &GenConfig, exports: &Path) -> anyhow::Result<Seeded> {
    let opened = open(config).await?;
    let (app, store) = (&opened.app, &*opened.store);
    let t = Instant::now();
    let report = demo::seed(app, store, 2026, DemoSize::default())
        .await?
        .context("the database is not empty")?;
    eprintln!(
        "seeded the demo: {} organisations, {} people ({:.1} s)",
        report.orgs,
        report.people,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let training = demo::seed_training(app, store, 2026)
        .await?
        .context("the programme exists already")?;
    eprintln!(
        "seeded the programme: {} sessions held, {} attendances, {} upcoming ({:.1} s)",
        training.held_sessions,
        training.attendances,
        training.upcoming_sessions,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let live = seed_analytics(app, store, gen, exports, |_, _, _| {})
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.detail(fanxing_core::Lang::En)))?
        .context("live rooms exist already")?;
    eprintln!(
        "seeded live rooms: {} rooms ({} run by trainees, {} with a planted weakness), \
         {} sessions in {} files ({:.1} s: generated in {:.1} s, imported in {:.1} s)",
        live.rooms,
        live.trained_rooms,
        live.planted.len(),
        live.sessions,
        live.files,
        t.elapsed().as_secs_f64(),
        live.generate.as_secs_f64(),
        live.import.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(exports);
    let token = app
        .accounts
        .create_api_token("trainee", "paths-bench")
        .await?;
    Ok(Seeded {
        people: report.people,
        rooms: live.rooms,
        trained_rooms: live.trained_rooms,
        sessions: live.sessions,
        token,
    })
}

/// Best and median of `xs` (seconds).
fn best_median(xs: &[f64]) -> (f64, f64) {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

/// Part 1: every person's path beside the reads it needs.
async fn compute(config: &Config, seeded: &Seeded, runs: usize) -> anyhow::Result<()> {
    let opened = open(config).await?;
    let paths = &opened.app.paths;
    reset_proc_peak("self");
    let rss_before = proc_mb("self", "VmRSS:");
    let (mut read, mut both, mut alone) = (Vec::new(), Vec::new(), Vec::new());
    let (mut heap_read, mut heap_both) = (0usize, 0usize);
    let mut last = None;
    for i in 0..runs {
        eprintln!("every path: run {} of {runs} …", i + 1);
        // (a) the reads alone.
        GLOBAL.reset_peak_memory();
        let t = Instant::now();
        let input = paths.read_every_input().await?;
        read.push(t.elapsed().as_secs_f64());
        heap_read = heap_read.max(GLOBAL.get_peak_memory());
        drop(input);
        // (b) the reads, then every path.
        GLOBAL.reset_peak_memory();
        let t = Instant::now();
        let input = paths.read_every_input().await?;
        let c = Instant::now();
        let out = PathService::compute_every_path(&input);
        alone.push(c.elapsed().as_secs_f64());
        both.push(t.elapsed().as_secs_f64());
        heap_both = heap_both.max(GLOBAL.get_peak_memory());
        last = Some((input, out));
    }
    let peak_rss = proc_mb("self", "VmHWM:");
    let (input, out) = last.context("--runs 0")?;

    let trainee_rooms: HashSet<_> = input.operators.iter().map(|o| o.room).collect();
    let operators: HashSet<_> = input.operators.iter().map(|o| o.person).collect();
    let non_empty = out.values().filter(|r| !r.is_empty()).count();
    let with_gap = out
        .values()
        .filter(|r| {
            r.iter()
                .any(|x| x.reasons.iter().any(|y| matches!(y, Reason::Gap { .. })))
        })
        .count();
    let courses: usize = out.values().map(Vec::len).sum();
    let (best_a, med_a) = best_median(&read);
    let (best_b, med_b) = best_median(&both);
    let (best_c, med_c) = best_median(&alone);

    println!();
    println!(
        "Every trainee's path ({}; best and median of {runs} runs, interleaved)",
        backend(config)
    );
    println!(
        "{:<44} {:>9} {:>9} {:>13}",
        "", "best s", "median s", "peak heap MB"
    );
    println!(
        "{:<44} {:>9.3} {:>9.3} {:>13.1}",
        "(a) read_every_input (baseline)",
        best_a,
        med_a,
        mb(heap_read)
    );
    println!(
        "{:<44} {:>9.3} {:>9.3} {:>13.1}",
        "(b) read_every_input + compute_every_path",
        best_b,
        med_b,
        mb(heap_both)
    );
    println!(
        "{:<44} {:>9.3} {:>9.3}",
        "    of which compute_every_path", best_c, med_c
    );
    println!(
        "people {}, paths computed {} ({non_empty} with a course, {with_gap} with a room's gap \
         among their reasons, {courses} courses in all); rooms {} ({} with data in the last \
         window), {} run by trainees ({} in the window's operators, {} operators), {} live \
         sessions",
        input.people.len(),
        out.len(),
        seeded.rooms,
        input.recent.len(),
        seeded.trained_rooms,
        trainee_rooms.len(),
        operators.len(),
        seeded.sessions
    );
    println!(
        "inputs: {} courses attended (person, course), {} and {} room lines in the two windows, \
         {} courses, {} upcoming sessions (demo people seeded: {})",
        input.attended.len(),
        input.recent.len(),
        input.earlier.len(),
        input.reference.catalogue.courses.len(),
        input.reference.sessions.len(),
        seeded.people
    );
    println!(
        "(peak heap: Rust allocations above those live at the run's start, the largest of the \
         runs; SQLite's own memory not included. This process: RSS {rss_before:.0} MB before the \
         runs, peak {peak_rss:.0} MB during them)"
    );
    let ratio = med_b / med_a;
    println!(
        "ratio b/a (medians): {ratio:.2}x, best {:.2}x  (goal <= {GOAL_RATIO}x: {})",
        best_b / best_a,
        verdict(ratio <= GOAL_RATIO)
    );
    Ok(())
}

/// Part 2: the trainee's home page over HTTP beside the no-op.
async fn http(
    config: &Config,
    token: &str,
    dir: &Path,
    requests: usize,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    let log = dir.join("server.log");
    let server = Server::start_graceful(config, &log)?;
    let base = server.base.clone();
    let cookie = login(&base, "trainee").await?;
    let url = format!("{base}/");

    // The page as the trainee sees it: the path card must be there (a lost
    // session would redirect to the log-in page, which answers 200 too).
    let check = |html: &str| -> anyhow::Result<usize> {
        ensure!(
            html.contains("id=\"path-h\""),
            "GET / shows no path card: not the trainee's home page"
        );
        Ok(html.matches("class=\"card path-rec\"").count())
    };
    let client = single_client()?;
    let t = Instant::now();
    let res = client.get(&url).header(COOKIE, &cookie).send().await?;
    ensure!(res.status().is_success(), "GET /: {}", res.status());
    let html = res.text().await?;
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    let courses = check(&html)?;
    let (slow_first, _) = slow_statements(&log);

    let ck = cookie.clone();
    let u = url.clone();
    let v = versus_noop(
        &server,
        clients,
        requests,
        Duration::from_secs(seconds),
        20,
        "home page",
        move |c, _| c.get(&u).header(COOKIE, &ck),
    )
    .await?;
    // Still logged in after the burst.
    let after = client.get(&url).header(COOKIE, &cookie).send().await?;
    ensure!(after.status().is_success(), "GET /: {}", after.status());
    check(&after.text().await?)?;
    // Diagnostic: the path alone, as JSON through the API (the same
    // `my_path`, without the rest of the home page).
    let api = format!("{base}/api/v1/me/path");
    let (a, tok) = (api.clone(), token.to_string());
    let path_api = move |c: &reqwest::Client, _| c.get(&a).bearer_auth(&tok);
    let (api_alone, api_bytes) = one_at_a_time(&client, 20, path_api.clone()).await?;
    eprintln!("path API burst: {requests} requests from {clients} clients …");
    let cpu = server.cpu_secs();
    let api_burst = burst(clients, requests, Duration::from_secs(seconds), path_api).await?;
    let api_cpu_ms = (server.cpu_secs() - cpu) * 1000.0 / api_burst.sent.max(1) as f64;
    let peak = server.mem_mb("VmHWM:");
    drop(server);
    let (slow, kinds) = slow_statements(&log);

    println!();
    print_burst_header(&format!(
        "{}, {clients} concurrent clients",
        backend(config)
    ));
    print_burst_row("no-op (GET /healthz)", &v.noop, Some(v.noop_alone));
    print_burst_row(
        "GET / (trainee's home page, path card)",
        &v.target,
        Some(v.target_alone),
    );
    print_burst_row(
        "  GET /api/v1/me/path alone (diagn.)",
        &api_burst,
        Some(api_alone),
    );
    println!(
        "(alone: median of 20 requests one at a time; the first GET / after the start, which \
         reads the gap snapshot and the reference data: {first_ms:.1} ms; the page: {} bytes, \
         {courses} courses on its path card; logged in once as `trainee`, the cookie shared; a \
         burst starts no request after {seconds} s; the diagnostic row: the same trainee's \
         path as JSON, {api_bytes} bytes, with an API token)",
        v.answer_bytes
    );
    println!(
        "server CPU per request (user + system, all threads, over each burst): no-op {:.2} ms, \
         home page {:.2} ms, path API {api_cpu_ms:.2} ms",
        v.noop_cpu_ms, v.target_cpu_ms
    );
    print_versus_noop("home", &v);
    println!(
        "home p99: {:.2} ms  (goal <= {GOAL_HOME_P99_MS} ms: {})",
        v.target.p99_ms,
        verdict(v.target.p99_ms <= GOAL_HOME_P99_MS)
    );
    println!(
        "server peak RSS: {peak:.1} MB; slow-statement warnings (> 1 s) in its log: {slow}, \
         {slow_first} of them during the first GET /{}",
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join("; "))
        }
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let requests = arg("--requests", 5_000);
    let clients = arg("--clients", 200);
    let seconds = arg("--seconds", 120) as u64;
    let runs = arg("--runs", 5).max(1);
    let gen = GenConfig {
        rooms: arg("--rooms", 43_000),
        months: arg("--months", 6) as u32,
        trained_share: 0.3,
        planted_every: 3,
        ..GenConfig::small(2026)
    };
    let part = text_arg("--part").unwrap_or_else(|| "all".into());
    if !matches!(part.as_str(), "all" | "compute" | "http") {
        bail!("--part all, compute or http");
    }
    let work = fanxing_bench::work_dir()?;
    let dir: PathBuf = work.path.clone();
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let config = config(data);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "fanxing learning-paths benchmark ({cores} CPUs; {}; demo at its default size, {} live \
         rooms over {} months; {requests} requests a burst from {clients} clients)",
        backend(&config),
        gen.rooms,
        gen.months
    );
    let t = Instant::now();
    let seeded = seed(&config, &gen, &dir.join("exports")).await?;
    println!(
        "seeded in {:.1} s: {} people, {} rooms ({} run by trainees), {} live sessions",
        t.elapsed().as_secs_f64(),
        seeded.people,
        seeded.rooms,
        seeded.trained_rooms,
        seeded.sessions
    );
    if part == "all" || part == "compute" {
        compute(&config, &seeded, runs).await?;
    }
    if part == "all" || part == "http" {
        http(&config, &seeded.token, &dir, requests, clients, seconds).await?;
    }
    Ok(())
}
