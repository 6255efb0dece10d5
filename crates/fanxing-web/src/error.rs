//! Errors as responses: an HTML error page (or a redirect to log in) for
//! pages, and `{"error":{"code","message","fields"}}` for the API.
//! Internal details are logged, never shown.

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use fanxing_core::{Error, Lang};
use serde_json::json;

use crate::ctx::Ctx;

/// The HTTP status for a domain error.
pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::Unauthorized | Error::SessionExpired => StatusCode::UNAUTHORIZED,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        Error::Busy => StatusCode::SERVICE_UNAVAILABLE,
        Error::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        Error::Message(_) => StatusCode::BAD_REQUEST,
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a Ctx,
    status: u16,
    message: &'a str,
}

/// An error on a page: shown in the base layout, or a redirect to log in.
///
/// Any domain [`Error`] converts into it with `?`. It carries no request
/// context: its response holds the error, and [`render_errors`] (a
/// middleware around every route) renders it in the caller's language and
/// layout, with their CSRF token and account.
pub struct PageError {
    error: Option<Error>,
    message: Option<String>,
    redirect: Option<String>,
    detailed: bool,
}

impl From<Error> for PageError {
    fn from(e: Error) -> PageError {
        PageError {
            error: Some(e),
            message: None,
            redirect: None,
            detailed: false,
        }
    }
}

impl PageError {
    pub fn new(_ctx: &Ctx, e: Error) -> PageError {
        PageError::from(e)
    }

    /// A redirect to the log-in page that comes back here afterwards.
    pub fn login(ctx: &Ctx, expired: bool) -> PageError {
        let mut to = format!("/login?next={}", urlencode(&ctx.path));
        if expired {
            to.push_str("&expired=1");
        }
        PageError {
            error: None,
            message: None,
            redirect: Some(to),
            detailed: false,
        }
    }

    /// Shows the first field's message, when the error has fields, instead
    /// of the error's general message.
    pub fn detailed(mut self) -> PageError {
        self.detailed = true;
        self
    }

    /// Shows `m` (already in the caller's language) instead of the error's
    /// own message.
    pub fn with_message(mut self, m: &str) -> PageError {
        self.message = Some(m.to_string());
        self
    }
}

/// An error waiting in a response for [`render_errors`].
#[derive(Clone)]
struct Pending(std::sync::Arc<std::sync::Mutex<Option<Failure>>>);

enum Failure {
    Page {
        error: Error,
        message: Option<String>,
        detailed: bool,
    },
    Api {
        error: Error,
        lang: Option<Lang>,
    },
}

fn pending(status: StatusCode, failure: Failure) -> Response {
    let mut res = status.into_response();
    res.extensions_mut()
        .insert(Pending(std::sync::Arc::new(std::sync::Mutex::new(Some(
            failure,
        )))));
    res
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let Some(to) = self.redirect {
            return Redirect::to(&to).into_response();
        }
        let error = self.error.unwrap_or(Error::NotFound);
        pending(
            status_of(&error),
            Failure::Page {
                error,
                message: self.message,
                detailed: self.detailed,
            },
        )
    }
}

/// Renders the errors handlers returned: a page in the base layout (with
/// the caller's language, CSRF token and account, read from the request)
/// or the API's JSON shape. Internal details are logged, never shown.
pub async fn render_errors(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = req.headers().clone();
    let uri = req.uri().clone();
    let csrf = req.extensions().get::<crate::ctx::CsrfToken>().cloned();
    let mut res = next.run(req).await;
    let Some(p) = res.extensions_mut().remove::<Pending>() else {
        return res;
    };
    let Some(failure) = p.0.lock().ok().and_then(|mut f| f.take()) else {
        return res;
    };
    let status = res.status();
    let mut out = match failure {
        Failure::Api { error, lang } => {
            let lang = lang.unwrap_or_else(|| crate::api::lang_of_headers(&headers));
            if let Error::Store(detail) = &error {
                tracing::error!(%detail, path = %uri.path(), "internal error in API");
            }
            api_body(status, &error, lang)
        }
        Failure::Page {
            error,
            message,
            detailed,
        } => {
            let mut parts = axum::http::Request::builder()
                .uri(uri.clone())
                .body(())
                .map(|r| r.into_parts().0)
                .unwrap_or_else(|_| axum::http::Request::new(()).into_parts().0);
            parts.headers = headers;
            if let Some(c) = csrf {
                parts.extensions.insert(c);
            }
            let ctx =
                match <Ctx as axum::extract::FromRequestParts<crate::AppState>>::from_request_parts(
                    &mut parts, &state,
                )
                .await
                {
                    Ok(ctx) => ctx,
                    Err(_) => Ctx::anonymous(&parts),
                };
            if let Error::Store(detail) = &error {
                tracing::error!(%detail, path = %ctx.path, "internal error on page");
            }
            let message = message.unwrap_or_else(|| {
                if detailed {
                    error.detail(ctx.lang)
                } else {
                    error.message(ctx.lang)
                }
            });
            let page = ErrorPage {
                ctx: &ctx,
                status: status.as_u16(),
                message: &message,
            };
            match page.render() {
                Ok(html) => (status, Html(html)).into_response(),
                Err(e) => {
                    tracing::error!(error = %e, "error page failed to render");
                    (status, message).into_response()
                }
            }
        }
    };
    // Headers the handler set (cookies, say) go out with the error.
    for (k, v) in res.headers() {
        if !out.headers().contains_key(k) {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    retry_after(&mut out);
    out
}

/// Busy answers say when to come back.
fn retry_after(res: &mut Response) {
    if res.status() == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
}

/// An API error in the documented JSON shape. Any domain [`Error`]
/// converts into it with `?` (the language is then the request's).
pub struct ApiError {
    pub lang: Option<Lang>,
    pub error: Error,
}

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        ApiError { lang: None, error }
    }
}

fn api_body(status: StatusCode, error: &Error, lang: Lang) -> Response {
    let body = json!({
        "error": {
            "code": error.code(),
            "message": error.message(lang),
            "fields": error.fields().to_map(lang),
        }
    });
    let mut res = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"fanxing\""),
        );
    }
    res
}

impl ApiError {
    /// The response itself, for middleware outside [`render_errors`].
    pub fn render_now(self) -> Response {
        let status = status_of(&self.error);
        let mut res = api_body(status, &self.error, self.lang.unwrap_or_default());
        retry_after(&mut res);
        res
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        pending(
            status_of(&self.error),
            Failure::Api {
                error: self.error,
                lang: self.lang,
            },
        )
    }
}

/// Percent-encodes a path for a query parameter.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_server_says_when_to_come_back_in_the_users_language() {
        let res = ApiError {
            lang: Some(Lang::Zh),
            error: Error::Busy,
        }
        .render_now();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        let other = ApiError {
            lang: Some(Lang::Zh),
            error: Error::NotFound,
        }
        .render_now();
        assert!(other.headers().get(header::RETRY_AFTER).is_none());
        assert!(Error::Busy.message(Lang::Zh).contains("重试"));
    }
}
