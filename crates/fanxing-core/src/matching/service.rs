//! Resource matching's use cases: who may do what, evaluating and ranking
//! offers for a need, and moving applications with their deadlines.
//!
//! [`MatchingService`] holds only what it needs: its own store, the shared
//! store for organisations, people and the audit log, and a clock the
//! tests control (deadlines and expiry run from it).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::pipeline::{self, Action, Actor as Mover, AppState};
use super::rank::{self, NeedTerms, OfferTerms, Scored};
use super::rules::{self, Eligibility, Op, Rule, RuleResult};
use super::store::{
    AppEvent, AppScope, Application, MatchRow, MatchingStore, MoveFields, Need, NeedDraft,
    NeedFacts, Offer, OfferDraft, Partner,
};
use super::{stage_of, Fact, FactSource, FactValue, OfferKind, PartnerKind, Stage};
use crate::audit::Audit;
use crate::audit::AuditEntry;
use crate::auth::{Access, Actor, Role};
use crate::cache::TtlCache;
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::people::store::PeopleStore;
use crate::people::OrgId;
use crate::region::RegionCode;
use crate::values::{optional_text, required_text};

/// The largest amount anything may name: ¥10 billion, in fen. A loan or a
/// subsidy beyond it cannot be true here.
pub const MAX_AMOUNT_FEN: i64 = 1_000_000_000_000;
/// The most rules an offer may carry.
pub const MAX_RULES: usize = 40;

/// The time now, in Unix seconds; the tests give their own.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub struct MatchingService {
    store: Arc<dyn MatchingStore>,
    people: Arc<dyn PeopleStore>,
    audit: Audit,
    clock: Clock,
    /// The partners' observed decision times matches were last scored with
    /// (by [`Self::refresh_observed`]).
    observed: tokio::sync::Mutex<BTreeMap<OrgId, f64>>,
    /// Pages of ranked matches by (need, offset, limit).
    answers: TtlCache<(i64, usize, usize), MatchesPage>,
    /// Makes a page's presentation (see [`MatchesPage::view`]); set once
    /// by the presentation layer.
    page_view: std::sync::OnceLock<PageView>,
}

/// What makes a page of matches' presentation from its items.
pub type PageView = fn(&[Explained]) -> Box<dyn std::any::Any + Send + Sync>;

/// An offer as a form or API call sends it, before validation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OfferInput {
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub amount_min_fen: Option<i64>,
    pub amount_max_fen: Option<i64>,
    pub term_months: Option<i64>,
    pub rate_min_bp: Option<i64>,
    pub rate_max_bp: Option<i64>,
    pub price_fen: Option<i64>,
    #[serde(default)]
    pub materials: String,
    pub decision_days: i64,
    pub quota: Option<i64>,
    pub valid_from: i64,
    pub valid_until: i64,
    #[serde(default)]
    pub policy_basis: String,
    #[serde(default)]
    pub stages: Vec<String>,
    #[serde(default)]
    pub rules: Vec<RuleInput>,
}

/// One rule as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RuleInput {
    pub field: String,
    pub op: String,
    pub value: String,
    pub hard: bool,
    pub message_zh: String,
    pub message_en: String,
    #[serde(default)]
    pub citation: String,
    pub max_age_days: Option<i64>,
}

/// A need as sent.
#[derive(Debug, Clone, Deserialize)]
pub struct NeedInput {
    pub org_id: OrgId,
    pub kind: String,
    pub amount_fen: Option<i64>,
    pub purpose: String,
    #[serde(default)]
    pub consent_facts: Vec<String>,
    /// Days the consent lasts (1–365).
    pub consent_days: i64,
}

/// One offer for a need, explained.
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    pub offer: Offer,
    pub eligibility: Eligibility,
    pub score: f64,
    pub factors: Vec<rank::Factor>,
    /// Every rule with where it left the enterprise and its own message.
    pub rules: Vec<ExplainedRule>,
    /// The rule that makes the offer unavailable, first among them.
    pub blocking: Option<ExplainedRule>,
    /// Facts to supply before the offer can be decided.
    pub to_supply: Vec<String>,
    pub ruleset_version: i64,
}

/// Which needs an evaluation covers.
#[derive(Clone, Copy)]
enum Needs<'a> {
    /// Every open need (read with their facts at once).
    AllOpen,
    These(&'a [Need]),
}

/// How long a kept page of matches may be served when nothing changed
/// through this server: the most it can lag a change made through another.
pub const MATCHES_KEPT: std::time::Duration = std::time::Duration::from_secs(2);

/// One page of a need's ranked matches, as kept for repeated reads.
pub struct MatchesPage {
    /// The need's enterprise and region: who may read the page.
    pub org_id: OrgId,
    pub region: RegionCode,
    /// How many matches the need has in all.
    pub total: usize,
    pub items: Vec<Explained>,
    /// What the presentation layer made of the page (its serialised
    /// answer), made once for everyone who reads it while it is kept.
    pub view: std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>,
}

/// A year's public-holiday arrangement and where it comes from.
#[derive(Debug, Clone, Serialize)]
pub struct HolidayYear {
    pub year: i32,
    /// `stored` (entered by the programme office), `built_in`, or `none`.
    pub source: &'static str,
    pub arrangement: Option<crate::workdays::Arrangement>,
    pub updated_at: Option<i64>,
}

/// What a partner may read of an applicant: the facts the enterprise let
/// matched partners see in its need, while that consent lasts.
#[derive(Debug, Clone, Serialize)]
pub struct SharedFacts {
    pub application_id: i64,
    pub org_id: OrgId,
    pub org_name: String,
    /// The metrics the enterprise consented to share.
    pub consented: Vec<String>,
    pub consent_until: i64,
    /// The consent has run out: nothing is shown.
    pub expired: bool,
    /// The application is still open (its facts may be verified).
    pub open: bool,
    /// The current value of each consented metric the platform holds (the
    /// platform's own figure, else a partner-verified one, else the
    /// declared one), in the order consented.
    pub facts: Vec<Fact>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExplainedRule {
    pub field: String,
    pub op: Op,
    pub value: String,
    pub hard: bool,
    pub result: RuleResult,
    pub found: Option<String>,
    pub message_zh: String,
    pub message_en: String,
    pub citation: String,
}

/// A fact's number lies within what any enterprise's figure can be
/// (±¥10 billion in fen, the bound on every amount).
fn plausible_fact(v: &FactValue) -> bool {
    match v {
        FactValue::Number(n) => (-MAX_AMOUNT_FEN..=MAX_AMOUNT_FEN).contains(n),
        FactValue::Text(_) => true,
    }
}

fn bad_amount(v: Option<i64>) -> bool {
    v.is_some_and(|a| !(0..=MAX_AMOUNT_FEN).contains(&a))
}

impl MatchingService {
    pub fn new(
        store: Arc<dyn MatchingStore>,
        people: Arc<dyn PeopleStore>,
        audit: Audit,
        clock: Clock,
    ) -> Self {
        MatchingService {
            store,
            people,
            audit,
            clock,
            observed: Default::default(),
            // Pages of 50 are some 125 KB with their serialised answer.
            answers: TtlCache::with_capacity(MATCHES_KEPT, 256),
            page_view: Default::default(),
        }
    }

    /// Sets what makes each kept page's presentation: it is made off the
    /// async workers, before the page is served to anyone, once a page.
    pub fn set_page_view(&self, view: PageView) {
        let _ = self.page_view.set(view);
    }

    /// The store, for seeding example data.
    pub fn store(&self) -> &Arc<dyn MatchingStore> {
        &self.store
    }

    /// Evaluates every open need against every active offer.
    pub async fn evaluate_all(&self) -> Result<()> {
        let offers = self.store.list_offers(None, true).await?;
        self.evaluate(Needs::AllOpen, &offers).await
    }

    /// Re-scores the open needs against the offers of every partner whose
    /// observed decision time changed since this server last looked (at
    /// its first look: every partner that has one), so the speed factor
    /// follows decisions as they are made. Returns how many partners
    /// changed. Offers whose last evaluation did not finish (their
    /// evaluated version is behind their ruleset) are evaluated again with
    /// them. The server runs it every minute.
    pub async fn refresh_observed(&self) -> Result<usize> {
        let current = rank::observed_decision_days(&self.store.decisions().await?);
        let mut seen = self.observed.lock().await;
        let changed: std::collections::BTreeSet<OrgId> = current
            .iter()
            .filter(|(p, d)| seen.get(p) != Some(d))
            .map(|(p, _)| *p)
            .chain(seen.keys().filter(|p| !current.contains_key(p)).copied())
            .collect();
        let due: Vec<Offer> = self
            .store
            .list_offers(None, true)
            .await?
            .into_iter()
            .filter(|o| {
                changed.contains(&o.partner.org_id) || o.evaluated_version < o.ruleset_version
            })
            .collect();
        if !due.is_empty() {
            self.evaluate_with(Needs::AllOpen, &due, &current).await?;
        }
        *seen = current;
        Ok(changed.len())
    }

    /// Puts the stored holiday arrangements in force (see
    /// [`crate::workdays::install`]); at start-up and every minute.
    pub async fn load_calendar(&self) -> Result<()> {
        let mut stored = Vec::new();
        for (year, json, _, _) in self.store.holiday_years().await? {
            let a: crate::workdays::Arrangement =
                serde_json::from_str(&json).map_err(|e| Error::Store(e.to_string()))?;
            stored.push((year, a));
        }
        crate::workdays::install(&stored);
        Ok(())
    }

    /// A year's holiday arrangement: the one the province office stored,
    /// else the built-in one, else none (its days count Monday to Friday).
    pub async fn holidays(&self, year: i32) -> Result<HolidayYear> {
        let stored = self
            .store
            .holiday_years()
            .await?
            .into_iter()
            .find(|(y, ..)| *y == year);
        Ok(match stored {
            Some((_, json, _, at)) => HolidayYear {
                year,
                source: "stored",
                arrangement: Some(
                    serde_json::from_str(&json).map_err(|e| Error::Store(e.to_string()))?,
                ),
                updated_at: Some(at),
            },
            None => {
                let built_in = crate::workdays::built_in(year);
                HolidayYear {
                    year,
                    source: if built_in.is_some() {
                        "built_in"
                    } else {
                        "none"
                    },
                    arrangement: built_in,
                    updated_at: None,
                }
            }
        })
    }

    /// The programme office enters a year's arrangement from the State
    /// Council's notice; it replaces the built-in one and is in force at
    /// once on this server (within a minute on the others). Checked first
    /// (dates of that year, spans, worked days on weekends); audited.
    /// Whether `actor` may enter a year's holidays (the programme office).
    pub fn may_set_holidays(&self, actor: &Actor) -> bool {
        actor.role().is_programme_office()
    }

    pub async fn set_holidays(
        &self,
        actor: &Actor,
        year: i32,
        a: &crate::workdays::Arrangement,
    ) -> Result<HolidayYear> {
        if !self.may_set_holidays(actor) {
            return Err(Error::Forbidden);
        }
        crate::workdays::check(year, a)?;
        let json = serde_json::to_string(a).map_err(|e| Error::Store(e.to_string()))?;
        let now = self.now();
        self.store
            .set_holiday_year(year, &json, actor.user.id, now)
            .await?;
        self.audit(actor, "holidays.set", format!("year:{year}"))
            .await?;
        self.load_calendar().await?;
        Ok(HolidayYear {
            year,
            source: "stored",
            arrangement: Some(a.clone()),
            updated_at: Some(now),
        })
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    async fn audit(&self, actor: &Actor, action: &str, target: String) -> Result<()> {
        self.audit
            .append(&AuditEntry {
                at: self.now(),
                user_id: Some(actor.user.id),
                action: action.to_string(),
                target,
                detail: String::new(),
            })
            .await
    }

    /// The enterprise an account speaks for: a trainee's organisation
    /// (when it is an enterprise).
    async fn own_enterprise(&self, actor: &Actor) -> Result<Option<OrgId>> {
        if !actor.role().is_trainee() {
            return Ok(None);
        }
        if let Some(org) = actor.user.org_id {
            return Ok(Some(org));
        }
        let Some(person) = actor.user.person_id else {
            return Ok(None);
        };
        let Some(p) = self
            .people
            .get_person(Access::Person(person), person)
            .await?
        else {
            return Ok(None);
        };
        Ok(p.org_id)
    }

    /// Checks the caller may act for enterprise `org`: its own account, or
    /// an office whose region holds it. Offices' acts are audited by the
    /// callers of this.
    async fn may_act_for(&self, actor: &Actor, org: OrgId) -> Result<bool> {
        if self.own_enterprise(actor).await? == Some(org) {
            return Ok(false);
        }
        let range = actor.write_range().map_err(|_| Error::NotFound)?;
        let o = self
            .people
            .get_org(Access::Regions(range), org)
            .await?
            .ok_or(Error::NotFound)?;
        if o.kind != crate::people::OrgKind::Enterprise {
            return Err(Error::field("org_id", "match.not_enterprise"));
        }
        Ok(true)
    }

    /// The partner an account acts for.
    async fn own_partner(&self, actor: &Actor) -> Result<Partner> {
        let (Role::Partner, Some(org)) = (actor.role(), actor.user.org_id) else {
            return Err(Error::Forbidden);
        };
        self.store.get_partner(org).await?.ok_or(Error::Forbidden)
    }

    /// For an office's page: the partners serving within its region, and
    /// the organisations in its region that could become partners (banks,
    /// platforms, bases and parks, service firms, government bodies for
    /// funds) with the partner kind each would be.
    pub async fn partner_choices(
        &self,
        actor: &Actor,
    ) -> Result<(Vec<Partner>, Vec<(OrgId, String, PartnerKind)>)> {
        use crate::people::store::OrgQuery;
        use crate::people::OrgKind;
        let range = actor.write_range()?;
        let partners: Vec<Partner> = self
            .store
            .list_partners()
            .await?
            .into_iter()
            .filter(|p| range.contains(p.serves_region))
            .collect();
        let mut candidates = Vec::new();
        for (kind, as_partner) in [
            (OrgKind::Bank, PartnerKind::Bank),
            (OrgKind::Platform, PartnerKind::Platform),
            (OrgKind::LiveBase, PartnerKind::Base),
            (OrgKind::ServiceProvider, PartnerKind::Service),
            (OrgKind::Government, PartnerKind::GovFund),
        ] {
            let page = self
                .people
                .list_orgs(&OrgQuery {
                    access: Access::Regions(range),
                    text: None,
                    region: None,
                    kind: Some(kind),
                    offset: 0,
                    limit: 200,
                })
                .await?;
            for o in page.items {
                if !partners.iter().any(|p| p.org_id == o.id) {
                    candidates.push((o.id, o.name, as_partner));
                }
            }
        }
        Ok((partners, candidates))
    }

    /// Makes an organisation a partner (offices, for organisations in
    /// their region).
    pub async fn register_partner(
        &self,
        actor: &Actor,
        org: OrgId,
        kind: PartnerKind,
        serves: crate::region::RegionCode,
    ) -> Result<Partner> {
        let range = actor.write_range()?;
        let o = self
            .people
            .get_org(Access::Regions(range), org)
            .await?
            .ok_or(Error::NotFound)?;
        if !range.contains(serves) {
            return Err(Error::field("serves_region", "error.region_scope"));
        }
        let p = Partner {
            org_id: org,
            name: o.name,
            kind,
            serves_region: serves,
        };
        self.store.upsert_partner(&p, self.now()).await?;
        self.matches_changed();
        self.audit(actor, "match.partner", format!("org:{org}"))
            .await?;
        Ok(p)
    }

    /// Saves a partner's offer (new when `id` is `None`) with its rules;
    /// every open need is evaluated again against it.
    pub async fn save_offer(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &OfferInput,
    ) -> Result<Offer> {
        let partner = self.own_partner(actor).await?;
        let (draft, rules) = validate_offer(input).map_err(Error::Invalid)?;
        let now = self.now();
        let id = match id {
            None => {
                self.store
                    .insert_offer(partner.org_id, &draft, &rules, now)
                    .await?
            }
            Some(id) => {
                let old = self.store.get_offer(id).await?.ok_or(Error::NotFound)?;
                if old.partner.org_id != partner.org_id {
                    return Err(Error::NotFound);
                }
                self.store.update_offer(id, &draft, &rules, now).await?;
                id
            }
        };
        self.audit(actor, "match.offer", format!("offer:{id}"))
            .await?;
        let mut offer = self.store.get_offer(id).await?.ok_or(Error::NotFound)?;
        self.evaluate(Needs::AllOpen, std::slice::from_ref(&offer))
            .await?;
        offer.evaluated_version = offer.evaluated_version.max(offer.ruleset_version);
        Ok(offer)
    }

    /// Offers: a partner's own (active or not); everyone else's view is
    /// the active offers of every partner.
    pub async fn offers(&self, actor: &Actor) -> Result<Vec<Offer>> {
        if actor.role().is_partner() {
            let p = self.own_partner(actor).await?;
            return self.store.list_offers(Some(p.org_id), false).await;
        }
        self.store.list_offers(None, true).await
    }

    /// States a need for an enterprise (its own account, or an office for
    /// it, audited) and evaluates every active offer for it.
    pub async fn state_need(&self, actor: &Actor, input: &NeedInput) -> Result<Need> {
        let by_office = self.may_act_for(actor, input.org_id).await?;
        let mut e = FieldErrors::default();
        let kind = OfferKind::parse(&input.kind);
        if kind.is_none() {
            e.push(FieldError::new("kind", "error.choice"));
        }
        if bad_amount(input.amount_fen) || input.amount_fen == Some(0) {
            e.push(FieldError::new("amount_fen", "match.amount_bad"));
        }
        let purpose = required_text(&mut e, "purpose", &input.purpose, 500);
        if !(1..=365).contains(&input.consent_days) {
            e.push(FieldError::new("consent_days", "match.consent_days"));
        }
        let consent: Vec<String> = input
            .consent_facts
            .iter()
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect();
        if consent.iter().any(|f| !valid_metric(f)) {
            e.push(FieldError::new("consent_facts", "match.metric_bad"));
        }
        let Some(kind) = kind.filter(|_| e.is_empty()) else {
            return Err(Error::Invalid(e));
        };
        let now = self.now();
        let draft = NeedDraft {
            org_id: input.org_id,
            kind,
            amount_fen: input.amount_fen,
            purpose,
            consent_facts: consent,
            consent_until: now + input.consent_days * 86_400,
        };
        let id = self
            .store
            .insert_need(&draft, Some(actor.user.id), now)
            .await?;
        if by_office {
            self.audit(actor, "match.need_for", format!("org:{}", input.org_id))
                .await?;
        }
        let need = self.store.get_need(id).await?.ok_or(Error::NotFound)?;
        let offers = self.store.list_offers(None, true).await?;
        self.evaluate(Needs::These(std::slice::from_ref(&need)), &offers)
            .await?;
        Ok(need)
    }

    /// Records facts an enterprise declares (or an office for it).
    pub async fn declare_facts(
        &self,
        actor: &Actor,
        org: OrgId,
        facts: &[(String, FactValue, String)],
    ) -> Result<()> {
        let by_office = self.may_act_for(actor, org).await?;
        let now = self.now();
        let mut e = FieldErrors::default();
        let mut out = Vec::with_capacity(facts.len());
        for (i, (metric, value, period)) in facts.iter().enumerate() {
            if !valid_metric(metric) {
                e.push(FieldError::new("facts", "match.metric_bad").with("row", i + 1));
                continue;
            }
            if !plausible_fact(value) {
                e.push(FieldError::new("facts", "match.amount_bad").with("row", i + 1));
            }
            out.push(Fact {
                metric: metric.clone(),
                value: value.clone(),
                period: period.chars().take(40).collect(),
                source: FactSource::Declared,
                as_of: now,
            });
        }
        if !e.is_empty() {
            return Err(Error::Invalid(e));
        }
        self.store.add_facts(org, &out, Some(actor.user.id)).await?;
        if by_office {
            self.audit(actor, "match.facts_for", format!("org:{org}"))
                .await?;
        }
        self.evaluate_open_needs_of(org).await
    }

    /// An application and the offer it was made to.
    async fn application_and_offer(&self, id: i64) -> Result<(Application, Offer)> {
        let app = self
            .store
            .get_application(id)
            .await?
            .ok_or(Error::NotFound)?;
        let offer = self
            .store
            .get_offer(app.offer_id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok((app, offer))
    }

    /// Evaluates an enterprise's open needs again (its facts changed).
    async fn evaluate_open_needs_of(&self, org: OrgId) -> Result<()> {
        let needs: Vec<Need> = self
            .store
            .needs_of(org)
            .await?
            .into_iter()
            .filter(|n| n.open)
            .collect();
        let offers = self.store.list_offers(None, true).await?;
        self.evaluate(Needs::These(&needs), &offers).await
    }

    /// The application made to the caller's own offer, with its need: a
    /// partner reads and verifies only what was sent to it.
    async fn partners_application(&self, actor: &Actor, id: i64) -> Result<(Application, Need)> {
        let partner = self.own_partner(actor).await?;
        let (app, offer) = self.application_and_offer(id).await?;
        if offer.partner.org_id != partner.org_id {
            return Err(Error::NotFound);
        }
        let need = self
            .store
            .get_need(app.need_id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok((app, need))
    }

    /// The applicant's facts a partner may read for an application made to
    /// one of its offers: the metrics the enterprise consented to share in
    /// its need, while the consent lasts; nothing else, and nothing once it
    /// has run out. Every read is audited.
    pub async fn applicant_facts(&self, actor: &Actor, id: i64) -> Result<SharedFacts> {
        let (app, need) = self.partners_application(actor, id).await?;
        let now = self.now();
        let expired = need.draft.consent_until <= now;
        let mut facts = Vec::new();
        if !expired && !need.draft.consent_facts.is_empty() {
            let all: Vec<Fact> = self
                .store
                .facts_of(&[app.org_id])
                .await?
                .into_iter()
                .map(|(_, f)| f)
                .collect();
            let current = rules::current_facts(&all);
            for metric in &need.draft.consent_facts {
                if let Some(f) = current.get(metric.as_str()) {
                    facts.push((*f).clone());
                }
            }
        }
        self.audit(actor, "match.facts_read", format!("application:{id}"))
            .await?;
        Ok(SharedFacts {
            application_id: app.id,
            org_id: app.org_id,
            org_name: need.org_name,
            consented: need.draft.consent_facts,
            consent_until: need.draft.consent_until,
            expired,
            open: app.state.is_active(),
            facts,
        })
    }

    /// A partner confirms the value of a fact the enterprise shared with
    /// it (having seen the documents): recorded as verified, by whom and
    /// when, so rules take it before any declared value; the enterprise's
    /// open needs are evaluated again. Only a consented metric, while the
    /// consent lasts, for an application still open.
    pub async fn verify_fact(
        &self,
        actor: &Actor,
        id: i64,
        metric: &str,
        value: FactValue,
        period: &str,
    ) -> Result<Fact> {
        let (app, need) = self.partners_application(actor, id).await?;
        let now = self.now();
        if !need.draft.consent_facts.iter().any(|m| m == metric) {
            return Err(Error::field("metric", "match.not_consented"));
        }
        if need.draft.consent_until <= now {
            return Err(Error::field("metric", "match.consent_expired"));
        }
        if !app.state.is_active() {
            return Err(Error::field("metric", "match.app_closed"));
        }
        if !plausible_fact(&value) {
            return Err(Error::field("value", "match.amount_bad"));
        }
        if period.chars().count() > 40 {
            return Err(Error::field("period", "match.period_long"));
        }
        let fact = Fact {
            metric: metric.to_string(),
            value,
            period: period.to_string(),
            source: FactSource::Verified,
            as_of: now,
        };
        self.store
            .add_facts(app.org_id, std::slice::from_ref(&fact), Some(actor.user.id))
            .await?;
        self.audit(
            actor,
            "match.fact_verified",
            format!("application:{id} metric:{metric}"),
        )
        .await?;
        self.evaluate_open_needs_of(app.org_id).await?;
        Ok(fact)
    }

    /// Evaluates `offers` for `needs` and stores the results.
    /// The partners' observed decision times are those matches were last
    /// re-scored with ([`Self::refresh_observed`]), so every evaluation
    /// between two refreshes scores speed alike.
    async fn evaluate(&self, needs: Needs<'_>, offers: &[Offer]) -> Result<()> {
        let observed = self.observed.lock().await.clone();
        self.evaluate_with(needs, offers, &observed).await
    }

    /// Evaluates, then writes only the results that differ from those
    /// stored (by digest: a rule change leaves most results as they were).
    /// Evaluating every open need records that each offer's results now
    /// all hold at its ruleset version.
    async fn evaluate_with(
        &self,
        needs: Needs<'_>,
        offers: &[Offer],
        observed: &BTreeMap<OrgId, f64>,
    ) -> Result<()> {
        // With one offer, the stored results' digests come with the needs.
        let one_offer = match offers {
            [o] => Some(o.id),
            _ => None,
        };
        let (inputs, evaluated) = match needs {
            Needs::AllOpen => (
                self.store.open_needs_with_facts(one_offer).await?,
                offers.iter().map(|o| (o.id, o.ruleset_version)).collect(),
            ),
            Needs::These(needs) => {
                let orgs: Vec<OrgId> = needs.iter().map(|n| n.draft.org_id).collect();
                let mut facts_by: HashMap<OrgId, Vec<Fact>> = HashMap::new();
                for (org, f) in self.store.facts_of(&orgs).await? {
                    facts_by.entry(org).or_default().push(f);
                }
                let inputs = needs
                    .iter()
                    .map(|n| NeedFacts {
                        need: n.clone(),
                        facts: facts_by.get(&n.draft.org_id).cloned().unwrap_or_default(),
                        digest: None,
                    })
                    .collect();
                (inputs, Vec::new())
            }
        };
        if inputs.is_empty() || offers.is_empty() {
            self.store.save_matches(&[], &evaluated).await?;
            self.matches_changed();
            return Ok(());
        }
        let now = self.now();
        let offer_ids: Vec<i64> = offers.iter().map(|o| o.id).collect();
        let mut rules_by: HashMap<i64, Vec<Rule>> = HashMap::new();
        for (offer, r) in self.store.rules_of(&offer_ids).await? {
            rules_by.entry(offer).or_default().push(r);
        }
        let stored: HashMap<(i64, i64), i64> = match (needs, one_offer) {
            (Needs::AllOpen, Some(offer)) => inputs
                .iter()
                .filter_map(|i| Some(((i.need.id, offer), i.digest?)))
                .collect(),
            _ => {
                let need_ids: Vec<i64> = inputs.iter().map(|i| i.need.id).collect();
                self.store
                    .match_digests(&need_ids, &offer_ids)
                    .await?
                    .into_iter()
                    .collect()
            }
        };
        let terms_of: HashMap<i64, OfferTerms> =
            offers.iter().map(|o| (o.id, terms(o, observed))).collect();
        // Each offer's rules, alone and with the rules on the amount asked
        // (made once per offer, not once per need).
        let rules_of: HashMap<i64, (Vec<Rule>, Vec<Rule>)> = offers
            .iter()
            .map(|o| {
                let plain = rules_by.remove(&o.id).unwrap_or_default();
                let mut with_amount = plain.clone();
                with_amount.extend(amount_rules(o));
                (o.id, (plain, with_amount))
            })
            .collect();
        let mut rows = Vec::new();
        for NeedFacts {
            need, mut facts, ..
        } in inputs
        {
            let need = &need;
            with_known_facts(&mut facts, need, now);
            let current = rules::current_facts(&facts);
            let stage = stage_of(&facts).map(|(s, _)| s);
            let need_terms = need_terms(need, stage);
            // Offers of the need's kind within their validity.
            for offer in offers.iter().filter(|o| {
                o.draft.kind == need.draft.kind
                    && (o.draft.valid_from..=o.draft.valid_until).contains(&now)
            }) {
                let (plain, with_amount) = &rules_of[&offer.id];
                let rules = if need.draft.amount_fen.is_some() {
                    with_amount
                } else {
                    plain
                };
                let verdict = rules::evaluate(rules, &current, now);
                let scored = rank::score(&terms_of[&offer.id], &need_terms, verdict.eligibility);
                let score_tenths = (scored.score * 10.0).round() as i64;
                let digest = rank::digest(
                    verdict.eligibility,
                    score_tenths,
                    &scored.factors,
                    &verdict.trace,
                );
                if stored.get(&(need.id, offer.id)) == Some(&digest) {
                    continue;
                }
                rows.push(MatchRow {
                    need_id: need.id,
                    offer_id: offer.id,
                    eligibility: verdict.eligibility,
                    score_tenths,
                    factors: serde_json::to_string(&scored.factors)
                        .map_err(|e| Error::Store(e.to_string()))?,
                    trace: serde_json::to_string(&verdict.trace)
                        .map_err(|e| Error::Store(e.to_string()))?,
                    digest,
                    ruleset_version: offer.ruleset_version,
                    evaluated_at: now,
                });
            }
        }
        self.store.save_matches(&rows, &evaluated).await?;
        self.matches_changed();
        Ok(())
    }

    /// Whether the caller writes offers (a partner's account): `Ok` or the
    /// refusal, before any form is read.
    pub async fn may_write_offers(&self, actor: &Actor) -> Result<()> {
        self.own_partner(actor).await.map(|_| ())
    }

    /// One of the calling partner's own offers with its rules, for editing.
    pub async fn own_offer(&self, actor: &Actor, id: i64) -> Result<(Offer, Vec<Rule>)> {
        let partner = self.own_partner(actor).await?;
        let offer = self.store.get_offer(id).await?.ok_or(Error::NotFound)?;
        if offer.partner.org_id != partner.org_id {
            return Err(Error::NotFound);
        }
        let rules = self
            .store
            .rules_of(&[id])
            .await?
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        Ok((offer, rules))
    }

    /// The enterprise the caller speaks for, if any.
    pub async fn my_enterprise(&self, actor: &Actor) -> Result<Option<OrgId>> {
        self.own_enterprise(actor).await
    }

    /// For an office stating a need for an enterprise on the page: the
    /// enterprise in its region whose unified social credit code or full
    /// name is `text`. Refused by field when there is none, or when a name
    /// is shared by several (the code then tells them apart).
    pub async fn find_enterprise(&self, actor: &Actor, text: &str) -> Result<OrgId> {
        let range = actor.write_range()?;
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::field("enterprise", "error.required"));
        }
        let code = super::credit_code::CreditCode::parse(text).ok();
        let found = self
            .people
            .list_orgs(&crate::people::store::OrgQuery {
                access: Access::Regions(range),
                text: Some(code.as_ref().map_or(text, |c| c.as_str()).to_string()),
                region: None,
                kind: Some(crate::people::OrgKind::Enterprise),
                offset: 0,
                limit: 50,
            })
            .await?
            .items;
        let exact: Vec<OrgId> = found
            .iter()
            .filter(|o| match &code {
                Some(c) => o.credit_code.as_deref() == Some(c.as_str()),
                None => crate::text::fold(&o.name) == crate::text::fold(text),
            })
            .map(|o| o.id)
            .collect();
        match exact.as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::field("enterprise", "match.enterprise_unknown")),
            _ => Err(Error::field("enterprise", "match.enterprise_ambiguous")),
        }
    }

    /// The needs the caller may see: an enterprise's own (open or not), an
    /// office's open needs in its region.
    pub async fn my_needs(&self, actor: &Actor) -> Result<Vec<Need>> {
        if let Some(org) = self.own_enterprise(actor).await? {
            return self.store.needs_of(org).await;
        }
        if actor.role().is_partner() {
            return Err(Error::Forbidden);
        }
        let range = actor.stats_range()?;
        self.store.open_needs(range).await
    }

    /// A need, for its enterprise or an office over it.
    pub async fn need(&self, actor: &Actor, id: i64) -> Result<Need> {
        let need = self.store.get_need(id).await?.ok_or(Error::NotFound)?;
        self.may_see_need(actor, need.draft.org_id, need.region)
            .await?;
        Ok(need)
    }

    /// Whether the caller may read a need of enterprise `org` in `region`:
    /// the enterprise's own account, or an office over the region.
    async fn may_see_need(&self, actor: &Actor, org: OrgId, region: RegionCode) -> Result<()> {
        if self.own_enterprise(actor).await? == Some(org) {
            return Ok(());
        }
        match actor.stats_range() {
            Ok(range) if range.contains(region) => Ok(()),
            _ => Err(Error::NotFound),
        }
    }

    /// The offers of the need's kind, ranked and explained: eligible first,
    /// then tentative, then those not available with the rule that says why.
    pub async fn matches(&self, actor: &Actor, need: i64) -> Result<Vec<Explained>> {
        Ok(self.matches_page(actor, need, 0, usize::MAX).await?.1)
    }

    /// One page of [`Self::matches`]: how many there are in all, and those
    /// from `offset`, at most `limit`.
    pub async fn matches_page(
        &self,
        actor: &Actor,
        need: i64,
        offset: usize,
        limit: usize,
    ) -> Result<(usize, Vec<Explained>)> {
        let page = self.shared_matches_page(actor, need, offset, limit).await?;
        Ok((page.total, page.items.clone()))
    }

    /// [`Self::matches_page`] as kept for everyone who reads it: a page is
    /// computed once and served until a change through this server
    /// (an evaluation, an offer, a partner) or, for changes made through
    /// another server, for at most [`MATCHES_KEPT`]. Who may read it is
    /// decided on every call.
    pub async fn shared_matches_page(
        &self,
        actor: &Actor,
        need: i64,
        offset: usize,
        limit: usize,
    ) -> Result<Arc<MatchesPage>> {
        let key = (need, offset, limit);
        if let Some(page) = self.answers.get(&key) {
            self.may_see_need(actor, page.org_id, page.region).await?;
            return Ok(page);
        }
        let need = self.need(actor, need).await?;
        self.answers
            .get_or_fill(&key, || async {
                let (total, items) = self.explain_page(&need, offset, limit).await?;
                let page = MatchesPage {
                    org_id: need.draft.org_id,
                    region: need.region,
                    total,
                    items,
                    view: Default::default(),
                };
                let Some(make) = self.page_view.get().copied() else {
                    return Ok(page);
                };
                tokio::task::spawn_blocking(move || {
                    let _ = page.view.set(make(&page.items));
                    page
                })
                .await
                .map_err(|e| Error::Store(e.to_string()))
            })
            .await
    }

    /// Forgets the kept pages of matches: something they show changed.
    fn matches_changed(&self) {
        self.answers.clear();
    }

    /// Ranks and explains one page of a need's matches. The ranking reads
    /// only the stored verdicts and scores; only the page's offers are
    /// explained.
    async fn explain_page(
        &self,
        need: &Need,
        offset: usize,
        limit: usize,
    ) -> Result<(usize, Vec<Explained>)> {
        // The active offers' verdicts and scores.
        let mut ranks: Vec<(i64, Eligibility, i64)> = self.store.match_ranks(need.id).await?;
        // The order `rank::rank` gives, on the stored columns.
        ranks.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        let total = ranks.len();
        let offer_ids: Vec<i64> = ranks.iter().skip(offset).take(limit).map(|r| r.0).collect();
        let mut offers: HashMap<i64, Offer> = self
            .store
            .offers_by_ids(&offer_ids)
            .await?
            .into_iter()
            .filter(|o| o.active)
            .map(|o| (o.id, o))
            .collect();
        // `rank::rank` below puts the page's rows back in ranked order.
        let rows = self.store.matches_of_need_for(need.id, &offer_ids).await?;
        let mut rules_by: HashMap<i64, Vec<Rule>> = HashMap::new();
        for (offer, r) in self.store.rules_of(&offer_ids).await? {
            rules_by.entry(offer).or_default().push(r);
        }
        let mut scored = Vec::new();
        let mut by_offer = HashMap::new();
        for row in rows {
            let Some(offer) = offers.remove(&row.offer_id) else {
                continue;
            };
            let factors: Vec<rank::Factor> =
                serde_json::from_str::<Vec<StoredFactor>>(&row.factors)
                    .map_err(|e| Error::Store(e.to_string()))?
                    .into_iter()
                    .map(StoredFactor::into_factor)
                    .collect();
            let trace: Vec<StoredTrace> =
                serde_json::from_str(&row.trace).map_err(|e| Error::Store(e.to_string()))?;
            scored.push(Scored {
                offer_id: offer.id,
                eligibility: row.eligibility,
                score: row.score_tenths as f64 / 10.0,
                factors,
            });
            // A result left as it was by a later evaluation of every open
            // need holds at that evaluation's version.
            let version = row.ruleset_version.max(offer.evaluated_version);
            by_offer.insert(offer.id, (offer, trace, version));
        }
        let mut out = Vec::new();
        // Region names, read once per region (every offer's region rule
        // finds the same enterprise region).
        let mut region_names: HashMap<crate::region::RegionCode, Option<String>> = HashMap::new();
        for s in rank::rank(scored) {
            let Some((offer, trace, version)) = by_offer.remove(&s.offer_id) else {
                continue;
            };
            let mut rules = rules_by.remove(&offer.id).unwrap_or_default();
            rules.extend(amount_rules(&offer));
            let explained: Vec<ExplainedRule> = trace
                .iter()
                .filter_map(|t| {
                    let r = rules.iter().find(|r| r.id == t.rule_id).or_else(|| {
                        // Rules saved again since keep their place.
                        rules
                            .iter()
                            .find(|r| r.field == t.field && r.hard == t.hard)
                    })?;
                    Some(ExplainedRule {
                        field: r.field.clone(),
                        op: r.op,
                        value: r.value.clone(),
                        hard: r.hard,
                        result: t.result,
                        found: t.found.clone(),
                        message_zh: r.message_zh.clone(),
                        message_en: r.message_en.clone(),
                        citation: r.citation.clone(),
                    })
                })
                .collect();
            // A region is shown by its name, not its code.
            let mut explained = explained;
            for r in explained.iter_mut().filter(|r| r.field == "region") {
                let code = r
                    .found
                    .as_deref()
                    .and_then(|f| f.parse::<u32>().ok())
                    .and_then(crate::region::RegionCode::from_value);
                if let Some(code) = code {
                    let name = match region_names.get(&code) {
                        Some(n) => n.clone(),
                        None => {
                            let n = self.people.get_region(code).await?.map(|r| r.name);
                            region_names.insert(code, n.clone());
                            n
                        }
                    };
                    if let Some(name) = name {
                        r.found = Some(name);
                    }
                }
            }
            let blocking = explained
                .iter()
                .find(|r| r.hard && matches!(r.result, RuleResult::Failed | RuleResult::Malformed))
                .cloned();
            let to_supply = explained
                .iter()
                .filter(|r| r.result == RuleResult::Missing)
                .map(|r| r.field.clone())
                .collect();
            out.push(Explained {
                offer,
                eligibility: s.eligibility,
                score: s.score,
                factors: s.factors,
                rules: explained,
                blocking,
                to_supply,
                ruleset_version: version,
            });
        }
        Ok((total, out))
    }

    /// Applies to an offer for a need. Offers the rules rule out cannot be
    /// applied to; one active application per enterprise and offer.
    pub async fn apply(
        &self,
        actor: &Actor,
        need: i64,
        offer: i64,
        amount_fen: Option<i64>,
    ) -> Result<Application> {
        let need = self.need(actor, need).await?;
        let by_office = self.may_act_for(actor, need.draft.org_id).await?;
        if bad_amount(amount_fen) || amount_fen == Some(0) {
            return Err(Error::field("amount_fen", "match.amount_bad"));
        }
        let o = self
            .store
            .get_offer(offer)
            .await?
            .filter(|o| o.active)
            .ok_or(Error::NotFound)?;
        let row = self
            .store
            .matches_of_need(need.id)
            .await?
            .into_iter()
            .find(|m| m.offer_id == offer)
            .ok_or_else(|| Error::field("offer_id", "match.not_matched"))?;
        if row.eligibility == Eligibility::Ineligible {
            return Err(Error::field("offer_id", "match.ineligible"));
        }
        let now = self.now();
        if !(o.draft.valid_from..=o.draft.valid_until).contains(&now) {
            return Err(Error::field("offer_id", "match.offer_expired"));
        }
        // The quota counts applications still open or granted.
        if let Some(quota) = o.draft.quota {
            let taken = self
                .store
                .list_applications(AppScope::Partner(o.partner.org_id))
                .await?
                .iter()
                .filter(|a| {
                    a.offer_id == o.id
                        && (a.state.is_active()
                            || matches!(a.state, AppState::Disbursed | AppState::Closed))
                })
                .count() as i64;
            if taken >= quota {
                return Err(Error::field("offer_id", "match.quota_full"));
            }
        }
        let facts: Vec<Fact> = self
            .store
            .facts_of(&[need.draft.org_id])
            .await?
            .into_iter()
            .map(|(_, f)| f)
            .collect();
        let first_time = rules::current_facts(&facts)
            .get("first_time_borrower")
            .is_some_and(|f| f.value == FactValue::Text("true".into()));
        let app = Application {
            id: 0,
            need_id: need.id,
            offer_id: o.id,
            org_id: need.draft.org_id,
            region: need.region,
            state: AppState::Submitted,
            amount_requested_fen: amount_fen.or(need.draft.amount_fen),
            amount_approved_fen: None,
            amount_disbursed_fen: None,
            first_time_borrower: first_time,
            due_at: Some(pipeline::add_working_days(now, o.draft.decision_days)),
            created_at: now,
            decided_at: None,
        };
        let id = self
            .store
            .insert_application(
                &app,
                &AppEvent {
                    from: None,
                    to: AppState::Submitted,
                    action: None,
                    actor_user: Some(actor.user.id),
                    comment: String::new(),
                    at: now,
                },
            )
            .await?;
        if by_office {
            self.audit(actor, "match.apply_for", format!("application:{id}"))
                .await?;
        }
        self.store.get_application(id).await?.ok_or(Error::NotFound)
    }

    /// The applications the caller may see: a partner's to its offers, an
    /// enterprise's own, an office's in its region.
    pub async fn applications(&self, actor: &Actor) -> Result<Vec<Application>> {
        if actor.role().is_partner() {
            let p = self.own_partner(actor).await?;
            return self
                .store
                .list_applications(AppScope::Partner(p.org_id))
                .await;
        }
        if let Some(org) = self.own_enterprise(actor).await? {
            return self
                .store
                .list_applications(AppScope::Enterprise(org))
                .await;
        }
        let range = actor.stats_range()?;
        self.store.list_applications(AppScope::Region(range)).await
    }

    /// [`Self::applications`] with each applicant's name: a partner must
    /// know who applied to it.
    pub async fn applications_named(&self, actor: &Actor) -> Result<Vec<(Application, String)>> {
        let apps = self.applications(actor).await?;
        let mut orgs: Vec<OrgId> = apps.iter().map(|a| a.org_id).collect();
        orgs.sort_unstable();
        orgs.dedup();
        // One read for every applicant's name.
        let names: HashMap<OrgId, String> =
            self.store.org_names(&orgs).await?.into_iter().collect();
        Ok(apps
            .into_iter()
            .map(|a| {
                let n = names.get(&a.org_id).cloned().unwrap_or_default();
                (a, n)
            })
            .collect())
    }

    /// Moves an application: the partner whose offer it is, or the
    /// applicant side (the enterprise, or an office for it) for supplying
    /// information and withdrawing. `amount_fen` is the approved or
    /// disbursed amount where the move needs one.
    pub async fn act(
        &self,
        actor: &Actor,
        id: i64,
        action: Action,
        comment: Option<&str>,
        amount_fen: Option<i64>,
    ) -> Result<Application> {
        let (app, offer) = self.application_and_offer(id).await?;
        let who = if actor.role().is_partner() {
            if self.own_partner(actor).await?.org_id != offer.partner.org_id {
                return Err(Error::NotFound);
            }
            Mover::Partner
        } else {
            self.may_act_for(actor, app.org_id).await?;
            Mover::Applicant
        };
        let to = pipeline::next(app.state, action, who, comment)?;
        let now = self.now();
        let mut fields = MoveFields::default();
        match action {
            Action::Approve | Action::Disburse => {
                let Some(a) = amount_fen.filter(|a| *a > 0 && *a <= MAX_AMOUNT_FEN) else {
                    return Err(Error::field("amount_fen", "match.amount_bad"));
                };
                if action == Action::Approve {
                    // An approval outside the offer's own range is a
                    // mistake or another product: say so, do not record it.
                    if let Some(min) = offer.draft.amount_min_fen.filter(|m| a < *m) {
                        return Err(Error::Invalid(FieldErrors(vec![FieldError::new(
                            "amount_fen",
                            "match.approve_below_min",
                        )
                        .with("min", crate::numfmt::yuan_whole(min))])));
                    }
                    if let Some(max) = offer.draft.amount_max_fen.filter(|m| a > *m) {
                        return Err(Error::Invalid(FieldErrors(vec![FieldError::new(
                            "amount_fen",
                            "match.approve_above_max",
                        )
                        .with("max", crate::numfmt::yuan_whole(max))])));
                    }
                    fields.amount_approved_fen = Some(a);
                } else {
                    if app.amount_approved_fen.is_some_and(|ok| a > ok) {
                        return Err(Error::field("amount_fen", "match.over_approved"));
                    }
                    fields.amount_disbursed_fen = Some(a);
                }
            }
            _ => {}
        }
        match to {
            AppState::MoreInfo => fields.due_at = Some(None),
            AppState::InReview if action == Action::Supply => {
                fields.due_at = Some(Some(pipeline::add_working_days(
                    now,
                    offer.draft.decision_days,
                )))
            }
            AppState::Approved | AppState::Declined => {
                fields.decided_at = Some(now);
                fields.due_at = Some(None);
            }
            AppState::Withdrawn | AppState::Closed => fields.due_at = Some(None),
            _ => {}
        }
        let event = AppEvent {
            from: Some(app.state),
            to,
            action: Some(action),
            actor_user: Some(actor.user.id),
            comment: comment.map(str::trim).unwrap_or("").to_string(),
            at: now,
        };
        if !self
            .store
            .move_application(id, app.state, &event, &fields)
            .await?
        {
            return Err(Error::Conflict(FieldError::new("action", "app.moved")));
        }
        self.store.get_application(id).await?.ok_or(Error::NotFound)
    }

    /// Expires every application whose partner missed its deadline, as of
    /// the clock; they show on the region office's roll-up. Returns them.
    pub async fn expire_overdue(&self) -> Result<Vec<Application>> {
        let now = self.now();
        let mut out = Vec::new();
        for app in self.store.overdue_applications(now).await? {
            let event = AppEvent {
                from: Some(app.state),
                to: AppState::Expired,
                action: Some(Action::Expire),
                actor_user: None,
                comment: String::new(),
                at: now,
            };
            let fields = MoveFields {
                due_at: Some(None),
                ..Default::default()
            };
            if self
                .store
                .move_application(app.id, app.state, &event, &fields)
                .await?
            {
                out.push(app);
            }
        }
        Ok(out)
    }

    /// The roll-up of a region in the office's scope (its own by default):
    /// the funnel, amounts, enterprises served, decision times and each
    /// partner's deadline breaches.
    pub async fn rollup(
        &self,
        actor: &Actor,
        region: Option<crate::region::RegionCode>,
    ) -> Result<super::rollup::Rollup> {
        let scope = actor.stats_range()?;
        let range = match region {
            None => scope,
            Some(r) if scope.contains(r) => r.subtree(),
            Some(_) => return Err(Error::NotFound),
        };
        let rows = self.store.rollup_rows(range).await?;
        let needs = self.store.need_counts(range).await?;
        Ok(super::rollup::rollup(&rows, needs))
    }

    /// A region the caller oversees (its own when `None`) and the child
    /// regions its figures are broken down by (a province's cities, a
    /// city's counties and zones; none below a city).
    async fn region_and_children(
        &self,
        actor: &Actor,
        region: Option<crate::region::RegionCode>,
    ) -> Result<(crate::region::Region, Vec<crate::region::Region>)> {
        use crate::region::RegionLevel;
        let code = actor.stats_region(region)?;
        let me = self.people.get_region(code).await?.ok_or(Error::NotFound)?;
        let children = match me.level {
            RegionLevel::Province | RegionLevel::City => self
                .people
                .list_regions(None, Some(code))
                .await?
                .into_iter()
                .filter(|r| r.level != RegionLevel::Zone || me.level == RegionLevel::City)
                .collect(),
            _ => Vec::new(),
        };
        Ok((me, children))
    }

    /// The roll-up of each child region of a region the caller oversees
    /// (its own when `None`): (code, name, roll-up), for the map and the
    /// table of the matching page.
    pub async fn rollup_children(
        &self,
        actor: &Actor,
        region: Option<crate::region::RegionCode>,
    ) -> Result<Vec<(crate::region::RegionCode, String, super::rollup::Rollup)>> {
        let (me, children) = self.region_and_children(actor, region).await?;
        if children.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.store.rollup_rows(me.code.subtree()).await?;
        let mut out = Vec::new();
        for r in children {
            let range = r.code.subtree();
            let mine: Vec<_> = rows
                .iter()
                .filter(|x| range.contains(x.application.region))
                .cloned()
                .collect();
            let needs = self.store.need_counts(range).await?;
            out.push((r.code, r.name, super::rollup::rollup(&mine, needs)));
        }
        Ok(out)
    }

    /// The monthly loan return of a region the caller oversees (its own
    /// when `None`) for `month` (`2025-06`): one line per child region, then
    /// the region's total; with the region's name. Audited as an export.
    pub async fn loan_return(
        &self,
        actor: &Actor,
        region: Option<crate::region::RegionCode>,
        month: &str,
    ) -> Result<(String, Vec<super::rollup::ReturnLine>)> {
        let code = actor.stats_region(region)?;
        let bad = || Error::field("month", "match.month_bad");
        let (y, m) = month.trim().split_once('-').ok_or_else(bad)?;
        let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if !(2000..=2100).contains(&y) || !(1..=12).contains(&m) {
            return Err(bad());
        }
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let from = crate::training::parse_date(&format!("{y:04}-{m:02}-01")).ok_or_else(bad)?;
        let to = crate::training::parse_date(&format!("{ny:04}-{nm:02}-01")).ok_or_else(bad)?;
        let (me, children) = self.region_and_children(actor, Some(code)).await?;
        let children: Vec<(crate::region::RegionCode, String)> =
            children.into_iter().map(|r| (r.code, r.name)).collect();
        let rows = self.store.rollup_rows(code.subtree()).await?;
        let lines =
            super::rollup::monthly_return(&rows, &children, (code, me.name.clone()), from, to);
        self.audit(
            actor,
            "match.return",
            format!("region:{code} month:{y:04}-{m:02}"),
        )
        .await?;
        Ok((me.name, lines))
    }

    /// An application's moves, for whoever may see the application.
    pub async fn history(&self, actor: &Actor, id: i64) -> Result<Vec<AppEvent>> {
        if !self.applications(actor).await?.iter().any(|a| a.id == id) {
            return Err(Error::NotFound);
        }
        self.store.events_of(id).await
    }
}

/// Facts every enterprise has without declaring them: its region (from its
/// record) and its stage (derived from its sales).
/// The metric the need's own amount is known by.
const NEED_AMOUNT: &str = "need_amount_fen";

/// The offer's amount range as soft rules on the need's amount (ids below
/// zero: they are the offer's terms, not rules it stores), so a need
/// outside the range is tentative and says why in words.
fn amount_rules(o: &Offer) -> Vec<Rule> {
    use crate::i18n::Lang;
    use crate::numfmt::yuan;
    let mut out = Vec::new();
    let rule = |id: i64, op: Op, value: i64, zh: String, en: String| Rule {
        id,
        field: NEED_AMOUNT.into(),
        op,
        value: value.to_string(),
        hard: false,
        message_zh: zh,
        message_en: en,
        citation: String::new(),
        max_age_days: None,
    };
    if let Some(min) = o.draft.amount_min_fen {
        out.push(rule(
            -1,
            Op::Ge,
            min,
            format!("申请金额低于该产品最低额度（{}）", yuan(min, Lang::Zh)),
            format!(
                "The amount asked is below this offer's minimum ({})",
                yuan(min, Lang::En)
            ),
        ));
    }
    if let Some(max) = o.draft.amount_max_fen {
        out.push(rule(
            -2,
            Op::Le,
            max,
            format!("申请金额高于该产品最高额度（{}）", yuan(max, Lang::Zh)),
            format!(
                "The amount asked is above this offer's maximum ({})",
                yuan(max, Lang::En)
            ),
        ));
    }
    out
}

fn with_known_facts(facts: &mut Vec<Fact>, need: &Need, now: i64) {
    if let Some(a) = need.draft.amount_fen {
        facts.push(Fact {
            metric: NEED_AMOUNT.into(),
            value: FactValue::Number(a),
            period: String::new(),
            source: FactSource::Platform,
            as_of: now,
        });
    }
    // The region on record, as the platform's own fact: it outranks any
    // region an enterprise declares.
    facts.push(Fact {
        metric: "region".into(),
        value: FactValue::Number(need.region.value() as i64),
        period: String::new(),
        source: FactSource::Platform,
        as_of: now,
    });
    if let Some((stage, from)) = stage_of(facts) {
        let as_of = from.as_of;
        facts.push(Fact {
            metric: "stage".into(),
            value: FactValue::Text(stage.as_str().into()),
            period: String::new(),
            source: FactSource::Platform,
            as_of,
        });
    }
}

fn terms(o: &Offer, observed: &BTreeMap<OrgId, f64>) -> OfferTerms {
    OfferTerms {
        offer_id: o.id,
        amount_min_fen: o.draft.amount_min_fen,
        amount_max_fen: o.draft.amount_max_fen,
        rate_bp: o.draft.rate_min_bp,
        price_fen: o.draft.price_fen,
        decision_days: o.draft.decision_days,
        observed_days: observed.get(&o.partner.org_id).copied(),
        partner_region: o.partner.serves_region,
        stages: o.draft.stages.clone(),
    }
}

fn need_terms(n: &Need, stage: Option<Stage>) -> NeedTerms {
    NeedTerms {
        amount_fen: n.draft.amount_fen,
        region: n.region,
        stage,
    }
}

/// A metric's name: lower-case ASCII letters, digits and `_`, 2–40 long.
fn valid_metric(m: &str) -> bool {
    (2..=40).contains(&m.len())
        && m.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks an offer and its rules; every problem named by field (a rule's
/// by its row).
pub fn validate_offer(
    input: &OfferInput,
) -> std::result::Result<(OfferDraft, Vec<Rule>), FieldErrors> {
    let mut e = FieldErrors::default();
    let kind = OfferKind::parse(&input.kind);
    if kind.is_none() {
        e.push(FieldError::new("kind", "error.choice"));
    }
    let title = required_text(&mut e, "title", &input.title, 80);
    let description =
        optional_text(&mut e, "description", Some(&input.description), 2000).unwrap_or_default();
    let materials =
        optional_text(&mut e, "materials", Some(&input.materials), 1000).unwrap_or_default();
    let policy_basis =
        optional_text(&mut e, "policy_basis", Some(&input.policy_basis), 300).unwrap_or_default();
    for (field, v) in [
        ("amount_min_fen", input.amount_min_fen),
        ("amount_max_fen", input.amount_max_fen),
        ("price_fen", input.price_fen),
    ] {
        if bad_amount(v) {
            e.push(FieldError::new(field, "match.amount_bad"));
        }
    }
    if let (Some(lo), Some(hi)) = (input.amount_min_fen, input.amount_max_fen) {
        if lo > hi {
            e.push(FieldError::new("amount_max_fen", "match.range_order"));
        }
    }
    for (field, v) in [
        ("rate_min_bp", input.rate_min_bp),
        ("rate_max_bp", input.rate_max_bp),
    ] {
        if v.is_some_and(|r| !(0..=3600).contains(&r)) {
            e.push(FieldError::new(field, "match.rate_bad"));
        }
    }
    if let (Some(lo), Some(hi)) = (input.rate_min_bp, input.rate_max_bp) {
        if lo > hi {
            e.push(FieldError::new("rate_max_bp", "match.range_order"));
        }
    }
    if input.term_months.is_some_and(|t| !(1..=360).contains(&t)) {
        e.push(FieldError::new("term_months", "match.term_bad"));
    }
    if !(1..=60).contains(&input.decision_days) {
        e.push(FieldError::new("decision_days", "match.days_bad"));
    }
    if input.quota.is_some_and(|q| !(1..=1_000_000).contains(&q)) {
        e.push(FieldError::new("quota", "match.quota_bad"));
    }
    if input.valid_until <= input.valid_from {
        e.push(FieldError::new("valid_until", "match.range_order"));
    }
    let mut stages = Vec::new();
    for s in &input.stages {
        match Stage::parse(s) {
            Some(st) if !stages.contains(&st) => stages.push(st),
            Some(_) => {}
            None => e.push(FieldError::new("stages", "error.choice")),
        }
    }
    if input.rules.len() > MAX_RULES {
        e.push(FieldError::new("rules", "match.too_many_rules").with("max", MAX_RULES));
    }
    let mut rules = Vec::new();
    for (i, r) in input.rules.iter().take(MAX_RULES).enumerate() {
        let row = i + 1;
        let field = r.field.trim();
        if !valid_metric(field) {
            e.push(FieldError::new("rules", "match.metric_bad").with("row", row));
        }
        let Some(op) = Op::parse(&r.op) else {
            e.push(FieldError::new("rules", "match.op_bad").with("row", row));
            continue;
        };
        let value = r.value.trim();
        let numeric = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
        if value.is_empty() || value.chars().count() > 200 {
            e.push(FieldError::new("rules", "match.value_bad").with("row", row));
        } else if numeric && value.parse::<i64>().is_err() {
            e.push(FieldError::new("rules", "match.value_not_number").with("row", row));
        } else if op == Op::Within
            && value
                .parse::<u32>()
                .ok()
                .and_then(crate::region::RegionCode::from_value)
                .is_none()
        {
            e.push(FieldError::new("rules", "match.value_not_region").with("row", row));
        }
        // Each text of the rule refused by its own name.
        let mut text = |key: &'static str, read: &dyn Fn(&mut FieldErrors) -> String| {
            let mut sub = FieldErrors::default();
            let v = read(&mut sub);
            if !sub.is_empty() {
                e.push(FieldError::new("rules", key).with("row", row));
            }
            v
        };
        let zh = text("match.message_bad", &|s| {
            required_text(s, "message_zh", &r.message_zh, 200)
        });
        let en = text("match.message_en_bad", &|s| {
            required_text(s, "message_en", &r.message_en, 200)
        });
        let citation = text("match.citation_bad", &|s| {
            optional_text(s, "citation", Some(&r.citation), 200).unwrap_or_default()
        });
        if r.max_age_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            e.push(FieldError::new("rules", "match.age_bad").with("row", row));
        }
        rules.push(Rule {
            id: 0,
            field: field.to_string(),
            op,
            value: value.to_string(),
            hard: r.hard,
            message_zh: zh,
            message_en: en,
            citation,
            max_age_days: r.max_age_days,
        });
    }
    match kind {
        Some(kind) if e.is_empty() => Ok((
            OfferDraft {
                kind,
                title,
                description,
                amount_min_fen: input.amount_min_fen,
                amount_max_fen: input.amount_max_fen,
                term_months: input.term_months,
                rate_min_bp: input.rate_min_bp,
                rate_max_bp: input.rate_max_bp,
                price_fen: input.price_fen,
                materials,
                decision_days: input.decision_days,
                quota: input.quota,
                valid_from: input.valid_from,
                valid_until: input.valid_until,
                policy_basis,
                stages,
            },
            rules,
        )),
        _ => Err(e),
    }
}

/// A factor as stored (names are owned once read back).
#[derive(Deserialize)]
struct StoredFactor {
    name: String,
    weight: f64,
    value: f64,
}

impl StoredFactor {
    fn into_factor(self) -> rank::Factor {
        let name = rank::FACTOR_NAMES
            .iter()
            .copied()
            .find(|n| *n == self.name)
            .unwrap_or("other");
        rank::Factor {
            name,
            weight: self.weight,
            value: self.value,
        }
    }
}

/// A trace line as stored.
#[derive(Deserialize)]
struct StoredTrace {
    rule_id: i64,
    field: String,
    hard: bool,
    result: RuleResult,
    found: Option<String>,
}
