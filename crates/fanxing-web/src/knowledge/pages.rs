//! The library's pages: search with facets and highlighted snippets (open
//! to everyone for public documents; more for those logged in), a
//! document's page, and the offices' list and writing form.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use fanxing_core::knowledge::search::SearchResults;
use fanxing_core::knowledge::{
    DocKind, DocStatus, Document, DocumentId, DocumentInput, Visibility,
};
use fanxing_core::people::Tier;
use fanxing_core::{Error, FieldErrors};

use super::SearchParams;
use crate::ctx::{CsrfForm, Ctx};
use crate::error::{urlencode, PageError};
use crate::pages::{path_id, render, render_status, PageResult};
use crate::AppState;

/// Results per page.
const PER_PAGE: usize = 10;

/// One value of a facet as a link.
pub struct FacetLink {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub active: bool,
}

pub struct FacetView {
    pub title: String,
    pub links: Vec<FacetLink>,
}

#[derive(Template)]
#[template(path = "knowledge/knowledge.html")]
struct SearchPage<'a> {
    ctx: &'a Ctx,
    q: String,
    sort: String,
    results: Option<SearchResults>,
    facets: Vec<FacetView>,
    filtered: bool,
    page: usize,
    prev: Option<String>,
    next: Option<String>,
    region_names: Vec<(u32, String)>,
    may_write: bool,
    error: Option<String>,
}

impl SearchPage<'_> {
    fn results_line(&self, n: &u64) -> String {
        self.ctx.tf("knowledge.results", &[("n", &n.to_string())])
    }
    fn without_line(&self, n: &u64) -> String {
        self.ctx
            .tf("knowledge.without_filters", &[("n", &n.to_string())])
    }
    fn page_line(&self) -> String {
        self.ctx
            .tf("knowledge.page_of", &[("page", &self.page.to_string())])
    }
    fn region_name(&self, code: &fanxing_core::region::RegionCode) -> String {
        name_of(&self.region_names, code.value())
    }
    fn date(&self, at: &i64) -> String {
        fanxing_core::training::format_local(*at)
            .chars()
            .take(10)
            .collect()
    }
    fn suggest_href(&self, s: &str) -> String {
        format!("/knowledge?q={}", urlencode(s))
    }
}

fn name_of(names: &[(u32, String)], code: u32) -> String {
    names
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| code.to_string())
}

/// The query string of `p` with `key` set to `value` (or dropped), back to
/// the first page.
fn href_with(p: &SearchParams, key: &str, value: Option<&str>, page: Option<usize>) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    let mut put = |k: &'static str, v: Option<&str>| {
        let v = if k == key { value } else { v };
        if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) {
            pairs.push((k, v.to_string()));
        }
    };
    put("q", Some(p.q.as_str()));
    put("kind", p.kind.as_deref());
    put("industry", p.industry.as_deref());
    put("region", p.region.as_deref());
    put("tier", p.tier.as_deref());
    put("competency", p.competency.as_deref());
    put("sort", p.sort.as_deref());
    if let Some(n) = page.filter(|n| *n > 1) {
        pairs.push(("page", n.to_string()));
    }
    let qs: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    if qs.is_empty() {
        "/knowledge".into()
    } else {
        format!("/knowledge?{}", qs.join("&"))
    }
}

async fn region_names(state: &AppState) -> Vec<(u32, String)> {
    state
        .app
        .people
        .regions(None, None)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| (r.code.value(), r.name))
        .collect()
}

async fn competency_names(state: &AppState, ctx: &Ctx) -> Vec<(String, String)> {
    state
        .app
        .curriculum
        .competencies()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            let name = match ctx.lang {
                fanxing_core::Lang::Zh => c.name_zh,
                fanxing_core::Lang::En => c.name_en,
            };
            (c.code, name)
        })
        .collect()
}

/// `GET /knowledge`: the search page.
pub async fn search(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<SearchParams>,
) -> PageResult {
    let actor = ctx.auth.as_ref().ok();
    let regions = region_names(&state).await;
    let (results, error) = match p.query(PER_PAGE) {
        Ok(q) => (Some(state.app.knowledge.search(actor, q).await?), None),
        Err(e) => (None, Some(e.detail(ctx.lang))),
    };
    let comps = competency_names(&state, &ctx).await;
    let mut facets = Vec::new();
    if let Some(r) = &results {
        for f in &r.facets {
            let current = match f.name {
                "kind" => p.kind.as_deref(),
                "industry" => p.industry.as_deref(),
                "region" => p.region.as_deref(),
                "tier" => p.tier.as_deref(),
                _ => p.competency.as_deref(),
            };
            let links = f
                .values
                .iter()
                .map(|(v, n)| {
                    let label = match f.name {
                        "kind" => DocKind::parse(v)
                            .map(|k| ctx.t(k.label_key()).to_string())
                            .unwrap_or_else(|| v.clone()),
                        "tier" => Tier::parse(v)
                            .map(|t| ctx.t(t.label_key()).to_string())
                            .unwrap_or_else(|| v.clone()),
                        "region" => v
                            .parse::<u32>()
                            .map(|c| name_of(&regions, c))
                            .unwrap_or_else(|_| v.clone()),
                        "competency" => comps
                            .iter()
                            .find(|(c, _)| c == v)
                            .map(|(_, n)| n.clone())
                            .unwrap_or_else(|| v.clone()),
                        _ => v.clone(),
                    };
                    let active = current == Some(v.as_str());
                    FacetLink {
                        label,
                        count: *n,
                        href: href_with(&p, f.name, (!active).then_some(v.as_str()), None),
                        active,
                    }
                })
                .collect::<Vec<_>>();
            if !links.is_empty() {
                facets.push(FacetView {
                    title: ctx.t(&format!("knowledge.facet.{}", f.name)).to_string(),
                    links,
                });
            }
        }
    }
    let page = p.page.unwrap_or(1).max(1);
    let (prev, next) = match &results {
        Some(r) => (
            (page > 1).then(|| href_with(&p, "", None, Some(page - 1))),
            ((page * PER_PAGE) < r.total as usize
                && page <= fanxing_core::knowledge::service::MAX_PAGE)
                .then(|| href_with(&p, "", None, Some(page + 1))),
        ),
        None => (None, None),
    };
    let filtered = [&p.kind, &p.industry, &p.region, &p.tier, &p.competency]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()));
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    render_status(
        &ctx,
        status,
        &SearchPage {
            q: p.q.clone(),
            sort: p.sort.clone().unwrap_or_default(),
            results,
            facets,
            filtered,
            page,
            prev,
            next,
            region_names: regions,
            may_write: actor.is_some_and(|a| a.office_range().is_some()),
            error,
            ctx: &ctx,
        },
    )
}

#[derive(Template)]
#[template(path = "knowledge/knowledge_doc.html")]
struct DocPage<'a> {
    ctx: &'a Ctx,
    doc: Document,
    paragraphs: Vec<String>,
    region: String,
    competencies: Vec<String>,
    figures: Vec<(String, String, String)>,
    may_edit: bool,
}

fn figure_label(ctx: &Ctx, key: &str) -> String {
    match (key, ctx.lang) {
        ("monthly_gmv_yuan", fanxing_core::Lang::Zh) => "月成交额（元）".into(),
        ("monthly_gmv_yuan", _) => "Monthly sales (yuan)".into(),
        ("click_to_order", fanxing_core::Lang::Zh) => "点击成交转化率".into(),
        ("click_to_order", _) => "Click-to-order rate".into(),
        ("avg_watch_s", fanxing_core::Lang::Zh) => "人均观看时长（秒）".into(),
        ("avg_watch_s", _) => "Average watch time (s)".into(),
        ("followers", fanxing_core::Lang::Zh) => "粉丝数".into(),
        ("followers", _) => "Followers".into(),
        (k, _) => k.to_string(),
    }
}

fn figure_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => fanxing_core::numfmt::grouped(i),
            (None, Some(f)) if f < 1.0 => format!("{:.1}%", f * 100.0),
            (None, Some(f)) => format!("{f:.1}"),
            _ => n.to_string(),
        },
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `GET /knowledge/{id}`.
pub async fn document(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id: DocumentId = path_id(&ctx, &id)?;
    let actor = ctx.auth.as_ref().ok();
    let doc = match state.app.knowledge.document(actor, id).await {
        Ok(doc) => doc,
        // Logging in may show it: ask for a log-in rather than say "not
        // found" (the same answer whether or not it exists).
        Err(Error::NotFound) if actor.is_none() => {
            return Err(ctx
                .actor()
                .err()
                .unwrap_or_else(|| PageError::new(&ctx, Error::NotFound)))
        }
        Err(e) => return Err(PageError::new(&ctx, e)),
    };
    let regions = region_names(&state).await;
    let comps = competency_names(&state, &ctx).await;
    let mut figures = Vec::new();
    if let (Some(b), Some(a)) = (&doc.details.before, &doc.details.after) {
        for (k, v) in b {
            let after = a.get(k).map(figure_value).unwrap_or_default();
            figures.push((figure_label(&ctx, k), figure_value(v), after));
        }
    }
    render(
        &ctx,
        &DocPage {
            paragraphs: doc
                .body
                .split('\n')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
            region: name_of(&regions, doc.region.value()),
            competencies: doc
                .competencies
                .iter()
                .map(|c| {
                    comps
                        .iter()
                        .find(|(k, _)| k == c)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_else(|| c.clone())
                })
                .collect(),
            figures,
            may_edit: actor
                .and_then(|a| a.office_range())
                .is_some_and(|r| r.contains(doc.region)),
            doc,
            ctx: &ctx,
        },
    )
}

#[derive(Template)]
#[template(path = "knowledge/knowledge_manage.html")]
struct ManagePage<'a> {
    ctx: &'a Ctx,
    docs: Vec<Document>,
    total: i64,
    page: i64,
}

impl ManagePage<'_> {
    fn date(&self, at: &i64) -> String {
        fanxing_core::training::format_local(*at)
            .chars()
            .take(10)
            .collect()
    }
    fn pages(&self) -> i64 {
        (self.total + 49) / 50
    }
}

#[derive(Deserialize)]
pub struct ManageQuery {
    page: Option<i64>,
}

/// `GET /knowledge/manage`: the office's documents, drafts included.
pub async fn manage(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ManageQuery>,
) -> PageResult {
    let actor = ctx.actor()?;
    let page = q.page.unwrap_or(1).max(1);
    let (docs, total) = state
        .app
        .knowledge
        .office_documents(actor, page - 1, 50)
        .await?;
    render(
        &ctx,
        &ManagePage {
            docs,
            total,
            page,
            ctx: &ctx,
        },
    )
}

/// The writing form's fields, as posted (tiers and competencies are
/// checkboxes: one field per ticked box).
#[derive(Default)]
pub struct DocForm {
    kind: String,
    title: String,
    summary: String,
    body: String,
    industry: String,
    region: String,
    tiers: Vec<String>,
    competencies: Vec<String>,
    tags: String,
    visibility: String,
    publish: Option<String>,
}

impl DocForm {
    fn from_pairs(pairs: &[(String, String)]) -> DocForm {
        let one = |name: &str| crate::pages::field(pairs, name);
        let all = |name: &str| {
            pairs
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
        };
        DocForm {
            kind: one("kind"),
            title: one("title"),
            summary: one("summary"),
            body: one("body"),
            industry: one("industry"),
            region: one("region"),
            tiers: all("tiers"),
            competencies: all("competencies"),
            tags: one("tags"),
            visibility: one("visibility"),
            publish: pairs
                .iter()
                .any(|(k, _)| k == "publish")
                .then(|| "1".to_string()),
        }
    }

    fn input(&self) -> DocumentInput {
        DocumentInput {
            kind: self.kind.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            industry: Some(self.industry.clone()),
            region: Some(self.region.clone()),
            tiers: self.tiers.clone(),
            competencies: self.competencies.clone(),
            tags: self
                .tags
                .split([',', '，', '、', ';', '；'])
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            visibility: self.visibility.clone(),
            example: false,
            details: Default::default(),
        }
    }

    fn of(d: &Document) -> DocForm {
        DocForm {
            kind: d.kind.as_str().into(),
            title: d.title.clone(),
            summary: d.summary.clone(),
            body: d.body.clone(),
            industry: d.industry.clone().unwrap_or_default(),
            region: d.region.to_string(),
            tiers: d.tiers.iter().map(|t| t.as_str().to_string()).collect(),
            competencies: d.competencies.clone(),
            tags: d.tags.join("，"),
            visibility: d.visibility.as_str().into(),
            publish: None,
        }
    }
}

#[derive(Template)]
#[template(path = "knowledge/knowledge_form.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    action: String,
    form: DocForm,
    errors: FieldErrors,
    kinds: Vec<(String, String)>,
    industries: Vec<String>,
    tiers: Vec<(String, String)>,
    competencies: Vec<(String, String)>,
    visibilities: Vec<(String, String)>,
    editing: bool,
}

impl FormPage<'_> {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| e.message(self.ctx.lang))
    }
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    action: String,
    form: DocForm,
    errors: FieldErrors,
    editing: bool,
) -> PageResult {
    ctx.actor()?.write_range()?;
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        ctx,
        status,
        &FormPage {
            action,
            form,
            errors,
            kinds: DocKind::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), ctx.t(k.label_key()).to_string()))
                .collect(),
            industries: fanxing_core::analytics::INDUSTRIES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            tiers: Tier::ALL
                .iter()
                .map(|t| (t.as_str().to_string(), ctx.t(t.label_key()).to_string()))
                .collect(),
            competencies: competency_names(state, ctx).await,
            visibilities: Visibility::ALL
                .iter()
                .map(|v| (v.as_str().to_string(), ctx.t(v.label_key()).to_string()))
                .collect(),
            editing,
            ctx,
        },
    )
}

/// `GET /knowledge/new`.
pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let form = DocForm {
        kind: "case".into(),
        visibility: "public".into(),
        region: ctx
            .actor()?
            .user
            .region
            .map(|r| r.to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    form_page(
        &state,
        &ctx,
        "/knowledge/new".into(),
        form,
        FieldErrors::default(),
        false,
    )
    .await
}

/// `POST /knowledge/new`.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(pairs): CsrfForm,
) -> PageResult {
    let form = DocForm::from_pairs(&pairs);
    let actor = ctx.actor()?;
    match state
        .app
        .knowledge
        .create(actor, &form.input(), form.publish.is_some())
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/knowledge/{id}")).into_response()),
        Err(Error::Invalid(errors)) => {
            form_page(&state, &ctx, "/knowledge/new".into(), form, errors, false).await
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

/// `GET /knowledge/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id: DocumentId = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    actor.write_range()?;
    let doc = state.app.knowledge.document(Some(actor), id).await?;
    if !actor.office_range().is_some_and(|r| r.contains(doc.region)) {
        return Err(PageError::new(&ctx, Error::NotFound));
    }
    form_page(
        &state,
        &ctx,
        format!("/knowledge/{id}/edit"),
        DocForm::of(&doc),
        FieldErrors::default(),
        true,
    )
    .await
}

/// `POST /knowledge/{id}/edit`.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(pairs): CsrfForm,
) -> PageResult {
    let form = DocForm::from_pairs(&pairs);
    let id: DocumentId = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    match state.app.knowledge.update(actor, id, &form.input()).await {
        Ok(()) => Ok(Redirect::to(&format!("/knowledge/{id}")).into_response()),
        Err(Error::Invalid(errors)) => {
            form_page(
                &state,
                &ctx,
                format!("/knowledge/{id}/edit"),
                form,
                errors,
                true,
            )
            .await
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

/// `POST /knowledge/{id}/status`.
pub async fn set_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> PageResult {
    let id: DocumentId = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let status = DocStatus::parse(&form.status)
        .ok_or_else(|| PageError::new(&ctx, Error::field("status", "error.choice")))?;
    state.app.knowledge.set_status(actor, id, status).await?;
    Ok(Redirect::to(&format!("/knowledge/{id}")).into_response())
}
