//! Pages for the curriculum (tracks, competencies, courses, materials) and
//! the office forms that create sessions and allocate targets.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fanxing_core::curriculum::{Competency, Course, CourseInput, Material, Track};
use fanxing_core::training::CourseId;
use fanxing_core::{Error, FieldErrors};

use crate::ctx::{CsrfForm, Ctx};
use crate::error::PageError;
use crate::pages::{field, path_id, render, saved_or_form, tier_pairs};
use crate::AppState;

type PageResult = Result<Response, PageError>;

fn all(form: &[(String, String)], name: &str) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

#[derive(Template)]
#[template(path = "curriculum/courses.html")]
struct CoursesPage<'a> {
    ctx: &'a Ctx,
    tracks: Vec<Track>,
    competencies: Vec<Competency>,
    courses: Vec<Course>,
    is_admin: bool,
    can_create: bool,
    /// Each tier's required courses and each course's prerequisites.
    required: std::collections::HashMap<fanxing_core::people::Tier, Vec<String>>,
    prerequisites: std::collections::HashMap<fanxing_core::training::CourseId, Vec<String>>,
}

impl CoursesPage<'_> {
    fn required_of(&self, t: &Track) -> String {
        self.required
            .get(&t.tier)
            .map(|v| v.join("、"))
            .unwrap_or_default()
    }
    fn firsts_of(&self, c: &Course) -> String {
        self.prerequisites
            .get(&c.id)
            .map(|v| v.join("、"))
            .unwrap_or_default()
    }
}

pub async fn courses(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    let (required, prerequisites) = state.app.paths.rules_by_title().await?;
    render(
        &ctx,
        &CoursesPage {
            ctx: &ctx,
            required,
            prerequisites,
            tracks: state.app.curriculum.tracks().await?,
            competencies: state.app.curriculum.competencies().await?,
            courses: state.app.curriculum.courses(None).await?,
            is_admin: actor.role().is_programme_office(),
            can_create: actor.write_range().is_ok(),
        },
    )
}

pub async fn add_competency(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let actor = ctx.actor()?;
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
#[template(path = "curriculum/course_form.html")]
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
    let competencies = state.app.curriculum.competencies().await?;
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
    actor.write_range()?;
    let v = CourseInput {
        duration_minutes: 180,
        ..Default::default()
    };
    course_form(&state, &ctx, v, FieldErrors::default()).await
}

pub async fn create_course(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let actor = ctx.actor()?;
    let input = CourseInput {
        title: field(&form, "title"),
        summary: Some(field(&form, "summary")),
        tiers: all(&form, "tiers"),
        duration_minutes: field(&form, "duration_minutes").trim().parse().unwrap_or(0),
        lecturer: Some(field(&form, "lecturer")),
        competencies: all(&form, "competencies"),
    };
    let saved = state.app.curriculum.create_course(actor, &input).await;
    saved_or_form(
        &ctx,
        saved,
        |c| format!("/courses/{}", c.id),
        |errors| course_form(&state, &ctx, input, errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "curriculum/course.html")]
struct CoursePage<'a> {
    ctx: &'a Ctx,
    course: Course,
    materials: Vec<Material>,
    can_edit: bool,
    error: Option<String>,
    /// What the library made of each material.
    texts: Vec<fanxing_core::knowledge::store::MaterialText>,
    /// Cases on the course's first competency the caller may read.
    cases: Vec<fanxing_core::knowledge::search::Hit>,
    /// The tiers whose track requires the course, and its prerequisites
    /// (id and title).
    required_for: Vec<fanxing_core::people::Tier>,
    prerequisites: Vec<(CourseId, String)>,
    /// The other courses, for the programme office's rules form (else empty).
    others: Vec<(CourseId, String)>,
    may_set_rules: bool,
    /// A notice after a save (`rules`).
    done: Option<String>,
}

impl CoursePage<'_> {
    fn text_of(&self, id: &i64) -> Option<&fanxing_core::knowledge::store::MaterialText> {
        self.texts.iter().find(|t| t.material == *id)
    }
    fn flag(&self, key: &str) -> String {
        self.ctx
            .tf("knowledge.material_flag", &[("reason", self.ctx.t(key))])
    }
    fn requires(&self, t: &fanxing_core::people::Tier) -> bool {
        self.required_for.contains(t)
    }
    fn is_prerequisite(&self, id: &CourseId) -> bool {
        self.prerequisites.iter().any(|(p, _)| p == id)
    }
}

/// What a course page shows beyond the course itself.
#[derive(Default)]
pub(crate) struct CourseExtras {
    /// An error to show (the page then answers 422).
    pub error: Option<String>,
    /// A notice after a save.
    pub done: Option<String>,
    /// Path rules as submitted, shown again beside `error`.
    pub rules: Option<(Vec<fanxing_core::people::Tier>, Vec<CourseId>)>,
}

pub(crate) async fn course_page(
    state: &AppState,
    ctx: &Ctx,
    id: CourseId,
    extras: CourseExtras,
) -> PageResult {
    let CourseExtras { error, done, rules } = extras;
    let actor = ctx.actor()?;
    let course = state.app.curriculum.course(id).await?;
    let view = state.app.paths.course_rules_titled(id).await?;
    let may_set_rules = state.app.paths.may_set_rules(actor);
    let (required_for, prerequisites) = match rules {
        // What was submitted, titled as the other courses are.
        Some((tiers, firsts)) => {
            let titled = |c: &CourseId| view.others.iter().find(|(o, _)| o == c).cloned();
            (tiers, firsts.iter().filter_map(titled).collect())
        }
        None => (view.required_for, view.prerequisites),
    };
    let others = if may_set_rules {
        view.others
    } else {
        Vec::new()
    };
    let materials = state.app.curriculum.materials(id).await?;
    let can_edit = state.app.curriculum.can_edit_course(actor, &course).await;
    let ids: Vec<i64> = materials.iter().map(|m| m.id).collect();
    let texts = state.app.knowledge.material_texts(&ids).await?;
    let cases = match course.competencies.first() {
        Some(c) => {
            let q = fanxing_core::knowledge::search::SearchQuery {
                filters: fanxing_core::knowledge::search::Filters {
                    kind: Some(fanxing_core::knowledge::DocKind::Case),
                    competency: Some(c.code.clone()),
                    ..Default::default()
                },
                per_page: 3,
                ..Default::default()
            };
            state.app.knowledge.search(Some(actor), q).await?.hits
        }
        None => Vec::new(),
    };
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
            texts,
            cases,
            required_for,
            prerequisites,
            others,
            may_set_rules,
            done,
        },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn course(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<crate::pages::DoneQuery>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let extras = CourseExtras {
        done: q.done.filter(|d| d == "rules"),
        ..Default::default()
    };
    course_page(&state, &ctx, id, extras).await
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
        Ok(m) => {
            let course = state.app.curriculum.course(id).await?;
            state
                .app
                .knowledge
                .index_material(&course, &m, bytes)
                .await?;
            Ok(Redirect::to(&format!("/courses/{id}")).into_response())
        }
        Err(e @ Error::Invalid(_)) => {
            let extras = CourseExtras {
                error: Some(e.detail(ctx.lang)),
                ..Default::default()
            };
            course_page(&state, &ctx, id, extras).await
        }
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
    let (m, bytes) = state.app.curriculum.material(id).await?;
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

// ---- Certificates ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "curriculum/verify.html")]
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
        .await?;
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
#[template(path = "curriculum/my_certificates.html")]
struct MyCertificatesPage<'a> {
    ctx: &'a Ctx,
    certs: Vec<fanxing_core::curriculum::CertificateView>,
}

pub async fn my_certificates(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    let certs = state.app.curriculum.my_certificates(actor).await?;
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
    let c = state.app.curriculum.certificate(actor, &number).await?;
    let url = format!(
        "{}/verify/{}",
        crate::training::pages::base_url(&headers),
        c.number
    );
    let lang = ctx.lang;
    let number = c.number.clone();
    let pdf = fanxing_core::sheet::off_workers(move || {
        crate::curriculum::certificate_pdf::render(&c, &url, lang)
    })
    .await
    .and_then(|r| r)?;
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
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let actor = ctx.actor()?;
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
    fn ids(&self) -> Result<(Option<i64>, Option<fanxing_core::training::SessionId>), Error> {
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
            parse(&self.session, "session")?.map(fanxing_core::training::SessionId),
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
#[template(path = "curriculum/certificates.html")]
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
    let (track, session) = f.ids()?;
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
        .await?;
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
            tracks: state.app.curriculum.tracks().await?,
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
    let err = |e| PageError::from(e).detailed();
    let (track, session) = f.ids().map_err(err)?;
    let certs = state
        .app
        .curriculum
        .certificates_for_zip(actor, track, session)
        .await
        .map_err(err)?;
    let base = crate::training::pages::base_url(&headers);
    let lang = ctx.lang;
    let file = tokio::task::spawn_blocking(move || write_zip(&certs, &base, lang))
        .await
        .map_err(|e| Error::Store(format!("zip task: {e}")))
        .and_then(|r| r)?;
    let name = match (track, session) {
        (_, Some(s)) => format!("certificates-session-{s}.zip"),
        (Some(t), None) => format!("certificates-track-{t}.zip"),
        (None, None) => "certificates.zip".to_string(),
    };
    crate::download::file_download(file, crate::download::ZIP, &name)
        .map_err(|e| PageError::from(Error::Store(format!("zip file: {e}"))))
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
        let pdf = crate::curriculum::certificate_pdf::render(c, &url, lang)?;
        zip.start_file(format!("{}.pdf", c.number), options)
            .map_err(z)?;
        std::io::Write::write_all(&mut zip, &pdf).map_err(io)?;
    }
    let out = zip.finish().map_err(z)?;
    out.into_inner().map_err(|e| io(e.into_error()))
}
