//! What the compliance checker stores: counts of checks and findings per
//! day, region, kind and category — never the texts themselves.
//! Implemented in SQL by `fanxing-store`.

use async_trait::async_trait;
use serde::Serialize;

use super::{Category, Kind};
use crate::error::Result;
use crate::region::{RegionCode, RegionRange};

/// One check's counts, added to its day's tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckCount {
    /// Days since 1970-01-01 in Beijing time.
    pub day: i64,
    pub region: RegionCode,
    pub kind: Kind,
    /// How many texts were checked (a batch counts each).
    pub checks: i64,
    /// How many of them had any finding.
    pub flagged: i64,
    /// Per category: (texts with at least one finding of it, findings);
    /// categories with nothing are not written.
    pub per_category: Vec<(Category, i64, i64)>,
}

impl CheckCount {
    /// Adds another count of the same day, region and kind.
    pub fn absorb(&mut self, other: &CheckCount) {
        self.checks += other.checks;
        self.flagged += other.flagged;
        for (cat, t, n) in &other.per_category {
            match self.per_category.iter_mut().find(|s| s.0 == *cat) {
                Some(slot) => {
                    slot.1 += t;
                    slot.2 += n;
                }
                None => self.per_category.push((*cat, *t, *n)),
            }
        }
    }
}

/// The tally over a range of regions and days, per category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TallyTotals {
    pub checks: i64,
    pub flagged: i64,
    /// (category, texts with a finding of it, findings), every category.
    pub per_category: Vec<(Category, i64, i64)>,
    /// (region, checks, texts with any finding) per child region (cities
    /// for the province, counties for a city).
    pub per_region: Vec<(RegionCode, i64, i64)>,
}

#[async_trait]
pub trait ComplianceStore: Send + Sync {
    /// Adds counts to the tally, all in one transaction (one upsert per
    /// category that has any).
    async fn add_check_counts(&self, counts: &[CheckCount]) -> Result<()>;
    /// Sums the tally over `range` from `since_day` on, with the rows of
    /// its child regions (`by_city`: codes cut to their city, else whole).
    async fn check_tally(
        &self,
        range: RegionRange,
        since_day: i64,
        by_city: bool,
    ) -> Result<TallyTotals>;
}
