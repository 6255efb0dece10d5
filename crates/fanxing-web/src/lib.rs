//! Fanxing's web layer: the axum router, server-rendered pages (askama) and
//! the JSON API under `/api/v1`.
//!
//! Handlers are thin: they extract the caller ([`ctx::Ctx`] for pages,
//! [`api::Caller`] for the API), call one method of
//! [`fanxing_core::app::Fanxing`], and render. Authorisation is decided in
//! the domain, never here.

#![recursion_limit = "512"]

pub mod analytics;
pub mod api;
pub mod charts;
pub mod compliance;
pub mod ctx;
pub mod curriculum;
pub mod download;
pub mod error;
pub mod home;
pub mod knowledge;
pub mod matching;
pub mod openapi;
pub mod pages;
pub mod paths;
pub mod people;
pub mod qr;
pub mod training;

use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use fanxing_core::app::Fanxing;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: Fanxing,
    /// Resource matching (its own service; see `matching`).
    pub matching: std::sync::Arc<fanxing_core::matching::service::MatchingService>,
    /// Mark cookies `Secure` (set when Fanxing is served over HTTPS).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Real-IP` / `X-Forwarded-For` give the
    /// client address (see `people::accounts_pages::client_addr`); empty: none.
    pub trusted_proxies: std::sync::Arc<[std::net::IpAddr]>,
}

/// Every route, as `(method, path)`. The router below must register exactly
/// these (a unit test reads this file to check), and the authorisation
/// matrix test must cover each one.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/healthz"),
    ("GET", "/static/{file}"),
    ("GET", "/lang/{lang}"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/me"),
    ("GET", "/people"),
    ("POST", "/people"),
    ("GET", "/people/new"),
    ("GET", "/people/{id}"),
    ("POST", "/people/{id}"),
    ("GET", "/people/{id}/edit"),
    ("POST", "/people/{id}/reveal"),
    ("GET", "/orgs"),
    ("POST", "/orgs"),
    ("GET", "/orgs/new"),
    ("GET", "/orgs/{id}"),
    ("POST", "/orgs/{id}"),
    ("GET", "/orgs/{id}/edit"),
    ("GET", "/programmes"),
    ("GET", "/programmes/{id}"),
    ("GET", "/sessions"),
    ("GET", "/sessions/{id}"),
    ("POST", "/sessions/{id}/register"),
    ("POST", "/sessions/{id}/status"),
    ("GET", "/my/sessions"),
    ("POST", "/registrations/{id}/cancel"),
    ("GET", "/tickets/{id}"),
    ("GET", "/checkin"),
    ("GET", "/checkin/sw.js"),
    ("GET", "/checkin/{id}"),
    ("GET", "/watch/{id}"),
    ("GET", "/sessions/{id}/roster"),
    ("POST", "/sessions/{id}/roster"),
    ("GET", "/roster-template.xlsx"),
    ("GET", "/courses"),
    ("POST", "/courses"),
    ("GET", "/courses/new"),
    ("GET", "/courses/{id}"),
    ("POST", "/courses/{id}/materials"),
    ("GET", "/materials/{id}"),
    ("POST", "/competencies"),
    ("GET", "/sessions/new"),
    ("POST", "/sessions"),
    ("POST", "/programmes/{id}/targets"),
    ("POST", "/programmes/{id}/issuer"),
    ("GET", "/sessions/{id}/monitor"),
    ("GET", "/sessions/{id}/calendar.ics"),
    ("GET", "/calendar/{feed}"),
    ("GET", "/programmes/{id}/report.xlsx"),
    ("GET", "/sessions/{id}/attendance.xlsx"),
    ("GET", "/programmes/{id}/attendances.xlsx"),
    ("GET", "/certificates"),
    ("GET", "/certificates.zip"),
    ("GET", "/rooms"),
    ("POST", "/rooms"),
    ("GET", "/rooms/new"),
    ("GET", "/rooms/{id}"),
    ("POST", "/rooms/{id}/sessions"),
    ("POST", "/rooms/{id}/operators"),
    ("GET", "/live-stats"),
    ("GET", "/account"),
    ("POST", "/account/password"),
    ("POST", "/account/tokens/{id}/revoke"),
    ("GET", "/accounts"),
    ("POST", "/accounts/{id}/disable"),
    ("POST", "/accounts/{id}/enable"),
    ("POST", "/accounts/{id}/unlock"),
    ("GET", "/verify"),
    ("GET", "/verify/{number}"),
    ("GET", "/my/certificates"),
    ("GET", "/certificates/{number}/pdf"),
    ("POST", "/certificates/{number}/revoke"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/regions"),
    ("GET", "/api/v1/regions/{code}"),
    ("GET", "/api/v1/overview"),
    ("GET", "/api/v1/people"),
    ("POST", "/api/v1/people"),
    ("GET", "/api/v1/people/{id}"),
    ("PUT", "/api/v1/people/{id}"),
    ("POST", "/api/v1/people/{id}/reveal"),
    ("GET", "/api/v1/organisations"),
    ("POST", "/api/v1/organisations"),
    ("GET", "/api/v1/organisations/{id}"),
    ("PUT", "/api/v1/organisations/{id}"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/programmes"),
    ("POST", "/api/v1/programmes"),
    ("GET", "/api/v1/programmes/{id}/progress"),
    ("PUT", "/api/v1/programmes/{id}/targets"),
    ("GET", "/api/v1/sessions"),
    ("POST", "/api/v1/sessions"),
    ("GET", "/api/v1/sessions/{id}"),
    ("POST", "/api/v1/sessions/{id}/status"),
    ("GET", "/api/v1/sessions/{id}/roster"),
    ("POST", "/api/v1/sessions/{id}/registrations"),
    ("POST", "/api/v1/sessions/{id}/heartbeat"),
    ("POST", "/api/v1/registrations/{id}/cancel"),
    ("GET", "/api/v1/registrations/{id}/ticket"),
    ("GET", "/api/v1/me/registrations"),
    ("GET", "/api/v1/venues/{id}/checkin-kit"),
    ("POST", "/api/v1/venues/{id}/scans"),
    ("POST", "/api/v1/venues/{id}/walk-ins"),
    ("POST", "/api/v1/sessions/{id}/roster"),
    ("GET", "/api/v1/tracks"),
    ("GET", "/api/v1/competencies"),
    ("POST", "/api/v1/competencies"),
    ("PUT", "/api/v1/competencies/{id}"),
    ("GET", "/api/v1/courses"),
    ("POST", "/api/v1/courses"),
    ("GET", "/api/v1/courses/{id}"),
    ("POST", "/api/v1/courses/{id}/materials"),
    ("GET", "/api/v1/sessions/{id}/live"),
    ("GET", "/api/v1/rooms"),
    ("POST", "/api/v1/rooms"),
    ("GET", "/api/v1/rooms/{id}"),
    ("GET", "/api/v1/rooms/{id}/kpis"),
    ("GET", "/api/v1/rooms/{id}/diagnosis"),
    ("PUT", "/api/v1/rooms/{id}/operators"),
    ("POST", "/api/v1/rooms/{id}/sessions"),
    ("POST", "/api/v1/live-sessions"),
    ("POST", "/api/v1/match/partners"),
    ("GET", "/api/v1/match/offers"),
    ("POST", "/api/v1/match/offers"),
    ("PUT", "/api/v1/match/offers/{id}"),
    ("POST", "/api/v1/match/facts"),
    ("POST", "/api/v1/match/needs"),
    ("GET", "/api/v1/match/needs/{id}/matches"),
    ("POST", "/api/v1/match/needs/{id}/applications"),
    ("GET", "/api/v1/match/applications"),
    ("GET", "/api/v1/match/applications/{id}/events"),
    ("POST", "/api/v1/match/applications/{id}/actions"),
    ("GET", "/api/v1/match/applications/{id}/facts"),
    ("POST", "/api/v1/match/applications/{id}/facts"),
    ("GET", "/api/v1/match/rollup"),
    ("GET", "/api/v1/holidays/{year}"),
    ("PUT", "/api/v1/holidays/{year}"),
    ("GET", "/api/v1/live-stats"),
    ("GET", "/api/v1/live-impact"),
    ("POST", "/api/v1/me/password"),
    ("GET", "/match"),
    ("POST", "/match/needs"),
    ("GET", "/match/needs/{id}"),
    ("POST", "/match/needs/{id}/apply"),
    ("POST", "/match/applications/{id}/act"),
    ("GET", "/match/applications/{id}"),
    ("POST", "/match/applications/{id}/verify"),
    ("GET", "/match/return.xlsx"),
    ("POST", "/match/partners"),
    ("POST", "/match/offers"),
    ("GET", "/match/offers/new"),
    ("POST", "/match/offers/{id}"),
    ("GET", "/match/offers/{id}/edit"),
    ("POST", "/courses/{id}/path"),
    ("GET", "/match/holidays"),
    ("POST", "/match/holidays/{year}"),
    ("GET", "/compliance"),
    ("POST", "/compliance"),
    ("POST", "/compliance/titles"),
    ("POST", "/api/v1/compliance/check"),
    ("POST", "/api/v1/compliance/check-batch"),
    ("GET", "/api/v1/compliance/overview"),
    ("GET", "/api/v1/compliance/rules"),
    ("GET", "/knowledge"),
    ("GET", "/knowledge/manage"),
    ("GET", "/knowledge/new"),
    ("POST", "/knowledge/new"),
    ("GET", "/knowledge/{id}"),
    ("GET", "/knowledge/{id}/edit"),
    ("POST", "/knowledge/{id}/edit"),
    ("POST", "/knowledge/{id}/status"),
    ("GET", "/api/v1/knowledge/search"),
    ("POST", "/api/v1/knowledge/documents"),
    ("GET", "/api/v1/knowledge/documents/{id}"),
    ("PUT", "/api/v1/knowledge/documents/{id}"),
    ("POST", "/api/v1/knowledge/documents/{id}/status"),
    ("GET", "/my/path"),
    ("GET", "/paths"),
    ("GET", "/api/v1/me/path"),
    ("GET", "/api/v1/paths/gaps"),
    ("GET", "/api/v1/courses/{id}/path"),
    ("PUT", "/api/v1/courses/{id}/path"),
];

/// Builds the whole application.
pub fn router(state: AppState) -> Router {
    // Kept pages of matches carry their answer, serialised off the workers.
    state.matching.set_page_view(matching::page_view);
    let shared = Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/me", get(api::me))
        .route("/", get(home::home))
        .route("/healthz", get(pages::healthz))
        .route("/static/{file}", get(pages::asset))
        .route("/lang/{lang}", get(pages::set_lang))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/me", get(pages::me))
        .route("/programmes", get(pages::programmes))
        .fallback(not_found);

    shared
        .merge(people::routes())
        .merge(training::routes())
        .merge(curriculum::routes())
        .merge(analytics::routes())
        .merge(matching::routes())
        .merge(compliance::routes())
        .merge(knowledge::routes())
        .merge(paths::routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error::render_errors,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            ctx::csrf_cookie,
        ))
        .layer(middleware::from_fn(ctx::same_origin_writes))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            ctx::security_headers,
        ))
        .layer(compression())
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response),
        )
        .with_state(state)
}

/// Pages, JSON and SVG go out gzip-compressed to clients that ask; files
/// that are compressed already (workbooks, PDFs, zips, images) do not.
fn compression(
) -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{NotForContentType, Predicate};
    use tower_http::compression::{CompressionLayer, DefaultPredicate};
    let predicate = DefaultPredicate::new()
        .and(NotForContentType::new("application/zip"))
        .and(NotForContentType::new("application/pdf"))
        .and(NotForContentType::new(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ))
        .and(NotForContentType::const_new("image/png"));
    CompressionLayer::new().gzip(true).compress_when(predicate)
}

/// One span per request: method, the route's pattern (never the path
/// itself, which may hold an id, nor the query), and, once known, the
/// caller's user id (recorded by the extractors).
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "(none)".into());
    tracing::info_span!(
        "request",
        method = %req.method(),
        route = %route,
        user = tracing::field::Empty,
    )
}

/// The response's status and latency, at `debug`
/// (`RUST_LOG=fanxing_web=debug`); server errors are logged at `error` by
/// the trace layer itself.
fn log_response<B>(
    res: &axum::http::Response<B>,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    tracing::debug!(
        status = res.status().as_u16(),
        latency_us = latency.as_micros() as u64,
        "response"
    );
}

/// Roster files may be larger than axum's default body limit.
pub(crate) fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(fanxing_core::training::roster::MAX_BYTES + 64 * 1024)
}

/// Course materials may be up to 20 MB.
pub(crate) fn material_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(fanxing_core::curriculum::MATERIAL_MAX_BYTES + 64 * 1024)
}

/// Unknown paths: a JSON error under `/api/`, a page elsewhere.
async fn not_found(ctx: ctx::Ctx, parts: axum::http::request::Parts) -> axum::response::Response {
    use axum::response::IntoResponse;
    if parts.uri.path().starts_with("/api/") {
        api::not_found(parts).await.into_response()
    } else {
        pages::not_found(ctx).await.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::ROUTES;

    /// Reads the router above and checks it registers exactly [`ROUTES`].
    #[test]
    fn route_table_matches_router() {
        let src = include_str!("lib.rs");
        let main = &src[src.find("pub fn router").unwrap()..src.find("#[cfg(test)]").unwrap()];
        // Feature folders register their own routes.
        let mut body = main.to_string();
        let src_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut features = 0;
        for e in std::fs::read_dir(src_dir).unwrap() {
            let module = e.unwrap().path().join("mod.rs");
            let Ok(feature) = std::fs::read_to_string(&module) else {
                continue;
            };
            if let Some(at) = feature.find("pub fn routes") {
                body.push_str(&feature[at..]);
                features += 1;
            }
        }
        assert!(features >= 6, "{features} feature folders with routes()");
        let mut found = Vec::new();
        // Each `.route(` call: its first string literal is the path, the
        // method functions follow it (rustfmt may spread them over lines).
        for call in body.split(".route(").skip(1) {
            let mut parts = call.split('"');
            let path = parts.nth(1).unwrap().to_string();
            let handlers: String = parts
                .next()
                .unwrap()
                .split(".fallback(")
                .next()
                .unwrap()
                .split_whitespace()
                .collect();
            for (needle, method) in [
                ("get(", "GET"),
                ("post(", "POST"),
                ("put(", "PUT"),
                ("delete(", "DELETE"),
            ] {
                if handlers.starts_with(&format!(",{needle}"))
                    || handlers.contains(&format!(".{needle}"))
                {
                    found.push((method.to_string(), path.clone()));
                }
            }
        }
        let mut found: Vec<(String, String)> = found;
        found.sort();
        let mut listed: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        listed.sort();
        assert_eq!(found, listed, "ROUTES and router() disagree");
    }
}

/// Every template file, the feature folders' included (for tests that
/// read the templates as text).
#[cfg(test)]
fn template_files() -> Vec<std::path::PathBuf> {
    let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")];
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 40, "only {} templates found", files.len());
    files
}

#[cfg(test)]
mod i18n_tests {
    /// Every message key used by a template or a page handler exists in the
    /// catalog, in both languages.
    #[test]
    fn every_used_key_is_in_the_catalog() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        // Feature folders included.
        let mut dirs = vec![root.join("templates"), root.join("src")];
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                    continue;
                }
                sources.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
        let mut checked = 0;
        for (file, text) in &sources {
            for pat in [".t(\"", ".tf(\""] {
                for (i, _) in text.match_indices(pat) {
                    let rest = &text[i + pat.len()..];
                    let key = &rest[..rest.find('"').unwrap()];
                    if key.contains('.') && !key.contains(' ') {
                        assert!(
                            fanxing_core::i18n::has_key(key),
                            "{file}: unknown key {key}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 50, "only {checked} keys found");
    }
}

#[cfg(test)]
mod phone_tests {
    /// Every table turns into labelled cards on a phone: it is `cardify`
    /// (or the people list's own cards), and every cell but one holding
    /// only a form or button names its column in `data-label`.
    #[test]
    fn every_table_reads_on_a_phone() {
        let mut tables = 0;
        for p in crate::template_files() {
            let text = std::fs::read_to_string(&p).unwrap();
            let file = p.file_name().unwrap().to_string_lossy().into_owned();
            for (i, _) in text.match_indices("<table") {
                let tag = &text[i..i + text[i..].find('>').unwrap()];
                assert!(
                    tag.contains("cardify") || tag.contains("people"),
                    "{file}: {tag}> is not cardify"
                );
                tables += 1;
            }
            for (i, _) in text.match_indices("<td") {
                let tag = &text[i..i + text[i..].find('>').unwrap()];
                let cell = &text[i..i + text[i..].find("</td>").unwrap()];
                assert!(
                    tag.contains("data-label")
                        || cell.contains("<form")
                        || cell.contains("<button"),
                    "{file}: a cell without data-label: {cell}"
                );
            }
        }
        assert!(tables > 10, "only {tables} tables found");
    }
}

#[cfg(test)]
mod template_tests {
    /// A block defined twice in one template renders only one of the two
    /// (the later), silently: each block name appears once per file.
    #[test]
    fn no_template_defines_a_block_twice() {
        for p in crate::template_files() {
            let text = std::fs::read_to_string(&p).unwrap();
            let mut seen = std::collections::BTreeSet::new();
            for (i, _) in text.match_indices("{% block ") {
                let rest = &text[i + "{% block ".len()..];
                let name = rest.split_whitespace().next().unwrap().to_string();
                assert!(
                    seen.insert(name.clone()),
                    "{}: block {name} twice",
                    p.display()
                );
            }
        }
    }
}

#[cfg(test)]
mod forms {
    /// Every form a handler reads comes through `CsrfForm`, which checks
    /// the token before the handler runs: no handler reads a bare form.
    #[test]
    fn every_form_is_read_through_the_csrf_checking_extractor() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![root];
        let mut found = Vec::new();
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("lib.rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    for (n, line) in text.lines().enumerate() {
                        if line.contains("Form(form): Form<") || line.contains("axum::Form(") {
                            found.push(format!("{}:{}", p.display(), n + 1));
                        }
                    }
                }
            }
        }
        assert!(found.is_empty(), "forms read without CsrfForm: {found:?}");
    }
}
