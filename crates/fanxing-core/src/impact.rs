//! Did training work? Difference-in-differences on matched controls, by
//! cohort and event time, in the manner of Callaway & Sant'Anna.
//!
//! Each trained room belongs to the cohort of the week its people were
//! trained. It is compared with never-trained rooms of the same industry and
//! city (wider when too few), the nearest on the level and the trend of the
//! outcome before training. For every event time `e` (weeks since training)
//! the effect is the trained room's change since its base period minus its
//! controls' change over the same calendar weeks, averaged over trained rooms
//! — so staggered cohorts are never compared with already-trained rooms, and
//! each cohort weighs by its size.
//!
//! The base period ends `anticipation` weeks before training: rooms tend to
//! enrol after a bad spell, and measuring from inside that dip would count
//! the recovery as an effect (the naive before/after comparison does exactly
//! that, and is reported beside the estimate to show it). The event-study
//! curve shows the pre-training weeks too, so a dip or a diverging trend is
//! visible. Confidence intervals come from a bootstrap over trained rooms.

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
    /// Weeks in the base period (before the anticipation weeks).
    pub base_weeks: usize,
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
}

impl Default for ImpactConfig {
    fn default() -> Self {
        ImpactConfig {
            anticipation: 10,
            base_weeks: 8,
            pre: 18,
            post: 12,
            neighbours: 5,
            bootstrap: 300,
            seed: 1,
            min_treated: 50,
        }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactEstimate {
    /// The average effect over weeks `0 ..= post` after training.
    pub att: f64,
    pub lo: f64,
    pub hi: f64,
    /// Trained rooms' mean after minus their mean in the weeks just before
    /// training, with no controls: biased by the dip and by seasons.
    pub naive: f64,
    pub event: Vec<EventPoint>,
    pub treated: usize,
    pub controls: usize,
    pub verdict: Verdict,
}

fn mean(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let (s, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| s / n as f64)
}

/// Level and slope (OLS on week index) of `y` over weeks `a..b`.
fn level_trend(y: &[f64], a: usize, b: usize) -> (f64, f64) {
    let n = (b - a) as f64;
    let xm = (a + b - 1) as f64 / 2.0;
    let ym = y[a..b].iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (k, v) in y[a..b].iter().enumerate() {
        let dx = (a + k) as f64 - xm;
        sxy += dx * (v - ym);
        sxx += dx * dx;
    }
    (ym, if sxx > 0.0 { sxy / sxx } else { 0.0 })
}

/// One trained room's contribution at each event time: its own change
/// since its base period and each of its controls' changes.
struct Contribution {
    /// Indexed by `e + pre`; `None` where the week is outside the panel.
    treated: Vec<Option<f64>>,
    /// Per control, indexed like `treated`.
    controls: Vec<Vec<f64>>,
    naive: Option<f64>,
}

impl Contribution {
    /// The effect at `slot`, with the controls taken as `pick` (indices
    /// into `controls`, repeats allowed).
    fn att(&self, slot: usize, pick: &[usize]) -> Option<f64> {
        let t = self.treated[slot]?;
        let c = pick.iter().map(|k| self.controls[*k][slot]).sum::<f64>() / pick.len() as f64;
        Some(t - c)
    }
}

/// Estimates the effect of training on the outcome in `rooms`.
pub fn estimate(rooms: &[PanelRoom], cfg: &ImpactConfig) -> ImpactEstimate {
    let weeks = rooms.iter().map(|r| r.y.len()).max().unwrap_or(0);
    let controls: Vec<&PanelRoom> = rooms.iter().filter(|r| r.cohort.is_none()).collect();
    let span = cfg.pre + cfg.post + 1;
    let mut contributions: Vec<Contribution> = Vec::new();
    let mut used_controls = std::collections::HashSet::new();
    for t in rooms.iter().filter(|r| r.cohort.is_some()) {
        let g = t.cohort.unwrap_or(0);
        let Some(base_end) = g.checked_sub(cfg.anticipation) else {
            continue;
        };
        let Some(base_start) = base_end.checked_sub(cfg.base_weeks) else {
            continue;
        };
        if g >= weeks || t.y.len() < weeks {
            continue;
        }
        // Controls: same industry and city, else industry, else all.
        let (lt, tt) = level_trend(&t.y, base_start, base_end);
        let mut pool: Vec<&PanelRoom> = Vec::new();
        for level in 0..3 {
            let same = |c: &&PanelRoom| match level {
                0 => c.industry == t.industry && c.city == t.city,
                1 => c.industry == t.industry,
                _ => true,
            };
            pool = controls
                .iter()
                .copied()
                .filter(|c| c.y.len() >= weeks)
                .filter(same)
                .collect();
            if pool.len() >= cfg.neighbours * 3 {
                break;
            }
        }
        if pool.is_empty() {
            continue;
        }
        let feats: Vec<(f64, f64)> = pool
            .iter()
            .map(|c| level_trend(&c.y, base_start, base_end))
            .collect();
        let sd = |f: &dyn Fn(&(f64, f64)) -> f64| {
            let m = feats.iter().map(f).sum::<f64>() / feats.len() as f64;
            (feats.iter().map(|x| (f(x) - m).powi(2)).sum::<f64>() / feats.len() as f64)
                .sqrt()
                .max(1e-9)
        };
        let (sl, st) = (sd(&|x| x.0), sd(&|x| x.1));
        let mut order: Vec<(f64, usize)> = feats
            .iter()
            .enumerate()
            .map(|(k, (l, tr))| (((l - lt) / sl).powi(2) + ((tr - tt) / st).powi(2), k))
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0));
        let chosen: Vec<&PanelRoom> = order
            .iter()
            .take(cfg.neighbours)
            .map(|(_, k)| pool[*k])
            .collect();
        for c in &chosen {
            used_controls.insert(c.id);
        }
        let base = |y: &[f64]| y[base_start..base_end].iter().sum::<f64>() / cfg.base_weeks as f64;
        let bt = base(&t.y);
        let bc: Vec<f64> = chosen.iter().map(|c| base(&c.y)).collect();
        let mut treated = vec![None; span];
        let mut control_changes = vec![vec![0.0; span]; chosen.len()];
        for (slot, e) in (-(cfg.pre as i64)..=cfg.post as i64).enumerate() {
            let w = g as i64 + e;
            if w < 0 || w as usize >= weeks {
                continue;
            }
            let w = w as usize;
            treated[slot] = Some(t.y[w] - bt);
            for (k, (c, b)) in chosen.iter().zip(&bc).enumerate() {
                control_changes[k][slot] = c.y[w] - b;
            }
        }
        let after = mean((g..(g + cfg.post + 1).min(weeks)).map(|w| t.y[w]));
        let before = mean((g.saturating_sub(cfg.anticipation)..g).map(|w| t.y[w]));
        contributions.push(Contribution {
            treated,
            controls: control_changes,
            naive: after.zip(before).map(|(a, b)| a - b),
        });
    }

    // Every control once: the estimate itself.
    let all: Vec<Vec<usize>> = contributions
        .iter()
        .map(|c| (0..c.controls.len()).collect())
        .collect();
    let aggregate = |weights: &[usize], picks: &[Vec<usize>]| -> (Vec<Option<f64>>, Option<f64>) {
        let mut per_e = Vec::with_capacity(span);
        let (mut s_post, mut n_post) = (0.0, 0usize);
        for slot in 0..span {
            let (mut s, mut n) = (0.0, 0usize);
            for ((c, w), pick) in contributions.iter().zip(weights).zip(picks) {
                if *w == 0 {
                    continue;
                }
                if let Some(v) = c.att(slot, pick) {
                    s += v * *w as f64;
                    n += w;
                }
            }
            if slot >= cfg.pre {
                s_post += s;
                n_post += n;
            }
            per_e.push((n > 0).then(|| s / n as f64));
        }
        (per_e, (n_post > 0).then(|| s_post / n_post as f64))
    };
    let ones = vec![1usize; contributions.len()];
    let (per_e, att) = aggregate(&ones, &all);
    // Bootstrap: trained rooms drawn with replacement, and each one's
    // controls drawn with replacement from its matches, so that the noise
    // of the controls counts too.
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut draws_att = Vec::with_capacity(cfg.bootstrap);
    let mut draws_e: Vec<Vec<f64>> = vec![Vec::with_capacity(cfg.bootstrap); span];
    if !contributions.is_empty() {
        for _ in 0..cfg.bootstrap {
            let mut w = vec![0usize; contributions.len()];
            for _ in 0..contributions.len() {
                w[rng.random_range(0..contributions.len())] += 1;
            }
            let picks: Vec<Vec<usize>> = contributions
                .iter()
                .map(|c| {
                    (0..c.controls.len())
                        .map(|_| rng.random_range(0..c.controls.len()))
                        .collect()
                })
                .collect();
            let (e, a) = aggregate(&w, &picks);
            if let Some(a) = a {
                draws_att.push(a);
            }
            for (slot, v) in e.into_iter().enumerate() {
                if let Some(v) = v {
                    draws_e[slot].push(v);
                }
            }
        }
    }
    let ci = |d: &mut Vec<f64>| -> (f64, f64) {
        d.sort_by(|a, b| a.total_cmp(b));
        (
            crate::analytics::quantile(d, 0.025).unwrap_or(f64::NAN),
            crate::analytics::quantile(d, 0.975).unwrap_or(f64::NAN),
        )
    };
    let event: Vec<EventPoint> = (-(cfg.pre as i64)..=cfg.post as i64)
        .enumerate()
        .filter_map(|(slot, e)| {
            let att = per_e[slot]?;
            let (lo, hi) = ci(&mut draws_e[slot]);
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
    let (lo, hi) = ci(&mut draws_att);
    let naive = mean(contributions.iter().filter_map(|c| c.naive)).unwrap_or(f64::NAN);
    let treated = contributions.len();
    // Pre-trends: before the anticipation weeks, the curve should hover
    // around zero; too many points whose interval misses zero say otherwise.
    let pre_points: Vec<&EventPoint> = event
        .iter()
        .filter(|p| p.e < -(cfg.anticipation as i64))
        .collect();
    let off = pre_points
        .iter()
        .filter(|p| p.lo > 0.0 || p.hi < 0.0)
        .count();
    let verdict = match att {
        _ if treated < cfg.min_treated => Verdict::TooLittleData,
        None => Verdict::TooLittleData,
        Some(_) if !pre_points.is_empty() && off * 4 > pre_points.len() => Verdict::PreTrends,
        Some(_) if lo > 0.0 => Verdict::Positive,
        Some(_) if hi < 0.0 => Verdict::Negative,
        Some(_) => Verdict::NoDetectableEffect,
    };
    ImpactEstimate {
        att: att.unwrap_or(f64::NAN),
        lo,
        hi,
        naive,
        event,
        treated,
        controls: used_controls.len(),
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics_demo::{rooms, sessions, GenConfig, Trainee};

    /// Weekly log(1 + GMV in yuan) of generated rooms, with cohorts in weeks.
    fn panel(cfg: &GenConfig, trainees: &[Trainee]) -> (Vec<PanelRoom>, Vec<Vec<f64>>) {
        let regions = crate::region::parse_regions_csv(crate::region::JIANGSU_CSV, &[]).unwrap();
        let gen = rooms(cfg, &regions, &[], trainees);
        let start = crate::training::parse_date("2025-01-01").unwrap();
        let weeks = (cfg.months as usize * 31) / 7;
        let week_of = |ts: i64| ((ts - start) / (7 * 86_400)) as usize;
        let day_week = |d: i64| {
            let ts = crate::training::parse_date(&format!(
                "{}-{:02}-{:02}",
                d / 10_000,
                d / 100 % 100,
                d % 100
            ))
            .unwrap();
            week_of(ts)
        };
        let mut out = Vec::new();
        let mut gmv = Vec::new();
        for (i, r) in gen.iter().enumerate() {
            let mut g = vec![0.0; weeks];
            for s in sessions(cfg, i, r) {
                let w = week_of(s.started_at);
                if w < weeks {
                    g[w] += s.gmv_fen as f64 / 100.0;
                }
            }
            out.push(PanelRoom {
                id: i as i64,
                industry: r.draft.industry.clone(),
                city: r.draft.region.value() / 100 * 100,
                cohort: r.cohort.map(day_week),
                y: g.iter().map(|v| (1.0 + v).ln()).collect(),
            });
            gmv.push(g);
        }
        (out, gmv)
    }

    fn trainees(n: usize) -> Vec<Trainee> {
        let sz = crate::region::RegionCode::parse("320583").unwrap();
        let nj = crate::region::RegionCode::parse("320102").unwrap();
        (0..n)
            .map(|k| {
                // Spread over June to September, on any day of the month.
                let day = (202_506 + (k % 4) as i64) * 100 + 1 + (k * 7 % 28) as i64;
                (k as i64 + 1, day, if k % 2 == 0 { sz } else { nj })
            })
            .collect()
    }

    #[test]
    fn recovers_a_planted_effect_where_before_after_is_biased() {
        let base = GenConfig {
            rooms: 900,
            months: 12,
            trained_share: 0.12,
            sessions_per_week: 5.0,
            ..GenConfig::small(11)
        };
        let t = trainees(400);
        let (with, _) = panel(&base, &t);
        let (without, _) = panel(
            &GenConfig {
                effect: 0.0,
                ..base
            },
            &t,
        );
        // The truth: the same draws with and without the effect.
        let cfg = ImpactConfig::default();
        let mut diffs = Vec::new();
        for (a, b) in with.iter().zip(&without) {
            if let Some(g) = a.cohort {
                for w in g..(g + cfg.post + 1).min(a.y.len()) {
                    diffs.push(a.y[w] - b.y[w]);
                }
            }
        }
        let truth = diffs.iter().sum::<f64>() / diffs.len() as f64;
        assert!(truth > 0.05, "truth {truth}");
        let est = estimate(&with, &cfg);
        assert!(est.treated >= 80, "{}", est.treated);
        assert!(
            est.lo <= truth && truth <= est.hi,
            "truth {truth} outside [{}, {}] (att {})",
            est.lo,
            est.hi,
            est.att
        );
        assert_eq!(est.verdict, Verdict::Positive, "{est:?}");
        // Naive before/after starts inside the dip: visibly biased upwards,
        // far more than the estimate's error.
        assert!(
            est.naive - truth > 0.15,
            "naive {} vs truth {truth}",
            est.naive
        );
        assert!(
            est.naive - truth > (est.att - truth).abs(),
            "naive {} no worse than the estimate {}",
            est.naive,
            est.att
        );
        // The event study shows the dip before training.
        let dip = est.event.iter().find(|p| p.e == -3).unwrap();
        assert!(dip.att < 0.0, "{dip:?}");

        // No planted effect: none found.
        let none = estimate(&without, &cfg);
        assert!(none.lo <= 0.0 && 0.0 <= none.hi, "{none:?}");
        assert_eq!(none.verdict, Verdict::NoDetectableEffect);
    }

    #[test]
    fn too_few_trained_rooms_say_so() {
        let cfg = GenConfig {
            rooms: 120,
            trained_share: 0.03,
            ..GenConfig::small(5)
        };
        let (p, _) = panel(&cfg, &trainees(50));
        let est = estimate(&p, &ImpactConfig::default());
        assert_eq!(est.verdict, Verdict::TooLittleData);
    }
}
