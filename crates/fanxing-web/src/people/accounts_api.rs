//! Account control over the API: changing one's own password.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::api::{body, Caller};
use crate::error::ApiError;
use crate::AppState;

#[derive(Deserialize)]
pub struct PasswordChange {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

#[derive(Serialize)]
pub struct Changed {
    changed: bool,
}

/// `POST /api/v1/me/password`: every session and known device of the
/// account ends (API tokens stay; revoke them separately).
pub async fn change_password(
    State(state): State<AppState>,
    c: Caller,
    b: Result<Json<PasswordChange>, JsonRejection>,
) -> Result<Json<Changed>, ApiError> {
    let input = body(&c, b)?;
    state
        .app
        .accounts
        .change_password(
            &c.actor,
            None,
            &input.current_password,
            &input.new_password,
            None,
        )
        .await?;
    Ok(Json(Changed { changed: true }))
}
