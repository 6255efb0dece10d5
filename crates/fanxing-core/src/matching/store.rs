//! What resource matching needs stored: [`MatchingStore`], implemented in
//! SQL by `fanxing-store`.

use async_trait::async_trait;
use serde::Serialize;

use super::pipeline::{Action, AppState};
use super::rules::{Eligibility, Rule};
use super::{Fact, OfferKind, PartnerKind, Stage};
use crate::error::Result;
use crate::people::{OrgId, UserId};
use crate::region::{RegionCode, RegionRange};

/// An organisation that makes offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partner {
    pub org_id: OrgId,
    pub name: String,
    pub kind: PartnerKind,
    /// The area it serves (a province, city or county).
    pub serves_region: RegionCode,
}

/// An offer as a partner writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferDraft {
    pub kind: OfferKind,
    pub title: String,
    pub description: String,
    pub amount_min_fen: Option<i64>,
    pub amount_max_fen: Option<i64>,
    pub term_months: Option<i64>,
    pub rate_min_bp: Option<i64>,
    pub rate_max_bp: Option<i64>,
    pub price_fen: Option<i64>,
    pub materials: String,
    /// Working days the partner promises to decide in.
    pub decision_days: i64,
    pub quota: Option<i64>,
    pub valid_from: i64,
    pub valid_until: i64,
    pub policy_basis: String,
    /// The stages it is made for (empty: every stage).
    pub stages: Vec<Stage>,
}

/// A stored offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub id: i64,
    pub partner: Partner,
    #[serde(flatten)]
    pub draft: OfferDraft,
    pub ruleset_version: i64,
    /// The version at which every open need was last evaluated against it
    /// (behind `ruleset_version` while an evaluation is due).
    pub evaluated_version: i64,
    pub active: bool,
}

/// A need as an enterprise (or an office for it) states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedDraft {
    pub org_id: OrgId,
    pub kind: OfferKind,
    pub amount_fen: Option<i64>,
    pub purpose: String,
    /// The facts matched partners may see.
    pub consent_facts: Vec<String>,
    /// Until when (Unix seconds).
    pub consent_until: i64,
}

/// A stored need, with its enterprise's name and region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Need {
    pub id: i64,
    pub org_name: String,
    pub region: RegionCode,
    #[serde(flatten)]
    pub draft: NeedDraft,
    pub open: bool,
    pub created_at: i64,
}

/// The latest evaluation of an offer for a need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchRow {
    pub need_id: i64,
    pub offer_id: i64,
    pub eligibility: Eligibility,
    pub score_tenths: i64,
    /// JSON: the factors ([`super::rank::Factor`]).
    pub factors: String,
    /// JSON: the rule trace ([`super::rules::RuleTrace`]).
    pub trace: String,
    /// A digest of the verdict, score, factors and trace
    /// ([`super::rank::digest`]): an evaluation that finds the same is not
    /// written again.
    pub digest: i64,
    /// The offer's ruleset version when the result was reached (it holds
    /// until the offer's `evaluated_version`, see [`Offer`]).
    pub ruleset_version: i64,
    /// When the result was reached.
    pub evaluated_at: i64,
}

/// An open need as an evaluation reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedFacts {
    pub need: Need,
    /// Its enterprise's facts, in the order they were recorded.
    pub facts: Vec<Fact>,
    /// The digest of its stored result for the offer asked about.
    pub digest: Option<i64>,
}

/// A stored application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Application {
    pub id: i64,
    pub need_id: i64,
    pub offer_id: i64,
    pub org_id: OrgId,
    pub region: RegionCode,
    pub state: AppState,
    pub amount_requested_fen: Option<i64>,
    pub amount_approved_fen: Option<i64>,
    pub amount_disbursed_fen: Option<i64>,
    pub first_time_borrower: bool,
    /// When the partner's decision is due (while it has to act).
    pub due_at: Option<i64>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

/// One move of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppEvent {
    pub from: Option<AppState>,
    pub to: AppState,
    pub action: Option<Action>,
    pub actor_user: Option<UserId>,
    pub comment: String,
    pub at: i64,
}

/// What a move changes besides the state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoveFields {
    pub due_at: Option<Option<i64>>,
    pub amount_approved_fen: Option<i64>,
    pub amount_disbursed_fen: Option<i64>,
    pub decided_at: Option<i64>,
}

/// Which applications a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppScope {
    /// Made to this partner's offers.
    Partner(OrgId),
    /// Made by this enterprise.
    Enterprise(OrgId),
    /// Of enterprises in this region.
    Region(RegionRange),
}

#[async_trait]
pub trait MatchingStore: Send + Sync {
    async fn upsert_partner(&self, p: &Partner, now: i64) -> Result<()>;
    async fn get_partner(&self, org: OrgId) -> Result<Option<Partner>>;
    async fn list_partners(&self) -> Result<Vec<Partner>>;

    /// Inserts an offer with its rules (version 1); returns its id.
    async fn insert_offer(
        &self,
        partner: OrgId,
        o: &OfferDraft,
        rules: &[Rule],
        now: i64,
    ) -> Result<i64>;
    /// Replaces an offer's terms and rules, one version up; returns the
    /// new version.
    async fn update_offer(&self, id: i64, o: &OfferDraft, rules: &[Rule], now: i64) -> Result<i64>;
    async fn set_offer_active(&self, id: i64, active: bool, now: i64) -> Result<()>;
    async fn get_offer(&self, id: i64) -> Result<Option<Offer>>;
    /// Offers, of one partner or all; active ones only when asked.
    async fn list_offers(&self, partner: Option<OrgId>, active_only: bool) -> Result<Vec<Offer>>;
    /// The rules of these offers, in each offer's order: (offer id, rule).
    async fn rules_of(&self, offers: &[i64]) -> Result<Vec<(i64, Rule)>>;

    async fn add_facts(&self, org: OrgId, facts: &[Fact], by: Option<UserId>) -> Result<()>;
    /// Every fact of these organisations: (organisation, fact).
    async fn facts_of(&self, orgs: &[OrgId]) -> Result<Vec<(OrgId, Fact)>>;

    async fn insert_need(&self, n: &NeedDraft, by: Option<UserId>, now: i64) -> Result<i64>;
    async fn get_need(&self, id: i64) -> Result<Option<Need>>;
    /// Open needs whose enterprise lies in `range`.
    async fn open_needs(&self, range: RegionRange) -> Result<Vec<Need>>;
    /// Every open need with every fact of its enterprise (in the order
    /// they were recorded) and, when `offer` is given, the digest of the
    /// need's stored result for it: read at once, for evaluating offers
    /// against all open needs.
    async fn open_needs_with_facts(&self, offer: Option<i64>) -> Result<Vec<NeedFacts>>;
    /// Needs of one enterprise, newest first.
    async fn needs_of(&self, org: OrgId) -> Result<Vec<Need>>;

    /// The stored digests of the results of these needs for these offers:
    /// ((need, offer), digest).
    async fn match_digests(&self, needs: &[i64], offers: &[i64]) -> Result<Vec<((i64, i64), i64)>>;
    /// Stores evaluations, replacing earlier ones of the same pairs, and, in
    /// the same transaction, records `complete` (offer, ruleset version):
    /// offers whose every open need the evaluation covered.
    async fn save_matches(&self, rows: &[MatchRow], complete: &[(i64, i64)]) -> Result<()>;
    async fn matches_of_need(&self, need: i64) -> Result<Vec<MatchRow>>;
    /// A need's results for the offers `offers` only.
    async fn matches_of_need_for(&self, need: i64, offers: &[i64]) -> Result<Vec<MatchRow>>;
    /// The holiday arrangements the province office stored: (year, the
    /// arrangement as JSON, by whom, when).
    async fn holiday_years(&self) -> Result<Vec<(i32, String, Option<UserId>, i64)>>;
    /// Stores (or replaces) a year's arrangement.
    async fn set_holiday_year(&self, year: i32, json: &str, by: UserId, now: i64) -> Result<()>;
    /// The names of organisations `ids` (those that exist).
    async fn org_names(&self, ids: &[OrgId]) -> Result<Vec<(OrgId, String)>>;
    /// Offers by id (active or not), in id order.
    async fn offers_by_ids(&self, ids: &[i64]) -> Result<Vec<Offer>>;
    /// A need's results for active offers, without their explanations:
    /// (offer, verdict, score in tenths), for ranking.
    async fn match_ranks(&self, need: i64) -> Result<Vec<(i64, Eligibility, i64)>>;

    /// Inserts an application with its first event. A second active
    /// application of the enterprise to the offer is a conflict.
    async fn insert_application(&self, a: &Application, event: &AppEvent) -> Result<i64>;
    async fn get_application(&self, id: i64) -> Result<Option<Application>>;
    /// Moves an application from `from` (refused with `false` when it is no
    /// longer there: someone moved it first) and records the event.
    async fn move_application(
        &self,
        id: i64,
        from: AppState,
        event: &AppEvent,
        fields: &MoveFields,
    ) -> Result<bool>;
    async fn events_of(&self, application: i64) -> Result<Vec<AppEvent>>;
    async fn list_applications(&self, scope: AppScope) -> Result<Vec<Application>>;
    /// Applications still awaiting the partner whose deadline is before `now`.
    async fn overdue_applications(&self, now: i64) -> Result<Vec<Application>>;
    /// Every application of enterprises in `range`, with how far it got.
    async fn rollup_rows(&self, range: RegionRange) -> Result<Vec<RollupRow>>;
    /// Needs of enterprises in `range`, and how many have an offer open to them.
    async fn need_counts(&self, range: RegionRange) -> Result<NeedCounts>;
    /// Every decided application as (partner, applied at, decided at), for
    /// the partners' observed decision times.
    async fn decisions(&self) -> Result<Vec<(OrgId, i64, i64)>>;
}

/// An application with how far it got, for the roll-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRow {
    pub application: Application,
    pub partner_org_id: OrgId,
    pub partner_name: String,
    pub offer_kind: OfferKind,
    /// Reached 受理 (accepted) at some point.
    pub was_accepted: bool,
    pub was_approved: bool,
    pub was_disbursed: bool,
    /// When it was first disbursed (or delivered).
    pub disbursed_at: Option<i64>,
    pub expired: bool,
}

/// Needs of a region, for the top of the funnel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NeedCounts {
    pub needs: i64,
    /// Needs with at least one eligible (or tentative) offer.
    pub matched: i64,
}
