//! JSON API for training operations: programmes and targets, sessions,
//! registrations and tickets, check-in devices, online presence.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use fanxing_core::people::PersonId;
use fanxing_core::region::RegionCode;
use fanxing_core::store::Page;
use fanxing_core::training::service::{
    CheckinKit, ScanInput, ScanResult, SessionView, TargetInput, WalkInInput,
};
use fanxing_core::training::store::{MyRegistration, RosterEntry};
use fanxing_core::training::{
    Programme, Progress, RegisterOutcome, Registration, Session, SessionInput, SessionStatus,
    VenueId,
};
use fanxing_core::Error;
use serde::{Deserialize, Serialize};

use crate::api::{body, path_id, Caller};
use crate::error::ApiError;
use crate::AppState;

type ApiResult<T> = Result<Json<T>, ApiError>;

fn region_param(_c: &Caller, raw: Option<&str>) -> Result<Option<RegionCode>, ApiError> {
    fanxing_core::region::region_filter(raw).map_err(ApiError::from)
}

pub async fn programmes(State(s): State<AppState>, c: Caller) -> ApiResult<Vec<Programme>> {
    Ok(Json(s.app.training.programmes(&c.actor).await?))
}

#[derive(Deserialize)]
pub struct ProgrammeBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

pub async fn create_programme(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<ProgrammeBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Programme>), ApiError> {
    let b = body(&c, b)?;
    let p = s
        .app
        .training
        .create_programme(&c.actor, &b.name, &b.starts_on, &b.ends_on)
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[derive(Deserialize)]
pub struct RegionQuery {
    region: Option<String>,
    page: Option<i64>,
}

pub async fn progress(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    crate::api::ApiQuery(q): crate::api::ApiQuery<RegionQuery>,
) -> ApiResult<Progress> {
    let id = path_id(&c, &id)?;
    let region = region_param(&c, q.region.as_deref())?;
    Ok(Json(s.app.training.progress(&c.actor, id, region).await?))
}

pub async fn set_targets(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<Vec<TargetInput>>, JsonRejection>,
) -> ApiResult<Vec<fanxing_core::training::Target>> {
    let id = path_id(&c, &id)?;
    let b = body(&c, b)?;
    Ok(Json(s.app.training.set_targets(&c.actor, id, &b).await?))
}

pub async fn sessions(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<RegionQuery>,
) -> ApiResult<Page<Session>> {
    let region = region_param(&c, q.region.as_deref())?;
    Ok(Json(
        s.app
            .training
            .list_sessions(Some(&c.actor), region, q.page.unwrap_or(1))
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct NewSession {
    #[serde(flatten)]
    input: SessionInput,
    #[serde(default)]
    publish: bool,
}

pub async fn create_session(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<NewSession>, JsonRejection>,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    let b = body(&c, b)?;
    let v = s
        .app
        .training
        .create_session(&c.actor, &b.input, b.publish)
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

pub async fn session(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<SessionView> {
    let id = path_id(&c, &id)?;
    Ok(Json(s.app.training.session_view(Some(&c.actor), id).await?))
}

#[derive(Deserialize)]
pub struct StatusBody {
    #[serde(default)]
    status: String,
    #[serde(default)]
    notice: Option<String>,
}

pub async fn set_status(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<StatusBody>, JsonRejection>,
) -> ApiResult<SessionView> {
    let id = path_id(&c, &id)?;
    let b = body(&c, b)?;
    let to = SessionStatus::parse(&b.status)
        .ok_or_else(|| c.err(Error::field("status", "error.choice")))?;
    Ok(Json(
        s.app
            .training
            .set_session_status(&c.actor, id, to, b.notice.as_deref())
            .await?,
    ))
}

pub async fn roster(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Vec<RosterEntry>> {
    let id = path_id(&c, &id)?;
    Ok(Json(s.app.training.session_roster(&c.actor, id).await?))
}

#[derive(Deserialize, Default)]
pub struct RegisterBody {
    #[serde(default)]
    person_id: Option<PersonId>,
    #[serde(default)]
    venue_id: Option<VenueId>,
}

pub async fn register(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<RegisterBody>, JsonRejection>,
) -> Result<(StatusCode, Json<RegisterOutcome>), ApiError> {
    let id = path_id(&c, &id)?;
    let b = body(&c, b)?;
    let out = s
        .app
        .training
        .register(&c.actor, id, b.person_id, b.venue_id)
        .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[derive(Serialize)]
pub struct Cancelled {
    cancelled: bool,
    promoted: Option<Registration>,
}

pub async fn cancel_registration(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Cancelled> {
    let id = path_id(&c, &id)?;
    let promoted = s.app.training.cancel_registration(&c.actor, id).await?;
    Ok(Json(Cancelled {
        cancelled: true,
        promoted,
    }))
}

#[derive(Serialize)]
pub struct Ticket {
    registration: Registration,
    code: String,
    svg: String,
}

pub async fn ticket(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Ticket> {
    let id = path_id(&c, &id)?;
    let (registration, code) = s.app.training.ticket(&c.actor, id).await?;
    let svg = crate::qr::svg(&code)?;
    Ok(Json(Ticket {
        registration,
        code,
        svg,
    }))
}

pub async fn my_registrations(
    State(s): State<AppState>,
    c: Caller,
) -> ApiResult<Vec<MyRegistration>> {
    Ok(Json(s.app.training.my_registrations(&c.actor).await?))
}

pub async fn checkin_kit(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<CheckinKit> {
    let id = path_id(&c, &id)?;
    Ok(Json(s.app.training.checkin_kit(&c.actor, id).await?))
}

#[derive(Deserialize)]
pub struct ScansBody {
    #[serde(default)]
    device_id: String,
    #[serde(default)]
    scans: Vec<ScanInput>,
}

/// At most this many scans per request (a device syncs in batches).
const MAX_SCANS: usize = 1000;

pub async fn scans(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<ScansBody>, JsonRejection>,
) -> ApiResult<Vec<ScanResult>> {
    let id = path_id(&c, &id)?;
    let b = body(&c, b)?;
    if b.scans.len() > MAX_SCANS {
        return Err(c.err(Error::Message(format!(
            "at most {MAX_SCANS} scans per request"
        ))));
    }
    Ok(Json(
        s.app
            .training
            .record_scans(&c.actor, id, &b.device_id, &b.scans)
            .await?,
    ))
}

pub async fn walk_in(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<WalkInInput>, JsonRejection>,
) -> ApiResult<ScanResult> {
    let id = path_id(&c, &id)?;
    let b = body(&c, b)?;
    Ok(Json(s.app.training.walk_in(&c.actor, id, &b).await?))
}

#[derive(Serialize)]
pub struct Ok_ {
    ok: bool,
}

pub async fn heartbeat(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Ok_> {
    let id = path_id(&c, &id)?;
    s.app.training.heartbeat(&c.actor, id).await?;
    Ok(Json(Ok_ { ok: true }))
}

#[derive(Deserialize)]
pub struct RosterQuery {
    #[serde(default)]
    filename: String,
}

/// A roster file as the request body (`?filename=` tells its type).
pub async fn import_roster(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    crate::api::ApiQuery(q): crate::api::ApiQuery<RosterQuery>,
    body: axum::body::Bytes,
) -> Result<Json<fanxing_core::training::store::RosterOutcome>, axum::response::Response> {
    use axum::response::IntoResponse;
    let id = path_id(&c, &id).map_err(IntoResponse::into_response)?;
    match s
        .app
        .training
        .import_roster(&c.actor, id, &q.filename, &body)
        .await
    {
        Ok(Ok(outcome)) => Ok(Json(outcome)),
        Ok(Err(rows)) => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|e| serde_json::json!({"row": e.row, "column": e.column, "message": e.message(c.lang)}))
                .collect();
            let body = serde_json::json!({"error": {
                "code": "roster",
                "message": c.lang.tf("roster.failed", &[("n", &rows.len().to_string())]),
                "fields": {},
                "rows": list,
            }});
            Err((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response())
        }
        Err(e) => Err(c.err(e).into_response()),
    }
}

pub async fn live(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<fanxing_core::training::service::Live> {
    let id = path_id(&c, &id)?;
    s.app
        .training
        .live(&c.actor, id)
        .await
        .map(|(_, l)| Json(l))
        .map_err(ApiError::from)
}
