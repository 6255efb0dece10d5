//! Ranking eligible offers for a need, with the factors shown.
//!
//! Score = 100 × Σ weight × factor, each factor in 0‥1:
//!
//! | factor | weight | 1 when | 0 when |
//! |---|---|---|---|
//! | amount fit | 0.30 | the amount asked lies in the offer's range | far outside it (ratio of the nearer bound) |
//! | cost | 0.20 | free | a rate of 24 % a year or more (linear from 3 %) |
//! | speed | 0.20 | decided the same day | slow (1 / (1 + days / 5): the partner's median working days from application to decision once it has made [`MIN_DECISIONS`], else its promised deadline) |
//! | locality | 0.15 | the partner serves the enterprise's county | outside its province (city 0.7, province 0.4) |
//! | stage fit | 0.15 | the offer is made for the enterprise's stage | made for other stages |
//!
//! A factor the data cannot decide (no amount asked, no price given, an
//! offer for every stage) counts 0.5. Ties go to the lower offer id, so
//! the same inputs always give the same order.

use serde::Serialize;

use super::rules::Eligibility;
use super::Stage;
use crate::region::RegionCode;

/// What ranking reads of an offer.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferTerms {
    pub offer_id: i64,
    pub amount_min_fen: Option<i64>,
    pub amount_max_fen: Option<i64>,
    /// Yearly rate in basis points (loans).
    pub rate_bp: Option<i64>,
    /// Price in fen (services, space); 0 is free.
    pub price_fen: Option<i64>,
    /// The decision deadline the partner promises, in working days.
    pub decision_days: i64,
    /// The partner's observed median days to a decision, once it has some.
    pub observed_days: Option<f64>,
    pub partner_region: RegionCode,
    /// The stages the offer is made for (empty: every stage).
    pub stages: Vec<Stage>,
}

/// What ranking reads of a need and its enterprise.
#[derive(Debug, Clone, PartialEq)]
pub struct NeedTerms {
    pub amount_fen: Option<i64>,
    pub region: RegionCode,
    pub stage: Option<Stage>,
}

/// A digest of an evaluation's outcome — verdict, score, factors and rule
/// trace — that stays the same across runs, servers and releases
/// (SipHash-1-3 with fixed keys): an evaluation that finds what is stored
/// writes nothing. Not a secret: it only tells results apart.
pub fn digest(
    eligibility: Eligibility,
    score_tenths: i64,
    factors: &[Factor],
    trace: &[super::rules::RuleTrace],
) -> i64 {
    use std::hash::{Hash, Hasher};
    let mut h =
        siphasher::sip::SipHasher13::new_with_keys(0x6661_6e78_696e_6700, 0x6d61_7463_6865_7300);
    eligibility.as_str().hash(&mut h);
    score_tenths.hash(&mut h);
    factors.len().hash(&mut h);
    for f in factors {
        f.name.hash(&mut h);
        f.weight.to_bits().hash(&mut h);
        f.value.to_bits().hash(&mut h);
    }
    trace.hash(&mut h);
    h.finish() as i64
}

/// One factor of a score, for the explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    pub name: &'static str,
    pub weight: f64,
    /// 0‥1.
    pub value: f64,
}

/// A scored offer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub offer_id: i64,
    pub eligibility: Eligibility,
    /// 0‥100, one decimal.
    pub score: f64,
    /// Largest contribution first.
    pub factors: Vec<Factor>,
}

/// Decisions a partner must have made before its observed median replaces
/// its promised deadline in the speed factor.
pub const MIN_DECISIONS: usize = 3;

/// Each partner's median working days from application to decision, for
/// partners with at least [`MIN_DECISIONS`] decisions; `decisions` are
/// (partner, applied at, decided at) in Unix seconds.
pub fn observed_decision_days<P: Ord + Copy>(
    decisions: &[(P, i64, i64)],
) -> std::collections::BTreeMap<P, f64> {
    let mut days: std::collections::BTreeMap<P, Vec<i64>> = Default::default();
    for &(p, from, to) in decisions {
        days.entry(p)
            .or_default()
            .push(crate::workdays::between(from, to));
    }
    days.into_iter()
        .filter(|(_, d)| d.len() >= MIN_DECISIONS)
        .map(|(p, mut d)| {
            d.sort_unstable();
            let n = d.len();
            let median = if n % 2 == 1 {
                d[n / 2] as f64
            } else {
                (d[n / 2 - 1] + d[n / 2]) as f64 / 2.0
            };
            (p, median)
        })
        .collect()
}

/// The factors' names, as scores and explanations give them.
pub const FACTOR_NAMES: [&str; 5] = ["amount_fit", "cost", "speed", "locality", "stage_fit"];

const WEIGHTS: [(&str, f64); 5] = [
    ("amount_fit", 0.30),
    ("cost", 0.20),
    ("speed", 0.20),
    ("locality", 0.15),
    ("stage_fit", 0.15),
];

/// Scores one offer for one need.
pub fn score(offer: &OfferTerms, need: &NeedTerms, eligibility: Eligibility) -> Scored {
    let values = [
        amount_fit(offer, need.amount_fen),
        cost(offer),
        speed(offer),
        locality(offer.partner_region, need.region),
        match need.stage {
            _ if offer.stages.is_empty() => 0.5,
            None => 0.5,
            Some(s) if offer.stages.contains(&s) => 1.0,
            Some(_) => 0.0,
        },
    ];
    let mut factors: Vec<Factor> = WEIGHTS
        .iter()
        .zip(values)
        .map(|((name, weight), value)| Factor {
            name,
            weight: *weight,
            value: (value * 1000.0).round() / 1000.0,
        })
        .collect();
    let total: f64 = factors.iter().map(|f| f.weight * f.value).sum();
    factors.sort_by(|a, b| {
        (b.weight * b.value)
            .total_cmp(&(a.weight * a.value))
            .then(a.name.cmp(b.name))
    });
    Scored {
        offer_id: offer.offer_id,
        eligibility,
        score: (total * 1000.0).round() / 10.0,
        factors,
    }
}

/// Orders scored offers: eligible before tentative before ineligible, then
/// by score, then by offer id.
pub fn rank(mut scored: Vec<Scored>) -> Vec<Scored> {
    scored.sort_by(|a, b| {
        a.eligibility
            .cmp(&b.eligibility)
            .then(b.score.total_cmp(&a.score))
            .then(a.offer_id.cmp(&b.offer_id))
    });
    scored
}

fn amount_fit(offer: &OfferTerms, amount: Option<i64>) -> f64 {
    let Some(a) = amount.filter(|a| *a > 0) else {
        return 0.5;
    };
    let a = a as f64;
    match (offer.amount_min_fen, offer.amount_max_fen) {
        (Some(lo), _) if a < lo as f64 => a / lo as f64,
        (_, Some(hi)) if a > hi as f64 && hi > 0 => hi as f64 / a,
        (None, None) => 0.5,
        _ => 1.0,
    }
}

fn cost(offer: &OfferTerms) -> f64 {
    match (offer.rate_bp, offer.price_fen) {
        (Some(0), _) | (None, Some(0)) => 1.0,
        (Some(bp), _) => 1.0 - ((bp as f64 - 300.0) / 2100.0).clamp(0.0, 1.0),
        _ => 0.5,
    }
}

fn speed(offer: &OfferTerms) -> f64 {
    let days = offer
        .observed_days
        .unwrap_or(offer.decision_days as f64)
        .max(0.0);
    1.0 / (1.0 + days / 5.0)
}

fn locality(partner: RegionCode, enterprise: RegionCode) -> f64 {
    let (p, e) = (partner.value(), enterprise.value());
    if p == e {
        1.0
    } else if p % 10_000 != 0 && p / 100 == e / 100 {
        // A city's or a county's partner, the enterprise in the same city.
        0.7
    } else if p / 10_000 == e / 10_000 {
        0.4
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(v: u32) -> RegionCode {
        RegionCode::from_value(v).unwrap()
    }

    fn offer(id: i64) -> OfferTerms {
        OfferTerms {
            offer_id: id,
            amount_min_fen: Some(3_000_000),
            amount_max_fen: Some(30_000_000),
            rate_bp: Some(600),
            price_fen: None,
            decision_days: 5,
            observed_days: None,
            partner_region: region(320500),
            stages: vec![Stage::S1],
        }
    }

    fn need() -> NeedTerms {
        NeedTerms {
            amount_fen: Some(10_000_000),
            region: region(320583),
            stage: Some(Stage::S1),
        }
    }

    #[test]
    fn factors_follow_the_documented_rules() {
        let s = score(&offer(1), &need(), Eligibility::Eligible);
        let f = |n: &str| s.factors.iter().find(|f| f.name == n).unwrap().value;
        assert_eq!(f("amount_fit"), 1.0);
        assert_eq!(f("cost"), 0.857);
        assert_eq!(f("speed"), 0.5);
        assert_eq!(f("locality"), 0.7);
        assert_eq!(f("stage_fit"), 1.0);
        // 100 × (0.3 + 0.2 × 0.857 + 0.2 × 0.5 + 0.15 × 0.7 + 0.15)
        assert_eq!(s.score, 82.6);
        assert_eq!(s.factors[0].name, "amount_fit");
    }

    #[test]
    fn amounts_outside_the_range_and_unknowns() {
        let mut n = need();
        n.amount_fen = Some(60_000_000);
        let s = score(&offer(1), &n, Eligibility::Eligible);
        assert_eq!(
            s.factors
                .iter()
                .find(|f| f.name == "amount_fit")
                .unwrap()
                .value,
            0.5
        );
        n.amount_fen = None;
        n.stage = None;
        let mut o = offer(1);
        o.rate_bp = None;
        let s = score(&o, &n, Eligibility::Eligible);
        for name in ["amount_fit", "cost", "stage_fit"] {
            assert_eq!(
                s.factors.iter().find(|f| f.name == name).unwrap().value,
                0.5
            );
        }
    }

    #[test]
    fn locality_by_level() {
        assert_eq!(locality(region(320583), region(320583)), 1.0);
        assert_eq!(locality(region(320500), region(320583)), 0.7);
        assert_eq!(locality(region(320000), region(320583)), 0.4);
        assert_eq!(locality(region(320100), region(320583)), 0.4);
        assert_eq!(locality(region(320583), region(320505)), 0.7);
        assert_eq!(locality(region(330100), region(320583)), 0.0);
    }

    #[test]
    fn ranking_is_deterministic_and_puts_eligible_first() {
        let n = need();
        let mut slow = offer(3);
        slow.observed_days = Some(20.0);
        let scored = vec![
            score(&offer(2), &n, Eligibility::Eligible),
            score(&slow, &n, Eligibility::Eligible),
            score(&offer(1), &n, Eligibility::Tentative),
            score(&offer(4), &n, Eligibility::Eligible),
        ];
        let order: Vec<i64> = rank(scored.clone()).iter().map(|s| s.offer_id).collect();
        assert_eq!(order, vec![2, 4, 3, 1]);
        let mut reversed = scored;
        reversed.reverse();
        let again: Vec<i64> = rank(reversed).iter().map(|s| s.offer_id).collect();
        assert_eq!(again, order);
    }

    #[test]
    fn observed_decision_days_are_medians_of_working_days_after_three() {
        // Monday 9 March 2026, 10:00 Beijing.
        let monday = 1_773_021_600;
        let day = 86_400;
        let d = [
            (1, monday, monday + day),     // 1
            (1, monday, monday + 3 * day), // 3
            (1, monday, monday + 7 * day), // 5
            (1, monday, monday + 2 * day), // 2
            (2, monday, monday + day),
            (2, monday, monday + day),
        ];
        let m = observed_decision_days(&d);
        assert_eq!(m.get(&1), Some(&2.5));
        assert_eq!(m.get(&2), None, "two decisions are not enough");
    }

    #[test]
    fn the_digest_tells_outcomes_apart_and_is_fixed() {
        use crate::matching::rules::{RuleResult, RuleTrace};
        let s = score(&offer(1), &need(), Eligibility::Eligible);
        let trace = vec![RuleTrace {
            rule_id: 7,
            field: "shop_age_months".into(),
            hard: true,
            result: RuleResult::Passed,
            found: Some("24".into()),
        }];
        let d = digest(Eligibility::Eligible, 826, &s.factors, &trace);
        assert_eq!(d, digest(Eligibility::Eligible, 826, &s.factors, &trace));
        assert_ne!(d, digest(Eligibility::Tentative, 826, &s.factors, &trace));
        assert_ne!(d, digest(Eligibility::Eligible, 825, &s.factors, &trace));
        let mut other = trace.clone();
        other[0].found = Some("25".into());
        assert_ne!(d, digest(Eligibility::Eligible, 826, &s.factors, &other));
        other[0].found = Some("24".into());
        other[0].result = RuleResult::Failed;
        assert_ne!(d, digest(Eligibility::Eligible, 826, &s.factors, &other));
        let mut factors = s.factors.clone();
        factors[0].value += 0.01;
        assert_ne!(d, digest(Eligibility::Eligible, 826, &factors, &trace));
        // Stored digests are compared with new ones after an upgrade: the
        // same outcome gives the same number in every release.
        assert_eq!(
            digest(Eligibility::Eligible, 0, &[], &[]),
            4_907_812_811_002_092_275
        );
    }
}
