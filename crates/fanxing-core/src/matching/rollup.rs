//! The region roll-up offices read: the funnel from needs to money paid
//! out, the amounts, who was served, how fast partners decide and which
//! partners miss their deadlines. Pure: computed from the store's rows.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::pipeline::AppState;
use super::store::{NeedCounts, RollupRow};
use crate::people::OrgId;

/// The funnel and its figures for one region.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rollup {
    pub needs: i64,
    /// Needs with at least one offer open to them.
    pub matched: i64,
    pub applications: i64,
    pub accepted: i64,
    pub approved: i64,
    pub disbursed: i64,
    pub declined: i64,
    pub expired: i64,
    pub withdrawn: i64,
    /// Still open.
    pub active: i64,
    pub requested_fen: i64,
    pub approved_fen: i64,
    pub disbursed_fen: i64,
    /// Distinct enterprises with an approval.
    pub enterprises_served: i64,
    /// Of the approved applications, the share from first-time borrowers.
    pub first_time_share: Option<f64>,
    /// Days from application to decision (approve or decline).
    pub decision_days_median: Option<f64>,
    pub decision_days_p90: Option<f64>,
    /// Per partner: applications, decisions, deadline breaches (expired).
    pub partners: Vec<PartnerRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnerRow {
    pub org_id: OrgId,
    pub name: String,
    pub applications: i64,
    pub approved: i64,
    pub breaches: i64,
}

/// Quantile `q` (0‥1) of sorted values, by linear interpolation.
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// Rolls rows up. Money sums saturate rather than wrap (each amount is
/// bounded at ¥10 billion on the way in).
pub fn rollup(rows: &[RollupRow], needs: NeedCounts) -> Rollup {
    let mut r = Rollup {
        needs: needs.needs,
        matched: needs.matched,
        ..Default::default()
    };
    let mut served: HashSet<OrgId> = HashSet::new();
    let mut first_time = 0i64;
    let mut days: Vec<f64> = Vec::new();
    let mut partners: BTreeMap<OrgId, PartnerRow> = BTreeMap::new();
    for row in rows {
        let a = &row.application;
        r.applications += 1;
        r.accepted += row.was_accepted as i64;
        r.approved += row.was_approved as i64;
        r.disbursed += row.was_disbursed as i64;
        match a.state {
            AppState::Declined => r.declined += 1,
            AppState::Expired => r.expired += 1,
            AppState::Withdrawn => r.withdrawn += 1,
            s if s.is_active() && s != AppState::Disbursed => r.active += 1,
            _ => {}
        }
        r.requested_fen = r
            .requested_fen
            .saturating_add(a.amount_requested_fen.unwrap_or(0));
        if row.was_approved {
            r.approved_fen = r
                .approved_fen
                .saturating_add(a.amount_approved_fen.unwrap_or(0));
            served.insert(a.org_id);
            first_time += a.first_time_borrower as i64;
        }
        if row.was_disbursed {
            r.disbursed_fen = r
                .disbursed_fen
                .saturating_add(a.amount_disbursed_fen.unwrap_or(0));
        }
        if let Some(d) = a.decided_at {
            days.push((d - a.created_at).max(0) as f64 / 86_400.0);
        }
        let p = partners
            .entry(row.partner_org_id)
            .or_insert_with(|| PartnerRow {
                org_id: row.partner_org_id,
                name: row.partner_name.clone(),
                applications: 0,
                approved: 0,
                breaches: 0,
            });
        p.applications += 1;
        p.approved += row.was_approved as i64;
        p.breaches += row.expired as i64;
    }
    r.enterprises_served = served.len() as i64;
    r.first_time_share = (r.approved > 0).then(|| first_time as f64 / r.approved as f64);
    days.sort_by(f64::total_cmp);
    r.decision_days_median = quantile(&days, 0.5);
    r.decision_days_p90 = quantile(&days, 0.9);
    r.partners = partners.into_values().collect();
    r.partners
        .sort_by(|a, b| b.breaches.cmp(&a.breaches).then(a.org_id.cmp(&b.org_id)));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[3.0], 0.9), Some(3.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert!((quantile(&[0.0, 10.0], 0.9).unwrap() - 9.0).abs() < 1e-9);
    }
}
