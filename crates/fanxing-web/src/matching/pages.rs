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
use fanxing_core::matching::service::{Explained, NeedInput};
use fanxing_core::matching::store::{Application, Need, Offer};
use fanxing_core::matching::OfferKind;
use fanxing_core::numfmt;
use fanxing_core::{Error, FieldErrors, Lang};

use crate::ctx::{CsrfForm, Ctx};
use crate::error::PageError;
use crate::pages::{path_id, render, PageResult};
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
    offer: String,
    partner: String,
    /// The moves the viewer may make now.
    moves: Vec<Action>,
}

#[derive(Template)]
#[template(path = "match_home.html")]
struct HomePage<'a> {
    ctx: &'a Ctx,
    /// The enterprise's own needs, or an office's open needs.
    needs: Vec<Need>,
    /// Whether the caller may state a need (speaks for an enterprise).
    may_state: bool,
    kinds: Vec<(&'static str, String)>,
    apps: Vec<AppLine>,
    /// The partner's own offers (partners only).
    offers: Vec<Offer>,
    rollup: Option<Rollup>,
    /// Each child region's figures (offices of a province or city).
    children: Vec<(fanxing_core::region::RegionCode, String, Rollup)>,
    /// The province map of disbursed amounts, SVG (the province office).
    map: Option<String>,
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
    fn date(&self, at: &Option<i64>) -> String {
        at.map(|t| fanxing_core::training::format_local(t)[..10].to_string())
            .unwrap_or_else(|| "—".into())
    }
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `/match`: what the caller's side does here.
pub async fn home(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
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
        m.applications(actor).await?
    } else {
        Vec::new()
    };
    let apps = apps
        .into_iter()
        .map(|app| {
            let (offer, partner) = title_of(app.offer_id);
            let moves = if office {
                Vec::new()
            } else {
                pipeline::moves_for(app.state, who)
            };
            AppLine {
                app,
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
            kinds: OfferKind::ALL
                .iter()
                .map(|k| (k.as_str(), ctx.t(k.label_key()).to_string()))
                .collect(),
            apps,
            offers: if partner { offers } else { Vec::new() },
            rollup,
            children,
            map,
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
}

/// Parses an amount in yuan as typed (`30000`, `3万`, `30,000`); `None`
/// when empty, `Err` when it is not an amount.
fn parse_yuan(raw: &str) -> Result<Option<i64>, ()> {
    let t: String = fanxing_core::values::to_half_width(raw)
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '元'))
        .collect();
    if t.is_empty() {
        return Ok(None);
    }
    let (num, scale) = match t.strip_suffix('万') {
        Some(n) => (n, 10_000.0),
        None => (t.as_str(), 1.0),
    };
    let v: f64 = num.parse().map_err(|_| ())?;
    if !v.is_finite() || v < 0.0 || v * scale > 1e12 {
        return Err(());
    }
    Ok(Some((v * scale * 100.0).round() as i64))
}

/// `POST /match/needs`: states a need for the caller's enterprise.
pub async fn state_need(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<NeedForm>,
) -> PageResult {
    let actor = ctx.actor()?;
    let Some(org) = state.matching.my_enterprise(actor).await? else {
        return Err(Error::Forbidden.into());
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
    match state.matching.state_need(actor, &input).await {
        Ok(need) => Ok(Redirect::to(&format!("/match/needs/{}", need.id)).into_response()),
        Err(Error::Invalid(e)) => home_page(&state, &ctx, e, None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "match_need.html")]
struct NeedPage<'a> {
    ctx: &'a Ctx,
    need: Need,
    matches: Vec<Explained>,
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
    fn passed(&self, r: &RuleResult) -> bool {
        matches!(r, RuleResult::Passed)
    }
}

/// `/match/needs/{id}`: every offer of the need's kind, explained.
pub async fn need(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = path_id(&ctx, &id)?;
    need_page(&state, &ctx, id, None).await
}

async fn need_page(state: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> PageResult {
    let actor = ctx.actor()?;
    let need = state.matching.need(actor, id).await?;
    let matches = state.matching.matches(actor, id).await?;
    let may_apply = state.matching.my_enterprise(actor).await? == Some(need.draft.org_id);
    render(
        ctx,
        &NeedPage {
            ctx,
            need,
            matches,
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
            need_page(&state, &ctx, id, Some(msg)).await
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
    match state.matching.act(actor, id, action, comment, amount).await {
        Ok(_) => Ok(Redirect::to("/match?done=moved").into_response()),
        Err(Error::Invalid(e)) => home_page(&state, &ctx, e, None).await,
        Err(e) => Err(e.into()),
    }
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
