//! Server-rendered pages. Each handler: extract [`Ctx`], call the service,
//! render a template. Forms post back to the same URL; on invalid input the
//! form is shown again with each field's message, and nothing is saved.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use fanxing_core::people::accounts::SESSION_TTL_SECS;
use fanxing_core::people::{OrgKind, SalesBand, Tier};
use fanxing_core::region::Region;
use fanxing_core::{Error, Lang};
use serde::Deserialize;

use crate::ctx::{safe_next, set_cookie, CsrfForm, Ctx, LANG_COOKIE, SESSION_COOKIE};
use crate::error::PageError;
use crate::AppState;

pub(crate) type PageResult = Result<Response, PageError>;

/// Renders a template into a response, or a plain 500 if it cannot.
pub(crate) fn render(ctx: &Ctx, t: &impl Template) -> PageResult {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| PageError::new(ctx, Error::Store(format!("template: {e}"))))
}

/// A page's query after a form post redirected to it: what was done
/// (`?done=saved`), for the page's notice.
#[derive(Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// The end of a form post: a redirect to where the saved thing lives when
/// the service took it; the form again, with each refused field named, when
/// it refused the input (invalid, or in conflict with what is stored); any
/// other refusal as an error page.
pub(crate) async fn saved_or_form<T, F>(
    ctx: &Ctx,
    saved: Result<T, Error>,
    to: impl FnOnce(&T) -> String,
    form: impl FnOnce(fanxing_core::FieldErrors) -> F,
) -> PageResult
where
    F: std::future::Future<Output = PageResult>,
{
    match saved {
        Ok(v) => Ok(Redirect::to(&to(&v)).into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => form(e.fields()).await,
        Err(e) => Err(PageError::new(ctx, e)),
    }
}

pub(crate) fn render_status(ctx: &Ctx, status: StatusCode, t: &impl Template) -> PageResult {
    let mut res = render(ctx, t)?;
    *res.status_mut() = status;
    Ok(res)
}

/// Parses a path id (a plain number or one of the id types); anything that
/// is not a positive number is "not found".
pub(crate) fn path_id<T>(ctx: &Ctx, raw: &str) -> Result<T, PageError>
where
    T: std::str::FromStr + Copy + Into<i64>,
{
    raw.parse::<T>()
        .ok()
        .filter(|id| (*id).into() > 0)
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

/// How many rows of the fields named `{prefix}_{N}` (for any of
/// `prefixes`) a form sent: one past the highest `N`, at most `max`. A
/// form shows every stored row, which may be more than a blank form
/// offers, so a reader that stops at the blank form's count would drop
/// the rest when the form is saved.
pub(crate) fn rows_sent(form: &[(String, String)], prefixes: &[&str], max: usize) -> usize {
    form.iter()
        .filter_map(|(k, _)| {
            let (prefix, n) = k.rsplit_once('_')?;
            prefixes
                .contains(&prefix)
                .then(|| n.parse::<usize>().ok())?
        })
        .map(|n| n.saturating_add(1))
        .max()
        .unwrap_or(0)
        .min(max)
}

pub(crate) fn opt_field(form: &[(String, String)], name: &str) -> Option<String> {
    Some(field(form, name)).filter(|v| !v.trim().is_empty())
}

/// Labels for the choice lists of forms and filters.
pub struct Choice {
    pub value: String,
    pub label: String,
}

pub(crate) fn tier_choices(lang: Lang) -> Vec<Choice> {
    Tier::ALL
        .iter()
        .map(|t| Choice {
            value: t.as_str().into(),
            label: lang.t(t.label_key()).into(),
        })
        .collect()
}

pub(crate) fn kind_choices(lang: Lang) -> Vec<Choice> {
    OrgKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: lang.t(k.label_key()).into(),
        })
        .collect()
}

pub(crate) fn band_choices(lang: Lang) -> Vec<Choice> {
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

/// The static files: name, content, media type.
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.css", APP_CSS, "text/css; charset=utf-8"),
    ("app.js", APP_JS, "text/javascript; charset=utf-8"),
    ("checkin.js", CHECKIN_JS, "text/javascript; charset=utf-8"),
    ("watch.js", WATCH_JS, "text/javascript; charset=utf-8"),
    ("favicon.svg", FAVICON, "image/svg+xml"),
    ("monitor.js", MONITOR_JS, "text/javascript; charset=utf-8"),
];

/// A static file's entity tag: a hash of its content, the same on every
/// server of one build; weak, as the file may be sent compressed or not.
fn asset_tag(body: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    body.hash(&mut h);
    format!("W/\"{:016x}\"", h.finish())
}

/// Static files, kept by browsers an hour, then revalidated by their
/// entity tag (`304 Not Modified` while unchanged).
pub async fn asset(Path(file): Path<String>, headers: axum::http::HeaderMap) -> Response {
    static TAGS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let Some(i) = ASSETS.iter().position(|(name, ..)| *name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (_, body, mime) = ASSETS[i];
    let tag = &TAGS.get_or_init(|| ASSETS.iter().map(|(_, b, _)| asset_tag(b)).collect())[i];
    let cache = (
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    let etag = (
        header::ETAG,
        HeaderValue::from_str(tag).unwrap_or(HeaderValue::from_static("\"\"")),
    );
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            // Weak comparison (RFC 9110, 13.1.2).
            let weak = |t: &str| t.trim().trim_start_matches("W/").to_string();
            v.split(',')
                .any(|t| t.trim() == "*" || weak(t) == weak(tag))
        });
    if unchanged {
        return (StatusCode::NOT_MODIFIED, [cache, etag]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            cache,
            etag,
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
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let login = field(&form, "login");
    let next = safe_next(Some(&field(&form, "next")));
    let addr = crate::people::accounts_pages::client_addr(&headers, peer, &state.trusted_proxies);
    let device = crate::ctx::cookie(&headers, crate::people::accounts_pages::DEVICE_COOKIE);
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
            Ok(crate::people::accounts_pages::with_device_cookie(
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

pub async fn logout(State(state): State<AppState>, ctx: Ctx, CsrfForm(_): CsrfForm) -> PageResult {
    if let Some(token) = &ctx.session_token {
        state.app.accounts.logout(token).await?;
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
    actor.stats_range()?;
    let list = state.app.training.programmes(actor).await?;
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

/// Page links for a list.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// Tier codes with their names, for forms.
pub(crate) fn tier_pairs(ctx: &Ctx) -> Vec<(&'static str, String)> {
    Tier::ALL
        .iter()
        .map(|t| (t.as_str(), ctx.t(t.label_key()).to_string()))
        .collect()
}
