//! The knowledge library's routes: the search and reading pages, the
//! offices' writing pages, and the JSON API (`/api/v1/knowledge/…`); thin
//! handlers over [`fanxing_core::knowledge::service::KnowledgeService`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use fanxing_core::knowledge::search::{Filters, SearchQuery, SearchResults, SortBy};
use fanxing_core::knowledge::{DocKind, DocStatus, Document, DocumentId, DocumentInput};
use fanxing_core::region::RegionCode;
use fanxing_core::Error;

use crate::api::{body, path_id, ApiQuery, Caller};
use crate::error::ApiError;
use crate::AppState;

pub mod pages;

/// A document's body is at most half a million characters: 2 MB of UTF-8
/// with room for the rest of the JSON or form.
const BODY_LIMIT: usize = 4 << 20;

/// The routes this feature adds to the top router.
pub fn routes() -> Router<AppState> {
    let limit = || DefaultBodyLimit::max(BODY_LIMIT);
    Router::new()
        .route("/knowledge", get(pages::search))
        .route("/knowledge/manage", get(pages::manage))
        .route(
            "/knowledge/new",
            get(pages::new_form).post(pages::create).layer(limit()),
        )
        .route("/knowledge/{id}", get(pages::document))
        .route(
            "/knowledge/{id}/edit",
            get(pages::edit_form).post(pages::update).layer(limit()),
        )
        .route("/knowledge/{id}/status", post(pages::set_status))
        .route("/api/v1/knowledge/search", get(search))
        .route("/api/v1/knowledge/documents", post(create).layer(limit()))
        .route(
            "/api/v1/knowledge/documents/{id}",
            get(document).put(update).layer(limit()),
        )
        .route("/api/v1/knowledge/documents/{id}/status", post(set_status))
}

/// A search as the query string and the page's form give it.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub kind: Option<String>,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub tier: Option<String>,
    pub competency: Option<String>,
    pub sort: Option<String>,
    pub page: Option<usize>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl SearchParams {
    /// The search, or the field that is not understood.
    pub fn query(&self, per_page: usize) -> Result<SearchQuery, Error> {
        let kind = match nonempty(&self.kind) {
            None => None,
            Some(k) => Some(DocKind::parse(k).ok_or_else(|| Error::field("kind", "error.choice"))?),
        };
        let region = match nonempty(&self.region) {
            None => None,
            Some(r) => Some(
                RegionCode::parse(r)
                    .ok_or_else(|| Error::field("region", "error.region_unknown"))?,
            ),
        };
        let sort = match nonempty(&self.sort) {
            None | Some("relevance") => SortBy::Relevance,
            Some("newest") => SortBy::Newest,
            Some(_) => return Err(Error::field("sort", "error.choice")),
        };
        Ok(SearchQuery {
            text: self.q.clone(),
            filters: Filters {
                kind,
                industry: nonempty(&self.industry).map(str::to_string),
                region,
                tier: nonempty(&self.tier).map(str::to_string),
                competency: nonempty(&self.competency).map(str::to_string),
            },
            sort,
            page: self.page.unwrap_or(1).max(1) - 1,
            per_page,
        })
    }
}

async fn search(
    State(s): State<AppState>,
    c: Caller,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    let q = p.query(20).map_err(|e| c.err(e))?;
    Ok(Json(s.app.knowledge.search(Some(&c.actor), q).await?))
}

async fn document(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<Document>, ApiError> {
    let id: DocumentId = path_id(&c, &id)?;
    Ok(Json(s.app.knowledge.document(Some(&c.actor), id).await?))
}

#[derive(Deserialize)]
pub struct CreateInput {
    #[serde(flatten)]
    pub document: DocumentInput,
    /// Publish at once (default: keep as a draft).
    #[serde(default)]
    pub publish: bool,
}

#[derive(Serialize)]
pub struct Created {
    pub id: DocumentId,
}

async fn create(
    State(s): State<AppState>,
    c: Caller,
    b: Result<Json<CreateInput>, JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<Created>), ApiError> {
    let input = body(&c, b)?;
    let id = s
        .app
        .knowledge
        .create(&c.actor, &input.document, input.publish)
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(Created { id })))
}

async fn update(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<DocumentInput>, JsonRejection>,
) -> Result<Json<Document>, ApiError> {
    let id: DocumentId = path_id(&c, &id)?;
    let input = body(&c, b)?;
    s.app.knowledge.update(&c.actor, id, &input).await?;
    Ok(Json(s.app.knowledge.document(Some(&c.actor), id).await?))
}

#[derive(Deserialize)]
pub struct StatusInput {
    pub status: String,
}

async fn set_status(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<StatusInput>, JsonRejection>,
) -> Result<Json<Document>, ApiError> {
    let id: DocumentId = path_id(&c, &id)?;
    let input = body(&c, b)?;
    let status = DocStatus::parse(&input.status)
        .ok_or_else(|| c.err(Error::field("status", "error.choice")))?;
    s.app.knowledge.set_status(&c.actor, id, status).await?;
    Ok(Json(s.app.knowledge.document(Some(&c.actor), id).await?))
}

/// This feature's part of the OpenAPI document.
pub(crate) fn openapi(doc: &mut serde_json::Value) {
    use crate::openapi::{op, q};
    use serde_json::json;
    let p = &mut doc["paths"];
    p["/api/v1/knowledge/search"] = json!({"get": op(
        "Search the cases, course materials, policies and questions the caller may read (public ones; those for programme members in the caller's province, city or county; for offices, those above and within their region). Chinese is segmented with the programme's own words; traditional characters, full-width letters, same-sounding typos, pinyin and initials (zbdh) and synonyms (GMV/成交额/销售额) are found too. Answers total, hits (id, kind, title, snippet fragments with hit marks, industry, region, published_at, example), facets with counts (kind, industry, region, tier, competency), and, when nothing matched, suggestions and the count without filters",
        "knowledge", json!([q("q", "the words"), q("kind", "case | material | policy | qa"), q("industry", "an industry"), q("region", "a region code: documents in it or below"), q("tier", "cadre | company_head | operator"), q("competency", "a competency code"), q("sort", "relevance (default) | newest"), q("page", "1-based, at most 101")]), None, "200")});
    p["/api/v1/knowledge/documents"] = json!({"post": op(
        "Write a document (offices; region defaults to the office's own and must lie within it): kind, title, summary, body, industry, region, tiers, competencies, tags, visibility (public | trainees | offices), details (case: enterprise, platform, stage, before, after; policy: issuer, doc_number, issued_on, valid_until, beneficiaries, amount; material: course, format, lecture) and publish (default false: a draft)",
        "knowledge", json!([]), None, "201")});
    p["/api/v1/knowledge/documents/{id}"] = json!({
        "get": op("A document the caller may read (else 404)", "knowledge", json!([]), None, "200"),
        "put": op("Replace a document's content (offices over its region)", "knowledge", json!([]), None, "200")});
    p["/api/v1/knowledge/documents/{id}/status"] = json!({"post": op(
        "Publish, withdraw or return a document to draft: {\"status\": \"published\" | \"withdrawn\" | \"draft\"}. Every server's search follows within seconds",
        "knowledge", json!([]), None, "200")});
}
