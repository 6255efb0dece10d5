//! JSON API for live-commerce analytics: rooms, export imports, KPIs and
//! province statistics.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fanxing_core::analytics::service::{KpiReport, StatReport};
use fanxing_core::analytics::{
    ImportOutcome, Platform, Provenance, Room, RoomId, RoomInput, StatGroup,
};
use fanxing_core::store::Page;
use fanxing_core::training::roster::RowError;
use fanxing_core::Error;
use serde::Deserialize;

use crate::api::{body, path_id, Caller};
use crate::error::ApiError;
use crate::AppState;

type ApiResult<T> = Result<Json<T>, ApiError>;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
    q: Option<String>,
}

pub async fn rooms(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<PageQuery>,
) -> ApiResult<Page<Room>> {
    Ok(Json(
        s.app
            .analytics
            .rooms(&c.actor, q.q.as_deref(), q.page.unwrap_or(1))
            .await?,
    ))
}

pub async fn create_room(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<RoomInput>, JsonRejection>,
) -> Result<(StatusCode, Json<Room>), ApiError> {
    let b = body(&c, b)?;
    let room = s.app.analytics.create_room(&c.actor, &b).await?;
    Ok((StatusCode::CREATED, Json(room)))
}

/// A room's operators, replaced whole: people by id and by mobile.
#[derive(Deserialize)]
pub struct OperatorsBody {
    #[serde(default)]
    operators: Vec<fanxing_core::people::PersonId>,
    #[serde(default)]
    operator_mobiles: Vec<String>,
}

pub async fn set_operators(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<OperatorsBody>, JsonRejection>,
) -> ApiResult<Room> {
    let id = path_id(&c, &id)?;
    let b = body(&c, b)?;
    Ok(Json(
        s.app
            .analytics
            .set_room_operators(&c.actor, id, &b.operators, &b.operator_mobiles)
            .await?,
    ))
}

pub async fn room(State(s): State<AppState>, c: Caller, Path(id): Path<String>) -> ApiResult<Room> {
    let id = path_id(&c, &id)?;
    Ok(Json(s.app.analytics.room(&c.actor, id).await?))
}

fn provenance(_c: &Caller, raw: Option<&str>) -> Result<Provenance, ApiError> {
    Provenance::parse_or_official(raw).map_err(ApiError::from)
}

fn compact_date(
    _c: &Caller,
    raw: Option<&str>,
    field: &'static str,
    digits: usize,
    default: i64,
) -> Result<i64, ApiError> {
    fanxing_core::analytics::compact_date(raw, field, digits, default).map_err(ApiError::from)
}

#[derive(Deserialize)]
pub struct KpiQuery {
    from: Option<String>,
    to: Option<String>,
    provenance: Option<String>,
}

pub async fn room_kpis(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    crate::api::ApiQuery(q): crate::api::ApiQuery<KpiQuery>,
) -> ApiResult<KpiReport> {
    let id = path_id(&c, &id)?;
    let from = compact_date(&c, q.from.as_deref(), "from", 8, 0)?;
    let to = compact_date(&c, q.to.as_deref(), "to", 8, 99_991_231)?;
    let prov = provenance(&c, q.provenance.as_deref())?;
    Ok(Json(
        s.app
            .analytics
            .room_kpis(&c.actor, id, prov, from, to)
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct MonthsQuery {
    from: Option<String>,
    to: Option<String>,
    provenance: Option<String>,
}

/// A room's KPIs against its peers and the findings that name what to work on.
pub async fn room_diagnosis(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    crate::api::ApiQuery(q): crate::api::ApiQuery<MonthsQuery>,
) -> ApiResult<fanxing_core::analytics::service::Diagnosis> {
    let id = path_id(&c, &id)?;
    let from = compact_date(&c, q.from.as_deref(), "from", 6, 0)?;
    let to = compact_date(&c, q.to.as_deref(), "to", 6, 999_912)?;
    let prov = provenance(&c, q.provenance.as_deref())?;
    Ok(Json(
        s.app
            .analytics
            .room_diagnosis(&c.actor, id, prov, from, to)
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct StatsQuery {
    region: Option<String>,
    from: Option<String>,
    to: Option<String>,
    group: Option<String>,
    provenance: Option<String>,
}

pub async fn stats(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<StatsQuery>,
) -> ApiResult<Vec<StatReport>> {
    let region = fanxing_core::region::region_filter(q.region.as_deref())?;
    let from = compact_date(&c, q.from.as_deref(), "from", 6, 0)?;
    let to = compact_date(&c, q.to.as_deref(), "to", 6, 999_912)?;
    let prov = provenance(&c, q.provenance.as_deref())?;
    let group = match q.group.as_deref().unwrap_or("city") {
        "city" => StatGroup::City,
        "industry" => StatGroup::Industry,
        "platform" => StatGroup::Platform,
        "month" => StatGroup::Month,
        "city_month" => StatGroup::CityMonth,
        _ => return Err(c.err(Error::field("group", "error.choice"))),
    };
    Ok(Json(
        s.app
            .analytics
            .live_stats(&c.actor, region, prov, from, to, group)
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct ImpactQuery {
    region: Option<String>,
    outcome: Option<String>,
}

/// The training-impact estimate for a region: event study, effect and CI.
pub async fn impact(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<ImpactQuery>,
) -> ApiResult<fanxing_core::analytics::impact::ImpactEstimate> {
    let region = fanxing_core::region::region_filter(q.region.as_deref())?;
    let outcome =
        fanxing_core::analytics::service::Outcome::parse(q.outcome.as_deref().unwrap_or("log_gmv"))
            .ok_or_else(|| c.err(Error::field("outcome", "error.choice")))?;
    s.app
        .analytics
        .training_impact(&c.actor, region, outcome)
        .await
        .map(|e| Json(e.as_ref().clone()))
        .map_err(ApiError::from)
}

#[derive(Deserialize)]
pub struct ImportQuery {
    #[serde(default)]
    filename: String,
    #[serde(default)]
    platform: String,
    provenance: Option<String>,
}

fn rows_error(c: &Caller, rows: &[RowError]) -> Response {
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(
            |e| serde_json::json!({"row": e.row, "column": e.column, "message": e.message(c.lang)}),
        )
        .collect();
    let body = serde_json::json!({"error": {
        "code": "rows",
        "message": c.lang.tf("analytics.failed", &[("n", &rows.len().to_string())]),
        "fields": {},
        "rows": list,
    }});
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

async fn import(
    s: &AppState,
    c: &Caller,
    room: Option<RoomId>,
    q: &ImportQuery,
    bytes: &[u8],
) -> Result<Json<ImportOutcome>, Response> {
    let platform = Platform::parse(&q.platform).ok_or_else(|| {
        c.err(Error::field("platform", "error.choice"))
            .into_response()
    })?;
    let prov = provenance(c, q.provenance.as_deref()).map_err(IntoResponse::into_response)?;
    match s
        .app
        .analytics
        .import_live_export(&c.actor, platform, prov, room, &q.filename, bytes)
        .await
    {
        Ok(Ok(outcome)) => Ok(Json(outcome)),
        Ok(Err(rows)) => Err(rows_error(c, &rows)),
        Err(e) => Err(c.err(e).into_response()),
    }
}

/// One room's export as the request body (`?filename=` tells its type).
pub async fn import_room_sessions(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    crate::api::ApiQuery(q): crate::api::ApiQuery<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<Json<ImportOutcome>, Response> {
    let id = path_id(&c, &id).map_err(IntoResponse::into_response)?;
    // Whose room it is first: a stranger learns nothing from a 422.
    s.app
        .analytics
        .room(&c.actor, id)
        .await
        .map_err(|e| c.err(e).into_response())?;
    import(&s, &c, Some(id), &q, &body).await
}

/// A multi-room export: each row's account column names its room.
pub async fn import_sessions(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<Json<ImportOutcome>, Response> {
    s.app
        .analytics
        .rooms(&c.actor, None, 1)
        .await
        .map_err(|e| c.err(e).into_response())?;
    import(&s, &c, None, &q, &body).await
}
