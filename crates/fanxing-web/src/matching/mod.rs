//! Resource matching's JSON API (`/api/v1/match/…`): thin handlers over
//! [`fanxing_core::matching::service::MatchingService`], which decides who
//! may do what.

use axum::body::{Body, Bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use fanxing_core::error::Error;
use fanxing_core::matching::pipeline::Action;
use fanxing_core::matching::service::{Explained, HolidayYear, NeedInput, OfferInput, SharedFacts};
use fanxing_core::matching::store::{AppEvent, Application, Need, Offer, Partner};
use fanxing_core::matching::{Fact, FactValue, PartnerKind};
use fanxing_core::people::OrgId;
use fanxing_core::region::RegionCode;

use crate::api::{body, ApiQuery, Caller};
use crate::error::ApiError;
use crate::AppState;

pub mod holidays;
pub mod pages;

/// The routes this feature adds to the top router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/match", get(pages::home))
        .route("/match/needs", post(pages::state_need))
        .route("/match/needs/{id}", get(pages::need))
        .route("/match/needs/{id}/apply", post(pages::apply))
        .route("/match/applications/{id}/act", post(pages::act))
        .route("/match/applications/{id}", get(pages::application))
        .route("/match/applications/{id}/verify", post(pages::verify))
        .route("/match/return.xlsx", get(pages::loan_return))
        .route("/match/partners", post(pages::register_partner))
        .route("/match/offers", post(pages::create_offer))
        .route("/match/offers/new", get(pages::new_offer))
        .route("/match/offers/{id}", post(pages::update_offer))
        .route("/match/offers/{id}/edit", get(pages::edit_offer))
        .route("/match/holidays", get(holidays::holidays))
        .route("/match/holidays/{year}", post(holidays::set_holidays))
        .route("/api/v1/match/partners", post(register_partner))
        .route("/api/v1/match/offers", get(offers).post(create_offer))
        .route("/api/v1/match/offers/{id}", put(update_offer))
        .route("/api/v1/match/facts", post(declare_facts))
        .route("/api/v1/match/needs", post(state_need))
        .route("/api/v1/match/needs/{id}/matches", get(matches))
        .route("/api/v1/match/needs/{id}/applications", post(apply))
        .route("/api/v1/match/applications", get(applications))
        .route("/api/v1/match/applications/{id}/events", get(events))
        .route("/api/v1/match/applications/{id}/actions", post(act))
        .route(
            "/api/v1/match/applications/{id}/facts",
            get(applicant_facts).post(verify_fact),
        )
        .route("/api/v1/match/rollup", get(rollup))
        .route("/api/v1/holidays/{year}", get(holidays).put(set_holidays))
}

#[derive(Deserialize)]
pub struct RegionQuery {
    pub region: Option<String>,
}

async fn rollup(
    State(s): State<AppState>,
    c: Caller,
    q: Result<axum::extract::Query<RegionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<fanxing_core::matching::rollup::Rollup>, ApiError> {
    let q = q.map_err(|_| c.err(Error::field("region", "error.region_unknown")))?;
    let region = match q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => Some(
            r.parse::<u32>()
                .ok()
                .and_then(RegionCode::from_value)
                .ok_or_else(|| c.err(Error::field("region", "error.region_unknown")))?,
        ),
    };
    Ok(Json(s.matching.rollup(&c.actor, region).await?))
}

#[derive(Deserialize)]
pub struct PartnerInput {
    pub org_id: OrgId,
    pub kind: String,
    pub serves_region: String,
}

async fn register_partner(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<PartnerInput>, JsonRejection>,
) -> Result<(StatusCode, Json<Partner>), ApiError> {
    let input = body(&c, b)?;
    let kind = PartnerKind::parse(&input.kind)
        .ok_or_else(|| c.err(Error::field("kind", "error.choice")))?;
    let serves = input
        .serves_region
        .trim()
        .parse::<u32>()
        .ok()
        .and_then(RegionCode::from_value)
        .ok_or_else(|| c.err(Error::field("serves_region", "error.region_unknown")))?;
    let p = s
        .matching
        .register_partner(&c.actor, input.org_id, kind, serves)
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

async fn offers(State(s): State<AppState>, c: Caller) -> Result<Json<Vec<Offer>>, ApiError> {
    Ok(Json(s.matching.offers(&c.actor).await?))
}

async fn create_offer(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<OfferInput>, JsonRejection>,
) -> Result<(StatusCode, Json<Offer>), ApiError> {
    let input = body(&c, b)?;
    let o = s.matching.save_offer(&c.actor, None, &input).await?;
    Ok((StatusCode::CREATED, Json(o)))
}

async fn update_offer(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
    b: Result<Json<OfferInput>, JsonRejection>,
) -> Result<Json<Offer>, ApiError> {
    let input = body(&c, b)?;
    Ok(Json(
        s.matching.save_offer(&c.actor, Some(id), &input).await?,
    ))
}

#[derive(Deserialize)]
pub struct FactsInput {
    pub org_id: OrgId,
    pub facts: Vec<FactInput>,
}

#[derive(Deserialize)]
pub struct FactInput {
    pub metric: String,
    pub value: FactValue,
    #[serde(default)]
    pub period: String,
}

async fn declare_facts(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<FactsInput>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let input = body(&c, b)?;
    if input.facts.len() > 100 {
        return Err(c.err(Error::field("facts", "match.too_many_facts")));
    }
    let facts: Vec<(String, FactValue, String)> = input
        .facts
        .into_iter()
        .map(|f| (f.metric, f.value, f.period))
        .collect();
    s.matching
        .declare_facts(&c.actor, input.org_id, &facts)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn state_need(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<NeedInput>, JsonRejection>,
) -> Result<(StatusCode, Json<Need>), ApiError> {
    let input = body(&c, b)?;
    let n = s.matching.state_need(&c.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(n)))
}

/// A page of ranked matches: `offset` (default 0) and `limit` (default
/// [`MATCHES_PAGE`], at most [`MATCHES_MAX`]).
#[derive(Deserialize)]
pub struct MatchesQuery {
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

/// Matches one answer explains unless asked for more.
pub const MATCHES_PAGE: usize = 50;
/// The most one answer explains.
pub const MATCHES_MAX: usize = 500;

async fn matches(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<MatchesQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(MATCHES_PAGE);
    if !(1..=MATCHES_MAX).contains(&limit) {
        return Err(c.err(Error::field("limit", "error.page_limit")));
    }
    let page = s
        .matching
        .shared_matches_page(&c.actor, id, q.offset, limit)
        .await?;
    let view = page
        .view
        .get_or_init(|| Box::new(MatchesView::of(&page.items)))
        .downcast_ref::<MatchesView>()
        .ok_or_else(|| {
            c.err(Error::Store(
                "a kept page of matches of another shape".into(),
            ))
        })?;
    let gzip = accepts_gzip(&headers);
    let body = if gzip { &view.gzip } else { &view.json };
    let mut res = Response::new(Body::from(body.clone()));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert("x-total-count", HeaderValue::from(page.total));
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(res)
}

/// A page of matches serialised once for everyone who reads it while it is
/// kept: the JSON, and the same gzip-compressed (the compression layer
/// passes an answer that is already encoded).
struct MatchesView {
    json: Bytes,
    gzip: Bytes,
}

/// A kept page's answer, JSON and gzip (see
/// [`MatchingService::set_page_view`](fanxing_core::matching::service::MatchingService::set_page_view)).
pub fn page_view(items: &[Explained]) -> Box<dyn std::any::Any + Send + Sync> {
    Box::new(MatchesView::of(items))
}

impl MatchesView {
    fn of(items: &[Explained]) -> MatchesView {
        use std::io::Write;
        // Serialising our own types cannot fail; should it, the answer is
        // an empty list rather than a broken one.
        let json = serde_json::to_vec(items).unwrap_or_else(|_| b"[]".to_vec());
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let gzip = gz
            .write_all(&json)
            .and_then(|_| gz.finish())
            .unwrap_or_default();
        MatchesView {
            json: Bytes::from(json),
            gzip: Bytes::from(gzip),
        }
    }
}

/// Whether the client takes gzip (`Accept-Encoding: gzip`, not `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

#[derive(Deserialize)]
pub struct ApplyInput {
    pub offer_id: i64,
    pub amount_fen: Option<i64>,
}

async fn apply(
    State(s): State<AppState>,
    c: Caller,
    Path(need): Path<i64>,
    b: Result<Json<ApplyInput>, JsonRejection>,
) -> Result<(StatusCode, Json<Application>), ApiError> {
    let input = body(&c, b)?;
    let a = s
        .matching
        .apply(&c.actor, need, input.offer_id, input.amount_fen)
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

async fn applications(
    State(s): State<AppState>,
    c: Caller,
) -> Result<Json<Vec<Application>>, ApiError> {
    Ok(Json(s.matching.applications(&c.actor).await?))
}

async fn events(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<AppEvent>>, ApiError> {
    Ok(Json(s.matching.history(&c.actor, id).await?))
}

async fn applicant_facts(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
) -> Result<Json<SharedFacts>, ApiError> {
    Ok(Json(s.matching.applicant_facts(&c.actor, id).await?))
}

async fn holidays(
    State(s): State<AppState>,
    _c: Caller,
    Path(year): Path<i32>,
) -> Result<Json<HolidayYear>, ApiError> {
    Ok(Json(s.matching.holidays(year).await?))
}

async fn set_holidays(
    State(s): State<AppState>,
    c: Caller,
    Path(year): Path<i32>,
    b: Result<Json<fanxing_core::workdays::Arrangement>, JsonRejection>,
) -> Result<Json<HolidayYear>, ApiError> {
    let input = body(&c, b)?;
    Ok(Json(s.matching.set_holidays(&c.actor, year, &input).await?))
}

/// A partner's confirmation of one shared fact.
#[derive(Deserialize)]
pub struct VerifyInput {
    pub metric: String,
    pub value: FactValue,
    #[serde(default)]
    pub period: String,
}

async fn verify_fact(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
    b: Result<Json<VerifyInput>, JsonRejection>,
) -> Result<(StatusCode, Json<Fact>), ApiError> {
    let input = body(&c, b)?;
    let f = s
        .matching
        .verify_fact(&c.actor, id, &input.metric, input.value, &input.period)
        .await?;
    Ok((StatusCode::CREATED, Json(f)))
}

#[derive(Deserialize)]
pub struct ActInput {
    pub action: String,
    pub comment: Option<String>,
    pub amount_fen: Option<i64>,
}

async fn act(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
    b: Result<Json<ActInput>, JsonRejection>,
) -> Result<Json<Application>, ApiError> {
    let input = body(&c, b)?;
    let action = Action::parse(&input.action)
        .filter(|a| *a != Action::Expire)
        .ok_or_else(|| c.err(Error::field("action", "error.choice")))?;
    Ok(Json(
        s.matching
            .act(
                &c.actor,
                id,
                action,
                input.comment.as_deref(),
                input.amount_fen,
            )
            .await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_sent_to_clients_that_take_it() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&h)
        };
        assert!(with("gzip"));
        assert!(with("gzip, deflate, br"));
        assert!(with("br;q=1.0, GZIP;q=0.5"));
        assert!(!with("gzip;q=0"));
        assert!(!with("br, deflate"));
        assert!(!with("gzipped"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
