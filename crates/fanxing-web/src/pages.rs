//! Server-rendered pages. Each handler: extract [`Ctx`], call the service,
//! render a template. Forms post back to the same URL; on invalid input the
//! form is shown again with each field's message, and nothing is saved.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use fanxing_core::auth::Actor;
use fanxing_core::people::accounts::SESSION_TTL_SECS;
use fanxing_core::people::service::{OrgFilter, PeopleFilter, Revealed};
use fanxing_core::people::{OrgInput, OrgKind, Organisation, Person, PersonInput, SalesBand, Tier};
use fanxing_core::region::{Region, RegionCode};
use fanxing_core::store::Page;
use fanxing_core::{Error, FieldErrors, Lang};
use serde::Deserialize;

use crate::ctx::{safe_next, set_cookie, Ctx, LANG_COOKIE, SESSION_COOKIE};
use crate::error::{urlencode, PageError};
use crate::AppState;

type PageResult = Result<Response, PageError>;

/// Renders a template into a response, or a plain 500 if it cannot.
pub(crate) fn render(ctx: &Ctx, t: &impl Template) -> PageResult {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| PageError::new(ctx, Error::Store(format!("template: {e}"))))
}

pub(crate) fn render_status(ctx: &Ctx, status: StatusCode, t: &impl Template) -> PageResult {
    let mut res = render(ctx, t)?;
    *res.status_mut() = status;
    Ok(res)
}

/// Parses a path id; anything that is not a positive number is "not found".
pub(crate) fn path_id(ctx: &Ctx, raw: &str) -> Result<i64, PageError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| PageError::new(ctx, Error::NotFound))
}

/// An uploaded file and the form's CSRF token, read from a multipart form.
/// `bad` names the problem to report when the body is not a usable upload.
pub(crate) async fn read_upload(
    ctx: &Ctx,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
    bad: &'static str,
    too_large: &'static str,
) -> Result<(String, String, Vec<u8>), PageError> {
    let u = read_upload_form(ctx, form, bad, too_large).await?;
    Ok((u.csrf, u.filename, u.bytes))
}

/// A multipart form with one file (`file`) and text fields.
pub(crate) struct Upload {
    pub csrf: String,
    pub filename: String,
    pub bytes: Vec<u8>,
    pub fields: Vec<(String, String)>,
}

pub(crate) async fn read_upload_form(
    ctx: &Ctx,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
    bad: &'static str,
    too_large: &'static str,
) -> Result<Upload, PageError> {
    let fail = |key| PageError::new(ctx, Error::field("file", key));
    let mut form = form.map_err(|_| fail(bad))?;
    let mut up = Upload {
        csrf: String::new(),
        filename: String::new(),
        bytes: Vec::new(),
        fields: Vec::new(),
    };
    while let Some(f) = form.next_field().await.map_err(|_| fail(bad))? {
        match f.name().map(str::to_string) {
            Some(n) if n == "csrf" => up.csrf = f.text().await.map_err(|_| fail(bad))?,
            Some(n) if n == "file" => {
                up.filename = f.file_name().unwrap_or("file").to_string();
                up.bytes = f.bytes().await.map_err(|_| fail(too_large))?.to_vec();
            }
            Some(n) => {
                let v = f.text().await.map_err(|_| fail(bad))?;
                up.fields.push((n, v));
            }
            None => {}
        }
    }
    Ok(up)
}

/// Reads one field from a posted form.
pub(crate) fn field(form: &[(String, String)], name: &str) -> String {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

pub(crate) fn opt_field(form: &[(String, String)], name: &str) -> Option<String> {
    Some(field(form, name)).filter(|v| !v.trim().is_empty())
}

/// Labels for the choice lists of forms and filters.
pub struct Choice {
    pub value: String,
    pub label: String,
}

fn tier_choices(lang: Lang) -> Vec<Choice> {
    Tier::ALL
        .iter()
        .map(|t| Choice {
            value: t.as_str().into(),
            label: lang.t(t.label_key()).into(),
        })
        .collect()
}

fn kind_choices(lang: Lang) -> Vec<Choice> {
    OrgKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: lang.t(k.label_key()).into(),
        })
        .collect()
}

fn band_choices(lang: Lang) -> Vec<Choice> {
    SalesBand::ALL
        .iter()
        .map(|b| Choice {
            value: b.as_str().into(),
            label: lang.t(b.label_key()).into(),
        })
        .collect()
}

pub(crate) fn region_choices(regions: &[Region]) -> Vec<Choice> {
    regions
        .iter()
        .map(|r| Choice {
            value: r.code.to_string(),
            label: match r.level {
                fanxing_core::region::RegionLevel::County
                | fanxing_core::region::RegionLevel::Zone => format!("\u{a0}\u{a0}{}", r.name),
                _ => r.name.clone(),
            },
        })
        .collect()
}

// ---- Infrastructure ------------------------------------------------------

pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

const APP_CSS: &str = include_str!("../static/app.css");
const APP_JS: &str = include_str!("../static/app.js");
const CHECKIN_JS: &str = include_str!("../static/checkin.js");
const WATCH_JS: &str = include_str!("../static/watch.js");
const FAVICON: &str = include_str!("../static/favicon.svg");
const MONITOR_JS: &str = include_str!("../static/monitor.js");

pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, mime) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "checkin.js" => (CHECKIN_JS, "text/javascript; charset=utf-8"),
        "watch.js" => (WATCH_JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        "monitor.js" => (MONITOR_JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// Switches the language and returns to the page the user was on.
pub async fn set_lang(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<Back>,
) -> Response {
    let lang = Lang::parse(&lang).unwrap_or_default();
    let mut res = Redirect::to(&safe_next(q.back.as_deref())).into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        LANG_COOKIE,
        lang.tag(),
        86400 * 365,
        "Lax",
        state.secure_cookies,
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage<'a> {
    ctx: &'a Ctx,
}

pub async fn not_found(ctx: Ctx) -> PageResult {
    render_status(&ctx, StatusCode::NOT_FOUND, &NotFoundPage { ctx: &ctx })
}

// ---- Log-in --------------------------------------------------------------

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ctx: &'a Ctx,
    next: String,
    login: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
}

pub async fn login_form(ctx: Ctx, Query(q): Query<LoginQuery>) -> PageResult {
    let notice = if q.expired.is_some() {
        Some(ctx.t("login.expired").to_string())
    } else if q.next.is_some() {
        Some(ctx.t("login.required").to_string())
    } else {
        None
    };
    render(
        &ctx,
        &LoginPage {
            ctx: &ctx,
            next: safe_next(q.next.as_deref()),
            login: String::new(),
            error: None,
            notice,
        },
    )
}

pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    ctx.check_csrf(&field(&form, "csrf"))?;
    let login = field(&form, "login");
    let next = safe_next(Some(&field(&form, "next")));
    let addr = crate::pages_accounts::client_addr(&headers, peer, &state.trusted_proxies);
    let device = crate::ctx::cookie(&headers, crate::pages_accounts::DEVICE_COOKIE);
    match state
        .app
        .accounts
        .login(&login, &field(&form, "password"), &addr, device.as_deref())
        .await
    {
        Ok(ok) => {
            let mut res = Redirect::to(&next).into_response();
            let c = set_cookie(
                SESSION_COOKIE,
                &ok.session,
                SESSION_TTL_SECS,
                "Lax",
                state.secure_cookies,
            );
            if let Ok(v) = HeaderValue::from_str(&c) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(crate::pages_accounts::with_device_cookie(
                res,
                ok.new_device.as_deref(),
                state.secure_cookies,
            ))
        }
        Err(e @ (Error::Invalid(_) | Error::RateLimited(_))) => {
            let status = if matches!(e, Error::RateLimited(_)) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            let error = Some(e.detail(ctx.lang));
            render_status(
                &ctx,
                status,
                &LoginPage {
                    ctx: &ctx,
                    next,
                    login,
                    error,
                    notice: None,
                },
            )
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    ctx.check_csrf(&field(&form, "csrf"))?;
    if let Some(token) = &ctx.session_token {
        state
            .app
            .accounts
            .logout(token)
            .await
            .map_err(|e| PageError::new(&ctx, e))?;
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        SESSION_COOKIE,
        "",
        0,
        "Lax",
        state.secure_cookies,
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

// ---- Home ----------------------------------------------------------------

/// The programme office's and cities' way in to progress: the latest programme.
pub async fn programmes(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    actor.stats_range().map_err(|e| PageError::new(&ctx, e))?;
    let list = state
        .app
        .training
        .programmes(actor)
        .await
        .map_err(|e| PageError::new(&ctx, e))?;
    match list.last() {
        Some(p) => Ok(Redirect::to(&format!("/programmes/{}", p.id)).into_response()),
        None => Err(PageError::new(&ctx, Error::NotFound)),
    }
}

/// "My profile": the caller's own person page.
pub async fn me(ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    match actor.user.person_id {
        Some(id) => Ok(Redirect::to(&format!("/people/{id}")).into_response()),
        None => Ok(Redirect::to("/").into_response()),
    }
}

// ---- People --------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    region: Option<String>,
    tier: Option<String>,
    kind: Option<String>,
    org: Option<String>,
    page: Option<String>,
}

impl ListQuery {
    fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
            .max(1)
    }

    fn region(&self) -> Result<Option<RegionCode>, Error> {
        fanxing_core::region::region_filter(self.region.as_deref())
    }

    /// The query string for page `n`, keeping every filter.
    fn href(&self, base: &str, n: i64) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("region", &self.region),
            ("tier", &self.tier),
            ("kind", &self.kind),
            ("org", &self.org),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", urlencode(v)));
            }
        }
        parts.push(format!("page={n}"));
        format!("{base}?{}", parts.join("&"))
    }
}

/// Page links for a list.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

fn pager<T>(q: &ListQuery, base: &str, page: &Page<T>) -> Pager {
    let per = page.limit.max(1);
    let pages = ((page.total + per - 1) / per).max(1);
    let n = q.page();
    Pager {
        page: n,
        pages,
        prev: (n > 1).then(|| q.href(base, n - 1)),
        next: (n < pages).then(|| q.href(base, n + 1)),
    }
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage<'a> {
    ctx: &'a Ctx,
    q: String,
    region: String,
    tier: String,
    org: String,
    regions: Vec<Choice>,
    tiers: Vec<Choice>,
    people: Page<Person>,
    pager: Pager,
    count: String,
    can_create: bool,
}

pub async fn people(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let actor = ctx.actor()?;
    let err = |e| PageError::new(&ctx, e);
    let filter = PeopleFilter {
        text: q.q.clone(),
        region: q.region().map_err(err)?,
        tier: q.tier.as_deref().and_then(Tier::parse),
        org_id: q.org.as_deref().and_then(|o| o.parse().ok()),
        page: q.page(),
        per_page: 50,
    };
    let people = state
        .app
        .people
        .list_people(actor, &filter)
        .await
        .map_err(err)?;
    let regions = state
        .app
        .people
        .regions_in_scope(actor)
        .await
        .map_err(err)?;
    let pager = pager(&q, "/people", &people);
    let count = ctx.tf("people.count", &[("n", &people.total.to_string())]);
    render(
        &ctx,
        &PeoplePage {
            ctx: &ctx,
            q: q.q.clone().unwrap_or_default(),
            region: q.region.clone().unwrap_or_default(),
            tier: q.tier.clone().unwrap_or_default(),
            org: q.org.clone().unwrap_or_default(),
            regions: region_choices(&regions),
            tiers: tier_choices(ctx.lang),
            people,
            pager,
            count,
            can_create: actor.write_range().is_ok(),
        },
    )
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage<'a> {
    ctx: &'a Ctx,
    person: Person,
    revealed: Option<Revealed>,
    can_edit: bool,
    can_reveal: bool,
    /// Whether the organisation's name links to its page for the caller.
    org_link: bool,
}

pub async fn person(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    person_page(&state, &ctx, &id, false).await
}

/// The person's page with the full numbers: a POST (with the CSRF token),
/// so that a link, a prefetch or a crawler never triggers the audited read,
/// and the answer is never cached.
pub async fn reveal_person(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    ctx.check_csrf(&field(&form, "csrf"))?;
    person_page(&state, &ctx, &id, true).await
}

async fn person_page(state: &AppState, ctx: &Ctx, id: &str, reveal: bool) -> PageResult {
    let id = path_id(ctx, id)?;
    let actor = ctx.actor()?;
    let err = |e| PageError::new(ctx, e);
    let person = state.app.people.person(actor, id).await.map_err(err)?;
    let revealed = if reveal {
        Some(
            state
                .app
                .people
                .reveal_person(actor, id)
                .await
                .map_err(err)?,
        )
    } else {
        None
    };
    render(
        ctx,
        &PersonPage {
            ctx,
            revealed,
            can_edit: actor.write_range().is_ok(),
            can_reveal: actor.may_reveal_personal_numbers(),
            org_link: person.org_id.is_some_and(|o| actor.may_open_org(o, None)),
            person,
        },
    )
}

#[derive(Template)]
#[template(path = "person_form.html")]
struct PersonFormPage<'a> {
    ctx: &'a Ctx,
    action: String,
    title: &'a str,
    v: PersonInput,
    /// On edit: the masked numbers on record (the full ones are never
    /// sent to a form; an empty field keeps them).
    mobile_masked: Option<String>,
    id_masked: Option<String>,
    errors: FieldErrors,
    regions: Vec<Choice>,
    tiers: Vec<Choice>,
}

impl PersonFormPage<'_> {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| e.message(self.ctx.lang))
    }

    fn org_value(&self) -> String {
        self.v.org_id.clone().unwrap_or_default()
    }

    fn id_value(&self) -> String {
        self.v.id_number.clone().unwrap_or_default()
    }
}

/// Where a form posts and what it is called.
struct FormMeta {
    action: String,
    title_key: &'static str,
}

fn meta(action: impl Into<String>, title_key: &'static str) -> FormMeta {
    FormMeta {
        action: action.into(),
        title_key,
    }
}

async fn person_form(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    m: FormMeta,
    v: PersonInput,
    masked: (Option<String>, Option<String>),
    errors: FieldErrors,
) -> PageResult {
    let regions = state
        .app
        .people
        .regions_in_scope(actor)
        .await
        .map_err(|e| PageError::new(ctx, e))?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        ctx,
        status,
        &PersonFormPage {
            ctx,
            action: m.action,
            title: ctx.t(m.title_key),
            v,
            mobile_masked: masked.0,
            id_masked: masked.1,
            errors,
            regions: region_choices(&regions),
            tiers: tier_choices(ctx.lang),
        },
    )
}

fn person_input(form: &[(String, String)]) -> PersonInput {
    PersonInput {
        name: field(form, "name"),
        mobile: field(form, "mobile"),
        id_number: opt_field(form, "id_number"),
        tier: field(form, "tier"),
        org_id: opt_field(form, "org_id"),
        region: field(form, "region"),
    }
}

pub async fn new_person(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    actor.write_range().map_err(|e| PageError::new(&ctx, e))?;
    let v = PersonInput {
        region: actor.user.region.map(|r| r.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    person_form(
        &state,
        &ctx,
        actor,
        meta("/people", "people.new"),
        v,
        (None, None),
        FieldErrors::default(),
    )
    .await
}

pub async fn create_person(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = ctx.actor()?;
    ctx.check_csrf(&field(&form, "csrf"))?;
    let input = person_input(&form);
    match state.app.people.create_person(actor, &input).await {
        Ok(p) => Ok(Redirect::to(&format!("/people/{}", p.id)).into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            person_form(
                &state,
                &ctx,
                actor,
                meta("/people", "people.new"),
                input,
                (None, None),
                e.fields(),
            )
            .await
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

pub async fn edit_person(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let err = |e| PageError::new(&ctx, e);
    actor.write_range().map_err(err)?;
    let p = state.app.people.person(actor, id).await.map_err(err)?;
    let v = PersonInput {
        name: p.name,
        mobile: String::new(),
        id_number: None,
        tier: p.tier.as_str().into(),
        org_id: p.org_id.map(|o| o.to_string()),
        region: p.region.to_string(),
    };
    person_form(
        &state,
        &ctx,
        actor,
        meta(format!("/people/{id}"), "people.edit"),
        v,
        (Some(p.mobile), p.id_number_masked),
        FieldErrors::default(),
    )
    .await
}

pub async fn update_person(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    ctx.check_csrf(&field(&form, "csrf"))?;
    let input = person_input(&form);
    match state.app.people.update_person(actor, id, &input).await {
        Ok(p) => Ok(Redirect::to(&format!("/people/{}", p.id)).into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            person_form(
                &state,
                &ctx,
                actor,
                meta(format!("/people/{id}"), "people.edit"),
                input,
                (None, None),
                e.fields(),
            )
            .await
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

// ---- Organisations -------------------------------------------------------

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsPage<'a> {
    ctx: &'a Ctx,
    q: String,
    region: String,
    kind: String,
    regions: Vec<Choice>,
    kinds: Vec<Choice>,
    orgs: Page<Organisation>,
    pager: Pager,
    count: String,
    can_create: bool,
}

pub async fn orgs(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let actor = ctx.actor()?;
    let err = |e| PageError::new(&ctx, e);
    let filter = OrgFilter {
        text: q.q.clone(),
        region: q.region().map_err(err)?,
        kind: q.kind.as_deref().and_then(OrgKind::parse),
        page: q.page(),
        per_page: 50,
    };
    let orgs = state
        .app
        .people
        .list_orgs(actor, &filter)
        .await
        .map_err(err)?;
    let regions = if actor.write_range().is_ok() {
        state
            .app
            .people
            .regions_in_scope(actor)
            .await
            .map_err(err)?
    } else {
        Vec::new()
    };
    let pager = pager(&q, "/orgs", &orgs);
    let count = ctx.tf("orgs.count", &[("n", &orgs.total.to_string())]);
    render(
        &ctx,
        &OrgsPage {
            ctx: &ctx,
            q: q.q.clone().unwrap_or_default(),
            region: q.region.clone().unwrap_or_default(),
            kind: q.kind.clone().unwrap_or_default(),
            regions: region_choices(&regions),
            kinds: kind_choices(ctx.lang),
            orgs,
            pager,
            count,
            can_create: actor.write_range().is_ok(),
        },
    )
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage<'a> {
    ctx: &'a Ctx,
    org: Organisation,
    can_edit: bool,
    can_list_people: bool,
}

pub async fn org(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let org = state
        .app
        .people
        .org(actor, id)
        .await
        .map_err(|e| PageError::new(&ctx, e))?;
    render(
        &ctx,
        &OrgPage {
            ctx: &ctx,
            org,
            can_edit: actor.write_range().is_ok(),
            can_list_people: actor.can_list_people(),
        },
    )
}

#[derive(Template)]
#[template(path = "org_form.html")]
struct OrgFormPage<'a> {
    ctx: &'a Ctx,
    action: String,
    title: &'a str,
    v: OrgInput,
    errors: FieldErrors,
    regions: Vec<Choice>,
    kinds: Vec<Choice>,
    bands: Vec<Choice>,
}

impl OrgFormPage<'_> {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| e.message(self.ctx.lang))
    }

    fn industry(&self) -> String {
        self.v.industry.clone().unwrap_or_default()
    }

    fn band(&self) -> String {
        self.v.sales_band.clone().unwrap_or_default()
    }

    fn credit_code(&self) -> String {
        self.v.credit_code.clone().unwrap_or_default()
    }
}

async fn org_form(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    m: FormMeta,
    v: OrgInput,
    errors: FieldErrors,
) -> PageResult {
    let regions = state
        .app
        .people
        .regions_in_scope(actor)
        .await
        .map_err(|e| PageError::new(ctx, e))?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        ctx,
        status,
        &OrgFormPage {
            ctx,
            action: m.action,
            title: ctx.t(m.title_key),
            v,
            errors,
            regions: region_choices(&regions),
            kinds: kind_choices(ctx.lang),
            bands: band_choices(ctx.lang),
        },
    )
}

fn org_input(form: &[(String, String)]) -> OrgInput {
    OrgInput {
        name: field(form, "name"),
        kind: field(form, "kind"),
        industry: opt_field(form, "industry"),
        sales_band: opt_field(form, "sales_band"),
        credit_code: opt_field(form, "credit_code"),
        region: field(form, "region"),
    }
}

pub async fn new_org(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    actor.write_range().map_err(|e| PageError::new(&ctx, e))?;
    let v = OrgInput {
        region: actor.user.region.map(|r| r.to_string()).unwrap_or_default(),
        kind: "enterprise".into(),
        ..Default::default()
    };
    org_form(
        &state,
        &ctx,
        actor,
        meta("/orgs", "orgs.new"),
        v,
        FieldErrors::default(),
    )
    .await
}

pub async fn create_org(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = ctx.actor()?;
    ctx.check_csrf(&field(&form, "csrf"))?;
    let input = org_input(&form);
    match state.app.people.create_org(actor, &input).await {
        Ok(o) => Ok(Redirect::to(&format!("/orgs/{}", o.id)).into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            org_form(
                &state,
                &ctx,
                actor,
                meta("/orgs", "orgs.new"),
                input,
                e.fields(),
            )
            .await
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

pub async fn edit_org(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let err = |e| PageError::new(&ctx, e);
    actor.write_range().map_err(err)?;
    let o = state.app.people.org(actor, id).await.map_err(err)?;
    let v = OrgInput {
        name: o.name,
        kind: o.kind.as_str().into(),
        industry: o.industry,
        sales_band: o.sales_band.map(|b| b.as_str().into()),
        credit_code: o.credit_code,
        region: o.region.to_string(),
    };
    org_form(
        &state,
        &ctx,
        actor,
        meta(format!("/orgs/{id}"), "orgs.edit"),
        v,
        FieldErrors::default(),
    )
    .await
}

pub async fn update_org(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    ctx.check_csrf(&field(&form, "csrf"))?;
    let input = org_input(&form);
    match state.app.people.update_org(actor, id, &input).await {
        Ok(o) => Ok(Redirect::to(&format!("/orgs/{}", o.id)).into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            org_form(
                &state,
                &ctx,
                actor,
                meta(format!("/orgs/{id}"), "orgs.edit"),
                input,
                e.fields(),
            )
            .await
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}
