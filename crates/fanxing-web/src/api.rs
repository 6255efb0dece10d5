//! The JSON API under `/api/v1`. Callers authenticate with
//! `Authorization: Bearer <token>` (from `fanxing token create`) or, from the
//! browser, with the session cookie plus an `X-CSRF-Token` header on writes.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{ACCEPT_LANGUAGE, AUTHORIZATION};
use axum::http::request::Parts;
use axum::http::Method;
use axum::Json;
use fanxing_core::auth::Actor;
use fanxing_core::people::{OrgId, PersonId, UserId};
use fanxing_core::region::RegionCode;
use fanxing_core::{Error, Lang};
use serde::Serialize;

use crate::ctx::{cookie, CsrfToken, LANG_COOKIE, SESSION_COOKIE};
use crate::error::ApiError;
use crate::AppState;

pub(crate) type ApiResult<T> = Result<Json<T>, ApiError>;

/// An authenticated API caller and the language for its messages.
pub struct Caller {
    pub actor: Actor,
    pub lang: Lang,
}

impl Caller {
    pub(crate) fn err(&self, e: Error) -> ApiError {
        ApiError {
            lang: Some(self.lang),
            error: e,
        }
    }
}

fn api_lang(parts: &Parts) -> Lang {
    lang_of_headers(&parts.headers)
}

/// The API's language: the language cookie, else `Accept-Language`.
pub(crate) fn lang_of_headers(headers: &axum::http::HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(|v| Lang::parse(&v))
        .or_else(|| {
            headers
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
        let fail = |error| ApiError {
            lang: Some(lang),
            error,
        };
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
        tracing::Span::current().record("user", actor.user.id.0);
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
                    lang: Some(lang),
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
        lang: Some(api_lang(&parts)),
        error: Error::NotFound,
    }
}

#[derive(Serialize)]
pub struct Me {
    id: UserId,
    username: String,
    display_name: String,
    role: fanxing_core::auth::Role,
    region: Option<RegionCode>,
    person_id: Option<PersonId>,
    org_id: Option<OrgId>,
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

/// Parses a path id (a plain number or one of the id types); anything that
/// is not a positive number is "not found".
pub(crate) fn path_id<T>(c: &Caller, raw: &str) -> Result<T, ApiError>
where
    T: std::str::FromStr + Copy + Into<i64>,
{
    raw.parse::<T>()
        .ok()
        .filter(|id| (*id).into() > 0)
        .ok_or_else(|| c.err(Error::NotFound))
}
