//! The people, organisations, regions and audit JSON API.

use crate::api::*;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::Json;
use fanxing_core::audit::AuditEntry;
use fanxing_core::people::service::{OrgFilter, Overview, PeopleFilter, Revealed};
use fanxing_core::people::{OrgInput, OrgKind, Organisation, Person, PersonInput, Tier};
use fanxing_core::region::{Region, RegionCode, RegionLevel};
use fanxing_core::store::Page;
use fanxing_core::Error;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct RegionQuery {
    level: Option<String>,
    parent: Option<String>,
}

pub async fn regions(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<RegionQuery>,
) -> ApiResult<Vec<Region>> {
    let level = match q.level.as_deref() {
        None | Some("") => None,
        Some(l) => Some(
            RegionLevel::parse(l).ok_or_else(|| c.err(Error::field("level", "error.choice")))?,
        ),
    };
    let parent = match q.parent.as_deref() {
        None | Some("") => None,
        Some(p) => Some(
            RegionCode::parse(p)
                .ok_or_else(|| c.err(Error::field("parent", "error.region_unknown")))?,
        ),
    };
    Ok(Json(s.app.people.regions(level, parent).await?))
}

pub async fn region(
    State(s): State<AppState>,
    c: Caller,
    Path(code): Path<String>,
) -> ApiResult<Region> {
    let code = RegionCode::parse(&code).ok_or_else(|| c.err(Error::NotFound))?;
    Ok(Json(s.app.people.region(code).await?))
}

pub async fn overview(State(s): State<AppState>, c: Caller) -> ApiResult<Overview> {
    Ok(Json(s.app.people.overview(&c.actor).await?))
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    region: Option<String>,
    tier: Option<String>,
    kind: Option<String>,
    org: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

impl ListQuery {
    fn region(&self, _c: &Caller) -> Result<Option<RegionCode>, ApiError> {
        fanxing_core::region::region_filter(self.region.as_deref()).map_err(ApiError::from)
    }
}

/// Masks the mobile numbers of a page of people: lists never carry full numbers.
fn masked(mut p: Person) -> Person {
    p.mobile = fanxing_core::values::mask_mobile(&p.mobile);
    p
}

pub async fn people(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<ListQuery>,
) -> ApiResult<Page<Person>> {
    let tier = match q.tier.as_deref() {
        None | Some("") => None,
        Some(t) => Some(Tier::parse(t).ok_or_else(|| c.err(Error::field("tier", "error.choice")))?),
    };
    let f = PeopleFilter {
        text: q.q.clone(),
        region: q.region(&c)?,
        tier,
        org_id: q.org.as_deref().and_then(|o| o.parse().ok()),
        page: q.page.unwrap_or(1),
        per_page: q.per_page.unwrap_or(50),
    };
    let page = s.app.people.list_people(&c.actor, &f).await?;
    Ok(Json(Page {
        items: page.items.into_iter().map(masked).collect(),
        total: page.total,
        offset: page.offset,
        limit: page.limit,
    }))
}

pub async fn person(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Person> {
    let id = path_id(&c, &id)?;
    Ok(Json(s.app.people.person(&c.actor, id).await.map(masked)?))
}

pub async fn reveal_person(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Revealed> {
    let id = path_id(&c, &id)?;
    Ok(Json(s.app.people.reveal_person(&c.actor, id).await?))
}

pub async fn create_person(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<PersonInput>, JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<Person>), ApiError> {
    let input = body(&c, b)?;
    let p = s.app.people.create_person(&c.actor, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(masked(p))))
}

pub async fn update_person(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<PersonInput>, JsonRejection>,
) -> ApiResult<Person> {
    let id = path_id(&c, &id)?;
    let input = body(&c, b)?;
    Ok(Json(
        s.app
            .people
            .update_person(&c.actor, id, &input)
            .await
            .map(masked)?,
    ))
}

pub async fn orgs(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<ListQuery>,
) -> ApiResult<Page<Organisation>> {
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(k) => {
            Some(OrgKind::parse(k).ok_or_else(|| c.err(Error::field("kind", "error.choice")))?)
        }
    };
    let f = OrgFilter {
        text: q.q.clone(),
        region: q.region(&c)?,
        kind,
        page: q.page.unwrap_or(1),
        per_page: q.per_page.unwrap_or(50),
    };
    Ok(Json(s.app.people.list_orgs(&c.actor, &f).await?))
}

pub async fn org(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Organisation> {
    let id = path_id(&c, &id)?;
    Ok(Json(s.app.people.org(&c.actor, id).await?))
}

pub async fn create_org(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<OrgInput>, JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<Organisation>), ApiError> {
    let input = body(&c, b)?;
    let o = s.app.people.create_org(&c.actor, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(o)))
}

pub async fn update_org(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<OrgInput>, JsonRejection>,
) -> ApiResult<Organisation> {
    let id = path_id(&c, &id)?;
    let input = body(&c, b)?;
    Ok(Json(s.app.people.update_org(&c.actor, id, &input).await?))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    limit: Option<i64>,
}

pub async fn audit(
    State(s): State<AppState>,
    c: Caller,
    crate::api::ApiQuery(q): crate::api::ApiQuery<AuditQuery>,
) -> ApiResult<Vec<AuditEntry>> {
    Ok(Json(
        s.app
            .audit
            .entries(&c.actor, q.limit.unwrap_or(100))
            .await?,
    ))
}
