//! `PathService`: a trainee's path and an office's gap view, over the
//! province-wide gap snapshot and the curriculum's rules.
//!
//! Two things are computed once and shared by every request: the gap
//! snapshot (every room's weak KPIs against its peers over the last three
//! months with data, the same over the three months before, and what the
//! trainees whose room improved had attended), kept [`SNAPSHOT_TTL`]; and
//! the reference data (courses, tracks, path rules, upcoming sessions),
//! kept [`REFERENCE_TTL`]. Both are read from the database, so several
//! servers agree within those bounds. Each is rebuilt by one request while
//! the others wait for it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::gaps::{weak_gaps, RoomGap, RoomLine};
use super::recommend::{recommend, Catalogue, CourseInfo, Evidence, Learner, LearnerGap};
use super::store::{Operator, PathStore};
use super::{GapRow, GapView, Path, Suggestion, TrackProgress, WeakRoom};
use crate::analytics::{Provenance, RoomId};
use crate::auth::{Access, Actor};
use crate::curriculum::store::CurriculumStore;
use crate::curriculum::Track;
use crate::error::{Error, Result};
use crate::people::store::PeopleStore;
use crate::people::{PersonId, Tier};
use crate::region::{RegionCode, RegionLevel};
use crate::training::store::{SessionQuery, TrainingStore};
use crate::training::{CourseId, Programme, Session, SessionStatus};

/// How long the gap snapshot is served before it is read again: an import
/// shows in paths within this time.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(300);
/// How long courses, path rules and upcoming sessions are served: a new
/// session or rule shows in paths within this time.
pub const REFERENCE_TTL: Duration = Duration::from_secs(30);
/// Months of live data the gaps are read from.
pub const WINDOW_MONTHS: i64 = 3;

/// The province's rooms and their gaps.
#[derive(Default)]
pub struct Snapshot {
    pub window: Option<(i64, i64)>,
    /// Every room with data in the window.
    pub rooms: HashMap<RoomId, RoomLine>,
    /// Weak KPIs of rooms that have some.
    pub gaps: HashMap<RoomId, Vec<RoomGap>>,
    pub operators: Vec<Operator>,
    pub rooms_of: HashMap<PersonId, Vec<RoomId>>,
    /// Courses each room operator attended.
    pub attended: HashMap<PersonId, HashSet<CourseId>>,
    pub evidence: Evidence,
}

/// The inputs of every person's path, as read from the database.
pub struct EveryInput {
    pub people: Vec<(PersonId, Tier, RegionCode)>,
    pub attended: Vec<(PersonId, CourseId, i64)>,
    pub operators: Vec<Operator>,
    pub recent: Vec<RoomLine>,
    pub earlier: Vec<RoomLine>,
    pub reference: Arc<Reference>,
}

impl Snapshot {
    /// The weak KPIs of the rooms `person` runs, weakest first, and those
    /// rooms' industries.
    pub fn gaps_of(&self, person: PersonId) -> (Vec<LearnerGap>, Vec<String>) {
        let mut gaps = Vec::new();
        let mut industries = Vec::new();
        for room in self.rooms_of.get(&person).into_iter().flatten() {
            let Some(line) = self.rooms.get(room) else {
                continue;
            };
            industries.push(line.industry.clone());
            for g in self.gaps.get(room).into_iter().flatten() {
                gaps.push(LearnerGap {
                    room: line.name.clone(),
                    gap: g.clone(),
                });
            }
        }
        gaps.sort_by(|a, b| a.gap.percentile.total_cmp(&b.gap.percentile));
        (gaps, industries)
    }
}

/// Courses, tracks, rules and upcoming sessions.
#[derive(Default)]
pub struct Reference {
    pub catalogue: Catalogue,
    pub tracks: Vec<Track>,
    pub competencies: Vec<(String, String, String)>,
    pub programme: Option<Programme>,
    /// Published sessions that have not ended.
    pub sessions: Vec<Session>,
}

type Slot<T> = Mutex<Option<(Instant, Arc<T>)>>;

/// Did training work, for one competency: rooms with a gap on its KPI
/// whose operators then took a course teaching it, against rooms with the
/// same gap whose operators did not, on that KPI week by week (the
/// programme's impact estimator, its honesty rules included).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CompetencyImpact {
    pub competency: String,
    pub kpi: crate::analytics::Kpi,
    /// Rooms with the gap (in the window or the three months before).
    pub rooms: usize,
    pub estimate: crate::analytics::impact::ImpactEstimate,
}

/// The KPI each competency's impact is measured on: the first KPI whose
/// gap points to it.
pub const IMPACT_KPIS: &[crate::analytics::Kpi] = &[
    crate::analytics::Kpi::ClickToOrder,
    crate::analytics::Kpi::ProductClickRate,
    crate::analytics::Kpi::InteractionRate,
    crate::analytics::Kpi::FollowRate,
    crate::analytics::Kpi::Aov,
    crate::analytics::Kpi::Gpm,
];

/// A course's path rules with titles (see
/// [`PathService::course_rules_titled`]).
#[derive(Debug, Clone)]
pub struct CourseRulesView {
    pub required_for: Vec<Tier>,
    /// Courses to take first: id and title.
    pub prerequisites: Vec<(CourseId, String)>,
    /// Every other course: id and title.
    pub others: Vec<(CourseId, String)>,
}

#[derive(Clone)]
pub struct PathService {
    store: Arc<dyn PathStore>,
    analytics: Arc<dyn crate::analytics::store::AnalyticsStore>,
    impacts: Arc<Slot<Vec<CompetencyImpact>>>,
    training: Arc<dyn TrainingStore>,
    people: Arc<dyn PeopleStore>,
    curriculum: Arc<dyn CurriculumStore>,
    snapshot: Arc<Slot<Snapshot>>,
    /// A background rebuild of the snapshot is under way.
    rebuilding: Arc<std::sync::atomic::AtomicBool>,
    reference: Arc<Slot<Reference>>,
    audit: crate::audit::Audit,
}

/// `YYYYMM` plus `n` months.
fn month_add(month: i64, n: i64) -> i64 {
    let idx = month / 100 * 12 + (month % 100 - 1) + n;
    idx / 12 * 100 + idx % 12 + 1
}

/// What trainees whose room was weak on a KPI in the earlier window and
/// is not now (with data now) had attended: (KPI, course) → (how many of
/// them took it, how many improved).
pub fn evidence(
    recent: &[RoomLine],
    earlier: &[RoomLine],
    then_gaps: &[Vec<RoomGap>],
    now_gaps: &HashMap<RoomId, Vec<RoomGap>>,
    operators: &[Operator],
    attended: &HashMap<PersonId, HashSet<CourseId>>,
) -> Evidence {
    let with_data: HashSet<RoomId> = recent.iter().map(|r| r.id).collect();
    let mut improved: HashMap<crate::analytics::Kpi, Vec<RoomId>> = HashMap::new();
    for (r, g) in earlier.iter().zip(then_gaps) {
        if !with_data.contains(&r.id) {
            continue;
        }
        let now = now_gaps.get(&r.id);
        for gap in g {
            if !now.is_some_and(|n| n.iter().any(|x| x.kpi == gap.kpi)) {
                improved.entry(gap.kpi).or_default().push(r.id);
            }
        }
    }
    let mut operators_of: HashMap<RoomId, Vec<PersonId>> = HashMap::new();
    for o in operators {
        operators_of.entry(o.room).or_default().push(o.person);
    }
    let mut out = Evidence::new();
    for (kpi, rooms) in improved {
        let people: HashSet<PersonId> = rooms
            .iter()
            .flat_map(|r| operators_of.get(r).into_iter().flatten().copied())
            .collect();
        let of = people.len();
        let mut took: HashMap<CourseId, usize> = HashMap::new();
        for p in &people {
            for c in attended.get(p).into_iter().flatten() {
                *took.entry(*c).or_default() += 1;
            }
        }
        for (c, n) in took {
            out.insert((kpi, c), (n, of));
        }
    }
    out
}

impl PathService {
    pub fn new(
        store: Arc<dyn PathStore>,
        analytics: Arc<dyn crate::analytics::store::AnalyticsStore>,
        training: Arc<dyn TrainingStore>,
        people: Arc<dyn PeopleStore>,
        curriculum: Arc<dyn CurriculumStore>,
        audit: crate::audit::Audit,
    ) -> PathService {
        PathService {
            store,
            analytics,
            impacts: Arc::new(Mutex::new(None)),
            training,
            people,
            curriculum,
            snapshot: Arc::new(Mutex::new(None)),
            rebuilding: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            reference: Arc::new(Mutex::new(None)),
            audit,
        }
    }

    /// Forgets both caches (after a write through this server).
    pub async fn invalidate(&self) {
        *self.snapshot.lock().await = None;
        *self.reference.lock().await = None;
    }

    /// The gap snapshot. The first is built by the request that asks
    /// (others wait for it); once it is older than [`SNAPSHOT_TTL`] the
    /// next request starts a rebuild in the background and every request
    /// is served the previous one until it is done (a province's snapshot
    /// takes seconds), so a snapshot is at most the TTL plus one rebuild
    /// old.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>> {
        let mut slot = self.snapshot.lock().await;
        if let Some((at, s)) = slot.as_ref() {
            if at.elapsed() >= SNAPSHOT_TTL
                && !self
                    .rebuilding
                    .swap(true, std::sync::atomic::Ordering::AcqRel)
            {
                let me = self.clone();
                tokio::spawn(async move {
                    // On failure the previous snapshot is kept and the next
                    // request tries again.
                    if let Ok(s) = me.build_snapshot().await {
                        *me.snapshot.lock().await = Some((Instant::now(), Arc::new(s)));
                    }
                    me.rebuilding
                        .store(false, std::sync::atomic::Ordering::Release);
                });
            }
            return Ok(s.clone());
        }
        let s = Arc::new(self.build_snapshot().await?);
        *slot = Some((Instant::now(), s.clone()));
        Ok(s)
    }

    /// Reads every room's sums over the window and the three months before,
    /// and computes both windows' gaps (on the blocking pool: a province has
    /// tens of thousands of rooms).
    pub async fn build_snapshot(&self) -> Result<Snapshot> {
        let provenance = Provenance::Official;
        let Some(last) = self.store.latest_month(provenance).await? else {
            return Ok(Snapshot::default());
        };
        let from = month_add(last, 1 - WINDOW_MONTHS);
        let recent = self.store.room_lines(provenance, from, last).await?;
        let earlier = self
            .store
            .room_lines(
                provenance,
                month_add(from, -WINDOW_MONTHS),
                month_add(from, -1),
            )
            .await?;
        let operators = self.store.operators().await?;
        let courses = self.store.attended_courses(true).await?;
        tokio::task::spawn_blocking(move || {
            let now_gaps = weak_gaps(&recent);
            let then_gaps = weak_gaps(&earlier);
            let mut s = Snapshot {
                window: Some((from, last)),
                ..Default::default()
            };
            for (r, g) in recent.iter().zip(now_gaps) {
                if !g.is_empty() {
                    s.gaps.insert(r.id, g);
                }
            }
            for (person, course, _) in courses {
                s.attended.entry(person).or_default().insert(course);
            }
            for o in &operators {
                s.rooms_of.entry(o.person).or_default().push(o.room);
            }
            s.evidence = evidence(
                &recent,
                &earlier,
                &then_gaps,
                &s.gaps,
                &operators,
                &s.attended,
            );
            s.rooms = recent.into_iter().map(|r| (r.id, r)).collect();
            s.operators = operators;
            s
        })
        .await
        .map_err(|e| Error::Message(format!("gap snapshot: {e}")))
    }

    /// Courses, tracks, rules and upcoming sessions, rebuilt when older than
    /// [`REFERENCE_TTL`].
    pub async fn reference(&self) -> Result<Arc<Reference>> {
        let mut slot = self.reference.lock().await;
        if let Some((at, r)) = slot.as_ref() {
            if at.elapsed() < REFERENCE_TTL {
                return Ok(r.clone());
            }
        }
        let courses = self.curriculum.list_courses(None).await?;
        let tracks = self.curriculum.list_tracks().await?;
        let competencies = self
            .curriculum
            .list_competencies()
            .await?
            .into_iter()
            .map(|c| (c.code, c.name_zh, c.name_en))
            .collect();
        let (required, prerequisites) = self.store.path_rules().await?;
        let mut catalogue = Catalogue {
            courses: courses
                .into_iter()
                .map(|c| CourseInfo {
                    id: c.id,
                    title: c.title,
                    tiers: c.tiers,
                    competencies: c.competencies.into_iter().map(|k| k.code).collect(),
                })
                .collect(),
            ..Default::default()
        };
        for (track, course) in required {
            if let Some(t) = tracks.iter().find(|t| t.id == track) {
                catalogue.required.entry(t.tier).or_default().push(course);
            }
        }
        for v in catalogue.required.values_mut() {
            v.sort();
        }
        for (course, first) in prerequisites {
            catalogue
                .prerequisites
                .entry(course)
                .or_default()
                .push(first);
        }
        let programme = self.training.list_programmes().await?.into_iter().last();
        let sessions = self
            .training
            .list_sessions(&SessionQuery {
                programme_id: None,
                region: None,
                statuses: vec![SessionStatus::Published],
                ends_after: Some(crate::now()),
                ends_before: None,
                tier: None,
                text: None,
                newest_first: false,
                offset: 0,
                limit: 2000,
            })
            .await?
            .items;
        let r = Arc::new(Reference {
            catalogue,
            tracks,
            competencies,
            programme,
            sessions,
        });
        *slot = Some((Instant::now(), r.clone()));
        Ok(r)
    }

    /// The caller's own path (trainees with a person record only).
    pub async fn my_path(&self, actor: &Actor) -> Result<Path> {
        let person_id = actor.user.person_id.ok_or(Error::Forbidden)?;
        if !actor.role().is_trainee() {
            return Err(Error::Forbidden);
        }
        let regs = self.training.person_registrations(person_id).await?;
        let certificates = self.curriculum.person_certificates(person_id).await?;
        self.my_path_from(actor, &regs, &certificates).await
    }

    /// [`PathService::my_path`] from the caller's registrations and
    /// certificates as the page has read them already (the home page shows
    /// both), so they are not read twice.
    pub async fn my_path_from(
        &self,
        actor: &Actor,
        regs: &[crate::training::store::MyRegistration],
        certificates: &[crate::curriculum::CertificateView],
    ) -> Result<Path> {
        let person_id = actor.user.person_id.ok_or(Error::Forbidden)?;
        if !actor.role().is_trainee() {
            return Err(Error::Forbidden);
        }
        let person = self
            .people
            .get_person(Access::Person(person_id), person_id)
            .await?
            .ok_or(Error::NotFound)?;
        let (reference, snapshot) = (self.reference().await?, self.snapshot().await?);
        let now = crate::now();
        let completed: HashSet<CourseId> = regs
            .iter()
            .filter(|m| m.attended)
            .filter_map(|m| m.session.course_id)
            .collect();
        let registered = regs
            .iter()
            .filter(|m| {
                m.session.ends_at > now
                    && matches!(m.registration.status.as_str(), "registered" | "waitlisted")
            })
            .filter_map(|m| m.session.course_id.map(|c| (c, m.session.id)))
            .collect();
        let progress = reference
            .tracks
            .iter()
            .find(|t| t.tier == person.tier)
            .map(|t| {
                let programme = reference.programme.as_ref();
                let in_programme = |m: &&crate::training::store::MyRegistration| {
                    m.attended && programme.is_none_or(|p| m.session.programme_id == p.id)
                };
                let attended_here: HashSet<CourseId> = regs
                    .iter()
                    .filter(in_programme)
                    .filter_map(|m| m.session.course_id)
                    .collect();
                TrackProgress {
                    track_id: t.id,
                    tier: t.tier,
                    name_zh: t.name_zh.clone(),
                    name_en: t.name_en.clone(),
                    programme: programme.map(|p| p.name.clone()),
                    sessions_done: regs
                        .iter()
                        .filter(in_programme)
                        .filter(|m| m.session.tier == Some(t.tier))
                        .count() as i64,
                    sessions_required: t.required_sessions,
                    required: reference
                        .catalogue
                        .required
                        .get(&t.tier)
                        .into_iter()
                        .flatten()
                        .map(|c| (*c, reference.catalogue.title(*c), attended_here.contains(c)))
                        .collect(),
                    certificate: certificates
                        .iter()
                        .find(|c| c.tier == t.tier && c.revoked_at.is_none())
                        .map(|c| c.number.clone()),
                }
            });
        let (gaps, industries) = snapshot.gaps_of(person_id);
        let learner = Learner {
            tier: person.tier,
            region: person.region,
            completed,
            registered,
            industries,
            gaps: gaps.clone(),
            sessions_missing: progress
                .as_ref()
                .filter(|p| p.certificate.is_none())
                .map(TrackProgress::sessions_missing)
                .unwrap_or(0),
        };
        let recommendations = recommend(
            &reference.catalogue,
            &learner,
            &snapshot.evidence,
            &reference.sessions,
            now,
        );
        Ok(Path {
            tier: person.tier,
            progress,
            recommendations,
            window: snapshot.window,
            gaps,
        })
    }

    /// Every trainee's path who runs a room (for the benchmark and the
    /// demo's check): person → recommendations. No access check: callers
    /// are the CLI and tests.
    pub async fn all_operator_paths(
        &self,
    ) -> Result<HashMap<PersonId, Vec<super::Recommendation>>> {
        let (reference, snapshot) = (self.reference().await?, self.snapshot().await?);
        let now = crate::now();
        let mut out = HashMap::new();
        for o in &snapshot.operators {
            if out.contains_key(&o.person) {
                continue;
            }
            let learner = self.learner_of(&snapshot, o);
            out.insert(
                o.person,
                recommend(
                    &reference.catalogue,
                    &learner,
                    &snapshot.evidence,
                    &reference.sessions,
                    now,
                ),
            );
        }
        Ok(out)
    }

    /// Everything [`PathService::compute_every_path`] needs, read from the
    /// database: every person, every course attended, both windows' room
    /// sums, operators and the reference data. (Its time is the baseline
    /// of `bench/paths`.)
    pub async fn read_every_input(&self) -> Result<EveryInput> {
        let provenance = Provenance::Official;
        let last = self.store.latest_month(provenance).await?;
        let (recent, earlier) = match last {
            Some(last) => {
                let from = month_add(last, 1 - WINDOW_MONTHS);
                (
                    self.store.room_lines(provenance, from, last).await?,
                    self.store
                        .room_lines(
                            provenance,
                            month_add(from, -WINDOW_MONTHS),
                            month_add(from, -1),
                        )
                        .await?,
                )
            }
            None => (Vec::new(), Vec::new()),
        };
        *self.reference.lock().await = None;
        Ok(EveryInput {
            people: self.store.people_lines().await?,
            attended: self.store.attended_courses(false).await?,
            operators: self.store.operators().await?,
            recent,
            earlier,
            reference: self.reference().await?,
        })
    }

    /// Every person's path from `input` (no registrations or track
    /// progress: the courses they attended, their tier, region and rooms).
    pub fn compute_every_path(input: &EveryInput) -> HashMap<PersonId, Vec<super::Recommendation>> {
        let now_gaps = weak_gaps(&input.recent);
        let gaps: HashMap<RoomId, Vec<RoomGap>> = input
            .recent
            .iter()
            .zip(now_gaps)
            .filter(|(_, g)| !g.is_empty())
            .map(|(r, g)| (r.id, g))
            .collect();
        let lines: HashMap<RoomId, &RoomLine> = input.recent.iter().map(|r| (r.id, r)).collect();
        let mut attended: HashMap<PersonId, HashSet<CourseId>> = HashMap::new();
        for (p, c, _) in &input.attended {
            attended.entry(*p).or_default().insert(*c);
        }
        let mut rooms_of: HashMap<PersonId, Vec<RoomId>> = HashMap::new();
        for o in &input.operators {
            rooms_of.entry(o.person).or_default().push(o.room);
        }
        let then_gaps = weak_gaps(&input.earlier);
        let evidence = evidence(
            &input.recent,
            &input.earlier,
            &then_gaps,
            &gaps,
            &input.operators,
            &attended,
        );
        let now = crate::now();
        let r = &input.reference;
        input
            .people
            .iter()
            .map(|(person, tier, region)| {
                let mut learner_gaps = Vec::new();
                for room in rooms_of.get(person).into_iter().flatten() {
                    if let (Some(line), Some(gs)) = (lines.get(room), gaps.get(room)) {
                        for g in gs {
                            learner_gaps.push(LearnerGap {
                                room: line.name.clone(),
                                gap: g.clone(),
                            });
                        }
                    }
                }
                let learner = Learner {
                    tier: *tier,
                    region: *region,
                    completed: attended.get(person).cloned().unwrap_or_default(),
                    registered: HashMap::new(),
                    industries: Vec::new(),
                    gaps: learner_gaps,
                    sessions_missing: 0,
                };
                (
                    *person,
                    recommend(&r.catalogue, &learner, &evidence, &r.sessions, now),
                )
            })
            .collect()
    }

    /// A room operator as a learner, from the snapshot alone (registrations
    /// and track progress are not part of it).
    fn learner_of(&self, snapshot: &Snapshot, o: &Operator) -> Learner {
        let (gaps, industries) = snapshot.gaps_of(o.person);
        Learner {
            tier: o.tier,
            region: o.region,
            completed: snapshot
                .attended
                .get(&o.person)
                .cloned()
                .unwrap_or_default(),
            registered: HashMap::new(),
            industries,
            gaps,
            sessions_missing: 0,
        }
    }

    /// An office's view of its region (or a region within it): gaps by
    /// competency and child region, the weakest rooms, and sessions worth
    /// planning.
    pub async fn gaps(&self, actor: &Actor, region: Option<RegionCode>) -> Result<GapView> {
        let range = actor.office_range().ok_or(Error::Forbidden)?;
        let home = actor.user.region.ok_or(Error::Forbidden)?;
        let region = region.unwrap_or(home);
        if !range.contains(region) {
            return Err(Error::NotFound);
        }
        let this = self
            .people
            .get_region(region)
            .await?
            .ok_or(Error::NotFound)?;
        let mut children = self.people.list_regions(None, Some(region)).await?;
        if this.level == RegionLevel::County
            || this.level == RegionLevel::Zone
            || children.is_empty()
        {
            children = vec![this.clone()];
        }
        children.sort_by_key(|r| r.code);
        let (reference, snapshot) = (self.reference().await?, self.snapshot().await?);
        let scope = region.subtree();
        let competencies: Vec<String> = reference
            .competencies
            .iter()
            .map(|(code, _, _)| code.clone())
            .collect();
        let child_of = |code: RegionCode| {
            children
                .iter()
                .position(|c| c.code == code || c.code.subtree().contains(code))
        };
        let mut rows: Vec<GapRow> = children
            .iter()
            .map(|c| GapRow {
                region: c.code,
                region_name: c.name.clone(),
                rooms: 0,
                counts: vec![0; competencies.len()],
            })
            .collect();
        // Trainees' rooms in scope (a room with an operator).
        let mut trainee_rooms: Vec<RoomId> = snapshot
            .operators
            .iter()
            .map(|o| o.room)
            .filter(|r| {
                snapshot
                    .rooms
                    .get(r)
                    .is_some_and(|l| scope.contains(l.region))
            })
            .collect();
        trainee_rooms.sort();
        trainee_rooms.dedup();
        let mut weakest = Vec::new();
        for room in &trainee_rooms {
            let line = &snapshot.rooms[room];
            let Some(i) = child_of(line.region) else {
                continue;
            };
            rows[i].rooms += 1;
            let gaps = snapshot.gaps.get(room);
            let mut seen = HashSet::new();
            for g in gaps.into_iter().flatten() {
                if let Some(k) = competencies.iter().position(|c| c == g.competency) {
                    if seen.insert(k) {
                        rows[i].counts[k] += 1;
                    }
                }
            }
            if let Some(first) = gaps.and_then(|g| g.first()) {
                weakest.push(WeakRoom {
                    room: *room,
                    name: line.name.clone(),
                    region_name: children[i].name.clone(),
                    industry: line.industry.clone(),
                    kpi: first.kpi,
                    percentile: first.percentile,
                    level: first.level,
                    peers: first.peers,
                    weak_kpis: gaps.map(Vec::len).unwrap_or(0),
                });
            }
        }
        weakest.sort_by(|a, b| {
            b.weak_kpis
                .cmp(&a.weak_kpis)
                .then(a.percentile.total_cmp(&b.percentile))
                .then(a.room.cmp(&b.room))
        });
        weakest.truncate(10);
        // Courses the operators' gaps call for, by child region.
        let mut need: HashMap<(CourseId, usize), (HashSet<PersonId>, String, Tier)> =
            HashMap::new();
        let mut seen_people = HashSet::new();
        for o in &snapshot.operators {
            if !scope.contains(o.region) || !seen_people.insert(o.person) {
                continue;
            }
            let Some(i) = child_of(o.region) else {
                continue;
            };
            let learner = self.learner_of(&snapshot, o);
            for g in &learner.gaps {
                for c in &reference.catalogue.courses {
                    if c.tiers.contains(&o.tier)
                        && c.competencies.iter().any(|k| k == g.gap.competency)
                        && !learner.completed.contains(&c.id)
                    {
                        need.entry((c.id, i))
                            .or_insert_with(|| {
                                (HashSet::new(), g.gap.competency.to_string(), o.tier)
                            })
                            .0
                            .insert(o.person);
                    }
                }
            }
        }
        let now = crate::now();
        let mut suggestions: Vec<Suggestion> = need
            .into_iter()
            .filter(|((course, i), _)| {
                let city = children[*i].code.city();
                !reference.sessions.iter().any(|s| {
                    s.course_id == Some(*course)
                        && s.starts_at > now
                        && (s.count_region.city() == city || s.region.city() == city)
                })
            })
            .map(|((course, i), (people, competency, tier))| Suggestion {
                course,
                title: reference.catalogue.title(course),
                competency,
                region: children[i].code,
                region_name: children[i].name.clone(),
                tier,
                trainees: people.len(),
            })
            .collect();
        suggestions.sort_by(|a, b| {
            b.trainees
                .cmp(&a.trainees)
                .then(a.region.cmp(&b.region))
                .then(a.course.cmp(&b.course))
        });
        suggestions.truncate(12);
        Ok(GapView {
            region,
            region_name: this.name,
            window: snapshot.window,
            competencies,
            rows,
            weakest,
            suggestions,
        })
    }

    /// Did it work, per competency (the programme office, for the
    /// province): kept as long as the gap snapshot. The rooms compared are
    /// trainees' rooms with a gap on the competency's KPI in the window or
    /// the three months before; a room counts as trained from the first
    /// session its operators attended of a course teaching the competency.
    pub async fn competency_impact(&self, actor: &Actor) -> Result<Arc<Vec<CompetencyImpact>>> {
        if !actor.role().is_programme_office() {
            return Err(Error::Forbidden);
        }
        let mut slot = self.impacts.lock().await;
        if let Some((at, v)) = slot.as_ref() {
            if at.elapsed() < SNAPSHOT_TTL {
                return Ok(v.clone());
            }
        }
        let (reference, snapshot) = (self.reference().await?, self.snapshot().await?);
        let Some((from, _)) = snapshot.window else {
            let v = Arc::new(Vec::new());
            *slot = Some((Instant::now(), v.clone()));
            return Ok(v);
        };
        let earlier = self
            .store
            .room_lines(
                Provenance::Official,
                month_add(from, -WINDOW_MONTHS),
                month_add(from, -1),
            )
            .await?;
        let then_gaps: HashMap<RoomId, Vec<RoomGap>> = earlier
            .iter()
            .zip(weak_gaps(&earlier))
            .map(|(r, g)| (r.id, g))
            .collect();
        let mut taken: HashMap<PersonId, Vec<(CourseId, i64)>> = HashMap::new();
        for (p, c, at) in self.store.attended_courses(true).await? {
            taken.entry(p).or_default().push((c, at));
        }
        let mut out = Vec::new();
        let province = actor.user.region.ok_or(Error::Forbidden)?;
        for kpi in IMPACT_KPIS {
            let Some((_, competency)) = crate::analytics::weakness(*kpi) else {
                continue;
            };
            let Some(fields) = crate::analytics::store::WeekField::of_kpi(*kpi) else {
                continue;
            };
            let teaches: HashSet<CourseId> = reference
                .catalogue
                .courses
                .iter()
                .filter(|c| c.competencies.iter().any(|k| k == competency))
                .map(|c| c.id)
                .collect();
            let has_gap = |room: &RoomId| {
                let on =
                    |g: Option<&Vec<RoomGap>>| g.is_some_and(|g| g.iter().any(|x| x.kpi == *kpi));
                on(snapshot.gaps.get(room)) || on(then_gaps.get(room))
            };
            // When each room's operators first took a course teaching it.
            let mut trained: HashMap<RoomId, i64> = HashMap::new();
            let mut population: HashSet<RoomId> = HashSet::new();
            for o in &snapshot.operators {
                if !has_gap(&o.room) {
                    continue;
                }
                population.insert(o.room);
                for (c, at) in taken.get(&o.person).into_iter().flatten() {
                    if teaches.contains(c) {
                        let e = trained.entry(o.room).or_insert(*at);
                        *e = (*e).min(*at);
                    }
                }
            }
            let (rooms, first, weeks) = self
                .analytics
                .impact_panel(province.subtree(), Provenance::Official, fields)
                .await?;
            let rooms: Vec<crate::analytics::store::ImpactRoom> = rooms
                .into_iter()
                .filter(|r| population.contains(&r.id))
                .map(|mut r| {
                    r.trained_at = trained.get(&r.id).copied();
                    r
                })
                .collect();
            let weeks: Vec<(RoomId, i64, crate::analytics::Sums)> = weeks
                .into_iter()
                .filter(|(r, _, _)| population.contains(r))
                .collect();
            let n = rooms.len();
            let kpi = *kpi;
            let estimate = tokio::task::spawn_blocking(move || {
                let panel = match first {
                    Some(first) => {
                        crate::analytics::service::weekly_panel_of(&rooms, first, &weeks, |s| {
                            kpi.value(s).unwrap_or(0.0)
                        })
                    }
                    None => Vec::new(),
                };
                // Six estimates on one page share 5 % (Bonferroni).
                let cfg = crate::analytics::impact::ImpactConfig {
                    alpha: 0.05 / IMPACT_KPIS.len() as f64,
                    ..Default::default()
                };
                crate::analytics::impact::estimate(&panel, &cfg)
            })
            .await
            .map_err(|e| Error::Message(format!("competency impact: {e}")))?;
            out.push(CompetencyImpact {
                competency: competency.to_string(),
                kpi,
                rooms: n,
                estimate,
            });
        }
        let v = Arc::new(out);
        *slot = Some((Instant::now(), v.clone()));
        Ok(v)
    }

    /// The competency names by code, `(中文, English)`.
    pub async fn competency_names(&self) -> Result<HashMap<String, (String, String)>> {
        Ok(self
            .reference()
            .await?
            .competencies
            .iter()
            .map(|(c, zh, en)| (c.clone(), (zh.clone(), en.clone())))
            .collect())
    }

    /// Whether `actor` may set courses' path rules (the programme office).
    pub fn may_set_rules(&self, actor: &Actor) -> bool {
        actor.role().is_programme_office()
    }

    /// Sets a course's path rules: the tiers whose track requires it and
    /// the courses it needs first, all or nothing, audited. The programme
    /// office's alone (required courses decide certificates).
    pub async fn set_course_rules(
        &self,
        actor: &Actor,
        course: CourseId,
        required_for: &[Tier],
        prerequisites: &[CourseId],
    ) -> Result<()> {
        if !self.may_set_rules(actor) {
            return Err(Error::Forbidden);
        }
        let c = self
            .curriculum
            .get_course(course)
            .await?
            .ok_or(Error::NotFound)?;
        for t in required_for {
            if !c.tiers.contains(t) {
                return Err(Error::field("required_for", "paths.required_tier"));
            }
        }
        let mut firsts: Vec<CourseId> = prerequisites.to_vec();
        firsts.sort();
        firsts.dedup();
        if firsts.contains(&course) {
            return Err(Error::field("prerequisites", "paths.self_prerequisite"));
        }
        for p in &firsts {
            if self.curriculum.get_course(*p).await?.is_none() {
                return Err(Error::field("prerequisites", "paths.unknown_course"));
            }
        }
        // No cycle: nothing this course is (transitively) required by may
        // become its prerequisite.
        let (_, rules) = self.store.path_rules().await?;
        let mut needs: HashMap<CourseId, Vec<CourseId>> = HashMap::new();
        for (c2, first) in rules.iter().filter(|(c2, _)| *c2 != course) {
            needs.entry(*c2).or_default().push(*first);
        }
        for p in &firsts {
            let mut stack = vec![*p];
            let mut seen = HashSet::new();
            while let Some(x) = stack.pop() {
                if x == course {
                    return Err(Error::field("prerequisites", "paths.cycle"));
                }
                if seen.insert(x) {
                    stack.extend(needs.get(&x).into_iter().flatten().copied());
                }
            }
        }
        let required: Vec<(i64, bool)> = self
            .curriculum
            .list_tracks()
            .await?
            .iter()
            .filter(|t| c.tiers.contains(&t.tier))
            .map(|t| (t.id, required_for.contains(&t.tier)))
            .collect();
        self.store
            .set_course_rules(course, &required, &firsts)
            .await?;
        *self.reference.lock().await = None;
        let tiers: Vec<&str> = required_for.iter().map(|t| t.as_str()).collect();
        let firsts: Vec<String> = firsts.iter().map(|c| c.0.to_string()).collect();
        self.audit
            .record(
                actor,
                "paths.course_rules",
                &format!("course:{}", course.0),
                &format!(
                    "required_for={} prerequisites={}",
                    tiers.join(","),
                    firsts.join(",")
                ),
            )
            .await
    }

    /// The rules as the course list shows them: each tier's required
    /// courses, and each course's prerequisites, by title.
    pub async fn rules_by_title(
        &self,
    ) -> Result<(HashMap<Tier, Vec<String>>, HashMap<CourseId, Vec<String>>)> {
        let r = self.reference().await?;
        let title = |id: &CourseId| r.catalogue.title(*id);
        let required = r
            .catalogue
            .required
            .iter()
            .map(|(t, cs)| (*t, cs.iter().map(title).collect()))
            .collect();
        let firsts = r
            .catalogue
            .prerequisites
            .iter()
            .map(|(c, ps)| (*c, ps.iter().map(title).collect()))
            .collect();
        Ok((required, firsts))
    }

    /// A course's rules as its page shows them, from the reference data
    /// (at most [`REFERENCE_TTL`] old; cleared by a change through this
    /// server): the tiers requiring it, its prerequisites and every other
    /// course, each course with its title.
    pub async fn course_rules_titled(&self, course: CourseId) -> Result<CourseRulesView> {
        let r = self.reference().await?;
        let c = &r.catalogue;
        let mut required_for: Vec<Tier> = c
            .required
            .iter()
            .filter(|(_, courses)| courses.contains(&course))
            .map(|(t, _)| *t)
            .collect();
        required_for.sort_by_key(|t| t.as_str());
        let titled = |id: &CourseId| (*id, c.title(*id));
        Ok(CourseRulesView {
            required_for,
            prerequisites: c
                .prerequisites
                .get(&course)
                .into_iter()
                .flatten()
                .map(titled)
                .collect(),
            others: c
                .courses
                .iter()
                .filter(|x| x.id != course)
                .map(|x| (x.id, x.title.clone()))
                .collect(),
        })
    }

    /// A course's rules as they stand: (tiers requiring it, prerequisites).
    pub async fn course_rules(&self, course: CourseId) -> Result<(Vec<Tier>, Vec<CourseId>)> {
        let (required, prerequisites) = self.store.path_rules().await?;
        let tracks = self.curriculum.list_tracks().await?;
        let tiers = required
            .iter()
            .filter(|(_, c)| *c == course)
            .filter_map(|(t, _)| tracks.iter().find(|x| x.id == *t).map(|x| x.tier))
            .collect();
        let firsts = prerequisites
            .iter()
            .filter(|(c, _)| *c == course)
            .map(|(_, f)| *f)
            .collect();
        Ok((tiers, firsts))
    }
}
