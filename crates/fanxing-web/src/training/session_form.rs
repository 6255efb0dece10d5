//! The session form (creating a session with its venues) and the
//! programme office's targets and certificate issuer forms.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fanxing_core::training::{CourseId, ProgrammeId, SessionInput, VenueInput};
use fanxing_core::{Error, FieldErrors};

use crate::ctx::{CsrfForm, Ctx};
use crate::error::PageError;
use crate::pages::{field, path_id, render, tier_pairs, Choice};
use crate::AppState;

type PageResult = Result<Response, PageError>;

fn all(form: &[(String, String)], name: &str) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

// ---- Creating a session -------------------------------------------------------

#[derive(Template)]
#[template(path = "training/session_form.html")]
struct SessionFormPage<'a> {
    ctx: &'a Ctx,
    form: Vec<(String, String)>,
    errors: FieldErrors,
    /// Every problem, venue problems named by their venue.
    messages: Vec<String>,
    /// The problems of each venue row, by row index.
    row_errors: Vec<Vec<String>>,
    programmes: Vec<(ProgrammeId, String)>,
    courses: Vec<(CourseId, String)>,
    regions: Vec<Choice>,
    /// City and county regions only: the regions a venue may be in.
    venue_regions: Vec<Choice>,
    tiers: Vec<(&'static str, String)>,
    times: Vec<(&'static str, &'static str)>,
    venue_rows: Vec<VenueRow>,
}

/// One row of the venue table on the session form.
struct VenueRow {
    index: usize,
    kind: &'static str,
    label: String,
    /// Rows after the first few sub-venues fold under "more sub-venues".
    folded: bool,
}

impl SessionFormPage<'_> {
    fn f(&self, name: &str) -> String {
        field(&self.form, name)
    }
    fn vf(&self, i: &usize, name: &str) -> String {
        field(&self.form, &format!("v{i}_{name}"))
    }
    fn has(&self, name: &str, value: &&str) -> bool {
        self.form.iter().any(|(k, v)| k == name && v == value)
    }
    fn err(&self, name: &str) -> Option<String> {
        self.errors.get(name).map(|e| e.message(self.ctx.lang))
    }
    fn row_err(&self, i: &usize) -> String {
        self.row_errors
            .get(*i)
            .map(|v| v.join("；"))
            .unwrap_or_default()
    }
    fn has_row_err(&self, i: &usize) -> bool {
        self.row_errors.get(*i).is_some_and(|v| !v.is_empty())
    }
    /// Whether some venue row carries its own problem (then the summary and
    /// the rows say it all).
    fn has_venue_row_errors(&self) -> bool {
        self.row_errors.iter().any(|v| !v.is_empty())
    }
    /// The folded rows open when one of them is filled in or has a problem.
    fn folded_open(&self) -> bool {
        self.venue_rows
            .iter()
            .filter(|r| r.folded)
            .any(|r| !self.vf(&r.index, "name").trim().is_empty() || self.has_row_err(&r.index))
    }
}

/// Sub-venue rows on the form: room for a hall in each of the 13 cities and a
/// few more, besides the main hall. Empty rows are ignored.
pub const SUB_VENUE_ROWS: usize = 16;
/// Sub-venue rows shown before the rest fold away.
const SUB_ROWS_SHOWN: usize = 3;

/// The kind of each form row: the main venue, the sub-venues, the stream.
fn venue_kinds() -> Vec<&'static str> {
    let mut kinds = vec!["main"];
    kinds.extend(std::iter::repeat_n("sub", SUB_VENUE_ROWS));
    kinds.push("online");
    kinds
}

/// The label of a form row: "主会场", "分会场 3", "线上".
fn row_label(ctx: &Ctx, index: usize, kind: &str) -> String {
    if kind == "sub" {
        format!("{} {index}", ctx.t("venue.sub"))
    } else {
        ctx.t(&format!("venue.{kind}")).to_string()
    }
}

/// A venue problem in the words of the form: the venue named by what the
/// person typed (or the row's label), then the problem itself.
fn venue_message(ctx: &Ctx, e: &fanxing_core::error::FieldError, venue: &str) -> String {
    let short = format!("{}.short", e.key);
    let problem = if ctx.t(&short) == short {
        e.message(ctx.lang)
    } else {
        ctx.t(&short).to_string()
    };
    ctx.tf(
        "sessions.venue_problem",
        &[("venue", venue), ("problem", &problem)],
    )
}

async fn session_form(
    state: &AppState,
    ctx: &Ctx,
    form: Vec<(String, String)>,
    errors: FieldErrors,
    rows_used: &[usize],
) -> PageResult {
    let actor = ctx.actor()?;
    let programmes = state
        .app
        .training
        .programmes(actor)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let courses = state
        .app
        .curriculum
        .courses(None)
        .await?
        .into_iter()
        .map(|c| (c.id, c.title))
        .collect();
    let in_scope = state.app.people.regions_in_scope(actor).await?;
    let regions = crate::pages::region_choices(&in_scope);
    let venue_regions = crate::pages::region_choices(
        &in_scope
            .iter()
            .filter(|r| r.level != fanxing_core::region::RegionLevel::Province)
            .cloned()
            .collect::<Vec<_>>(),
    );
    let kinds = venue_kinds();
    let venue_rows: Vec<VenueRow> = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| VenueRow {
            index: i,
            kind: k,
            label: row_label(ctx, i, k),
            folded: *k == "sub" && i > SUB_ROWS_SHOWN,
        })
        .collect();
    let mut row_errors = vec![Vec::new(); kinds.len()];
    let mut messages = Vec::new();
    for e in &errors.0 {
        let row = e
            .args
            .iter()
            .find(|(k, _)| *k == "n")
            .and_then(|(_, n)| n.parse::<usize>().ok())
            .and_then(|n| rows_used.get(n.wrapping_sub(1)).copied());
        match row {
            Some(i) if e.field == "venues" => {
                let typed = field(&form, &format!("v{i}_name"));
                let venue = if kinds[i] != "online" && !typed.trim().is_empty() {
                    format!("{}「{}」", venue_rows[i].label, typed.trim())
                } else {
                    venue_rows[i].label.clone()
                };
                let message = venue_message(ctx, e, &venue);
                row_errors[i].push(message.clone());
                messages.push(message);
            }
            _ => messages.push(e.message(ctx.lang)),
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = render(
        ctx,
        &SessionFormPage {
            ctx,
            form,
            errors,
            messages,
            row_errors,
            programmes,
            courses,
            regions,
            venue_regions,
            tiers: tier_pairs(ctx),
            times: vec![
                ("starts_at", "sessions.starts_at"),
                ("ends_at", "sessions.ends_at"),
                ("reg_opens_at", "sessions.reg_opens_at"),
                ("reg_closes_at", "sessions.reg_closes_at"),
            ],
            venue_rows,
        },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

/// What a link may fill in on a new session's form (the gap page's "draft
/// this session"): the course, its title and tier, and the region.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Prefill {
    pub course_id: Option<String>,
    pub title: Option<String>,
    pub tier: Option<String>,
    pub region: Option<String>,
}

pub async fn new_session(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(pre): axum::extract::Query<Prefill>,
) -> PageResult {
    let actor = ctx.actor()?;
    actor.write_range()?;
    let region = actor.user.region;
    // A venue is in a city or county: the province is no venue's region, so
    // a provincial office picks the main hall's city itself.
    let venue_region = region
        .filter(|r| r.shape_level() != fanxing_core::region::RegionLevel::Province)
        .map(|r| r.to_string())
        .unwrap_or_default();
    let form = vec![
        (
            "region".to_string(),
            region.map(|r| r.to_string()).unwrap_or_default(),
        ),
        ("v0_region".to_string(), venue_region),
    ];
    let mut form = form;
    // Only the region may be narrowed, never widened: the form's own check
    // refuses a region outside the office's on saving anyway.
    let fill = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if let Some(c) = fill(&pre.course_id).filter(|c| c.parse::<i64>().is_ok()) {
        form.push(("course_id".into(), c));
    }
    if let Some(t) = fill(&pre.title) {
        form.push(("title".into(), t.chars().take(100).collect()));
    }
    if let Some(t) = fill(&pre.tier).filter(|t| fanxing_core::people::Tier::parse(t).is_some()) {
        form.push(("tier".into(), t.clone()));
        form.push(("eligible_tiers".into(), t));
    }
    if let Some(r) = fill(&pre.region).and_then(|r| fanxing_core::region::RegionCode::parse(&r)) {
        if actor.write_range().is_ok_and(|w| w.contains(r)) {
            form.retain(|(k, _)| k != "v0_region");
            form.push(("v0_region".into(), r.to_string()));
        }
    }
    session_form(&state, &ctx, form, FieldErrors::default(), &[]).await
}

pub async fn create_session(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let actor = ctx.actor()?;
    let opt = |n: &str| Some(field(&form, n)).filter(|v| !v.trim().is_empty());
    let kinds = venue_kinds();
    // The main hall's region, for an online stream whose region is left as
    // "same as the main venue".
    let main_region = field(&form, "v0_region");
    let mut venues = Vec::new();
    // Which form row each submitted venue came from, to name it in errors.
    let mut rows_used = Vec::new();
    for (i, kind) in kinds.iter().enumerate() {
        let name = field(&form, &format!("v{i}_name"));
        let url = field(&form, &format!("v{i}_stream_url"));
        let used = if *kind == "online" {
            !url.trim().is_empty()
        } else {
            !name.trim().is_empty()
        };
        if !used {
            continue;
        }
        let own_region = field(&form, &format!("v{i}_region"));
        let region = if *kind == "online" && own_region.trim().is_empty() {
            let main_used = !field(&form, "v0_name").trim().is_empty();
            if main_used {
                main_region.clone()
            } else {
                field(&form, "region")
            }
        } else {
            own_region
        };
        rows_used.push(i);
        venues.push(VenueInput {
            kind: kind.to_string(),
            name: if *kind == "online" {
                ctx.t("venue.online").to_string()
            } else {
                name
            },
            address: field(&form, &format!("v{i}_address")),
            region,
            capacity: field(&form, &format!("v{i}_capacity"))
                .trim()
                .parse()
                .unwrap_or(0),
            stream_url: Some(url).filter(|u| !u.trim().is_empty()),
        });
    }
    let input = SessionInput {
        programme_id: field(&form, "programme_id")
            .parse()
            .unwrap_or(ProgrammeId(0)),
        course_id: field(&form, "course_id").parse().ok(),
        title: field(&form, "title"),
        region: field(&form, "region"),
        tier: None,
        eligible_tiers: all(&form, "eligible_tiers"),
        eligible_region: None,
        starts_at: field(&form, "starts_at"),
        ends_at: field(&form, "ends_at"),
        reg_opens_at: opt("reg_opens_at"),
        reg_closes_at: opt("reg_closes_at"),
        online_min_share: None,
        venues,
    };
    let mut input = input;
    if input.eligible_tiers.len() == 1 {
        input.tier = input.eligible_tiers.first().cloned();
    }
    let publish = field(&form, "publish") == "1";
    match state
        .app
        .training
        .create_session(actor, &input, publish)
        .await
    {
        Ok(v) => {
            let done = if publish { "created" } else { "created_draft" };
            Ok(Redirect::to(&format!("/sessions/{}?done={done}", v.session.id)).into_response())
        }
        Err(e @ Error::Invalid(_)) => {
            session_form(&state, &ctx, form, e.fields(), &rows_used).await
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

// ---- Allocating targets ---------------------------------------------------------

pub async fn set_targets(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let mut inputs = Vec::new();
    for (k, v) in &form {
        if let Some(region) = k.strip_prefix("s_") {
            let attendances = field(&form, &format!("a_{region}"));
            inputs.push(fanxing_core::training::service::TargetInput {
                region: region.to_string(),
                tier: None,
                sessions: v.trim().parse().unwrap_or(-1),
                attendances: attendances.trim().parse().unwrap_or(-1),
            });
        }
    }
    state
        .app
        .training
        .set_targets(actor, id, &inputs)
        .await
        .map_err(|e| {
            let msg = e.detail(ctx.lang);
            PageError::new(&ctx, e).with_message(&msg)
        })?;
    // The region to return to, as a code: anything else (a newline, a
    // path) is dropped rather than written into the redirect.
    let back = fanxing_core::region::RegionCode::parse(&field(&form, "region_back"))
        .map(|r| r.to_string())
        .unwrap_or_default();
    Ok(Redirect::to(&format!("/programmes/{id}?region={back}&saved=1")).into_response())
}

/// The programme office sets the issuing authority printed on the
/// programme's certificates.
pub async fn set_issuer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    state
        .app
        .training
        .set_programme_issuer(actor, id, &field(&form, "issuer"))
        .await
        .map_err(|e| {
            let msg = e.detail(ctx.lang);
            PageError::new(&ctx, e).with_message(&msg)
        })?;
    Ok(Redirect::to(&format!("/programmes/{id}?saved=issuer#issuer")).into_response())
}
