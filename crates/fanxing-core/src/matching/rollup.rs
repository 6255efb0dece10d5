//! The region roll-up offices read: the funnel from needs to money paid
//! out, the amounts, who was served, how fast partners decide and which
//! partners miss their deadlines. Pure: computed from the store's rows.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::pipeline::AppState;
use super::store::{NeedCounts, RollupRow};
use super::OfferKind;
use crate::people::OrgId;
use crate::region::{RegionCode, RegionRange};

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

/// One line of the monthly credit-loan return: the loans of one region
/// (and its subtree), in the shape offices file each month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReturnLine {
    pub code: RegionCode,
    pub name: String,
    /// Loans disbursed up to the end of the month.
    pub loans_cumulative: i64,
    pub disbursed_cumulative_fen: i64,
    /// Of those, still outstanding: disbursed and not yet closed (办结).
    pub balance_fen: i64,
    pub loans_this_month: i64,
    pub disbursed_this_month_fen: i64,
    /// Distinct enterprises with a loan disbursed up to the end of the month.
    pub enterprises_cumulative: i64,
    /// Of those, enterprises whose first loan was disbursed this month.
    pub enterprises_new_this_month: i64,
}

/// The return for `[from, to)`: one line per region of `regions` (each
/// counting its subtree), then their total under `total` — loans only,
/// from the applications' first disbursement.
pub fn monthly_return(
    rows: &[RollupRow],
    regions: &[(RegionCode, String)],
    total: (RegionCode, String),
    from: i64,
    to: i64,
) -> Vec<ReturnLine> {
    let loans: Vec<(&RollupRow, i64)> = rows
        .iter()
        .filter(|r| r.offer_kind == OfferKind::Loan)
        .filter_map(|r| r.disbursed_at.filter(|at| *at < to).map(|at| (r, at)))
        .collect();
    let line = |code: RegionCode, name: String, range: RegionRange| {
        let mut l = ReturnLine {
            code,
            name,
            loans_cumulative: 0,
            disbursed_cumulative_fen: 0,
            balance_fen: 0,
            loans_this_month: 0,
            disbursed_this_month_fen: 0,
            enterprises_cumulative: 0,
            enterprises_new_this_month: 0,
        };
        let mut first: BTreeMap<OrgId, i64> = BTreeMap::new();
        for (r, at) in loans
            .iter()
            .filter(|(r, _)| range.contains(r.application.region))
        {
            let a = &r.application;
            let amount = a.amount_disbursed_fen.unwrap_or(0);
            l.loans_cumulative += 1;
            l.disbursed_cumulative_fen = l.disbursed_cumulative_fen.saturating_add(amount);
            if a.state == AppState::Disbursed {
                l.balance_fen = l.balance_fen.saturating_add(amount);
            }
            if *at >= from {
                l.loans_this_month += 1;
                l.disbursed_this_month_fen = l.disbursed_this_month_fen.saturating_add(amount);
            }
            let e = first.entry(a.org_id).or_insert(*at);
            *e = (*e).min(*at);
        }
        l.enterprises_cumulative = first.len() as i64;
        l.enterprises_new_this_month = first.values().filter(|at| **at >= from).count() as i64;
        l
    };
    let mut out: Vec<ReturnLine> = regions
        .iter()
        .map(|(code, name)| line(*code, name.clone(), code.subtree()))
        .collect();
    out.push(line(total.0, total.1, total.0.subtree()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loan(id: i64, org: i64, region: u32, amount: i64, at: i64, state: AppState) -> RollupRow {
        RollupRow {
            application: super::super::store::Application {
                id,
                need_id: id,
                offer_id: 1,
                org_id: OrgId(org),
                region: RegionCode::from_value(region).unwrap(),
                state,
                amount_requested_fen: Some(amount),
                amount_approved_fen: Some(amount),
                amount_disbursed_fen: Some(amount),
                first_time_borrower: false,
                due_at: None,
                created_at: at - 86_400,
                decided_at: Some(at - 3600),
            },
            partner_org_id: OrgId(9),
            partner_name: "银行".into(),
            offer_kind: OfferKind::Loan,
            was_accepted: true,
            was_approved: true,
            was_disbursed: true,
            disbursed_at: Some(at),
            expired: false,
        }
    }

    #[test]
    fn the_monthly_return_counts_loans_by_month_region_and_enterprise() {
        let (may, june, july) = (1_746_028_800, 1_748_707_200, 1_751_299_200);
        let ks = |id, org, amount, at, state| loan(id, org, 320583, amount, at, state);
        let mut rows = vec![
            // May: enterprise 1's first loan, since repaid.
            ks(1, 1, 50_000_000, may + 10, AppState::Closed),
            // June: enterprise 1 again, enterprise 2's first.
            ks(2, 1, 30_000_000, june + 10, AppState::Disbursed),
            ks(3, 2, 20_000_000, june + 20, AppState::Disbursed),
            // July: after the month, not counted.
            ks(4, 3, 10_000_000, july + 10, AppState::Disbursed),
            // Nanjing, June.
            loan(5, 4, 320102, 7_000_000, june + 30, AppState::Disbursed),
        ];
        // Not a loan: traffic support is not in a loan return.
        let mut traffic = ks(6, 5, 1_000_000, june + 40, AppState::Disbursed);
        traffic.offer_kind = OfferKind::Traffic;
        rows.push(traffic);
        let suzhou = RegionCode::from_value(320500).unwrap();
        let nanjing = RegionCode::from_value(320100).unwrap();
        let lines = monthly_return(
            &rows,
            &[(nanjing, "南京市".into()), (suzhou, "苏州市".into())],
            (RegionCode::from_value(320000).unwrap(), "江苏省".into()),
            june,
            july,
        );
        let sz = &lines[1];
        assert_eq!(sz.loans_cumulative, 3);
        assert_eq!(sz.disbursed_cumulative_fen, 100_000_000);
        assert_eq!(sz.balance_fen, 50_000_000, "the May loan is closed");
        assert_eq!(
            (sz.loans_this_month, sz.disbursed_this_month_fen),
            (2, 50_000_000)
        );
        assert_eq!(
            (sz.enterprises_cumulative, sz.enterprises_new_this_month),
            (2, 1)
        );
        let total = &lines[2];
        assert_eq!(total.loans_cumulative, 4);
        assert_eq!(total.disbursed_this_month_fen, 57_000_000);
        assert_eq!(total.enterprises_new_this_month, 2);
        assert_eq!(
            lines[0].loans_cumulative + sz.loans_cumulative,
            total.loans_cumulative
        );
    }

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[3.0], 0.9), Some(3.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert!((quantile(&[0.0, 10.0], 0.9).unwrap() - 9.0).abs() < 1e-9);
    }
}
