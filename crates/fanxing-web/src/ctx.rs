//! Per-request context for pages: language, CSRF token, and the logged-in
//! caller (from the session cookie).
//!
//! CSRF uses a double-submit token: an HttpOnly, SameSite=Strict cookie that
//! forms echo in a hidden field. Another site can neither read the cookie nor
//! make the browser send it on a cross-site POST.

use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::header::{
    HeaderValue, AUTHORIZATION, CACHE_CONTROL, COOKIE, HOST, ORIGIN, SET_COOKIE,
    STRICT_TRANSPORT_SECURITY,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fanxing_core::auth::Actor;
use fanxing_core::security::{constant_time_eq, new_token};
use fanxing_core::{Error, Lang};

use crate::error::PageError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "fx_session";
pub const CSRF_COOKIE: &str = "fx_csrf";
pub const LANG_COOKIE: &str = "fx_lang";

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value. `max_age` of 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age: i64, same_site: &str, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite={same_site}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The CSRF token of this request (from the cookie, or freshly minted).
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// Makes sure every visitor has a CSRF cookie, minting one on first contact.
pub async fn csrf_cookie(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE).filter(|t| t.len() >= 32);
    let token = existing.clone().unwrap_or_else(new_token);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if existing.is_none() {
        if let Ok(v) = HeaderValue::from_str(&set_cookie(
            CSRF_COOKIE,
            &token,
            86400 * 30,
            "Strict",
            state.secure_cookies,
        )) {
            res.headers_mut().append(SET_COOKIE, v);
        }
    }
    res
}

/// Refuses a state-changing request that a browser sent from another
/// origin (`Origin` naming another host, or `Sec-Fetch-Site: cross-site`),
/// on top of the CSRF token. Requests with a bearer token come from
/// programs, not from a browser's ambient cookies, and pass.
pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && !req.headers().contains_key(AUTHORIZATION)
        && !same_origin(req.headers())
    {
        let lang = lang_of(req.headers());
        let message = lang.t("error.cross_origin").to_string();
        tracing::warn!(path = %req.uri().path(), "cross-origin write refused");
        let mut res = if req.uri().path().starts_with("/api/") {
            crate::error::ApiError {
                lang: Some(lang),
                error: Error::Message(message),
            }
            .render_now()
        } else {
            message.into_response()
        };
        *res.status_mut() = axum::http::StatusCode::FORBIDDEN;
        return res;
    }
    next.run(req).await
}

/// Whether a request's browser-set headers say it came from this site.
/// Without them (older browsers, programs) it is taken as same-origin: the
/// CSRF token still guards every form.
fn same_origin(h: &HeaderMap) -> bool {
    if h.get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"))
    {
        return false;
    }
    let Some(origin) = h.get(ORIGIN) else {
        return true;
    };
    // Behind a reverse proxy the browser's host may arrive as
    // `X-Forwarded-Host`; a cross-site form can set neither header.
    let hosts = [HOST.as_str(), "x-forwarded-host"].map(|name| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .unwrap_or("")
    });
    match origin.to_str() {
        Ok(o) => o.split_once("://").is_some_and(|(_, authority)| {
            hosts
                .iter()
                .any(|host| !host.is_empty() && authority.eq_ignore_ascii_case(host))
        }),
        Err(_) => false,
    }
}

/// Conservative security headers on every response. Responses are never
/// stored by browsers or proxies unless they say otherwise (static assets
/// do): pages and exports carry personal data. With secure cookies (served
/// over HTTPS) browsers are told to keep to HTTPS.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.secure_cookies {
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ),
    );
    res
}

/// The language a request asks for: the remembered choice, else Chinese.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(|v| Lang::parse(&v))
        .unwrap_or_default()
}

/// Everything a page handler needs about the request.
#[derive(Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub csrf: String,
    /// The caller, or the reason there is none.
    pub auth: Result<Actor, AuthState>,
    pub path: String,
    pub session_token: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthState {
    Anonymous,
    Expired,
}

impl Ctx {
    /// A context without a caller, for rendering when reading the caller
    /// failed.
    pub fn anonymous(parts: &Parts) -> Ctx {
        Ctx {
            lang: lang_of(&parts.headers),
            csrf: parts
                .extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            auth: Err(AuthState::Anonymous),
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            session_token: None,
        }
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lang.t(key)
    }

    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.lang.tf(key, args)
    }

    /// The link that switches to the other language and comes back here.
    pub fn lang_href(&self) -> String {
        format!(
            "/lang/{}?back={}",
            self.lang.other().tag(),
            crate::error::urlencode(&self.path)
        )
    }

    /// The logged-in caller, or a redirect to the log-in page.
    pub fn actor(&self) -> Result<&Actor, PageError> {
        match &self.auth {
            Ok(a) => Ok(a),
            Err(AuthState::Expired) => Err(PageError::login(self, true)),
            Err(AuthState::Anonymous) => Err(PageError::login(self, false)),
        }
    }

    pub fn user(&self) -> Option<&Actor> {
        self.auth.as_ref().ok()
    }

    /// Checks a submitted CSRF token against the cookie.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), PageError> {
        if !submitted.is_empty() && constant_time_eq(submitted, &self.csrf) {
            Ok(())
        } else {
            Err(PageError::new(self, Error::Forbidden).with_message(self.t("error.csrf")))
        }
    }
}

impl<S> FromRequestParts<S> for Ctx
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Read once per request (the caller is a database read), however
        // many extractors ask.
        if let Some(ctx) = parts.extensions.get::<Ctx>() {
            return Ok(ctx.clone());
        }
        let state = AppState::from_ref(state);
        let lang = lang_of(&parts.headers);
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let session_token = cookie(&parts.headers, SESSION_COOKIE);
        let auth = match &session_token {
            None => Err(AuthState::Anonymous),
            Some(token) => match state.app.accounts.session_actor(token).await {
                Ok(actor) => {
                    tracing::Span::current().record("user", actor.user.id.0);
                    Ok(actor)
                }
                Err(Error::SessionExpired) => Err(AuthState::Expired),
                Err(Error::Unauthorized) => Err(AuthState::Anonymous),
                Err(e) => {
                    let ctx = Ctx {
                        lang,
                        csrf,
                        auth: Err(AuthState::Anonymous),
                        path,
                        session_token: None,
                    };
                    return Err(PageError::new(&ctx, e));
                }
            },
        };
        let ctx = Ctx {
            lang,
            csrf,
            auth,
            path,
            session_token,
        };
        parts.extensions.insert(ctx.clone());
        Ok(ctx)
    }
}

/// A submitted form whose CSRF token has been checked, deserialised into
/// `T` (by default the fields as sent, in order, for forms whose fields
/// repeat). A wrong or missing token is refused before the handler runs.
pub struct CsrfForm<T = Vec<(String, String)>>(pub T);

impl<S, T> axum::extract::FromRequest<S> for CsrfForm<T>
where
    AppState: FromRef<S>,
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let bad = || PageError::from(Error::Message(ctx.t("error.bad_request").to_string()));
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| bad())?;
        #[derive(serde::Deserialize)]
        struct Token {
            #[serde(default)]
            csrf: String,
        }
        let token = serde_urlencoded::from_bytes::<Token>(&bytes)
            .map(|t| t.csrf)
            .unwrap_or_default();
        ctx.check_csrf(&token)?;
        serde_urlencoded::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|_| bad())
    }
}

/// A local path to return to after log-in; anything else becomes `/`.
/// Only printable ASCII is kept (paths reach here percent-encoded), so a
/// tab or newline that browsers drop (`/\t/evil.example` is followed as
/// `//evil.example`) or that cannot go into a header is refused.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_parsed() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; fx_lang=en; fx_session=abc"),
        );
        assert_eq!(cookie(&h, "fx_session").as_deref(), Some("abc"));
        assert_eq!(lang_of(&h), Lang::En);
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn next_must_be_local() {
        assert_eq!(safe_next(Some("/people?page=2")), "/people?page=2");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/x",
            "/ /evil.example",
            "/\\evil.example",
            "/%09/evil.example".replace("%09", "\t").as_str(),
            "/人员",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(Some("/people/%E4%BA%BA")), "/people/%E4%BA%BA");
    }

    #[test]
    fn writes_from_other_origins_are_told_apart() {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("fanxing.example:8080"));
        assert!(same_origin(&h), "no Origin: a program or an old browser");
        h.insert(
            ORIGIN,
            HeaderValue::from_static("https://fanxing.example:8080"),
        );
        assert!(same_origin(&h));
        h.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&h));
        h.insert(
            ORIGIN,
            HeaderValue::from_static("https://fanxing.gov.example"),
        );
        assert!(!same_origin(&h));
        h.insert(
            "x-forwarded-host",
            HeaderValue::from_static("fanxing.gov.example"),
        );
        assert!(same_origin(&h), "behind a proxy that rewrites Host");
        h.remove("x-forwarded-host");
        h.insert(ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&h));
        h.remove(ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
    }
}
