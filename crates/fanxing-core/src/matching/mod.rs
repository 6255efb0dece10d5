//! Resource matching (政银企资源对接): partners' offers, enterprises' facts
//! and needs, eligibility rules kept as data, ranked and explained matches,
//! and the application pipeline.
//!
//! This module is the domain alone: it knows neither HTTP nor SQL. Rules
//! read only an enterprise's [`Fact`]s, so every decision can be replayed
//! from the facts and the ruleset version it names.

pub mod credit_code;
pub mod i18n;
pub mod pipeline;
pub mod rank;
pub mod rollup;
pub mod rules;
pub mod service;
pub mod store;

use serde::{Deserialize, Serialize};

pub use credit_code::{CreditCode, CreditCodeError};

choice_enum! {
    /// What kind of partner makes offers.
    PartnerKind {
        Bank = "bank" => "partner.bank",
        Platform = "platform" => "partner.platform",
        Base = "base" => "partner.base",
        Service = "service" => "partner.service",
        GovFund = "gov_fund" => "partner.gov_fund",
    }
}

choice_enum! {
    /// The five kinds of offer.
    OfferKind {
        Loan = "loan" => "offer.loan",
        Traffic = "traffic" => "offer.traffic",
        Space = "space" => "offer.space",
        Service = "service" => "offer.service",
        Subsidy = "subsidy" => "offer.subsidy",
    }
}

choice_enum! {
    /// The enterprise's stage by its last twelve months of sales: S1 起步
    /// (under ¥5 million), S2 成长 (¥5–100 million), S3 龙头 (¥100 million
    /// and over).
    Stage {
        S1 = "s1" => "stage.s1",
        S2 = "s2" => "stage.s2",
        S3 = "s3" => "stage.s3",
    }
}

/// Annual sales (in fen) at which the growing stage starts: ¥5 million.
pub const GROWING_FROM_FEN: i64 = 500_000_000;
/// Annual sales (in fen) at which the leading stage starts: ¥100 million.
pub const LEADING_FROM_FEN: i64 = 10_000_000_000;

impl Stage {
    /// The stage for twelve months of sales, in fen.
    pub fn from_annual_sales(fen: i64) -> Stage {
        if fen >= LEADING_FROM_FEN {
            Stage::S3
        } else if fen >= GROWING_FROM_FEN {
            Stage::S2
        } else {
            Stage::S1
        }
    }
}

choice_enum! {
    /// Where a fact comes from, most trusted first: computed by Fanxing from
    /// the live rooms' imported sessions, checked by a partner against
    /// documents, or stated by the enterprise.
    FactSource {
        Platform = "platform" => "fact.platform",
        Verified = "verified" => "fact.verified",
        Declared = "declared" => "fact.declared",
    }
}

/// A fact's value: a number (money in fen, rates in basis points, counts),
/// or a text (industry, a yes/no flag as `"true"`/`"false"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FactValue {
    Number(i64),
    Text(String),
}

/// One dated fact about an enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    /// The metric's name, e.g. `sales_12m_fen`, `shop_age_months`.
    pub metric: String,
    pub value: FactValue,
    /// The period it describes, e.g. `2025-12` or `2025-01..2025-12`.
    pub period: String,
    pub source: FactSource,
    /// When it was recorded or last confirmed (Unix seconds).
    pub as_of: i64,
}

/// Metrics the product itself knows how to fill; rules may name others,
/// which the enterprise then declares.
pub const KNOWN_METRICS: &[&str] = &[
    "sales_12m_fen",
    "stage",
    "region",
    "industry",
    "shop_age_months",
    "refund_rate_bp",
    "violations_12m",
    "bad_credit",
    "employees",
    "first_time_borrower",
];

/// The twelve-month sales that set an enterprise's stage: the live rooms'
/// GMV where the platform holds it, else a verified figure, else the
/// declared one; with the fact it came from.
pub fn stage_of(facts: &[Fact]) -> Option<(Stage, &Fact)> {
    let mut sales: Vec<&Fact> = facts
        .iter()
        .filter(|f| f.metric == "sales_12m_fen" && matches!(f.value, FactValue::Number(_)))
        .collect();
    sales.sort_by_key(|f| (source_rank(f.source), std::cmp::Reverse(f.as_of)));
    let f = sales.first()?;
    match f.value {
        FactValue::Number(n) => Some((Stage::from_annual_sales(n), f)),
        FactValue::Text(_) => None,
    }
}

fn source_rank(s: FactSource) -> u8 {
    match s {
        FactSource::Platform => 0,
        FactSource::Verified => 1,
        FactSource::Declared => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sales(fen: i64, source: FactSource, as_of: i64) -> Fact {
        Fact {
            metric: "sales_12m_fen".into(),
            value: FactValue::Number(fen),
            period: "2025".into(),
            source,
            as_of,
        }
    }

    #[test]
    fn stages_follow_the_sales_ladder() {
        assert_eq!(Stage::from_annual_sales(0), Stage::S1);
        assert_eq!(Stage::from_annual_sales(GROWING_FROM_FEN - 1), Stage::S1);
        assert_eq!(Stage::from_annual_sales(GROWING_FROM_FEN), Stage::S2);
        assert_eq!(Stage::from_annual_sales(LEADING_FROM_FEN - 1), Stage::S2);
        assert_eq!(Stage::from_annual_sales(LEADING_FROM_FEN), Stage::S3);
    }

    #[test]
    fn the_platforms_own_figure_sets_the_stage_before_a_declared_one() {
        let facts = vec![
            sales(20_000_000_000, FactSource::Declared, 200),
            sales(100_000_000, FactSource::Platform, 100),
        ];
        let (stage, from) = stage_of(&facts).unwrap();
        assert_eq!(stage, Stage::S1);
        assert_eq!(from.source, FactSource::Platform);
        // Without the platform's figure, the newest declared one counts.
        let facts = vec![
            sales(600_000_000, FactSource::Declared, 100),
            sales(20_000_000_000, FactSource::Declared, 200),
        ];
        assert_eq!(stage_of(&facts).unwrap().0, Stage::S3);
        assert!(stage_of(&[]).is_none());
    }
}
