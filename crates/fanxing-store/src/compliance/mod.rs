//! The compliance checker's SQL: the per-day tally of checks and findings.

use async_trait::async_trait;

use fanxing_core::compliance::store::{CheckCount, ComplianceStore, TallyTotals};
use fanxing_core::compliance::Category;
use fanxing_core::error::Result;
use fanxing_core::region::RegionRange;

use crate::sql::{args, Sql};
use crate::store::{bad, col, db, region_code, SqlStore};

/// Adds to a tally row, creating it if needed.
const UPSERT: &str = "INSERT INTO compliance_tally (day, region, kind, category, texts, findings) \
     VALUES (";
const ON_CONFLICT: &str = ") ON CONFLICT (day, region, kind, category) DO UPDATE SET \
     texts = compliance_tally.texts + excluded.texts, \
     findings = compliance_tally.findings + excluded.findings";

/// Adds one day's, region's and kind's counts inside `tx`.
async fn add_one(tx: &mut sqlx::Transaction<'_, sqlx::Any>, c: &CheckCount) -> Result<()> {
    let region = i64::from(c.region.value());
    let rows = std::iter::once(("", c.checks, c.flagged)).chain(
        c.per_category
            .iter()
            .filter(|(_, texts, n)| *texts > 0 || *n > 0)
            .map(|(cat, texts, n)| (cat.as_str(), *texts, *n)),
    );
    for (category, texts, findings) in rows {
        let mut q = Sql::new(UPSERT);
        q.binds(args![
            c.day,
            region,
            c.kind.as_str(),
            category,
            texts,
            findings
        ])
        .push(ON_CONFLICT);
        q.query().execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

#[async_trait]
impl ComplianceStore for SqlStore {
    async fn add_check_counts(&self, counts: &[CheckCount]) -> Result<()> {
        if counts.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer().begin().await.map_err(db)?;
        for c in counts {
            add_one(&mut tx, c).await?;
        }
        tx.commit().await.map_err(db)
    }

    async fn check_tally(
        &self,
        range: RegionRange,
        since_day: i64,
        by_city: bool,
    ) -> Result<TallyTotals> {
        let scope = |q: &mut Sql| {
            q.push(" WHERE region BETWEEN ")
                .bind(i64::from(range.lo))
                .push(" AND ")
                .bind(i64::from(range.hi))
                .push(" AND day >= ")
                .bind(since_day);
        };
        let mut q = Sql::new(
            "SELECT category, CAST(SUM(texts) AS BIGINT) AS texts, \
             CAST(SUM(findings) AS BIGINT) AS findings FROM compliance_tally",
        );
        scope(&mut q);
        q.push(" GROUP BY category");
        let mut totals = TallyTotals::default();
        let mut seen = Vec::new();
        for r in q.query().fetch_all(self.pool()).await.map_err(db)? {
            let cat: String = col(&r, "category")?;
            let (texts, findings): (i64, i64) = (col(&r, "texts")?, col(&r, "findings")?);
            if cat.is_empty() {
                totals.checks = texts;
                totals.flagged = findings;
            } else {
                let c = Category::parse(&cat).ok_or_else(|| bad("category", &cat))?;
                seen.push(c);
                totals.per_category.push((c, texts, findings));
            }
        }
        for c in Category::ALL {
            if !seen.contains(c) {
                totals.per_category.push((*c, 0, 0));
            }
        }
        let group = if by_city {
            "(region / 100) * 100"
        } else {
            "region"
        };
        let mut q = Sql::new("SELECT ");
        q.push(group).push(
            " AS g, CAST(SUM(texts) AS BIGINT) AS texts, CAST(SUM(findings) AS BIGINT) AS findings \
             FROM compliance_tally",
        );
        scope(&mut q);
        q.push(" AND category = '' GROUP BY ")
            .push(group)
            .push(" ORDER BY 2 DESC, 1");
        for r in q.query().fetch_all(self.pool()).await.map_err(db)? {
            totals.per_region.push((
                region_code(col(&r, "g")?)?,
                col(&r, "texts")?,
                col(&r, "findings")?,
            ));
        }
        Ok(totals)
    }
}
