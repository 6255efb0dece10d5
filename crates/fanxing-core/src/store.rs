//! The storage contract. One implementation serves SQLite and PostgreSQL
//! (crate `fanxing-store`); the domain only ever sees this trait.
//!
//! Methods are domain-level ("list the people this access allows"), never
//! generic CRUD, and every read of people or organisations takes an
//! [`Access`] so the scope travels into the SQL.

use async_trait::async_trait;
use serde::Serialize;

use crate::auth::{Access, Role, User};
use crate::error::Result;
use crate::model::{OrgDraft, OrgId, OrgKind, Organisation, Person, PersonId, Tier, UserId};
use crate::region::{Region, RegionCode, RegionLevel, RegionRange};

/// One page of a list, with the total that matched.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// Filters for the people list. `access` is the caller's scope and always
/// applies; `region` narrows within it.
#[derive(Debug, Clone)]
pub struct PeopleQuery {
    pub access: Access,
    pub text: Option<String>,
    pub region: Option<RegionRange>,
    pub tier: Option<Tier>,
    pub org_id: Option<OrgId>,
    pub offset: i64,
    pub limit: i64,
}

/// Filters for the organisation list.
#[derive(Debug, Clone)]
pub struct OrgQuery {
    pub access: Access,
    pub text: Option<String>,
    pub region: Option<RegionRange>,
    pub kind: Option<OrgKind>,
    pub offset: i64,
    pub limit: i64,
}

/// A person row as written: the ID number already encrypted, with its mask.
#[derive(Debug, Clone)]
pub struct PersonRow {
    pub name: String,
    pub mobile: String,
    pub id_number_enc: Option<Vec<u8>>,
    pub id_number_masked: Option<String>,
    /// A keyed hash of the ID number ([`crate::security::FieldCipher::id_number_key`]),
    /// for finding its holder without decrypting.
    pub id_number_key: Option<String>,
    pub tier: Tier,
    pub org_id: Option<OrgId>,
    pub region: RegionCode,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub region: Option<RegionCode>,
    pub person_id: Option<PersonId>,
    pub org_id: Option<OrgId>,
}

/// People and organisations counted for one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionCount {
    pub code: RegionCode,
    pub name: String,
    pub people: i64,
    pub orgs: i64,
}

/// What a session token resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionLookup {
    Valid(User),
    Expired,
    Missing,
}

/// One line of the audit log: who did what to which record, and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: i64,
    pub user_id: Option<UserId>,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[async_trait]
pub trait Store:
    TrainingStore + CurriculumStore + AnalyticsStore + AccountStore + Send + Sync + 'static
{
    /// Which backend this is (`sqlite` or `postgres`), for logs and health.
    fn backend(&self) -> &'static str;

    // Regions.
    async fn upsert_regions(&self, regions: &[Region]) -> Result<usize>;
    async fn list_regions(
        &self,
        level: Option<RegionLevel>,
        parent: Option<RegionCode>,
    ) -> Result<Vec<Region>>;
    async fn get_region(&self, code: RegionCode) -> Result<Option<Region>>;

    // Organisations.
    async fn insert_org(&self, org: &OrgDraft, now: i64) -> Result<OrgId>;
    async fn insert_orgs_bulk(&self, orgs: &[OrgDraft], now: i64) -> Result<Vec<OrgId>>;
    async fn update_org(&self, id: OrgId, org: &OrgDraft, now: i64) -> Result<()>;
    async fn get_org(&self, access: Access, id: OrgId) -> Result<Option<Organisation>>;
    async fn list_orgs(&self, query: &OrgQuery) -> Result<Page<Organisation>>;

    // People.
    /// Fails with `Error::Conflict` on `mobile` when the number is taken.
    async fn insert_person(&self, person: &PersonRow, now: i64) -> Result<PersonId>;
    async fn insert_people_bulk(&self, people: &[PersonRow], now: i64) -> Result<()>;
    async fn update_person(&self, id: PersonId, person: &PersonRow, now: i64) -> Result<()>;
    async fn get_person(&self, access: Access, id: PersonId) -> Result<Option<Person>>;
    /// People holding these ID-number keys, in any region: (key, id, region).
    /// For refusing a second holder; never shown to the caller.
    async fn people_by_id_keys(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, PersonId, RegionCode)>>;
    /// Up to `limit` people with an encrypted ID number but no key yet
    /// (rows from before keys existed): (id, encrypted number).
    async fn people_without_id_key(&self, limit: i64) -> Result<Vec<(PersonId, Vec<u8>)>>;
    /// Stores ID-number keys computed for existing rows.
    async fn set_id_number_keys(&self, keys: &[(PersonId, String)]) -> Result<()>;
    /// The encrypted ID number of a person in scope (outer `None`: no such person).
    async fn get_person_id_number(
        &self,
        access: Access,
        id: PersonId,
    ) -> Result<Option<Option<Vec<u8>>>>;
    async fn list_people(&self, query: &PeopleQuery) -> Result<Page<Person>>;
    async fn count_people(&self) -> Result<i64>;

    /// People and organisations per child region of `parent` (cities of a
    /// province, counties and zones of a city), each child's whole subtree.
    async fn count_by_child_region(&self, parent: RegionCode) -> Result<Vec<RegionCount>>;

    // Accounts.
    async fn insert_user(&self, user: &NewUser) -> Result<UserId>;
    async fn get_user(&self, id: UserId) -> Result<Option<User>>;
    /// Finds an enabled account by username or by its person's mobile
    /// number, with its password hash.
    async fn find_user_for_login(
        &self,
        username: &str,
        mobile: Option<&str>,
    ) -> Result<Option<(User, String)>>;
    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>>;

    // Sessions and tokens (only hashes are stored).
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: UserId,
        now: i64,
        expires_at: i64,
    ) -> Result<()>;
    async fn session_user(&self, token_hash: &str, now: i64) -> Result<SessionLookup>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// The user of an API token that is neither expired nor revoked.
    async fn api_token_user(&self, token_hash: &str, now: i64) -> Result<Option<User>>;

    // Audit.
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
    async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEntry>>;
}

// ---- Training operations ---------------------------------------------------

use crate::training::{
    ActualRow, CourseId, Programme, ProgrammeId, RegisterOutcome, Registration, RegistrationId,
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
#[derive(Debug, Clone, Default)]
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
    /// Inserts many sessions in one transaction (demo data, imports).
    async fn insert_sessions_bulk(
        &self,
        sessions: &[NewSession],
        now: i64,
    ) -> Result<Vec<(SessionId, Vec<VenueId>)>>;
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
    /// A venue with its session and whether `user` is on its staff, in one
    /// read (the check-in path).
    async fn venue_and_session(
        &self,
        id: VenueId,
        user: UserId,
    ) -> Result<Option<(Venue, Session, bool)>>;
    async fn assign_venue_staff(&self, venue: VenueId, user: UserId) -> Result<()>;
    async fn staff_venues(&self, user: UserId) -> Result<Vec<VenueId>>;

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
    /// Registrations with their people's names and tiers, in one read per
    /// batch of scans (the check-in path); unknown ids are left out.
    async fn checkin_targets(
        &self,
        ids: &[RegistrationId],
    ) -> Result<Vec<(Registration, String, Tier)>>;
    async fn registration_for(
        &self,
        session: SessionId,
        person: PersonId,
    ) -> Result<Option<Registration>>;
    async fn person_registrations(&self, person: PersonId) -> Result<Vec<MyRegistration>>;
    async fn roster(&self, session: SessionId) -> Result<Vec<RosterEntry>>;
    async fn insert_registrations_bulk(&self, rows: &[RegistrationRow]) -> Result<()>;

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
        after_id: i64,
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
    /// Records on-site (or online, by venue) attendance for registered
    /// people of a session in bulk (demo data and back-filled records).
    async fn mark_attended(&self, session: SessionId, people: &[PersonId], at: i64) -> Result<u64>;
    /// `mark_attended` for many sessions in one transaction.
    async fn mark_attended_many(&self, items: &[(SessionId, Vec<PersonId>, i64)]) -> Result<u64>;
    /// Attendances of a session (total, on site, online).
    async fn attendance_counts(&self, session: SessionId) -> Result<(i64, i64, i64)>;

    async fn notify(&self, people: &[PersonId], message: &str, now: i64) -> Result<()>;
    async fn notifications(&self, person: PersonId, limit: i64) -> Result<Vec<(i64, String)>>;
}

// ---- Curriculum ------------------------------------------------------------

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
    /// the programme who hold no certificate for the track yet.
    async fn qualifying_people(
        &self,
        programme: i64,
        track: i64,
        tier: Tier,
        required: i64,
    ) -> Result<Vec<PersonId>>;
    /// Inserts certificates `(number, person, track, programme)`; an
    /// existing (person, track, programme) is left alone.
    async fn insert_certificates(
        &self,
        rows: &[(String, PersonId, i64, i64)],
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

// ---- Analytics -------------------------------------------------------------------

use crate::analytics::{
    ImportOutcome, LiveSessionRow, Platform, Provenance, Room, RoomDraft, RoomId, StatGroup,
    StatLine, Sums,
};

/// Which rooms a list shows: a region range, or the rooms a person runs.
#[derive(Debug, Clone, Copy)]
pub enum RoomScope {
    Regions(RegionRange),
    Operator(PersonId),
}

/// The import's file, for its record.
#[derive(Debug, Clone)]
pub struct ImportMeta {
    pub platform: Platform,
    pub provenance: Provenance,
    pub filename: String,
    pub user_id: Option<UserId>,
    pub at: i64,
}

/// Which rooms form a peer group, over which months.
#[derive(Debug, Clone)]
pub struct PeerQuery {
    pub range: RegionRange,
    pub industry: Option<String>,
    pub size_tier: Option<crate::analytics::SizeTier>,
    pub provenance: Provenance,
    pub from_month: i64,
    pub to_month: i64,
}

/// A room in the impact panel.
#[derive(Debug, Clone)]
pub struct ImpactRoom {
    pub id: RoomId,
    pub industry: String,
    pub region: RegionCode,
    /// When its operators were first trained (Unix seconds).
    pub trained_at: Option<i64>,
}

/// A weekly sum the impact panel may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeekField {
    Sessions,
    Views,
    Viewers,
    Buyers,
    GmvFen,
}

/// Filters for province statistics.
#[derive(Debug, Clone, Copy)]
pub struct StatQuery {
    pub range: RegionRange,
    pub provenance: Provenance,
    /// Months `YYYYMM`, inclusive.
    pub from_month: i64,
    pub to_month: i64,
    pub group: StatGroup,
}

#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// `Error::Conflict` on `account_id` when the platform has that account.
    async fn insert_room(&self, room: &RoomDraft, now: i64) -> Result<RoomId>;
    /// Replaces a room's operators, in one transaction.
    async fn set_room_operators(&self, room: RoomId, operators: &[PersonId]) -> Result<()>;
    /// Inserts rooms (with their operators) in one transaction; ids in order.
    async fn insert_rooms_bulk(&self, rooms: &[RoomDraft], now: i64) -> Result<Vec<RoomId>>;
    /// Operators who attended training: (person, first day attended
    /// `YYYYMMDD` in Beijing time, region).
    async fn trained_operators(&self) -> Result<Vec<crate::analytics_demo::Trainee>>;
    async fn get_room(&self, id: RoomId) -> Result<Option<Room>>;
    /// Rooms in `scope` whose name or account contains `text` (all when
    /// `None`), by id.
    async fn list_rooms(
        &self,
        scope: RoomScope,
        text: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Page<Room>>;
    /// Rooms of `platform` with these account ids.
    async fn rooms_by_account(&self, platform: Platform, accounts: &[String]) -> Result<Vec<Room>>;
    /// Writes the sessions of one file in one transaction: a session already
    /// stored (same platform and platform session id) is left as it is, and
    /// the rollups grow by the new sessions only.
    /// `rooms` holds every room the rows name.
    async fn import_live_sessions(
        &self,
        meta: &ImportMeta,
        rooms: &[Room],
        rows: &[(RoomId, LiveSessionRow)],
    ) -> Result<ImportOutcome>;
    /// A room's sums over days `YYYYMMDD` (inclusive), from its sessions.
    async fn room_sums(
        &self,
        room: RoomId,
        provenance: Provenance,
        from_day: i64,
        to_day: i64,
    ) -> Result<Sums>;
    /// A room's sums per day, for trends.
    async fn room_days(
        &self,
        room: RoomId,
        provenance: Provenance,
        from_day: i64,
        to_day: i64,
    ) -> Result<Vec<(i64, Sums)>>;
    /// Each room's sums over months, for rooms matching a peer filter.
    async fn peer_sums(&self, q: &PeerQuery) -> Result<Vec<(RoomId, Sums)>>;
    /// Every room in `range` with its weekly sums (one provenance), for the
    /// impact panel: the rooms (industry, region, when their operators were
    /// first trained), the Monday that starts the first week with data
    /// (days since 1970-01-01, Beijing time; `None` without data), and
    /// (room, week since that day, sums) rows in which only `fields` are
    /// filled (the rest 0): a province has millions of room-weeks.
    async fn impact_panel(
        &self,
        range: RegionRange,
        provenance: Provenance,
        fields: &[WeekField],
    ) -> Result<(Vec<ImpactRoom>, Option<i64>, Vec<(RoomId, i64, Sums)>)>;
    /// Province statistics from the monthly rollup.
    async fn region_stats(&self, q: &StatQuery) -> Result<Vec<StatLine>>;
}

// ---- Accounts and log-in ---------------------------------------------------

/// What the throttle needs to know about earlier attempts (failed or still
/// being checked), not counting the attempt being decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttemptCounts {
    /// This account (or canonical log-in name) from this address, since
    /// the pair window began.
    pub pair: i64,
    pub pair_last: Option<i64>,
    /// This account from any address, since the wide window began.
    pub account: i64,
    pub account_oldest: Option<i64>,
    /// Any account from this address, since the wide window began.
    pub addr: i64,
    pub addr_oldest: Option<i64>,
}

/// Failed log-ins of one account from one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureSummary {
    pub user_id: UserId,
    pub addr: String,
    /// Since the pair window began.
    pub failures: i64,
    pub last: i64,
    /// Since the wide window began.
    pub recent: i64,
}

/// Which accounts an office's list shows.
#[derive(Debug, Clone)]
pub struct AccountQuery {
    /// Accounts whose region (their own, their person's or their
    /// organisation's) lies here; `None`: every account.
    pub range: Option<RegionRange>,
    /// Only these roles.
    pub roles: Vec<Role>,
    /// Part of the username or display name.
    pub text: Option<String>,
    pub limit: i64,
}

/// An account as an office's list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountRow {
    pub user: User,
    /// The account's own region, else its person's, else its organisation's.
    pub region: Option<RegionCode>,
    pub region_name: Option<String>,
    pub disabled: bool,
}

/// An API token as its owner (or the CLI) sees it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiTokenRow {
    pub id: i64,
    pub user_id: UserId,
    pub label: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Records an attempt as being checked and returns its id.
    async fn begin_login_attempt(
        &self,
        account_key: &str,
        user_id: Option<UserId>,
        addr: &str,
        at: i64,
    ) -> Result<i64>;
    /// Counts the other attempts (failed or being checked) that bear on
    /// attempt `id`: same pair since `pair_since`; same account and same
    /// address since `wide_since`.
    async fn login_attempt_counts(
        &self,
        id: i64,
        account_key: &str,
        addr: &str,
        pair_since: i64,
        wide_since: i64,
    ) -> Result<AttemptCounts>;
    /// Marks an attempt as failed.
    async fn fail_login_attempt(&self, id: i64) -> Result<()>;
    /// Forgets one attempt (refused before its password was checked).
    async fn drop_login_attempt(&self, id: i64) -> Result<()>;
    /// Forgets the failures of a pair (after a successful log-in).
    async fn clear_pair_failures(&self, account_key: &str, addr: &str) -> Result<()>;
    /// Forgets every failure of an account (an office lifts its lock).
    /// Returns how many there were.
    async fn clear_user_failures(&self, user_id: UserId) -> Result<u64>;
    /// Forgets attempts older than `before`.
    async fn purge_login_attempts(&self, before: i64) -> Result<()>;
    /// Failures per (account, address) of these accounts since `since`.
    async fn failure_summaries(
        &self,
        users: &[UserId],
        since: i64,
        recent_since: i64,
    ) -> Result<Vec<FailureSummary>>;

    // Known devices.
    async fn add_known_device(&self, user_id: UserId, token_hash: &str, now: i64) -> Result<()>;
    /// Whether the device token is known for this user (seen since
    /// `seen_since`); touches it when it is.
    async fn touch_known_device(
        &self,
        user_id: UserId,
        token_hash: &str,
        seen_since: i64,
        now: i64,
    ) -> Result<bool>;
    async fn forget_known_devices(&self, user_id: UserId) -> Result<()>;

    // Accounts.
    async fn password_hash(&self, user_id: UserId) -> Result<Option<String>>;
    async fn set_password_hash(&self, user_id: UserId, hash: &str) -> Result<()>;
    /// Ends the user's sessions except the one with `keep` as its hash.
    async fn end_sessions(&self, user_id: UserId, keep: Option<&str>) -> Result<u64>;
    async fn set_user_disabled(&self, user_id: UserId, disabled: bool) -> Result<()>;
    async fn list_accounts(&self, q: &AccountQuery) -> Result<Vec<AccountRow>>;
    async fn get_account(&self, user_id: UserId) -> Result<Option<AccountRow>>;

    // API tokens.
    async fn insert_api_token(
        &self,
        token_hash: &str,
        user_id: UserId,
        label: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<i64>;
    async fn list_api_tokens(&self, user_id: UserId) -> Result<Vec<ApiTokenRow>>;
    async fn get_api_token(&self, id: i64) -> Result<Option<ApiTokenRow>>;
    /// Revokes a token that is not revoked yet; whether one was.
    async fn revoke_api_token(&self, id: i64, now: i64) -> Result<bool>;
}
