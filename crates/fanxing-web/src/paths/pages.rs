//! The trainee's path page and the office's gap page.

use askama::Template;
use axum::extract::{Query, State};

use fanxing_core::knowledge::search::{Filters, SearchQuery};
use fanxing_core::knowledge::DocKind;
use fanxing_core::paths::{GapView, TrackProgress};
use fanxing_core::{numfmt, Lang};

use super::{explain, region_param, Explained, GapQuery, Names};
use crate::ctx::Ctx;
use crate::error::PageError;
use crate::pages::{render, PageResult};
use crate::AppState;

/// How a session is placed for the reader.
pub fn distance_label<'a>(ctx: &'a Ctx, distance: &u8) -> &'a str {
    ctx.t(match *distance {
        0 => "paths.near_county",
        1 => "paths.near_city",
        _ => "paths.near_other",
    })
}

/// What the certificate still needs, in words (empty when held or nothing
/// is missing).
pub fn missing_text(lang: &Lang, p: &TrackProgress) -> String {
    let lang = *lang;
    if p.certificate.is_some() {
        return String::new();
    }
    let mut parts = Vec::new();
    if p.sessions_missing() > 0 {
        parts.push(lang.tf(
            "paths.missing_sessions",
            &[("n", &p.sessions_missing().to_string())],
        ));
    }
    if p.courses_missing() > 0 {
        parts.push(lang.tf(
            "paths.missing_courses",
            &[("n", &p.courses_missing().to_string())],
        ));
    }
    if parts.is_empty() {
        return String::new();
    }
    let sep = if lang == Lang::Zh { "、" } else { ", " };
    lang.tf("paths.missing", &[("what", &parts.join(sep))])
}

/// `YYYYMM` as the reader writes months.
pub fn month_text(lang: Lang, m: i64) -> String {
    match lang {
        Lang::Zh => format!("{} 年 {} 月", m / 100, m % 100),
        Lang::En => format!("{}-{:02}", m / 100, m % 100),
    }
}

#[derive(Template)]
#[template(path = "paths/path.html")]
struct PathPage<'a> {
    ctx: &'a Ctx,
    progress: Option<TrackProgress>,
    recs: Vec<Explained>,
    gaps: Vec<String>,
    has_room: bool,
    window: Option<(i64, i64)>,
    cases: Vec<fanxing_core::knowledge::search::Hit>,
}

impl PathPage<'_> {
    fn month(&self, m: &i64) -> String {
        month_text(self.ctx.lang, *m)
    }
}

pub async fn my_path(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    let path = state
        .app
        .paths
        .my_path(actor)
        .await
        .map_err(|e| PageError::new(&ctx, e))?;
    let names = state.app.paths.competency_names().await?;
    let gaps = path
        .gaps
        .iter()
        .map(|g| super::reason_text(ctx.lang, &names, &g.reason()))
        .collect();
    // Cases from the library that illustrate the weakest gap.
    let cases = match path.gaps.first() {
        Some(g) => {
            let q = SearchQuery {
                text: String::new(),
                filters: Filters {
                    kind: Some(DocKind::Case),
                    competency: Some(g.gap.competency.to_string()),
                    ..Default::default()
                },
                per_page: 3,
                ..Default::default()
            };
            state.app.knowledge.search(Some(actor), q).await?.hits
        }
        None => Vec::new(),
    };
    let has_room = state.app.analytics.rooms(actor, None, 1).await?.total > 0;
    render(
        &ctx,
        &PathPage {
            ctx: &ctx,
            progress: path.progress,
            recs: explain(ctx.lang, &names, path.recommendations),
            gaps,
            has_room,
            window: path.window,
            cases,
        },
    )
}

/// The top of the path for the trainee's home page: progress and the first
/// three courses.
pub async fn home_card(
    state: &AppState,
    ctx: &Ctx,
    regs: &[fanxing_core::training::store::MyRegistration],
    certificates: &[fanxing_core::curriculum::CertificateView],
) -> Result<(Option<TrackProgress>, Vec<Explained>), PageError> {
    let actor = ctx.actor()?;
    let path = state
        .app
        .paths
        .my_path_from(actor, regs, certificates)
        .await?;
    let names: Names = state.app.paths.competency_names().await?;
    let mut recs = explain(ctx.lang, &names, path.recommendations);
    recs.truncate(3);
    Ok((path.progress, recs))
}

#[derive(Template)]
#[template(path = "paths/gaps.html")]
struct GapsPage<'a> {
    ctx: &'a Ctx,
    view: GapView,
    impact: Option<Vec<super::ImpactLine>>,
    names: Names,
    regions: Vec<crate::pages::Choice>,
}

impl GapsPage<'_> {
    fn competency(&self, code: &str) -> String {
        super::competency_name(&self.names, code, self.ctx.lang)
    }
    fn share(&self, n: &usize, of: &usize) -> String {
        if *of == 0 {
            "—".into()
        } else {
            numfmt::percent(*n as f64 / *of as f64)
        }
    }
    fn heat(&self, n: &usize, of: &usize) -> u32 {
        if *of == 0 {
            0
        } else {
            ((*n as f64 / *of as f64) * 4.0).ceil().min(4.0) as u32
        }
    }
    fn kpi_line(&self, w: &fanxing_core::paths::WeakRoom) -> String {
        let l = self.ctx.lang;
        format!(
            "{} · {} · {}",
            l.t(w.kpi.label_key()),
            numfmt::percentile(w.percentile, l),
            l.t(w.level.label_key())
        )
    }
    fn month(&self, m: &i64) -> String {
        month_text(self.ctx.lang, *m)
    }
    fn suggestion(&self, s: &fanxing_core::paths::Suggestion) -> String {
        self.ctx.tf(
            "paths.suggestion",
            &[
                ("region", &s.region_name),
                ("n", &s.trainees.to_string()),
                ("course", &s.title),
            ],
        )
    }
    fn selected(&self, code: &str) -> bool {
        self.view.region.to_string() == code
    }
}

pub async fn gaps(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<GapQuery>,
) -> PageResult {
    let actor = ctx.actor()?;
    let region = region_param(q.region.as_deref()).map_err(|e| PageError::new(&ctx, e))?;
    let view = state.app.paths.gaps(actor, region).await?;
    let names = state.app.paths.competency_names().await?;
    let impact = super::impact_for(&state, actor, region)
        .await?
        .map(|v| super::impact_lines(ctx.lang, &names, &v));
    let regions = crate::pages::region_choices(&state.app.people.regions_in_scope(actor).await?);
    render(
        &ctx,
        &GapsPage {
            ctx: &ctx,
            view,
            impact,
            names,
            regions,
        },
    )
}

/// `POST /courses/{id}/path`: the programme office sets which tiers' tracks
/// require a course and which courses come before it; a wrong choice is
/// named on the course page and nothing is saved.
pub async fn set_course_rules(
    axum::extract::State(state): axum::extract::State<AppState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
    crate::ctx::CsrfForm(form): crate::ctx::CsrfForm,
) -> PageResult {
    use fanxing_core::people::Tier;
    use fanxing_core::training::CourseId;
    let id: CourseId = crate::pages::path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let values = |name: &str| {
        form.iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .collect::<Vec<_>>()
    };
    let tiers: Option<Vec<Tier>> = values("required_for")
        .iter()
        .map(|t| Tier::parse_label(t))
        .collect();
    let firsts: Option<Vec<CourseId>> = values("prerequisites")
        .iter()
        .map(|c| c.parse::<CourseId>().ok())
        .collect();
    let (outcome, submitted) = match (tiers, firsts) {
        (Some(tiers), Some(firsts)) => (
            state
                .app
                .paths
                .set_course_rules(actor, id, &tiers, &firsts)
                .await,
            Some((tiers, firsts)),
        ),
        (None, _) => (
            Err(fanxing_core::Error::field("required_for", "error.choice")),
            None,
        ),
        (_, None) => (
            Err(fanxing_core::Error::field(
                "prerequisites",
                "paths.unknown_course",
            )),
            None,
        ),
    };
    crate::pages::saved_or_form(
        &ctx,
        outcome,
        |_| format!("/courses/{id}?done=rules"),
        |e| {
            let extras = crate::curriculum::pages::CourseExtras {
                error: Some(fanxing_core::Error::Invalid(e).detail(ctx.lang)),
                rules: submitted,
                ..Default::default()
            };
            crate::curriculum::pages::course_page(&state, &ctx, id, extras)
        },
    )
    .await
}
