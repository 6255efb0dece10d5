//! Learning paths (个性化学习路径): each trainee's next courses with the
//! reasons — their track's remaining requirements, the weak KPIs of the
//! rooms they run against their peers, what trainees with the same gap who
//! improved took — and each office's view of where training is needed:
//! competency gaps by region, the weakest rooms, and courses many trainees
//! need with no session near them.
//!
//! The gaps come from every room's KPIs against its peers over the last
//! three months with data ([`gaps`]), computed for the whole province at
//! once and kept for [`service::SNAPSHOT_TTL`]; the recommendation itself
//! is a pure function ([`recommend`]).

pub mod gaps;
pub mod i18n;
pub mod recommend;
pub mod service;
pub mod store;

use serde::Serialize;

use crate::analytics::{Kpi, PeerLevel, RoomId};
use crate::people::Tier;
use crate::region::RegionCode;
use crate::training::CourseId;

pub use gaps::{RoomGap, RoomLine};
pub use recommend::{Reason, Recommendation, SessionChoice};

/// A trainee's progress on their track toward its certificate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackProgress {
    pub track_id: i64,
    pub tier: Tier,
    pub name_zh: String,
    pub name_en: String,
    pub programme: Option<String>,
    /// Sessions of the track attended in the programme, and how many the
    /// certificate needs.
    pub sessions_done: i64,
    pub sessions_required: i64,
    /// The track's required courses: (course, title, attended).
    pub required: Vec<(CourseId, String, bool)>,
    /// The certificate's number when held.
    pub certificate: Option<String>,
}

impl TrackProgress {
    pub fn sessions_missing(&self) -> i64 {
        (self.sessions_required - self.sessions_done).max(0)
    }
    pub fn courses_missing(&self) -> usize {
        self.required.iter().filter(|(_, _, done)| !done).count()
    }
    /// Share of the requirements met, 0–1 (sessions and required courses
    /// weigh one each).
    pub fn share(&self) -> f64 {
        if self.certificate.is_some() {
            return 1.0;
        }
        let total = self.sessions_required.max(0) as f64 + self.required.len() as f64;
        if total == 0.0 {
            return 1.0;
        }
        let done = self.sessions_done.min(self.sessions_required).max(0) as f64
            + (self.required.len() - self.courses_missing()) as f64;
        done / total
    }
    pub fn name(&self, lang: impl std::borrow::Borrow<crate::Lang>) -> &str {
        match lang.borrow() {
            crate::Lang::Zh => &self.name_zh,
            crate::Lang::En => &self.name_en,
        }
    }
}

/// A trainee's path: progress, next courses, the gaps they come from.
#[derive(Debug, Clone, Serialize)]
pub struct Path {
    pub tier: Tier,
    pub progress: Option<TrackProgress>,
    pub recommendations: Vec<Recommendation>,
    /// The months `YYYYMM` the room gaps were read from.
    pub window: Option<(i64, i64)>,
    /// The weak KPIs of the rooms they run.
    pub gaps: Vec<recommend::LearnerGap>,
}

/// A region's row in the office's gap table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapRow {
    pub region: RegionCode,
    pub region_name: String,
    /// Trainees' rooms with enough data to be judged.
    pub rooms: usize,
    /// Per competency code (the order of [`GapView::competencies`]), the
    /// rooms with a weak KPI pointing to it.
    pub counts: Vec<usize>,
}

/// A weak room of the region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeakRoom {
    pub room: RoomId,
    pub name: String,
    pub region_name: String,
    pub industry: String,
    pub kpi: Kpi,
    pub percentile: f64,
    pub level: PeerLevel,
    pub peers: usize,
    /// Weak KPIs in all.
    pub weak_kpis: usize,
}

/// A session worth planning: a course many trainees of a region need with
/// no upcoming session of it in their city.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub course: CourseId,
    pub title: String,
    pub competency: String,
    pub region: RegionCode,
    pub region_name: String,
    pub tier: Tier,
    /// Trainees whose room's gap calls for the course and who have not
    /// attended it.
    pub trainees: usize,
}

/// An office's view of where training is needed.
#[derive(Debug, Clone, Serialize)]
pub struct GapView {
    pub region: RegionCode,
    pub region_name: String,
    pub window: Option<(i64, i64)>,
    pub competencies: Vec<String>,
    pub rows: Vec<GapRow>,
    pub weakest: Vec<WeakRoom>,
    pub suggestions: Vec<Suggestion>,
}

#[cfg(test)]
mod tests;
