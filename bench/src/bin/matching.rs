//! bench/matching: resource matching, each figure beside a baseline
//! measured in the same run.
//!
//! A fresh data directory (SQLite unless `DATABASE_URL` is set) gets the
//! Jiangsu demo at a small size (for its regions and accounts), then
//! `--enterprises` (default 43,000) enterprises spread over the province's
//! counties, each with four facts (twelve months' sales, months trading,
//! refund rate, violations) and an open loan need, and `--offers` (default
//! 300) loan offers of ten banks, each with five rules (region, months
//! trading, violations, sales: hard; refund rate: soft). Then:
//!
//! 1. **Re-evaluating after a rule change.** The demo bank changes one
//!    rule of its offer (months trading ≥ 6 → ≥ 12, and back, run after
//!    run) through `MatchingService::save_offer`, which evaluates the offer
//!    against every open need and stores each result with its explanation
//!    (every rule's outcome, the score's factors). The baseline is one
//!    plain SQL query that applies the same hard rules to the same needs
//!    and returns the eligible needs' ids. Best and median of `--runs`
//!    (default 5) of each, interleaved; the ratio of the medians against the
//!    goal (≤ 2×); both must agree on how many needs are eligible.
//! 2. **Ranked matches for one need over HTTP.** `fanxing serve` runs as its
//!    own process on the same data; the demo trainee's enterprise states a
//!    loan need (evaluated against all the offers), and from `--clients`
//!    (default 200) concurrent clients `--requests` no-op `GET /healthz`
//!    (the baseline) and as many `GET /api/v1/match/needs/{id}/matches`
//!    with the trainee's API token are sent: requests/s, p50, p99, the
//!    ratios, and matches p99 against the goal (≤ 50 ms).
//!
//! Usage: `matching-bench [--part all|evaluate|http] [--enterprises N]
//! [--offers N] [--runs N] [--requests N] [--clients N] [--seconds S]
//! [--dir DIR]` (the `fanxing` binary must sit next to this one: build both
//! with `--release`; `bench/matching.sh` does).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use fanxing::{open, Config, Opened};
use fanxing_bench::{
    admin, arg, backend, config, print_burst_header, print_burst_row, print_versus_noop, text_arg,
    verdict, versus_noop, Server,
};
use fanxing_core::auth::Actor;
use fanxing_core::matching::rules::{Op, Rule};
use fanxing_core::matching::service::{NeedInput, OfferInput, RuleInput};
use fanxing_core::matching::store::{MatchingStore, OfferDraft};
use fanxing_core::matching::{OfferKind, PartnerKind};
use fanxing_core::people::{OrgDraft, OrgKind};
use fanxing_core::region::{RegionCode, RegionLevel};
use fanxing_demo::{self as demo, DemoSize, SeedStore};

/// Goal: re-evaluation after a rule change within this many times the
/// plain SQL query.
const GOAL_RATIO: f64 = 2.0;
/// Goal: ranked matches' p99 at 200 connections, in ms.
const GOAL_P99_MS: f64 = 50.0;

const PROVINCE: u32 = 320000;

/// A small deterministic generator (the figures must not depend on the
/// run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }
}

/// The changed offer's rules: `months` is the months-trading threshold.
fn bench_rules(months: i64) -> Vec<RuleInput> {
    let rule = |field: &str, op: &str, value: String, hard: bool, zh: &str| RuleInput {
        field: field.into(),
        op: op.into(),
        value,
        hard,
        message_zh: zh.into(),
        message_en: format!("{field} not met"),
        citation: "产品说明书（示例）".into(),
        max_age_days: None,
    };
    vec![
        rule(
            "region",
            "within",
            PROVINCE.to_string(),
            true,
            "仅限江苏省内企业",
        ),
        rule(
            "shop_age_months",
            "ge",
            months.to_string(),
            true,
            "店铺经营须满规定月数",
        ),
        rule("violations_12m", "le", "0".into(), true, "近 12 个月无违规"),
        rule(
            "sales_12m_fen",
            "ge",
            "20000000".into(),
            true,
            "近 12 个月销售额不低于 20 万元",
        ),
        rule(
            "refund_rate_bp",
            "le",
            "1500".into(),
            false,
            "退款率不高于 15%",
        ),
    ]
}

fn offer_input(months: i64) -> OfferInput {
    OfferInput {
        kind: "loan".into(),
        title: "电商贷（基准测试）".into(),
        amount_min_fen: Some(3_000_000),
        amount_max_fen: Some(300_000_000),
        rate_min_bp: Some(380),
        rate_max_bp: Some(900),
        decision_days: 5,
        valid_from: 1_735_660_800,
        valid_until: 1_893_427_200,
        rules: bench_rules(months),
        ..Default::default()
    }
}

/// The plain SQL baseline: the needs the changed offer's hard rules let
/// through, each fact the enterprise's latest of its metric.
fn baseline_sql(months: i64) -> String {
    let (lo, hi) = {
        let r = RegionCode::from_value(PROVINCE)
            .expect("province")
            .subtree();
        (r.lo, r.hi)
    };
    let fact = |metric: &str| {
        format!(
            "(SELECT f.value_num FROM enterprise_facts f WHERE f.org_id = n.org_id \
             AND f.metric = '{metric}' ORDER BY f.as_of DESC, f.id DESC LIMIT 1)"
        )
    };
    format!(
        "SELECT n.id FROM match_needs n JOIN organisations o ON o.id = n.org_id \
         WHERE n.open = 1 AND n.kind = 'loan' AND o.region BETWEEN {lo} AND {hi} \
         AND {} >= {months} AND {} <= 0 AND {} >= 20000000",
        fact("shop_age_months"),
        fact("violations_12m"),
        fact("sales_12m_fen"),
    )
}

struct Seeded {
    bank: Actor,
    trainee: Actor,
    offer: i64,
    needs: usize,
    offers: usize,
    token: String,
}

/// Runs `sql` statements built from rows of `values` in chunks of 500.
async fn insert_rows(opened: &Opened, head: &str, rows: &[String]) -> anyhow::Result<()> {
    for chunk in rows.chunks(500) {
        let sql = format!("{head} VALUES {}", chunk.join(", "));
        sqlx::query(&sql).execute(opened.store.writer()).await?;
    }
    Ok(())
}

async fn seed(opened: &Opened, enterprises: usize, offers: usize) -> anyhow::Result<Seeded> {
    let (app, store) = (&opened.app, &*opened.store);
    let now = fanxing_core::now();
    let t = Instant::now();
    demo::seed(
        app,
        store,
        2026,
        DemoSize {
            orgs: 200,
            people: 2_000,
        },
    )
    .await?
    .context("the database is not empty")?;
    let admin = admin(app).await?;
    let user = |name: &'static str| async move {
        anyhow::Ok(Actor::new(
            app.stores
                .accounts
                .find_user_by_username(name)
                .await?
                .context(name)?,
        ))
    };
    let (bank, trainee) = (user("bank").await?, user("trainee").await?);
    eprintln!("seeded the demo ({:.1} s)", t.elapsed().as_secs_f64());

    // Enterprises over the counties, with their facts and an open need.
    let t = Instant::now();
    let counties: Vec<RegionCode> = app
        .stores
        .people
        .list_regions(Some(RegionLevel::County), None)
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect();
    ensure!(!counties.is_empty(), "no counties");
    let mut rng = Lcg(2026);
    let drafts: Vec<OrgDraft> = (0..enterprises)
        .map(|i| OrgDraft {
            name: format!("基准企业{i:05}"),
            kind: OrgKind::Enterprise,
            industry: None,
            sales_band: None,
            credit_code: None,
            region: counties[i % counties.len()],
        })
        .collect();
    let orgs = store.insert_orgs_bulk(&drafts, now).await?;
    let mut facts = Vec::with_capacity(orgs.len() * 4);
    let mut needs = Vec::with_capacity(orgs.len());
    for org in &orgs {
        let org = i64::from(*org);
        for (metric, value) in [
            ("sales_12m_fen", rng.range(1_000_000, 2_000_000_000)),
            ("shop_age_months", rng.range(0, 60)),
            ("refund_rate_bp", rng.range(100, 3000)),
            ("violations_12m", (rng.range(0, 10) - 7).max(0)),
        ] {
            facts.push(format!(
                "({org}, '{metric}', {value}, '2026-11', 'declared', {now})"
            ));
        }
        needs.push(format!(
            "({org}, 'loan', {}, '备货', 'sales_12m_fen', {}, 1, {now})",
            rng.range(1_000_000, 300_000_000),
            now + 90 * 86_400
        ));
    }
    insert_rows(
        opened,
        "INSERT INTO enterprise_facts (org_id, metric, value_num, period, source, as_of)",
        &facts,
    )
    .await?;
    insert_rows(
        opened,
        "INSERT INTO match_needs (org_id, kind, amount_fen, purpose, consent_facts, \
         consent_until, open, created_at)",
        &needs,
    )
    .await?;
    eprintln!(
        "seeded {} enterprises, {} facts, {} needs ({:.1} s)",
        orgs.len(),
        facts.len(),
        needs.len(),
        t.elapsed().as_secs_f64()
    );

    // Ten banks (the demo bank one of them), serving cities or the
    // province, with the offers spread over them.
    let t = Instant::now();
    let matching = &opened.matching;
    let bank_org = bank.user.org_id.context("the bank's organisation")?;
    matching
        .register_partner(
            &admin,
            bank_org,
            PartnerKind::Bank,
            RegionCode::from_value(PROVINCE).context("province")?,
        )
        .await?;
    let cities: Vec<RegionCode> = app
        .stores
        .people
        .list_regions(Some(RegionLevel::City), None)
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect();
    let banks = store
        .insert_orgs_bulk(
            &(1..10)
                .map(|i| OrgDraft {
                    name: format!("基准银行{i}"),
                    kind: OrgKind::Bank,
                    industry: None,
                    sales_band: None,
                    credit_code: None,
                    region: cities[i % cities.len()],
                })
                .collect::<Vec<_>>(),
            now,
        )
        .await?;
    for (i, b) in banks.iter().enumerate() {
        matching
            .register_partner(
                &admin,
                *b,
                PartnerKind::Bank,
                cities[(i + 1) % cities.len()],
            )
            .await?;
    }
    let mut partners = vec![bank_org];
    partners.extend(banks);
    let offer = matching.save_offer(&bank, None, &offer_input(6)).await?.id;
    let rules_of = |months: i64| -> Vec<Rule> {
        bench_rules(months)
            .into_iter()
            .enumerate()
            .map(|(i, r)| Rule {
                id: i as i64,
                field: r.field,
                op: Op::parse(&r.op).expect("op"),
                value: r.value,
                hard: r.hard,
                message_zh: r.message_zh,
                message_en: r.message_en,
                citation: r.citation,
                max_age_days: r.max_age_days,
            })
            .collect()
    };
    for i in 1..offers {
        let partner = partners[i % partners.len()];
        let mut draft = OfferDraft {
            kind: OfferKind::Loan,
            title: format!("电商贷{i}（基准测试）"),
            description: String::new(),
            amount_min_fen: Some(rng.range(1, 10) * 1_000_000),
            amount_max_fen: Some(rng.range(10, 300) * 1_000_000),
            term_months: Some(12),
            rate_min_bp: Some(rng.range(300, 600)),
            rate_max_bp: Some(rng.range(600, 1500)),
            price_fen: None,
            materials: String::new(),
            decision_days: rng.range(3, 15),
            quota: None,
            valid_from: 1_735_660_800,
            valid_until: 1_893_427_200,
            policy_basis: String::new(),
            stages: Vec::new(),
        };
        draft.amount_max_fen = draft.amount_max_fen.max(draft.amount_min_fen);
        store
            .insert_offer(partner, &draft, &rules_of(rng.range(3, 24)), now)
            .await?;
    }
    eprintln!(
        "seeded {offers} offers ({:.1} s)",
        t.elapsed().as_secs_f64()
    );
    let token = app
        .accounts
        .create_api_token("trainee", "matching-bench")
        .await?;
    Ok(Seeded {
        bank,
        trainee,
        offer,
        needs: needs.len(),
        offers,
        token,
    })
}

fn best_median(xs: &[f64]) -> (f64, f64) {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

/// Part 1: one offer's rule change, re-evaluated with explanations, beside
/// the plain SQL query.
async fn evaluate(config: &Config, opened: &Opened, s: &Seeded, runs: usize) -> anyhow::Result<()> {
    let (mut base, mut ours) = (Vec::new(), Vec::new());
    let mut agree = Vec::new();
    for i in 0..runs {
        let months = if i % 2 == 0 { 12 } else { 6 };
        eprintln!(
            "rule change: run {} of {runs} (months >= {months}) …",
            i + 1
        );
        let t = Instant::now();
        let ids = sqlx::query(&baseline_sql(months))
            .fetch_all(opened.store.pool())
            .await?;
        base.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        opened
            .matching
            .save_offer(&s.bank, Some(s.offer), &offer_input(months))
            .await?;
        ours.push(t.elapsed().as_secs_f64());
        // The stored results agree with the query.
        let eligible: i64 = {
            use sqlx::Row;
            sqlx::query(&format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM match_results \
                 WHERE offer_id = {} AND eligibility <> 'ineligible'",
                s.offer
            ))
            .fetch_one(opened.store.pool())
            .await?
            .try_get("n")?
        };
        agree.push((ids.len(), eligible as usize));
    }
    for (sql, stored) in &agree {
        ensure!(
            sql == stored,
            "the query lets {sql} needs through, the stored results {stored}"
        );
    }
    let (best_a, med_a) = best_median(&base);
    let (best_b, med_b) = best_median(&ours);
    println!();
    println!(
        "Re-evaluating one offer after a rule change ({}; {} open needs, {} offers; best and \
         median of {runs} runs, interleaved)",
        backend(config),
        s.needs,
        s.offers
    );
    println!("{:<58} {:>9} {:>9}", "", "best s", "median s");
    println!(
        "{:<58} {:>9.3} {:>9.3}",
        "(a) one SQL query, the same hard rules (baseline)", best_a, med_a
    );
    println!(
        "{:<58} {:>9.3} {:>9.3}",
        "(b) save_offer: every need evaluated, explained, stored", best_b, med_b
    );
    println!(
        "eligible or tentative needs per run (query = stored): {}",
        agree
            .iter()
            .map(|(a, _)| a.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let ratio = med_b / med_a;
    println!(
        "ratio b/a (medians): {ratio:.2}x, best {:.2}x  (goal <= {GOAL_RATIO}x: {})",
        best_b / best_a,
        verdict(ratio <= GOAL_RATIO)
    );
    Ok(())
}

/// The demo trainee's enterprise states a loan need, evaluated against
/// every offer: the need the HTTP part asks for.
async fn trainee_need(opened: &Opened, s: &Seeded) -> anyhow::Result<i64> {
    let firm = s.trainee.user.org_id.context("the trainee's enterprise")?;
    Ok(opened
        .matching
        .state_need(
            &s.trainee,
            &NeedInput {
                org_id: firm,
                kind: "loan".into(),
                amount_fen: Some(50_000_000),
                purpose: "双十一备货".into(),
                consent_facts: vec!["sales_12m_fen".into()],
                consent_days: 90,
            },
        )
        .await?
        .id)
}

/// Part 2: one need's ranked matches over HTTP beside the no-op (the
/// database closed in this process: the server takes the data directory).
#[allow(clippy::too_many_arguments)]
async fn http(
    config: &Config,
    need: i64,
    offers: usize,
    token: &str,
    dir: &std::path::Path,
    requests: usize,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    let server = Server::start_graceful(config, &dir.join("server.log"))?;
    let url = format!("{}/api/v1/match/needs/{need}/matches", server.base);
    let client = fanxing_bench::single_client()?;
    let res = client.get(&url).bearer_auth(token).send().await?;
    ensure!(res.status().is_success(), "GET matches: {}", res.status());
    let total: usize = res
        .headers()
        .get("x-total-count")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .context("no X-Total-Count")?;
    ensure!(total >= offers, "only {total} matches for the need");
    let plain = res.bytes().await?;
    let shown: serde_json::Value = serde_json::from_slice(&plain)?;
    let n = shown.as_array().map_or(0, Vec::len);
    // Diagnostic: the answer computed on each request (every request a
    // page the server has not kept: a new offset each time), one at a time.
    let cpu = server.cpu_secs();
    let (u, tok) = (url.clone(), token.to_string());
    let (computed_alone, _) = fanxing_bench::one_at_a_time(&client, 20, move |c, i| {
        c.get(format!("{u}?offset={}", i + 1))
            .bearer_auth(&tok)
            .header("accept-encoding", "gzip")
    })
    .await?;
    let computed_cpu_ms = (server.cpu_secs() - cpu) * 1000.0 / 20.0;
    // As a phone's browser asks: gzip accepted.
    let (u, tok) = (url.clone(), token.to_string());
    let v = versus_noop(
        &server,
        clients,
        requests,
        Duration::from_secs(seconds),
        20,
        "matches",
        move |c, _| {
            c.get(&u)
                .bearer_auth(&tok)
                .header("accept-encoding", "gzip")
        },
    )
    .await?;
    // Diagnostic: every match explained in one answer.
    let whole = format!("{url}?limit={total}");
    let (w, tok) = (whole.clone(), token.to_string());
    let all = move |c: &reqwest::Client, _| c.get(&w).bearer_auth(&tok);
    let (all_alone, all_bytes) = fanxing_bench::one_at_a_time(&client, 20, all.clone()).await?;
    eprintln!("all-matches burst: {requests} requests from {clients} clients …");
    let cpu = server.cpu_secs();
    let h = format!("{}/healthz", server.base);
    let warm = move |c: &reqwest::Client| c.get(&h);
    let all_burst =
        fanxing_bench::burst_warm(clients, requests, Duration::from_secs(seconds), warm, all)
            .await?;
    let all_cpu_ms = (server.cpu_secs() - cpu) * 1000.0 / all_burst.sent.max(1) as f64;
    drop(server);
    println!();
    print_burst_header(&format!(
        "{}, {clients} concurrent clients",
        backend(config)
    ));
    print_burst_row("no-op (GET /healthz)", &v.noop, Some(v.noop_alone));
    print_burst_row(
        "GET /api/v1/match/needs/{id}/matches",
        &v.target,
        Some(v.target_alone),
    );
    print_burst_row(
        "  ?limit=all: every match explained (diagn.)",
        &all_burst,
        Some(all_alone),
    );
    println!(
        "(alone: median of 20 requests one at a time; the answer: the first page, {n} of the \
         {total} offers ranked and explained, {} bytes as JSON, {} bytes gzip-compressed as \
         sent to a client that accepts gzip; the diagnostic row: all {total} in one answer, \
         {all_bytes} bytes as JSON; the trainee's API token)",
        plain.len(),
        v.answer_bytes
    );
    println!(
        "server CPU per request: no-op {:.2} ms, matches {:.2} ms, every match {all_cpu_ms:.2} ms",
        v.noop_cpu_ms, v.target_cpu_ms
    );
    println!(
        "a page not kept (computed for the request; 20 one at a time, each a new offset): \
         median {computed_alone:.2} ms, server CPU {computed_cpu_ms:.2} ms per answer"
    );
    print_versus_noop("matches", &v);
    println!(
        "matches p99: {:.2} ms  (goal <= {GOAL_P99_MS} ms: {})",
        v.target.p99_ms,
        verdict(v.target.p99_ms <= GOAL_P99_MS)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let enterprises = arg("--enterprises", 43_000);
    let offers = arg("--offers", 300).max(1);
    let runs = arg("--runs", 5).max(1);
    let requests = arg("--requests", 5_000);
    let clients = arg("--clients", 200);
    let seconds = arg("--seconds", 120) as u64;
    let part = text_arg("--part").unwrap_or_else(|| "all".into());
    if !matches!(part.as_str(), "all" | "evaluate" | "http") {
        bail!("--part all, evaluate or http");
    }
    let work = fanxing_bench::work_dir()?;
    let dir: PathBuf = work.path.clone();
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let config = config(data);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "fanxing resource-matching benchmark ({cores} CPUs; {}; {enterprises} enterprises with \
         an open loan need, {offers} loan offers with five rules each; {requests} requests a \
         burst from {clients} clients)",
        backend(&config)
    );
    let opened = open(&config).await?;
    let t = Instant::now();
    let seeded = seed(&opened, enterprises, offers).await?;
    println!("seeded in {:.1} s", t.elapsed().as_secs_f64());
    if part == "all" || part == "evaluate" {
        evaluate(&config, &opened, &seeded, runs).await?;
    }
    if part == "all" || part == "http" {
        let need = trainee_need(&opened, &seeded).await?;
        drop(opened);
        http(
            &config,
            need,
            seeded.offers,
            &seeded.token,
            &dir,
            requests,
            clients,
            seconds,
        )
        .await?;
    }
    Ok(())
}
