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

/// The largest request body one check reads: enough for a megabyte of
/// Chinese text, so that an over-long text is answered with the checker's
/// own message (its limit, in characters) rather than a bare 413.
pub const CHECK_BODY_LIMIT: usize = 4 << 20;

/// The routes this feature adds to the top router.
pub fn routes() -> Router<AppState> {
    let check_limit = || DefaultBodyLimit::max(CHECK_BODY_LIMIT);
    let upload_limit = || DefaultBodyLimit::max(12 << 20);
    let batch_limit = || DefaultBodyLimit::max(BATCH_BODY_LIMIT);
    Router::new()
        .route(
            "/compliance",
            get(pages::page).post(pages::check).layer(check_limit()),
        )
        .route(
            "/compliance/titles",
            post(pages::titles).layer(upload_limit()),
        )
        .route("/api/v1/compliance/check", post(check).layer(check_limit()))
        .route(
            "/api/v1/compliance/check-batch",
            post(check_batch).layer(batch_limit()),
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
    let results = svc.check_batch(&c.actor, input.texts, kind, c.lang).await?;
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

/// This feature's part of the OpenAPI document.
pub(crate) fn openapi(doc: &mut serde_json::Value) {
    use crate::openapi::{op, q};
    use serde_json::json;
    let p = &mut doc["paths"];
    p["/api/v1/compliance/check"] = json!({"post": op(
        "Check a live script or a product title for terms advertising and live-commerce rules forbid. Each finding: start and end (Unicode characters of the original text), the term as written, the rule's own term it stands for, category (absolute, authority, medical, health_food, cosmetics, guarantee, false_data, other), rule id, legal basis, explanation, rewordings, severity (block | warn) and how it was found (literal, normalised, pinyin, sound, variant, missing). Texts of up to 200,000 characters; trainees and offices only; each check is counted for the caller's region, the text is not stored",
        "compliance", json!([]), Some("ComplianceCheck"), "200")});
    p["/api/v1/compliance/check-batch"] = json!({"post": op(
        "Check many texts at once: at most 1,000 texts and 2,000,000 characters in all (a body of 8 MB). Each answer carries the text's id when it had one. One text that cannot be checked refuses the batch, naming it",
        "compliance", json!([]), Some("ComplianceBatch"), "200")});
    p["/api/v1/compliance/overview"] = json!({"get": op(
        "For offices: checks made by their region's trainees and offices over the last days, texts with findings, findings per category (most first) and per child region",
        "compliance", json!([q("days", "1–366, default 30")]), None, "200")});
    p["/api/v1/compliance/rules"] = json!({"get": op(
        "The rules in force and their version: id, category, severity, legal basis, explanation, rewordings and terms",
        "compliance", json!([]), None, "200")});
    let s = &mut doc["components"]["schemas"];
    s["ComplianceCheck"] = json!({"type": "object", "required": ["text"], "properties": {
        "text": {"type": "string", "maxLength": fanxing_core::compliance::MAX_CHARS},
        "kind": {"type": "string", "enum": ["script", "title"], "default": "script"}}});
    s["ComplianceBatch"] = json!({"type": "object", "required": ["texts"], "properties": {
        "kind": {"type": "string", "enum": ["script", "title"], "default": "script"},
        "texts": {"type": "array", "maxItems": fanxing_core::compliance::MAX_BATCH, "items": {
            "type": "object", "required": ["text"], "properties": {
                "id": {"type": "string"}, "text": {"type": "string"},
                "kind": {"type": "string", "enum": ["script", "title"]}}}}}});
}
