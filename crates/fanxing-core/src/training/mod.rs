//! Training operations: programmes and their cascaded targets, sessions
//! delivered at a main venue, sub-venues and online, registrations with a
//! waitlist, and the rules that decide eligibility and person-times.
//!
//! A person-time (人次) is one attendance per person per session, whatever
//! the venue or mode. It counts towards the region of the venue where it
//! happened (for online attendance, the online venue's region), so the
//! province's figure is exactly the sum of its cities'.

pub mod checkin;
pub mod roster;
pub mod service;
pub mod store;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{FieldError, FieldErrors};
use crate::people::{PersonId, Tier};
use crate::region::{Region, RegionCode, RegionLevel};
use crate::values::required_text;

id_type! {
    /// A row of `programmes`.
    ProgrammeId
}
id_type! {
    /// A row of `sessions`.
    SessionId
}
id_type! {
    /// A row of `venues` (a session's hall or online stream).
    VenueId
}
id_type! {
    /// A row of `registrations` (a person's place at a session).
    RegistrationId
}
id_type! {
    /// A row of `courses` in the curriculum.
    CourseId
}

choice_enum! {
    /// Where a session is in its life.
    SessionStatus {
        Draft = "draft" => "status.draft",
        Published = "published" => "status.published",
        UnderWay = "under_way" => "status.under_way",
        Closed = "closed" => "status.closed",
        Cancelled = "cancelled" => "status.cancelled",
    }
}

choice_enum! {
    /// A session's delivery points.
    VenueKind {
        Main = "main" => "venue.main",
        Sub = "sub" => "venue.sub",
        Online = "online" => "venue.online",
    }
}

choice_enum! {
    RegistrationStatus {
        Registered = "registered" => "reg.registered",
        Waitlisted = "waitlisted" => "reg.waitlisted",
        Cancelled = "cancelled" => "reg.cancelled",
    }
}

choice_enum! {
    AttendanceMode {
        Onsite = "onsite" => "mode.onsite",
        Online = "online" => "mode.online",
    }
}

/// Check-in opens this long before a session starts.
pub const CHECKIN_OPENS_BEFORE_SECS: i64 = 3 * 3600;
/// Default share of an online session a viewer must be present for.
pub const DEFAULT_ONLINE_SHARE: i64 = 60;
/// China has had no daylight saving time since 1991: Asia/Shanghai is UTC+8.
pub const SHANGHAI_OFFSET_SECS: i64 = 8 * 3600;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Programme {
    pub id: ProgrammeId,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    /// The issuing authority printed on the programme's certificates
    /// (发证单位); the programme's name unless the programme office sets it.
    pub issuer: String,
}

/// The longest issuing authority's name, in characters (a full official
/// name such as 江苏省商务厅 繁星计划办公室 is well under it).
pub const ISSUER_MAX: usize = 60;

/// The largest target a region may be given, for sessions or person-times:
/// far above any province's plan (1,160 sessions, 67,500 person-times), and
/// small enough that the targets of every region and tier add up without
/// overflow.
pub const TARGET_MAX: i64 = 100_000_000;
/// The most target rows one request may set.
pub const TARGET_ROWS_MAX: usize = 20_000;

/// One target: for a region, a tier (`None`: all tiers together).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub region: RegionCode,
    pub tier: Option<Tier>,
    pub sessions: i64,
    pub attendances: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    pub id: SessionId,
    pub programme_id: ProgrammeId,
    pub course_id: Option<CourseId>,
    pub title: String,
    /// The organising office's region.
    pub region: RegionCode,
    pub region_name: String,
    /// Where the session counts: its main venue's region (or the online one).
    pub count_region: RegionCode,
    pub tier: Option<Tier>,
    pub eligible_tiers: Vec<Tier>,
    pub eligible_region: Option<RegionCode>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub reg_opens_at: i64,
    pub reg_closes_at: i64,
    pub online_min_share: i64,
    pub status: SessionStatus,
    pub public_key: String,
    pub notice: Option<String>,
    pub closed_at: Option<i64>,
}

impl Session {
    pub fn is_open_for_registration(&self, now: i64) -> bool {
        self.status == SessionStatus::Published
            && now >= self.reg_opens_at
            && now <= self.reg_closes_at
    }

    /// Whether check-in is allowed at `now`.
    pub fn checkin_open(&self, now: i64) -> bool {
        matches!(
            self.status,
            SessionStatus::Published | SessionStatus::UnderWay
        ) && now >= self.starts_at - CHECKIN_OPENS_BEFORE_SECS
            && now <= self.ends_at + 3600 * 12
    }

    /// Why `tier`/`region` may not register, as an i18n key, or `None`.
    pub fn ineligibility(&self, tier: Tier, region: RegionCode) -> Option<&'static str> {
        if !self.eligible_tiers.is_empty() && !self.eligible_tiers.contains(&tier) {
            return Some("reg.not_eligible_tier");
        }
        if let Some(r) = self.eligible_region {
            if !r.subtree().contains(region) {
                return Some("reg.not_eligible_region");
            }
        }
        None
    }

    pub fn duration_minutes(&self) -> i64 {
        ((self.ends_at - self.starts_at) / 60).max(1)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Venue {
    pub id: VenueId,
    pub session_id: SessionId,
    pub kind: VenueKind,
    pub name: String,
    pub address: String,
    pub region: RegionCode,
    pub capacity: i64,
    pub stream_url: Option<String>,
}

impl Venue {
    /// The stream link, if it is one that may be offered to viewers (links
    /// stored before [`is_stream_url`] was enforced are not).
    pub fn safe_stream_url(&self) -> Option<&str> {
        self.stream_url.as_deref().filter(|u| is_stream_url(u))
    }
}

/// A venue with its live numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VenueLoad {
    #[serde(flatten)]
    pub venue: Venue,
    pub registered: i64,
    pub waitlisted: i64,
    pub attended: i64,
}

impl VenueLoad {
    pub fn seats_left(&self) -> i64 {
        (self.venue.capacity - self.registered).max(0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registration {
    pub id: RegistrationId,
    pub session_id: SessionId,
    pub person_id: PersonId,
    pub venue_id: VenueId,
    pub status: RegistrationStatus,
    pub waitlist_pos: Option<i64>,
    pub created_at: i64,
    pub promoted_at: Option<i64>,
}

/// What a registration attempt produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegisterOutcome {
    pub registration: Registration,
    /// True when the venue was full and the person joined its waitlist.
    pub waitlisted: bool,
}

/// Picks the venue to suggest to a person: a physical venue in their county,
/// else in their city, else the main venue, else online.
pub fn suggest_venue(venues: &[VenueLoad], person_region: RegionCode) -> Option<&VenueLoad> {
    let physical = || venues.iter().filter(|v| v.venue.kind != VenueKind::Online);
    physical()
        .find(|v| v.venue.region == person_region && v.seats_left() > 0)
        .or_else(|| {
            physical().find(|v| v.venue.region.city() == person_region.city() && v.seats_left() > 0)
        })
        .or_else(|| physical().find(|v| v.venue.kind == VenueKind::Main && v.seats_left() > 0))
        .or_else(|| {
            venues
                .iter()
                .find(|v| v.venue.kind == VenueKind::Online && v.seats_left() > 0)
        })
        .or_else(|| physical().find(|v| v.venue.region.city() == person_region.city()))
        .or_else(|| venues.first())
}

// ---- Time -----------------------------------------------------------------

/// Parses `YYYY-MM-DD HH:MM` (or with `T`, as HTML `datetime-local` sends it)
/// in Beijing time to Unix seconds.
pub fn parse_local_datetime(s: &str) -> Option<i64> {
    let s = s.trim().replace('T', " ");
    let (date, time) = s.split_once(' ')?;
    let d = parse_date(date)?;
    // `HH:MM` or `HH:MM:SS`, nothing after: a zone letter or offset here
    // would otherwise be dropped and the time taken as Beijing time.
    let mut hm = time.split(':');
    let h: i64 = hm.next()?.parse().ok()?;
    let m: i64 = hm.next()?.parse().ok()?;
    let sec: i64 = match hm.next() {
        Some(x) => x.parse().ok()?,
        None => 0,
    };
    if hm.next().is_some()
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..60).contains(&sec)
    {
        return None;
    }
    Some(d + h * 3600 + m * 60 + sec)
}

/// Parses `YYYY-MM-DD` as midnight Beijing time, in Unix seconds.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().split('-');
    let y: i32 = it.next()?.parse().ok()?;
    let mo: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    let date = time::Date::from_calendar_date(y, time::Month::try_from(mo).ok()?, d).ok()?;
    let utc_midnight = date.midnight().assume_utc().unix_timestamp();
    Some(utc_midnight - SHANGHAI_OFFSET_SECS)
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM` Beijing time.
pub fn format_local(ts: impl std::borrow::Borrow<i64>) -> String {
    match time::OffsetDateTime::from_unix_timestamp(ts.borrow() + SHANGHAI_OFFSET_SECS) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute()
        ),
        Err(_) => String::new(),
    }
}

/// Formats Unix seconds as `HH:MM` Beijing time.
pub fn format_local_time(ts: impl std::borrow::Borrow<i64>) -> String {
    format_local(ts).split(' ').nth(1).unwrap_or("").to_string()
}

// ---- Session input ----------------------------------------------------------

/// A venue as submitted.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VenueInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub capacity: i64,
    #[serde(default)]
    pub stream_url: Option<String>,
}

/// A session as submitted (times in Beijing time, `YYYY-MM-DD HH:MM`).
#[derive(Debug, Clone, Deserialize)]
pub struct SessionInput {
    pub programme_id: ProgrammeId,
    #[serde(default)]
    pub course_id: Option<CourseId>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub eligible_tiers: Vec<String>,
    #[serde(default)]
    pub eligible_region: Option<String>,
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
    #[serde(default)]
    pub reg_opens_at: Option<String>,
    #[serde(default)]
    pub reg_closes_at: Option<String>,
    #[serde(default)]
    pub online_min_share: Option<i64>,
    #[serde(default)]
    pub venues: Vec<VenueInput>,
}

/// The most venues one session may have (a main hall, a hall per city and
/// county, and the online stream fit many times over).
pub const MAX_VENUES: usize = 200;
/// The longest stream link accepted.
pub const STREAM_URL_MAX: usize = 500;

/// Whether `url` may be offered to viewers as a stream link: an absolute
/// `http`/`https` address with a host, of bounded length, with no spaces
/// or control characters (so never `javascript:` or `data:`).
pub fn is_stream_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    url.len() <= STREAM_URL_MAX
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && rest.is_some_and(|r| {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !host.starts_with('@')
        })
}

/// A validated venue.
#[derive(Debug, Clone, PartialEq)]
pub struct VenueDraft {
    pub kind: VenueKind,
    pub name: String,
    pub address: String,
    pub region: RegionCode,
    pub capacity: i64,
    pub stream_url: Option<String>,
}

/// A validated session with its venues.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionDraft {
    pub programme_id: ProgrammeId,
    pub course_id: Option<CourseId>,
    pub title: String,
    pub region: RegionCode,
    pub count_region: RegionCode,
    pub tier: Option<Tier>,
    pub eligible_tiers: Vec<Tier>,
    pub eligible_region: Option<RegionCode>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub reg_opens_at: i64,
    pub reg_closes_at: i64,
    pub online_min_share: i64,
    pub venues: Vec<VenueDraft>,
}

impl SessionInput {
    /// Checks shapes and consistency: times in order, exactly one main venue
    /// or an online-only session, capacities positive, venues at city level
    /// or below (so that every person-time belongs to a city).
    pub fn validate(&self, now: i64) -> Result<SessionDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let title = required_text(&mut e, "title", &self.title, 100);
        let region = RegionCode::parse(&self.region);
        if region.is_none() {
            e.push(FieldError::new("region", "error.region_unknown"));
        }
        let tier = match self.tier.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => {
                let v = Tier::parse_label(t);
                if v.is_none() {
                    e.push(FieldError::new("tier", "error.choice"));
                }
                v
            }
        };
        let mut eligible_tiers = Vec::new();
        for t in &self.eligible_tiers {
            match Tier::parse_label(t) {
                Some(t) if !eligible_tiers.contains(&t) => eligible_tiers.push(t),
                Some(_) => {}
                None => e.push(FieldError::new("eligible_tiers", "error.choice")),
            }
        }
        let eligible_region = match self.eligible_region.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => {
                let v = RegionCode::parse(r);
                if v.is_none() {
                    e.push(FieldError::new("eligible_region", "error.region_unknown"));
                }
                v
            }
        };
        let time = |e: &mut FieldErrors, field: &'static str, v: &str| {
            let t = parse_local_datetime(v);
            if t.is_none() {
                e.push(FieldError::new(field, "error.datetime"));
            }
            t
        };
        let starts_at = time(&mut e, "starts_at", &self.starts_at);
        let ends_at = time(&mut e, "ends_at", &self.ends_at);
        if let (Some(s), Some(t)) = (starts_at, ends_at) {
            if t <= s {
                e.push(FieldError::new("ends_at", "error.ends_before_start"));
            }
        }
        let reg_opens_at = match self
            .reg_opens_at
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            Some(v) => time(&mut e, "reg_opens_at", v),
            None => Some(now),
        };
        let reg_closes_at = match self
            .reg_closes_at
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            Some(v) => time(&mut e, "reg_closes_at", v),
            None => starts_at,
        };
        if let (Some(o), Some(c)) = (reg_opens_at, reg_closes_at) {
            if c < o {
                e.push(FieldError::new("reg_closes_at", "error.ends_before_start"));
            }
        }
        if let (Some(c), Some(t)) = (reg_closes_at, ends_at) {
            if c > t {
                e.push(FieldError::new("reg_closes_at", "error.reg_after_end"));
            }
        }
        let online_min_share = self.online_min_share.unwrap_or(DEFAULT_ONLINE_SHARE);
        if !(1..=100).contains(&online_min_share) {
            e.push(FieldError::new("online_min_share", "error.percent"));
        }
        if self.venues.len() > MAX_VENUES {
            e.push(FieldError::new("venues", "error.venue_count").with("max", MAX_VENUES));
        }
        let mut venues = Vec::new();
        for (i, v) in self.venues.iter().take(MAX_VENUES).enumerate() {
            let before = e.0.len();
            let kind = VenueKind::parse(&v.kind);
            let name = v.name.trim().to_string();
            let region = RegionCode::parse(&v.region);
            if kind.is_none() {
                e.push(FieldError::new("venues", "error.venue_kind").with("n", i + 1));
            }
            if name.is_empty()
                || name.chars().count() > 100
                || crate::values::text_problem(&name, false).is_some()
            {
                e.push(FieldError::new("venues", "error.venue_name").with("n", i + 1));
            }
            if v.address.chars().count() > 200
                || crate::values::text_problem(v.address.trim(), false).is_some()
            {
                e.push(FieldError::new("venues", "error.venue_address").with("n", i + 1));
            }
            let stream_url = v
                .stream_url
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            if stream_url.is_some_and(|u| !is_stream_url(u)) {
                e.push(FieldError::new("venues", "error.venue_stream_url").with("n", i + 1));
            }
            match region {
                Some(r) if r.shape_level() != RegionLevel::Province => {}
                _ => e.push(FieldError::new("venues", "error.venue_region").with("n", i + 1)),
            }
            if v.capacity <= 0 || v.capacity > 1_000_000 {
                e.push(FieldError::new("venues", "error.venue_capacity").with("n", i + 1));
            }
            if kind == Some(VenueKind::Online)
                && v.stream_url
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or("")
                    .is_empty()
            {
                e.push(FieldError::new("venues", "error.venue_stream").with("n", i + 1));
            }
            if e.0.len() == before {
                if let (Some(kind), Some(region)) = (kind, region) {
                    venues.push(VenueDraft {
                        kind,
                        name,
                        address: v.address.trim().to_string(),
                        region,
                        capacity: v.capacity,
                        stream_url: stream_url.map(str::to_string),
                    });
                }
            }
        }
        let mains = venues.iter().filter(|v| v.kind == VenueKind::Main).count();
        let onlines = venues
            .iter()
            .filter(|v| v.kind == VenueKind::Online)
            .count();
        let subs = venues.iter().filter(|v| v.kind == VenueKind::Sub).count();
        if self.venues.is_empty()
            || mains > 1
            || onlines > 1
            || (mains == 0 && subs > 0)
            || (mains == 0 && onlines == 0)
        {
            e.push(FieldError::new("venues", "error.venue_layout"));
        }
        let count_region = venues
            .iter()
            .find(|v| v.kind == VenueKind::Main)
            .or_else(|| venues.iter().find(|v| v.kind == VenueKind::Online))
            .map(|v| v.region);
        match (
            region,
            starts_at,
            ends_at,
            reg_opens_at,
            reg_closes_at,
            count_region,
        ) {
            (
                Some(region),
                Some(starts_at),
                Some(ends_at),
                Some(reg_opens_at),
                Some(reg_closes_at),
                Some(count_region),
            ) if e.is_empty() => Ok(SessionDraft {
                programme_id: self.programme_id,
                course_id: self.course_id,
                title,
                region,
                count_region,
                tier,
                eligible_tiers,
                eligible_region,
                starts_at,
                ends_at,
                reg_opens_at,
                reg_closes_at,
                online_min_share,
                venues,
            }),
            _ => Err(e),
        }
    }
}

// ---- Progress ---------------------------------------------------------------

/// Sessions and attendances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub sessions: i64,
    pub attendances: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.sessions += o.sessions;
        self.attendances += o.attendances;
    }
}

/// Counts in total and per tier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TierCounts {
    pub total: Counts,
    pub by_tier: BTreeMap<&'static str, Counts>,
}

impl TierCounts {
    fn add(&mut self, tier: Option<Tier>, c: Counts) {
        self.total += c;
        if let Some(t) = tier {
            *self.by_tier.entry(t.as_str()).or_default() += c;
        }
    }

    fn filled() -> TierCounts {
        TierCounts {
            total: Counts::default(),
            by_tier: Tier::ALL
                .iter()
                .map(|t| (t.as_str(), Counts::default()))
                .collect(),
        }
    }
}

/// Actual counts for one region and tier, as the store aggregates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActualRow {
    pub region: RegionCode,
    pub tier: Option<Tier>,
    pub counts: Counts,
}

/// Targets and actuals for one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressNode {
    pub region: RegionCode,
    pub name: String,
    pub targets: TierCounts,
    pub actuals: TierCounts,
}

/// A region's progress and its children's, plus where the children's
/// allocations do not add up to the region's own target. Counts recorded at
/// the region's own level appear as one more child named "（本级）", so the
/// children's actuals always sum to the region's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub programme: Programme,
    #[serde(flatten)]
    pub node: ProgressNode,
    pub children: Vec<ProgressNode>,
    pub allocation_gaps: Vec<AllocationGap>,
}

/// The children of a region were allocated more or less than the region's own target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllocationGap {
    pub region: RegionCode,
    pub tier: Option<&'static str>,
    pub measure: &'static str,
    pub target: i64,
    pub allocated: i64,
}

fn node(region: &Region, targets: &[Target], actuals: &[ActualRow]) -> ProgressNode {
    let range = region.code.subtree();
    let mut t = TierCounts::filled();
    for row in targets.iter().filter(|r| r.region == region.code) {
        let c = Counts {
            sessions: row.sessions,
            attendances: row.attendances,
        };
        match row.tier {
            None => t.total = c,
            Some(tier) => {
                t.by_tier.insert(tier.as_str(), c);
            }
        }
    }
    let mut a = TierCounts::filled();
    for row in actuals.iter().filter(|r| range.contains(r.region)) {
        a.add(row.tier, row.counts);
    }
    ProgressNode {
        region: region.code,
        name: region.name.clone(),
        targets: t,
        actuals: a,
    }
}

/// Rolls actual counts up to `region` and each child (each child's whole
/// subtree), and compares allocations with the region's own targets.
pub fn progress(
    programme: Programme,
    region: &Region,
    children: &[Region],
    targets: &[Target],
    actuals: &[ActualRow],
) -> Progress {
    let me = node(region, targets, actuals);
    let mut kids: Vec<ProgressNode> = children.iter().map(|c| node(c, targets, actuals)).collect();
    // What happened at the region's own level (e.g. a city's own online
    // stream) belongs to no child: show it as its own line so the children
    // always add up to the parent.
    let mut own_level = TierCounts::filled();
    for row in actuals.iter().filter(|r| r.region == region.code) {
        own_level.add(row.tier, row.counts);
    }
    if !children.is_empty() && own_level.total != Counts::default() {
        kids.push(ProgressNode {
            region: region.code,
            name: format!("{}（本级）", region.name),
            targets: TierCounts::filled(),
            actuals: own_level,
        });
    }
    let mut gaps = Vec::new();
    let child_targets: Vec<&Target> = targets
        .iter()
        .filter(|t| children.iter().any(|c| c.code == t.region))
        .collect();
    if !child_targets.is_empty() {
        let mut tiers: Vec<Option<Tier>> = vec![None];
        tiers.extend(Tier::ALL.iter().map(|t| Some(*t)));
        for tier in tiers {
            // A tier nobody allocated below is not a mismatch: allocations
            // may be made for the total only.
            if !child_targets.iter().any(|t| t.tier == tier) {
                continue;
            }
            let own = targets
                .iter()
                .find(|t| t.region == region.code && t.tier == tier);
            let (s, a) = child_targets
                .iter()
                .filter(|t| t.tier == tier)
                .fold((0, 0), |(s, a), t| (s + t.sessions, a + t.attendances));
            if let Some(own) = own {
                for (measure, target, allocated) in [
                    ("sessions", own.sessions, s),
                    ("attendances", own.attendances, a),
                ] {
                    if target != allocated {
                        gaps.push(AllocationGap {
                            region: region.code,
                            tier: tier.map(|t| t.as_str()),
                            measure,
                            target,
                            allocated,
                        });
                    }
                }
            }
        }
    }
    Progress {
        programme,
        node: me,
        children: kids,
        allocation_gaps: gaps,
    }
}

// ---- Tickets ------------------------------------------------------------------

pub mod ticket {
    //! Signed QR ticket codes. A code carries the session, registration,
    //! venue and person, and an Ed25519 signature by the session's key, so a
    //! check-in device holding only the public key can tell real from forged.

    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
    use serde::Serialize;

    use super::{RegistrationId, SessionId, VenueId};
    use crate::people::PersonId;

    pub const PREFIX: &str = "FX1";

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    pub struct Claims {
        pub session_id: SessionId,
        pub registration_id: RegistrationId,
        pub venue_id: VenueId,
        pub person_id: PersonId,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TicketError {
        /// Not a Fanxing ticket, or cut short.
        Malformed,
        /// Well-formed but not signed by this session's key.
        Forged,
    }

    impl TicketError {
        pub fn key(self) -> &'static str {
            match self {
                TicketError::Malformed => "checkin.malformed",
                TicketError::Forged => "checkin.forged",
            }
        }
    }

    fn message(c: &Claims) -> String {
        format!(
            "{PREFIX}.{}.{}.{}.{}",
            c.session_id, c.registration_id, c.venue_id, c.person_id
        )
    }

    /// A fresh key pair: (secret seed, public key as URL-safe base64).
    pub fn new_keypair() -> ([u8; 32], String) {
        let seed = crate::security::random_bytes::<32>();
        let public = SigningKey::from_bytes(&seed).verifying_key();
        (seed, URL_SAFE_NO_PAD.encode(public.as_bytes()))
    }

    /// The ticket code for `claims`, signed with the session's secret seed.
    pub fn sign(seed: &[u8; 32], claims: &Claims) -> String {
        let msg = message(claims);
        let sig = SigningKey::from_bytes(seed).sign(msg.as_bytes());
        format!("{msg}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    /// Reads a code without checking the signature (to find its session).
    pub fn parse(code: &str) -> Result<(Claims, Signature), TicketError> {
        let parts: Vec<&str> = code.trim().split('.').collect();
        if parts.len() != 6 || parts[0] != PREFIX {
            return Err(TicketError::Malformed);
        }
        let num = |s: &str| s.parse::<i64>().map_err(|_| TicketError::Malformed);
        let claims = Claims {
            session_id: SessionId(num(parts[1])?),
            registration_id: RegistrationId(num(parts[2])?),
            venue_id: VenueId(num(parts[3])?),
            person_id: PersonId(num(parts[4])?),
        };
        let raw = URL_SAFE_NO_PAD
            .decode(parts[5])
            .map_err(|_| TicketError::Malformed)?;
        let bytes: [u8; 64] = raw.try_into().map_err(|_| TicketError::Malformed)?;
        Ok((claims, Signature::from_bytes(&bytes)))
    }

    /// Checks a code against a session's public key.
    pub fn verify(public_key: &str, code: &str) -> Result<Claims, TicketError> {
        let (claims, sig) = parse(code)?;
        let key_bytes: [u8; 32] = URL_SAFE_NO_PAD
            .decode(public_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(TicketError::Forged)?;
        let key = VerifyingKey::from_bytes(&key_bytes).map_err(|_| TicketError::Forged)?;
        key.verify(message(&claims).as_bytes(), &sig)
            .map_err(|_| TicketError::Forged)?;
        Ok(claims)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn signed_codes_verify_and_forgeries_do_not() {
            let (seed, public) = new_keypair();
            let c = Claims {
                session_id: SessionId(7),
                registration_id: RegistrationId(42),
                venue_id: VenueId(3),
                person_id: PersonId(99),
            };
            let code = sign(&seed, &c);
            assert!(code.starts_with("FX1.7.42.3.99."));
            assert_eq!(verify(&public, &code), Ok(c));
            // Changing any claim breaks the signature.
            let tampered = code.replacen("FX1.7.42.3.99", "FX1.7.43.3.99", 1);
            assert_eq!(verify(&public, &tampered), Err(TicketError::Forged));
            // Another session's key does not accept it.
            let (_, other) = new_keypair();
            assert_eq!(verify(&other, &code), Err(TicketError::Forged));
            // Garbled and truncated codes are malformed.
            assert_eq!(
                verify(&public, &code[..code.len() - 10]),
                Err(TicketError::Malformed)
            );
            assert_eq!(verify(&public, "hello"), Err(TicketError::Malformed));
            assert_eq!(verify(&public, ""), Err(TicketError::Malformed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn region(c: &str, name: &str, level: RegionLevel) -> Region {
        Region {
            code: code(c),
            name: name.into(),
            level,
            parent: None,
        }
    }

    #[test]
    fn beijing_time_round_trips() {
        let t = parse_local_datetime("2024-12-11 09:30").unwrap();
        assert_eq!(t, 1_733_880_600);
        assert_eq!(format_local(t), "2024-12-11 09:30");
        assert_eq!(parse_local_datetime("2024-12-11T09:30"), Some(t));
        assert_eq!(parse_local_datetime("2024-13-11 09:30"), None);
        assert_eq!(parse_local_datetime("2024-12-11 25:00"), None);
        assert_eq!(format_local_time(t), "09:30");
    }

    fn input() -> SessionInput {
        SessionInput {
            programme_id: ProgrammeId(1),
            course_id: None,
            title: "直播选品实战".into(),
            region: "320500".into(),
            tier: Some("operator".into()),
            eligible_tiers: vec!["operator".into()],
            eligible_region: None,
            starts_at: "2025-03-15 09:00".into(),
            ends_at: "2025-03-15 12:00".into(),
            reg_opens_at: None,
            reg_closes_at: None,
            online_min_share: None,
            venues: vec![
                VenueInput {
                    kind: "main".into(),
                    name: "苏州市会议中心".into(),
                    address: "苏州市姑苏区".into(),
                    region: "320508".into(),
                    capacity: 200,
                    stream_url: None,
                },
                VenueInput {
                    kind: "online".into(),
                    name: "线上直播".into(),
                    address: String::new(),
                    region: "320500".into(),
                    capacity: 1000,
                    stream_url: Some("https://live.example/1".into()),
                },
            ],
        }
    }

    #[test]
    fn session_input_validates_and_counts_at_the_main_venue() {
        let d = input().validate(0).unwrap();
        assert_eq!(d.count_region, code("320508"));
        assert_eq!(d.reg_closes_at, d.starts_at);
        assert_eq!(d.online_min_share, 60);
    }

    #[test]
    fn session_input_rejects_bad_layouts() {
        let mut i = input();
        i.ends_at = "2025-03-15 08:00".into();
        i.venues[0].capacity = 0;
        i.venues[1].stream_url = None;
        let e = i.validate(0).unwrap_err();
        let keys: Vec<_> = e.0.iter().map(|f| f.key).collect();
        assert!(keys.contains(&"error.ends_before_start"));
        assert!(keys.contains(&"error.venue_capacity"));
        assert!(keys.contains(&"error.venue_stream"));
        let mut i = input();
        i.venues[0].region = "320000".into();
        assert!(
            i.validate(0).is_err(),
            "venues must be at city level or below"
        );
        let mut i = input();
        i.venues.clear();
        assert!(i.validate(0).is_err());
    }

    #[test]
    fn progress_rolls_up_and_finds_allocation_gaps() {
        let province = region("320000", "江苏省", RegionLevel::Province);
        let cities = [
            region("320100", "南京市", RegionLevel::City),
            region("320500", "苏州市", RegionLevel::City),
        ];
        let targets = vec![
            Target {
                region: code("320000"),
                tier: None,
                sessions: 10,
                attendances: 100,
            },
            Target {
                region: code("320100"),
                tier: None,
                sessions: 4,
                attendances: 40,
            },
            Target {
                region: code("320500"),
                tier: None,
                sessions: 5,
                attendances: 60,
            },
        ];
        let actuals = vec![
            ActualRow {
                region: code("320102"),
                tier: Some(Tier::Operator),
                counts: Counts {
                    sessions: 1,
                    attendances: 30,
                },
            },
            ActualRow {
                region: code("320583"),
                tier: Some(Tier::Cadre),
                counts: Counts {
                    sessions: 2,
                    attendances: 7,
                },
            },
            ActualRow {
                region: code("320583"),
                tier: None,
                counts: Counts {
                    sessions: 1,
                    attendances: 0,
                },
            },
        ];
        let p = progress(
            Programme {
                id: ProgrammeId(1),
                name: "繁星计划".into(),
                starts_on: "2025-01-01".into(),
                ends_on: "2026-12-31".into(),
                issuer: "繁星计划".into(),
            },
            &province,
            &cities,
            &targets,
            &actuals,
        );
        assert_eq!(
            p.node.actuals.total,
            Counts {
                sessions: 4,
                attendances: 37
            }
        );
        let sum = p.children.iter().fold(Counts::default(), |mut a, c| {
            a += c.actuals.total;
            a
        });
        assert_eq!(sum, p.node.actuals.total);
        assert_eq!(
            p.children[1].actuals.by_tier["cadre"],
            Counts {
                sessions: 2,
                attendances: 7
            }
        );
        assert_eq!(
            p.node.targets.total,
            Counts {
                sessions: 10,
                attendances: 100
            }
        );
        // 4 + 5 sessions allocated against 10; 40 + 60 attendances match.
        assert_eq!(p.allocation_gaps.len(), 1);
        assert_eq!(p.allocation_gaps[0].measure, "sessions");
        assert_eq!(p.allocation_gaps[0].allocated, 9);
    }

    #[test]
    fn eligibility_and_venue_suggestion() {
        let d = input().validate(0).unwrap();
        let s = Session {
            id: SessionId(1),
            programme_id: ProgrammeId(1),
            course_id: None,
            title: d.title.clone(),
            region: d.region,
            region_name: String::new(),
            count_region: d.count_region,
            tier: d.tier,
            eligible_tiers: d.eligible_tiers.clone(),
            eligible_region: Some(code("320500")),
            starts_at: d.starts_at,
            ends_at: d.ends_at,
            reg_opens_at: 0,
            reg_closes_at: d.starts_at,
            online_min_share: 60,
            status: SessionStatus::Published,
            public_key: String::new(),
            notice: None,
            closed_at: None,
        };
        assert_eq!(s.ineligibility(Tier::Operator, code("320583")), None);
        assert_eq!(
            s.ineligibility(Tier::Cadre, code("320583")),
            Some("reg.not_eligible_tier")
        );
        assert_eq!(
            s.ineligibility(Tier::Operator, code("320102")),
            Some("reg.not_eligible_region")
        );
        assert!(s.is_open_for_registration(d.starts_at - 10));
        assert!(!s.is_open_for_registration(d.starts_at + 10));

        let venue = |id, kind, region: &str, capacity, registered| VenueLoad {
            venue: Venue {
                id,
                session_id: SessionId(1),
                kind,
                name: String::new(),
                address: String::new(),
                region: code(region),
                capacity,
                stream_url: None,
            },
            registered,
            waitlisted: 0,
            attended: 0,
        };
        let venues = vec![
            venue(VenueId(1), VenueKind::Main, "320102", 100, 0),
            venue(VenueId(2), VenueKind::Sub, "320583", 2, 0),
            venue(VenueId(3), VenueKind::Sub, "320508", 2, 2),
            venue(VenueId(4), VenueKind::Online, "320100", 10, 0),
        ];
        assert_eq!(
            suggest_venue(&venues, code("320583")).unwrap().venue.id,
            VenueId(2)
        );
        // Gusu's own venue is full: another venue in Suzhou before the main hall.
        assert_eq!(
            suggest_venue(&venues, code("320508")).unwrap().venue.id,
            VenueId(2)
        );
        assert_eq!(
            suggest_venue(&venues, code("321302")).unwrap().venue.id,
            VenueId(1)
        );
    }
}
