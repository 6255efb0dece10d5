//! Synthetic live-commerce data with a known truth.
//!
//! Realistic enough to exercise every statistic: heavy-tailed viewers and
//! GMV with room effects, coherent funnels (each stage drawn from the one
//! before), evening starts, weekends, festival peaks (年货节, 3.8, 618 with
//! 父亲节, 双11, 双12), zero-order sessions and category-dependent refunds.
//! Trained rooms join on the day their operator was first trained, after a
//! dip in sales over the two months before (selection on a pre-training
//! dip, so a naive before/after comparison overstates the effect), and from
//! that day on convert better by a planted effect on log GMV, so the impact
//! estimator can be checked.
//!
//! The data are written as the platforms' own export files (CSV, one
//! layout per platform) and imported through the same path as real files.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Gamma, LogNormal, Normal, Poisson};

use fanxing_core::analytics::{
    layout, Field, Kpi, LiveSessionRow, Platform, Provenance, RoomDraft, SizeTier,
};
use fanxing_core::app::Fanxing;
use fanxing_core::error::{Error, Result};
use fanxing_core::people::OrgId;
use fanxing_core::region::{Region, RegionCode, RegionLevel};
use fanxing_core::training::SHANGHAI_OFFSET_SECS;

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenConfig {
    pub rooms: usize,
    /// First month generated, `YYYYMM`.
    pub first_month: i64,
    pub months: u32,
    /// Mean sessions per room per week.
    pub sessions_per_week: f64,
    pub seed: u64,
    /// The planted training effect on log GMV (0 for none).
    pub effect: f64,
    /// Share of rooms run by a trainee.
    pub trained_share: f64,
    /// Every this-many-th trained room carries a planted weakness on one
    /// KPI (0: none), which learning paths should find.
    pub planted_every: usize,
}

impl GenConfig {
    /// The province's magnitudes: ≈43,000 selling rooms and ≈7.32 million
    /// sessions in ten months (Jan–Oct).
    pub fn full(seed: u64) -> GenConfig {
        GenConfig {
            rooms: 43_000,
            first_month: 202_501,
            months: 10,
            sessions_per_week: 3.96,
            seed,
            effect: 0.15,
            trained_share: 0.08,
            planted_every: 0,
        }
    }

    /// What `serve --demo` loads: a few hundred rooms over a year.
    pub fn small(seed: u64) -> GenConfig {
        GenConfig {
            rooms: 150,
            first_month: 202_501,
            months: 12,
            sessions_per_week: 3.0,
            seed,
            effect: 0.15,
            trained_share: 0.2,
            planted_every: 3,
        }
    }
}

/// Industries with their share of rooms, median order value (yuan) and
/// refund rate by amount.
pub const INDUSTRIES: &[(&str, f64, f64, f64)] = &[
    ("服装", 0.18, 120.0, 0.28),
    ("食品", 0.16, 60.0, 0.05),
    ("美妆", 0.10, 150.0, 0.12),
    ("家居", 0.08, 180.0, 0.10),
    ("农产品", 0.08, 50.0, 0.06),
    ("母婴", 0.06, 110.0, 0.08),
    ("数码家电", 0.05, 600.0, 0.07),
    ("珠宝饰品", 0.04, 400.0, 0.15),
    ("鞋靴箱包", 0.05, 160.0, 0.22),
    ("纺织家纺", 0.05, 140.0, 0.12),
    ("酒水茶饮", 0.04, 200.0, 0.04),
    ("图书文创", 0.03, 70.0, 0.05),
    ("宠物用品", 0.03, 90.0, 0.06),
    ("运动户外", 0.03, 210.0, 0.14),
    ("本地生活", 0.02, 80.0, 0.03),
];

const PLATFORMS: &[(Platform, f64)] = &[
    (Platform::Douyin, 0.55),
    (Platform::Taobao, 0.15),
    (Platform::Channels, 0.15),
    (Platform::Kuaishou, 0.12),
    (Platform::Other, 0.03),
];

/// Size tiers with their share and median viewers per session.
const TIERS: &[(SizeTier, f64, f64)] = &[
    (SizeTier::Head, 0.02, 50_000.0),
    (SizeTier::Waist, 0.10, 7_500.0),
    (SizeTier::Tail, 0.38, 1_850.0),
    (SizeTier::Starter, 0.50, 420.0),
];

/// Cities' weights (by code) in Jiangsu's live commerce.
fn city_weight(city: u32) -> f64 {
    match city {
        320500 => 4.0, // 苏州
        320100 => 2.5, // 南京
        321300 => 2.0, // 宿迁
        320200 => 1.8, // 无锡
        320400 => 1.3, // 常州
        320600 => 1.3, // 南通
        320300 => 1.2, // 徐州
        _ => 0.8,
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> f64) -> &'a T {
    let total: f64 = items.iter().map(&weight).sum();
    let mut x = rng.random::<f64>() * total;
    for it in items {
        x -= weight(it);
        if x <= 0.0 {
            return it;
        }
    }
    &items[items.len() - 1]
}

/// A generated room with its hidden parameters.
#[derive(Debug, Clone)]
pub struct GenRoom {
    pub draft: RoomDraft,
    industry: usize,
    tier: usize,
    /// Room effect on log viewers and on conversion.
    reach: f64,
    skill: f64,
    /// Mean sessions per week.
    lambda: f64,
    /// The day (`YYYYMMDD`, Beijing) a trained room's operator was first
    /// trained.
    pub cohort: Option<i64>,
    /// A planted weakness: this KPI is far below the room's peers.
    pub weak: Option<Kpi>,
}

/// The weaknesses planted in turn, each on a KPI whose competency the
/// programme's courses teach.
pub const PLANTED: &[Kpi] = &[
    Kpi::ClickToOrder,
    Kpi::ProductClickRate,
    Kpi::InteractionRate,
    Kpi::FollowRate,
];

/// A trainee who may run a trained room: person, first day attended
/// (`YYYYMMDD`, Beijing), region.
pub type Trainee = (fanxing_core::people::PersonId, i64, RegionCode);

/// The date of a `YYYYMMDD` day.
fn date_of(day: i64) -> Option<time::Date> {
    let month = time::Month::try_from((day / 100 % 100) as u8).ok()?;
    time::Date::from_calendar_date((day / 10_000) as i32, month, (day % 100) as u8).ok()
}

/// Days of sales dip before training.
const DIP_DAYS: i64 = 61;

/// Generates the rooms. Trained rooms take trainees from `trainees` whose
/// first attended month lies inside the generated period (after its first
/// quarter, so there is a pre-period); each keeps the trainee's region.
pub fn rooms(
    cfg: &GenConfig,
    regions: &[Region],
    orgs: &[(OrgId, RegionCode)],
    trainees: &[Trainee],
) -> Vec<GenRoom> {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let counties: Vec<&Region> = regions
        .iter()
        .filter(|r| matches!(r.level, RegionLevel::County | RegionLevel::Zone))
        .collect();
    let last = month_add(cfg.first_month, cfg.months as i64 - 1);
    let earliest = month_add(cfg.first_month, 3);
    let latest = month_add(last, -2);
    let eligible: Vec<&Trainee> = trainees
        .iter()
        .filter(|(_, d, _)| d / 100 >= earliest && d / 100 <= latest)
        .collect();
    let trained = ((cfg.rooms as f64 * cfg.trained_share) as usize).min(eligible.len());
    let gamma = Gamma::new(4.0, cfg.sessions_per_week / 4.0).expect("gamma");
    let normal = Normal::new(0.0, 1.0).expect("normal");
    let mut out = Vec::with_capacity(cfg.rooms);
    for i in 0..cfg.rooms {
        let industry = {
            let total: f64 = INDUSTRIES.iter().map(|x| x.1).sum();
            let mut x = rng.random::<f64>() * total;
            let mut k = 0;
            while k + 1 < INDUSTRIES.len() && x > INDUSTRIES[k].1 {
                x -= INDUSTRIES[k].1;
                k += 1;
            }
            k
        };
        let tier = {
            let mut x = rng.random::<f64>();
            let mut k = 0;
            while k + 1 < TIERS.len() && x > TIERS[k].1 {
                x -= TIERS[k].1;
                k += 1;
            }
            k
        };
        let platform = pick(&mut rng, PLATFORMS, |p| p.1).0;
        let (cohort, operators, region) = if i < trained {
            let (person, day, region) = eligible[(i * 7919) % eligible.len()];
            (Some(*day), vec![*person], *region)
        } else {
            let county = pick(&mut rng, &counties, |r| {
                city_weight(r.code.value() / 100 * 100)
            });
            (None, Vec::new(), county.code)
        };
        let org_id = if rng.random::<f64>() < 0.3 {
            let city = region.value() / 100;
            let local: Vec<&(OrgId, RegionCode)> = orgs
                .iter()
                .filter(|(_, r)| r.value() / 100 == city)
                .collect();
            (!local.is_empty()).then(|| local[rng.random_range(0..local.len())].0)
        } else {
            None
        };
        out.push(GenRoom {
            draft: RoomDraft {
                platform,
                account_id: format!("{}{:06}", &platform.as_str()[..2], i + 1),
                name: format!("{}直播间{:05}", INDUSTRIES[industry].0, i + 1),
                org_id,
                industry: INDUSTRIES[industry].0.to_string(),
                size_tier: TIERS[tier].0,
                region,
                operators,
            },
            industry,
            tier,
            reach: 0.6 * normal.sample(&mut rng),
            skill: 0.3 * normal.sample(&mut rng),
            lambda: gamma.sample(&mut rng).max(0.2),
            weak: (cohort.is_some() && cfg.planted_every > 0 && i % cfg.planted_every == 0)
                .then(|| PLANTED[(i / cfg.planted_every) % PLANTED.len()]),
            cohort,
        });
    }
    out
}

/// `YYYYMM` plus `n` months.
pub fn month_add(month: i64, n: i64) -> i64 {
    let idx = month / 100 * 12 + (month % 100 - 1) + n;
    idx / 12 * 100 + idx % 12 + 1
}

/// Midnight Beijing time of a date, in Unix seconds.
fn day_start(y: i32, m: u8, d: u8) -> i64 {
    let date = time::Date::from_calendar_date(
        y,
        time::Month::try_from(m).unwrap_or(time::Month::January),
        d,
    )
    .unwrap_or(time::Date::MIN);
    date.midnight().assume_utc().unix_timestamp() - SHANGHAI_OFFSET_SECS
}

/// Festival and weekend lift of a day (a multiplier on viewers and orders).
pub fn season(date: time::Date) -> f64 {
    let (m, d) = (u8::from(date.month()), date.day());
    let mut f = 1.0;
    if date.weekday() == time::Weekday::Saturday || date.weekday() == time::Weekday::Sunday {
        f *= 1.15;
    }
    // 年货节: early to late January.
    if m == 1 && (5..=25).contains(&d) {
        f *= 1.3;
    }
    // 3.8 women's day sales.
    if m == 3 && (1..=8).contains(&d) {
        f *= 1.2;
    }
    // 618: late May to 18 June; 父亲节 on the third Sunday of June.
    if (m == 5 && d >= 25) || (m == 6 && d <= 18) {
        f *= 1.5;
        if m == 6 && date.weekday() == time::Weekday::Sunday && (15..=21).contains(&d) {
            f *= 1.2;
        }
    }
    // 双11: about 20 October to 11 November.
    if (m == 10 && d >= 20) || (m == 11 && d <= 11) {
        f *= 1.8;
    }
    // 双12.
    if m == 12 && d <= 12 {
        f *= 1.3;
    }
    f
}

/// The sessions of one room (deterministic for the room's index).
pub fn sessions(cfg: &GenConfig, index: usize, room: &GenRoom) -> Vec<LiveSessionRow> {
    let mut rng =
        StdRng::seed_from_u64(cfg.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let (_, _, aov_median, refund_base) = INDUSTRIES[room.industry];
    let uv_median = TIERS[room.tier].2;
    let uv = LogNormal::new((uv_median).ln() + room.reach, 0.7).expect("lognormal");
    let duration = LogNormal::new((2.5f64 * 3600.0).ln(), 0.35).expect("lognormal");
    let aov = LogNormal::new(aov_median.ln(), 0.3).expect("lognormal");
    let watch = LogNormal::new(60f64.ln(), 0.5).expect("lognormal");
    let exposure = Beta::new(5.0, 5.0).expect("beta");
    let ctr = Beta::new(3.0, 9.0).expect("beta");
    let c_o = Beta::new(3.0, 14.3).expect("beta");
    let refund = Beta::new(4.0, 4.0).expect("beta");
    let poisson = Poisson::new(room.lambda / 7.0).expect("poisson");
    let zero_order = match room.draft.size_tier {
        SizeTier::Starter => 0.35,
        SizeTier::Tail => 0.15,
        _ => 0.03,
    };
    let (y0, m0) = (
        (cfg.first_month / 100) as i32,
        (cfg.first_month % 100) as u8,
    );
    let start = time::Date::from_calendar_date(
        y0,
        time::Month::try_from(m0).unwrap_or(time::Month::January),
        1,
    )
    .unwrap_or(time::Date::MIN);
    let end_month = month_add(cfg.first_month, cfg.months as i64);
    let trained_on = room.cohort.and_then(date_of);
    // A planted weakness scales one stage of the funnel down.
    let scale = |k: Kpi| if room.weak == Some(k) { 0.3 } else { 1.0 };
    let mut out = Vec::new();
    let mut date = start;
    let mut seq = 0;
    loop {
        let month = date.year() as i64 * 100 + u8::from(date.month()) as i64;
        if month >= end_month {
            break;
        }
        let n = poisson.sample(&mut rng) as u32;
        for _ in 0..n.min(3) {
            seq += 1;
            let hour = if rng.random::<f64>() < 0.75 {
                rng.random_range(19..23)
            } else {
                rng.random_range(8..19)
            };
            let started_at = day_start(date.year(), u8::from(date.month()), date.day())
                + hour * 3600
                + rng.random_range(0..60) * 60;
            // Training: a dip in the two months before the first training
            // day, the planted effect on conversion from that day on.
            let (dip, effect) = match trained_on {
                Some(t) if date >= t => (0.0, cfg.effect),
                Some(t) if date >= t - time::Duration::days(DIP_DAYS) => (-0.25, 0.0),
                _ => (0.0, 0.0),
            };
            let lift = season(date);
            let viewers = ((uv.sample(&mut rng) * lift * dip_factor(dip)).round() as i64).max(1);
            let views = (viewers as f64 * rng.random_range(1.2..2.0)).round() as i64;
            let exposure_users = (viewers as f64 * exposure.sample(&mut rng)).round() as i64;
            let click_users =
                (exposure_users as f64 * ctr.sample(&mut rng) * scale(Kpi::ProductClickRate))
                    .round() as i64;
            let conv = (c_o.sample(&mut rng)
                * (room.skill + effect + dip).exp()
                * lift.sqrt()
                * scale(Kpi::ClickToOrder))
            .min(0.9);
            let buyers = if rng.random::<f64>() < zero_order {
                0
            } else {
                (click_users as f64 * conv).round() as i64
            };
            let orders = buyers + (buyers as f64 * rng.random_range(0.0..0.25)).round() as i64;
            let gmv_fen = (buyers as f64 * aov.sample(&mut rng) * 100.0).round() as i64;
            let refund_fen = (gmv_fen as f64
                * (refund_base * 2.0 * refund.sample(&mut rng)).min(0.95))
            .round() as i64;
            let avg_watch = watch.sample(&mut rng).round() as i64;
            out.push(LiveSessionRow {
                platform_session_id: format!("{}-{}", room.draft.account_id, seq),
                account_id: Some(room.draft.account_id.clone()),
                started_at,
                duration_s: duration.sample(&mut rng).round() as i64,
                views,
                viewers,
                peak_online: ((viewers as f64) * rng.random_range(0.04..0.15)).round() as i64,
                watch_s: avg_watch * viewers,
                comment_users: (viewers as f64
                    * rng.random_range(0.01..0.06)
                    * scale(Kpi::InteractionRate))
                .round() as i64,
                likes: (views as f64 * rng.random_range(0.5..3.0)).round() as i64,
                new_followers: (viewers as f64
                    * rng.random_range(0.002..0.02)
                    * scale(Kpi::FollowRate))
                .round() as i64,
                exposure_users,
                click_users,
                buyers,
                orders,
                gmv_fen,
                refund_fen,
                ad_spend_fen: if rng.random::<f64>() < 0.3 {
                    (gmv_fen as f64 * rng.random_range(0.05..0.2)).round() as i64
                } else {
                    0
                },
            });
        }
        date = match date.next_day() {
            Some(d) => d,
            None => break,
        };
    }
    out
}

fn dip_factor(dip: f64) -> f64 {
    (dip / 2.0).exp()
}

/// One export file being written: the platform's layout as header, the
/// account column first.
struct ExportFile {
    platform: Platform,
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    rows: usize,
}

/// Rows per file (platform back ends export in pages too).
const FILE_ROWS: usize = 40_000;

fn header(platform: Platform) -> Vec<&'static str> {
    let names = layout(platform);
    let name = |f: Field| {
        names
            .iter()
            .find(|(g, _)| *g == f)
            .map(|(_, ns)| ns[0])
            .unwrap_or("")
    };
    use Field::*;
    [
        Account,
        SessionId,
        StartedAt,
        Duration,
        Views,
        Viewers,
        PeakOnline,
        AvgWatch,
        CommentUsers,
        Likes,
        NewFollowers,
        ExposureUsers,
        ClickUsers,
        Buyers,
        Orders,
        Gmv,
        Refund,
        AdSpend,
    ]
    .into_iter()
    .map(name)
    .collect()
}

fn csv_line(r: &LiveSessionRow) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(r.started_at + SHANGHAI_OFFSET_SECS)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let yuan = |fen: i64| format!("{}.{:02}", fen / 100, fen % 100);
    let avg = if r.viewers > 0 {
        r.watch_s / r.viewers
    } else {
        0
    };
    format!(
        "{},{},{:04}-{:02}-{:02} {:02}:{:02}:00,{}:{:02}:{:02},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
        r.account_id.as_deref().unwrap_or(""),
        r.platform_session_id,
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        r.duration_s / 3600,
        r.duration_s / 60 % 60,
        r.duration_s % 60,
        r.views,
        r.viewers,
        r.peak_online,
        avg,
        r.comment_users,
        r.likes,
        r.new_followers,
        r.exposure_users,
        r.click_users,
        r.buyers,
        r.orders,
        yuan(r.gmv_fen),
        yuan(r.refund_fen),
        yuan(r.ad_spend_fen),
    )
}

/// What seeding wrote and imported.
#[derive(Debug, Clone, Default)]
pub struct AnalyticsReport {
    pub rooms: usize,
    /// Rooms with a planted weakness: (platform, account, the weak KPI).
    pub planted: Vec<(Platform, String, Kpi)>,
    pub trained_rooms: usize,
    pub files: usize,
    pub sessions: usize,
    /// Time spent generating rooms and writing the export files.
    pub generate: std::time::Duration,
    /// Time spent importing the files through the real import path.
    pub import: std::time::Duration,
}

/// Writes the platform export files of `rooms` into `dir`; returns them
/// with their platform.
pub fn write_exports(
    cfg: &GenConfig,
    rooms: &[GenRoom],
    dir: &Path,
    mut progress: impl FnMut(usize),
) -> Result<Vec<(Platform, PathBuf, usize)>> {
    let io = |e: std::io::Error| Error::Store(format!("writing exports: {e}"));
    std::fs::create_dir_all(dir).map_err(io)?;
    // The rooms beside the exports, so that other tools can join them.
    let mut list =
        std::io::BufWriter::new(std::fs::File::create(dir.join("rooms.csv")).map_err(io)?);
    writeln!(list, "platform,account_id,industry,size_tier,region").map_err(io)?;
    for r in rooms {
        writeln!(
            list,
            "{},{},{},{},{}",
            r.draft.platform.as_str(),
            r.draft.account_id,
            r.draft.industry,
            r.draft.size_tier.as_str(),
            r.draft.region
        )
        .map_err(io)?;
    }
    list.flush().map_err(io)?;
    let mut open: Vec<Option<ExportFile>> = PLATFORMS.iter().map(|_| None).collect();
    let mut done = Vec::new();
    let mut counter = 0;
    for (i, room) in rooms.iter().enumerate() {
        let slot = PLATFORMS
            .iter()
            .position(|(p, _)| *p == room.draft.platform)
            .unwrap_or(0);
        for row in sessions(cfg, i, room) {
            if open[slot]
                .as_ref()
                .map(|f| f.rows >= FILE_ROWS)
                .unwrap_or(true)
            {
                if let Some(mut f) = open[slot].take() {
                    f.out.flush().map_err(io)?;
                    done.push((f.platform, f.path, f.rows));
                }
                counter += 1;
                let platform = room.draft.platform;
                let path = dir.join(format!("{}-{counter:04}.csv", platform.as_str()));
                let mut out = std::io::BufWriter::new(std::fs::File::create(&path).map_err(io)?);
                writeln!(out, "{}", header(platform).join(",")).map_err(io)?;
                open[slot] = Some(ExportFile {
                    platform,
                    path,
                    out,
                    rows: 0,
                });
            }
            if let Some(f) = open[slot].as_mut() {
                f.out.write_all(csv_line(&row).as_bytes()).map_err(io)?;
                f.rows += 1;
            }
        }
        progress(i + 1);
    }
    for f in open.into_iter().flatten() {
        let mut f = f;
        f.out.flush().map_err(io)?;
        done.push((f.platform, f.path, f.rows));
    }
    Ok(done)
}

/// Generates rooms and sessions, writes them as export files into `dir`
/// and imports them. Does nothing when rooms exist already.
pub async fn seed_analytics(
    app: &Fanxing,
    seeds: &dyn crate::SeedStore,
    cfg: &GenConfig,
    dir: &Path,
    mut progress: impl FnMut(&str, usize, usize),
) -> Result<Option<AnalyticsReport>> {
    if app
        .stores
        .analytics
        .list_rooms(
            fanxing_core::analytics::store::RoomScope::Regions(
                fanxing_core::region::RegionRange::ALL,
            ),
            None,
            0,
            1,
        )
        .await?
        .total
        > 0
    {
        return Ok(None);
    }
    let regions = app.stores.people.list_regions(None, None).await?;
    let orgs: Vec<(OrgId, RegionCode)> = app
        .stores
        .people
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
    let trainees = seeds.trained_operators().await?;
    let started = std::time::Instant::now();
    let mut rooms = rooms(cfg, &regions, &orgs, &trainees);
    // The demo trainee (when the Jiangsu demo is there) co-runs the first
    // room with a planted weakness, so their path shows one.
    if let Some(person) = app
        .stores
        .accounts
        .find_user_by_username("trainee")
        .await?
        .and_then(|u| u.person_id)
    {
        if let Some(r) = rooms.iter_mut().find(|r| r.weak.is_some()) {
            r.draft.operators.push(person);
        }
    }
    // A weakness is planted where the room's operators have not yet
    // attended a course for its competency (as in life: the gap is why they
    // need one): each planted room takes the first such KPI from its turn.
    let courses = app.stores.curriculum.list_courses(None).await?;
    for r in rooms.iter_mut().filter(|r| r.weak.is_some()) {
        let mut covered: Vec<String> = Vec::new();
        for p in &r.draft.operators {
            for m in app.stores.training.person_registrations(*p).await? {
                if let Some(c) = m.session.course_id.filter(|_| m.attended) {
                    if let Some(course) = courses.iter().find(|x| x.id == c) {
                        covered.extend(course.competencies.iter().map(|k| k.code.clone()));
                    }
                }
            }
        }
        let start = PLANTED.iter().position(|k| Some(*k) == r.weak).unwrap_or(0);
        r.weak = (0..PLANTED.len())
            .map(|n| PLANTED[(start + n) % PLANTED.len()])
            .find(|k| {
                fanxing_core::analytics::weakness(*k)
                    .is_some_and(|(_, c)| !covered.iter().any(|x| x == c))
            });
    }
    let drafts: Vec<RoomDraft> = rooms.iter().map(|r| r.draft.clone()).collect();
    seeds
        .insert_rooms_bulk(&drafts, fanxing_core::now())
        .await?;
    let total = rooms.len();
    let files = write_exports(cfg, &rooms, dir, |n| progress("generate", n, total))?;
    let generate = started.elapsed();
    let started = std::time::Instant::now();
    let actor = app.analytics.system_actor().await?;
    let mut report = AnalyticsReport {
        rooms: rooms.len(),
        trained_rooms: rooms.iter().filter(|r| r.cohort.is_some()).count(),
        planted: rooms
            .iter()
            .filter_map(|r| Some((r.draft.platform, r.draft.account_id.clone(), r.weak?)))
            .collect(),
        files: files.len(),
        sessions: 0,
        generate,
        import: std::time::Duration::ZERO,
    };
    // The next file is read and parsed on its own thread while this one is
    // stored: the two take about as long, and there are two cores.
    let parse = |k: usize| {
        let (platform, path, _) = files[k].clone();
        std::thread::spawn(move || {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&path)
                .map_err(|e| Error::Store(format!("{}: {e}", path.display())))?;
            let parsed =
                fanxing_core::analytics::service::parse_live_export(&name, &bytes, platform)?;
            Ok::<_, Error>((name, parsed))
        })
    };
    let mut next = (!files.is_empty()).then(|| parse(0));
    for k in 0..files.len() {
        let Some(handle) = next.take() else { break };
        let (name, parsed) = handle
            .join()
            .map_err(|_| Error::Store("parsing an export failed".into()))??;
        if k + 1 < files.len() {
            next = Some(parse(k + 1));
        }
        let outcome = match parsed {
            Ok(parsed) => {
                app.analytics
                    .import_parsed(&actor, Provenance::Official, None, &name, parsed)
                    .await?
            }
            Err(rows) => Err(rows),
        };
        match outcome {
            Ok(o) => report.sessions += o.new,
            Err(rows) => {
                return Err(Error::Store(format!(
                    "{name}: {}",
                    rows.first()
                        .map(|e| e.message(fanxing_core::Lang::En))
                        .unwrap_or_default()
                )))
            }
        }
        progress("import", k + 1, files.len());
    }
    report.import = started.elapsed();
    Ok(Some(report))
}

#[cfg(test)]
mod industries {
    /// The generator files rooms under the domain's industries only.
    #[test]
    fn the_generator_uses_the_domains_industries() {
        let names: Vec<&str> = super::INDUSTRIES.iter().map(|i| i.0).collect();
        assert_eq!(names, fanxing_core::analytics::INDUSTRIES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_seasons() {
        assert_eq!(month_add(202_501, 11), 202_512);
        assert_eq!(month_add(202_512, 1), 202_601);
        assert_eq!(month_add(202_503, -3), 202_412);
        let d = |m, d| {
            time::Date::from_calendar_date(2025, time::Month::try_from(m).unwrap(), d).unwrap()
        };
        // 11 November 2025 is a Tuesday: 双11 only.
        assert!((season(d(11, 11)) - 1.8).abs() < 1e-12);
        // 15 June 2025: the third Sunday (父亲节), within 618, a weekend.
        assert!((season(d(6, 15)) - 1.15 * 1.5 * 1.2).abs() < 1e-12);
        assert!((season(d(4, 16)) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn sessions_are_coherent_heavy_tailed_and_evening() {
        let regions =
            fanxing_core::region::parse_regions_csv(fanxing_core::region::JIANGSU_CSV, &[])
                .unwrap();
        let cfg = GenConfig {
            rooms: 300,
            ..GenConfig::small(7)
        };
        let rooms = rooms(&cfg, &regions, &[], &[]);
        assert_eq!(rooms.len(), 300);
        let rows: Vec<LiveSessionRow> = rooms
            .iter()
            .enumerate()
            .flat_map(|(i, r)| sessions(&cfg, i, r))
            .collect();
        assert!(rows.len() > 300 * 100, "{}", rows.len());
        for r in &rows {
            assert!(r.views >= r.viewers && r.viewers >= r.exposure_users);
            assert!(r.exposure_users >= r.click_users && r.click_users >= r.buyers);
            assert!(r.orders >= r.buyers && r.refund_fen <= r.gmv_fen);
        }
        let zero = rows.iter().filter(|r| r.buyers == 0).count() as f64 / rows.len() as f64;
        assert!((0.05..0.5).contains(&zero), "zero-order share {zero}");
        let evening = rows
            .iter()
            .filter(|r| {
                let h = (r.started_at + SHANGHAI_OFFSET_SECS) % 86_400 / 3600;
                (19..23).contains(&h)
            })
            .count() as f64
            / rows.len() as f64;
        assert!(evening > 0.6, "evening share {evening}");
        // Heavy tail: the top 1% of sessions hold a large share of views.
        let mut views: Vec<i64> = rows.iter().map(|r| r.views).collect();
        views.sort_unstable_by(|a, b| b.cmp(a));
        let top: i64 = views[..views.len() / 100].iter().sum();
        let all: i64 = views.iter().sum();
        assert!(
            top as f64 / all as f64 > 0.1,
            "top 1% share {}",
            top as f64 / all as f64
        );
        // Deterministic for a seed.
        assert_eq!(sessions(&cfg, 5, &rooms[5]), sessions(&cfg, 5, &rooms[5]));
    }

    #[test]
    fn exports_parse_back_exactly() {
        let regions =
            fanxing_core::region::parse_regions_csv(fanxing_core::region::JIANGSU_CSV, &[])
                .unwrap();
        let cfg = GenConfig {
            rooms: 12,
            ..GenConfig::small(3)
        };
        let rooms = rooms(&cfg, &regions, &[], &[]);
        let dir = std::env::temp_dir().join(format!("fx-gen-{}", std::process::id()));
        let files = write_exports(&cfg, &rooms, &dir, |_| {}).unwrap();
        let mut parsed = 0;
        for (platform, path, n) in &files {
            let bytes = std::fs::read(path).unwrap();
            let grid = fanxing_core::sheet::read_grid(
                "x.csv",
                &bytes,
                &fanxing_core::analytics::GRID_LIMITS,
            )
            .unwrap();
            let rows = fanxing_core::analytics::parse_export(&grid, *platform).unwrap();
            assert_eq!(rows.len(), *n);
            parsed += rows.len();
        }
        let expected: Vec<LiveSessionRow> = rooms
            .iter()
            .enumerate()
            .flat_map(|(i, r)| sessions(&cfg, i, r))
            .collect();
        assert_eq!(parsed, expected.len());
        // One row read back equals what was generated (watch time to the
        // second of the average, as exports round it).
        let (platform, path, _) = &files[0];
        let grid = fanxing_core::sheet::read_grid(
            "x.csv",
            &std::fs::read(path).unwrap(),
            &fanxing_core::analytics::GRID_LIMITS,
        )
        .unwrap();
        let first = &fanxing_core::analytics::parse_export(&grid, *platform).unwrap()[0];
        let orig = expected
            .iter()
            .find(|r| r.platform_session_id == first.platform_session_id)
            .unwrap();
        assert_eq!(first.gmv_fen, orig.gmv_fen);
        assert_eq!(first.buyers, orig.buyers);
        assert_eq!(first.started_at, orig.started_at - orig.started_at % 60);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
