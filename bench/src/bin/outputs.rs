//! Outputs benchmark.
//!
//! Seeds the Jiangsu demo as `fanxing serve --demo` does (people, and the
//! 繁星计划 programme: about 700 held sessions, about 40,000 attendances),
//! then measures the real server, started as its own process, over HTTP,
//! logged in as `admin` through the log-in form:
//! 1. the province dashboard (`/programmes/{id}?region=320000`: SVG map,
//!    burn-up, laggards, upcoming sessions) from 200 concurrent clients, next
//!    to the static asset closest to it in size on the same server;
//! 2. with closed sessions added until the province holds at least 100,000
//!    attendances, each on a freshly started server (so that the peak memory
//!    is the export's): the progress report and one session's attendance
//!    list (the baselines), then every attendance of the province as one
//!    workbook: wall time, bytes, rows read back from the file against the
//!    attendances in the database, the server's RSS before and its peak
//!    (`VmHWM`) after, and `/healthz` latency during the export next to the
//!    same probe idle.
//!
//! It prints figures beside their baselines and never asserts timings.
//!
//! Usage: `outputs-bench [--requests N] [--clients N] [--seconds S]
//! [--attendances N]` (the `fanxing` binary must sit next to this one:
//! build both with `--release`). `DATABASE_URL` runs it on PostgreSQL (a
//! fresh, empty database).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use fanxing::open;
use fanxing_bench::{
    admin, all_people, arg, backend, burst, config, login, mb, one_at_a_time, percentile,
    slow_statements, verdict, Server,
};
use fanxing_core::app::Fanxing;
use fanxing_core::auth::Actor;
use fanxing_core::now;
use fanxing_core::people::{Person, PersonId};
use fanxing_core::region::RegionCode;
use fanxing_core::training::store::{RegistrationRow, SessionQuery, TrainingStore};
use fanxing_core::training::{
    format_local, ProgrammeId, RegistrationStatus, SessionId, SessionStatus,
};
use fanxing_demo::{self as demo, DemoSize, SeedStore};
use reqwest::header::COOKIE;
use serde_json::json;

const PROVINCE: &str = "320000";
/// People per added session (each registered at their own city's hall).
const PER_SESSION: usize = 2_500;

/// One download, measured on the server it ran on.
struct Download {
    label: String,
    secs: f64,
    body: Vec<u8>,
    rows: Option<usize>,
    rss_before_mb: f64,
    peak_mb: f64,
}

/// GETs `path`, timing it to the last byte, with the server's RSS just
/// before (its peak reset there) and its peak after.
async fn download(
    server: &Server,
    cookie: &str,
    label: &str,
    path: &str,
) -> anyhow::Result<Download> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    server.reset_peak();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_before_mb = server.mem_mb("VmRSS:");
    let t = Instant::now();
    let res = client
        .get(format!("{}{path}", server.base))
        .header(COOKIE, cookie)
        .send()
        .await?;
    let status = res.status();
    let body = res.bytes().await?.to_vec();
    let secs = t.elapsed().as_secs_f64();
    let peak_mb = server.mem_mb("VmHWM:");
    ensure!(status.is_success(), "GET {path}: {status}");
    // Rows below the header of the first sheet, read back as offices would.
    let limits = fanxing_core::sheet::GridLimits {
        max_bytes: usize::MAX,
        max_rows: 2_000_000,
        max_cols: 64,
        max_cells: 50_000_000,
        max_inflated: u64::MAX,
        max_entry: u64::MAX,
        max_shared_strings: u64::MAX,
    };
    let rows = fanxing_core::sheet::read_grid("export.xlsx", &body, &limits)
        .map_err(|e| eprintln!("{label}: cannot read the file back: {}", e.key))
        .ok()
        .map(|g| g.len().saturating_sub(1));
    Ok(Download {
        label: label.into(),
        secs,
        body,
        rows,
        rss_before_mb,
        peak_mb,
    })
}

/// `/healthz` latencies (µs, sorted) probed one at a time, every 10 ms,
/// until `stop` is set.
fn probe(base: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Vec<u64>> {
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut lat = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
                let _ = r.bytes().await;
            }
            lat.push(t.elapsed().as_micros() as u64);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        lat.sort_unstable();
        lat
    })
}

/// Attendances of the programme counted in `region`, as the dashboard shows.
async fn province_attendances(
    fx: &Fanxing,
    admin: &Actor,
    programme: ProgrammeId,
    region: RegionCode,
) -> anyhow::Result<i64> {
    let p = fx.training.progress(admin, programme, Some(region)).await?;
    Ok(p.node.actuals.total.attendances)
}

/// Sequential GETs of `url`: the median latency in ms.
async fn single(url: &str, cookie: &str, n: usize) -> anyhow::Result<f64> {
    let client = reqwest::Client::new();
    let (median, _) = one_at_a_time(&client, n, |c, _| c.get(url).header(COOKIE, cookie)).await?;
    Ok(median)
}

/// Adds closed sessions in the past weeks (one hall per city, each person at
/// their own city's hall, nine in ten attending) until the programme holds
/// `wanted` attendances in the province. Returns the sessions added and the
/// attendances they brought.
async fn add_attendances(
    fx: &Fanxing,
    seeds: &dyn SeedStore,
    admin: &Actor,
    programme: ProgrammeId,
    missing: usize,
) -> anyhow::Result<(Vec<SessionId>, u64)> {
    let people = all_people(fx).await?;
    ensure!(people.len() >= PER_SESSION, "only {} people", people.len());
    let halls = [
        "320105", "320214", "320303", "320411", "320508", "320613", "320707", "320812", "320902",
        "321003", "321112", "321202", "321302",
    ];
    let mut venues = Vec::new();
    for (i, h) in halls.iter().enumerate() {
        let kind = if i == 0 { "main" } else { "sub" };
        venues.push(json!({"kind": kind, "name": format!("{h} 会场"), "address": "", "region": h, "capacity": 400}));
    }
    let mut sessions = Vec::new();
    let mut added = 0u64;
    for i in 0..missing.div_ceil(PER_SESSION * 9 / 10) {
        let start = (now() / 86400 - 3 - 2 * i as i64) * 86400 + 3600; // 09:00 Beijing
        let input = serde_json::from_value(json!({
            "programme_id": programme, "title": format!("直播电商实训专场 {}", i + 1),
            "region": PROVINCE,
            "starts_at": format_local(start), "ends_at": format_local(start + 3 * 3600),
            "reg_opens_at": format_local(start - 30 * 86400),
            "venues": venues,
        }))?;
        let v = fx.training.create_session(admin, &input, true).await?;
        let hall_of = |p: &Person| {
            v.venues
                .iter()
                .find(|l| l.venue.region.city() == p.region.city())
                .unwrap_or(&v.venues[0])
                .venue
                .id
        };
        let offset = (i * PER_SESSION * 7 / 5) % people.len();
        let chosen: Vec<&Person> = (0..PER_SESSION)
            .map(|k| &people[(offset + k) % people.len()])
            .collect();
        let rows: Vec<RegistrationRow> = chosen
            .iter()
            .map(|p| RegistrationRow {
                session_id: v.session.id,
                person_id: p.id,
                venue_id: hall_of(p),
                status: RegistrationStatus::Registered,
                created_at: start - 5 * 86400,
            })
            .collect();
        seeds.insert_registrations_bulk(&rows).await?;
        let came: Vec<PersonId> = chosen
            .iter()
            .enumerate()
            .filter(|(k, _)| k % 10 != 9)
            .map(|(_, p)| p.id)
            .collect();
        added += seeds
            .mark_attended(v.session.id, &came, start + 600)
            .await?;
        fx.training
            .set_session_status(admin, v.session.id, SessionStatus::Closed, None)
            .await?;
        sessions.push(v.session.id);
    }
    Ok((sessions, added))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let requests = arg("--requests", 5_000);
    let clients = arg("--clients", 200);
    let budget = Duration::from_secs(arg("--seconds", 150) as u64);
    let wanted = arg("--attendances", 100_000);
    let dir = tempfile::tempdir()?;
    let logs = tempfile::tempdir()?;
    let log = |name: &str| logs.path().join(format!("{name}.log"));
    let config = config(dir.path().to_path_buf());
    let backend = backend(&config);
    println!(
        "fanxing outputs benchmark ({backend}; dashboard: {requests} requests from {clients} clients, at most {} s; export: >= {wanted} attendances)",
        budget.as_secs()
    );

    // The demo, as `fanxing serve --demo` seeds it.
    let t = Instant::now();
    let opened = open(&config).await?;
    let fx = opened.app.clone();
    demo::seed(&fx, &*opened.store, 2026, DemoSize::default()).await?;
    let training = demo::seed_training(&fx, &*opened.store, 2026)
        .await?
        .context("the demo programme already exists")?;
    let programme = training.programme;
    let admin = admin(&fx).await?;
    let province = RegionCode::parse(PROVINCE).context("province code")?;
    let demo_attendances = province_attendances(&fx, &admin, programme, province).await?;
    println!(
        "seeded the demo ({:.1} s): 繁星计划 (programme {programme}), {} sessions held, {demo_attendances} attendances in {PROVINCE}",
        t.elapsed().as_secs_f64(),
        training.held_sessions,
    );
    drop(opened);

    // 1. The dashboard at demo scale, next to a static asset.
    let server = Server::start(&config, &log("dashboard"))?;
    let cookie = login(&server.base, "admin").await?;
    let dashboard_path = format!("/programmes/{programme}?region={PROVINCE}");
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{}{dashboard_path}", server.base))
        .header(COOKIE, &cookie)
        .send()
        .await?;
    ensure!(page.status().is_success(), "dashboard: {}", page.status());
    let page = page.text().await?;
    ensure!(
        page.contains("<svg"),
        "the dashboard has no SVG (not logged in?)"
    );
    let page_bytes = page.len();
    let static_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/fanxing-web/static");
    let mut assets = Vec::new();
    for entry in std::fs::read_dir(static_dir).with_context(|| static_dir.to_string())? {
        let name = entry?.file_name().to_string_lossy().to_string();
        let res = client
            .get(format!("{}/static/{name}", server.base))
            .send()
            .await?;
        if res.status().is_success() {
            assets.push((name, res.bytes().await?.len()));
        }
    }
    assets.sort();
    let (asset, asset_bytes) = assets
        .iter()
        .min_by_key(|(_, n)| n.abs_diff(page_bytes))
        .cloned()
        .context("no static asset served")?;
    let dashboard_url = format!("{}{dashboard_path}", server.base);
    let asset_url = format!("{}/static/{asset}", server.base);
    let dash_single = single(&dashboard_url, &cookie, 5).await?;
    let asset_single = single(&asset_url, "", 5).await?;
    let a = asset_url.clone();
    let fixed = burst(clients, requests, budget, move |c, _| c.get(&a)).await?;
    let (d, ck) = (dashboard_url.clone(), cookie.clone());
    let dash = burst(clients, requests, budget, move |c, _| {
        c.get(&d).header(COOKIE, &ck)
    })
    .await?;
    let dash_peak = server.mem_mb("VmHWM:");
    drop(server);

    // 2. Enough attendances for the big export (no server running).
    let t = Instant::now();
    let opened = open(&config).await?;
    let missing = wanted.saturating_sub(demo_attendances as usize);
    let (added_sessions, added) =
        add_attendances(&opened.app, &*opened.store, &admin, programme, missing).await?;
    let expected = province_attendances(&opened.app, &admin, programme, province).await?;
    let sample_session = match added_sessions.first() {
        Some(s) => *s,
        None => {
            opened
                .store
                .list_sessions(&SessionQuery {
                    programme_id: Some(programme),
                    statuses: vec![SessionStatus::Closed],
                    limit: 1,
                    ..Default::default()
                })
                .await?
                .items
                .first()
                .context("no closed session")?
                .id
        }
    };
    println!(
        "added {} closed sessions with {added} attendances ({:.1} s): {expected} attendances in {PROVINCE}",
        added_sessions.len(),
        t.elapsed().as_secs_f64()
    );
    drop(opened);

    // The baselines, the small exports, on a server of their own (the
    // session cookie stays valid: sessions live in the database).
    let server = Server::start(&config, &log("baselines"))?;
    let peak_reset = server.reset_peak();
    let report = download(
        &server,
        &cookie,
        "progress report.xlsx",
        &format!("/programmes/{programme}/report.xlsx?region={PROVINCE}"),
    )
    .await?;
    let session_list = download(
        &server,
        &cookie,
        "one session's attendance.xlsx",
        &format!("/sessions/{sample_session}/attendance.xlsx"),
    )
    .await?;
    drop(server);

    // The big export, first thing on a fresh server, with /healthz probed
    // idle and meanwhile; then the dashboard one at a time at this scale.
    let server = Server::start(&config, &log("export"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let idle_probe = probe(server.base.clone(), stop.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let idle = idle_probe.await?;
    let stop = Arc::new(AtomicBool::new(false));
    let busy_probe = probe(server.base.clone(), stop.clone());
    let export = download(
        &server,
        &cookie,
        "attendances.xlsx (province)",
        &format!("/programmes/{programme}/attendances.xlsx?region={PROVINCE}"),
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let busy = busy_probe.await?;
    let export = export?;
    let dash_single_big = single(&format!("{}{dashboard_path}", server.base), &cookie, 5).await?;
    drop(server);

    // The figures.
    println!();
    println!(
        "{:<34} {:>9} {:>8} {:>10} {:>10} {:>10} {:>8} {:>9}",
        "GET, 200 concurrent clients",
        "bytes",
        "sent",
        "per second",
        "p50 ms",
        "p99 ms",
        "2xx",
        "alone ms"
    );
    for (label, bytes, f, single) in [
        (
            format!("/static/{asset}"),
            asset_bytes,
            &fixed,
            asset_single,
        ),
        (
            format!("dashboard ?region={PROVINCE}"),
            page_bytes,
            &dash,
            dash_single,
        ),
    ] {
        println!(
            "{:<34} {:>9} {:>8} {:>10.0} {:>10.2} {:>10.2} {:>8} {:>9.1}",
            label, bytes, f.sent, f.per_sec, f.p50_ms, f.p99_ms, f.ok, single
        );
    }
    println!(
        "(alone: median of 5 requests one at a time; demo scale, {demo_attendances} attendances; a burst starts no request after {} s)",
        budget.as_secs()
    );
    let ratio = page_bytes as f64 / asset_bytes as f64;
    if !(0.5..=2.0).contains(&ratio) {
        let sizes: Vec<String> = assets.iter().map(|(n, b)| format!("{n} {b}")).collect();
        println!(
            "(no static asset is close in size: the dashboard is {ratio:.1}x the closest; assets in bytes: {})",
            sizes.join(", ")
        );
    }
    println!(
        "dashboard / static throughput: {:.2}%",
        dash.per_sec / fixed.per_sec * 100.0
    );
    println!(
        "dashboard p99: {:.2} ms  (target <= 50 ms: {})",
        dash.p99_ms,
        verdict(dash.p99_ms <= 50.0 && dash.ok == dash.sent)
    );
    println!(
        "dashboard one at a time with {expected} attendances: {dash_single_big:.1} ms (demo scale: {dash_single:.1} ms)"
    );
    println!("server peak RSS after the dashboard load: {dash_peak:.1} MB");
    println!();
    println!(
        "{:<32} {:>8} {:>8} {:>8} {:>14} {:>9} {:>10}",
        "export (admin, GET)", "rows", "MB", "wall s", "RSS before MB", "peak MB", "growth MB"
    );
    for d in [&report, &session_list, &export] {
        println!(
            "{:<32} {:>8} {:>8.2} {:>8.3} {:>14.1} {:>9.1} {:>10.1}",
            d.label,
            d.rows.map(|r| r.to_string()).unwrap_or_else(|| "?".into()),
            mb(d.body.len()),
            d.secs,
            d.rss_before_mb,
            d.peak_mb,
            d.peak_mb - d.rss_before_mb
        );
    }
    println!(
        "(rows below the header; growth = VmHWM after - VmRSS before; {})",
        if peak_reset {
            "the peak is reset through /proc/PID/clear_refs before each export"
        } else {
            "the peak could NOT be reset: the second baseline's peak includes the first"
        }
    );
    println!(
        "attendances.xlsx: {} bytes, {:.0} rows/s; {} rows in the file, {expected} attendances of the programme in {PROVINCE} ({})",
        export.body.len(),
        export.rows.unwrap_or(0) as f64 / export.secs,
        export
            .rows
            .map(|r| r.to_string())
            .unwrap_or_else(|| "unreadable".into()),
        verdict(export.rows == Some(expected as usize))
    );
    println!(
        "/healthz one at a time, idle: p50 {:.2} ms, max {:.2} ms ({} probes); during the export: p50 {:.2} ms, max {:.2} ms ({} probes)",
        percentile(&idle, 0.5),
        idle.last().copied().unwrap_or(0) as f64 / 1000.0,
        idle.len(),
        percentile(&busy, 0.5),
        busy.last().copied().unwrap_or(0) as f64 / 1000.0,
        busy.len()
    );
    for name in ["dashboard", "baselines", "export"] {
        let (n, kinds) = slow_statements(&log(name));
        if n > 0 {
            println!(
                "server log ({name}): {n} slow-statement warnings (> 1 s): {}",
                kinds.join("; ")
            );
        }
    }
    Ok(())
}
