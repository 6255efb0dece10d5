//! Curriculum use cases on [`CurriculumService`]: tracks, the competency framework,
//! courses and their materials.

use std::sync::Arc;

use crate::audit::Audit;
use crate::auth::Actor;
use crate::curriculum::store::CurriculumStore;
use crate::curriculum::{material_type, Competency, Course, CourseInput, Material, Track};
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::now;
use crate::people::store::AccountStore;
use crate::people::Tier;
use crate::training::CourseId;

/// Tracks, competencies, courses, materials and certificates. Cheap to clone.
#[derive(Clone)]
pub struct CurriculumService {
    store: Arc<dyn CurriculumStore>,
    accounts: Arc<dyn AccountStore>,
    audit: Audit,
}

impl CurriculumService {
    pub fn new(
        store: Arc<dyn CurriculumStore>,
        accounts: Arc<dyn AccountStore>,
        audit: Audit,
    ) -> CurriculumService {
        CurriculumService {
            store,
            accounts,
            audit,
        }
    }
}

impl CurriculumService {
    pub async fn tracks(&self) -> Result<Vec<Track>> {
        self.store.list_tracks().await
    }

    pub async fn competencies(&self) -> Result<Vec<Competency>> {
        self.store.list_competencies().await
    }

    /// Adds a competency to the framework (programme office only).
    pub async fn add_competency(
        &self,
        actor: &Actor,
        code: &str,
        name_zh: &str,
        name_en: &str,
    ) -> Result<Competency> {
        if !actor.role().is_programme_office() {
            return Err(Error::Forbidden);
        }
        let mut e = FieldErrors::default();
        let code = code.trim().to_ascii_lowercase();
        if code.is_empty()
            || code.len() > 40
            || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            e.push(FieldError::new("code", "error.code"));
        }
        let zh = crate::values::required_text(&mut e, "name_zh", name_zh, 50);
        let en = crate::values::required_text(&mut e, "name_en", name_en, 80);
        e.into_result()?;
        let id = self.store.insert_competency(&code, &zh, &en).await?;
        self.audit
            .record(
                actor,
                "competency.create",
                &format!("competency:{id}"),
                &code,
            )
            .await?;
        self.competencies()
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(Error::NotFound)
    }

    pub async fn rename_competency(
        &self,
        actor: &Actor,
        id: i64,
        name_zh: &str,
        name_en: &str,
    ) -> Result<()> {
        if !actor.role().is_programme_office() {
            return Err(Error::Forbidden);
        }
        let mut e = FieldErrors::default();
        let zh = crate::values::required_text(&mut e, "name_zh", name_zh, 50);
        let en = crate::values::required_text(&mut e, "name_en", name_en, 80);
        e.into_result()?;
        if !self.store.rename_competency(id, &zh, &en).await? {
            return Err(Error::NotFound);
        }
        self.audit
            .record(actor, "competency.rename", &format!("competency:{id}"), "")
            .await
    }

    pub async fn courses(&self, tier: Option<Tier>) -> Result<Vec<Course>> {
        self.store.list_courses(tier).await
    }

    pub async fn course(&self, id: CourseId) -> Result<Course> {
        self.store.get_course(id).await?.ok_or(Error::NotFound)
    }

    /// Creates a course (offices). The lecturer is named by username and
    /// must be a lecturer account; competencies by their codes.
    pub async fn create_course(&self, actor: &Actor, input: &CourseInput) -> Result<Course> {
        actor.write_range()?;
        let draft = input.validate().map_err(Error::Invalid)?;
        let lecturer = match &draft.lecturer {
            None => None,
            Some(name) => match self.accounts.find_user_by_username(name).await? {
                Some(u) if u.role.is_lecturer() => Some(u.id),
                _ => return Err(Error::field("lecturer", "error.lecturer_unknown")),
            },
        };
        let all = self.competencies().await?;
        let mut ids = Vec::new();
        for code in &draft.competencies {
            match all
                .iter()
                .find(|c| &c.code == code || c.id.to_string() == *code)
            {
                Some(c) => ids.push(c.id),
                None => return Err(Error::field("competencies", "error.choice")),
            }
        }
        let id = self
            .store
            .insert_course(&draft, lecturer, owner_region(actor), &ids, now())
            .await?;
        self.audit
            .record(actor, "course.create", &format!("course:{id}"), "")
            .await?;
        self.course(id).await
    }

    /// Whether the caller may add materials to a course: offices, and the
    /// course's own lecturer.
    /// Who may add materials to a course: the office that owns it and the
    /// offices above it (the programme office for courses without an
    /// owner), and the course's lecturer.
    pub async fn can_edit_course(&self, actor: &Actor, course: &Course) -> bool {
        actor.may_edit_course(course.lecturer_user_id, course.owner_region)
    }

    pub async fn add_material(
        &self,
        actor: &Actor,
        course: CourseId,
        filename: &str,
        bytes: &[u8],
    ) -> Result<Material> {
        let c = self.course(course).await?;
        if !self.can_edit_course(actor, &c).await {
            return Err(Error::Forbidden);
        }
        let name: String = filename
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("")
            .chars()
            .filter(|ch| !ch.is_control())
            .take(120)
            .collect();
        if name.trim().is_empty() {
            return Err(Error::field("file", "error.required"));
        }
        let ctype = material_type(&name, bytes).map_err(|k| Error::field("file", k))?;
        let id = self
            .store
            .insert_material(course, &name, ctype, bytes, Some(actor.user.id), now())
            .await?;
        self.audit
            .record(actor, "material.upload", &format!("material:{id}"), &name)
            .await?;
        self.store
            .list_materials(course)
            .await?
            .into_iter()
            .find(|m| m.id == id)
            .ok_or(Error::NotFound)
    }

    pub async fn materials(&self, course: CourseId) -> Result<Vec<Material>> {
        self.store.list_materials(course).await
    }

    pub async fn material(&self, id: i64) -> Result<(Material, Vec<u8>)> {
        self.store.get_material(id).await?.ok_or(Error::NotFound)
    }
}

// ---- Certificates -------------------------------------------------------------

use crate::curriculum::{is_certificate_number, new_certificate_number, CertificateView};

/// The most certificates one zip download holds.
pub const MAX_CERTIFICATES_PER_ZIP: i64 = 3_000;

impl CurriculumService {
    /// Issues a certificate to everyone who has completed a track of the
    /// programme (its required number of attended sessions of the track's
    /// tier) and has none yet. Returns how many were issued.
    pub async fn issue_certificates(
        &self,
        programme: crate::training::ProgrammeId,
    ) -> Result<usize> {
        let year = time::OffsetDateTime::from_unix_timestamp(now())
            .map(|t| t.year())
            .unwrap_or(2026);
        let mut rows = Vec::new();
        for t in self.tracks().await? {
            for person in self
                .store
                .qualifying_people(programme, t.id, t.tier, t.required_sessions)
                .await?
            {
                rows.push((new_certificate_number(year), person, t.id, programme));
            }
        }
        self.store.insert_certificates(&rows, now()).await
    }

    /// A certificate for the public verify page; `None` when the number is
    /// malformed or unknown (the page says so, and nothing else).
    /// A certificate by its number as a person types it: spaces around it
    /// and lower-case letters are accepted (numbers are upper-case).
    pub async fn verify_certificate(&self, number: &str) -> Result<Option<CertificateView>> {
        let number = number.trim().to_ascii_uppercase();
        if !is_certificate_number(&number) {
            return Ok(None);
        }
        self.store.get_certificate(&number).await
    }

    /// A certificate its holder, or an office whose scope holds the holder, may use.
    pub async fn certificate(&self, actor: &Actor, number: &str) -> Result<CertificateView> {
        let c = self
            .verify_certificate(number)
            .await?
            .ok_or(Error::NotFound)?;
        let office_ok = actor
            .office_range()
            .map(|r| r.contains(c.person_region))
            .unwrap_or(false);
        if actor.user.person_id == Some(c.person_id) || office_ok {
            Ok(c)
        } else {
            Err(Error::NotFound)
        }
    }

    pub async fn my_certificates(&self, actor: &Actor) -> Result<Vec<CertificateView>> {
        let person = actor.user.person_id.ok_or(Error::Forbidden)?;
        self.store.person_certificates(person).await
    }

    /// The certificates of holders in the caller's office scope, optionally
    /// of one track or held by one session's attendees (a session outside
    /// the scope lists nothing of it). Offices only.
    pub async fn office_certificates(
        &self,
        actor: &Actor,
        track: Option<i64>,
        session: Option<crate::training::SessionId>,
        offset: i64,
        limit: i64,
    ) -> Result<crate::store::Page<CertificateView>> {
        self.search_certificates(actor, track, session, "", offset, limit)
            .await
    }

    /// [`Fanxing::office_certificates`] narrowed by what an office types in
    /// one box: a certificate number (any case), a holder's mobile, or part
    /// of a holder's name.
    pub async fn search_certificates(
        &self,
        actor: &Actor,
        track: Option<i64>,
        session: Option<crate::training::SessionId>,
        text: &str,
        offset: i64,
        limit: i64,
    ) -> Result<crate::store::Page<CertificateView>> {
        let range = actor.office_range().ok_or(Error::Forbidden)?;
        let text = text.trim();
        if text.chars().count() > 64 || crate::values::text_problem(text, false).is_some() {
            return Err(Error::field("q", "error.search_text"));
        }
        let mut q = crate::curriculum::store::CertificateQuery {
            range,
            track,
            session,
            number: None,
            mobile: None,
            name: None,
            offset: offset.max(0),
            limit: limit.clamp(1, MAX_CERTIFICATES_PER_ZIP),
        };
        let upper = text.to_ascii_uppercase();
        if is_certificate_number(&upper) {
            q.number = Some(upper);
        } else if let Ok(m) = crate::values::Mobile::parse(text) {
            q.mobile = Some(m.as_str().to_string());
        } else if !text.is_empty() {
            q.name = Some(text.to_string());
        }
        self.store.list_certificates(&q).await
    }

    /// All the certificates a zip download holds (at most
    /// [`MAX_CERTIFICATES_PER_ZIP`]; more asks the office to narrow the
    /// filter), audited with the count.
    pub async fn certificates_for_zip(
        &self,
        actor: &Actor,
        track: Option<i64>,
        session: Option<crate::training::SessionId>,
    ) -> Result<Vec<CertificateView>> {
        let page = self
            .office_certificates(actor, track, session, 0, MAX_CERTIFICATES_PER_ZIP)
            .await?;
        if page.total > MAX_CERTIFICATES_PER_ZIP {
            return Err(Error::field("track", "certificate.zip_too_many"));
        }
        if page.items.is_empty() {
            return Err(Error::field("track", "certificate.none_match"));
        }
        self.audit
            .record(
                actor,
                "export.certificates",
                &format!(
                    "track:{} session:{}",
                    track.map(|t| t.to_string()).unwrap_or_default(),
                    session.map(|s| s.to_string()).unwrap_or_default()
                ),
                &format!("{} certificates", page.items.len()),
            )
            .await?;
        Ok(page.items)
    }

    /// Revokes a certificate (offices over the holder); a reason is required.
    pub async fn revoke_certificate(
        &self,
        actor: &Actor,
        number: &str,
        reason: &str,
    ) -> Result<()> {
        if !actor.role().is_office() {
            return Err(Error::Forbidden);
        }
        let c = self.certificate(actor, number).await?;
        let mut e = FieldErrors::default();
        let reason = crate::values::required_text(&mut e, "reason", reason, 200);
        e.into_result()?;
        if !self
            .store
            .revoke_certificate(&c.number, &reason, now())
            .await?
        {
            return Err(Error::field("reason", "certificate.already_revoked"));
        }
        self.audit
            .record(
                actor,
                "certificate.revoke",
                &format!("certificate:{}", c.number),
                &reason,
            )
            .await
    }
}

/// The owner recorded on a course an office creates: its own region, or
/// none for the programme office (the province's curriculum).
fn owner_region(actor: &Actor) -> Option<crate::region::RegionCode> {
    actor.course_owner_region()
}
