//! Training: programmes and their dashboard, targets, sessions, venues,
//! registration, tickets, check-in, the hall monitor, rosters, calendars
//! and the training workbooks — pages (`pages`, `session_form`), JSON API
//! (`api`) and the routes they answer.

pub mod api;
pub mod pages;
pub mod session_form;

use axum::routing::{get, post, put};
use axum::Router;

use crate::{upload_limit, AppState};

pub fn routes() -> Router<AppState> {
    use session_form as sf;
    Router::new()
        .route(
            "/api/v1/programmes",
            get(api::programmes).post(api::create_programme),
        )
        .route("/api/v1/programmes/{id}/progress", get(api::progress))
        .route("/api/v1/programmes/{id}/targets", put(api::set_targets))
        .route(
            "/api/v1/sessions",
            get(api::sessions).post(api::create_session),
        )
        .route("/api/v1/sessions/{id}", get(api::session))
        .route("/api/v1/sessions/{id}/status", post(api::set_status))
        .route(
            "/api/v1/sessions/{id}/roster",
            get(api::roster)
                .post(api::import_roster)
                .layer(upload_limit()),
        )
        .route("/api/v1/sessions/{id}/registrations", post(api::register))
        .route("/api/v1/sessions/{id}/heartbeat", post(api::heartbeat))
        .route(
            "/api/v1/registrations/{id}/cancel",
            post(api::cancel_registration),
        )
        .route("/api/v1/registrations/{id}/ticket", get(api::ticket))
        .route("/api/v1/me/registrations", get(api::my_registrations))
        .route("/api/v1/venues/{id}/checkin-kit", get(api::checkin_kit))
        .route("/api/v1/venues/{id}/scans", post(api::scans))
        .route("/api/v1/venues/{id}/walk-ins", post(api::walk_in))
        .route("/api/v1/sessions/{id}/live", get(api::live))
        .route("/programmes/{id}", get(pages::programme))
        .route("/sessions/{id}", get(pages::session))
        .route("/sessions/{id}/register", post(pages::register))
        .route("/sessions/{id}/status", post(pages::set_status))
        .route("/my/sessions", get(pages::my_sessions))
        .route(
            "/registrations/{id}/cancel",
            post(pages::cancel_registration),
        )
        .route("/tickets/{id}", get(pages::ticket))
        .route("/checkin", get(pages::checkin_list))
        .route("/checkin/sw.js", get(pages::service_worker))
        .route("/checkin/{id}", get(pages::checkin))
        .route("/watch/{id}", get(pages::watch))
        .route(
            "/sessions/{id}/roster",
            get(pages::roster_form)
                .post(pages::import_roster)
                .layer(upload_limit()),
        )
        .route("/roster-template.xlsx", get(pages::roster_template))
        .route("/sessions/new", get(sf::new_session))
        .route("/sessions", get(pages::sessions).post(sf::create_session))
        .route("/programmes/{id}/targets", post(sf::set_targets))
        .route("/programmes/{id}/issuer", post(sf::set_issuer))
        .route("/sessions/{id}/monitor", get(pages::monitor))
        .route("/sessions/{id}/calendar.ics", get(pages::session_calendar))
        .route("/calendar/{feed}", get(pages::feed))
        .route("/programmes/{id}/report.xlsx", get(pages::progress_report))
        .route(
            "/sessions/{id}/attendance.xlsx",
            get(pages::attendance_report),
        )
        .route(
            "/programmes/{id}/attendances.xlsx",
            get(pages::attendances_export),
        )
}
