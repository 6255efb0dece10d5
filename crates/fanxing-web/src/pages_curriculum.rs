//! Pages for the curriculum (tracks, competencies, courses, materials) and
//! the office forms that create sessions and allocate targets.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fanxing_core::curriculum::{Competency, Course, CourseInput, Material, Track};
use fanxing_core::people::Tier;
use fanxing_core::training::{SessionInput, VenueInput};
use fanxing_core::{Error, FieldErrors};

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::pages::{field, path_id, render, Choice};
use crate::AppState;

type PageResult = Result<Response, PageError>;

fn all(form: &[(String, String)], name: &str) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

fn tier_pairs(ctx: &Ctx) -> Vec<(&'static str, String)> {
    Tier::ALL
        .iter()
        .map(|t| (t.as_str(), ctx.t(t.label_key()).to_string()))
        .collect()
}

#[derive(Template)]
#[template(path = "courses.html")]
struct CoursesPage<'a> {
    ctx: &'a Ctx,
    tracks: Vec<Track>,
    competencies: Vec<Competency>,
    courses: Vec<Course>,
    is_admin: bool,
    can_create: bool,
}

pub async fn courses(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    let err = |e| PageError::new(&ctx, e);
    render(
        &ctx,
        &CoursesPage {
            ctx: &ctx,
            tracks: state.app.curriculum.tracks().await.map_err(err)?,
            competencies: state.app.curriculum.competencies().await.map_err(err)?,
            courses: state.app.curriculum.courses(None).await.map_err(err)?,
            is_admin: actor.role().is_programme_office(),
            can_create: actor.write_range().is_ok(),
        },
    )
}

pub async fn add_competency(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = ctx.actor()?;
    ctx.check_csrf(&field(&form, "csrf"))?;
    state
        .app
        .curriculum
        .add_competency(
            actor,
            &field(&form, "code"),
            &field(&form, "name_zh"),
            &field(&form, "name_en"),
        )
        .await
        .map_err(|e| {
            let msg = e.detail(ctx.lang);
            PageError::new(&ctx, e).with_message(&msg)
        })?;
    Ok(Redirect::to("/courses").into_response())
}

#[derive(Template)]
#[template(path = "course_form.html")]
struct CourseFormPage<'a> {
    ctx: &'a Ctx,
    v: CourseInput,
    errors: FieldErrors,
    tiers: Vec<(&'static str, String)>,
    competencies: Vec<Competency>,
}

impl CourseFormPage<'_> {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| e.message(self.ctx.lang))
    }
    fn summary(&self) -> String {
        self.v.summary.clone().unwrap_or_default()
    }
    fn lecturer(&self) -> String {
        self.v.lecturer.clone().unwrap_or_default()
    }
    fn has_tier(&self, t: &&str) -> bool {
        self.v.tiers.iter().any(|x| x == t)
    }
    fn has_competency(&self, c: &str) -> bool {
        self.v.competencies.iter().any(|x| x == c)
    }
}

async fn course_form(
    state: &AppState,
    ctx: &Ctx,
    v: CourseInput,
    errors: FieldErrors,
) -> PageResult {
    let competencies = state
        .app
        .curriculum
        .competencies()
        .await
        .map_err(|e| PageError::new(ctx, e))?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = render(
        ctx,
        &CourseFormPage {
            ctx,
            v,
            errors,
            tiers: tier_pairs(ctx),
            competencies,
        },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn new_course(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    actor.write_range().map_err(|e| PageError::new(&ctx, e))?;
    let v = CourseInput {
        duration_minutes: 180,
        ..Default::default()
    };
    course_form(&state, &ctx, v, FieldErrors::default()).await
}

pub async fn create_course(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = ctx.actor()?;
    ctx.check_csrf(&field(&form, "csrf"))?;
    let input = CourseInput {
        title: field(&form, "title"),
        summary: Some(field(&form, "summary")),
        tiers: all(&form, "tiers"),
        duration_minutes: field(&form, "duration_minutes").trim().parse().unwrap_or(0),
        lecturer: Some(field(&form, "lecturer")),
        competencies: all(&form, "competencies"),
    };
    match state.app.curriculum.create_course(actor, &input).await {
        Ok(c) => Ok(Redirect::to(&format!("/courses/{}", c.id)).into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            course_form(&state, &ctx, input, e.fields()).await
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

#[derive(Template)]
#[template(path = "course.html")]
struct CoursePage<'a> {
    ctx: &'a Ctx,
    course: Course,
    materials: Vec<Material>,
    can_edit: bool,
    error: Option<String>,
}

async fn course_page(state: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> PageResult {
    let actor = ctx.actor()?;
    let err = |e| PageError::new(ctx, e);
    let course = state.app.curriculum.course(id).await.map_err(err)?;
    let materials = state.app.curriculum.materials(id).await.map_err(err)?;
    let can_edit = state.app.curriculum.can_edit_course(actor, &course).await;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(
        ctx,
        &CoursePage {
            ctx,
            course,
            materials,
            can_edit,
            error,
        },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn course(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = path_id(&ctx, &id)?;
    course_page(&state, &ctx, id, None).await
}

pub async fn upload_material(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let (csrf, name, bytes) =
        crate::pages::read_upload(&ctx, form, "material.bad_type", "material.too_large").await?;
    ctx.check_csrf(&csrf)?;
    match state
        .app
        .curriculum
        .add_material(actor, id, &name, &bytes)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/courses/{id}")).into_response()),
        Err(e @ Error::Invalid(_)) => course_page(&state, &ctx, id, Some(e.detail(ctx.lang))).await,
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

/// Downloads a material (any logged-in user); the name is sent both plain
/// (ASCII fallback) and UTF-8 encoded.
pub async fn material(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    ctx.actor()?;
    let (m, bytes) = state
        .app
        .curriculum
        .material(id)
        .await
        .map_err(|e| PageError::new(&ctx, e))?;
    let ascii: String = m
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        crate::error::urlencode(&m.filename)
    );
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&m.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

// ---- Creating a session -------------------------------------------------------

#[derive(Template)]
#[template(path = "session_form.html")]
struct SessionFormPage<'a> {
    ctx: &'a Ctx,
    form: Vec<(String, String)>,
    errors: FieldErrors,
    /// Every problem, venue problems named by their venue.
    messages: Vec<String>,
    /// The problems of each venue row, by row index.
    row_errors: Vec<Vec<String>>,
    programmes: Vec<(i64, String)>,
    courses: Vec<(i64, String)>,
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
    let err = |e| PageError::new(ctx, e);
    let programmes = state
        .app
        .training
        .programmes(actor)
        .await
        .map_err(err)?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let courses = state
        .app
        .curriculum
        .courses(None)
        .await
        .map_err(err)?
        .into_iter()
        .map(|c| (c.id, c.title))
        .collect();
    let in_scope = state
        .app
        .people
        .regions_in_scope(actor)
        .await
        .map_err(err)?;
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

pub async fn new_session(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    actor.write_range().map_err(|e| PageError::new(&ctx, e))?;
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
    session_form(&state, &ctx, form, FieldErrors::default(), &[]).await
}

pub async fn create_session(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = ctx.actor()?;
    ctx.check_csrf(&field(&form, "csrf"))?;
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
        programme_id: field(&form, "programme_id").parse().unwrap_or(0),
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
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    ctx.check_csrf(&field(&form, "csrf"))?;
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
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    ctx.check_csrf(&field(&form, "csrf"))?;
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

// ---- Certificates ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage<'a> {
    ctx: &'a Ctx,
    cert: Option<fanxing_core::curriculum::CertificateView>,
    can_revoke: bool,
    /// Whether a number was asked for (else the page is only the box).
    asked: bool,
    number: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct VerifyQuery {
    number: Option<String>,
}

/// The public verify box: a number typed in goes to its verify page.
pub async fn verify_box(ctx: Ctx, Query(q): Query<VerifyQuery>) -> PageResult {
    match q.number.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => {
            let n = n.to_ascii_uppercase();
            Ok(Redirect::to(&format!("/verify/{}", crate::error::urlencode(&n))).into_response())
        }
        None => render(
            &ctx,
            &VerifyPage {
                ctx: &ctx,
                cert: None,
                can_revoke: false,
                asked: false,
                number: String::new(),
            },
        ),
    }
}

/// The public verify page. An unknown or malformed number says so plainly
/// (404) and reveals nothing else.
pub async fn verify(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<String>,
) -> PageResult {
    let cert = state
        .app
        .curriculum
        .verify_certificate(number.trim())
        .await
        .map_err(|e| PageError::new(&ctx, e))?;
    let can_revoke = match (&cert, ctx.user()) {
        (Some(c), Some(a)) => a
            .office_range()
            .map(|r| r.contains(c.person_region))
            .unwrap_or(false),
        _ => false,
    };
    let status = if cert.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let mut res = render(
        &ctx,
        &VerifyPage {
            ctx: &ctx,
            cert,
            can_revoke,
            asked: true,
            number: number.trim().to_string(),
        },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Template)]
#[template(path = "my_certificates.html")]
struct MyCertificatesPage<'a> {
    ctx: &'a Ctx,
    certs: Vec<fanxing_core::curriculum::CertificateView>,
}

pub async fn my_certificates(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    let certs = state
        .app
        .curriculum
        .my_certificates(actor)
        .await
        .map_err(|e| PageError::new(&ctx, e))?;
    render(&ctx, &MyCertificatesPage { ctx: &ctx, certs })
}

/// The certificate PDF, for its holder or an office over the holder.
pub async fn certificate_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(number): Path<String>,
) -> PageResult {
    let actor = ctx.actor()?;
    let err = |e| PageError::new(&ctx, e);
    let c = state
        .app
        .curriculum
        .certificate(actor, &number)
        .await
        .map_err(err)?;
    let url = format!(
        "{}/verify/{}",
        crate::pages_training::base_url(&headers),
        c.number
    );
    let lang = ctx.lang;
    let number = c.number.clone();
    let pdf =
        fanxing_core::sheet::off_workers(move || crate::certificate_pdf::render(&c, &url, lang))
            .await
            .and_then(|r| r)
            .map_err(err)?;
    let mut res = pdf.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{number}.pdf\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

pub async fn revoke_certificate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = ctx.actor()?;
    ctx.check_csrf(&field(&form, "csrf"))?;
    state
        .app
        .curriculum
        .revoke_certificate(actor, &number, &field(&form, "reason"))
        .await
        .map_err(|e| {
            let msg = e.detail(ctx.lang);
            PageError::new(&ctx, e).with_message(&msg)
        })?;
    Ok(Redirect::to(&format!("/verify/{}", crate::error::urlencode(&number))).into_response())
}

/// Filters of the office certificate list and its zip download.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CertificateFilter {
    track: Option<String>,
    session: Option<String>,
    /// A number, a holder's mobile or part of a name (the list only).
    q: Option<String>,
    page: Option<String>,
}

impl CertificateFilter {
    /// The track and session ids; a malformed one is a field error.
    fn ids(&self) -> Result<(Option<i64>, Option<i64>), Error> {
        let parse = |v: &Option<String>, name: &'static str| -> Result<Option<i64>, Error> {
            match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| Error::field(name, "error.number")),
            }
        };
        Ok((
            parse(&self.track, "track")?,
            parse(&self.session, "session")?,
        ))
    }

    fn query(&self, page: Option<i64>) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("track", &self.track),
            ("session", &self.session),
            ("q", &self.q),
        ] {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", crate::error::urlencode(v)));
            }
        }
        if let Some(n) = page {
            parts.push(format!("page={n}"));
        }
        parts.join("&")
    }
}

#[derive(Template)]
#[template(path = "certificates.html")]
struct CertificatesPage<'a> {
    ctx: &'a Ctx,
    tracks: Vec<Track>,
    track: String,
    session: String,
    q: String,
    certs: fanxing_core::store::Page<fanxing_core::curriculum::CertificateView>,
    count: String,
    zip_href: String,
    pager: crate::pages::Pager,
}

const CERTS_PER_PAGE: i64 = 50;

/// An office's certificates (holders in its scope), by track or session,
/// with a zip download of all that match.
pub async fn office_certificates(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(f): axum::extract::Query<CertificateFilter>,
) -> PageResult {
    let actor = ctx.actor()?;
    let err = |e| PageError::new(&ctx, e);
    let (track, session) = f.ids().map_err(err)?;
    let page = f
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .max(1);
    let certs = state
        .app
        .curriculum
        .search_certificates(
            actor,
            track,
            session,
            f.q.as_deref().unwrap_or(""),
            fanxing_core::store::page_offset(page, CERTS_PER_PAGE),
            CERTS_PER_PAGE,
        )
        .await
        .map_err(err)?;
    let pages = ((certs.total + CERTS_PER_PAGE - 1) / CERTS_PER_PAGE).max(1);
    let href = |n: i64| format!("/certificates?{}", f.query(Some(n)));
    let pager = crate::pages::Pager {
        page,
        pages,
        prev: (page > 1).then(|| href(page - 1)),
        next: (page < pages).then(|| href(page + 1)),
    };
    let count = ctx.tf(
        "certificate.count",
        &[("n", &fanxing_core::numfmt::grouped(certs.total))],
    );
    render(
        &ctx,
        &CertificatesPage {
            ctx: &ctx,
            tracks: state.app.curriculum.tracks().await.map_err(err)?,
            track: track.map(|t| t.to_string()).unwrap_or_default(),
            session: session.map(|s| s.to_string()).unwrap_or_default(),
            q: f.q.clone().unwrap_or_default(),
            count,
            // The zip holds a track's or a session's certificates: the
            // search box narrows only the list.
            zip_href: format!(
                "/certificates.zip?{}",
                CertificateFilter {
                    q: None,
                    track: f.track.clone(),
                    session: f.session.clone(),
                    page: None,
                }
                .query(None)
            ),
            certs,
            pager,
        },
    )
}

/// Every certificate that matches the filter, as PDFs in one zip (stored,
/// not deflated: the PDFs are compressed already). Rendered off the async
/// workers.
pub async fn certificates_zip(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    axum::extract::Query(f): axum::extract::Query<CertificateFilter>,
) -> PageResult {
    let actor = ctx.actor()?;
    let err = |e| {
        let msg = Error::detail(&e, ctx.lang);
        PageError::new(&ctx, e).with_message(&msg)
    };
    let (track, session) = f.ids().map_err(err)?;
    let certs = state
        .app
        .curriculum
        .certificates_for_zip(actor, track, session)
        .await
        .map_err(err)?;
    let base = crate::pages_training::base_url(&headers);
    let lang = ctx.lang;
    let file = tokio::task::spawn_blocking(move || write_zip(&certs, &base, lang))
        .await
        .map_err(|e| Error::Store(format!("zip task: {e}")))
        .and_then(|r| r)
        .map_err(err)?;
    let name = match (track, session) {
        (_, Some(s)) => format!("certificates-session-{s}.zip"),
        (Some(t), None) => format!("certificates-track-{t}.zip"),
        (None, None) => "certificates.zip".to_string(),
    };
    crate::download::file_download(file, crate::download::ZIP, &name)
        .map_err(|e| err(Error::Store(format!("zip file: {e}"))))
}

fn write_zip(
    certs: &[fanxing_core::curriculum::CertificateView],
    base: &str,
    lang: fanxing_core::Lang,
) -> Result<std::fs::File, Error> {
    let io = |e: std::io::Error| Error::Store(format!("zip file: {e}"));
    let z = |e: zip::result::ZipError| Error::Store(format!("zip: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(tempfile::tempfile().map_err(io)?));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for c in certs {
        let url = format!("{base}/verify/{}", c.number);
        let pdf = crate::certificate_pdf::render(c, &url, lang)?;
        zip.start_file(format!("{}.pdf", c.number), options)
            .map_err(z)?;
        std::io::Write::write_all(&mut zip, &pdf).map_err(io)?;
    }
    let out = zip.finish().map_err(z)?;
    out.into_inner().map_err(|e| io(e.into_error()))
}
