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
pub struct PageError {
    ctx: Box<Ctx>,
    status: StatusCode,
    message: String,
    redirect: Option<String>,
}

impl PageError {
    pub fn new(ctx: &Ctx, e: Error) -> PageError {
        if let Error::Store(detail) = &e {
            tracing::error!(%detail, path = %ctx.path, "internal error on page");
        }
        PageError {
            ctx: Box::new(ctx.clone()),
            status: status_of(&e),
            message: e.message(ctx.lang),
            redirect: None,
        }
    }

    /// A redirect to the log-in page that comes back here afterwards.
    pub fn login(ctx: &Ctx, expired: bool) -> PageError {
        let mut to = format!("/login?next={}", urlencode(&ctx.path));
        if expired {
            to.push_str("&expired=1");
        }
        PageError {
            ctx: Box::new(ctx.clone()),
            status: StatusCode::SEE_OTHER,
            message: String::new(),
            redirect: Some(to),
        }
    }

    pub fn with_message(mut self, m: &str) -> PageError {
        self.message = m.to_string();
        self
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let Some(to) = self.redirect {
            return Redirect::to(&to).into_response();
        }
        let page = ErrorPage {
            ctx: &self.ctx,
            status: self.status.as_u16(),
            message: &self.message,
        };
        let mut res = match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                (self.status, self.message).into_response()
            }
        };
        retry_after(&mut res);
        res
    }
}

/// Busy answers say when to come back.
fn retry_after(res: &mut Response) {
    if res.status() == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
}

/// An API error in the documented JSON shape.
pub struct ApiError {
    pub lang: Lang,
    pub error: Error,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Error::Store(detail) = &self.error {
            tracing::error!(%detail, "internal error in API");
        }
        let status = status_of(&self.error);
        let body = json!({
            "error": {
                "code": self.error.code(),
                "message": self.error.message(self.lang),
                "fields": self.error.fields().to_map(self.lang),
            }
        });
        let mut res = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"fanxing\""),
            );
        }
        retry_after(&mut res);
        res
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
            lang: Lang::Zh,
            error: Error::Busy,
        }
        .into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        let other = ApiError {
            lang: Lang::Zh,
            error: Error::NotFound,
        }
        .into_response();
        assert!(other.headers().get(header::RETRY_AFTER).is_none());
        assert!(Error::Busy.message(Lang::Zh).contains("重试"));
    }
}
