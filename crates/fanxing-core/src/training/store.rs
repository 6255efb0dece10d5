//! The training feature's storage contracts: programmes, targets,
//! sessions, venues, registrations and rosters ([`TrainingStore`]), and
//! check-in: scans, presence and attendances ([`CheckinStore`]).

use async_trait::async_trait;
use serde::Serialize;

use crate::error::Result;
use crate::people::store::PersonRow;
use crate::people::{OrgDraft, OrgId, PersonId, Tier, UserId};
use crate::region::{RegionCode, RegionRange};
use crate::store::Page;

use crate::training::{
    ActualRow, Programme, ProgrammeId, RegisterOutcome, Registration, RegistrationId,
    RegistrationStatus, Session, SessionDraft, SessionId, SessionStatus, Target, Venue, VenueId,
    VenueLoad,
};

/// Filters for the session list.
#[derive(Debug, Clone, Default)]
pub struct SessionQuery {
    pub programme_id: Option<ProgrammeId>,
    /// Sessions organised in, or with a venue in, this range.
    pub region: Option<RegionRange>,
    pub statuses: Vec<SessionStatus>,
    /// Only sessions ending after this time.
    pub ends_after: Option<i64>,
    /// Only sessions that ended at or before this time.
    pub ends_before: Option<i64>,
    /// Only sessions open to this tier (or to every tier).
    pub tier: Option<Tier>,
    /// Only sessions whose title contains this text.
    pub text: Option<String>,
    /// Latest first (past sessions) instead of soonest first.
    pub newest_first: bool,
    pub offset: i64,
    pub limit: i64,
}

/// One line of a session's roster, for offices and check-in devices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RosterEntry {
    pub registration_id: RegistrationId,
    pub person_id: PersonId,
    pub name: String,
    pub mobile: String,
    pub tier: Tier,
    /// The person's organisation (单位), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_name: Option<String>,
    pub venue_id: VenueId,
    pub status: RegistrationStatus,
    pub waitlist_pos: Option<i64>,
    pub attended_venue_id: Option<VenueId>,
    pub attended_at: Option<i64>,
}

/// A scan to record. `scan_id` is chosen by the device and makes retries
/// and duplicates from several devices harmless.
#[derive(Debug, Clone)]
pub struct ScanRecord {
    pub scan_id: String,
    pub device_id: String,
    pub method: String,
    pub scanned_at: i64,
    pub session_id: SessionId,
    pub programme_id: ProgrammeId,
    pub registration_id: RegistrationId,
    pub person_id: PersonId,
    pub venue_id: VenueId,
    pub tier: Tier,
    /// The region the person-time counts towards (the venue's).
    pub region: RegionCode,
}

/// What recording a scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ScanOutcome {
    /// This scan made the attendance.
    Accepted { venue_id: VenueId, at: i64 },
    /// The person had already attended (at that venue, at that time).
    Duplicate { venue_id: VenueId, at: i64 },
}

/// A registration row to write in bulk.
#[derive(Debug, Clone)]
pub struct RegistrationRow {
    pub session_id: SessionId,
    pub person_id: PersonId,
    pub venue_id: VenueId,
    pub status: RegistrationStatus,
    pub created_at: i64,
}

/// A trainee's registration with its session and venue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MyRegistration {
    pub registration: Registration,
    pub session: Session,
    pub venue: Venue,
    pub attended: bool,
}

/// A session to insert in bulk, with its signing key already encrypted.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub draft: SessionDraft,
    pub status: SessionStatus,
    pub signing_key_enc: Vec<u8>,
    pub public_key: String,
}

/// A stored person found by mobile, with what matching needs and nothing
/// more (never shown to a caller outside the person's scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPerson {
    pub mobile: String,
    pub id: PersonId,
    pub tier: Tier,
    pub region: RegionCode,
    pub name: String,
    pub id_number_key: Option<String>,
}

/// A person a roster refers to: one already stored, or one of the plan's
/// new people (by index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterPerson {
    Existing(PersonId),
    New(usize),
}

/// Where a roster row is seated: the venue the file names, or the one
/// [`crate::training::suggest_venue`] picks for the person's region from the
/// seats taken when the row is applied (committed registrations plus the
/// rows before it), the rule one registration follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seat {
    Venue(VenueId),
    Near(RegionCode),
}

/// Everything a roster import writes, checked beforehand, applied in one
/// transaction.
#[derive(Debug, Clone)]
pub struct RosterPlan {
    pub session: SessionId,
    /// Organisations named in the roster that do not exist yet.
    pub new_orgs: Vec<OrgDraft>,
    /// New people, each with its organisation: an existing id in the row,
    /// or an index into `new_orgs`.
    pub new_people: Vec<(PersonRow, Option<usize>)>,
    pub registrations: Vec<(RosterPerson, Seat)>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RosterOutcome {
    pub created: usize,
    pub matched: usize,
    pub registered: usize,
    pub waitlisted: usize,
    pub already: usize,
    pub created_orgs: usize,
    /// The worksheet that was read, for a workbook.
    pub sheet: Option<String>,
}

#[async_trait]
pub trait TrainingStore: Send + Sync {
    /// People with these mobile numbers, in any region (callers scope them).
    async fn people_by_mobiles(&self, mobiles: &[String]) -> Result<Vec<KnownPerson>>;
    /// Organisations with exactly these names: (name, id).
    async fn orgs_by_names(&self, names: &[String]) -> Result<Vec<(String, OrgId)>>;
    /// Applies a checked roster: all of it, or (on any error) none of it.
    async fn apply_roster(&self, plan: &RosterPlan, now: i64) -> Result<RosterOutcome>;

    async fn insert_programme(&self, p: &Programme, now: i64) -> Result<ProgrammeId>;
    async fn get_programme(&self, id: ProgrammeId) -> Result<Option<Programme>>;
    async fn list_programmes(&self) -> Result<Vec<Programme>>;
    /// Sets the issuing authority printed on a programme's certificates.
    async fn set_programme_issuer(&self, id: ProgrammeId, issuer: &str) -> Result<()>;
    /// Sets (inserts or replaces) targets of a programme.
    async fn upsert_targets(&self, programme: ProgrammeId, targets: &[Target]) -> Result<()>;
    async fn list_targets(&self, programme: ProgrammeId, range: RegionRange)
        -> Result<Vec<Target>>;
    /// Attendances per day (Unix day number) within `range`, oldest first.
    async fn attendances_by_day(
        &self,
        programme: ProgrammeId,
        range: RegionRange,
    ) -> Result<Vec<(i64, i64)>>;
    /// Held sessions and attendances per region and tier within `range`.
    async fn actuals(&self, programme: ProgrammeId, range: RegionRange) -> Result<Vec<ActualRow>>;

    /// Inserts a session and its venues in one transaction.
    async fn insert_session(
        &self,
        draft: &SessionDraft,
        status: SessionStatus,
        signing_key_enc: &[u8],
        public_key: &str,
        now: i64,
    ) -> Result<(SessionId, Vec<VenueId>)>;
    async fn get_session(&self, id: SessionId) -> Result<Option<Session>>;
    async fn session_signing_key(&self, id: SessionId) -> Result<Option<Vec<u8>>>;
    async fn list_sessions(&self, q: &SessionQuery) -> Result<Page<Session>>;
    async fn set_session_status(
        &self,
        id: SessionId,
        status: SessionStatus,
        notice: Option<&str>,
        now: i64,
    ) -> Result<()>;
    async fn session_venues(&self, session: SessionId) -> Result<Vec<VenueLoad>>;
    /// A session's venues without their counts (cheap).
    async fn venue_list(&self, session: SessionId) -> Result<Vec<Venue>>;
    async fn get_venue(&self, id: VenueId) -> Result<Option<Venue>>;

    /// Registers a person at a venue, or puts them on its waitlist when the
    /// venue is full, atomically. `Error::Conflict` when already registered.
    async fn register(
        &self,
        session: SessionId,
        person: PersonId,
        venue: VenueId,
        now: i64,
    ) -> Result<RegisterOutcome>;
    /// Cancels a registration; when it held a seat, promotes the first on
    /// that venue's waitlist and returns the promoted registration.
    async fn cancel_registration(
        &self,
        id: RegistrationId,
        now: i64,
    ) -> Result<Option<Registration>>;
    async fn get_registration(&self, id: RegistrationId) -> Result<Option<Registration>>;
    async fn registration_for(
        &self,
        session: SessionId,
        person: PersonId,
    ) -> Result<Option<Registration>>;
    async fn person_registrations(&self, person: PersonId) -> Result<Vec<MyRegistration>>;
    async fn roster(&self, session: SessionId) -> Result<Vec<RosterEntry>>;

    async fn notify(&self, people: &[PersonId], message: &str, now: i64) -> Result<()>;
    async fn notifications(&self, person: PersonId, limit: i64) -> Result<Vec<(i64, String)>>;
}

#[async_trait]
pub trait CheckinStore: Send + Sync {
    /// A venue with its session and whether `user` is on its staff, in one
    /// read (the check-in path).
    async fn venue_and_session(
        &self,
        id: VenueId,
        user: UserId,
    ) -> Result<Option<(Venue, Session, bool)>>;
    async fn assign_venue_staff(&self, venue: VenueId, user: UserId) -> Result<()>;
    async fn staff_venues(&self, user: UserId) -> Result<Vec<VenueId>>;
    /// Registrations with their people's names and tiers, in one read per
    /// batch of scans (the check-in path); unknown ids are left out.
    async fn checkin_targets(
        &self,
        ids: &[RegistrationId],
    ) -> Result<Vec<(Registration, String, Tier)>>;

    /// Records scans in order and returns their outcomes once committed;
    /// idempotent per `scan_id`, and at most one attendance per person per
    /// session whatever the device or venue. Concurrent calls may share one
    /// transaction (group commit).
    async fn record_scans(&self, scans: Vec<ScanRecord>, now: i64) -> Result<Vec<ScanOutcome>>;
    async fn record_presence(&self, registration: RegistrationId, minute: i64) -> Result<()>;
    /// Attendances of a programme counted in `range`, in registration id
    /// order after `after_id`, at most `limit` (keyset pages for streaming
    /// exports).
    async fn attendance_export_page(
        &self,
        programme: ProgrammeId,
        range: RegionRange,
        after_id: RegistrationId,
        limit: i64,
    ) -> Result<Vec<AttendanceExportRow>>;
    /// Online registrants present at or after `since_minute`.
    async fn online_now(&self, session: SessionId, since_minute: i64) -> Result<i64>;
    /// Turns online registrations present for at least `min_minutes` into
    /// attendances; returns how many were added.
    async fn finalise_online(&self, session: &Session, min_minutes: i64, now: i64) -> Result<i64>;
    /// Waits until every acknowledged scan is in the figures (scans held
    /// back while the database was busy); a session is closed after it.
    async fn settle_checkins(&self) -> Result<()> {
        Ok(())
    }
    /// Attendances of a session (total, on site, online).
    async fn attendance_counts(&self, session: SessionId) -> Result<(i64, i64, i64)>;
}

/// One attendance as the programme-wide export lists it.
#[derive(Debug, Clone)]
pub struct AttendanceExportRow {
    /// The attendance's registration: its key in keyset pages.
    pub registration_id: RegistrationId,
    pub session_title: String,
    pub starts_at: i64,
    pub venue_name: String,
    pub region_name: String,
    pub person_name: String,
    pub mobile: String,
    pub tier: Tier,
    pub mode: String,
    pub recorded_at: i64,
}
