//! Curriculum: tracks, competencies, courses and materials, and
//! certificates (verification, PDF, the office's list and zip) — pages,
//! JSON API, the certificate PDF and the routes they answer.

pub mod api;
pub mod certificate_pdf;
pub mod pages;

use axum::routing::{get, post, put};
use axum::Router;

use crate::{material_limit, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tracks", get(api::tracks))
        .route(
            "/api/v1/competencies",
            get(api::competencies).post(api::add_competency),
        )
        .route("/api/v1/competencies/{id}", put(api::rename_competency))
        .route(
            "/api/v1/courses",
            get(api::courses).post(api::create_course),
        )
        .route("/api/v1/courses/{id}", get(api::course))
        .route(
            "/api/v1/courses/{id}/materials",
            post(api::upload_material).layer(material_limit()),
        )
        .route("/courses", get(pages::courses).post(pages::create_course))
        .route("/courses/new", get(pages::new_course))
        .route("/courses/{id}", get(pages::course))
        .route(
            "/courses/{id}/materials",
            post(pages::upload_material).layer(material_limit()),
        )
        .route("/materials/{id}", get(pages::material))
        .route("/competencies", post(pages::add_competency))
        .route("/certificates", get(pages::office_certificates))
        .route("/certificates.zip", get(pages::certificates_zip))
        .route("/verify", get(pages::verify_box))
        .route("/verify/{number}", get(pages::verify))
        .route("/my/certificates", get(pages::my_certificates))
        .route("/certificates/{number}/pdf", get(pages::certificate_pdf))
        .route(
            "/certificates/{number}/revoke",
            post(pages::revoke_certificate),
        )
}
