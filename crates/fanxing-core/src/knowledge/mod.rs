//! The knowledge library (案例库与资料检索): cases, course materials,
//! policies and questions with answers, searchable in Chinese.
//!
//! The SQL store is the source of truth ([`store::KnowledgeStore`]); every
//! change is logged with a sequence number, and each server keeps a search
//! index ([`search::SearchIndex`], implemented with tantivy in
//! `fanxing-search`) that catches up from that log. [`service`] decides
//! who may write, publish and read: a document a caller may not read never
//! reaches them, not even as a count, because the reader's scope is part of
//! every search.

pub mod extract;
pub mod i18n;
pub mod search;
pub mod service;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::people::{OrgId, Tier, UserId};
use crate::region::RegionCode;

id_type! {
    /// A document of the knowledge library.
    DocumentId
}

choice_enum! {
    /// What a document is.
    DocKind {
        Case = "case" => "knowledge.kind.case",
        Material = "material" => "knowledge.kind.material",
        Policy = "policy" => "knowledge.kind.policy",
        Qa = "qa" => "knowledge.kind.qa",
    }
}

choice_enum! {
    /// Who may read a published document: anyone, the programme's people
    /// (trainees, lecturers, partners) in its region, or offices over it.
    Visibility {
        Public = "public" => "knowledge.vis.public",
        Trainees = "trainees" => "knowledge.vis.trainees",
        Offices = "offices" => "knowledge.vis.offices",
    }
}

choice_enum! {
    /// Where a document is in its life: only published ones are searched.
    DocStatus {
        Draft = "draft" => "knowledge.status.draft",
        Published = "published" => "knowledge.status.published",
        Withdrawn = "withdrawn" => "knowledge.status.withdrawn",
    }
}

/// The most characters a document's body may hold (about a 300-page book).
pub const MAX_BODY_CHARS: usize = 500_000;
/// The most characters of a title.
pub const MAX_TITLE_CHARS: usize = 120;
/// The most characters of a summary.
pub const MAX_SUMMARY_CHARS: usize = 1_000;
/// The most tags.
pub const MAX_TAGS: usize = 12;

/// Kind-specific facts, stored as one JSON object; fields a kind does not
/// use stay empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    /// Case: the enterprise the story is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<String>,
    /// Case: where it sells (douyin, kuaishou, channels, taobao, other).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Case: S1, S2 or S3 by annual sales.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Case: figures before and after, by name (monthly_gmv_yuan, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Map<String, serde_json::Value>>,
    /// Policy: who issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Policy: its document number, such as 苏商电〔2024〕12号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    /// Policy: issued on (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<String>,
    /// Policy: valid until (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// Policy: who it pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiaries: Option<String>,
    /// Policy: how much.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// Material: the course it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course: Option<String>,
    /// Material: the file's format (pdf, pptx, docx, xlsx, txt, md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Material: which lecture of the course.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lecture: Option<u32>,
    /// Material: the uploaded file the text came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material: Option<i64>,
}

/// A document as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub id: DocumentId,
    pub kind: DocKind,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub industry: Option<String>,
    pub region: RegionCode,
    pub tiers: Vec<Tier>,
    pub competencies: Vec<String>,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub status: DocStatus,
    /// Written for the demo: an invented example, labelled as such.
    pub example: bool,
    pub details: Details,
    pub owner_org: Option<OrgId>,
    pub created_by: Option<UserId>,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

/// What an office writes; validated by [`DocumentInput::validate`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DocumentInput {
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub industry: Option<String>,
    /// A region code; none means the writer's own region.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub tiers: Vec<String>,
    #[serde(default)]
    pub competencies: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub visibility: String,
    #[serde(default)]
    pub example: bool,
    #[serde(default)]
    pub details: Details,
}

/// A validated document, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentDraft {
    pub kind: DocKind,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub industry: Option<String>,
    pub region: Option<RegionCode>,
    pub tiers: Vec<Tier>,
    pub competencies: Vec<String>,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub example: bool,
    pub details: Details,
}

fn trimmed(s: &str) -> String {
    s.trim().to_string()
}

fn too_long(errors: &mut FieldErrors, field: &'static str, s: &str, max: usize) {
    let n = s.chars().count();
    if n > max {
        errors.push(
            FieldError::new(field, "knowledge.too_long")
                .with("max", max)
                .with("n", n),
        );
    }
}

/// A `YYYY-MM-DD` calendar date, as midnight Beijing time.
fn date(s: &str) -> Option<i64> {
    (s.len() == 10)
        .then(|| crate::training::parse_date(s))
        .flatten()
}

impl DocumentInput {
    /// Checks every field against the rules of its kind; `competencies`
    /// are the known competency codes.
    pub fn validate(&self, competencies: &[String]) -> Result<DocumentDraft> {
        let mut errors = FieldErrors::default();
        let kind = DocKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new("kind", "error.choice"));
        }
        let title = trimmed(&self.title);
        if title.is_empty() {
            errors.push(FieldError::new("title", "error.required"));
        }
        too_long(&mut errors, "title", &title, MAX_TITLE_CHARS);
        let summary = trimmed(&self.summary);
        too_long(&mut errors, "summary", &summary, MAX_SUMMARY_CHARS);
        let body = self.body.trim().replace("\r\n", "\n");
        if body.is_empty() {
            errors.push(FieldError::new("body", "error.required"));
        }
        too_long(&mut errors, "body", &body, MAX_BODY_CHARS);
        let industry = self
            .industry
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if let Some(i) = industry {
            if !crate::analytics::INDUSTRIES.contains(&i) {
                errors.push(FieldError::new("industry", "error.choice"));
            }
        }
        let region = match self.region.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => match RegionCode::parse(r) {
                Some(c) => Some(c),
                None => {
                    errors.push(FieldError::new("region", "error.region_unknown"));
                    None
                }
            },
        };
        let mut tiers = Vec::new();
        for t in self
            .tiers
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            match Tier::parse(t) {
                Some(t) if !tiers.contains(&t) => tiers.push(t),
                Some(_) => {}
                None => errors.push(FieldError::new("tiers", "error.choice")),
            }
        }
        let mut comps: Vec<String> = Vec::new();
        for c in self
            .competencies
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
        {
            if !competencies.iter().any(|k| k == c) {
                errors.push(FieldError::new("competencies", "error.choice"));
            } else if !comps.iter().any(|k| k == c) {
                comps.push(c.to_string());
            }
        }
        let mut tags: Vec<String> = Vec::new();
        for t in self.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            too_long(&mut errors, "tags", t, 20);
            if !tags.iter().any(|k| k == t) {
                tags.push(t.to_string());
            }
        }
        if tags.len() > MAX_TAGS {
            errors.push(FieldError::new("tags", "knowledge.too_many_tags").with("max", MAX_TAGS));
        }
        let visibility = match self.visibility.trim() {
            "" => Some(Visibility::Public),
            v => Visibility::parse(v),
        };
        if visibility.is_none() {
            errors.push(FieldError::new("visibility", "error.choice"));
        }
        let d = &self.details;
        for (field, value) in [
            ("details.issued_on", &d.issued_on),
            ("details.valid_until", &d.valid_until),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                if date(v.trim()).is_none() {
                    errors.push(FieldError::new(field, "error.date"));
                }
            }
        }
        if let (Some(a), Some(b)) = (&d.issued_on, &d.valid_until) {
            if let (Some(a), Some(b)) = (date(a.trim()), date(b.trim())) {
                if b < a {
                    errors.push(FieldError::new(
                        "details.valid_until",
                        "knowledge.ends_before",
                    ));
                }
            }
        }
        if let Some(p) = d.platform.as_deref() {
            if crate::analytics::Platform::parse(p).is_none() {
                errors.push(FieldError::new("details.platform", "error.choice"));
            }
        }
        if let Some(s) = d.stage.as_deref() {
            if crate::matching::Stage::parse(&s.to_ascii_lowercase()).is_none() {
                errors.push(FieldError::new("details.stage", "error.choice"));
            }
        }
        for v in [
            &d.enterprise,
            &d.issuer,
            &d.doc_number,
            &d.beneficiaries,
            &d.amount,
            &d.course,
            &d.format,
        ]
        .into_iter()
        .flatten()
        {
            too_long(&mut errors, "details", v, 200);
        }
        errors.into_result()?;
        let (Some(kind), Some(visibility)) = (kind, visibility) else {
            return Err(Error::field("kind", "error.choice"));
        };
        Ok(DocumentDraft {
            kind,
            title,
            summary,
            body,
            industry: industry.map(str::to_string),
            region,
            tiers,
            competencies: comps,
            tags,
            visibility,
            example: self.example,
            details: self.details.clone(),
        })
    }
}

/// The regions above and including `code`: province, city, county (each
/// once), widest first.
pub fn region_line(code: RegionCode) -> Vec<RegionCode> {
    let v = code.value();
    let mut out = Vec::with_capacity(3);
    for c in [v / 10_000 * 10_000, v / 100 * 100, v] {
        if let Some(r) = RegionCode::from_value(c) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> DocumentInput {
        DocumentInput {
            kind: "case".into(),
            title: " 沭阳花木直播 ".into(),
            body: "正文".into(),
            industry: Some("农产品".into()),
            region: Some("321322".into()),
            tiers: vec!["operator".into(), "operator".into()],
            competencies: vec!["product_selection".into()],
            tags: vec!["助农".into(), "助农".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_input_is_cleaned() {
        let d = input().validate(&["product_selection".into()]).unwrap();
        assert_eq!(d.title, "沭阳花木直播");
        assert_eq!(d.tiers, vec![Tier::Operator]);
        assert_eq!(d.tags, vec!["助农"]);
        assert_eq!(d.visibility, Visibility::Public);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut i = input();
        i.kind = "novel".into();
        i.title = "".into();
        i.industry = Some("火箭".into());
        i.region = Some("99".into());
        i.competencies = vec!["juggling".into()];
        i.visibility = "secret".into();
        i.details.issued_on = Some("2024-13-01".into());
        i.details.platform = Some("myspace".into());
        let Err(Error::Invalid(e)) = i.validate(&["product_selection".into()]) else {
            panic!("accepted");
        };
        for f in [
            "kind",
            "title",
            "industry",
            "region",
            "competencies",
            "visibility",
            "details.issued_on",
            "details.platform",
        ] {
            assert!(e.get(f).is_some(), "{f} not named: {e:?}");
        }
    }

    #[test]
    fn policy_dates_are_calendar_dates_in_order() {
        let known = ["product_selection".to_string()];
        let mut i = input();
        i.details.issued_on = Some("2024-02-30".into());
        let Err(Error::Invalid(e)) = i.validate(&known) else {
            panic!("accepted 30 February");
        };
        assert!(e.get("details.issued_on").is_some());
        i.details.issued_on = Some("2024-03-01".into());
        i.details.valid_until = Some("2024-02-29".into());
        let Err(Error::Invalid(e)) = i.validate(&known) else {
            panic!("accepted an end before the start");
        };
        assert!(e.get("details.valid_until").is_some());
        i.details.valid_until = Some("2025-12-31".into());
        assert!(i.validate(&known).is_ok());
    }

    #[test]
    fn region_line_runs_from_the_province_down() {
        let v = |c: u32| RegionCode::from_value(c).unwrap();
        assert_eq!(
            region_line(v(321322)),
            vec![v(320000), v(321300), v(321322)]
        );
        assert_eq!(region_line(v(320000)), vec![v(320000)]);
    }
}
