//! The next courses for one trainee, each with its reasons: deterministic
//! (the same inputs give the same list in the same order) and explained
//! (every point of a course's score comes from a reason shown with it).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::gaps::RoomGap;
use crate::analytics::Kpi;
use crate::people::Tier;
use crate::region::RegionCode;
use crate::training::{CourseId, Session, SessionId};

/// How many courses a path holds.
pub const PATH_LENGTH: usize = 5;
/// Trainees with the same gap who improved: fewer than this say nothing.
pub const MIN_EVIDENCE: usize = 3;

/// A course as the path sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseInfo {
    pub id: CourseId,
    pub title: String,
    pub tiers: Vec<Tier>,
    /// Competency codes.
    pub competencies: Vec<String>,
}

/// The curriculum's rules: every course, each tier's required courses and
/// courses' prerequisites.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub courses: Vec<CourseInfo>,
    pub required: HashMap<Tier, Vec<CourseId>>,
    /// Course → the courses it requires first.
    pub prerequisites: HashMap<CourseId, Vec<CourseId>>,
}

/// A gap of one of the trainee's rooms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnerGap {
    pub room: String,
    pub gap: RoomGap,
}

impl LearnerGap {
    /// The gap as a reason for a course.
    pub fn reason(&self) -> Reason {
        Reason::Gap {
            room: self.room.clone(),
            kpi: self.gap.kpi,
            competency: self.gap.competency.to_string(),
            percentile: self.gap.percentile,
            level: self.gap.level,
            peers: self.gap.peers,
        }
    }
}

impl Catalogue {
    /// A course's title (empty for an unknown course).
    pub fn title(&self, id: CourseId) -> String {
        self.courses
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.title.clone())
            .unwrap_or_default()
    }
}

/// What is known of the trainee.
#[derive(Debug, Clone)]
pub struct Learner {
    pub tier: Tier,
    pub region: RegionCode,
    /// Courses attended (any session of the course).
    pub completed: HashSet<CourseId>,
    /// Upcoming sessions registered for (or waitlisted on), by course.
    pub registered: HashMap<CourseId, SessionId>,
    /// The industries of the rooms they run.
    pub industries: Vec<String>,
    pub gaps: Vec<LearnerGap>,
    /// Sessions of the track still to attend for the certificate.
    pub sessions_missing: i64,
}

/// What trainees whose room had a gap on a KPI, and improved, took:
/// (KPI, course) → (how many of them took it, how many improved).
pub type Evidence = HashMap<(Kpi, CourseId), (usize, usize)>;

/// Why a course is on the path.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// A required course of the trainee's track not yet attended;
    /// `missing` required courses are left in all.
    Required { missing: usize },
    /// A weak KPI of one of their rooms points to a competency this course
    /// teaches.
    Gap {
        room: String,
        kpi: Kpi,
        competency: String,
        percentile: f64,
        level: crate::analytics::PeerLevel,
        peers: usize,
    },
    /// Of `of` trainees with the same gap whose room improved, `took` had
    /// attended this course.
    Improved { kpi: Kpi, took: usize, of: usize },
    /// A course further down the path needs this one first.
    Prerequisite { of_course: String },
    /// Counts toward the sessions the certificate needs.
    CountsToward { sessions_missing: i64 },
    /// Open to the trainee's tier (every recommendation is).
    Tier { tier: Tier },
}

/// The session offered for a course: the nearest upcoming one the trainee
/// may register for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionChoice {
    pub id: SessionId,
    pub title: String,
    pub starts_at: i64,
    pub region: RegionCode,
    pub region_name: String,
    /// 0 same county, 1 same city, 2 elsewhere.
    pub distance: u8,
    /// Registration is open now (otherwise it opens later).
    pub open: bool,
}

/// One course on the path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub course: CourseId,
    pub title: String,
    pub competencies: Vec<String>,
    pub reasons: Vec<Reason>,
    pub score: f64,
    /// The upcoming session already registered for.
    pub registered: Option<SessionId>,
    pub session: Option<SessionChoice>,
}

/// The nearest upcoming session of `course` the learner may register for.
pub fn nearest_session(
    learner: &Learner,
    course: CourseId,
    sessions: &[Session],
    now: i64,
) -> Option<SessionChoice> {
    sessions
        .iter()
        .filter(|s| s.course_id == Some(course))
        .filter(|s| s.status == crate::training::SessionStatus::Published)
        .filter(|s| s.starts_at > now && s.reg_closes_at >= now)
        .filter(|s| s.ineligibility(learner.tier, learner.region).is_none())
        .map(|s| {
            let distance = if s.count_region == learner.region {
                0
            } else if s.count_region.city() == learner.region.city()
                || s.region.city() == learner.region.city()
            {
                1
            } else {
                2
            };
            (distance, s)
        })
        .min_by_key(|(d, s)| (*d, s.starts_at, s.id))
        .map(|(distance, s)| SessionChoice {
            id: s.id,
            title: s.title.clone(),
            starts_at: s.starts_at,
            region: s.count_region,
            region_name: s.region_name.clone(),
            distance,
            open: s.is_open_for_registration(now),
        })
}

/// The trainee's next courses, best first, at most [`PATH_LENGTH`]. Never a
/// course already attended, never one their tier may not take; a course
/// whose prerequisite is not attended gives its place to the prerequisite.
pub fn recommend(
    catalogue: &Catalogue,
    learner: &Learner,
    evidence: &Evidence,
    sessions: &[Session],
    now: i64,
) -> Vec<Recommendation> {
    let eligible = |c: &CourseInfo| c.tiers.contains(&learner.tier);
    let required: Vec<CourseId> = catalogue
        .required
        .get(&learner.tier)
        .cloned()
        .unwrap_or_default();
    let missing_required = required
        .iter()
        .filter(|c| !learner.completed.contains(c))
        .count();
    let mut scored: HashMap<CourseId, (f64, Vec<Reason>)> = HashMap::new();
    for c in catalogue.courses.iter().filter(|c| eligible(c)) {
        if learner.completed.contains(&c.id) {
            continue;
        }
        let mut score = 0.0;
        let mut reasons = Vec::new();
        if required.contains(&c.id) {
            score += 100.0;
            reasons.push(Reason::Required {
                missing: missing_required,
            });
        }
        // The weakest gap this course teaches to; more gaps add a little.
        let mut gaps: Vec<&LearnerGap> = learner
            .gaps
            .iter()
            .filter(|g| c.competencies.iter().any(|k| k == g.gap.competency))
            .collect();
        gaps.sort_by(|a, b| a.gap.percentile.total_cmp(&b.gap.percentile));
        for (n, g) in gaps.iter().enumerate() {
            score += if n == 0 {
                80.0 + (25.0 - g.gap.percentile).max(0.0) * 1.6
            } else {
                10.0
            };
            reasons.push(g.reason());
        }
        if let Some(g) = gaps.first() {
            if let Some(&(took, of)) = evidence.get(&(g.gap.kpi, c.id)) {
                if of >= MIN_EVIDENCE && took > 0 {
                    score += 30.0 * took as f64 / of as f64;
                    reasons.push(Reason::Improved {
                        kpi: g.gap.kpi,
                        took,
                        of,
                    });
                }
            }
        }
        if learner.sessions_missing > 0 {
            score += 5.0;
            reasons.push(Reason::CountsToward {
                sessions_missing: learner.sessions_missing,
            });
        }
        reasons.push(Reason::Tier { tier: learner.tier });
        scored.insert(c.id, (score, reasons));
    }
    // Prerequisites first: a course whose prerequisite is not attended
    // hands its score to the prerequisite (three levels at most).
    for _ in 0..3 {
        let mut ids: Vec<CourseId> = scored.keys().copied().collect();
        ids.sort();
        let mut changed = false;
        for id in ids {
            let unmet: Vec<CourseId> = catalogue
                .prerequisites
                .get(&id)
                .map(|ps| {
                    ps.iter()
                        .copied()
                        .filter(|p| !learner.completed.contains(p))
                        .collect()
                })
                .unwrap_or_default();
            if unmet.is_empty() {
                continue;
            }
            let Some((score, _)) = scored.remove(&id) else {
                continue;
            };
            changed = true;
            for p in unmet {
                // A prerequisite the tier may not take blocks the course.
                let Some(entry) = scored.get_mut(&p) else {
                    continue;
                };
                if score - 0.5 > entry.0 {
                    entry.0 = score - 0.5;
                }
                entry.1.insert(
                    0,
                    Reason::Prerequisite {
                        of_course: catalogue.title(id),
                    },
                );
            }
        }
        if !changed {
            break;
        }
    }
    let mut out: Vec<Recommendation> = scored
        .into_iter()
        .map(|(id, (score, reasons))| {
            let info = catalogue.courses.iter().find(|c| c.id == id);
            Recommendation {
                course: id,
                title: info.map(|c| c.title.clone()).unwrap_or_default(),
                competencies: info.map(|c| c.competencies.clone()).unwrap_or_default(),
                score,
                registered: learner.registered.get(&id).copied(),
                session: nearest_session(learner, id, sessions, now),
                reasons,
            }
        })
        .collect();
    // A course with a session near them comes before an equal one without.
    for r in &mut out {
        r.score += match r.session.as_ref().map(|s| s.distance) {
            Some(0) | Some(1) => 3.0,
            Some(_) => 1.0,
            None => 0.0,
        };
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.course.cmp(&b.course)));
    out.truncate(PATH_LENGTH);
    out
}
