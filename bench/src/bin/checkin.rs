//! Check-in benchmark.
//!
//! Builds a realistic load, then measures the real server over HTTP:
//! 1. registers 3,000 people, one at a time through the service, for one
//!    session with a main venue, 13 sub-venues and an online stream;
//! 2. registers 3,000 more per session for many other sessions (bulk);
//! 3. starts `fanxing serve` as its own process and sends, from 200
//!    concurrent clients, a burst of no-op requests (`/healthz`, the
//!    baseline) and then 100,000 check-ins (one signed ticket per request);
//! 4. prints throughput and latency side by side, with the ratio, and
//!    checks that every acknowledged check-in is in the database.
//!
//! Usage: `checkin-bench [--requests N] [--clients N]` (the `fanxing`
//! binary must sit next to this one: build both with `--release`).
//! `DATABASE_URL` runs it on PostgreSQL (a fresh, empty database).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use fanxing::open;
use fanxing_bench::{
    all_people, arg, backend, burst, config, register_in_bulk, seed_with_programme, tickets,
    verdict, Server,
};
use fanxing_core::now;
use fanxing_core::store::prelude::*;
use fanxing_core::training::{format_local, VenueId};
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let requests = arg("--requests", 100_000);
    let clients = arg("--clients", 200);
    let per_session = 3_000;
    let dir = tempfile::tempdir()?;
    let config = config(dir.path().to_path_buf());
    let backend = backend(&config);
    println!("fanxing check-in benchmark ({backend}, {requests} check-ins, {clients} clients)");
    let opened = open(&config).await?;
    let fx = &opened.app;
    let (admin, programme) = seed_with_programme(&opened).await?;
    let store = opened.store.clone();

    // One session like the opening: a main hall, 13 city halls, online.
    let start = now() + 1800;
    let halls = [
        "320105", "320214", "320303", "320411", "320508", "320613", "320707", "320812", "320902",
        "321003", "321112", "321202", "321302",
    ];
    let mut venues = vec![
        json!({"kind": "main", "name": "主会场", "address": "", "region": "320105", "capacity": 1200}),
    ];
    for h in halls {
        venues.push(json!({"kind": "sub", "name": format!("{h} 分会场"), "address": "", "region": h, "capacity": 300}));
    }
    venues.push(json!({"kind": "online", "name": "线上", "address": "", "region": "320100", "capacity": 5000, "stream_url": "https://live.example/x"}));
    let session_input = |title: &str| -> anyhow::Result<_> {
        Ok(serde_json::from_value(json!({
            "programme_id": programme, "title": title, "region": "320000",
            "starts_at": format_local(start), "ends_at": format_local(start + 3 * 3600),
            "venues": venues,
        }))?)
    };
    let people = all_people(fx).await?;
    let first = fx
        .training
        .create_session(&admin, &session_input("开幕式")?, true)
        .await?;
    let t = Instant::now();
    for p in people.iter().take(per_session) {
        fx.training
            .register(&admin, first.session.id, Some(p.id), None)
            .await?;
    }
    let reg_secs = t.elapsed().as_secs_f64();
    println!(
        "registered {per_session} people over 14 venues + online, one at a time: {reg_secs:.2} s ({:.0}/s)",
        per_session as f64 / reg_secs
    );

    // Enough other sessions, registered in bulk, for the whole burst.
    let mut sessions = vec![first.session.id];
    // Tickets for the one-per-request burst and as many for the batched one.
    let needed = (2 * requests).div_ceil(per_session - per_session / 10);
    for i in 1..=needed {
        let v = fx
            .training
            .create_session(&admin, &session_input(&format!("专场 {i}"))?, true)
            .await?;
        register_in_bulk(&*store, &v, &people, i, per_session).await?;
        sessions.push(v.session.id);
    }
    // Signed tickets, as trainees' phones would show them.
    let mut scans: Vec<(VenueId, String)> = Vec::new();
    for s in &sessions {
        scans.extend(tickets(fx, *s).await?);
    }
    if scans.len() < 2 * requests {
        bail!("only {} tickets for {requests} check-ins", scans.len());
    }
    scans.truncate(2 * requests);
    let token = fx.accounts.create_api_token("admin", "bench").await?;
    drop(opened);

    // The server, as its own process (its log in the data directory).
    let server = Server::start(&config, &dir.path().join("server.log"))?;
    let base = server.base.clone();

    let b = base.clone();
    let noop = burst(clients, requests, Duration::MAX, move |c, _| {
        c.get(format!("{b}/healthz"))
    })
    .await?;
    let scans = Arc::new(scans);
    let (b, s, tok) = (base.clone(), scans.clone(), token.clone());
    let check = burst(clients, requests, Duration::MAX, move |c, i| {
        let (venue, code) = &s[i];
        c.post(format!("{b}/api/v1/venues/{venue}/scans"))
            .bearer_auth(&tok)
            .json(&json!({"device_id": "bench", "scans": [{"scan_id": format!("bench-{i}"), "code": code}]}))
    })
    .await?;
    // Devices that were offline, or scan faster than one round trip, send
    // their queue in batches: the same number of check-ins, 20 per request.
    const BATCH: usize = 20;
    // Batches never mix sessions (a device serves one venue of one session).
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let session_of = |code: &str| code.split('.').nth(1).unwrap_or("").to_string();
    for k in requests..2 * requests {
        match batches.last_mut() {
            Some(b) if b.len() < BATCH && session_of(&scans[b[0]].1) == session_of(&scans[k].1) => {
                b.push(k)
            }
            _ => batches.push(vec![k]),
        }
    }
    let batch_sizes: usize = batches.len();
    let batches = Arc::new(batches);
    let (b, s, tok, bs) = (base.clone(), scans.clone(), token.clone(), batches.clone());
    let t = Instant::now();
    let batched = burst(clients, batch_sizes, Duration::MAX, move |c, i| {
        let venue = s[bs[i][0]].0;
        let items: Vec<serde_json::Value> = bs[i]
            .iter()
            .map(|&k| json!({"scan_id": format!("bench-{k}"), "code": s[k].1, "allow_other_venue": true}))
            .collect();
        c.post(format!("{b}/api/v1/venues/{venue}/scans"))
            .bearer_auth(&tok)
            .json(&json!({"device_id": "bench-batch", "scans": items}))
    })
    .await?;
    let batched_per_sec = requests as f64 / t.elapsed().as_secs_f64();
    let rss = server.mem_mb("VmHWM:");
    drop(server);

    // Durability: every acknowledged check-in is an attendance. The server
    // was killed: check-ins it answered from the scan journal (while the
    // writer was busy) are applied as a restarting server applies them.
    let opened = open(&config).await?;
    opened.store.recover_checkins().await?;
    let mut attendances = 0;
    for s in sessions.iter() {
        attendances += opened.store.attendance_counts(*s).await?.0;
    }
    println!();
    println!(
        "{:<26} {:>12} {:>10} {:>10} {:>10}",
        "", "per second", "p50 ms", "p99 ms", "2xx"
    );
    println!(
        "{:<26} {:>12.0} {:>10.2} {:>10.2} {:>10}",
        "no-op (GET /healthz)", noop.per_sec, noop.p50_ms, noop.p99_ms, noop.ok
    );
    println!(
        "{:<26} {:>12.0} {:>10.2} {:>10.2} {:>10}",
        "check-in (one per request)", check.per_sec, check.p50_ms, check.p99_ms, check.ok
    );
    println!(
        "{:<26} {:>12.0} {:>10.2} {:>10.2} {:>10}",
        "check-in (batches of <=20)", batched_per_sec, batched.p50_ms, batched.p99_ms, batched.ok
    );
    println!("(check-ins per second; the batched row's latencies and 2xx are per request)");
    println!();
    let ratio = check.per_sec / noop.per_sec;
    println!(
        "check-in / no-op throughput: {:.1}%  (target >= 50%: {})",
        ratio * 100.0,
        verdict(ratio >= 0.5)
    );
    println!(
        "check-in p99: {:.2} ms  (target <= 20 ms: {})",
        check.p99_ms,
        verdict(check.p99_ms <= 20.0)
    );
    println!("server peak RSS: {rss:.1} MB");
    let acknowledged = check.ok
        + if batched.ok == batches.len() {
            requests
        } else {
            0
        };
    println!(
        "batched check-ins per second / no-op requests per second: {:.1}%",
        batched_per_sec / noop.per_sec * 100.0
    );
    println!(
        "durable: {acknowledged} acknowledged, {attendances} attendances in the database ({})",
        verdict(attendances as usize >= acknowledged)
    );
    Ok(())
}
