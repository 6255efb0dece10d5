//! JSON API for the curriculum: tracks, competencies, courses, materials.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use fanxing_core::curriculum::{Competency, Course, CourseInput, Material, Track};
use fanxing_core::people::Tier;
use fanxing_core::Error;
use serde::{Deserialize, Serialize};

use crate::api::{body, path_id, Caller};
use crate::error::ApiError;
use crate::AppState;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub async fn tracks(State(s): State<AppState>, _c: Caller) -> ApiResult<Vec<Track>> {
    Ok(Json(s.app.curriculum.tracks().await?))
}

pub async fn competencies(State(s): State<AppState>, _c: Caller) -> ApiResult<Vec<Competency>> {
    Ok(Json(s.app.curriculum.competencies().await?))
}

#[derive(Deserialize)]
pub struct CompetencyBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
}

pub async fn add_competency(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<CompetencyBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Competency>), ApiError> {
    let b = body(&c, b)?;
    let k = s
        .app
        .curriculum
        .add_competency(&c.actor, &b.code, &b.name_zh, &b.name_en)
        .await?;
    Ok((StatusCode::CREATED, Json(k)))
}

#[derive(Serialize)]
pub struct Done {
    ok: bool,
}

pub async fn rename_competency(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<CompetencyBody>, JsonRejection>,
) -> ApiResult<Done> {
    let id = path_id(&c, &id)?;
    let b = body(&c, b)?;
    s.app
        .curriculum
        .rename_competency(&c.actor, id, &b.name_zh, &b.name_en)
        .await?;
    Ok(Json(Done { ok: true }))
}

#[derive(Deserialize)]
pub struct CourseQuery {
    tier: Option<String>,
}

pub async fn courses(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<CourseQuery>,
) -> ApiResult<Vec<Course>> {
    let tier = match q.tier.as_deref() {
        None | Some("") => None,
        Some(t) => Some(Tier::parse(t).ok_or_else(|| c.err(Error::field("tier", "error.choice")))?),
    };
    Ok(Json(s.app.curriculum.courses(tier).await?))
}

pub async fn create_course(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<CourseInput>, JsonRejection>,
) -> Result<(StatusCode, Json<Course>), ApiError> {
    let b = body(&c, b)?;
    let course = s.app.curriculum.create_course(&c.actor, &b).await?;
    Ok((StatusCode::CREATED, Json(course)))
}

#[derive(Serialize)]
pub struct CourseWithMaterials {
    #[serde(flatten)]
    course: Course,
    materials: Vec<Material>,
}

pub async fn course(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<CourseWithMaterials> {
    let id = path_id(&c, &id)?;
    let course = s.app.curriculum.course(id).await?;
    let materials = s.app.curriculum.materials(id).await?;
    Ok(Json(CourseWithMaterials { course, materials }))
}

#[derive(Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    filename: String,
}

/// The material's bytes as the request body; `?filename=` names it.
pub async fn upload_material(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    crate::api::ApiQuery(q): crate::api::ApiQuery<UploadQuery>,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<Material>), ApiError> {
    let id = path_id(&c, &id)?;
    let m = s
        .app
        .curriculum
        .add_material(&c.actor, id, &q.filename, &bytes)
        .await?;
    let course = s.app.curriculum.course(id).await?;
    s.app
        .knowledge
        .index_material(&course, &m, bytes.to_vec())
        .await?;
    Ok((StatusCode::CREATED, Json(m)))
}
