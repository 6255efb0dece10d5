//! bench/search: the knowledge library's search against plain SQL `LIKE`
//! and SQLite FTS5 with its trigram tokenizer, and over HTTP against the
//! no-op endpoint, side by side in one run.
//!
//! 1. Relevance: the demo corpus (public and members' documents) and the
//!    judged queries of `tests/search/queries.jsonl`; nDCG@10 (gain 2^g−1)
//!    and MRR (first graded document), overall and per query style, and the
//!    queries with nothing relevant in the top 10.
//! 2. Indexing: `--docs N` synthetic documents of about 2 KB (paragraphs of
//!    the corpus recombined): time, size on disk and peak memory, Fanxing's
//!    index beside an FTS5 trigram table in a SQLite file.
//! 3. Latency over HTTP: the demo and its knowledge library seeded (as
//!    `fanxing serve --demo` does) into a fresh data directory (SQLite
//!    unless `DATABASE_URL` is set), `fanxing serve` started as its own
//!    process, and `GET /api/v1/knowledge/search?q=…` (the judged queries
//!    in turn, URL-encoded, with the demo `trainee`'s API token) sent from
//!    200 concurrent clients beside the no-op `GET /healthz` from as many:
//!    requests/s, p50, p99 and the ratios.
//!
//! Usage: `search-bench [--docs N] [--requests N] [--clients N]
//! [--seconds S] [--part all|relevance|indexing|http] [--dir DIR]` (the
//! `fanxing` binary must sit next to this one: build both with
//! `--release`; `bench/search.sh` does). The server's data directory and
//! log go to `--dir` (default: a temporary directory removed at the end);
//! its process id is written to `DIR/data/server.pid` while it runs, so
//! that the script can stop it if this process is killed.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use fanxing::open;
use fanxing_bench::{
    arg, backend, config, mb, percentile, print_burst_header, print_burst_row, print_versus_noop,
    single_client, slow_statements, text_arg, verdict, versus_noop, Server,
};
use fanxing_core::knowledge::search::{ReaderScope, SearchIndex, SearchQuery};
use fanxing_core::knowledge::{DocStatus, Document, DocumentDraft, DocumentId, Visibility};
use fanxing_demo::{self as demo, DemoSize};
use fanxing_search::TantivyIndex;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

/// The process's resident memory in bytes (Linux), read while a load runs:
/// SQLite allocates outside Rust's allocator, so both sides are measured
/// the same way, as the peak rise over the resident size at the start.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// Samples the resident size every 5 ms until `stop` is set.
fn sampler(stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> std::thread::JoinHandle<u64> {
    let start = rss();
    std::thread::spawn(move || {
        let mut peak = start;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            peak = peak.max(rss());
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        peak.saturating_sub(start)
    })
}

struct Judged {
    id: String,
    query: String,
    style: String,
    relevant: HashMap<String, u32>,
}

fn queries() -> anyhow::Result<Vec<Judged>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/search/queries.jsonl");
    let mut out = Vec::new();
    for line in std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line)?;
        out.push(Judged {
            id: v["id"].as_str().unwrap_or_default().to_string(),
            query: v["query"].as_str().unwrap_or_default().to_string(),
            style: v["style"].as_str().unwrap_or_default().to_string(),
            relevant: v["relevant"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, g)| (k.clone(), g.as_u64().unwrap_or(0) as u32))
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

fn document(i: usize, d: &DocumentDraft) -> Document {
    Document {
        id: DocumentId(i as i64 + 1),
        kind: d.kind,
        title: d.title.clone(),
        summary: d.summary.clone(),
        body: d.body.clone(),
        industry: d.industry.clone(),
        region: d
            .region
            .unwrap_or_else(|| fanxing_core::region::RegionCode::parse("320000").expect("code")),
        tiers: d.tiers.clone(),
        competencies: d.competencies.clone(),
        tags: d.tags.clone(),
        visibility: d.visibility,
        status: DocStatus::Published,
        example: d.example,
        details: d.details.clone(),
        owner_org: None,
        created_by: None,
        created_at: i as i64,
        updated_at: i as i64,
        published_at: Some(i as i64),
    }
}

/// nDCG@10 and reciprocal rank of one ranking.
fn score(ranked: &[String], relevant: &HashMap<String, u32>) -> (f64, f64) {
    let gain = |g: u32| f64::from((1u32 << g) - 1);
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, s)| gain(*relevant.get(s).unwrap_or(&0)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u32> = relevant.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, g)| gain(*g) / ((i + 2) as f64).log2())
        .sum();
    let rr = ranked
        .iter()
        .take(10)
        .position(|s| relevant.get(s).is_some_and(|g| *g > 0))
        .map(|p| 1.0 / (p + 1) as f64)
        .unwrap_or(0.0);
    (if idcg > 0.0 { dcg / idcg } else { 0.0 }, rr)
}

async fn sqlite(path: Option<&std::path::Path>) -> anyhow::Result<SqlitePool> {
    let opts = match path {
        Some(p) => SqliteConnectOptions::new()
            .filename(p)
            .create_if_missing(true),
        None => SqliteConnectOptions::new().in_memory(true),
    };
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await?;
    sqlx::query(
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, slug TEXT, title TEXT, summary TEXT, body TEXT, tags TEXT)",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "CREATE VIRTUAL TABLE fts USING fts5(title, summary, body, tags, content='docs', content_rowid='id', tokenize='trigram')",
    )
    .execute(&pool)
    .await?;
    Ok(pool)
}

async fn load_sqlite(pool: &SqlitePool, docs: &[(String, Document)]) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    for (slug, d) in docs {
        sqlx::query(
            "INSERT INTO docs (id, slug, title, summary, body, tags) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(d.id.0)
        .bind(slug)
        .bind(&d.title)
        .bind(&d.summary)
        .bind(&d.body)
        .bind(d.tags.join(" "))
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("INSERT INTO fts (fts) VALUES ('rebuild')")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

fn terms(q: &str) -> Vec<String> {
    q.split_whitespace().map(str::to_string).collect()
}

/// Plain SQL: every word somewhere in the document, title matches first.
async fn like(pool: &SqlitePool, q: &str) -> anyhow::Result<Vec<String>> {
    let ts = terms(q);
    if ts.is_empty() {
        return Ok(Vec::new());
    }
    let all = "(title || ' ' || summary || ' ' || body || ' ' || tags)";
    let cond: Vec<String> = ts.iter().map(|_| format!("{all} LIKE ?")).collect();
    let order: Vec<String> = ts.iter().map(|_| "(title LIKE ?)".to_string()).collect();
    let sql = format!(
        "SELECT slug FROM docs WHERE {} ORDER BY {} DESC, id LIMIT 10",
        cond.join(" AND "),
        order.join(" + ")
    );
    let mut query = sqlx::query(&sql);
    for t in ts.iter().chain(ts.iter()) {
        query = query.bind(format!("%{t}%"));
    }
    Ok(query
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect())
}

/// FTS5 trigram: words of three or more characters matched through the
/// index (all of them), shorter ones with LIKE; ranked by bm25.
async fn fts(pool: &SqlitePool, q: &str) -> anyhow::Result<Vec<String>> {
    let ts = terms(q);
    let long: Vec<String> = ts
        .iter()
        .filter(|t| t.chars().count() >= 3)
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    let short: Vec<&String> = ts.iter().filter(|t| t.chars().count() < 3).collect();
    if long.is_empty() && short.is_empty() {
        return Ok(Vec::new());
    }
    let mut conds = Vec::new();
    if !long.is_empty() {
        conds.push("fts MATCH ?".to_string());
    }
    for _ in &short {
        conds.push("(fts.title || fts.summary || fts.body || fts.tags) LIKE ?".to_string());
    }
    let order = if long.is_empty() { "d.id" } else { "bm25(fts)" };
    let sql = format!(
        "SELECT d.slug FROM fts JOIN docs d ON d.id = fts.rowid WHERE {} ORDER BY {order} LIMIT 10",
        conds.join(" AND ")
    );
    let mut query = sqlx::query(&sql);
    if !long.is_empty() {
        query = query.bind(long.join(" "));
    }
    for t in short {
        query = query.bind(format!("%{t}%"));
    }
    Ok(query
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect())
}

#[derive(Default, Clone, Copy)]
struct Sum {
    ndcg: f64,
    rr: f64,
    n: usize,
    empty: usize,
}

impl Sum {
    fn add(&mut self, (ndcg, rr): (f64, f64)) {
        self.ndcg += ndcg;
        self.rr += rr;
        self.n += 1;
        self.empty += usize::from(rr == 0.0);
    }
    fn show(&self) -> String {
        let n = self.n.max(1) as f64;
        format!(
            "{:>6.3} {:>6.3} {:>4}",
            self.ndcg / n,
            self.rr / n,
            self.empty
        )
    }
}

/// The demo corpus as the judge reads it, a programme member: public and
/// members' documents, each with its slug.
fn corpus() -> anyhow::Result<Vec<(String, Document)>> {
    let known: Vec<String> = fanxing_demo::knowledge::COMPETENCIES
        .iter()
        .map(|s| s.to_string())
        .collect();
    Ok(fanxing_demo::knowledge::drafts(&known)?
        .into_iter()
        .filter(|(_, d)| d.visibility != Visibility::Offices)
        .enumerate()
        .map(|(i, (slug, d))| (slug, document(i, &d)))
        .collect())
}

/// Part 1: nDCG@10 and MRR of the three searches on the judged queries.
async fn relevance(corpus: &[(String, Document)]) -> anyhow::Result<()> {
    let slug_of: HashMap<i64, String> = corpus.iter().map(|(s, d)| (d.id.0, s.clone())).collect();
    let index = TantivyIndex::in_memory()?;
    let docs: Vec<Document> = corpus.iter().map(|(_, d)| d.clone()).collect();
    index.apply(&docs, &[], 1)?;
    let pool = sqlite(None).await?;
    load_sqlite(&pool, corpus).await?;

    let judged = queries()?;
    println!(
        "Relevance: {} documents (public and members'), {} judged queries",
        corpus.len(),
        judged.len()
    );
    let mut by_style: Vec<(String, [Sum; 3])> = Vec::new();
    let mut total = [Sum::default(); 3];
    let mut misses: Vec<String> = Vec::new();
    for j in &judged {
        let ours: Vec<String> = index
            .search(
                &SearchQuery {
                    text: j.query.clone(),
                    per_page: 10,
                    ..Default::default()
                },
                &ReaderScope::Everything,
            )?
            .hits
            .iter()
            .filter_map(|h| slug_of.get(&h.id.0).cloned())
            .collect();
        let rankings = [
            ours,
            like(&pool, &j.query).await?,
            fts(&pool, &j.query).await?,
        ];
        let slot = match by_style.iter().position(|(s, _)| *s == j.style) {
            Some(i) => i,
            None => {
                by_style.push((j.style.clone(), [Sum::default(); 3]));
                by_style.len() - 1
            }
        };
        for (k, r) in rankings.iter().enumerate() {
            let s = score(r, &j.relevant);
            by_style[slot].1[k].add(s);
            total[k].add(s);
            if k == 0 && s.1 == 0.0 {
                misses.push(format!("{} {} ({})", j.id, j.query, j.style));
            }
        }
    }
    println!(
        "{:<12} {:>4}   {:<18} {:<18} {:<18}",
        "style", "n", "Fanxing nDCG MRR 0", "LIKE nDCG MRR 0", "FTS5 nDCG MRR 0"
    );
    for (style, sums) in &by_style {
        println!(
            "{:<12} {:>4}   {}   {}   {}",
            style,
            sums[0].n,
            sums[0].show(),
            sums[1].show(),
            sums[2].show()
        );
    }
    println!(
        "{:<12} {:>4}   {}   {}   {}",
        "all",
        total[0].n,
        total[0].show(),
        total[1].show(),
        total[2].show()
    );
    let n = total[0].n.max(1) as f64;
    let better = (total[1].ndcg / n).max(total[2].ndcg / n);
    let gap = total[0].ndcg / n - better;
    println!(
        "nDCG@10 above the better baseline: {gap:+.3} (goal ≥ +0.15: {}); queries with nothing relevant in the top 10: {} (goal 0: {})",
        fanxing_bench::verdict(gap >= 0.15),
        misses.len(),
        fanxing_bench::verdict(misses.is_empty())
    );
    for m in &misses {
        println!("  nothing relevant: {m}");
    }

    Ok(())
}

/// Part 2: indexing `n` synthetic documents, Fanxing beside FTS5 trigram.
async fn indexing(corpus: &[(String, Document)], n: usize) -> anyhow::Result<()> {
    let paragraphs: Vec<&str> = corpus
        .iter()
        .flat_map(|(_, d)| d.body.split('\n'))
        .filter(|p| p.chars().count() > 20)
        .collect();
    let synthetic: Vec<(String, Document)> = (0..n)
        .map(|i| {
            let (_, base) = &corpus[i % corpus.len()];
            let mut d = base.clone();
            d.id = DocumentId(i as i64 + 1);
            let mut body = String::new();
            let mut k = i * 7919;
            while body.len() < 2_000 {
                body.push_str(paragraphs[k % paragraphs.len()]);
                body.push('\n');
                k = k.wrapping_mul(31).wrapping_add(17);
            }
            d.body = body;
            (format!("syn-{i}"), d)
        })
        .collect();
    let bytes: usize = synthetic
        .iter()
        .map(|(_, d)| d.body.len() + d.title.len())
        .sum();
    println!(
        "Indexing {n} documents of about 2 KB ({:.0} MB of text)",
        bytes as f64 / 1e6
    );
    let dir = tempfile::tempdir()?;
    let docs: Vec<Document> = synthetic.iter().map(|(_, d)| d.clone()).collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watch = sampler(stop.clone());
    let t = Instant::now();
    let disk = TantivyIndex::open(&dir.path().join("tantivy"))?;
    for chunk in docs.chunks(5_000) {
        disk.apply(chunk, &[], 1)?;
    }
    let took = t.elapsed().as_secs_f64();
    drop(disk);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = watch.join().unwrap_or(0);
    let ours = (took, dir_size(&dir.path().join("tantivy")), peak);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watch = sampler(stop.clone());
    let t = Instant::now();
    let file = dir.path().join("fts.sqlite");
    let pool = sqlite(Some(&file)).await?;
    load_sqlite(&pool, &synthetic).await?;
    pool.close().await;
    let took = t.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = watch.join().unwrap_or(0);
    let theirs = (took, dir_size(dir.path()) - ours.1, peak);
    println!(
        "{:<22} {:>9} {:>10} {:>12}",
        "", "time (s)", "size (MB)", "peak (MB)"
    );
    println!(
        "{:<22} {:>9.1} {:>10.0} {:>12.0}",
        "Fanxing (tantivy)",
        ours.0,
        mb(ours.1 as usize),
        mb(ours.2 as usize)
    );
    println!(
        "{:<22} {:>9.1} {:>10.0} {:>12.0}",
        "SQLite FTS5 trigram",
        theirs.0,
        mb(theirs.1 as usize),
        mb(theirs.2 as usize)
    );
    println!(
        "ratio (Fanxing / FTS5): time {:.2}×, size {:.2}×, peak memory {:.2}×",
        ours.0 / theirs.0,
        ours.1 as f64 / theirs.1 as f64,
        ours.2 as f64 / theirs.2.max(1) as f64
    );
    Ok(())
}

// ------------------------------------------------------------------ HTTP

/// The address of a search for `q` at `base`, the text URL-encoded.
fn search_url(base: &str, q: &str) -> anyhow::Result<String> {
    Ok(
        reqwest::Url::parse_with_params(&format!("{base}/api/v1/knowledge/search"), &[("q", q)])?
            .to_string(),
    )
}

/// The i-th search request: address `i` of `urls` (in turn), as `token`'s
/// account.
fn search_request(
    urls: &Arc<Vec<String>>,
    token: &str,
) -> impl Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Clone + Send + Sync + 'static {
    let (us, tok) = (urls.clone(), token.to_string());
    move |c, i| c.get(&us[i % us.len()]).bearer_auth(&tok)
}

/// Part 3: p50, p99 and requests/s of a search over HTTP from `clients`
/// concurrent clients, beside the no-op `GET /healthz`.
async fn http(
    corpus: &[(String, Document)],
    dir: &Path,
    requests: usize,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let config = config(data);
    let backend = backend(&config);
    let t = Instant::now();
    let opened = open(&config).await?;
    demo::seed(&opened.app, &*opened.store, 2026, DemoSize::default()).await?;
    let loaded = fanxing_demo::knowledge::seed(&opened.app).await?;
    let token = opened
        .app
        .accounts
        .create_api_token("trainee", "search-bench")
        .await?;
    drop(opened);
    eprintln!(
        "seeded the demo and its knowledge library ({}; {backend}, {:.1} s); API token for `trainee`",
        loaded.map_or("documents already there".to_string(), |n| format!(
            "{n} documents"
        )),
        t.elapsed().as_secs_f64()
    );

    // The same searches in this process, on an index of the corpus in
    // memory: what the index costs of a request.
    let index = TantivyIndex::in_memory()?;
    let docs: Vec<Document> = corpus.iter().map(|(_, d)| d.clone()).collect();
    index.apply(&docs, &[], 1)?;
    let judged = queries()?;
    let mut inproc: Vec<u64> = Vec::new();
    for _ in 0..20 {
        for j in &judged {
            let q = SearchQuery {
                text: j.query.clone(),
                per_page: 20,
                ..Default::default()
            };
            let t = Instant::now();
            black_box(index.search(&q, &ReaderScope::Everything)?.hits.len());
            inproc.push(t.elapsed().as_micros() as u64);
        }
    }
    inproc.sort_unstable();
    drop(index);

    let log = dir.join("server.log");
    let server = Server::start_graceful(&config, &log)?;
    let base = server.base.clone();
    let budget = Duration::from_secs(seconds);
    let urls: Arc<Vec<String>> = Arc::new(
        judged
            .iter()
            .map(|j| search_url(&base, &j.query))
            .collect::<anyhow::Result<_>>()?,
    );

    // Every query once: each must answer 2xx, and the library must find
    // something (an empty library would answer fast and prove nothing).
    let client = single_client()?;
    let mut finding = 0;
    let mut per_page: Vec<u64> = Vec::new();
    for u in urls.iter() {
        let r = client.get(u).bearer_auth(&token).send().await?;
        if !r.status().is_success() {
            bail!("{u} answered {}", r.status());
        }
        let v: serde_json::Value = r.json().await?;
        let n = v["hits"].as_array().map_or(0, Vec::len);
        finding += usize::from(n > 0);
        per_page.push(n as u64);
    }
    per_page.sort_unstable();
    if finding == 0 {
        bail!("no query found anything: the knowledge library is empty");
    }

    let v = versus_noop(
        &server,
        clients,
        requests,
        budget,
        urls.len(),
        "search",
        search_request(&urls, &token),
    )
    .await?;
    let peak = server.mem_mb("VmHWM:");
    drop(server);
    let (slow, _) = slow_statements(&log);

    println!();
    print_burst_header(&format!("{backend}, {clients} concurrent clients"));
    print_burst_row("no-op (GET /healthz)", &v.noop, Some(v.noop_alone));
    print_burst_row(
        &format!("GET /api/v1/knowledge/search, {} queries", urls.len()),
        &v.target,
        Some(v.target_alone),
    );
    println!(
        "(alone: median of requests one at a time, 20 no-ops and each query once; a burst starts \
         no request after {seconds} s; the {} judged queries of tests/search/queries.jsonl in \
         turn, as the demo's `trainee`: {finding} of them find something, {} hits on the first \
         page at the median, answers of about {} bytes)",
        urls.len(),
        per_page[per_page.len() / 2],
        v.answer_bytes
    );
    print_versus_noop("search", &v);
    println!(
        "search p99: {:.2} ms  (goal <= 20 ms: {})",
        v.target.p99_ms,
        verdict(v.target.p99_ms <= 20.0)
    );
    println!(
        "one search in this process (the corpus indexed in memory, 20 hits a page): \
         median {:.3} ms, p99 {:.3} ms",
        percentile(&inproc, 0.5),
        percentile(&inproc, 0.99)
    );
    println!("server peak RSS: {peak:.1} MB; slow-statement warnings in its log: {slow}");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n = arg("--docs", 20_000);
    let requests = arg("--requests", 20_000);
    let clients = arg("--clients", 200);
    let seconds = arg("--seconds", 120) as u64;
    let part = text_arg("--part").unwrap_or_else(|| "all".into());
    if !matches!(part.as_str(), "all" | "relevance" | "indexing" | "http") {
        bail!("--part all, relevance, indexing or http");
    }
    let work = fanxing_bench::work_dir()?;
    let dir: PathBuf = work.path.clone();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "fanxing search benchmark ({cores} CPUs; {n} synthetic documents; \
         {requests} requests a burst from {clients} clients)"
    );
    let corpus = corpus()?;
    let all = part == "all";
    if all || part == "relevance" {
        relevance(&corpus).await?;
    }
    if all || part == "indexing" {
        indexing(&corpus, n).await?;
    }
    if all || part == "http" {
        http(&corpus, &dir, requests, clients, seconds).await?;
    }
    Ok(())
}

fn dir_size(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}
