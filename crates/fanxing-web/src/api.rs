//! The JSON API under `/api/v1`. Callers authenticate with
//! `Authorization: Bearer <token>` (from `fanxing token create`) or, from the
//! browser, with the session cookie plus an `X-CSRF-Token` header on writes.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::header::{ACCEPT_LANGUAGE, AUTHORIZATION};
use axum::http::request::Parts;
use axum::http::Method;
use axum::Json;
use fanxing_core::audit::AuditEntry;
use fanxing_core::auth::Actor;
use fanxing_core::people::service::{OrgFilter, Overview, PeopleFilter, Revealed};
use fanxing_core::people::{OrgInput, OrgKind, Organisation, Person, PersonInput, Tier};
use fanxing_core::region::{Region, RegionCode, RegionLevel};
use fanxing_core::store::Page;
use fanxing_core::{Error, Lang};
use serde::{Deserialize, Serialize};

use crate::ctx::{cookie, CsrfToken, LANG_COOKIE, SESSION_COOKIE};
use crate::error::ApiError;
use crate::AppState;

type ApiResult<T> = Result<Json<T>, ApiError>;

/// An authenticated API caller and the language for its messages.
pub struct Caller {
    pub actor: Actor,
    pub lang: Lang,
}

impl Caller {
    pub(crate) fn err(&self, e: Error) -> ApiError {
        ApiError {
            lang: self.lang,
            error: e,
        }
    }
}

fn api_lang(parts: &Parts) -> Lang {
    cookie(&parts.headers, LANG_COOKIE)
        .and_then(|v| Lang::parse(&v))
        .or_else(|| {
            parts
                .headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

impl<S> FromRequestParts<S> for Caller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let lang = api_lang(parts);
        let fail = |error| ApiError { lang, error };
        let bearer = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .map(str::to_string);
        let actor = if let Some(token) = bearer {
            state.app.accounts.token_actor(&token).await.map_err(fail)?
        } else if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
            let actor = state
                .app
                .accounts
                .session_actor(&token)
                .await
                .map_err(fail)?;
            // A browser session writing through the API must prove the
            // request came from a Fanxing page.
            if !matches!(parts.method, Method::GET | Method::HEAD) {
                let sent = parts
                    .headers
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let expected = parts
                    .extensions
                    .get::<CsrfToken>()
                    .map(|t| t.0.as_str())
                    .unwrap_or("");
                if sent.is_empty() || !fanxing_core::security::constant_time_eq(sent, expected) {
                    return Err(fail(Error::Forbidden));
                }
            }
            actor
        } else {
            return Err(fail(Error::Unauthorized));
        };
        tracing::Span::current().record("user", actor.user.id);
        Ok(Caller { actor, lang })
    }
}

/// Reads a JSON body, turning malformed JSON into a 400 in our error shape.
pub(crate) fn body<T>(c: &Caller, b: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    b.map(|Json(v)| v).map_err(|r| {
        c.err(Error::Message(format!(
            "{}: {}",
            c.lang.t("error.bad_request"),
            r.body_text()
        )))
    })
}

/// A query string for the API: like axum's `Query`, but a malformed one
/// (`?page=abc`) is a 400 in the API's JSON error shape, in the caller's
/// language, naming what was wrong.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(r) => {
                let lang = api_lang(parts);
                Err(ApiError {
                    lang,
                    error: Error::Message(format!(
                        "{}: {}",
                        lang.t("error.bad_query"),
                        r.body_text()
                    )),
                })
            }
        }
    }
}

pub async fn not_found(parts: Parts) -> ApiError {
    ApiError {
        lang: api_lang(&parts),
        error: Error::NotFound,
    }
}

#[derive(Serialize)]
pub struct Me {
    id: i64,
    username: String,
    display_name: String,
    role: fanxing_core::auth::Role,
    region: Option<RegionCode>,
    person_id: Option<i64>,
    org_id: Option<i64>,
}

pub async fn me(c: Caller) -> ApiResult<Me> {
    let u = c.actor.user;
    Ok(Json(Me {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        role: u.role,
        region: u.region,
        person_id: u.person_id,
        org_id: u.org_id,
    }))
}

#[derive(Deserialize)]
pub struct RegionQuery {
    level: Option<String>,
    parent: Option<String>,
}

pub async fn regions(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<RegionQuery>,
) -> ApiResult<Vec<Region>> {
    let level = match q.level.as_deref() {
        None | Some("") => None,
        Some(l) => Some(
            RegionLevel::parse(l).ok_or_else(|| c.err(Error::field("level", "error.choice")))?,
        ),
    };
    let parent = match q.parent.as_deref() {
        None | Some("") => None,
        Some(p) => Some(
            RegionCode::parse(p)
                .ok_or_else(|| c.err(Error::field("parent", "error.region_unknown")))?,
        ),
    };
    s.app
        .people
        .regions(level, parent)
        .await
        .map(Json)
        .map_err(|e| c.err(e))
}

pub async fn region(
    State(s): State<AppState>,
    c: Caller,
    Path(code): Path<String>,
) -> ApiResult<Region> {
    let code = RegionCode::parse(&code).ok_or_else(|| c.err(Error::NotFound))?;
    s.app
        .people
        .region(code)
        .await
        .map(Json)
        .map_err(|e| c.err(e))
}

pub async fn overview(State(s): State<AppState>, c: Caller) -> ApiResult<Overview> {
    s.app
        .people
        .overview(&c.actor)
        .await
        .map(Json)
        .map_err(|e| c.err(e))
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    region: Option<String>,
    tier: Option<String>,
    kind: Option<String>,
    org: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

impl ListQuery {
    fn region(&self, c: &Caller) -> Result<Option<RegionCode>, ApiError> {
        fanxing_core::region::region_filter(self.region.as_deref()).map_err(|e| c.err(e))
    }
}

/// Parses a path id; anything that is not a positive number is "not found".
pub(crate) fn path_id(c: &Caller, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| c.err(Error::NotFound))
}

/// Masks the mobile numbers of a page of people: lists never carry full numbers.
fn masked(mut p: Person) -> Person {
    p.mobile = fanxing_core::values::mask_mobile(&p.mobile);
    p
}

pub async fn people(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<ListQuery>,
) -> ApiResult<Page<Person>> {
    let tier = match q.tier.as_deref() {
        None | Some("") => None,
        Some(t) => Some(Tier::parse(t).ok_or_else(|| c.err(Error::field("tier", "error.choice")))?),
    };
    let f = PeopleFilter {
        text: q.q.clone(),
        region: q.region(&c)?,
        tier,
        org_id: q.org.as_deref().and_then(|o| o.parse().ok()),
        page: q.page.unwrap_or(1),
        per_page: q.per_page.unwrap_or(50),
    };
    let page = s
        .app
        .people
        .list_people(&c.actor, &f)
        .await
        .map_err(|e| c.err(e))?;
    Ok(Json(Page {
        items: page.items.into_iter().map(masked).collect(),
        total: page.total,
        offset: page.offset,
        limit: page.limit,
    }))
}

pub async fn person(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Person> {
    let id = path_id(&c, &id)?;
    s.app
        .people
        .person(&c.actor, id)
        .await
        .map(masked)
        .map(Json)
        .map_err(|e| c.err(e))
}

pub async fn reveal_person(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Revealed> {
    let id = path_id(&c, &id)?;
    s.app
        .people
        .reveal_person(&c.actor, id)
        .await
        .map(Json)
        .map_err(|e| c.err(e))
}

pub async fn create_person(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<PersonInput>, JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<Person>), ApiError> {
    let input = body(&c, b)?;
    let p = s
        .app
        .people
        .create_person(&c.actor, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((axum::http::StatusCode::CREATED, Json(masked(p))))
}

pub async fn update_person(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<PersonInput>, JsonRejection>,
) -> ApiResult<Person> {
    let id = path_id(&c, &id)?;
    let input = body(&c, b)?;
    s.app
        .people
        .update_person(&c.actor, id, &input)
        .await
        .map(masked)
        .map(Json)
        .map_err(|e| c.err(e))
}

pub async fn orgs(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<ListQuery>,
) -> ApiResult<Page<Organisation>> {
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(k) => {
            Some(OrgKind::parse(k).ok_or_else(|| c.err(Error::field("kind", "error.choice")))?)
        }
    };
    let f = OrgFilter {
        text: q.q.clone(),
        region: q.region(&c)?,
        kind,
        page: q.page.unwrap_or(1),
        per_page: q.per_page.unwrap_or(50),
    };
    s.app
        .people
        .list_orgs(&c.actor, &f)
        .await
        .map(Json)
        .map_err(|e| c.err(e))
}

pub async fn org(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Organisation> {
    let id = path_id(&c, &id)?;
    s.app
        .people
        .org(&c.actor, id)
        .await
        .map(Json)
        .map_err(|e| c.err(e))
}

pub async fn create_org(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<OrgInput>, JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<Organisation>), ApiError> {
    let input = body(&c, b)?;
    let o = s
        .app
        .people
        .create_org(&c.actor, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((axum::http::StatusCode::CREATED, Json(o)))
}

pub async fn update_org(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<OrgInput>, JsonRejection>,
) -> ApiResult<Organisation> {
    let id = path_id(&c, &id)?;
    let input = body(&c, b)?;
    s.app
        .people
        .update_org(&c.actor, id, &input)
        .await
        .map(Json)
        .map_err(|e| c.err(e))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    limit: Option<i64>,
}

pub async fn audit(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<AuditQuery>,
) -> ApiResult<Vec<AuditEntry>> {
    s.app
        .audit
        .entries(&c.actor, q.limit.unwrap_or(100))
        .await
        .map(Json)
        .map_err(|e| c.err(e))
}
