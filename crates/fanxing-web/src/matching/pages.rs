//! Resource matching's pages, one place per side: the enterprise states a
//! need, sees every offer of its kind with the reason it is or is not open
//! to it, applies and follows its applications; the partner works its
//! application queue; an office sees its region's roll-up.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use fanxing_core::matching::pipeline::{self, Action, Actor as Mover, AppState as Stage};
use fanxing_core::matching::rollup::Rollup;
use fanxing_core::matching::rules::{Eligibility, RuleResult};
use fanxing_core::matching::service::{Explained, NeedInput, SharedFacts};
use fanxing_core::matching::store::{Application, Need, Offer};
use fanxing_core::matching::{FactSource, FactValue, OfferKind};
use fanxing_core::numfmt;
use fanxing_core::people::OrgId;
use fanxing_core::{Error, FieldErrors, Lang};

use crate::ctx::{CsrfForm, Ctx};
use crate::error::PageError;
use crate::pages::{path_id, render, saved_or_form, PageResult};
use crate::AppState;

/// Yuan as people write it, from fen.
fn yuan(fen: Option<i64>, lang: Lang) -> String {
    match fen {
        Some(f) => numfmt::yuan(f, lang),
        None => "—".into(),
    }
}

/// An application as a list shows it.
struct AppLine {
    app: Application,
    enterprise: String,
    offer: String,
    partner: String,
    /// The moves the viewer may make now.
    moves: Vec<Action>,
}

#[derive(Template)]
#[template(path = "matching/match_home.html")]
struct HomePage<'a> {
    ctx: &'a Ctx,
    /// The enterprise's own needs, or an office's open needs.
    needs: Vec<Need>,
    /// Whether the caller may state a need (speaks for an enterprise).
    may_state: bool,
    /// Whether the caller states needs for enterprises of its region (an
    /// office that writes): the form then names the enterprise.
    for_others: bool,
    kinds: Vec<(&'static str, String)>,
    apps: Vec<AppLine>,
    /// The partner's own offers (partners only).
    offers: Vec<Offer>,
    rollup: Option<Rollup>,
    /// Each child region's figures (offices of a province or city).
    children: Vec<(fanxing_core::region::RegionCode, String, Rollup)>,
    /// The province map of disbursed amounts, SVG (the province office).
    map: Option<String>,
    /// The partners serving in the office's region, and who could be one.
    partners: Vec<fanxing_core::matching::store::Partner>,
    candidates: Vec<(OrgId, String, fanxing_core::matching::PartnerKind)>,
    errors: FieldErrors,
    done: Option<String>,
    /// Whether anything here concerns the caller.
    involved: bool,
}

impl HomePage<'_> {
    fn last_month(&self) -> String {
        last_month()
    }
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| e.message(self.ctx.lang))
    }
    fn money(&self, fen: &Option<i64>) -> String {
        yuan(*fen, self.ctx.lang)
    }
    fn sum(&self, fen: &i64) -> String {
        yuan(Some(*fen), self.ctx.lang)
    }
    fn problems(&self) -> String {
        self.errors
            .0
            .iter()
            .map(|e| e.message(self.ctx.lang))
            .collect::<Vec<_>>()
            .join(" ")
    }
    fn state_label(&self, s: &Stage) -> String {
        let partner_view = !self.may_state && self.rollup.is_none();
        if partner_view {
            self.ctx.t(s.label_key()).to_string()
        } else {
            self.ctx.t(s.public_label_key()).to_string()
        }
    }
    /// A partner looks at its queue (it opens each application's shared
    /// facts from there).
    fn partner_view(&self) -> bool {
        !self.may_state && self.rollup.is_none()
    }
    fn date(&self, at: &Option<i64>) -> String {
        at.map(|t| fanxing_core::training::format_local(t)[..10].to_string())
            .unwrap_or_else(|| "—".into())
    }
}

/// `/match`: what the caller's side does here.
pub async fn home(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<crate::pages::DoneQuery>,
) -> PageResult {
    home_page(&state, &ctx, FieldErrors::default(), q.done).await
}

async fn home_page(
    state: &AppState,
    ctx: &Ctx,
    errors: FieldErrors,
    done: Option<String>,
) -> PageResult {
    let actor = ctx.actor()?;
    let m = &state.matching;
    let partner = actor.role().is_partner();
    let enterprise = m.my_enterprise(actor).await?;
    let office = enterprise.is_none() && actor.role().is_office();
    // Accounts that are neither a partner, an office nor an enterprise's
    // see the page with nothing to do (it says so).
    // A partner account whose organisation is not a partner yet has no
    // offers and no queue.
    let offers = match m.offers(actor).await {
        Ok(o) => Some(o),
        Err(Error::Forbidden | Error::NotFound) if partner => None,
        Err(e) => return Err(e.into()),
    };
    let involved = (partner && offers.is_some()) || office || enterprise.is_some();
    let offers = offers.unwrap_or_default();
    let needs = if involved && !partner {
        m.my_needs(actor).await?
    } else {
        Vec::new()
    };
    let title_of = |id: i64| {
        offers
            .iter()
            .find(|o| o.id == id)
            .map(|o| (o.draft.title.clone(), o.partner.name.clone()))
            .unwrap_or_default()
    };
    let who = if partner {
        Mover::Partner
    } else {
        Mover::Applicant
    };
    let apps = if involved {
        m.applications_named(actor).await?
    } else {
        Vec::new()
    };
    let apps = apps
        .into_iter()
        .map(|(app, enterprise)| {
            let (offer, partner) = title_of(app.offer_id);
            let moves = if office {
                Vec::new()
            } else {
                pipeline::moves_for(app.state, who)
            };
            AppLine {
                app,
                enterprise,
                offer,
                partner,
                moves,
            }
        })
        .collect();
    let rollup = if office {
        Some(m.rollup(actor, None).await?)
    } else {
        None
    };
    let children = if office {
        m.rollup_children(actor, None).await?
    } else {
        Vec::new()
    };
    let (partners, candidates) = if office && actor.write_range().is_ok() {
        m.partner_choices(actor).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let province = actor.user.region.is_some_and(|r| r.value() % 10_000 == 0);
    let map = (office && province && !children.is_empty()).then(|| {
        let total: i64 = children.iter().map(|c| c.2.disbursed_fen).sum();
        let values: Vec<crate::charts::CityValue> = children
            .iter()
            .map(|(code, name, r)| crate::charts::CityValue {
                code: code.to_string(),
                share: (total > 0).then(|| r.disbursed_fen as f64 / total as f64),
                title: format!("{name}：{}", yuan(Some(r.disbursed_fen), ctx.lang)),
                href: String::new(),
            })
            .collect();
        crate::charts::province_map(&values, ctx.t("match.map"))
    });
    render(
        ctx,
        &HomePage {
            ctx,
            needs,
            may_state: enterprise.is_some(),
            for_others: office && actor.write_range().is_ok(),
            kinds: OfferKind::ALL
                .iter()
                .map(|k| (k.as_str(), ctx.t(k.label_key()).to_string()))
                .collect(),
            apps,
            offers: if partner { offers } else { Vec::new() },
            rollup,
            children,
            map,
            partners,
            candidates,
            errors,
            done,
            involved,
        },
    )
}

/// The need form.
#[derive(Deserialize)]
pub struct NeedForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    amount_yuan: String,
    #[serde(default)]
    purpose: String,
    /// An office's form: the enterprise's name or credit code.
    #[serde(default)]
    enterprise: String,
}

/// Parses an amount in yuan as typed (`30000`, `3万`, `30,000`); `None`
/// when empty, `Err` when it is not an amount.
fn parse_yuan(raw: &str) -> Result<Option<i64>, ()> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    fanxing_core::analytics::parse_money_text(raw)
        .map(Some)
        .ok_or(())
}

/// `POST /match/needs`: states a need for the caller's enterprise, or an
/// office's for the enterprise of its region the form names (audited).
pub async fn state_need(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<NeedForm>,
) -> PageResult {
    let actor = ctx.actor()?;
    let org = match state.matching.my_enterprise(actor).await? {
        Some(org) => org,
        None if actor.role().is_office() => {
            match state
                .matching
                .find_enterprise(actor, &form.enterprise)
                .await
            {
                Ok(org) => org,
                Err(Error::Invalid(e)) => return home_page(&state, &ctx, e, None).await,
                Err(e) => return Err(e.into()),
            }
        }
        None => return Err(Error::Forbidden.into()),
    };
    let amount = match parse_yuan(&form.amount_yuan) {
        Ok(a) => a,
        Err(()) => {
            let mut e = FieldErrors::default();
            e.push(fanxing_core::FieldError::new(
                "amount_fen",
                "match.amount_bad",
            ));
            return home_page(&state, &ctx, e, None).await;
        }
    };
    let input = NeedInput {
        org_id: org,
        kind: form.kind,
        amount_fen: amount,
        purpose: form.purpose,
        consent_facts: vec!["sales_12m_fen".into()],
        consent_days: 90,
    };
    let saved = state.matching.state_need(actor, &input).await;
    saved_or_form(
        &ctx,
        saved,
        |need| format!("/match/needs/{}", need.id),
        |e| home_page(&state, &ctx, e, None),
    )
    .await
}

#[derive(Template)]
#[template(path = "matching/match_need.html")]
struct NeedPage<'a> {
    ctx: &'a Ctx,
    need: Need,
    matches: Vec<Explained>,
    /// How many offers there are in all (`matches` may be the first page).
    total: usize,
    /// Whether the caller may apply (speaks for the enterprise).
    may_apply: bool,
    error: Option<String>,
}

impl NeedPage<'_> {
    fn money(&self, fen: &Option<i64>) -> String {
        yuan(*fen, self.ctx.lang)
    }
    fn verdict(&self, e: &Eligibility) -> &str {
        self.ctx.t(match e {
            Eligibility::Eligible => "match.eligible",
            Eligibility::Tentative => "match.tentative",
            Eligibility::Ineligible => "match.ineligible",
        })
    }
    fn message(&self, zh: &str, en: &str) -> String {
        match self.ctx.lang {
            Lang::En if !en.is_empty() => en.to_string(),
            _ => zh.to_string(),
        }
    }
    /// What a failed soft condition says (the offer stays open, with care).
    fn cautions(&self, x: &Explained) -> Vec<String> {
        x.rules
            .iter()
            .filter(|r| !r.hard && matches!(r.result, RuleResult::Failed))
            .map(|r| self.message(&r.message_zh, &r.message_en))
            .collect()
    }

    /// A fact's name for people (the metric code when it has none).
    fn metric(&self, code: &str) -> String {
        metric_name(self.ctx, code)
    }
    fn passed(&self, r: &RuleResult) -> bool {
        matches!(r, RuleResult::Passed)
    }
}

/// `/match/needs/{id}`: every offer of the need's kind, explained.
pub async fn need(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NeedQuery>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    need_page(&state, &ctx, id, None, q.all.is_some()).await
}

/// `?all=1` shows every offer, not only the first [`NEED_PAGE`].
#[derive(Deserialize, Default)]
pub struct NeedQuery {
    all: Option<String>,
}

/// Offers a need's page explains unless asked for all (a phone should not
/// load hundreds).
const NEED_PAGE: usize = 50;

async fn need_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
    all: bool,
) -> PageResult {
    let actor = ctx.actor()?;
    let need = state.matching.need(actor, id).await?;
    let limit = if all { usize::MAX } else { NEED_PAGE };
    let (total, matches) = state.matching.matches_page(actor, id, 0, limit).await?;
    let may_apply = state.matching.my_enterprise(actor).await? == Some(need.draft.org_id);
    render(
        ctx,
        &NeedPage {
            ctx,
            need,
            matches,
            total,
            may_apply,
            error,
        },
    )
}

#[derive(Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    offer_id: String,
}

/// `POST /match/needs/{id}/apply`: applies to one offer for the need.
pub async fn apply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ApplyForm>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let offer = form
        .offer_id
        .trim()
        .parse::<i64>()
        .map_err(|_| Error::NotFound)?;
    let need = state.matching.need(actor, id).await?;
    match state
        .matching
        .apply(actor, id, offer, need.draft.amount_fen)
        .await
    {
        Ok(_) => Ok(Redirect::to("/match?done=applied").into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            let msg = e.detail(ctx.lang);
            need_page(&state, &ctx, id, Some(msg), false).await
        }
        Err(e) => Err(PageError::from(e)),
    }
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    amount_yuan: String,
}

/// A fact's name for people (the metric code when it has none).
fn metric_name(ctx: &Ctx, code: &str) -> String {
    let key = format!("metric.{code}");
    let t = ctx.t(&key);
    if t == key {
        code.to_string()
    } else {
        t.to_string()
    }
}

/// A fact's value as people write it: money (`…_fen`) in yuan, rates
/// (`…_bp`) in per cent, other numbers and texts as they are.
fn fact_text(metric: &str, v: &FactValue) -> String {
    match v {
        FactValue::Number(n) if metric.ends_with("_fen") => format!("{:.2}", *n as f64 / 100.0),
        FactValue::Number(n) if metric.ends_with("_bp") => format!("{:.2}", *n as f64 / 100.0),
        FactValue::Number(n) => n.to_string(),
        FactValue::Text(t) => t.clone(),
    }
}

/// [`fact_text`] read back (`number`: the fact shown was a number):
/// `None` when it is not a value of the metric.
fn fact_value(metric: &str, raw: &str, number: bool) -> Option<FactValue> {
    let raw = raw.trim();
    if metric.ends_with("_fen") {
        return fanxing_core::analytics::parse_money_text(raw).map(FactValue::Number);
    }
    if metric.ends_with("_bp") {
        let pct: f64 = raw.trim_end_matches('%').trim().parse().ok()?;
        return (pct.is_finite() && (0.0..=10_000.0).contains(&pct))
            .then(|| FactValue::Number((pct * 100.0).round() as i64));
    }
    match raw.parse::<i64>() {
        Ok(n) => Some(FactValue::Number(n)),
        Err(_) if !number && !raw.is_empty() && raw.chars().count() <= 100 => {
            Some(FactValue::Text(raw.to_string()))
        }
        Err(_) => None,
    }
}

/// One shared fact on the partner's application page.
struct FactLine {
    metric: String,
    name: String,
    value: String,
    number: bool,
    period: String,
    source: FactSource,
    as_of: String,
}

#[derive(Template)]
#[template(path = "matching/match_application.html")]
struct ApplicationPage<'a> {
    ctx: &'a Ctx,
    shared: SharedFacts,
    facts: Vec<FactLine>,
    /// Consented metrics the platform holds no value for.
    missing: Vec<String>,
    until: String,
    open: bool,
    errors: FieldErrors,
    done: bool,
}

impl ApplicationPage<'_> {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| e.message(self.ctx.lang))
    }
    fn problems(&self) -> String {
        self.errors
            .0
            .iter()
            .map(|e| e.message(self.ctx.lang))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `/match/applications/{id}`: for the partner an application was made
/// to, what the enterprise shared and the form to verify each fact.
pub async fn application(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<crate::pages::DoneQuery>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    application_page(&state, &ctx, id, FieldErrors::default(), q.done.is_some()).await
}

async fn application_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: FieldErrors,
    done: bool,
) -> PageResult {
    let actor = ctx.actor()?;
    let shared = state.matching.applicant_facts(actor, id).await?;
    let open = shared.open;
    let facts: Vec<FactLine> = shared
        .facts
        .iter()
        .map(|f| FactLine {
            metric: f.metric.clone(),
            name: metric_name(ctx, &f.metric),
            value: fact_text(&f.metric, &f.value),
            number: matches!(f.value, FactValue::Number(_)),
            period: f.period.clone(),
            source: f.source,
            as_of: fanxing_core::training::format_local(f.as_of)[..10].to_string(),
        })
        .collect();
    let missing = if shared.expired {
        Vec::new()
    } else {
        shared
            .consented
            .iter()
            .filter(|m| !shared.facts.iter().any(|f| &f.metric == *m))
            .map(|m| metric_name(ctx, m))
            .collect()
    };
    let until = fanxing_core::training::format_local(shared.consent_until)[..10].to_string();
    let status = if errors.0.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    crate::pages::render_status(
        ctx,
        status,
        &ApplicationPage {
            ctx,
            shared,
            facts,
            missing,
            until,
            open,
            errors,
            done,
        },
    )
}

#[derive(Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    metric: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    period: String,
    /// `number` when the fact shown was a number.
    #[serde(default)]
    kind: String,
}

/// `POST /match/applications/{id}/verify`: the partner confirms (or
/// corrects) one shared fact.
pub async fn verify(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<VerifyForm>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let metric = form.metric.trim();
    let saved = match fact_value(metric, &form.value, form.kind == "number") {
        Some(v) => {
            state
                .matching
                .verify_fact(actor, id, metric, v, form.period.trim())
                .await
        }
        None => Err(Error::field("value", "match.fact_value_bad")),
    };
    saved_or_form(
        &ctx,
        saved,
        |_| format!("/match/applications/{id}?done=verified"),
        |e| application_page(&state, &ctx, id, e, false),
    )
    .await
}

/// `POST /match/applications/{id}/act`: one move of an application.
pub async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ActForm>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let action = Action::parse(form.action.trim())
        .ok_or_else(|| PageError::from(Error::field("action", "error.choice")))?;
    let amount = parse_yuan(&form.amount_yuan)
        .map_err(|_| PageError::from(Error::field("amount_fen", "match.amount_bad")))?;
    let comment = Some(form.comment.trim()).filter(|c| !c.is_empty());
    let moved = state.matching.act(actor, id, action, comment, amount).await;
    saved_or_form(
        &ctx,
        moved,
        |_| "/match?done=moved".into(),
        |e| home_page(&state, &ctx, e, None),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct ReturnQuery {
    region: Option<String>,
    month: Option<String>,
}

/// The month before now (Beijing time), as `2025-06`: the month a return
/// is filed for.
fn last_month() -> String {
    let today = fanxing_core::training::format_local(fanxing_core::now());
    let (y, m) = (
        today
            .get(..4)
            .and_then(|y| y.parse::<i32>().ok())
            .unwrap_or(2025),
        today
            .get(5..7)
            .and_then(|m| m.parse::<u32>().ok())
            .unwrap_or(1),
    );
    if m == 1 {
        format!("{:04}-12", y - 1)
    } else {
        format!("{y:04}-{:02}", m - 1)
    }
}

/// `/match/return.xlsx?region=&month=`: the monthly loan return (offices).
pub async fn loan_return(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ReturnQuery>,
) -> PageResult {
    let actor = ctx.actor()?;
    let region = fanxing_core::region::region_filter(q.region.as_deref())?;
    let month = q
        .month
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(last_month);
    let (name, lines) = state.matching.loan_return(actor, region, &month).await?;
    let lang = ctx.lang;
    let title = ctx.tf(
        "match.return_title",
        &[("region", &name), ("month", month.trim())],
    );
    let bytes = fanxing_core::sheet::off_workers(move || {
        fanxing_core::reports::loan_return_xlsx(&lines, &title, lang)
    })
    .await??;
    let file = format!(
        "{name}-{}-{}.xlsx",
        ctx.t("match.return_sheet"),
        month.trim()
    );
    Ok(crate::download::download(
        bytes,
        crate::download::XLSX,
        &file,
    ))
}

/// How many rule rows the offer form shows.
const RULE_ROWS: usize = 8;
/// The most rule rows a submitted form is read for (more than the service
/// allows, so that it, not the form, refuses too many rules by name).
const RULES_READ: usize = fanxing_core::matching::service::MAX_RULES + 10;

/// The rule metrics the platform knows, for the form's suggestions.
const METRICS: &[&str] = &[
    "sales_12m_fen",
    "shop_age_months",
    "violations_12m",
    "refund_rate_bp",
    "region",
];

/// One rule row of the offer form, as typed.
#[derive(Default, Clone)]
struct RuleRow {
    field: String,
    op: String,
    value: String,
    hard: bool,
    message_zh: String,
    message_en: String,
    citation: String,
}

/// The offer form's values, as typed.
#[derive(Default, Clone)]
struct OfferValues {
    kind: String,
    title: String,
    description: String,
    amount_min: String,
    amount_max: String,
    term_months: String,
    rate_min: String,
    rate_max: String,
    materials: String,
    decision_days: String,
    quota: String,
    valid_from: String,
    valid_until: String,
    policy_basis: String,
    stages: Vec<String>,
    rules: Vec<RuleRow>,
}

#[derive(Template)]
#[template(path = "matching/match_offer_form.html")]
struct OfferFormPage<'a> {
    ctx: &'a Ctx,
    /// `None`: a new offer.
    id: Option<i64>,
    v: OfferValues,
    kinds: Vec<(&'static str, String)>,
    ops: Vec<(&'static str, String)>,
    metrics: &'static [&'static str],
    errors: FieldErrors,
}

impl OfferFormPage<'_> {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| e.message(self.ctx.lang))
    }
    fn has_stage(&self, s: &str) -> bool {
        self.v.stages.iter().any(|x| x == s)
    }
    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/match/offers/{id}"),
            None => "/match/offers".into(),
        }
    }
}

fn day(ts: i64) -> String {
    fanxing_core::training::format_local(ts)
        .get(..10)
        .unwrap_or("")
        .to_string()
}

fn wan_or_yuan(fen: Option<i64>) -> String {
    fen.map(|f| {
        let y = f / 100;
        if y % 10_000 == 0 && y > 0 {
            format!("{}万", y / 10_000)
        } else {
            y.to_string()
        }
    })
    .unwrap_or_default()
}

fn percent(bp: Option<i64>) -> String {
    bp.map(|b| format!("{}", b as f64 / 100.0))
        .unwrap_or_default()
}

impl OfferValues {
    fn of(o: &Offer, rules: &[fanxing_core::matching::rules::Rule]) -> OfferValues {
        let d = &o.draft;
        OfferValues {
            kind: d.kind.as_str().into(),
            title: d.title.clone(),
            description: d.description.clone(),
            amount_min: wan_or_yuan(d.amount_min_fen),
            amount_max: wan_or_yuan(d.amount_max_fen),
            term_months: d.term_months.map(|t| t.to_string()).unwrap_or_default(),
            rate_min: percent(d.rate_min_bp),
            rate_max: percent(d.rate_max_bp),
            materials: d.materials.clone(),
            decision_days: d.decision_days.to_string(),
            quota: d.quota.map(|q| q.to_string()).unwrap_or_default(),
            valid_from: day(d.valid_from),
            valid_until: day(d.valid_until),
            policy_basis: d.policy_basis.clone(),
            stages: d.stages.iter().map(|s| s.as_str().to_string()).collect(),
            rules: rules
                .iter()
                .map(|r| RuleRow {
                    field: r.field.clone(),
                    op: r.op.as_str().into(),
                    value: r.value.clone(),
                    hard: r.hard,
                    message_zh: r.message_zh.clone(),
                    message_en: r.message_en.clone(),
                    citation: r.citation.clone(),
                })
                .collect(),
        }
    }

    fn from_form(form: &[(String, String)]) -> OfferValues {
        let f = |name: &str| crate::pages::field(form, name);
        // Every rule row the form sent: an offer may hold more rules than a
        // blank form shows (up to the service's limit, which it names).
        let sent = crate::pages::rows_sent(
            form,
            &[
                "rule_field",
                "rule_op",
                "rule_value",
                "rule_hard",
                "rule_zh",
                "rule_en",
                "rule_cite",
            ],
            RULES_READ,
        );
        let rules = (0..sent.max(RULE_ROWS))
            .map(|i| RuleRow {
                field: f(&format!("rule_field_{i}")).trim().to_string(),
                op: f(&format!("rule_op_{i}")),
                value: f(&format!("rule_value_{i}")),
                hard: !f(&format!("rule_hard_{i}")).is_empty(),
                message_zh: f(&format!("rule_zh_{i}")),
                message_en: f(&format!("rule_en_{i}")),
                citation: f(&format!("rule_cite_{i}")),
            })
            .collect();
        OfferValues {
            kind: f("kind"),
            title: f("title"),
            description: f("description"),
            amount_min: f("amount_min"),
            amount_max: f("amount_max"),
            term_months: f("term_months"),
            rate_min: f("rate_min"),
            rate_max: f("rate_max"),
            materials: f("materials"),
            decision_days: f("decision_days"),
            quota: f("quota"),
            valid_from: f("valid_from"),
            valid_until: f("valid_until"),
            policy_basis: f("policy_basis"),
            stages: form
                .iter()
                .filter(|(k, _)| k == "stages")
                .map(|(_, v)| v.clone())
                .collect(),
            rules,
        }
    }

    /// The service's input, or the fields that could not be read.
    fn input(&self) -> Result<fanxing_core::matching::service::OfferInput, FieldErrors> {
        use fanxing_core::FieldError;
        let mut e = FieldErrors::default();
        let mut money = |raw: &str, field: &'static str| match parse_yuan(raw) {
            Ok(v) => v,
            Err(()) => {
                e.push(FieldError::new(field, "match.amount_bad"));
                None
            }
        };
        let amount_min_fen = money(&self.amount_min, "amount_min_fen");
        let amount_max_fen = money(&self.amount_max, "amount_max_fen");
        let mut number = |raw: &str, field: &'static str| -> Option<i64> {
            let t = raw.trim();
            if t.is_empty() {
                return None;
            }
            match t.parse::<i64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    e.push(FieldError::new(field, "error.number"));
                    None
                }
            }
        };
        let term_months = number(&self.term_months, "term_months");
        let quota = number(&self.quota, "quota");
        let decision_days = number(&self.decision_days, "decision_days").unwrap_or(0);
        let mut rate = |raw: &str, field: &'static str| -> Option<i64> {
            let t = raw.trim().trim_end_matches('%');
            if t.is_empty() {
                return None;
            }
            match t.parse::<f64>() {
                Ok(v) if v.is_finite() => Some((v * 100.0).round() as i64),
                _ => {
                    e.push(FieldError::new(field, "match.rate_bad"));
                    None
                }
            }
        };
        let rate_min_bp = rate(&self.rate_min, "rate_min_bp");
        let rate_max_bp = rate(&self.rate_max, "rate_max_bp");
        let mut date = |raw: &str, field: &'static str| -> i64 {
            match fanxing_core::training::parse_date(raw.trim()) {
                Some(t) => t,
                None => {
                    e.push(FieldError::new(field, "error.date"));
                    0
                }
            }
        };
        let valid_from = date(&self.valid_from, "valid_from");
        let valid_until = date(&self.valid_until, "valid_until");
        if !e.is_empty() {
            return Err(e);
        }
        Ok(fanxing_core::matching::service::OfferInput {
            kind: self.kind.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            amount_min_fen,
            amount_max_fen,
            term_months,
            rate_min_bp,
            rate_max_bp,
            price_fen: None,
            materials: self.materials.clone(),
            decision_days,
            quota,
            valid_from,
            valid_until,
            policy_basis: self.policy_basis.clone(),
            stages: self.stages.clone(),
            rules: self
                .rules
                .iter()
                .filter(|r| !r.field.is_empty())
                .map(|r| fanxing_core::matching::service::RuleInput {
                    field: r.field.clone(),
                    op: r.op.clone(),
                    value: r.value.clone(),
                    hard: r.hard,
                    message_zh: r.message_zh.clone(),
                    message_en: r.message_en.clone(),
                    citation: r.citation.clone(),
                    max_age_days: None,
                })
                .collect(),
        })
    }
}

fn offer_form(ctx: &Ctx, id: Option<i64>, mut v: OfferValues, errors: FieldErrors) -> PageResult {
    v.rules
        .resize(RULE_ROWS.max(v.rules.len()), RuleRow::default());
    render(
        ctx,
        &OfferFormPage {
            ctx,
            id,
            v,
            kinds: OfferKind::ALL
                .iter()
                .map(|k| (k.as_str(), ctx.t(k.label_key()).to_string()))
                .collect(),
            ops: fanxing_core::matching::rules::Op::ALL
                .iter()
                .map(|o| (o.as_str(), ctx.t(o.label_key()).to_string()))
                .collect(),
            metrics: METRICS,
            errors,
        },
    )
}

/// `/match/offers/new`: a partner's new offer.
pub async fn new_offer(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    state.matching.may_write_offers(actor).await?;
    let now = fanxing_core::now();
    let v = OfferValues {
        kind: "loan".into(),
        decision_days: "5".into(),
        valid_from: day(now),
        valid_until: day(now + 365 * 86_400),
        ..Default::default()
    };
    offer_form(&ctx, None, v, FieldErrors::default())
}

/// `/match/offers/{id}/edit`: one of the partner's offers with its rules.
pub async fn edit_offer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let (offer, rules) = state.matching.own_offer(actor, id).await?;
    offer_form(
        &ctx,
        Some(id),
        OfferValues::of(&offer, &rules),
        FieldErrors::default(),
    )
}

async fn save_offer(
    state: &AppState,
    ctx: &Ctx,
    id: Option<i64>,
    form: &[(String, String)],
) -> PageResult {
    let actor = ctx.actor()?;
    state.matching.may_write_offers(actor).await?;
    let v = OfferValues::from_form(form);
    let input = match v.input() {
        Ok(i) => i,
        Err(e) => return offer_form(ctx, id, v, e),
    };
    let saved = state.matching.save_offer(actor, id, &input).await;
    saved_or_form(
        ctx,
        saved,
        |_| "/match?done=saved".into(),
        |e| async { offer_form(ctx, id, v, e) },
    )
    .await
}

/// `POST /match/offers`: creates an offer (its rules re-evaluate every open need).
pub async fn create_offer(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    save_offer(&state, &ctx, None, &form).await
}

/// `POST /match/offers/{id}`: saves an offer and its rules (a new ruleset
/// version; every open need is evaluated again).
pub async fn update_offer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    save_offer(&state, &ctx, Some(id), &form).await
}

#[derive(Deserialize)]
pub struct PartnerForm {
    #[serde(default)]
    org_id: String,
}

/// `POST /match/partners`: an office makes an organisation of its region a
/// partner serving the office's region, of the kind its organisation is.
pub async fn register_partner(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<PartnerForm>,
) -> PageResult {
    let actor = ctx.actor()?;
    let org = form
        .org_id
        .trim()
        .parse::<OrgId>()
        .map_err(|_| Error::NotFound)?;
    let (partners, candidates) = state.matching.partner_choices(actor).await?;
    // A partner already (saving again changes nothing), or one who may be.
    let kind = partners
        .iter()
        .find(|p| p.org_id == org)
        .map(|p| p.kind)
        .or_else(|| candidates.iter().find(|c| c.0 == org).map(|c| c.2))
        .ok_or(Error::NotFound)?;
    let serves = actor.user.region.ok_or(Error::Forbidden)?;
    state
        .matching
        .register_partner(actor, org, kind, serves)
        .await?;
    Ok(Redirect::to("/match?done=partner").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fact_is_written_and_read_back_in_people_s_units() {
        for (metric, v) in [
            ("sales_12m_fen", FactValue::Number(12_345_678)),
            ("refund_rate_bp", FactValue::Number(1250)),
            ("shop_age_months", FactValue::Number(9)),
            ("industry", FactValue::Text("食品".into())),
        ] {
            let number = matches!(v, FactValue::Number(_));
            assert_eq!(
                fact_value(metric, &fact_text(metric, &v), number),
                Some(v.clone()),
                "{metric}"
            );
        }
        assert_eq!(fact_text("sales_12m_fen", &FactValue::Number(150)), "1.50");
        assert_eq!(
            fact_value("sales_12m_fen", "50万", true),
            Some(FactValue::Number(50_000_000))
        );
        assert_eq!(fact_value("shop_age_months", "七", true), None);
        assert_eq!(fact_value("refund_rate_bp", "-1", true), None);
        assert_eq!(fact_value("refund_rate_bp", "NaN", true), None);
    }
}
