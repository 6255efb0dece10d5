//! Did training work? Difference-in-differences on matched controls, by
//! cohort and event time, in the manner of Callaway & Sant'Anna.
//!
//! Each trained room belongs to the cohort of the week its people were
//! trained. It is compared with never-trained rooms of the same industry and
//! city (wider when too few), the nearest on the level of the outcome in the
//! base period. For every event time `e` (weeks since training) the effect is
//! the trained room's change since its base period minus its controls'
//! change over the same calendar weeks, averaged over trained rooms — so
//! staggered cohorts are never compared with already-trained rooms, and each
//! cohort weighs by its size.
//!
//! The base period ends `anticipation` weeks before training: rooms tend to
//! enrol after a bad spell, and measuring from inside that dip would count
//! the recovery as an effect (the naive before/after comparison does exactly
//! that, and is reported beside the estimate to show it); it starts as early
//! as the panel allows, since a room's change since a short base period
//! carries that period's noise. Matching uses the
//! base-period level only: matching on its trend as well selected controls
//! on noise, and regression to the mean then showed as an "effect". The
//! headline effect averages weeks 1–12 after training (week 0 still holds
//! days before the training day).
//!
//! The uncertainty is calibrated twice (`docs/analytics.md`, the
//! `impact_calibration` harness checks it):
//! - a bootstrap that resamples trained rooms and, separately, control rooms
//!   — one weight per control room however many trained rooms it serves, so
//!   that a control reused across trained rooms counts as one room, not many;
//! - placebo runs: the same estimator with the trained rooms' training weeks
//!   given to never-trained rooms of the same industry and city. Their spread
//!   is what chance alone produces here (shared calendar shocks included,
//!   which resampling rooms cannot see); the interval's standard error is the
//!   larger of the bootstrap's and the placebos'.
//!
//! A verdict other than "no detectable effect" needs the interval to exclude
//! zero and a joint test of the pre-period event-study points (Wald, with the
//! bootstrap covariance) to pass. Pages show several outcomes: log GMV is
//! the primary one at 5 %, the others are tested at 5 %/3 (Bonferroni).

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// One room's weekly outcome series (index = week of the panel).
#[derive(Debug, Clone)]
pub struct PanelRoom {
    pub id: i64,
    pub industry: String,
    pub city: u32,
    /// The week its people were trained; `None` for never-trained rooms.
    pub cohort: Option<usize>,
    pub y: Vec<f64>,
}

#[derive(Debug, Clone, Copy)]
pub struct ImpactConfig {
    /// Weeks before training excluded from the base period (the dip).
    pub anticipation: usize,
    /// Weeks in the base period (before the anticipation weeks) at least:
    /// a trained room with fewer before them is left out.
    pub base_weeks: usize,
    /// Weeks in the base period at most; `None`: every week of the panel
    /// before the anticipation weeks. A room's weekly outcome is noisy
    /// (weeks without a sale beside weeks with one), and its change since
    /// the base period carries the base mean's noise: eight weeks of it
    /// were about as noisy as the twelve weeks after training, so a base
    /// period as long as the panel allows makes the estimate markedly less
    /// noisy, and matching on its level more precise.
    pub base_max_weeks: Option<usize>,
    /// Event times shown: `-pre ..= post` weeks.
    pub pre: usize,
    pub post: usize,
    /// Controls per trained room.
    pub neighbours: usize,
    pub bootstrap: usize,
    pub seed: u64,
    /// Fewer trained rooms than this: no conclusion. Weekly sales of single
    /// rooms are noisy (many weeks without a sale); with a few dozen trained
    /// rooms, chance alone produces "effects" of ±50%.
    pub min_treated: usize,
    /// The first week after training in the headline effect (1: week 0
    /// holds days before the training day).
    pub headline_from: usize,
    /// Match on the base-period trend as well as its level (the method
    /// before calibration: it selects controls on noise).
    pub match_trend: bool,
    /// Bootstrap with one weight per control room (`true`), or controls
    /// drawn anew for each trained room (the method before calibration: a
    /// control serving many trained rooms counted as many independent ones).
    pub control_weights: bool,
    /// Placebo runs (0: none, and percentile intervals from the bootstrap
    /// alone, as before calibration).
    pub placebos: usize,
    /// Two-sided error rate of the interval and the verdict.
    pub alpha: f64,
    /// Level of the joint pre-trend test; `None`: the rule before
    /// calibration (a quarter of the pre-period points off zero).
    pub pretrend_alpha: Option<f64>,
}

impl Default for ImpactConfig {
    fn default() -> Self {
        ImpactConfig {
            anticipation: 10,
            base_weeks: 8,
            base_max_weeks: None,
            pre: 18,
            post: 12,
            neighbours: 5,
            bootstrap: 300,
            seed: 1,
            min_treated: 50,
            headline_from: 1,
            match_trend: false,
            control_weights: true,
            placebos: 20,
            alpha: 0.05,
            pretrend_alpha: Some(0.05),
        }
    }
}

impl ImpactConfig {
    /// The method as it was before the calibration harness checked it:
    /// kept so that the harness prints before and after side by side.
    pub fn before_calibration() -> ImpactConfig {
        ImpactConfig {
            base_max_weeks: Some(8),
            headline_from: 0,
            match_trend: true,
            control_weights: false,
            placebos: 0,
            alpha: 0.05,
            pretrend_alpha: None,
            ..ImpactConfig::default()
        }
    }

    /// Whether a room trained in week `g` of a panel of `weeks` weeks can
    /// enter the estimate (it has a whole base period inside the panel).
    pub fn eligible(&self, g: usize, weeks: usize) -> bool {
        g < weeks && g >= self.anticipation + self.base_weeks
    }

    /// The panel weeks of cohort `g`'s base period.
    pub fn base_period(&self, g: usize) -> std::ops::Range<usize> {
        let end = g.saturating_sub(self.anticipation);
        let start = match self.base_max_weeks {
            Some(n) => end.saturating_sub(n),
            None => 0,
        };
        start..end
    }

    /// The panel weeks the headline effect averages for cohort `g`.
    pub fn headline_weeks(&self, g: usize, weeks: usize) -> std::ops::Range<usize> {
        (g + self.headline_from).min(weeks)..(g + self.post + 1).min(weeks)
    }
}

/// One point of the event-study curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EventPoint {
    /// Weeks since training (negative: before).
    pub e: i64,
    pub att: f64,
    pub lo: f64,
    pub hi: f64,
    /// Trained rooms observed at this event time.
    pub n: usize,
}

/// What the data say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The confidence interval lies above zero.
    Positive,
    /// The confidence interval lies below zero.
    Negative,
    /// The interval covers zero: no effect can be told apart from noise.
    NoDetectableEffect,
    /// Too few trained rooms, or too few with controls and a base period.
    TooLittleData,
    /// Before training, trained rooms already moved apart from their
    /// controls: the comparison is not trustworthy.
    PreTrends,
}

impl Verdict {
    pub fn label_key(self) -> &'static str {
        match self {
            Verdict::Positive => "impact.positive",
            Verdict::Negative => "impact.negative",
            Verdict::NoDetectableEffect => "impact.none",
            Verdict::TooLittleData => "impact.too_little",
            Verdict::PreTrends => "impact.pre_trends",
        }
    }
}

/// What chance alone produces here: the estimator run with fake training
/// weeks given to never-trained rooms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Placebo {
    pub runs: usize,
    /// Mean of the placebo effects (near zero when the method is unbiased).
    pub mean: f64,
    /// Their standard deviation.
    pub spread: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactEstimate {
    /// The average effect over weeks `headline_from ..= post` after
    /// training.
    pub att: f64,
    pub lo: f64,
    pub hi: f64,
    /// The standard error behind the interval: the larger of the
    /// bootstrap's and the placebo spread.
    pub se: f64,
    /// The interval's two-sided error rate (0.05, or 0.05/3 for secondary
    /// outcomes).
    pub alpha: f64,
    /// Trained rooms' mean after minus their mean in the weeks just before
    /// training, with no controls: biased by the dip and by seasons.
    pub naive: f64,
    pub event: Vec<EventPoint>,
    pub treated: usize,
    pub controls: usize,
    /// The joint pre-trend test's p-value (`None` when not computed).
    pub pretrend_p: Option<f64>,
    pub placebo: Placebo,
    pub verdict: Verdict,
}

fn mean(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let (s, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| s / n as f64)
}

fn sd(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return f64::NAN;
    }
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

/// The standard normal distribution function (Numerical Recipes' erfc,
/// relative error below 1.2e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let erfc = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        1.0 - erfc / 2.0
    } else {
        erfc / 2.0
    }
}

/// The normal quantile `z` with `P(Z > z) = p` (bisection; `p` in (0, 1)).
pub fn normal_upper_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0, 10.0);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if 1.0 - normal_cdf(mid) > p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// `P(X > x)` for a χ² variable with `k` degrees of freedom
/// (Wilson–Hilferty: within a few thousandths where tests decide).
pub fn chi2_upper(x: f64, k: usize) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let k = k as f64;
    let v = 2.0 / (9.0 * k);
    let z = ((x / k).powf(1.0 / 3.0) - (1.0 - v)) / v.sqrt();
    1.0 - normal_cdf(z)
}

/// `d' S⁻¹ d` by Gaussian elimination; `None` when `S` is singular.
fn quadratic_form(s: &[Vec<f64>], d: &[f64]) -> Option<f64> {
    let n = d.len();
    let mut a: Vec<Vec<f64>> = s
        .iter()
        .zip(d)
        .map(|(row, v)| {
            let mut r = row.clone();
            r.push(*v);
            r
        })
        .collect();
    let scale = (0..n).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    for c in 0..n {
        let p = (c..n).max_by(|x, y| a[*x][c].abs().total_cmp(&a[*y][c].abs()))?;
        if a[p][c].abs() <= scale * 1e-12 {
            return None;
        }
        a.swap(c, p);
        let pivot = a[c].clone();
        for row in a.iter_mut().skip(c + 1) {
            let f = row[c] / pivot[c];
            for (v, p) in row.iter_mut().zip(&pivot).skip(c) {
                *v -= f * p;
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (a[r][n] - s) / a[r][r];
    }
    Some(d.iter().zip(&x).map(|(a, b)| a * b).sum())
}

/// One trained room's contribution at each event time: its own change
/// since its base period and each of its controls' changes.
struct Contribution {
    /// The trained room (index into the panel) and its cohort.
    room: usize,
    cohort: usize,
    /// Indexed by `e + pre`; `None` where the week is outside the panel.
    treated: Vec<Option<f64>>,
    /// The controls (indices into the panel) and their changes, indexed
    /// like `treated`.
    controls: Vec<usize>,
    changes: Vec<Vec<f64>>,
    naive: Option<f64>,
}

/// How controls are weighed in one evaluation of the estimate.
enum ControlWeights<'a> {
    /// Every control once.
    Equal,
    /// One weight per panel room (the bootstrap with control weights).
    PerRoom(&'a [f64]),
    /// Controls drawn per trained room (positions into its `controls`).
    Picks(&'a [Vec<usize>]),
}

impl Contribution {
    /// The controls' mean change at `slot` under `weights`; `None` when
    /// every control of this room weighs nothing.
    fn control_mean(&self, k: usize, slot: usize, weights: &ControlWeights) -> Option<f64> {
        match weights {
            ControlWeights::Equal => {
                Some(self.changes.iter().map(|c| c[slot]).sum::<f64>() / self.changes.len() as f64)
            }
            ControlWeights::PerRoom(w) => {
                let (mut s, mut n) = (0.0, 0.0);
                for (c, ch) in self.controls.iter().zip(&self.changes) {
                    s += w[*c] * ch[slot];
                    n += w[*c];
                }
                (n > 0.0).then(|| s / n)
            }
            ControlWeights::Picks(p) => {
                let pick = &p[k];
                Some(pick.iter().map(|j| self.changes[*j][slot]).sum::<f64>() / pick.len() as f64)
            }
        }
    }
}

/// The never-trained rooms by cell, for matching and placebos.
struct Pools<'a> {
    rooms: &'a [PanelRoom],
    weeks: usize,
    cell: HashMap<(&'a str, u32), Vec<usize>>,
    industry: HashMap<&'a str, Vec<usize>>,
    all: Vec<usize>,
    /// Per room, prefix sums of `y` and of `week × y` (`weeks + 1` each),
    /// so that a window's level and trend cost O(1): matching looks at
    /// hundreds of candidates for each of thousands of trained rooms.
    sum_y: Vec<f64>,
    sum_xy: Vec<f64>,
}

impl<'a> Pools<'a> {
    fn new(rooms: &'a [PanelRoom]) -> Pools<'a> {
        let weeks = rooms.iter().map(|r| r.y.len()).max().unwrap_or(0);
        let mut p = Pools {
            rooms,
            weeks,
            cell: HashMap::new(),
            industry: HashMap::new(),
            all: Vec::new(),
            sum_y: vec![0.0; rooms.len() * (weeks + 1)],
            sum_xy: vec![0.0; rooms.len() * (weeks + 1)],
        };
        for (k, r) in rooms.iter().enumerate() {
            let at = k * (weeks + 1);
            for (w, v) in r.y.iter().enumerate().take(weeks) {
                p.sum_y[at + w + 1] = p.sum_y[at + w] + v;
                p.sum_xy[at + w + 1] = p.sum_xy[at + w] + w as f64 * v;
            }
        }
        for (k, r) in rooms.iter().enumerate() {
            if r.cohort.is_some() || r.y.len() < weeks {
                continue;
            }
            p.cell
                .entry((r.industry.as_str(), r.city))
                .or_default()
                .push(k);
            p.industry.entry(r.industry.as_str()).or_default().push(k);
            p.all.push(k);
        }
        p
    }

    /// Level and slope (OLS on week index) of room `k` over weeks `a..b`,
    /// from the prefix sums (rooms with a full series only).
    fn level_trend(&self, k: usize, a: usize, b: usize) -> (f64, f64) {
        let at = k * (self.weeks + 1);
        let n = (b - a) as f64;
        let sy = self.sum_y[at + b] - self.sum_y[at + a];
        let sxy = self.sum_xy[at + b] - self.sum_xy[at + a];
        let xm = (a + b - 1) as f64 / 2.0;
        let ym = sy / n;
        let sxx = n * (n * n - 1.0) / 12.0;
        (
            ym,
            if sxx > 0.0 {
                (sxy - n * xm * ym) / sxx
            } else {
                0.0
            },
        )
    }

    /// Matches each `(room, cohort)` with its controls, leaving out the
    /// rooms `excluded` marks (placebo rooms).
    fn contributions(
        &self,
        treated: &[(usize, usize)],
        excluded: &[bool],
        cfg: &ImpactConfig,
    ) -> Vec<Contribution> {
        let span = cfg.pre + cfg.post + 1;
        let weeks = self.weeks;
        let mut out = Vec::with_capacity(treated.len());
        let mut pool: Vec<usize> = Vec::new();
        for &(ti, g) in treated {
            let t = &self.rooms[ti];
            if !cfg.eligible(g, weeks) || t.y.len() < weeks {
                continue;
            }
            let std::ops::Range {
                start: base_start,
                end: base_end,
            } = cfg.base_period(g);
            // Controls: same industry and city, else industry, else all.
            let empty = Vec::new();
            for level in 0..3 {
                let src = match level {
                    0 => self
                        .cell
                        .get(&(t.industry.as_str(), t.city))
                        .unwrap_or(&empty),
                    1 => self.industry.get(t.industry.as_str()).unwrap_or(&empty),
                    _ => &self.all,
                };
                pool.clear();
                pool.extend(src.iter().copied().filter(|k| !excluded[*k]));
                if pool.len() >= cfg.neighbours * 3 {
                    break;
                }
            }
            if pool.is_empty() {
                continue;
            }
            let (lt, tt) = self.level_trend(ti, base_start, base_end);
            let feats: Vec<(f64, f64)> = pool
                .iter()
                .map(|c| self.level_trend(*c, base_start, base_end))
                .collect();
            let mut order: Vec<(f64, usize)> = if cfg.match_trend {
                let sdev = |f: &dyn Fn(&(f64, f64)) -> f64| {
                    let m = feats.iter().map(f).sum::<f64>() / feats.len() as f64;
                    (feats.iter().map(|x| (f(x) - m).powi(2)).sum::<f64>() / feats.len() as f64)
                        .sqrt()
                        .max(1e-9)
                };
                let (sl, st) = (sdev(&|x| x.0), sdev(&|x| x.1));
                feats
                    .iter()
                    .enumerate()
                    .map(|(k, (l, tr))| (((l - lt) / sl).powi(2) + ((tr - tt) / st).powi(2), k))
                    .collect()
            } else {
                feats
                    .iter()
                    .enumerate()
                    .map(|(k, (l, _))| ((l - lt).abs(), k))
                    .collect()
            };
            let n = cfg.neighbours.min(order.len());
            if n < order.len() {
                order.select_nth_unstable_by(n, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            }
            order.truncate(n);
            order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let chosen: Vec<usize> = order.iter().map(|(_, k)| pool[*k]).collect();
            let base = |y: &[f64]| {
                y[base_start..base_end].iter().sum::<f64>() / (base_end - base_start) as f64
            };
            let bt = base(&t.y);
            let bc: Vec<f64> = chosen.iter().map(|c| base(&self.rooms[*c].y)).collect();
            let mut own = vec![None; span];
            let mut changes = vec![vec![0.0; span]; chosen.len()];
            for (slot, e) in (-(cfg.pre as i64)..=cfg.post as i64).enumerate() {
                let w = g as i64 + e;
                if w < 0 || w as usize >= weeks {
                    continue;
                }
                let w = w as usize;
                own[slot] = Some(t.y[w] - bt);
                for (k, (c, b)) in chosen.iter().zip(&bc).enumerate() {
                    changes[k][slot] = self.rooms[*c].y[w] - b;
                }
            }
            let after = mean(cfg.headline_weeks(g, weeks).map(|w| t.y[w]));
            let before = mean((g.saturating_sub(cfg.anticipation)..g).map(|w| t.y[w]));
            out.push(Contribution {
                room: ti,
                cohort: g,
                treated: own,
                controls: chosen,
                changes,
                naive: after.zip(before).map(|(a, b)| a - b),
            });
        }
        out
    }
}

/// The effect at every event time and the headline effect, with trained
/// rooms weighed by `wt` and controls by `wc`.
fn aggregate(
    contributions: &[Contribution],
    wt: &[f64],
    wc: &ControlWeights,
    cfg: &ImpactConfig,
) -> (Vec<Option<f64>>, Option<f64>) {
    let span = cfg.pre + cfg.post + 1;
    let mut s = vec![0.0; span];
    let mut n = vec![0.0; span];
    for (k, (c, w)) in contributions.iter().zip(wt).enumerate() {
        if *w == 0.0 {
            continue;
        }
        for slot in 0..span {
            let Some(t) = c.treated[slot] else { continue };
            let Some(m) = c.control_mean(k, slot, wc) else {
                break;
            };
            s[slot] += w * (t - m);
            n[slot] += w;
        }
    }
    let from = cfg.pre + cfg.headline_from;
    let (sp, np) = (from..span).fold((0.0, 0.0), |(a, b), k| (a + s[k], b + n[k]));
    (
        (0..span)
            .map(|k| (n[k] > 0.0).then(|| s[k] / n[k]))
            .collect(),
        (np > 0.0).then(|| sp / np),
    )
}

/// Multinomial counts: `n` draws among `n` items.
fn resample(rng: &mut StdRng, n: usize) -> Vec<f64> {
    let mut w = vec![0.0; n];
    for _ in 0..n {
        w[rng.random_range(0..n)] += 1.0;
    }
    w
}

/// Placebo effects: the trained rooms' training weeks given to as many
/// never-trained rooms of the same industry and city (any never-trained
/// room when the cell has none left), the rest the control pool.
fn placebos(pools: &Pools, contributions: &[Contribution], cfg: &ImpactConfig) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(cfg.seed ^ 0x00C0_FFEE);
    let mut out = Vec::with_capacity(cfg.placebos);
    let mut excluded = vec![false; pools.rooms.len()];
    for _ in 0..cfg.placebos {
        let mut fake = Vec::with_capacity(contributions.len());
        for c in contributions {
            let t = &pools.rooms[c.room];
            let cell = pools
                .cell
                .get(&(t.industry.as_str(), t.city))
                .map(|v| v.as_slice())
                .unwrap_or(&[]);
            let mut chosen = None;
            for src in [cell, pools.all.as_slice()] {
                if src.is_empty() {
                    continue;
                }
                for _ in 0..20 {
                    let k = src[rng.random_range(0..src.len())];
                    if !excluded[k] {
                        chosen = Some(k);
                        break;
                    }
                }
                if chosen.is_some() {
                    break;
                }
            }
            if let Some(k) = chosen {
                excluded[k] = true;
                fake.push((k, c.cohort));
            }
        }
        let cs = pools.contributions(&fake, &excluded, cfg);
        let ones = vec![1.0; cs.len()];
        if let (_, Some(a)) = aggregate(&cs, &ones, &ControlWeights::Equal, cfg) {
            out.push(a);
        }
        for (k, _) in &fake {
            excluded[*k] = false;
        }
    }
    out
}

/// Estimates the effect of training on the outcome in `rooms`.
pub fn estimate(rooms: &[PanelRoom], cfg: &ImpactConfig) -> ImpactEstimate {
    let pools = Pools::new(rooms);
    let treated: Vec<(usize, usize)> = rooms
        .iter()
        .enumerate()
        .filter_map(|(k, r)| r.cohort.map(|g| (k, g)))
        .collect();
    let excluded = vec![false; rooms.len()];
    let contributions = pools.contributions(&treated, &excluded, cfg);
    let used_controls: Vec<usize> = {
        let mut v: Vec<usize> = contributions
            .iter()
            .flat_map(|c| c.controls.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let ones = vec![1.0; contributions.len()];
    let (per_e, att) = aggregate(&contributions, &ones, &ControlWeights::Equal, cfg);

    // Bootstrap: trained rooms drawn with replacement; control rooms drawn
    // with replacement too, each with one weight wherever it serves.
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut draws_att = Vec::with_capacity(cfg.bootstrap);
    let mut draws_e: Vec<Vec<Option<f64>>> = Vec::with_capacity(cfg.bootstrap);
    let mut room_w = vec![0.0; rooms.len()];
    if !contributions.is_empty() {
        for _ in 0..cfg.bootstrap {
            let wt = resample(&mut rng, contributions.len());
            let (e, a) = if cfg.control_weights {
                let wc = resample(&mut rng, used_controls.len());
                for (c, w) in used_controls.iter().zip(&wc) {
                    room_w[*c] = *w;
                }
                aggregate(&contributions, &wt, &ControlWeights::PerRoom(&room_w), cfg)
            } else {
                let picks: Vec<Vec<usize>> = contributions
                    .iter()
                    .map(|c| {
                        (0..c.controls.len())
                            .map(|_| rng.random_range(0..c.controls.len()))
                            .collect()
                    })
                    .collect();
                aggregate(&contributions, &wt, &ControlWeights::Picks(&picks), cfg)
            };
            if let Some(a) = a {
                draws_att.push(a);
            }
            draws_e.push(e);
        }
    }
    let slot_draws = |slot: usize| -> Vec<f64> { draws_e.iter().filter_map(|d| d[slot]).collect() };
    let boot_se = sd(&draws_att);

    let placebo_effects = if contributions.len() >= cfg.min_treated {
        placebos(&pools, &contributions, cfg)
    } else {
        Vec::new()
    };
    let placebo = Placebo {
        runs: placebo_effects.len(),
        mean: mean(placebo_effects.iter().copied()).unwrap_or(f64::NAN),
        spread: sd(&placebo_effects),
    };
    let calibrated = cfg.placebos > 0;
    let se = if placebo.spread.is_finite() {
        boot_se.max(placebo.spread)
    } else {
        boot_se
    };
    // Every bootstrap interval widens by as much as the headline's did.
    let inflate = if boot_se > 0.0 && se.is_finite() {
        (se / boot_se).max(1.0)
    } else {
        1.0
    };
    let z = normal_upper_quantile(cfg.alpha / 2.0);
    let interval = |d: &mut Vec<f64>, point: f64| -> (f64, f64) {
        if calibrated {
            let s = sd(d) * inflate;
            (point - z * s, point + z * s)
        } else {
            d.sort_by(|a, b| a.total_cmp(b));
            (
                crate::analytics::quantile(d, cfg.alpha / 2.0).unwrap_or(f64::NAN),
                crate::analytics::quantile(d, 1.0 - cfg.alpha / 2.0).unwrap_or(f64::NAN),
            )
        }
    };
    let event: Vec<EventPoint> = (-(cfg.pre as i64)..=cfg.post as i64)
        .enumerate()
        .filter_map(|(slot, e)| {
            let att = per_e[slot]?;
            let (lo, hi) = interval(&mut slot_draws(slot), att);
            Some(EventPoint {
                e,
                att,
                lo,
                hi,
                n: contributions
                    .iter()
                    .filter(|c| c.treated[slot].is_some())
                    .count(),
            })
        })
        .collect();
    let (lo, hi) = match att {
        Some(a) if calibrated => (a - z * se, a + z * se),
        Some(a) => interval(&mut draws_att, a),
        None => (f64::NAN, f64::NAN),
    };
    let naive = mean(contributions.iter().filter_map(|c| c.naive)).unwrap_or(f64::NAN);
    let treated = contributions.len();

    // Pre-trends: the points before the anticipation weeks should all be
    // zero. When they are exactly the base period they sum to zero by
    // construction, and the last is left out of the joint test (as it is
    // when their covariance is singular for another reason).
    let pre_slots = cfg.pre.saturating_sub(cfg.anticipation);
    let pretrend_p = cfg.pretrend_alpha.and_then(|_| {
        let exact = cfg.base_max_weeks == Some(pre_slots);
        let k = if exact {
            pre_slots.saturating_sub(1)
        } else {
            pre_slots
        };
        pretrend_test(&per_e, &draws_e, k, inflate)
            .or_else(|| pretrend_test(&per_e, &draws_e, k.saturating_sub(1), inflate))
    });
    let pretrends_fail = match cfg.pretrend_alpha {
        Some(level) => pretrend_p.is_some_and(|p| p < level),
        None => {
            let pre_points: Vec<&EventPoint> = event
                .iter()
                .filter(|p| p.e < -(cfg.anticipation as i64))
                .collect();
            let off = pre_points
                .iter()
                .filter(|p| p.lo > 0.0 || p.hi < 0.0)
                .count();
            !pre_points.is_empty() && off * 4 > pre_points.len()
        }
    };
    let verdict = match att {
        _ if treated < cfg.min_treated => Verdict::TooLittleData,
        None => Verdict::TooLittleData,
        // Before calibration pre-trends came first, whatever the interval.
        Some(_) if cfg.pretrend_alpha.is_none() && pretrends_fail => Verdict::PreTrends,
        Some(_) if (lo > 0.0 || hi < 0.0) && pretrends_fail => Verdict::PreTrends,
        Some(_) if lo > 0.0 => Verdict::Positive,
        Some(_) if hi < 0.0 => Verdict::Negative,
        Some(_) => Verdict::NoDetectableEffect,
    };
    ImpactEstimate {
        att: att.unwrap_or(f64::NAN),
        lo,
        hi,
        se,
        alpha: cfg.alpha,
        naive,
        event,
        treated,
        controls: used_controls.len(),
        pretrend_p,
        placebo,
        verdict,
    }
}

/// The joint test that the first `k` event-study points are zero: Wald
/// statistic with the bootstrap covariance (widened by `inflate`), its
/// p-value from χ²(k).
fn pretrend_test(
    per_e: &[Option<f64>],
    draws: &[Vec<Option<f64>>],
    k: usize,
    inflate: f64,
) -> Option<f64> {
    if k == 0 || per_e.len() < k {
        return None;
    }
    let d: Vec<f64> = per_e[..k].iter().copied().collect::<Option<Vec<f64>>>()?;
    let rows: Vec<Vec<f64>> = draws
        .iter()
        .filter_map(|r| r[..k].iter().copied().collect::<Option<Vec<f64>>>())
        .collect();
    if rows.len() <= k + 1 {
        return None;
    }
    let m: Vec<f64> = (0..k)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / rows.len() as f64)
        .collect();
    let f = inflate * inflate / (rows.len() - 1) as f64;
    let s: Vec<Vec<f64>> = (0..k)
        .map(|a| {
            (0..k)
                .map(|b| {
                    rows.iter()
                        .map(|r| (r[a] - m[a]) * (r[b] - m[b]))
                        .sum::<f64>()
                        * f
                })
                .collect()
        })
        .collect();
    let w = quadratic_form(&s, &d)?;
    Some(chi2_upper(w, k))
}
