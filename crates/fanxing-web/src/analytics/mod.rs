//! Live-commerce analytics: rooms, export imports, KPIs and diagnosis,
//! province statistics and the training-impact estimate — pages, JSON API
//! and the routes they answer.

pub mod api;
pub mod pages;

use axum::routing::{get, post, put};
use axum::Router;

use crate::{upload_limit, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/rooms", get(api::rooms).post(api::create_room))
        .route("/api/v1/rooms/{id}", get(api::room))
        .route("/api/v1/rooms/{id}/kpis", get(api::room_kpis))
        .route("/api/v1/rooms/{id}/diagnosis", get(api::room_diagnosis))
        .route("/api/v1/rooms/{id}/operators", put(api::set_operators))
        .route(
            "/api/v1/rooms/{id}/sessions",
            post(api::import_room_sessions).layer(upload_limit()),
        )
        .route(
            "/api/v1/live-sessions",
            post(api::import_sessions).layer(upload_limit()),
        )
        .route("/api/v1/live-stats", get(api::stats))
        .route("/api/v1/live-impact", get(api::impact))
        .route("/rooms", get(pages::rooms).post(pages::create_room))
        .route("/rooms/new", get(pages::new_room))
        .route("/rooms/{id}", get(pages::room))
        .route("/rooms/{id}/operators", post(pages::set_operators))
        .route(
            "/rooms/{id}/sessions",
            post(pages::upload).layer(upload_limit()),
        )
        .route("/live-stats", get(pages::live_stats))
}
