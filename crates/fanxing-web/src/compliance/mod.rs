//! The compliance checker's JSON API (`/api/v1/compliance/…`) and its
//! routes; thin handlers over
//! [`fanxing_core::compliance::service::ComplianceService`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use fanxing_core::compliance::service::{BatchAnswer, BatchItem, Overview};
use fanxing_core::compliance::{Category, Kind, Report, Severity};
use fanxing_core::error::Error;

use crate::api::{body, ApiQuery, Caller};
use crate::error::ApiError;
use crate::AppState;

pub mod pages;

/// The largest request body the batch endpoint reads: its
/// [`fanxing_core::compliance::MAX_BATCH_CHARS`] characters in UTF-8 with
/// room for the JSON around them.
pub const BATCH_BODY_LIMIT: usize = 8 << 20;

/// The routes this feature adds to the top router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/compliance", get(pages::page).post(pages::check))
        .route(
            "/compliance/titles",
            post(pages::titles).layer(DefaultBodyLimit::max(12 << 20)),
        )
        .route("/api/v1/compliance/check", post(check))
        .route(
            "/api/v1/compliance/check-batch",
            post(check_batch).layer(DefaultBodyLimit::max(BATCH_BODY_LIMIT)),
        )
        .route("/api/v1/compliance/overview", get(overview))
        .route("/api/v1/compliance/rules", get(rules))
}

/// Reads a kind (`script`, the default, or `title`).
pub(crate) fn kind(raw: Option<&str>) -> Result<Kind, Error> {
    match raw.map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(Kind::Script),
        Some(k) => Kind::parse(k).ok_or_else(|| Error::field("kind", "compliance.bad_kind")),
    }
}

#[derive(Deserialize)]
pub struct CheckInput {
    pub text: String,
    pub kind: Option<String>,
}

async fn check(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<CheckInput>, JsonRejection>,
) -> Result<Json<Report>, ApiError> {
    let input = body(&c, b)?;
    let kind = kind(input.kind.as_deref()).map_err(|e| c.err(e))?;
    Ok(Json(
        s.app
            .compliance
            .check(&c.actor, &input.text, kind, c.lang)
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct BatchInput {
    pub texts: Vec<BatchItem>,
    /// The kind of every text that does not name its own.
    pub kind: Option<String>,
}

#[derive(Serialize)]
pub struct BatchOutput {
    pub results: Vec<BatchAnswer>,
    pub rules_version: String,
}

async fn check_batch(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<BatchInput>, JsonRejection>,
) -> Result<Json<BatchOutput>, ApiError> {
    let input = body(&c, b)?;
    let kind = kind(input.kind.as_deref()).map_err(|e| c.err(e))?;
    let svc = &s.app.compliance;
    let results = svc
        .check_batch(&c.actor, &input.texts, kind, c.lang)
        .await?;
    Ok(Json(BatchOutput {
        results,
        rules_version: svc.matcher().version().to_string(),
    }))
}

#[derive(Deserialize)]
pub struct OverviewQuery {
    pub days: Option<i64>,
}

async fn overview(
    State(s): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<OverviewQuery>,
) -> Result<Json<Overview>, ApiError> {
    Ok(Json(
        s.app
            .compliance
            .overview(&c.actor, q.days.unwrap_or(30))
            .await?,
    ))
}

/// A rule as the API lists it.
#[derive(Serialize)]
pub struct RuleOut {
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub basis: String,
    pub explanation: String,
    pub suggestions: Vec<String>,
    pub terms: Vec<String>,
}

#[derive(Serialize)]
pub struct RulesOut {
    pub rules_version: String,
    pub rules: Vec<RuleOut>,
}

async fn rules(State(s): State<AppState>, c: Caller) -> Result<Json<RulesOut>, ApiError> {
    let m = s.app.compliance.rules(&c.actor)?;
    Ok(Json(RulesOut {
        rules_version: m.version().to_string(),
        rules: m
            .rules()
            .iter()
            .map(|r| RuleOut {
                id: r.id.clone(),
                category: r.category,
                severity: r.severity,
                basis: r.basis.clone(),
                explanation: match c.lang {
                    fanxing_core::Lang::Zh => r.explanation.clone(),
                    fanxing_core::Lang::En => r.explanation_en.clone(),
                },
                suggestions: r.suggestions.clone(),
                terms: r.terms.clone(),
            })
            .collect(),
    }))
}
