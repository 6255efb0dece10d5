//! What learning paths read and write beyond the other features' stores:
//! every room's sums over a window with what groups it into peers, rooms'
//! operators, the courses operators attended, and the curriculum's path
//! rules (required courses per track, prerequisites). SQL in
//! `fanxing-store`.

use async_trait::async_trait;

use crate::analytics::{Provenance, RoomId};
use crate::error::Result;
use crate::people::{PersonId, Tier};
use crate::region::RegionCode;
use crate::training::CourseId;

use super::RoomLine;

/// A room's operator with their tier and region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub room: RoomId,
    pub person: PersonId,
    pub tier: Tier,
    pub region: RegionCode,
}

#[async_trait]
pub trait PathStore: Send + Sync {
    /// The latest month `YYYYMM` with live data of this provenance.
    async fn latest_month(&self, provenance: Provenance) -> Result<Option<i64>>;
    /// Every room with data in months `from..=to` and its sums over them.
    async fn room_lines(
        &self,
        provenance: Provenance,
        from_month: i64,
        to_month: i64,
    ) -> Result<Vec<RoomLine>>;
    /// Every room's operators.
    async fn operators(&self) -> Result<Vec<Operator>>;
    /// (person, course, first attended at) for every course a person
    /// attended a session of: room operators only, or everyone.
    async fn attended_courses(
        &self,
        operators_only: bool,
    ) -> Result<Vec<(PersonId, CourseId, i64)>>;
    /// Every person's tier and region (trainees of every tier).
    async fn people_lines(&self) -> Result<Vec<(PersonId, Tier, RegionCode)>>;
    /// Required courses as (track, course), and prerequisites as (course,
    /// required first).
    async fn path_rules(&self) -> Result<(Vec<(i64, CourseId)>, Vec<(CourseId, CourseId)>)>;
    /// Sets `course`'s rules in one transaction: required (or not) on
    /// each `(track, required)` listed (other tracks left as they are),
    /// and its prerequisites replaced by `requires`.
    async fn set_course_rules(
        &self,
        course: CourseId,
        required: &[(i64, bool)],
        requires: &[CourseId],
    ) -> Result<()>;
}
