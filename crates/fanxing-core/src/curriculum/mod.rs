//! Curriculum: a track per tier, the competency framework, courses mapped
//! to competencies and tiers, and their materials (files, size-limited and
//! checked by their content, not their name).

pub mod service;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::error::{FieldError, FieldErrors};
use crate::people::{PersonId, Tier, UserId};
use crate::training::CourseId;
use crate::values::required_text;

/// Largest material file accepted.
pub const MATERIAL_MAX_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Track {
    pub id: i64,
    pub tier: Tier,
    pub name_zh: String,
    pub name_en: String,
    pub description: String,
    /// Sessions of the track a trainee attends to complete it.
    pub required_sessions: i64,
}

impl Track {
    pub fn name(&self, lang: impl std::borrow::Borrow<crate::Lang>) -> &str {
        match lang.borrow() {
            crate::Lang::Zh => &self.name_zh,
            crate::Lang::En => &self.name_en,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Competency {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub position: i64,
}

impl Competency {
    pub fn name(&self, lang: impl std::borrow::Borrow<crate::Lang>) -> &str {
        match lang.borrow() {
            crate::Lang::Zh => &self.name_zh,
            crate::Lang::En => &self.name_en,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Course {
    pub id: CourseId,
    pub title: String,
    pub summary: String,
    pub tiers: Vec<Tier>,
    pub duration_minutes: i64,
    pub lecturer_user_id: Option<UserId>,
    pub lecturer_name: Option<String>,
    /// The region of the office that created the course (`None`: the
    /// programme office's curriculum).
    pub owner_region: Option<crate::region::RegionCode>,
    pub competencies: Vec<Competency>,
}

/// A course as submitted.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CourseInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub tiers: Vec<String>,
    #[serde(default)]
    pub duration_minutes: i64,
    #[serde(default)]
    pub lecturer: Option<String>,
    #[serde(default)]
    pub competencies: Vec<String>,
}

/// A validated course (lecturer and competency codes still to be resolved).
#[derive(Debug, Clone, PartialEq)]
pub struct CourseDraft {
    pub title: String,
    pub summary: String,
    pub tiers: Vec<Tier>,
    pub duration_minutes: i64,
    pub lecturer: Option<String>,
    pub competencies: Vec<String>,
}

impl CourseInput {
    pub fn validate(&self) -> Result<CourseDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let title = required_text(&mut e, "title", &self.title, 100);
        let summary = crate::values::optional_multiline_text(
            &mut e,
            "summary",
            self.summary.as_deref(),
            2000,
        )
        .unwrap_or_default();
        let mut tiers = Vec::new();
        for t in &self.tiers {
            match Tier::parse_label(t) {
                Some(t) if !tiers.contains(&t) => tiers.push(t),
                Some(_) => {}
                None => e.push(FieldError::new("tiers", "error.choice")),
            }
        }
        if tiers.is_empty() && e.get("tiers").is_none() {
            e.push(FieldError::new("tiers", "error.required"));
        }
        if !(10..=60 * 24).contains(&self.duration_minutes) {
            e.push(FieldError::new("duration_minutes", "error.duration"));
        }
        let mut competencies: Vec<String> = self
            .competencies
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        competencies.sort();
        competencies.dedup();
        let lecturer = self
            .lecturer
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string);
        if e.is_empty() {
            Ok(CourseDraft {
                title,
                summary,
                tiers,
                duration_minutes: self.duration_minutes,
                lecturer,
                competencies,
            })
        } else {
            Err(e)
        }
    }
}

/// A stored material, without its bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Material {
    pub id: i64,
    pub course_id: CourseId,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_at: i64,
}

/// The file types accepted as course materials, recognised by content.
pub fn material_type(filename: &str, bytes: &[u8]) -> Result<&'static str, &'static str> {
    if bytes.is_empty() {
        return Err("material.empty");
    }
    if bytes.len() > MATERIAL_MAX_BYTES {
        return Err("material.too_large");
    }
    let lower = filename.to_ascii_lowercase();
    let ext = lower.rsplit('.').next().unwrap_or("");
    let t = if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"PK\x03\x04") {
        // Office files are zip packages; the name tells which.
        match ext {
            "pptx" => {
                Some("application/vnd.openxmlformats-officedocument.presentationml.presentation")
            }
            "docx" => {
                Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
            }
            "xlsx" => Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            _ => None,
        }
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() > 12 && &bytes[4..8] == b"ftyp" {
        Some("video/mp4")
    } else if matches!(ext, "txt" | "md") && !bytes.iter().take(8192).any(|b| *b == 0) {
        // Text has no signature: named so, and no NUL byte in its start.
        Some(if ext == "md" {
            "text/markdown"
        } else {
            "text/plain"
        })
    } else {
        None
    };
    t.ok_or("material.bad_type")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_input_validates() {
        let ok = CourseInput {
            title: "直播选品".into(),
            summary: None,
            tiers: vec!["运营人员".into(), "operator".into()],
            duration_minutes: 180,
            lecturer: Some(" lecturer ".into()),
            competencies: vec!["product_selection".into(), "".into()],
        };
        let d = ok.validate().unwrap();
        assert_eq!(d.tiers, vec![Tier::Operator]);
        assert_eq!(d.lecturer.as_deref(), Some("lecturer"));
        assert_eq!(d.competencies, vec!["product_selection"]);
        let bad = CourseInput {
            title: "".into(),
            duration_minutes: 5,
            ..Default::default()
        };
        let e = bad.validate().unwrap_err();
        assert!(
            e.get("title").is_some()
                && e.get("tiers").is_some()
                && e.get("duration_minutes").is_some()
        );
    }

    #[test]
    fn materials_are_recognised_by_content() {
        assert_eq!(
            material_type("讲义.pdf", b"%PDF-1.7 ..."),
            Ok("application/pdf")
        );
        assert!(material_type("slides.pptx", b"PK\x03\x04....")
            .unwrap()
            .contains("presentation"));
        assert_eq!(
            material_type("fake.pdf", b"MZ\x90\x00 an exe"),
            Err("material.bad_type")
        );
        assert_eq!(
            material_type("archive.zip", b"PK\x03\x04...."),
            Err("material.bad_type")
        );
        assert_eq!(material_type("x.pdf", b""), Err("material.empty"));
        let big = vec![b'%'; MATERIAL_MAX_BYTES + 1];
        assert_eq!(material_type("x.pdf", &big), Err("material.too_large"));
    }
}

/// A certificate as shown and printed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertificateView {
    pub number: String,
    pub person_id: PersonId,
    pub person_name: String,
    pub person_region: crate::region::RegionCode,
    pub tier: Tier,
    pub track_name_zh: String,
    pub track_name_en: String,
    pub programme_name: String,
    /// The programme's issuing authority (发证单位), as it stands now.
    pub issuer: String,
    pub issued_at: i64,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
}

impl CertificateView {
    /// The holder's name as the public verify page shows it: surname only.
    pub fn masked_name(&self) -> String {
        let mut chars = self.person_name.chars();
        match chars.next() {
            Some(first) => format!("{first}{}", "*".repeat(chars.count().max(1))),
            None => String::new(),
        }
    }

    pub fn track_name(&self, lang: impl std::borrow::Borrow<crate::Lang>) -> &str {
        match lang.borrow() {
            crate::Lang::Zh => &self.track_name_zh,
            crate::Lang::En => &self.track_name_en,
        }
    }
}

/// Certificate numbers: `FX` + year + 8 characters from an alphabet without
/// look-alikes, random so that numbers cannot be enumerated.
pub fn new_certificate_number(year: i32) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let bytes = crate::security::random_bytes::<8>();
    let tail: String = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    format!("FX{year}-{tail}")
}

/// Whether `s` has the shape of a certificate number (checked before any lookup).
pub fn is_certificate_number(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 15
        && s.starts_with("FX")
        && b[2..6].iter().all(u8::is_ascii_digit)
        && b[6] == b'-'
        && b[7..]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

#[cfg(test)]
mod certificate_tests {
    use super::*;

    #[test]
    fn numbers_are_well_formed_and_random() {
        let a = new_certificate_number(2026);
        assert!(is_certificate_number(&a), "{a}");
        assert_ne!(a, new_certificate_number(2026));
        assert!(!is_certificate_number("FX2026-1234"));
        assert!(!is_certificate_number("<script>alert(1)"));
    }
}
