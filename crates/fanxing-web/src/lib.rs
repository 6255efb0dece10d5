//! Fanxing's web layer: the axum router, server-rendered pages (askama) and
//! the JSON API under `/api/v1`.
//!
//! Handlers are thin: they extract the caller ([`ctx::Ctx`] for pages,
//! [`api::Caller`] for the API), call one method of
//! [`fanxing_core::app::Fanxing`], and render. Authorisation is decided in
//! the domain, never here.

#![recursion_limit = "512"]

pub mod api;
pub mod api_accounts;
pub mod api_analytics;
pub mod api_curriculum;
pub mod api_training;
pub mod certificate_pdf;
pub mod charts;
pub mod ctx;
pub mod download;
pub mod error;
pub mod matching;
pub mod openapi;
pub mod pages;
pub mod pages_accounts;
pub mod pages_analytics;
pub mod pages_curriculum;
pub mod pages_home;
pub mod pages_training;
pub mod qr;

use axum::middleware;
use axum::routing::{get, post, put};
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
    /// client address (see `pages_accounts::client_addr`); empty: none.
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
    ("GET", "/api/v1/match/rollup"),
    ("GET", "/api/v1/live-stats"),
    ("GET", "/api/v1/live-impact"),
    ("POST", "/api/v1/me/password"),
];

/// Builds the whole application.
pub fn router(state: AppState) -> Router {
    use api_analytics as an;
    use api_curriculum as c;
    use api_training as t;
    use pages_accounts as pac;
    use pages_analytics as pa;
    use pages_curriculum as pc;
    use pages_training as pt;
    let api = Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/regions", get(api::regions))
        .route("/api/v1/regions/{code}", get(api::region))
        .route("/api/v1/overview", get(api::overview))
        .route("/api/v1/people", get(api::people).post(api::create_person))
        .route(
            "/api/v1/people/{id}",
            get(api::person).put(api::update_person),
        )
        .route("/api/v1/people/{id}/reveal", post(api::reveal_person))
        .route(
            "/api/v1/organisations",
            get(api::orgs).post(api::create_org),
        )
        .route(
            "/api/v1/organisations/{id}",
            get(api::org).put(api::update_org),
        )
        .route("/api/v1/audit", get(api::audit))
        .route(
            "/api/v1/programmes",
            get(t::programmes).post(t::create_programme),
        )
        .route("/api/v1/programmes/{id}/progress", get(t::progress))
        .route("/api/v1/programmes/{id}/targets", put(t::set_targets))
        .route("/api/v1/sessions", get(t::sessions).post(t::create_session))
        .route("/api/v1/sessions/{id}", get(t::session))
        .route("/api/v1/sessions/{id}/status", post(t::set_status))
        .route("/api/v1/sessions/{id}/roster", get(t::roster))
        .route("/api/v1/sessions/{id}/registrations", post(t::register))
        .route("/api/v1/sessions/{id}/heartbeat", post(t::heartbeat))
        .route(
            "/api/v1/registrations/{id}/cancel",
            post(t::cancel_registration),
        )
        .route("/api/v1/registrations/{id}/ticket", get(t::ticket))
        .route("/api/v1/me/registrations", get(t::my_registrations))
        .route("/api/v1/venues/{id}/checkin-kit", get(t::checkin_kit))
        .route("/api/v1/venues/{id}/scans", post(t::scans))
        .route("/api/v1/venues/{id}/walk-ins", post(t::walk_in))
        .route(
            "/api/v1/sessions/{id}/roster",
            post(t::import_roster).layer(upload_limit()),
        )
        .route("/api/v1/sessions/{id}/live", get(t::live))
        .route("/api/v1/rooms", get(an::rooms).post(an::create_room))
        .route("/api/v1/rooms/{id}", get(an::room))
        .route("/api/v1/rooms/{id}/kpis", get(an::room_kpis))
        .route("/api/v1/rooms/{id}/diagnosis", get(an::room_diagnosis))
        .route("/api/v1/rooms/{id}/operators", put(an::set_operators))
        .route(
            "/api/v1/rooms/{id}/sessions",
            post(an::import_room_sessions).layer(upload_limit()),
        )
        .route(
            "/api/v1/live-sessions",
            post(an::import_sessions).layer(upload_limit()),
        )
        .route("/api/v1/live-stats", get(an::stats))
        .route("/api/v1/live-impact", get(an::impact))
        .route("/api/v1/me/password", post(api_accounts::change_password))
        .route("/api/v1/tracks", get(c::tracks))
        .route(
            "/api/v1/competencies",
            get(c::competencies).post(c::add_competency),
        )
        .route("/api/v1/competencies/{id}", put(c::rename_competency))
        .route("/api/v1/courses", get(c::courses).post(c::create_course))
        .route("/api/v1/courses/{id}", get(c::course))
        .route(
            "/api/v1/courses/{id}/materials",
            post(c::upload_material).layer(material_limit()),
        );

    let pages = Router::new()
        .route("/", get(pages_home::home))
        .route("/healthz", get(pages::healthz))
        .route("/static/{file}", get(pages::asset))
        .route("/lang/{lang}", get(pages::set_lang))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/me", get(pages::me))
        .route("/people", get(pages::people).post(pages::create_person))
        .route("/people/new", get(pages::new_person))
        .route(
            "/people/{id}",
            get(pages::person).post(pages::update_person),
        )
        .route("/people/{id}/edit", get(pages::edit_person))
        .route("/people/{id}/reveal", post(pages::reveal_person))
        .route("/orgs", get(pages::orgs).post(pages::create_org))
        .route("/orgs/new", get(pages::new_org))
        .route("/orgs/{id}", get(pages::org).post(pages::update_org))
        .route("/orgs/{id}/edit", get(pages::edit_org))
        .route("/programmes", get(pages::programmes))
        .route("/programmes/{id}", get(pt::programme))
        .route("/sessions/{id}", get(pt::session))
        .route("/sessions/{id}/register", post(pt::register))
        .route("/sessions/{id}/status", post(pt::set_status))
        .route("/my/sessions", get(pt::my_sessions))
        .route("/registrations/{id}/cancel", post(pt::cancel_registration))
        .route("/tickets/{id}", get(pt::ticket))
        .route("/checkin", get(pt::checkin_list))
        .route("/checkin/sw.js", get(pt::service_worker))
        .route("/checkin/{id}", get(pt::checkin))
        .route("/watch/{id}", get(pt::watch))
        .route(
            "/sessions/{id}/roster",
            get(pt::roster_form)
                .post(pt::import_roster)
                .layer(upload_limit()),
        )
        .route("/roster-template.xlsx", get(pt::roster_template))
        .route("/courses", get(pc::courses).post(pc::create_course))
        .route("/courses/new", get(pc::new_course))
        .route("/courses/{id}", get(pc::course))
        .route(
            "/courses/{id}/materials",
            post(pc::upload_material).layer(material_limit()),
        )
        .route("/materials/{id}", get(pc::material))
        .route("/competencies", post(pc::add_competency))
        .route("/sessions/new", get(pc::new_session))
        .route("/sessions", get(pt::sessions).post(pc::create_session))
        .route("/programmes/{id}/targets", post(pc::set_targets))
        .route("/programmes/{id}/issuer", post(pc::set_issuer))
        .route("/sessions/{id}/monitor", get(pt::monitor))
        .route("/sessions/{id}/calendar.ics", get(pt::session_calendar))
        .route("/calendar/{feed}", get(pt::feed))
        .route("/programmes/{id}/report.xlsx", get(pt::progress_report))
        .route("/sessions/{id}/attendance.xlsx", get(pt::attendance_report))
        .route(
            "/programmes/{id}/attendances.xlsx",
            get(pt::attendances_export),
        )
        .route("/certificates", get(pc::office_certificates))
        .route("/certificates.zip", get(pc::certificates_zip))
        .route("/rooms", get(pa::rooms).post(pa::create_room))
        .route("/rooms/new", get(pa::new_room))
        .route("/rooms/{id}", get(pa::room))
        .route("/rooms/{id}/operators", post(pa::set_operators))
        .route(
            "/rooms/{id}/sessions",
            post(pa::upload).layer(upload_limit()),
        )
        .route("/live-stats", get(pa::live_stats))
        .route("/account", get(pac::account))
        .route("/account/password", post(pac::change_password))
        .route("/account/tokens/{id}/revoke", post(pac::revoke_token))
        .route("/accounts", get(pac::accounts))
        .route("/accounts/{id}/disable", post(pac::disable_account))
        .route("/accounts/{id}/enable", post(pac::enable_account))
        .route("/accounts/{id}/unlock", post(pac::unlock_account))
        .route("/verify", get(pc::verify_box))
        .route("/verify/{number}", get(pc::verify))
        .route("/my/certificates", get(pc::my_certificates))
        .route("/certificates/{number}/pdf", get(pc::certificate_pdf))
        .route(
            "/certificates/{number}/revoke",
            post(pc::revoke_certificate),
        )
        .fallback(not_found);

    pages
        .merge(api)
        .merge(matching::routes())
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
fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(fanxing_core::training::roster::MAX_BYTES + 64 * 1024)
}

/// Course materials may be up to 20 MB.
fn material_limit() -> axum::extract::DefaultBodyLimit {
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
        let feature = include_str!("matching/mod.rs");
        let feature = &feature[feature.find("pub fn routes").unwrap()..];
        let body = format!("{main}{feature}");
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
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut tables = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
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
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
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
