//! The compliance checker's page: paste a script or a title, see each hit
//! marked in the text with its explanation, basis and rewording; upload a
//! sheet of titles and download it annotated; offices also see what trips
//! their region's trainees.

use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;

use fanxing_core::compliance::service::Overview;
use fanxing_core::compliance::{Finding, Kind, Report};
use fanxing_core::{Error, FieldErrors};

use crate::ctx::{CsrfForm, Ctx};
use crate::error::PageError;
use crate::pages::{render_status, PageResult};
use crate::AppState;

/// A run of the checked text: plain, or the `n`th finding (1-based).
pub struct Segment {
    pub text: String,
    pub hit: Option<usize>,
    pub block: bool,
}

/// Cuts `text` into plain runs and findings (which never overlap).
pub fn segments(text: &str, findings: &[Finding]) -> Vec<Segment> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    for (i, f) in findings.iter().enumerate() {
        if f.start < at || f.end > chars.len() {
            continue;
        }
        if f.start > at {
            out.push(Segment {
                text: chars[at..f.start].iter().collect(),
                hit: None,
                block: false,
            });
        }
        out.push(Segment {
            text: chars[f.start..f.end].iter().collect(),
            hit: Some(i + 1),
            block: f.severity == fanxing_core::compliance::Severity::Block,
        });
        at = f.end;
    }
    if at < chars.len() {
        out.push(Segment {
            text: chars[at..].iter().collect(),
            hit: None,
            block: false,
        });
    }
    out
}

#[derive(Template)]
#[template(path = "compliance/compliance.html")]
struct Page<'a> {
    ctx: &'a Ctx,
    text: String,
    kind: Kind,
    kinds: Vec<(Kind, String)>,
    report: Option<Report>,
    segments: Vec<Segment>,
    errors: FieldErrors,
    overview: Option<Overview>,
    region_names: Vec<(u32, String)>,
    version: String,
}

impl Page<'_> {
    fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| e.message(self.ctx.lang))
    }
    fn count_line(&self, n: usize) -> String {
        self.ctx
            .t("compliance.result_count")
            .replace("{n}", &n.to_string())
    }
    fn version_line(&self) -> String {
        self.ctx
            .t("compliance.rules_version")
            .replace("{version}", &self.version)
    }
    fn stands_for(&self, f: &Finding) -> String {
        self.ctx
            .t("compliance.stands_for")
            .replace("{canonical}", &f.canonical)
    }
    fn hit_label(&self, n: &usize) -> String {
        self.ctx
            .t("compliance.see_hit")
            .replace("{n}", &n.to_string())
    }
    fn region_name(&self, code: &fanxing_core::region::RegionCode) -> String {
        self.region_names
            .iter()
            .find(|(c, _)| *c == code.value())
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| code.value().to_string())
    }
    fn overview_heading(&self, o: &Overview) -> String {
        self.ctx
            .t("compliance.overview_heading")
            .replace("{days}", &o.days.to_string())
    }
    fn overview_totals(&self, o: &Overview) -> String {
        self.ctx
            .t("compliance.overview_totals")
            .replace("{checks}", &o.totals.checks.to_string())
            .replace("{flagged}", &o.totals.flagged.to_string())
    }
}

async fn show(
    state: &AppState,
    ctx: &Ctx,
    text: String,
    kind: Kind,
    report: Option<Report>,
    errors: FieldErrors,
) -> PageResult {
    let actor = ctx.actor()?;
    let svc = &state.app.compliance;
    let matcher = svc.rules(actor)?;
    let (overview, region_names) = if actor.office_range().is_some() {
        let o = svc.overview(actor, 30).await?;
        let mut names = Vec::new();
        for (code, _, _) in &o.totals.per_region {
            if let Ok(r) = state.app.people.region(*code).await {
                names.push((code.value(), r.name));
            }
        }
        (Some(o), names)
    } else {
        (None, Vec::new())
    };
    let segments = report
        .as_ref()
        .map(|r| segments(&text, &r.findings))
        .unwrap_or_default();
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        ctx,
        status,
        &Page {
            ctx,
            text,
            kind,
            kinds: Kind::ALL
                .iter()
                .map(|k| (*k, ctx.t(k.label_key()).to_string()))
                .collect(),
            report,
            segments,
            errors,
            overview,
            region_names,
            version: matcher.version().to_string(),
        },
    )
}

/// `GET /compliance`.
pub async fn page(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    show(
        &state,
        &ctx,
        String::new(),
        Kind::Script,
        None,
        FieldErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    text: String,
    kind: Option<String>,
}

/// `POST /compliance`: the text checked and marked.
pub async fn check(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<CheckForm>,
) -> PageResult {
    let actor = ctx.actor()?;
    let kind = super::kind(form.kind.as_deref()).unwrap_or(Kind::Script);
    match state
        .app
        .compliance
        .check(actor, &form.text, kind, ctx.lang)
        .await
    {
        Ok(report) => {
            show(
                &state,
                &ctx,
                form.text,
                kind,
                Some(report),
                FieldErrors::default(),
            )
            .await
        }
        Err(Error::Invalid(errors)) => show(&state, &ctx, form.text, kind, None, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /compliance/titles`: a sheet of titles in, annotated out.
pub async fn titles(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let actor = ctx.actor()?;
    let up =
        crate::pages::read_upload_form(&ctx, form, "roster.bad_file", "roster.too_large").await?;
    ctx.check_csrf(&up.csrf)?;
    match state
        .app
        .compliance
        .annotate_titles(actor, &up.filename, &up.bytes, ctx.lang)
        .await
    {
        Ok(bytes) => {
            let stem = up
                .filename
                .rsplit_once('.')
                .map_or(up.filename.as_str(), |(s, _)| s);
            Ok(crate::download::download(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{stem}-{}.xlsx", ctx.t("compliance.titles_sheet")),
            )
            .into_response())
        }
        Err(Error::Invalid(errors)) => {
            show(&state, &ctx, String::new(), Kind::Title, None, errors).await
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fanxing_core::compliance::Matcher;
    use fanxing_core::Lang;

    #[test]
    fn segments_rebuild_the_text_and_mark_each_finding() {
        let text = "家人们，這是頂級的大閘蟹，全网最低价！";
        let r = Matcher::builtin().check(text, Kind::Script, Lang::Zh);
        let segs = segments(text, &r.findings);
        let back: String = segs.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(back, text);
        let marked: Vec<&str> = segs
            .iter()
            .filter(|s| s.hit.is_some())
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(marked, vec!["頂級", "全网最低价"]);
    }
}
