//! Pages for live-commerce analytics: the rooms list, a room's page (KPIs
//! against peers, funnel, monthly GMV, findings, export upload) and the
//! province statistics.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use fanxing_core::analytics::service::{Outcome, StatReport};
use fanxing_core::analytics::{
    Benchmark, Finding, Kpi, Provenance, Room, RoomId, RoomInput, StatGroup,
};
use fanxing_core::numfmt;
use fanxing_core::store::Page;
use fanxing_core::Error;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::pages::{path_id, render, saved_or_form, Pager};
use crate::AppState;

type PageResult = Result<axum::response::Response, PageError>;

/// A KPI value as people read it: rates in per cent, money in yuan.
pub fn show(kpi: Kpi, v: Option<f64>) -> String {
    let Some(v) = v else {
        return "—".into();
    };
    match kpi {
        Kpi::InteractionRate
        | Kpi::FollowRate
        | Kpi::ProductClickRate
        | Kpi::ClickToOrder
        | Kpi::ViewToOrder
        | Kpi::RefundRate => format!("{}%", numfmt::decimal(v * 100.0, 2)),
        // Sums of sales: whole yuan, the cents of a total say nothing.
        Kpi::Gmv | Kpi::NetGmv => numfmt::yuan_whole((v * 100.0).round() as i64),
        Kpi::UvValue | Kpi::Gpm | Kpi::Aov => format!("¥{}", numfmt::decimal(v, 2)),
        _ => numfmt::grouped(v.round() as i64),
    }
}

#[derive(Deserialize, Default)]
pub struct AnalyticsQuery {
    page: Option<String>,
    from: Option<String>,
    to: Option<String>,
    region: Option<String>,
    provenance: Option<String>,
    imported: Option<String>,
    outcome: Option<String>,
    q: Option<String>,
    saved: Option<String>,
    sheet: Option<String>,
    changed: Option<String>,
    changed_ids: Option<String>,
}

/// `YYYY-MM` as `YYYYMM`, or the default; a malformed value is a field error.
fn month(raw: Option<&str>, field: &'static str, default: i64) -> Result<i64, Error> {
    fanxing_core::analytics::compact_date(raw, field, 6, default)
}

fn provenance(raw: Option<&str>) -> Result<Provenance, Error> {
    Provenance::parse_or_official(raw)
}

#[derive(Template)]
#[template(path = "analytics/rooms.html")]
struct RoomsPage<'a> {
    ctx: &'a Ctx,
    rooms: Page<Room>,
    pager: Pager,
    is_office: bool,
    /// Offices that may add rooms.
    can_create: bool,
    q: String,
}

pub async fn rooms(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AnalyticsQuery>,
) -> PageResult {
    let actor = ctx.actor()?;
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .max(1);
    let text = q.q.clone().unwrap_or_default();
    let rooms = state.app.analytics.rooms(actor, Some(&text), page).await?;
    let per = fanxing_core::analytics::service::ROOMS_PER_PAGE;
    let pages = ((rooms.total + per - 1) / per).max(1);
    let link = |p: i64| {
        let mut s = format!("/rooms?page={p}");
        if !text.trim().is_empty() {
            s.push_str("&q=");
            s.push_str(&crate::error::urlencode(text.trim()));
        }
        s
    };
    let pager = Pager {
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    };
    render(
        &ctx,
        &RoomsPage {
            ctx: &ctx,
            rooms,
            pager,
            is_office: actor.office_range().is_some(),
            can_create: actor.write_range().is_ok(),
            q: text.clone(),
        },
    )
}

/// One KPI line of the room page.
struct KpiLine {
    label: String,
    /// What the measure is, for the less common ones (GPM, UV value).
    explain: String,
    value: String,
    median: String,
    excellent: String,
    percentile: Option<u32>,
    /// "第 71 百分位" and what it means ("超过 71% 的同类").
    percentile_text: String,
    percentile_meaning: String,
    peers: String,
}

#[derive(Template)]
#[template(path = "analytics/room.html")]
struct RoomPage<'a> {
    ctx: &'a Ctx,
    room: Room,
    from: String,
    to: String,
    provenances: Vec<(&'static str, String, bool)>,
    lines: Vec<KpiLine>,
    findings: Vec<(Finding, String)>,
    funnel: String,
    trend: String,
    sessions: i64,
    message: Option<String>,
    errors: Vec<String>,
    /// Offices over the room: its operators (id, name, masked mobile).
    can_manage: bool,
    operators: Vec<(fanxing_core::people::PersonId, String, String)>,
    /// Cases from the library on the competency the first weak KPI points
    /// to, peers of the room's industry first.
    cases: Vec<fanxing_core::knowledge::search::Hit>,
}

pub async fn room(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<AnalyticsQuery>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let message = match (&q.imported, &q.saved) {
        (Some(n), _) => {
            let mut m = ctx.tf("analytics.imported_new", &[("n", n)]);
            if let Some(sheet) = q.sheet.as_deref().filter(|s| !s.is_empty()) {
                m = format!(
                    "{m} {}",
                    ctx.tf("analytics.sheet_read", &[("sheet", sheet)])
                );
            }
            if let Some(changed) = q.changed.as_deref().filter(|c| c.parse::<u64>().is_ok()) {
                let ids: String = q
                    .changed_ids
                    .as_deref()
                    .unwrap_or("")
                    .chars()
                    .take(300)
                    .collect();
                m = format!(
                    "{m} {}",
                    ctx.tf("analytics.changed", &[("n", changed), ("ids", &ids)])
                );
            }
            Some(m)
        }
        (None, Some(_)) => Some(ctx.t("room.operators_saved").to_string()),
        _ => None,
    };
    room_page(&state, &ctx, id, &q, message, Vec::new()).await
}

async fn room_page(
    state: &AppState,
    ctx: &Ctx,
    id: RoomId,
    q: &AnalyticsQuery,
    message: Option<String>,
    errors: Vec<String>,
) -> PageResult {
    let actor = ctx.actor()?;
    let from = month(q.from.as_deref(), "from", 0)?;
    let to = month(q.to.as_deref(), "to", 999_912)?;
    let prov = provenance(q.provenance.as_deref())?;
    let room = state.app.analytics.room(actor, id).await?;
    let can_manage = actor
        .write_range()
        .map(|r| r.contains(room.region))
        .unwrap_or(false);
    let operators = if can_manage {
        state
            .app
            .analytics
            .room_operator_people(actor, &room)
            .await?
    } else {
        Vec::new()
    };
    let d = state
        .app
        .analytics
        .room_diagnosis(actor, id, prov, from, to)
        .await?;
    let s = d.kpis.sums;
    let lines = d
        .benchmarks
        .iter()
        .map(|b: &Benchmark| KpiLine {
            label: ctx.t(b.kpi.label_key()).to_string(),
            explain: match b.kpi {
                Kpi::Gpm => ctx.t("kpi.gpm_explained").to_string(),
                Kpi::UvValue => ctx.t("kpi.uv_value_explained").to_string(),
                _ => String::new(),
            },
            value: show(b.kpi, b.value),
            median: show(b.kpi, b.median),
            excellent: show(b.kpi, b.excellent),
            percentile: b.percentile.map(|p| p.round() as u32),
            percentile_text: b
                .percentile
                .map(|p| numfmt::percentile(p, ctx.lang))
                .unwrap_or_else(|| "—".into()),
            percentile_meaning: b
                .percentile
                .map(|p| numfmt::percentile_meaning(p, ctx.lang))
                .unwrap_or_default(),
            peers: format!(
                "{} · {}",
                ctx.t(b.level.label_key()),
                ctx.tf(
                    "analytics.peer_rooms",
                    &[("n", &numfmt::grouped(b.peers as i64))]
                )
            ),
        })
        .collect();
    let competencies = state.app.curriculum.competencies().await?;
    let findings = d
        .findings
        .iter()
        .map(|f| {
            let competency = f
                .competency
                .map(|c| {
                    let name = competencies
                        .iter()
                        .find(|k| k.code == c)
                        .map(|k| k.name(ctx.lang).to_string())
                        .unwrap_or_else(|| c.to_string());
                    ctx.tf("analytics.work_on", &[("competency", &name)])
                })
                .unwrap_or_default();
            (f.clone(), competency)
        })
        .collect();
    let cases = match d.findings.iter().find_map(|f| f.competency) {
        Some(c) => {
            let q = fanxing_core::knowledge::search::SearchQuery {
                text: room.industry.clone(),
                filters: fanxing_core::knowledge::search::Filters {
                    kind: Some(fanxing_core::knowledge::DocKind::Case),
                    competency: Some(c.to_string()),
                    ..Default::default()
                },
                per_page: 3,
                ..Default::default()
            };
            state.app.knowledge.search(Some(actor), q).await?.hits
        }
        None => Vec::new(),
    };
    let funnel = crate::charts::funnel(
        &[
            (ctx.t("kpi.viewers"), s.viewers),
            (ctx.t("analytics.exposure"), s.exposure_users),
            (ctx.t("analytics.clicks"), s.click_users),
            (ctx.t("analytics.buyers"), s.buyers),
        ],
        ctx.t("analytics.funnel"),
    );
    let days = state
        .app
        .analytics
        .room_days(actor, id, prov, from * 100 + 1, to * 100 + 31)
        .await?;
    let mut months: Vec<(i64, i64)> = Vec::new();
    for (day, sums) in days {
        let m = day / 100;
        match months.last_mut() {
            Some((k, v)) if *k == m => *v += sums.gmv_fen,
            _ => months.push((m, sums.gmv_fen)),
        }
    }
    let trend = crate::charts::bars(
        &months
            .iter()
            .map(|(m, fen)| {
                (
                    format!("{}-{:02}", m / 100 % 100, m % 100),
                    *fen as f64 / 100.0,
                    format!("{}-{:02}: ¥{:.2}", m / 100, m % 100, *fen as f64 / 100.0),
                )
            })
            .collect::<Vec<_>>(),
        ctx.t("analytics.gmv_by_month"),
        ctx.lang,
    );
    let fmt = |m: i64| {
        if m == 0 || m == 999_912 {
            String::new()
        } else {
            format!("{}-{:02}", m / 100, m % 100)
        }
    };
    render(
        ctx,
        &RoomPage {
            ctx,
            room,
            from: fmt(from),
            to: fmt(to),
            provenances: Provenance::ALL
                .iter()
                .map(|p| (p.as_str(), ctx.t(p.label_key()).to_string(), *p == prov))
                .collect(),
            lines,
            findings,
            funnel,
            trend,
            sessions: s.sessions,
            message,
            errors,
            can_manage,
            operators,
            cases,
        },
    )
}

/// The room page's operators form: the kept operators plus those added by
/// mobile, replacing the set.
pub async fn set_operators(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    crate::ctx::CsrfForm(form): crate::ctx::CsrfForm,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let keep: Vec<fanxing_core::people::PersonId> = form
        .iter()
        .filter(|(k, _)| k == "keep")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let mobiles: Vec<String> = crate::pages::field(&form, "operators")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    match state
        .app
        .analytics
        .set_room_operators(actor, id, &keep, &mobiles)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/rooms/{id}?saved=1#operators")).into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            let q = AnalyticsQuery::default();
            let mut res = room_page(&state, &ctx, id, &q, None, vec![e.detail(ctx.lang)]).await?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

/// An export uploaded on the room page: all or nothing.
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    // Whose room it is first: a stranger learns nothing from the form's errors.
    let room = state.app.analytics.room(actor, id).await?;
    let up =
        crate::pages::read_upload_form(&ctx, form, "roster.bad_file", "roster.too_large").await?;
    ctx.check_csrf(&up.csrf)?;
    let prov = crate::pages::field(&up.fields, "provenance");
    let prov = provenance(Some(&prov))?;
    let q = AnalyticsQuery::default();
    match state
        .app
        .analytics
        .import_live_export(
            actor,
            room.platform,
            prov,
            Some(id),
            &up.filename,
            &up.bytes,
        )
        .await
    {
        Ok(Ok(o)) => {
            let sheet = o
                .sheet
                .as_deref()
                .map(|s| format!("&sheet={}", crate::error::urlencode(s)))
                .unwrap_or_default();
            let changed = if o.changed > 0 {
                format!(
                    "&changed={}&changed_ids={}",
                    o.changed,
                    crate::error::urlencode(&o.changed_ids.join("、"))
                )
            } else {
                String::new()
            };
            Ok(
                Redirect::to(&format!("/rooms/{id}?imported={}{sheet}{changed}", o.new))
                    .into_response(),
            )
        }
        Ok(Err(rows)) => {
            let mut errors: Vec<String> =
                rows.iter().take(100).map(|e| e.message(ctx.lang)).collect();
            errors.insert(
                0,
                ctx.tf("analytics.failed", &[("n", &rows.len().to_string())]),
            );
            let mut res = room_page(&state, &ctx, id, &q, None, errors).await?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            let mut res = room_page(&state, &ctx, id, &q, None, vec![e.detail(ctx.lang)]).await?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

/// One line of the statistics table.
struct StatRow {
    name: String,
    rooms: String,
    sessions: String,
    views: String,
    gmv: String,
    gpm: String,
    view_to_order: String,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "analytics/live_stats.html")]
struct StatsPage<'a> {
    ctx: &'a Ctx,
    region_name: String,
    region: String,
    from: String,
    to: String,
    sections: Vec<(String, Vec<StatRow>)>,
    total: StatRow,
    trend: String,
    impact: Option<ImpactView>,
    impact_pending: bool,
    outcome: &'static str,
}

/// The training-impact card, on the statistics page and the programme
/// dashboard (`impact_card.html`). It leads with the verdict in words; the
/// estimate is the headline figure only when the verdict is a rise or a
/// fall, and the method is told apart, folded, for those who ask.
pub(crate) struct ImpactView {
    /// The verdict in plain words (with the figure and interval when there
    /// is a rise or a fall).
    pub verdict: String,
    /// Whether the data support a rise or a fall.
    pub conclusive: bool,
    pub effect_label: String,
    pub att: String,
    /// The interval with its confidence level (95 %, or 98.3 % for the
    /// secondary outcomes).
    pub interval: String,
    /// What chance alone produces here (the placebo runs' spread), and how
    /// it was found (for the method notes); `None` without placebo runs.
    pub placebo: Option<(String, String)>,
    pub naive: String,
    pub treated: usize,
    pub controls: usize,
    pub chart: String,
    /// Every outcome with its name, its link and whether it is this one.
    pub outcomes: Vec<(String, String, bool)>,
    /// Where the whole statistics page for the region is.
    pub details: String,
}

impl ImpactView {
    /// The card for `e`, or `None` when there are no trained rooms to speak
    /// of. `link` makes the outcome links (given the outcome's code).
    pub(crate) fn new(
        ctx: &Ctx,
        e: &fanxing_core::analytics::impact::ImpactEstimate,
        outcome: Outcome,
        region: &str,
        link: impl Fn(&str) -> String,
    ) -> Option<ImpactView> {
        use fanxing_core::analytics::impact::Verdict;
        if e.treated == 0 {
            return None;
        }
        let name = ctx.t(outcome.label_key());
        // The estimate in the unit readers use: log GMV as a percentage,
        // conversion in percentage points, the others in their own units.
        let unit = |v: f64| match outcome {
            Outcome::LogGmv => (v.exp() - 1.0) * 100.0,
            Outcome::ViewToOrder => v * 100.0,
            Outcome::Gpm | Outcome::Sessions => v,
        };
        let suffix = ctx.t(match outcome {
            Outcome::LogGmv => "impact.suffix.percent",
            Outcome::Gpm => "impact.suffix.yuan",
            Outcome::ViewToOrder => "impact.suffix.points",
            Outcome::Sessions => "impact.suffix.sessions",
        });
        let decimals = if outcome == Outcome::LogGmv { 1 } else { 2 };
        let show = |v: f64| {
            if !v.is_finite() {
                return "—".to_string();
            }
            format!("{:+.decimals$}{suffix}", unit(v))
        };
        let spread = |v: f64| match outcome {
            Outcome::LogGmv => format!("±{:.1}{suffix}", (v.exp() - 1.0) * 100.0),
            _ => format!("±{:.2}{suffix}", unit(v)),
        };
        let level = (1.0 - e.alpha) * 100.0;
        let level = if (level - level.round()).abs() < 0.05 {
            format!("{level:.0}")
        } else {
            format!("{level:.1}")
        };
        let ci = format!("{} … {}", show(e.lo), show(e.hi));
        let att = show(e.att);
        let conclusive = matches!(e.verdict, Verdict::Positive | Verdict::Negative);
        let y_title = ctx.tf(
            "impact.axis",
            &[(
                "unit",
                ctx.t(match outcome {
                    Outcome::LogGmv => "impact.axis_unit.percent",
                    Outcome::Gpm => "impact.axis_unit.yuan",
                    Outcome::ViewToOrder => "impact.axis_unit.points",
                    Outcome::Sessions => "impact.axis_unit.sessions",
                }),
            )],
        );
        let band = ctx.tf("impact.legend_band", &[("level", &level)]);
        Some(ImpactView {
            verdict: ctx.tf(
                e.verdict.label_key(),
                &[
                    ("outcome", name),
                    ("att", &att),
                    ("level", &level),
                    ("ci", &ci),
                ],
            ),
            conclusive,
            interval: ctx.tf("impact.interval", &[("level", &level), ("ci", &ci)]),
            placebo: (e.placebo.runs > 0 && e.placebo.spread.is_finite()).then(|| {
                (
                    spread(e.placebo.spread),
                    ctx.tf(
                        "impact.placebo_method",
                        &[
                            ("spread", &spread(e.placebo.spread)),
                            ("runs", &e.placebo.runs.to_string()),
                            ("mean", &show(e.placebo.mean)),
                        ],
                    ),
                )
            }),
            effect_label: ctx.tf("impact.effect", &[("outcome", name)]),
            att,
            naive: show(e.naive),
            treated: e.treated,
            controls: e.controls,
            chart: crate::charts::event_study(
                &e.event
                    .iter()
                    .map(|p| (p.e, unit(p.att), unit(p.lo), unit(p.hi)))
                    .collect::<Vec<_>>(),
                &crate::charts::EventLabels {
                    title: &ctx.tf("impact.chart_title", &[("outcome", name)]),
                    y_title: &y_title,
                    x_title: ctx.t("impact.weeks"),
                    line: ctx.t("impact.legend_line"),
                    band: &band,
                },
            ),
            outcomes: Outcome::ALL
                .iter()
                .map(|o| {
                    (
                        ctx.t(o.label_key()).to_string(),
                        link(o.as_str()),
                        *o == outcome,
                    )
                })
                .collect(),
            details: format!("/live-stats?region={region}"),
        })
    }
}

/// How long a page waits for an impact estimate that is not cached.
const IMPACT_WAIT: std::time::Duration = std::time::Duration::from_millis(1500);

/// The impact estimate for a region in the caller's scope, or `None` when it
/// is not ready within [`IMPACT_WAIT`]: a province's takes seconds at full
/// scale, so pages do not wait for it; it goes on in the background, fills
/// the cache, and the card asks to look again.
async fn impact_within(
    state: &AppState,
    actor: &fanxing_core::auth::Actor,
    region: fanxing_core::region::RegionCode,
    outcome: Outcome,
) -> Result<Option<std::sync::Arc<fanxing_core::analytics::impact::ImpactEstimate>>, Error> {
    use fanxing_core::analytics::service::ImpactProgress;
    match state
        .app
        .analytics
        .impact_progress(actor, Some(region), outcome)?
    {
        ImpactProgress::Ready(e) => return Ok(Some(e)),
        // One computation per estimate at a time: reloads wait for it.
        ImpactProgress::Running => return Ok(None),
        ImpactProgress::Idle => {}
    }
    let job = {
        let (app, actor) = (state.app.clone(), actor.clone());
        tokio::spawn(async move {
            app.analytics
                .training_impact(&actor, Some(region), outcome)
                .await
        })
    };
    match tokio::time::timeout(IMPACT_WAIT, job).await {
        Ok(Ok(estimate)) => estimate.map(Some),
        Ok(Err(_)) => Err(Error::Store("the impact estimate stopped".into())),
        Err(_) => Ok(None),
    }
}

/// The impact card of a region: its view (`None` without trained rooms to
/// speak of, or while the estimate is computed) and whether it is being
/// computed. `link` makes the outcome links from an outcome's code.
pub(crate) async fn impact_card(
    state: &AppState,
    ctx: &Ctx,
    actor: &fanxing_core::auth::Actor,
    region: fanxing_core::region::RegionCode,
    outcome: Outcome,
    link: impl Fn(&str) -> String,
) -> Result<(Option<ImpactView>, bool), Error> {
    Ok(match impact_within(state, actor, region, outcome).await? {
        Some(e) => (
            ImpactView::new(ctx, &e, outcome, &region.to_string(), link),
            false,
        ),
        None => (None, true),
    })
}

/// The `outcome` parameter: log GMV unless given.
pub(crate) fn outcome_param(raw: Option<&str>) -> Result<Outcome, Error> {
    match raw.filter(|v| !v.is_empty()) {
        None => Ok(Outcome::LogGmv),
        Some(v) => Outcome::parse(v).ok_or_else(|| Error::field("outcome", "error.choice")),
    }
}

fn stat_row(name: String, s: &StatReport, href: Option<String>) -> StatRow {
    let k = |kpi: Kpi| show(kpi, kpi.value(&s.kpis.sums));
    StatRow {
        name,
        rooms: numfmt::grouped(s.rooms),
        sessions: numfmt::grouped(s.kpis.sums.sessions),
        views: numfmt::grouped(s.kpis.sums.views),
        gmv: k(Kpi::Gmv),
        gpm: k(Kpi::Gpm),
        view_to_order: k(Kpi::ViewToOrder),
        href,
    }
}

/// Province statistics for a region in scope: by city (or county), by
/// industry, by platform, and GMV month by month.
pub async fn live_stats(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AnalyticsQuery>,
) -> PageResult {
    let actor = ctx.actor()?;
    let region = fanxing_core::region::region_filter(q.region.as_deref())?;
    let code = actor.stats_region(region)?;
    let from = month(q.from.as_deref(), "from", 0)?;
    let to = month(q.to.as_deref(), "to", 999_912)?;
    let prov = provenance(q.provenance.as_deref())?;
    let stats = |group| {
        state
            .app
            .analytics
            .live_stats(actor, Some(code), prov, from, to, group)
    };
    let by_city = stats(StatGroup::City).await?;
    let by_industry = stats(StatGroup::Industry).await?;
    let by_platform = stats(StatGroup::Platform).await?;
    let by_month = stats(StatGroup::Month).await?;
    let regions = state.app.people.regions(None, None).await?;
    let name_of = |k: &str| {
        regions
            .iter()
            .find(|r| r.code.to_string() == k)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| k.to_string())
    };
    let qs = |region: &str| {
        let mut s = format!("/live-stats?region={region}");
        if let Some(f) = q.from.as_deref().filter(|v| !v.is_empty()) {
            s.push_str(&format!("&from={f}"));
        }
        if let Some(t) = q.to.as_deref().filter(|v| !v.is_empty()) {
            s.push_str(&format!("&to={t}"));
        }
        s
    };
    let is_province = code.value() % 10_000 == 0;
    let rows: Vec<StatRow> = by_city
        .iter()
        .map(|s| {
            let href = (is_province && s.key != code.to_string()).then(|| qs(&s.key));
            stat_row(name_of(&s.key), s, href)
        })
        .collect();
    let mut total = fanxing_core::analytics::service::StatReport {
        key: String::new(),
        month: None,
        rooms: 0,
        kpis: fanxing_core::analytics::service::KpiReport::new(Default::default()),
    };
    // Each room lies in one city: the cities' distinct rooms add up.
    let mut sums = fanxing_core::analytics::Sums::default();
    for s in &by_city {
        sums.merge(&s.kpis.sums);
        total.rooms += s.rooms;
    }
    total.kpis = fanxing_core::analytics::service::KpiReport::new(sums);
    let label = |kind: &str, k: &str| match kind {
        "platform" => fanxing_core::analytics::Platform::parse(k)
            .map(|p| ctx.t(p.label_key()).to_string())
            .unwrap_or_else(|| k.to_string()),
        _ => k.to_string(),
    };
    let trend = crate::charts::bars(
        &by_month
            .iter()
            .map(|s| {
                let m = s.key.parse::<i64>().unwrap_or(0);
                let gmv = s.kpis.sums.gmv_fen as f64 / 100.0;
                (
                    format!("{}-{:02}", m / 100 % 100, m % 100),
                    gmv,
                    format!(
                        "{}-{:02}: ¥{gmv:.0} · {} {}",
                        m / 100,
                        m % 100,
                        s.rooms,
                        ctx.t("analytics.rooms")
                    ),
                )
            })
            .collect::<Vec<_>>(),
        ctx.t("analytics.gmv_by_month"),
        ctx.lang,
    );
    let fmt = |m: i64| {
        if m == 0 || m == 999_912 {
            String::new()
        } else {
            format!("{}-{:02}", m / 100, m % 100)
        }
    };
    let outcome = outcome_param(q.outcome.as_deref())?;
    let (impact, impact_pending) = impact_card(&state, &ctx, actor, code, outcome, |o| {
        format!("{}&outcome={o}#impact", qs(&code.to_string()))
    })
    .await?;
    render(
        &ctx,
        &StatsPage {
            ctx: &ctx,
            region_name: name_of(&code.to_string()),
            region: code.to_string(),
            from: fmt(from),
            to: fmt(to),
            sections: vec![
                (ctx.t("analytics.by_region").to_string(), rows),
                (
                    ctx.t("analytics.by_industry").to_string(),
                    by_industry
                        .iter()
                        .map(|s| stat_row(label("industry", &s.key), s, None))
                        .collect(),
                ),
                (
                    ctx.t("analytics.by_platform").to_string(),
                    by_platform
                        .iter()
                        .map(|s| stat_row(label("platform", &s.key), s, None))
                        .collect(),
                ),
            ],
            total: stat_row(ctx.t("analytics.total").to_string(), &total, None),
            trend,
            impact,
            impact_pending,
            outcome: outcome.as_str(),
        },
    )
}

// ---- A new room --------------------------------------------------------------

#[derive(Template)]
#[template(path = "analytics/room_form.html")]
struct RoomFormPage<'a> {
    ctx: &'a Ctx,
    v: RoomInput,
    /// The followers field as typed.
    followers: String,
    /// The operators' mobiles as typed, one per line.
    mobiles: String,
    errors: fanxing_core::error::FieldErrors,
    platforms: Vec<crate::pages::Choice>,
    tiers: Vec<crate::pages::Choice>,
    industries: Vec<&'static str>,
    regions: Vec<crate::pages::Choice>,
}

impl RoomFormPage<'_> {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| e.message(self.ctx.lang))
    }
}

async fn room_form(
    state: &AppState,
    ctx: &Ctx,
    v: RoomInput,
    followers: String,
    mobiles: String,
    errors: fanxing_core::error::FieldErrors,
) -> PageResult {
    let actor = ctx.actor()?;
    let regions = state.app.people.regions_in_scope(actor).await?;
    let choice = |value: &str, label: &str| crate::pages::Choice {
        value: value.to_string(),
        label: label.to_string(),
    };
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    crate::pages::render_status(
        ctx,
        status,
        &RoomFormPage {
            ctx,
            v,
            followers,
            mobiles,
            errors,
            platforms: fanxing_core::analytics::Platform::ALL
                .iter()
                .map(|p| choice(p.as_str(), ctx.t(p.label_key())))
                .collect(),
            tiers: fanxing_core::analytics::SizeTier::ALL
                .iter()
                .map(|t| choice(t.as_str(), ctx.t(t.label_key())))
                .collect(),
            industries: fanxing_core::analytics::INDUSTRIES.to_vec(),
            regions: crate::pages::region_choices(&regions),
        },
    )
}

/// The form for a new room (offices).
pub async fn new_room(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    actor.write_range()?;
    let v = RoomInput {
        platform: "douyin".into(),
        region: actor.user.region.map(|r| r.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    room_form(
        &state,
        &ctx,
        v,
        String::new(),
        String::new(),
        Default::default(),
    )
    .await
}

/// Creates a room from the form; its page next, or the form with errors.
pub async fn create_room(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::ctx::CsrfForm(form): crate::ctx::CsrfForm,
) -> PageResult {
    use crate::pages::field;
    let actor = ctx.actor()?;
    let followers = field(&form, "followers").trim().to_string();
    let mobiles = field(&form, "operators");
    let mut input = RoomInput {
        platform: field(&form, "platform"),
        account_id: field(&form, "account_id"),
        name: field(&form, "name"),
        org_id: None,
        industry: field(&form, "industry"),
        size_tier: field(&form, "size_tier"),
        followers: None,
        region: field(&form, "region"),
        operators: Vec::new(),
        operator_mobiles: mobiles
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    };
    if !followers.is_empty() {
        match fanxing_core::analytics::parse_count_text(&followers) {
            Some(n) => input.followers = Some(n),
            None => {
                let errors =
                    fanxing_core::error::FieldErrors(vec![fanxing_core::error::FieldError::new(
                        "followers",
                        "room.followers_bad",
                    )]);
                return room_form(&state, &ctx, input, followers, mobiles, errors).await;
            }
        }
    }
    let saved = state.app.analytics.create_room(actor, &input).await;
    saved_or_form(
        &ctx,
        saved,
        |r| format!("/rooms/{}", r.id),
        |errors| room_form(&state, &ctx, input, followers, mobiles, errors),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use fanxing_core::analytics::impact::{EventPoint, ImpactEstimate, Placebo, Verdict};

    /// The card alone, as the pages include it.
    #[derive(Template)]
    #[template(path = "analytics/impact_card.html")]
    struct Card<'a> {
        ctx: &'a Ctx,
        impact: Option<ImpactView>,
        impact_pending: bool,
    }

    fn ctx(lang: fanxing_core::Lang) -> Ctx {
        Ctx {
            lang,
            csrf: String::new(),
            auth: Err(crate::ctx::AuthState::Anonymous),
            path: "/".into(),
            session_token: None,
        }
    }

    fn estimate(att: f64, lo: f64, hi: f64, verdict: Verdict) -> ImpactEstimate {
        ImpactEstimate {
            att,
            lo,
            hi,
            se: (hi - lo) / 3.92,
            alpha: 0.05,
            naive: 0.3,
            event: (-4..=12)
                .map(|e| EventPoint {
                    e,
                    att: if e < 0 { 0.0 } else { att },
                    lo: if e < 0 { -0.1 } else { lo },
                    hi: if e < 0 { 0.1 } else { hi },
                    n: 5,
                })
                .collect(),
            treated: 5,
            controls: 40,
            pretrend_p: Some(0.5),
            placebo: Placebo {
                runs: 200,
                mean: 0.01,
                spread: 0.2,
            },
            verdict,
        }
    }

    fn card(lang: fanxing_core::Lang, e: &ImpactEstimate) -> String {
        let ctx = ctx(lang);
        let impact = ImpactView::new(&ctx, e, Outcome::LogGmv, "320500", |o| format!("?o={o}"));
        Card {
            ctx: &ctx,
            impact,
            impact_pending: false,
        }
        .render()
        .unwrap()
    }

    /// The text before the folded method notes.
    fn main_text(html: &str) -> &str {
        &html[..html.find("<details").expect("method notes")]
    }

    #[test]
    fn impact_card_leads_with_the_verdict_not_an_unsupported_figure() {
        // +58.1 % with an interval far across zero: no conclusion.
        let e = estimate(0.458, -0.4, 1.2, Verdict::NoDetectableEffect);
        let html = card(fanxing_core::Lang::Zh, &e);
        let main = main_text(&html);
        let verdict = main.find("未见明显变化").expect(&html);
        let figure = main.find("+58.1%").expect(&html);
        assert!(verdict < figure, "the verdict comes first: {html}");
        assert!(
            !main.contains(r#"class="num""#),
            "no headline figure without a conclusion: {html}"
        );
        assert!(
            main.contains("估计值") && main.contains("95% 区间"),
            "{html}"
        );
        // Too little data says so first, the figure small beside it.
        let html = card(
            fanxing_core::Lang::Zh,
            &estimate(0.458, -0.4, 1.2, Verdict::TooLittleData),
        );
        let main = main_text(&html);
        assert!(main.find("数据不足以得出结论").unwrap() < main.find("+58.1%").unwrap());
        assert!(!main.contains(r#"class="num""#), "{html}");
        // A rise leads with the verdict and its interval, the figure large.
        let html = card(
            fanxing_core::Lang::Zh,
            &estimate(0.2, 0.1, 0.3, Verdict::Positive),
        );
        let main = main_text(&html);
        assert!(
            main.contains("培训后每周成交额提升：约 +22.1%，95% 区间 +10.5% … +35.0%。"),
            "{html}"
        );
        assert!(
            main.contains(r#"<span class="num">+22.1%</span>"#),
            "{html}"
        );
        // Method names only in the folded notes, in either language.
        for lang in [fanxing_core::Lang::Zh, fanxing_core::Lang::En] {
            let html = card(lang, &e);
            let main = main_text(&html);
            for word in [
                "Callaway",
                "Sant'Anna",
                "自助法",
                "bootstrap",
                "Bonferroni",
                "安慰剂",
                "placebo",
                "双重差分",
                "Difference-in-differences",
            ] {
                assert!(!main.contains(word), "{word} in the main text: {main}");
            }
            let notes = &html[html.find("<details").unwrap()..];
            assert!(notes.contains("Callaway"), "{notes}");
            assert!(notes.contains(lang.t("impact.method_title")));
        }
        // English mode has no Chinese units.
        let html = card(fanxing_core::Lang::En, &e);
        assert!(
            html.contains("No clear change") && !html.contains("区间"),
            "{html}"
        );
    }
}
