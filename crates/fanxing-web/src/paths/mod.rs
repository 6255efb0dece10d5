//! Learning paths' routes: the trainee's path page and its card on the home
//! page, the office's gap page, and the JSON API; thin handlers over
//! [`fanxing_core::paths::service::PathService`].

use std::collections::HashMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use fanxing_core::analytics::Kpi;
use fanxing_core::numfmt;
use fanxing_core::paths::service::CompetencyImpact;
use fanxing_core::paths::{GapView, Reason, Recommendation};
use fanxing_core::people::Tier;
use fanxing_core::region::RegionCode;
use fanxing_core::training::CourseId;
use fanxing_core::{Error, Lang};

use crate::api::{body, path_id, ApiQuery, Caller};
use crate::error::ApiError;
use crate::AppState;

pub mod pages;

/// The routes this feature adds to the top router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/my/path", get(pages::my_path))
        .route("/paths", get(pages::gaps))
        .route("/courses/{id}/path", post(pages::set_course_rules))
        .route("/api/v1/me/path", get(my_path))
        .route("/api/v1/paths/gaps", get(gaps))
        .route(
            "/api/v1/courses/{id}/path",
            get(course_rules).put(set_course_rules),
        )
}

/// Competency names by code.
pub type Names = HashMap<String, (String, String)>;

fn competency_name(names: &Names, code: &str, lang: Lang) -> String {
    names
        .get(code)
        .map(|(zh, en)| match lang {
            Lang::Zh => zh.clone(),
            Lang::En => en.clone(),
        })
        .unwrap_or_else(|| code.to_string())
}

/// A reason in words.
pub fn reason_text(lang: Lang, names: &Names, r: &Reason) -> String {
    match r {
        Reason::Required { missing } => {
            lang.tf("paths.reason.required", &[("n", &missing.to_string())])
        }
        Reason::Gap {
            room,
            kpi,
            competency,
            percentile,
            level,
            peers,
        } => lang.tf(
            "paths.reason.gap",
            &[
                ("room", room),
                ("kpi", lang.t(kpi.label_key())),
                (
                    "share",
                    &format!("{:.0}%", (100.0 - percentile).clamp(0.0, 100.0)),
                ),
                ("peers", lang.t(level.label_key())),
                ("n", &numfmt::grouped(*peers as i64)),
                ("competency", &competency_name(names, competency, lang)),
            ],
        ),
        Reason::Improved { kpi, took, of } => lang.tf(
            "paths.reason.improved",
            &[
                ("kpi", lang.t(kpi.label_key())),
                ("took", &took.to_string()),
                ("of", &of.to_string()),
            ],
        ),
        Reason::Prerequisite { of_course } => {
            lang.tf("paths.reason.prerequisite", &[("course", of_course)])
        }
        Reason::CountsToward { sessions_missing } => lang.tf(
            "paths.reason.counts",
            &[("n", &sessions_missing.to_string())],
        ),
        Reason::Tier { tier } => {
            lang.tf("paths.reason.tier", &[("tier", lang.t(tier.label_key()))])
        }
    }
}

/// A recommendation with its reasons in words (the API's and the pages').
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    #[serde(flatten)]
    pub rec: Recommendation,
    /// The reasons in the caller's language, in the order of `reasons`.
    pub because: Vec<String>,
    /// The competencies' names.
    pub competency_names: Vec<String>,
}

pub fn explain(lang: Lang, names: &Names, recs: Vec<Recommendation>) -> Vec<Explained> {
    recs.into_iter()
        .map(|rec| Explained {
            because: rec
                .reasons
                .iter()
                .map(|r| reason_text(lang, names, r))
                .collect(),
            competency_names: rec
                .competencies
                .iter()
                .map(|c| competency_name(names, c, lang))
                .collect(),
            rec,
        })
        .collect()
}

#[derive(Serialize)]
struct PathOut {
    tier: Tier,
    progress: Option<fanxing_core::paths::TrackProgress>,
    recommendations: Vec<Explained>,
    window: Option<(i64, i64)>,
    gaps: Vec<fanxing_core::paths::recommend::LearnerGap>,
}

async fn my_path(State(s): State<AppState>, c: Caller) -> Result<Json<PathOut>, ApiError> {
    let p = s.app.paths.my_path(&c.actor).await?;
    let names = s.app.paths.competency_names().await?;
    Ok(Json(PathOut {
        tier: p.tier,
        progress: p.progress,
        recommendations: explain(c.lang, &names, p.recommendations),
        window: p.window,
        gaps: p.gaps,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct GapQuery {
    pub region: Option<String>,
}

/// The region asked for, or the field that is not understood.
pub fn region_param(raw: Option<&str>) -> Result<Option<RegionCode>, Error> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) => RegionCode::parse(r)
            .map(Some)
            .ok_or_else(|| Error::field("region", "error.region_unknown")),
    }
}

/// A KPI's change in its own unit: percentage points for rates, yuan for
/// money.
pub fn kpi_change(lang: Lang, kpi: Kpi, v: f64) -> String {
    match kpi {
        Kpi::Aov | Kpi::Gpm | Kpi::UvValue => format!("{v:+.2} {}", lang.t("paths.yuan")),
        Kpi::AvgWatchS => format!("{v:+.1} {}", lang.t("paths.seconds")),
        Kpi::Viewers => format!("{v:+.0}"),
        _ => format!("{:+.2} {}", v * 100.0, lang.t("paths.points")),
    }
}

/// One competency's impact in words.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactLine {
    pub competency: String,
    pub kpi: String,
    pub verdict: String,
    pub conclusive: bool,
    pub rooms: usize,
    pub treated: usize,
    pub controls: usize,
}

pub fn impact_lines(lang: Lang, names: &Names, v: &[CompetencyImpact]) -> Vec<ImpactLine> {
    v.iter()
        .map(|i| {
            let e = &i.estimate;
            let kpi = lang.t(i.kpi.label_key());
            let verdict = lang.tf(
                e.verdict.label_key(),
                &[
                    ("outcome", kpi),
                    ("att", &kpi_change(lang, i.kpi, e.att)),
                    ("level", &format!("{:.1}", (1.0 - e.alpha) * 100.0)),
                    (
                        "ci",
                        &format!(
                            "[{}, {}]",
                            kpi_change(lang, i.kpi, e.lo),
                            kpi_change(lang, i.kpi, e.hi)
                        ),
                    ),
                ],
            );
            ImpactLine {
                competency: competency_name(names, &i.competency, lang),
                kpi: kpi.to_string(),
                conclusive: matches!(
                    e.verdict,
                    fanxing_core::analytics::impact::Verdict::Positive
                        | fanxing_core::analytics::impact::Verdict::Negative
                ),
                verdict,
                rooms: i.rooms,
                treated: e.treated,
                controls: e.controls,
            }
        })
        .collect()
}

/// The impact per competency, for the programme office looking at its own
/// region (the province); `None` for everyone else.
pub async fn impact_for(
    s: &AppState,
    actor: &fanxing_core::auth::Actor,
    region: Option<RegionCode>,
) -> Result<Option<Arc<Vec<CompetencyImpact>>>, Error> {
    if !actor.role().is_programme_office() || region.is_some_and(|r| Some(r) != actor.user.region) {
        return Ok(None);
    }
    s.app.paths.competency_impact(actor).await.map(Some)
}

#[derive(Serialize)]
struct GapsOut {
    #[serde(flatten)]
    view: GapView,
    /// The programme office's view of its province only: did training work,
    /// per competency.
    #[serde(skip_serializing_if = "Option::is_none")]
    impact: Option<Vec<CompetencyImpact>>,
}

async fn gaps(
    State(s): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<GapQuery>,
) -> Result<Json<GapsOut>, ApiError> {
    let region = region_param(q.region.as_deref()).map_err(|e| c.err(e))?;
    let view = s.app.paths.gaps(&c.actor, region).await?;
    let impact = impact_for(&s, &c.actor, region)
        .await?
        .map(|v| v.as_ref().clone());
    Ok(Json(GapsOut { view, impact }))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CourseRules {
    /// Tiers whose track requires the course for its certificate.
    #[serde(default)]
    pub required_for: Vec<String>,
    /// Courses to attend before this one.
    #[serde(default)]
    pub prerequisites: Vec<CourseId>,
}

async fn course_rules(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<CourseRules>, ApiError> {
    let id: CourseId = path_id(&c, &id)?;
    s.app.curriculum.course(id).await?;
    let (tiers, firsts) = s.app.paths.course_rules(id).await?;
    Ok(Json(CourseRules {
        required_for: tiers.iter().map(|t| t.as_str().to_string()).collect(),
        prerequisites: firsts,
    }))
}

async fn set_course_rules(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    b: Result<Json<CourseRules>, JsonRejection>,
) -> Result<Json<CourseRules>, ApiError> {
    let id: CourseId = path_id(&c, &id)?;
    let input = body(&c, b)?;
    let mut tiers = Vec::new();
    for t in &input.required_for {
        tiers.push(
            Tier::parse_label(t)
                .ok_or_else(|| c.err(Error::field("required_for", "error.choice")))?,
        );
    }
    s.app
        .paths
        .set_course_rules(&c.actor, id, &tiers, &input.prerequisites)
        .await?;
    course_rules(State(s), c, Path(id.to_string())).await
}

pub(crate) fn openapi(doc: &mut serde_json::Value) {
    use crate::openapi::{op, q};
    use serde_json::json;
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let p = &mut doc["paths"];
    p["/api/v1/me/path"] = json!({"get": op(
        "The caller's learning path (trainees): progress on their track toward its certificate (sessions and required courses), and the next three to five courses, best first, each with its reasons (kind: required, gap — the room, KPI, percentile, peer group and size —, improved, prerequisite, counts_toward, tier) and those reasons in words (`because`), the nearest upcoming session they may register for and whether they are registered. Never a course attended or one their tier may not take. Gaps are read from the last three months of live data (`window`)",
        "paths", json!([]), None, "200")});
    p["/api/v1/paths/gaps"] = json!({"get": op(
        "For offices: their region's trainees' rooms with a weak KPI (bottom quarter of their peers) per competency and child region, the weakest rooms, and suggested sessions: course × region where trainees' gaps call for the course and no upcoming session of it is in their city. For the programme office's own province also `impact`: per competency, trainees' rooms with a gap on its KPI whose operators then took a course teaching it against rooms with the same gap whose operators did not, on that KPI week by week (the impact estimator, with its verdict: positive, negative, no detectable effect, too little data, pre-trends)",
        "paths", json!([q("region", "a region within the caller's (default: their own)")]), None, "200")});
    p["/api/v1/courses/{id}/path"] = json!({
        "get": op("A course's path rules: tiers whose track requires it, and its prerequisites",
            "paths", json!([id.clone()]), None, "200"),
        "put": op("Set a course's path rules (programme office). Required courses count for certificates from the next issue on; a prerequisite cycle, the course itself or a tier the course is not open to are refused naming the field",
            "paths", json!([id]), Some("CourseRules"), "200")});
    doc["components"]["schemas"]["CourseRules"] = json!({"type": "object", "properties": {
        "required_for": {"type": "array", "items": {"type": "string", "enum": ["cadre", "company_head", "operator"]}},
        "prerequisites": {"type": "array", "items": {"type": "integer"}}}});
}
