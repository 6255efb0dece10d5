//! Pages for training: the session list and page, registering on a phone,
//! "my sessions" with QR tickets, the check-in page, the online watch page
//! and a programme's progress.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fanxing_core::people::Tier;
use fanxing_core::store::Page;
use fanxing_core::training::service::SessionView;
use fanxing_core::training::store::MyRegistration;
use fanxing_core::training::{
    AllocationGap, Counts, Progress, ProgressNode, Registration, Session, SessionId, SessionStatus,
    Venue, VenueId, VenueKind,
};
use fanxing_core::{Error, Lang};
use serde::Deserialize;

use crate::ctx::{CsrfForm, Ctx};
use crate::error::PageError;
use crate::pages::{path_id, render, Pager};
use crate::AppState;

type PageResult = Result<Response, PageError>;

/// The catalog entries a script needs, as JSON for a
/// `<script type="application/json">` block (not executed, so CSP-safe).
fn messages(lang: Lang, keys: &[&str]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = keys
        .iter()
        .map(|k| {
            (
                k.to_string(),
                serde_json::Value::String(lang.t(k).to_string()),
            )
        })
        .collect();
    // `</` cannot end the script block early once escaped.
    serde_json::Value::Object(map)
        .to_string()
        .replace("</", "<\\/")
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    region: Option<String>,
    saved: Option<String>,
    outcome: Option<String>,
}

#[derive(Template)]
#[template(path = "training/sessions.html")]
struct SessionsPage<'a> {
    ctx: &'a Ctx,
    sessions: Page<Session>,
    count: String,
    pager: Pager,
    can_create: bool,
    is_office: bool,
    /// The filters as chosen, for the form.
    q: String,
    region: String,
    tier: String,
    when: &'static str,
    status: String,
    regions: Vec<crate::pages::Choice>,
    tiers: Vec<(&'static str, String)>,
    statuses: Vec<(&'static str, String)>,
}

/// The session list's filters as the query string carries them.
#[derive(Deserialize, Default)]
pub struct SessionsQuery {
    q: Option<String>,
    region: Option<String>,
    /// A tier, or `all`; a trainee's own tier when absent.
    tier: Option<String>,
    when: Option<String>,
    status: Option<String>,
    page: Option<i64>,
}

pub async fn sessions(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SessionsQuery>,
) -> PageResult {
    let actor = ctx.user();
    let region = fanxing_core::region::region_filter(q.region.as_deref())?;
    let is_office = actor.is_some_and(|a| a.write_range().is_ok());
    // A trainee sees the sessions open to their tier unless they ask for all.
    let mut tier = match q.tier.as_deref().unwrap_or("") {
        "" | "all" => None,
        t => Some(
            Tier::parse(t).ok_or_else(|| PageError::from(Error::field("tier", "error.choice")))?,
        ),
    };
    if q.tier.is_none() {
        if let Some(a) = actor.filter(|a| a.role().is_trainee()) {
            if let Some(p) = state.app.people.own_person(a).await? {
                tier = Some(p.tier);
            }
        }
    }
    let when = fanxing_core::training::service::When::parse(q.when.as_deref().unwrap_or(""))
        .ok_or_else(|| PageError::from(Error::field("when", "error.choice")))?;
    let status = match q.status.as_deref().unwrap_or("") {
        "" => None,
        s => Some(
            SessionStatus::parse(s)
                .ok_or_else(|| PageError::from(Error::field("status", "error.choice")))?,
        ),
    };
    let filter = fanxing_core::training::service::SessionFilter {
        region,
        tier,
        text: q.q.clone(),
        when,
        status,
    };
    let page = q.page.unwrap_or(1).max(1);
    let sessions = state
        .app
        .training
        .find_sessions(actor, &filter, page)
        .await?;
    let pages = ((sessions.total + 49) / 50).max(1);
    let tier_param = match (tier, q.tier.as_deref()) {
        (Some(t), _) => t.as_str().to_string(),
        (None, Some("all")) => "all".to_string(),
        _ => String::new(),
    };
    let mut params = Vec::new();
    for (k, v) in [
        ("q", q.q.as_deref().unwrap_or("").trim().to_string()),
        ("region", q.region.clone().unwrap_or_default()),
        ("tier", tier_param.clone()),
        ("when", q.when.clone().unwrap_or_default()),
        ("status", q.status.clone().unwrap_or_default()),
    ] {
        if !v.is_empty() {
            params.push(format!("&{k}={}", crate::error::urlencode(&v)));
        }
    }
    let params = params.concat();
    let href = |n: i64| format!("/sessions?page={n}{params}");
    let pager = Pager {
        page,
        pages,
        prev: (page > 1).then(|| href(page - 1)),
        next: (page < pages).then(|| href(page + 1)),
    };
    let count = ctx.tf(
        "sessions.count",
        &[("n", &fanxing_core::numfmt::grouped(sessions.total))],
    );
    let regions = match actor.filter(|_| is_office) {
        Some(a) => state.app.people.regions_in_scope(a).await?,
        None => {
            state
                .app
                .people
                .regions(Some(fanxing_core::region::RegionLevel::City), None)
                .await?
        }
    };
    render(
        &ctx,
        &SessionsPage {
            ctx: &ctx,
            sessions,
            count,
            pager,
            can_create: is_office,
            is_office,
            q: q.q.unwrap_or_default(),
            region: q.region.unwrap_or_default(),
            tier: tier_param,
            when: when.as_str(),
            status: q.status.unwrap_or_default(),
            regions: crate::pages::region_choices(&regions),
            tiers: Tier::ALL
                .iter()
                .map(|t| (t.as_str(), ctx.t(t.label_key()).to_string()))
                .collect(),
            statuses: [
                SessionStatus::Draft,
                SessionStatus::Published,
                SessionStatus::UnderWay,
                SessionStatus::Closed,
                SessionStatus::Cancelled,
            ]
            .iter()
            .map(|s| (s.as_str(), ctx.t(s.label_key()).to_string()))
            .collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "training/session.html")]
struct SessionPage<'a> {
    ctx: &'a Ctx,
    v: SessionView,
    mine: Option<Registration>,
    can_register: bool,
    suggested: Option<VenueId>,
    manages: bool,
    can_import: bool,
    transitions: Vec<(&'static str, String)>,
    flash: Option<String>,
    error: Option<String>,
    /// Registration is open now (for the visitor's "log in to register").
    open_now: bool,
    /// Why the logged-in person may not register (tier or region), said
    /// before they try.
    ineligible: Option<String>,
}

impl SessionPage<'_> {
    fn venue_name(&self, id: &VenueId) -> String {
        self.v
            .venues
            .iter()
            .find(|l| l.venue.id == *id)
            .map(|l| l.venue.name.clone())
            .unwrap_or_default()
    }

    fn is_suggested(&self, id: &VenueId) -> bool {
        self.suggested == Some(*id)
    }

    fn is_online(&self, id: &VenueId) -> bool {
        self.v
            .venues
            .iter()
            .any(|l| l.venue.id == *id && l.venue.kind == VenueKind::Online)
    }
}

async fn session_page(
    state: &AppState,
    ctx: &Ctx,
    id: SessionId,
    flash: Option<String>,
    error: Option<String>,
) -> PageResult {
    let actor = ctx.user();
    let v = state.app.training.session_view(actor, id).await?;
    let mut mine = None;
    let mut can_register = false;
    let mut suggested = None;
    let mut ineligible = None;
    if let Some(actor) = actor.filter(|a| a.user.person_id.is_some()) {
        mine = state.app.training.my_registration(actor, id).await?;
        can_register = v.session.is_open_for_registration(fanxing_core::now());
        if let Some(p) = state.app.people.own_person(actor).await? {
            suggested =
                fanxing_core::training::suggest_venue(&v.venues, p.region).map(|l| l.venue.id);
            if let Some(key) = v.session.ineligibility(p.tier, p.region) {
                can_register = false;
                ineligible = Some(ctx.t(key).to_string());
            }
        }
    }
    let open_now = v.session.is_open_for_registration(fanxing_core::now());
    let manages = state.app.training.manages(actor, &v.session);
    let can_import = match actor {
        Some(a) => state.app.training.can_import_roster(a, id).await.is_ok(),
        None => false,
    };
    use SessionStatus::*;
    let next: &[SessionStatus] = match v.session.status {
        Draft => &[Published, Cancelled],
        Published => &[UnderWay, Closed, Cancelled],
        UnderWay => &[Closed, Cancelled],
        Closed | Cancelled => &[],
    };
    let transitions = next
        .iter()
        .map(|s| {
            (
                s.as_str(),
                ctx.t(&format!("sessions.to_{}", s.as_str())).to_string(),
            )
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(
        ctx,
        &SessionPage {
            ctx,
            v,
            mine,
            can_register,
            suggested,
            manages,
            can_import,
            transitions,
            flash,
            error,
            open_now,
            ineligible,
        },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn session(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<crate::pages::DoneQuery>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let flash = q
        .done
        .as_deref()
        .map(|k| ctx.t(&format!("sessions.done_{k}")).to_string());
    session_page(&state, &ctx, id, flash, None).await
}

/// The registration form: the venue chosen (none: the suggested one).
#[derive(serde::Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    venue_id: String,
}

pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let venue = form.venue_id.trim().parse::<VenueId>().ok();
    match state.app.training.register(actor, id, None, venue).await {
        Ok(out) => {
            let done = if out.waitlisted {
                "waitlisted"
            } else {
                "registered"
            };
            Ok(Redirect::to(&format!("/sessions/{id}?done={done}")).into_response())
        }
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            let msg = e.detail(ctx.lang);
            session_page(&state, &ctx, id, None, Some(msg)).await
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

/// A session's new status, with a notice for those registered.
#[derive(serde::Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    notice: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let to = SessionStatus::parse(form.status.trim())
        .ok_or_else(|| PageError::from(Error::field("status", "error.choice")))?;
    let notice = Some(form.notice).filter(|n| !n.trim().is_empty());
    match state
        .app
        .training
        .set_session_status(actor, id, to, notice.as_deref())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}?done=status")).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let msg = e.detail(ctx.lang);
            session_page(&state, &ctx, id, None, Some(msg)).await
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

pub async fn cancel_registration(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let session = state.app.training.registration_session(actor, id).await?;
    state.app.training.cancel_registration(actor, id).await?;
    Ok(Redirect::to(&format!("/sessions/{session}?done=cancelled")).into_response())
}

#[derive(Template)]
#[template(path = "training/my_sessions.html")]
struct MySessionsPage<'a> {
    ctx: &'a Ctx,
    regs: Vec<MyRegistration>,
    notes: Vec<(i64, String)>,
    feed: Option<String>,
    /// For saying which past sessions were not attended.
    now: i64,
}

pub async fn my_sessions(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    let regs = state.app.training.my_registrations(actor).await?;
    let notes = state.app.training.my_notifications(actor).await?;
    render(
        &ctx,
        &MySessionsPage {
            ctx: &ctx,
            regs,
            notes,
            feed: state.app.reports.feed_path(actor),
            now: fanxing_core::now(),
        },
    )
}

#[derive(Template)]
#[template(path = "training/ticket.html")]
struct TicketPage<'a> {
    ctx: &'a Ctx,
    session: Session,
    venue: Venue,
    code: String,
    svg: String,
}

pub async fn ticket(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let (r, code) = state.app.training.ticket(actor, id).await?;
    let view = state
        .app
        .training
        .session_view(Some(actor), r.session_id)
        .await?;
    let venue = view
        .venues
        .into_iter()
        .find(|l| l.venue.id == r.venue_id)
        .map(|l| l.venue)
        .ok_or_else(|| PageError::from(Error::NotFound))?;
    let svg = crate::qr::svg(&code)?;
    render(
        &ctx,
        &TicketPage {
            ctx: &ctx,
            session: view.session,
            venue,
            code,
            svg,
        },
    )
}

#[derive(Template)]
#[template(path = "training/checkin_list.html")]
struct CheckinListPage<'a> {
    ctx: &'a Ctx,
    venues: Vec<(Session, Venue)>,
}

pub async fn checkin_list(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    if !actor.role().may_check_in() {
        return Err(PageError::new(&ctx, Error::Forbidden));
    }
    let venues = state.app.training.my_checkin_venues(actor).await?;
    render(&ctx, &CheckinListPage { ctx: &ctx, venues })
}

#[derive(Template)]
#[template(path = "training/checkin.html")]
struct CheckinPage<'a> {
    ctx: &'a Ctx,
    session: Session,
    venue: Venue,
    messages: String,
}

const CHECKIN_KEYS: &[&str] = &[
    "checkin.ok",
    "checkin.duplicate",
    "checkin.malformed",
    "checkin.forged",
    "checkin.other_session",
    "checkin.other_venue",
    "checkin.other_venue_confirm",
    "checkin.cancelled",
    "checkin.waitlisted",
    "checkin.online",
    "checkin.offline",
    "checkin.synced",
    "checkin.queued_note",
    "checkin.online_only",
    "checkin.offline_ready",
    "checkin.no_kit",
    "checkin.unknown",
    "checkin.not_open",
];

pub async fn checkin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    // The same access rule as the device kit; the kit itself is fetched by the page.
    let kit = state.app.training.checkin_kit(actor, id).await?;
    let venue = kit
        .venues
        .iter()
        .find(|l| l.venue.id == id)
        .map(|l| l.venue.clone())
        .ok_or_else(|| PageError::new(&ctx, Error::NotFound))?;
    render(
        &ctx,
        &CheckinPage {
            ctx: &ctx,
            session: kit.session,
            venue,
            messages: messages(ctx.lang, CHECKIN_KEYS),
        },
    )
}

const SW_JS: &str = include_str!("../../static/checkin-sw.js");

/// The check-in service worker, served under `/checkin/` so that its scope
/// covers the check-in pages.
pub async fn service_worker() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        SW_JS,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "training/watch.html")]
struct WatchPage<'a> {
    ctx: &'a Ctx,
    session: Session,
    venue: Venue,
    messages: String,
}

pub async fn watch(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let reg = state
        .app
        .training
        .my_registration(actor, id)
        .await?
        .filter(|r| r.status == fanxing_core::training::RegistrationStatus::Registered)
        .ok_or_else(|| PageError::from(Error::NotFound))?;
    let view = state.app.training.session_view(Some(actor), id).await?;
    let venue = view
        .venues
        .into_iter()
        .map(|l| l.venue)
        .find(|v| v.id == reg.venue_id && v.kind == VenueKind::Online)
        .ok_or_else(|| PageError::from(Error::NotFound))?;
    render(
        &ctx,
        &WatchPage {
            ctx: &ctx,
            session: view.session,
            venue,
            messages: messages(
                ctx.lang,
                &["watch.present", "watch.not_open", "watch.offline"],
            ),
        },
    )
}

#[derive(Template)]
#[template(path = "training/programme.html")]
struct ProgrammePage<'a> {
    ctx: &'a Ctx,
    p: Progress,
    tiers: Vec<(&'static str, String)>,
    /// Child regions whose targets the caller may set.
    allocatable: Vec<ProgressNode>,
    flash: Option<String>,
    /// The province choropleth (province level only), SVG.
    map: Option<String>,
    burn_up: String,
    laggards: Vec<fanxing_core::reports::service::Laggard>,
    upcoming: Vec<Session>,
    /// Whether the people trained now sell better (`impact_card.html`).
    impact: Option<crate::analytics::pages::ImpactView>,
    /// The estimate is still being computed.
    impact_pending: bool,
    /// The programme office may set the certificates' issuing authority.
    can_set_issuer: bool,
    /// Resource matching in the region: what was approved and disbursed.
    matching: Option<String>,
}

impl ProgrammePage<'_> {
    fn actual(&self, n: &ProgressNode, tier: &str) -> Counts {
        n.actuals.by_tier.get(tier).copied().unwrap_or_default()
    }

    fn target(&self, n: &ProgressNode, tier: &str) -> Counts {
        n.targets.by_tier.get(tier).copied().unwrap_or_default()
    }

    fn pct(&self, actual: &i64, target: &i64) -> String {
        if *target <= 0 {
            "—".into()
        } else {
            format!("{:.0}%", *actual as f64 * 100.0 / *target as f64)
        }
    }

    fn bar(&self, actual: &i64, target: &i64) -> i64 {
        if *target <= 0 {
            0
        } else {
            (*actual * 100 / *target).clamp(0, 100)
        }
    }

    fn pct_f(&self, v: &f64) -> String {
        format!("{:.0}%", v * 100.0)
    }

    /// A tier's target as a table cell: "—" when targets were set for all
    /// tiers together only (a 0 there would read as "no target").
    fn tier_target(&self, n: &ProgressNode, tier: &str, attendances: bool) -> String {
        let t = self.target(n, tier);
        let any_tier = n
            .targets
            .by_tier
            .values()
            .any(|c| c.sessions > 0 || c.attendances > 0);
        let v = if attendances {
            t.attendances
        } else {
            t.sessions
        };
        if v == 0 && !any_tier {
            "—".into()
        } else {
            fanxing_core::numfmt::grouped(v)
        }
    }

    /// A headline count (万/亿 from 100,000).
    fn num(&self, n: &i64) -> String {
        fanxing_core::numfmt::count(*n, self.ctx.lang)
    }

    /// An exact count with thousands separators, for tables.
    fn exact(&self, n: &i64) -> String {
        fanxing_core::numfmt::grouped(*n)
    }

    fn gap_text(&self, g: &AllocationGap) -> String {
        let tier = g
            .tier
            .map(|t| self.ctx.t(&format!("tier.{t}")).to_string())
            .unwrap_or_else(|| self.ctx.t("progress.all_tiers").to_string());
        self.ctx.tf(
            "progress.gap",
            &[
                ("measure", self.ctx.t(&format!("progress.{}", g.measure))),
                ("tier", &tier),
                ("target", &fanxing_core::numfmt::grouped(g.target)),
                ("allocated", &fanxing_core::numfmt::grouped(g.allocated)),
            ],
        )
    }
}

pub async fn programme(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let region = fanxing_core::region::region_filter(q.region.as_deref())?;
    let dash = state.app.reports.dashboard(actor, id, region).await?;
    let p = dash.progress.clone();
    let tiers = fanxing_core::people::Tier::ALL
        .iter()
        .map(|t| (t.as_str(), ctx.t(t.label_key()).to_string()))
        .collect();
    let range = actor.write_range().ok();
    let own = actor.user.region;
    let admin = actor.role().is_programme_office();
    let allocatable = p
        .children
        .iter()
        .filter(|c| c.region != p.node.region)
        .filter(|c| {
            range.map(|r| r.contains(c.region)).unwrap_or(false) && (admin || Some(c.region) != own)
        })
        .cloned()
        .collect();
    let flash = q.saved.as_deref().map(|what| {
        ctx.t(match what {
            "issuer" => "programme.issuer_saved",
            _ => "progress.saved",
        })
        .to_string()
    });
    let (points, laggards) = (&dash.points, dash.laggards.clone());
    let start = fanxing_core::training::parse_date(&p.programme.starts_on).unwrap_or(0);
    let end = fanxing_core::training::parse_date(&p.programme.ends_on).unwrap_or(start) + 86400;
    let burn_up = crate::charts::burn_up(
        points,
        start,
        end,
        p.node.targets.total.attendances,
        fanxing_core::now(),
        (ctx.t("dashboard.actual"), ctx.t("dashboard.plan")),
        ctx.lang,
    );
    let map =
        (p.node.region.shape_level() == fanxing_core::region::RegionLevel::Province).then(|| {
            let values: Vec<crate::charts::CityValue> = p
                .children
                .iter()
                .map(|c| {
                    let share = (c.targets.total.attendances > 0).then(|| {
                        c.actuals.total.attendances as f64 / c.targets.total.attendances as f64
                    });
                    crate::charts::CityValue {
                        code: c.region.to_string(),
                        share,
                        title: format!(
                            "{}：{} / {} {}",
                            c.name,
                            c.actuals.total.attendances,
                            c.targets.total.attendances,
                            ctx.t("progress.attendances")
                        ),
                        href: format!("/programmes/{}?region={}", p.programme.id, c.region),
                    }
                })
                .collect();
            crate::charts::province_map(&values, ctx.t("dashboard.map"))
        });
    let upcoming = dash.upcoming.clone();
    let outcome = crate::analytics::pages::outcome_param(q.outcome.as_deref())?;
    let code = p.node.region.to_string();
    let (impact, impact_pending) =
        crate::analytics::pages::impact_card(&state, &ctx, actor, p.node.region, outcome, |o| {
            format!(
                "/programmes/{}?region={code}&outcome={o}#impact",
                p.programme.id
            )
        })
        .await?;
    let matching = state
        .matching
        .rollup(actor, Some(p.node.region))
        .await
        .ok()
        .map(|r| {
            ctx.tf(
                "match.card_hint",
                &[
                    ("approved", &r.approved.to_string()),
                    (
                        "amount",
                        &fanxing_core::numfmt::yuan(r.disbursed_fen, ctx.lang),
                    ),
                ],
            )
        });
    render(
        &ctx,
        &ProgrammePage {
            ctx: &ctx,
            p,
            tiers,
            allocatable,
            flash,
            map,
            burn_up,
            laggards,
            upcoming,
            impact,
            impact_pending,
            can_set_issuer: admin,
            matching,
        },
    )
}

// ---- Roster import ----------------------------------------------------------

#[derive(Template)]
#[template(path = "training/roster.html")]
struct RosterPage<'a> {
    ctx: &'a Ctx,
    session: Session,
    done: Option<String>,
    failed: String,
    errors: Vec<String>,
}

fn outcome_text(lang: Lang, o: &fanxing_core::training::store::RosterOutcome) -> String {
    let sheet = o
        .sheet
        .as_deref()
        .map(|s| format!(" {}", lang.tf("analytics.sheet_read", &[("sheet", s)])))
        .unwrap_or_default();
    lang.tf(
        "roster.done",
        &[
            ("created", &o.created.to_string()),
            ("matched", &o.matched.to_string()),
            ("registered", &o.registered.to_string()),
            ("waitlisted", &o.waitlisted.to_string()),
            ("already", &o.already.to_string()),
        ],
    ) + &sheet
}

async fn roster_page(
    state: &AppState,
    ctx: &Ctx,
    id: SessionId,
    done: Option<String>,
    errors: Vec<String>,
) -> PageResult {
    let actor = ctx.actor()?;
    let session = state
        .app
        .training
        .session_view(Some(actor), id)
        .await?
        .session;
    let failed = ctx.tf("roster.failed", &[("n", &errors.len().to_string())]);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = render(
        ctx,
        &RosterPage {
            ctx,
            session,
            done,
            failed,
            errors,
        },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn roster_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    // Same rule as importing: refuse before showing the form.
    state.app.training.can_import_roster(actor, id).await?;
    roster_page(&state, &ctx, id, None, Vec::new()).await
}

pub async fn import_roster(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    // Log-in is checked before the body is read.
    let (csrf, name, bytes) =
        crate::pages::read_upload(&ctx, form, "roster.bad_type", "roster.too_large").await?;
    ctx.check_csrf(&csrf)?;
    match state
        .app
        .training
        .import_roster(actor, id, &name, &bytes)
        .await
    {
        Ok(Ok(outcome)) => {
            let text = outcome_text(ctx.lang, &outcome);
            roster_page(&state, &ctx, id, Some(text), Vec::new()).await
        }
        Ok(Err(rows)) => {
            let errors = rows.iter().take(500).map(|e| e.message(ctx.lang)).collect();
            roster_page(&state, &ctx, id, None, errors).await
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = e.fields().0.iter().map(|f| f.message(ctx.lang)).collect();
            roster_page(&state, &ctx, id, None, errors).await
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

/// The roster template, an `.xlsx` with the expected headers.
pub async fn roster_template(ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    actor.write_range()?;
    let bytes = fanxing_core::training::roster::template_xlsx()?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"roster-template.xlsx\"; filename*=UTF-8''%E6%8A%A5%E5%90%8D%E5%90%8D%E5%8D%95%E6%A8%A1%E6%9D%BF.xlsx"),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---- Live monitor -----------------------------------------------------------

#[derive(Template)]
#[template(path = "training/monitor.html")]
struct MonitorPage<'a> {
    ctx: &'a Ctx,
    v: SessionView,
    live: fanxing_core::training::service::Live,
    updated: String,
}

impl MonitorPage<'_> {
    fn shown(&self, l: &fanxing_core::training::VenueLoad) -> i64 {
        self.live
            .venues
            .iter()
            .find(|v| v.id == l.venue.id)
            .map(|v| v.shown)
            .unwrap_or(0)
    }
}

pub async fn monitor(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let (v, live) = state.app.training.live(actor, id).await?;
    let updated = fanxing_core::training::format_local_time(fanxing_core::now());
    render(
        &ctx,
        &MonitorPage {
            ctx: &ctx,
            v,
            live,
            updated,
        },
    )
}

// ---- Calendars ----------------------------------------------------------------

fn ics(body: String, name: &str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// The site's own address, for links inside calendar files.
pub(crate) fn base_url(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    // Behind a TLS-terminating proxy, links keep the scheme users see.
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some(p) if p.trim().eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

pub async fn session_calendar(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let body = state
        .app
        .reports
        .session_ics(ctx.user(), id, &base_url(&headers))
        .await?;
    Ok(ics(body, &format!("session-{id}.ics")))
}

pub async fn feed(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Path(feed): Path<String>,
) -> PageResult {
    let body = state
        .app
        .reports
        .feed_ics(&feed, &base_url(&headers))
        .await?;
    Ok(ics(body, "fanxing.ics"))
}

// ---- Excel exports ----------------------------------------------------------------

fn xlsx(bytes: Vec<u8>, name: &str) -> Response {
    crate::download::download(bytes, crate::download::XLSX, name)
}

/// An export's file name: what it is, for which region or session, and the
/// day (Beijing time), e.g. `苏州市培训进度-2026-12-02.xlsx`.
fn export_name(ctx: &Ctx, what: &str, of: &str) -> String {
    let day = fanxing_core::training::format_local(fanxing_core::now());
    let day = day.get(..10).unwrap_or("");
    let name = ctx.tf(what, &[("of", of), ("date", day)]);
    // Nothing that would upset a file system.
    name.chars()
        .map(|c| {
            if "/\\:*?\"<>|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// The name of the region a progress export is for (the caller's own when
/// none is asked for).
async fn region_name(
    state: &AppState,
    actor: &fanxing_core::auth::Actor,
    region: Option<fanxing_core::region::RegionCode>,
) -> String {
    match actor.stats_region(region) {
        Ok(code) => match state.app.people.region(code).await {
            Ok(r) => r.name,
            _ => code.to_string(),
        },
        Err(_) => String::new(),
    }
}

pub async fn progress_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let region = fanxing_core::region::region_filter(q.region.as_deref())?;
    let bytes = state
        .app
        .reports
        .progress_report(actor, id, region, ctx.lang)
        .await?;
    let of = region_name(&state, actor, region).await;
    Ok(xlsx(bytes, &export_name(&ctx, "export.progress_name", &of)))
}

pub async fn attendance_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let bytes = state
        .app
        .reports
        .attendance_report(actor, id, ctx.lang)
        .await?;
    let title = match state.app.training.session_view(Some(actor), id).await {
        Ok(v) => v.session.title,
        Err(_) => id.to_string(),
    };
    Ok(xlsx(
        bytes,
        &export_name(&ctx, "export.attendance_name", &title),
    ))
}

/// Every attendance of a programme in a region, streamed: the workbook is
/// written page by page to an unlinked temporary file and sent from there.
pub async fn attendances_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let io = |e: std::io::Error| PageError::new(&ctx, Error::Store(format!("export file: {e}")));
    let region = fanxing_core::region::region_filter(q.region.as_deref())?;
    let mut out = std::io::BufWriter::new(tempfile::tempfile().map_err(io)?);
    state
        .app
        .reports
        .export_attendances(actor, id, region, ctx.lang, &mut out)
        .await?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    let of = region_name(&state, actor, region).await;
    let name = export_name(&ctx, "export.attendances_name", &of);
    crate::download::file_download(file, crate::download::XLSX, &name).map_err(io)
}
