//! People, organisations, regions, accounts and the audit log: pages
//! (`pages`, `accounts_pages`), JSON API (`api`, `accounts_api`) and the
//! routes they answer.

pub mod accounts_api;
pub mod accounts_pages;
pub mod api;
pub mod pages;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    use accounts_pages as ac;
    Router::new()
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
        .route("/api/v1/me/password", post(accounts_api::change_password))
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
        .route("/account", get(ac::account))
        .route("/account/password", post(ac::change_password))
        .route("/account/tokens/{id}/revoke", post(ac::revoke_token))
        .route("/accounts", get(ac::accounts))
        .route("/accounts/{id}/disable", post(ac::disable_account))
        .route("/accounts/{id}/enable", post(ac::enable_account))
        .route("/accounts/{id}/unlock", post(ac::unlock_account))
}
