//! The curriculum feature's storage contract: tracks, competencies,
//! courses, materials and certificates.

use async_trait::async_trait;

use crate::error::Result;
use crate::people::{PersonId, Tier, UserId};
use crate::region::{RegionCode, RegionRange};
use crate::store::Page;
use crate::training::{CourseId, SessionId};

use crate::curriculum::{Competency, Course, CourseDraft, Material, Track};

#[async_trait]
pub trait CurriculumStore: Send + Sync {
    async fn list_tracks(&self) -> Result<Vec<Track>>;
    async fn list_competencies(&self) -> Result<Vec<Competency>>;
    /// `Error::Conflict` on `code` when it exists.
    async fn insert_competency(&self, code: &str, name_zh: &str, name_en: &str) -> Result<i64>;
    async fn rename_competency(&self, id: i64, name_zh: &str, name_en: &str) -> Result<bool>;
    async fn insert_course(
        &self,
        course: &CourseDraft,
        lecturer: Option<UserId>,
        owner_region: Option<RegionCode>,
        competencies: &[i64],
        now: i64,
    ) -> Result<CourseId>;
    async fn get_course(&self, id: CourseId) -> Result<Option<Course>>;
    async fn list_courses(&self, tier: Option<Tier>) -> Result<Vec<Course>>;
    async fn insert_material(
        &self,
        course: CourseId,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
        user: Option<UserId>,
        now: i64,
    ) -> Result<i64>;
    async fn list_materials(&self, course: CourseId) -> Result<Vec<Material>>;
    async fn get_material(&self, id: i64) -> Result<Option<(Material, Vec<u8>)>>;

    /// People with at least `required` attendances at sessions of `tier` in
    /// the programme who attended every required course of the track there
    /// and hold no certificate for the track yet.
    async fn qualifying_people(
        &self,
        programme: crate::training::ProgrammeId,
        track: i64,
        tier: Tier,
        required: i64,
    ) -> Result<Vec<PersonId>>;
    /// Inserts certificates `(number, person, track, programme)`; an
    /// existing (person, track, programme) is left alone.
    async fn insert_certificates(
        &self,
        rows: &[(String, PersonId, i64, crate::training::ProgrammeId)],
        now: i64,
    ) -> Result<usize>;
    async fn get_certificate(
        &self,
        number: &str,
    ) -> Result<Option<crate::curriculum::CertificateView>>;
    async fn person_certificates(
        &self,
        person: PersonId,
    ) -> Result<Vec<crate::curriculum::CertificateView>>;
    async fn revoke_certificate(&self, number: &str, reason: &str, now: i64) -> Result<bool>;
    /// Certificates of holders in `range`, newest first, optionally of one
    /// track or held by the attendees of one session.
    async fn list_certificates(
        &self,
        q: &CertificateQuery,
    ) -> Result<Page<crate::curriculum::CertificateView>>;
}

/// Filters for an office's certificate list (and its zip download).
#[derive(Debug, Clone)]
pub struct CertificateQuery {
    pub range: RegionRange,
    pub track: Option<i64>,
    pub session: Option<SessionId>,
    /// One certificate by its number.
    pub number: Option<String>,
    /// Holders with this (normalised) mobile.
    pub mobile: Option<String>,
    /// Holders whose name contains this.
    pub name: Option<String>,
    pub offset: i64,
    pub limit: i64,
}
