//! The training-impact calibration benchmark: many synthetic years, each
//! generated in memory by the demo's generator, estimated as
//! `/api/v1/live-impact` estimates, before and after calibration; prints
//! per outcome and level the coverage of zero and of the truth, the
//! verdicts, bias, RMSE and interval width (`docs/analytics.md`).
//!
//! ```sh
//! cargo run --release -p fanxing-impact-calibration -- --seeds 50
//! ```
//!
//! Trained rooms take their operators from the demo programme, as
//! `fanxing demo analytics --with-programme` does: the programme is seeded
//! once into a temporary SQLite database and its trained operators read
//! back (`--trainees synthetic` skips that).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{bail, Context};
use fanxing_core::analytics::impact::ImpactConfig;
use fanxing_core::analytics::service::Outcome;
use fanxing_core::knowledge::search::{ReaderScope, SearchIndex, SearchQuery, SearchResults};
use fanxing_core::knowledge::{Document, DocumentId};
use fanxing_core::people::OrgId;
use fanxing_core::region::{parse_regions_csv, Region, RegionCode, JIANGSU_CSV};
use fanxing_core::store::prelude::*;
use fanxing_demo::calibration::{
    generate, run_year, summarise, synthetic_trainees, Change, Method, Run, LEVELS,
};
use fanxing_demo::live::{GenConfig, Trainee};
use fanxing_demo::SeedStore;

/// The command line.
struct Args {
    seeds: u64,
    first_seed: u64,
    effects: Vec<f64>,
    scale: String,
    rooms: Option<usize>,
    outcomes: Vec<Outcome>,
    methods: Vec<Method>,
    levels: Vec<(&'static str, u32)>,
    threads: usize,
    synthetic: bool,
    bootstrap: Option<usize>,
    placebos: Option<usize>,
    runs: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        seeds: 50,
        first_seed: 11,
        effects: vec![0.0, 0.15],
        scale: "full".into(),
        rooms: None,
        outcomes: vec![Outcome::LogGmv, Outcome::ViewToOrder, Outcome::Gpm],
        methods: vec![Method::Before, Method::After],
        levels: LEVELS.to_vec(),
        threads: 1,
        synthetic: false,
        bootstrap: None,
        placebos: None,
        runs: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut k = 0;
    while k < args.len() {
        let flag = args[k].as_str();
        if flag == "--runs" {
            a.runs = true;
            k += 1;
            continue;
        }
        let v = args
            .get(k + 1)
            .with_context(|| format!("{flag} needs a value"))?
            .as_str();
        let list = || v.split(',').map(str::trim).filter(|s| !s.is_empty());
        match flag {
            "--seeds" => a.seeds = v.parse()?,
            "--first-seed" => a.first_seed = v.parse()?,
            "--effects" => a.effects = list().map(str::parse).collect::<Result<_, _>>()?,
            "--scale" => a.scale = v.into(),
            "--rooms" => a.rooms = Some(v.parse()?),
            "--threads" => a.threads = v.parse::<usize>()?.max(1),
            "--bootstrap" => a.bootstrap = Some(v.parse()?),
            "--placebos" => a.placebos = Some(v.parse()?),
            "--trainees" => a.synthetic = v == "synthetic",
            "--outcomes" => {
                a.outcomes = list()
                    .map(|o| Outcome::parse(o).with_context(|| format!("unknown outcome {o}")))
                    .collect::<anyhow::Result<_>>()?
            }
            "--methods" => {
                a.methods = list()
                    .map(|m| {
                        Method::parse(m).with_context(|| {
                            format!(
                                "unknown method {m} (before, after, only:CHANGE, without:CHANGE; \
                                 changes: {})",
                                Change::ALL.map(Change::name).join(", ")
                            )
                        })
                    })
                    .collect::<anyhow::Result<_>>()?
            }
            "--levels" => {
                a.levels = list()
                    .map(|l| {
                        LEVELS
                            .iter()
                            .find(|(name, code)| {
                                name.eq_ignore_ascii_case(l) || code.to_string() == l
                            })
                            .copied()
                            .with_context(|| format!("unknown level {l}"))
                    })
                    .collect::<anyhow::Result<_>>()?
            }
            _ => bail!(
                "unknown option {flag}; options: --seeds N --first-seed S --effects 0,0.15 \
                 --scale full|small --rooms N --outcomes log_gmv,view_to_order,gpm,sessions \
                 --methods before,after --levels province,Suzhou,Yangzhou --threads N \
                 --trainees demo|synthetic --bootstrap N --placebos N --runs"
            ),
        }
        k += 2;
    }
    Ok(a)
}

/// No search index: the calibration reads no knowledge documents.
struct NoIndex;

impl SearchIndex for NoIndex {
    fn apply(&self, _: &[Document], _: &[DocumentId], _: i64) -> fanxing_core::Result<()> {
        Ok(())
    }
    fn seq(&self) -> i64 {
        0
    }
    fn clear(&self) -> fanxing_core::Result<()> {
        Ok(())
    }
    fn search(&self, _: &SearchQuery, _: &ReaderScope) -> fanxing_core::Result<SearchResults> {
        Ok(SearchResults {
            total: 0,
            hits: Vec::new(),
            facets: Vec::new(),
            suggestions: Vec::new(),
            without_filters: None,
        })
    }
    fn len(&self) -> u64 {
        0
    }
}

/// The demo's companies and the programme's trained operators, as
/// `fanxing demo analytics --with-programme` finds them.
async fn demo_people() -> anyhow::Result<(Vec<(OrgId, RegionCode)>, Vec<Trainee>)> {
    let dir = tempfile::tempdir()?;
    let store = fanxing_store::open(&fanxing_store::sqlite_url(dir.path()), 4).await?;
    store
        .upsert_regions(&parse_regions_csv(JIANGSU_CSV, &[])?)
        .await?;
    let cipher = fanxing_core::security::FieldCipher::new(&[0x5a; 32]);
    let app = fanxing_core::app::Fanxing::new(
        fanxing_core::app::Stores::of(store.clone()),
        cipher,
        Arc::new(NoIndex),
    );
    fanxing_demo::seed(&app, &*store, 2026, fanxing_demo::DemoSize::default()).await?;
    fanxing_demo::seed_training(&app, &*store, 2026).await?;
    let orgs = store
        .list_orgs(&fanxing_core::people::store::OrgQuery {
            access: fanxing_core::auth::Access::Regions(fanxing_core::region::RegionRange::ALL),
            text: None,
            region: None,
            kind: Some(fanxing_core::people::OrgKind::Enterprise),
            offset: 0,
            limit: 100_000,
        })
        .await?
        .items
        .into_iter()
        .map(|o| (o.id, o.region))
        .collect();
    Ok((orgs, store.trained_operators().await?))
}

fn gen_config(a: &Args, seed: u64, effect: f64) -> anyhow::Result<GenConfig> {
    let mut g = match a.scale.as_str() {
        "full" => GenConfig::full(seed),
        "small" => GenConfig::small(seed),
        s => bail!("unknown scale {s} (full, small)"),
    };
    g.effect = effect;
    if let Some(r) = a.rooms {
        g.rooms = r;
    }
    Ok(g)
}

/// What a run or a summary is of: level, outcome and method, in columns.
fn what(level: &str, outcome: Outcome, method: Method) -> String {
    format!("{level:<9} {:<14} {:<18}", outcome.as_str(), method.name())
}

fn fmt_run(r: &Run) -> String {
    let e = &r.estimate;
    format!(
        "seed {:>3} effect {:+.2} {} att {:+.4} [{:+.4}, {:+.4}] truth {:+.4} \
         placebo {:+.4}±{:.4} pre-trend p {} {} ({} trained)",
        r.seed,
        r.effect,
        what(r.level, r.outcome, r.method),
        e.att,
        e.lo,
        e.hi,
        r.truth,
        e.placebo.mean,
        e.placebo.spread,
        e.pretrend_p
            .map(|p| format!("{p:.3}"))
            .unwrap_or_else(|| "-".into()),
        serde_verdict(e.verdict),
        e.treated,
    )
}

fn serde_verdict(v: fanxing_core::analytics::impact::Verdict) -> &'static str {
    use fanxing_core::analytics::impact::Verdict::*;
    match v {
        Positive => "positive",
        Negative => "negative",
        NoDetectableEffect => "none",
        TooLittleData => "too_little",
        PreTrends => "pre_trends",
    }
}

fn main() -> anyhow::Result<()> {
    let a = parse_args()?;
    let regions: Vec<Region> = parse_regions_csv(JIANGSU_CSV, &[])?;
    let t = Instant::now();
    let (orgs, trainees) = if a.synthetic {
        (Vec::new(), synthetic_trainees(&regions, 6000))
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(demo_people())?
    };
    eprintln!(
        "{} trained operators ({}) in {:.1} s",
        trainees.len(),
        if a.synthetic {
            "synthetic"
        } else {
            "the demo programme"
        },
        t.elapsed().as_secs_f64()
    );
    let jobs: Vec<(f64, u64)> = a
        .effects
        .iter()
        .flat_map(|e| (a.first_seed..a.first_seed + a.seeds).map(move |s| (*e, s)))
        .collect();
    let next = AtomicUsize::new(0);
    let runs: Mutex<Vec<Run>> = Mutex::new(Vec::new());
    let started = Instant::now();
    let adjust = |c: ImpactConfig| ImpactConfig {
        bootstrap: a.bootstrap.unwrap_or(c.bootstrap),
        placebos: if c.placebos > 0 {
            a.placebos.unwrap_or(c.placebos)
        } else {
            0
        },
        ..c
    };
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let mut handles = Vec::new();
        for _ in 0..a.threads {
            handles.push(scope.spawn(|| -> anyhow::Result<()> {
                loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&(effect, seed)) = jobs.get(k) else {
                        return Ok(());
                    };
                    let gen = gen_config(&a, seed, effect)?;
                    let t = Instant::now();
                    let year = generate(&gen, &regions, &orgs, &trainees);
                    let generated = t.elapsed();
                    let out = run_year(&year, &gen, &a.levels, &a.outcomes, &a.methods, adjust);
                    eprintln!(
                        "[{}/{}] seed {seed} effect {effect:+.2}: generated in {:.1} s, \
                         estimated in {:.1} s ({:.0} s so far)",
                        k + 1,
                        jobs.len(),
                        generated.as_secs_f64(),
                        (t.elapsed() - generated).as_secs_f64(),
                        started.elapsed().as_secs_f64()
                    );
                    if a.runs {
                        for r in &out {
                            eprintln!("  {}", fmt_run(r));
                        }
                    }
                    if let Ok(mut all) = runs.lock() {
                        all.extend(out);
                    }
                }
            }));
        }
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
        }
        Ok(())
    })?;
    let runs = runs.into_inner().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let mut summaries = summarise(&runs);
    let order = |s: &fanxing_demo::calibration::Summary| {
        (
            (s.effect * 1000.0).round() as i64,
            a.levels.iter().position(|l| l.0 == s.level),
            a.outcomes.iter().position(|o| *o == s.outcome),
            s.method,
        )
    };
    summaries.sort_by_key(order);
    let sample = gen_config(&a, a.first_seed, 0.0)?;
    println!(
        "training-impact calibration: {} seeds from {} ({} scale: {} rooms, {} months), effects {:?}, {:.0} s",
        a.seeds,
        a.first_seed,
        a.scale,
        sample.rooms,
        sample.months,
        a.effects,
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:>6} {:<9} {:<14} {:<18} {:>4} {:>7} {:>7} {:>6} {:>6} {:>6} {:>6} {:>8} {:>7} {:>7} {:>6}",
        "effect",
        "level",
        "outcome",
        "method",
        "runs",
        "cover0",
        "coverT",
        "pos",
        "neg",
        "pre",
        "!none",
        "bias",
        "rmse",
        "width",
        "rooms"
    );
    for s in &summaries {
        println!(
            "{:>6.2} {} {:>4} {:>7.2} {:>7.2} {:>6.2} {:>6.2} {:>6.2} {:>6.2} {:>+8.4} {:>7.4} {:>7.4} {:>6.0}",
            s.effect,
            what(s.level, s.outcome, s.method),
            s.estimated,
            s.cover_zero,
            s.cover_truth,
            s.positive,
            s.negative,
            s.pre_trends,
            s.not_none,
            s.bias,
            s.rmse,
            s.width,
            s.treated,
        );
    }
    println!(
        "(cover0, coverT: share of intervals covering zero and the truth; pos, neg, pre: verdict shares; \
         !none: any verdict but \"no detectable effect\"; bias and rmse of the point estimate against the truth; \
         width: mean interval width; rooms: trained rooms in the estimate. log GMV is tested at 5 %, \
         the other outcomes at 5 %/3 after calibration)"
    );
    Ok(())
}
