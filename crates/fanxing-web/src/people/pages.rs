//! People and organisations: lists, records, the audited reveal and the forms.

use crate::ctx::{CsrfForm, Ctx};
use crate::error::urlencode;
use crate::pages::*;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use fanxing_core::auth::Actor;
use fanxing_core::people::service::{OrgFilter, PeopleFilter, Revealed};
use fanxing_core::people::{OrgInput, OrgKind, Organisation, Person, PersonInput, Tier};
use fanxing_core::region::RegionCode;
use fanxing_core::store::Page;
use fanxing_core::{Error, FieldErrors};
use serde::Deserialize;

// ---- People --------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    region: Option<String>,
    tier: Option<String>,
    kind: Option<String>,
    org: Option<String>,
    page: Option<String>,
}

impl ListQuery {
    fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
            .max(1)
    }

    fn region(&self) -> Result<Option<RegionCode>, Error> {
        fanxing_core::region::region_filter(self.region.as_deref())
    }

    /// The query string for page `n`, keeping every filter.
    fn href(&self, base: &str, n: i64) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("region", &self.region),
            ("tier", &self.tier),
            ("kind", &self.kind),
            ("org", &self.org),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", urlencode(v)));
            }
        }
        parts.push(format!("page={n}"));
        format!("{base}?{}", parts.join("&"))
    }
}
fn pager<T>(q: &ListQuery, base: &str, page: &Page<T>) -> Pager {
    let per = page.limit.max(1);
    let pages = ((page.total + per - 1) / per).max(1);
    let n = q.page();
    Pager {
        page: n,
        pages,
        prev: (n > 1).then(|| q.href(base, n - 1)),
        next: (n < pages).then(|| q.href(base, n + 1)),
    }
}

#[derive(Template)]
#[template(path = "people/people.html")]
struct PeoplePage<'a> {
    ctx: &'a Ctx,
    q: String,
    region: String,
    tier: String,
    org: String,
    regions: Vec<Choice>,
    tiers: Vec<Choice>,
    people: Page<Person>,
    pager: Pager,
    count: String,
    can_create: bool,
}

pub async fn people(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let actor = ctx.actor()?;
    let filter = PeopleFilter {
        text: q.q.clone(),
        region: q.region()?,
        tier: q.tier.as_deref().and_then(Tier::parse),
        org_id: q.org.as_deref().and_then(|o| o.parse().ok()),
        page: q.page(),
        per_page: 50,
    };
    let people = state.app.people.list_people(actor, &filter).await?;
    let regions = state.app.people.regions_in_scope(actor).await?;
    let pager = pager(&q, "/people", &people);
    let count = ctx.tf("people.count", &[("n", &people.total.to_string())]);
    render(
        &ctx,
        &PeoplePage {
            ctx: &ctx,
            q: q.q.clone().unwrap_or_default(),
            region: q.region.clone().unwrap_or_default(),
            tier: q.tier.clone().unwrap_or_default(),
            org: q.org.clone().unwrap_or_default(),
            regions: region_choices(&regions),
            tiers: tier_choices(ctx.lang),
            people,
            pager,
            count,
            can_create: actor.write_range().is_ok(),
        },
    )
}

#[derive(Template)]
#[template(path = "people/person.html")]
struct PersonPage<'a> {
    ctx: &'a Ctx,
    person: Person,
    revealed: Option<Revealed>,
    can_edit: bool,
    can_reveal: bool,
    /// Whether the organisation's name links to its page for the caller.
    org_link: bool,
}

pub async fn person(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    person_page(&state, &ctx, &id, false).await
}

/// The person's page with the full numbers: a POST (with the CSRF token),
/// so that a link, a prefetch or a crawler never triggers the audited read,
/// and the answer is never cached.
pub async fn reveal_person(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    person_page(&state, &ctx, &id, true).await
}

async fn person_page(state: &AppState, ctx: &Ctx, id: &str, reveal: bool) -> PageResult {
    let id = path_id(ctx, id)?;
    let actor = ctx.actor()?;
    let person = state.app.people.person(actor, id).await?;
    let revealed = if reveal {
        Some(state.app.people.reveal_person(actor, id).await?)
    } else {
        None
    };
    render(
        ctx,
        &PersonPage {
            ctx,
            revealed,
            can_edit: actor.write_range().is_ok(),
            can_reveal: actor.may_reveal_personal_numbers(),
            org_link: person.org_id.is_some_and(|o| actor.may_open_org(o, None)),
            person,
        },
    )
}

#[derive(Template)]
#[template(path = "people/person_form.html")]
struct PersonFormPage<'a> {
    ctx: &'a Ctx,
    action: String,
    title: &'a str,
    v: PersonInput,
    /// On edit: the masked numbers on record (the full ones are never
    /// sent to a form; an empty field keeps them).
    mobile_masked: Option<String>,
    id_masked: Option<String>,
    errors: FieldErrors,
    regions: Vec<Choice>,
    tiers: Vec<Choice>,
}

impl PersonFormPage<'_> {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| e.message(self.ctx.lang))
    }

    fn org_value(&self) -> String {
        self.v.org_id.clone().unwrap_or_default()
    }

    fn id_value(&self) -> String {
        self.v.id_number.clone().unwrap_or_default()
    }
}

/// Where a form posts and what it is called.
struct FormMeta {
    action: String,
    title_key: &'static str,
}

fn meta(action: impl Into<String>, title_key: &'static str) -> FormMeta {
    FormMeta {
        action: action.into(),
        title_key,
    }
}

async fn person_form(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    m: FormMeta,
    v: PersonInput,
    masked: (Option<String>, Option<String>),
    errors: FieldErrors,
) -> PageResult {
    let regions = state.app.people.regions_in_scope(actor).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        ctx,
        status,
        &PersonFormPage {
            ctx,
            action: m.action,
            title: ctx.t(m.title_key),
            v,
            mobile_masked: masked.0,
            id_masked: masked.1,
            errors,
            regions: region_choices(&regions),
            tiers: tier_choices(ctx.lang),
        },
    )
}

fn person_input(form: &[(String, String)]) -> PersonInput {
    PersonInput {
        name: field(form, "name"),
        mobile: field(form, "mobile"),
        id_number: opt_field(form, "id_number"),
        tier: field(form, "tier"),
        org_id: opt_field(form, "org_id"),
        region: field(form, "region"),
    }
}

pub async fn new_person(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    actor.write_range()?;
    let v = PersonInput {
        region: actor.user.region.map(|r| r.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    person_form(
        &state,
        &ctx,
        actor,
        meta("/people", "people.new"),
        v,
        (None, None),
        FieldErrors::default(),
    )
    .await
}

pub async fn create_person(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let actor = ctx.actor()?;
    let input = person_input(&form);
    let saved = state.app.people.create_person(actor, &input).await;
    saved_or_form(
        &ctx,
        saved,
        |p| format!("/people/{}", p.id),
        |errors| {
            person_form(
                &state,
                &ctx,
                actor,
                meta("/people", "people.new"),
                input,
                (None, None),
                errors,
            )
        },
    )
    .await
}

pub async fn edit_person(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    actor.write_range()?;
    let p = state.app.people.person(actor, id).await?;
    let v = PersonInput {
        name: p.name,
        mobile: String::new(),
        id_number: None,
        tier: p.tier.as_str().into(),
        org_id: p.org_id.map(|o| o.to_string()),
        region: p.region.to_string(),
    };
    person_form(
        &state,
        &ctx,
        actor,
        meta(format!("/people/{id}"), "people.edit"),
        v,
        (Some(p.mobile), p.id_number_masked),
        FieldErrors::default(),
    )
    .await
}

pub async fn update_person(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let input = person_input(&form);
    let saved = state.app.people.update_person(actor, id, &input).await;
    saved_or_form(
        &ctx,
        saved,
        |p| format!("/people/{}", p.id),
        |errors| {
            person_form(
                &state,
                &ctx,
                actor,
                meta(format!("/people/{id}"), "people.edit"),
                input,
                (None, None),
                errors,
            )
        },
    )
    .await
}

// ---- Organisations -------------------------------------------------------

#[derive(Template)]
#[template(path = "people/orgs.html")]
struct OrgsPage<'a> {
    ctx: &'a Ctx,
    q: String,
    region: String,
    kind: String,
    regions: Vec<Choice>,
    kinds: Vec<Choice>,
    orgs: Page<Organisation>,
    pager: Pager,
    count: String,
    can_create: bool,
}

pub async fn orgs(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let actor = ctx.actor()?;
    let filter = OrgFilter {
        text: q.q.clone(),
        region: q.region()?,
        kind: q.kind.as_deref().and_then(OrgKind::parse),
        page: q.page(),
        per_page: 50,
    };
    let orgs = state.app.people.list_orgs(actor, &filter).await?;
    let regions = if actor.write_range().is_ok() {
        state.app.people.regions_in_scope(actor).await?
    } else {
        Vec::new()
    };
    let pager = pager(&q, "/orgs", &orgs);
    let count = ctx.tf("orgs.count", &[("n", &orgs.total.to_string())]);
    render(
        &ctx,
        &OrgsPage {
            ctx: &ctx,
            q: q.q.clone().unwrap_or_default(),
            region: q.region.clone().unwrap_or_default(),
            kind: q.kind.clone().unwrap_or_default(),
            regions: region_choices(&regions),
            kinds: kind_choices(ctx.lang),
            orgs,
            pager,
            count,
            can_create: actor.write_range().is_ok(),
        },
    )
}

#[derive(Template)]
#[template(path = "people/org.html")]
struct OrgPage<'a> {
    ctx: &'a Ctx,
    org: Organisation,
    can_edit: bool,
    can_list_people: bool,
}

pub async fn org(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let org = state.app.people.org(actor, id).await?;
    render(
        &ctx,
        &OrgPage {
            ctx: &ctx,
            org,
            can_edit: actor.write_range().is_ok(),
            can_list_people: actor.can_list_people(),
        },
    )
}

#[derive(Template)]
#[template(path = "people/org_form.html")]
struct OrgFormPage<'a> {
    ctx: &'a Ctx,
    action: String,
    title: &'a str,
    v: OrgInput,
    errors: FieldErrors,
    regions: Vec<Choice>,
    kinds: Vec<Choice>,
    bands: Vec<Choice>,
}

impl OrgFormPage<'_> {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| e.message(self.ctx.lang))
    }

    fn industry(&self) -> String {
        self.v.industry.clone().unwrap_or_default()
    }

    fn band(&self) -> String {
        self.v.sales_band.clone().unwrap_or_default()
    }

    fn credit_code(&self) -> String {
        self.v.credit_code.clone().unwrap_or_default()
    }
}

async fn org_form(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    m: FormMeta,
    v: OrgInput,
    errors: FieldErrors,
) -> PageResult {
    let regions = state.app.people.regions_in_scope(actor).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        ctx,
        status,
        &OrgFormPage {
            ctx,
            action: m.action,
            title: ctx.t(m.title_key),
            v,
            errors,
            regions: region_choices(&regions),
            kinds: kind_choices(ctx.lang),
            bands: band_choices(ctx.lang),
        },
    )
}

fn org_input(form: &[(String, String)]) -> OrgInput {
    OrgInput {
        name: field(form, "name"),
        kind: field(form, "kind"),
        industry: opt_field(form, "industry"),
        sales_band: opt_field(form, "sales_band"),
        credit_code: opt_field(form, "credit_code"),
        region: field(form, "region"),
    }
}

pub async fn new_org(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.actor()?;
    actor.write_range()?;
    let v = OrgInput {
        region: actor.user.region.map(|r| r.to_string()).unwrap_or_default(),
        kind: "enterprise".into(),
        ..Default::default()
    };
    org_form(
        &state,
        &ctx,
        actor,
        meta("/orgs", "orgs.new"),
        v,
        FieldErrors::default(),
    )
    .await
}

pub async fn create_org(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let actor = ctx.actor()?;
    let input = org_input(&form);
    let saved = state.app.people.create_org(actor, &input).await;
    saved_or_form(
        &ctx,
        saved,
        |o| format!("/orgs/{}", o.id),
        |errors| {
            org_form(
                &state,
                &ctx,
                actor,
                meta("/orgs", "orgs.new"),
                input,
                errors,
            )
        },
    )
    .await
}

pub async fn edit_org(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    actor.write_range()?;
    let o = state.app.people.org(actor, id).await?;
    let v = OrgInput {
        name: o.name,
        kind: o.kind.as_str().into(),
        industry: o.industry,
        sales_band: o.sales_band.map(|b| b.as_str().into()),
        credit_code: o.credit_code,
        region: o.region.to_string(),
    };
    org_form(
        &state,
        &ctx,
        actor,
        meta(format!("/orgs/{id}"), "orgs.edit"),
        v,
        FieldErrors::default(),
    )
    .await
}

pub async fn update_org(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let id = path_id(&ctx, &id)?;
    let actor = ctx.actor()?;
    let input = org_input(&form);
    let saved = state.app.people.update_org(actor, id, &input).await;
    saved_or_form(
        &ctx,
        saved,
        |o| format!("/orgs/{}", o.id),
        |errors| {
            org_form(
                &state,
                &ctx,
                actor,
                meta(format!("/orgs/{id}"), "orgs.edit"),
                input,
                errors,
            )
        },
    )
    .await
}
