//! An in-memory stand-in for every store contract, for unit tests of the
//! services' decision logic. Each method answers "not stubbed" unless a
//! test gives it data; what the services under test read is kept in the
//! fields below, and what they write is recorded there.

#![allow(clippy::too_many_arguments)]

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::analytics::store::*;
use crate::analytics::{
    ImportOutcome, LiveSessionRow, Platform, Provenance, Room, RoomDraft, RoomId, StatLine, Sums,
};
use crate::audit::{AuditEntry, AuditStore};
use crate::auth::{Access, User};
use crate::curriculum::store::*;
use crate::curriculum::{Competency, Course, CourseDraft, Material, Track};
use crate::error::{Error, Result};
use crate::matching::pipeline::AppState;
use crate::matching::rules::Rule;
use crate::matching::store::*;
use crate::matching::Fact;
use crate::people::store::*;
use crate::people::{OrgDraft, OrgId, Organisation, Person, PersonId, Tier, UserId};
use crate::region::{Region, RegionCode, RegionLevel, RegionRange};
use crate::store::Page;
use crate::training::store::*;
use crate::training::{
    ActualRow, CourseId, Programme, ProgrammeId, RegisterOutcome, Registration, RegistrationId,
    Session, SessionDraft, SessionId, SessionStatus, Target, Venue, VenueId, VenueLoad,
};

fn unstubbed(name: &str) -> Error {
    Error::Message(format!("fake store: {name} is not stubbed"))
}

/// The fake. Fill the fields a test needs; the rest answer an error.
#[derive(Default)]
pub struct Fake {
    pub regions: Vec<Region>,
    pub rooms: Vec<Room>,
    /// Peer sums by (region range start, whether by industry, whether by
    /// size tier): what `peer_sums` answers for such a query.
    pub peers: HashMap<(u32, bool, bool), Vec<(RoomId, Sums)>>,
    /// The peer queries asked, in order.
    pub peer_queries: Mutex<Vec<PeerQuery>>,
    /// Venues with their session and the staff allowed there.
    pub venues: Vec<(Venue, Session, Vec<UserId>)>,
    /// How many times `venue_and_session` was asked.
    pub venue_reads: std::sync::atomic::AtomicUsize,
    /// Sessions' secret signing keys.
    pub signing_keys: HashMap<SessionId, Vec<u8>>,
    /// Registrations with their person's name and tier.
    pub registrations: Vec<(Registration, String, Tier)>,
    /// Scans that reached the store, and the outcome each gets.
    pub scans: Mutex<Vec<ScanRecord>>,
    pub scan_outcome: Option<fn(&ScanRecord) -> ScanOutcome>,
    pub audit: Mutex<Vec<AuditEntry>>,
    /// Log-in sessions by token hash: the user and when the session ends.
    pub sessions: Mutex<HashMap<String, (User, i64)>>,
    /// How many times `session_user` was asked.
    pub session_reads: std::sync::atomic::AtomicUsize,
    /// Compliance check counts written.
    pub check_counts: Mutex<Vec<crate::compliance::store::CheckCount>>,
}

impl Fake {
    async fn get_region_impl(&self, code: RegionCode) -> Result<Option<Region>> {
        Ok(self.regions.iter().find(|r| r.code == code).cloned())
    }
    async fn append_audit_impl(&self, entry: &AuditEntry) -> Result<()> {
        self.audit.lock().unwrap().push(entry.clone());
        Ok(())
    }
    async fn get_room_impl(&self, id: RoomId) -> Result<Option<Room>> {
        Ok(self.rooms.iter().find(|r| r.id == id).cloned())
    }
    async fn peer_sums_impl(&self, q: &PeerQuery) -> Result<Vec<(RoomId, Sums)>> {
        self.peer_queries.lock().unwrap().push(q.clone());
        let key = (q.range.lo, q.industry.is_some(), q.size_tier.is_some());
        Ok(self.peers.get(&key).cloned().unwrap_or_default())
    }
    async fn session_signing_key_impl(&self, id: SessionId) -> Result<Option<Vec<u8>>> {
        Ok(self.signing_keys.get(&id).cloned())
    }
    async fn venue_and_session_impl(
        &self,
        id: VenueId,
        user: UserId,
    ) -> Result<Option<(Venue, Session, bool)>> {
        self.venue_reads
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(self
            .venues
            .iter()
            .find(|(v, _, _)| v.id == id)
            .map(|(v, s, staff)| (v.clone(), s.clone(), staff.contains(&user))))
    }
    async fn checkin_targets_impl(
        &self,
        ids: &[RegistrationId],
    ) -> Result<Vec<(Registration, String, Tier)>> {
        Ok(self
            .registrations
            .iter()
            .filter(|(r, _, _)| ids.contains(&r.id))
            .cloned()
            .collect())
    }
    async fn record_scans_impl(
        &self,
        scans: Vec<ScanRecord>,
        _now: i64,
    ) -> Result<Vec<ScanOutcome>> {
        let outcome = self.scan_outcome.ok_or_else(|| unstubbed("record_scans"))?;
        let out = scans.iter().map(outcome).collect();
        self.scans.lock().unwrap().extend(scans);
        Ok(out)
    }
}

#[async_trait]
#[allow(unused_variables)]
impl PeopleStore for Fake {
    async fn upsert_regions(&self, regions: &[Region]) -> Result<usize> {
        Err(unstubbed("upsert_regions"))
    }
    async fn list_regions(
        &self,
        level: Option<RegionLevel>,
        parent: Option<RegionCode>,
    ) -> Result<Vec<Region>> {
        Err(unstubbed("list_regions"))
    }
    async fn get_region(&self, code: RegionCode) -> Result<Option<Region>> {
        self.get_region_impl(code).await
    }
    async fn insert_org(&self, org: &OrgDraft, now: i64) -> Result<OrgId> {
        Err(unstubbed("insert_org"))
    }
    async fn update_org(&self, id: OrgId, org: &OrgDraft, now: i64) -> Result<()> {
        Err(unstubbed("update_org"))
    }
    async fn get_org(&self, access: Access, id: OrgId) -> Result<Option<Organisation>> {
        Err(unstubbed("get_org"))
    }
    async fn list_orgs(&self, query: &OrgQuery) -> Result<Page<Organisation>> {
        Err(unstubbed("list_orgs"))
    }
    async fn insert_person(&self, person: &PersonRow, now: i64) -> Result<PersonId> {
        Err(unstubbed("insert_person"))
    }
    async fn update_person(&self, id: PersonId, person: &PersonRow, now: i64) -> Result<()> {
        Err(unstubbed("update_person"))
    }
    async fn get_person(&self, access: Access, id: PersonId) -> Result<Option<Person>> {
        Err(unstubbed("get_person"))
    }
    async fn people_by_id_keys(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, PersonId, RegionCode)>> {
        Err(unstubbed("people_by_id_keys"))
    }
    async fn people_without_id_key(&self, limit: i64) -> Result<Vec<(PersonId, Vec<u8>)>> {
        Err(unstubbed("people_without_id_key"))
    }
    async fn set_id_number_keys(&self, keys: &[(PersonId, String)]) -> Result<()> {
        Err(unstubbed("set_id_number_keys"))
    }
    async fn get_person_id_number(
        &self,
        access: Access,
        id: PersonId,
    ) -> Result<Option<Option<Vec<u8>>>> {
        Err(unstubbed("get_person_id_number"))
    }
    async fn list_people(&self, query: &PeopleQuery) -> Result<Page<Person>> {
        Err(unstubbed("list_people"))
    }
    async fn count_people(&self) -> Result<i64> {
        Err(unstubbed("count_people"))
    }
    async fn count_by_child_region(&self, parent: RegionCode) -> Result<Vec<RegionCount>> {
        Err(unstubbed("count_by_child_region"))
    }
}

#[async_trait]
#[allow(unused_variables)]
impl AccountStore for Fake {
    async fn insert_user(&self, user: &NewUser) -> Result<UserId> {
        Err(unstubbed("insert_user"))
    }
    async fn get_user(&self, id: UserId) -> Result<Option<User>> {
        Err(unstubbed("get_user"))
    }
    async fn find_user_for_login(
        &self,
        username: &str,
        mobile: Option<&str>,
    ) -> Result<Option<(User, String)>> {
        Err(unstubbed("find_user_for_login"))
    }
    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>> {
        Err(unstubbed("find_user_by_username"))
    }
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: UserId,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        Err(unstubbed("create_session"))
    }
    async fn session_user(&self, token_hash: &str, now: i64) -> Result<SessionLookup> {
        self.session_reads
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut sessions = self.sessions.lock().unwrap();
        Ok(match sessions.get(token_hash).cloned() {
            None => SessionLookup::Missing,
            Some((_, until)) if until <= now => {
                sessions.remove(token_hash);
                SessionLookup::Expired
            }
            Some((user, until)) => SessionLookup::Valid(user, until),
        })
    }
    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.sessions.lock().unwrap().remove(token_hash);
        Ok(())
    }
    async fn api_token_user(&self, token_hash: &str, now: i64) -> Result<Option<(User, i64)>> {
        Err(unstubbed("api_token_user"))
    }
    async fn begin_login_attempt(
        &self,
        account_key: &str,
        user_id: Option<UserId>,
        addr: &str,
        at: i64,
    ) -> Result<i64> {
        Err(unstubbed("begin_login_attempt"))
    }
    async fn login_attempt_counts(
        &self,
        id: i64,
        account_key: &str,
        addr: &str,
        pair_since: i64,
        wide_since: i64,
    ) -> Result<AttemptCounts> {
        Err(unstubbed("login_attempt_counts"))
    }
    async fn fail_login_attempt(&self, id: i64) -> Result<()> {
        Err(unstubbed("fail_login_attempt"))
    }
    async fn drop_login_attempt(&self, id: i64) -> Result<()> {
        Err(unstubbed("drop_login_attempt"))
    }
    async fn clear_pair_failures(&self, account_key: &str, addr: &str) -> Result<()> {
        Err(unstubbed("clear_pair_failures"))
    }
    async fn clear_user_failures(&self, user_id: UserId) -> Result<u64> {
        Err(unstubbed("clear_user_failures"))
    }
    async fn purge_login_attempts(&self, before: i64) -> Result<()> {
        Err(unstubbed("purge_login_attempts"))
    }
    async fn failure_summaries(
        &self,
        users: &[UserId],
        since: i64,
        recent_since: i64,
    ) -> Result<Vec<FailureSummary>> {
        Err(unstubbed("failure_summaries"))
    }
    async fn add_known_device(&self, user_id: UserId, token_hash: &str, now: i64) -> Result<()> {
        Err(unstubbed("add_known_device"))
    }
    async fn touch_known_device(
        &self,
        user_id: UserId,
        token_hash: &str,
        seen_since: i64,
        now: i64,
    ) -> Result<bool> {
        Err(unstubbed("touch_known_device"))
    }
    async fn forget_known_devices(&self, user_id: UserId) -> Result<()> {
        Err(unstubbed("forget_known_devices"))
    }
    async fn password_hash(&self, user_id: UserId) -> Result<Option<String>> {
        Err(unstubbed("password_hash"))
    }
    async fn set_password_hash(&self, user_id: UserId, hash: &str) -> Result<()> {
        Err(unstubbed("set_password_hash"))
    }
    async fn end_sessions(&self, user_id: UserId, keep: Option<&str>) -> Result<u64> {
        let mut sessions = self.sessions.lock().unwrap();
        let before = sessions.len();
        sessions.retain(|hash, (user, _)| user.id != user_id || Some(hash.as_str()) == keep);
        Ok((before - sessions.len()) as u64)
    }
    async fn set_user_disabled(&self, user_id: UserId, disabled: bool) -> Result<()> {
        Err(unstubbed("set_user_disabled"))
    }
    async fn list_accounts(&self, q: &AccountQuery) -> Result<Vec<AccountRow>> {
        Err(unstubbed("list_accounts"))
    }
    async fn get_account(&self, user_id: UserId) -> Result<Option<AccountRow>> {
        Err(unstubbed("get_account"))
    }
    async fn insert_api_token(
        &self,
        token_hash: &str,
        user_id: UserId,
        label: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<i64> {
        Err(unstubbed("insert_api_token"))
    }
    async fn list_api_tokens(&self, user_id: UserId) -> Result<Vec<ApiTokenRow>> {
        Err(unstubbed("list_api_tokens"))
    }
    async fn get_api_token(&self, id: i64) -> Result<Option<ApiTokenRow>> {
        Err(unstubbed("get_api_token"))
    }
    async fn revoke_api_token(&self, id: i64, now: i64) -> Result<bool> {
        Err(unstubbed("revoke_api_token"))
    }
}

#[async_trait]
#[allow(unused_variables)]
impl AuditStore for Fake {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        self.append_audit_impl(entry).await
    }
    async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        Err(unstubbed("list_audit"))
    }
}

#[async_trait]
#[allow(unused_variables)]
impl TrainingStore for Fake {
    async fn people_by_mobiles(&self, mobiles: &[String]) -> Result<Vec<KnownPerson>> {
        Err(unstubbed("people_by_mobiles"))
    }
    async fn orgs_by_names(&self, names: &[String]) -> Result<Vec<(String, OrgId)>> {
        Err(unstubbed("orgs_by_names"))
    }
    async fn apply_roster(&self, plan: &RosterPlan, now: i64) -> Result<RosterOutcome> {
        Err(unstubbed("apply_roster"))
    }
    async fn insert_programme(&self, p: &Programme, now: i64) -> Result<ProgrammeId> {
        Err(unstubbed("insert_programme"))
    }
    async fn get_programme(&self, id: ProgrammeId) -> Result<Option<Programme>> {
        Err(unstubbed("get_programme"))
    }
    async fn list_programmes(&self) -> Result<Vec<Programme>> {
        Err(unstubbed("list_programmes"))
    }
    async fn set_programme_issuer(&self, id: ProgrammeId, issuer: &str) -> Result<()> {
        Err(unstubbed("set_programme_issuer"))
    }
    async fn upsert_targets(&self, programme: ProgrammeId, targets: &[Target]) -> Result<()> {
        Err(unstubbed("upsert_targets"))
    }
    async fn list_targets(
        &self,
        programme: ProgrammeId,
        range: RegionRange,
    ) -> Result<Vec<Target>> {
        Err(unstubbed("list_targets"))
    }
    async fn attendances_by_day(
        &self,
        programme: ProgrammeId,
        range: RegionRange,
    ) -> Result<Vec<(i64, i64)>> {
        Err(unstubbed("attendances_by_day"))
    }
    async fn actuals(&self, programme: ProgrammeId, range: RegionRange) -> Result<Vec<ActualRow>> {
        Err(unstubbed("actuals"))
    }
    async fn insert_session(
        &self,
        draft: &SessionDraft,
        status: SessionStatus,
        signing_key_enc: &[u8],
        public_key: &str,
        now: i64,
    ) -> Result<(SessionId, Vec<VenueId>)> {
        Err(unstubbed("insert_session"))
    }
    async fn get_session(&self, id: SessionId) -> Result<Option<Session>> {
        Err(unstubbed("get_session"))
    }
    async fn session_signing_key(&self, id: SessionId) -> Result<Option<Vec<u8>>> {
        self.session_signing_key_impl(id).await
    }
    async fn list_sessions(&self, q: &SessionQuery) -> Result<Page<Session>> {
        Err(unstubbed("list_sessions"))
    }
    async fn set_session_status(
        &self,
        id: SessionId,
        status: SessionStatus,
        notice: Option<&str>,
        now: i64,
    ) -> Result<()> {
        Err(unstubbed("set_session_status"))
    }
    async fn session_venues(&self, session: SessionId) -> Result<Vec<VenueLoad>> {
        Err(unstubbed("session_venues"))
    }
    async fn venue_list(&self, session: SessionId) -> Result<Vec<Venue>> {
        Err(unstubbed("venue_list"))
    }
    async fn get_venue(&self, id: VenueId) -> Result<Option<Venue>> {
        Ok(self
            .venues
            .iter()
            .find(|(v, _, _)| v.id == id)
            .map(|(v, _, _)| v.clone()))
    }
    async fn register(
        &self,
        session: SessionId,
        person: PersonId,
        venue: VenueId,
        now: i64,
    ) -> Result<RegisterOutcome> {
        Err(unstubbed("register"))
    }
    async fn cancel_registration(
        &self,
        id: RegistrationId,
        now: i64,
    ) -> Result<Option<Registration>> {
        Err(unstubbed("cancel_registration"))
    }
    async fn get_registration(&self, id: RegistrationId) -> Result<Option<Registration>> {
        Err(unstubbed("get_registration"))
    }
    async fn registration_for(
        &self,
        session: SessionId,
        person: PersonId,
    ) -> Result<Option<Registration>> {
        Err(unstubbed("registration_for"))
    }
    async fn person_registrations(&self, person: PersonId) -> Result<Vec<MyRegistration>> {
        Err(unstubbed("person_registrations"))
    }
    async fn roster(&self, session: SessionId) -> Result<Vec<RosterEntry>> {
        Err(unstubbed("roster"))
    }
    async fn notify(&self, people: &[PersonId], message: &str, now: i64) -> Result<()> {
        Err(unstubbed("notify"))
    }
    async fn notifications(&self, person: PersonId, limit: i64) -> Result<Vec<(i64, String)>> {
        Err(unstubbed("notifications"))
    }
}

#[async_trait]
#[allow(unused_variables)]
impl CheckinStore for Fake {
    async fn venue_and_session(
        &self,
        id: VenueId,
        user: UserId,
    ) -> Result<Option<(Venue, Session, bool)>> {
        self.venue_and_session_impl(id, user).await
    }
    async fn assign_venue_staff(&self, venue: VenueId, user: UserId) -> Result<()> {
        Err(unstubbed("assign_venue_staff"))
    }
    async fn staff_venues(&self, user: UserId) -> Result<Vec<VenueId>> {
        Err(unstubbed("staff_venues"))
    }
    async fn checkin_targets(
        &self,
        ids: &[RegistrationId],
    ) -> Result<Vec<(Registration, String, Tier)>> {
        self.checkin_targets_impl(ids).await
    }
    async fn record_scans(&self, scans: Vec<ScanRecord>, now: i64) -> Result<Vec<ScanOutcome>> {
        self.record_scans_impl(scans, now).await
    }
    async fn record_presence(&self, registration: RegistrationId, minute: i64) -> Result<()> {
        Err(unstubbed("record_presence"))
    }
    async fn attendance_export_page(
        &self,
        programme: ProgrammeId,
        range: RegionRange,
        after_id: RegistrationId,
        limit: i64,
    ) -> Result<Vec<AttendanceExportRow>> {
        Err(unstubbed("attendance_export_page"))
    }
    async fn online_now(&self, session: SessionId, since_minute: i64) -> Result<i64> {
        Err(unstubbed("online_now"))
    }
    async fn finalise_online(&self, session: &Session, min_minutes: i64, now: i64) -> Result<i64> {
        Err(unstubbed("finalise_online"))
    }
    async fn attendance_counts(&self, session: SessionId) -> Result<(i64, i64, i64)> {
        Err(unstubbed("attendance_counts"))
    }
}

#[async_trait]
#[allow(unused_variables)]
impl CurriculumStore for Fake {
    async fn list_tracks(&self) -> Result<Vec<Track>> {
        Err(unstubbed("list_tracks"))
    }
    async fn list_competencies(&self) -> Result<Vec<Competency>> {
        Err(unstubbed("list_competencies"))
    }
    async fn insert_competency(&self, code: &str, name_zh: &str, name_en: &str) -> Result<i64> {
        Err(unstubbed("insert_competency"))
    }
    async fn rename_competency(&self, id: i64, name_zh: &str, name_en: &str) -> Result<bool> {
        Err(unstubbed("rename_competency"))
    }
    async fn insert_course(
        &self,
        course: &CourseDraft,
        lecturer: Option<UserId>,
        owner_region: Option<RegionCode>,
        competencies: &[i64],
        now: i64,
    ) -> Result<CourseId> {
        Err(unstubbed("insert_course"))
    }
    async fn get_course(&self, id: CourseId) -> Result<Option<Course>> {
        Err(unstubbed("get_course"))
    }
    async fn list_courses(&self, tier: Option<Tier>) -> Result<Vec<Course>> {
        Err(unstubbed("list_courses"))
    }
    async fn insert_material(
        &self,
        course: CourseId,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
        user: Option<UserId>,
        now: i64,
    ) -> Result<i64> {
        Err(unstubbed("insert_material"))
    }
    async fn list_materials(&self, course: CourseId) -> Result<Vec<Material>> {
        Err(unstubbed("list_materials"))
    }
    async fn get_material(&self, id: i64) -> Result<Option<(Material, Vec<u8>)>> {
        Err(unstubbed("get_material"))
    }
    async fn qualifying_people(
        &self,
        programme: ProgrammeId,
        track: i64,
        tier: Tier,
        required: i64,
    ) -> Result<Vec<PersonId>> {
        Err(unstubbed("qualifying_people"))
    }
    async fn insert_certificates(
        &self,
        rows: &[(String, PersonId, i64, ProgrammeId)],
        now: i64,
    ) -> Result<usize> {
        Err(unstubbed("insert_certificates"))
    }
    async fn get_certificate(
        &self,
        number: &str,
    ) -> Result<Option<crate::curriculum::CertificateView>> {
        Err(unstubbed("get_certificate"))
    }
    async fn person_certificates(
        &self,
        person: PersonId,
    ) -> Result<Vec<crate::curriculum::CertificateView>> {
        Err(unstubbed("person_certificates"))
    }
    async fn revoke_certificate(&self, number: &str, reason: &str, now: i64) -> Result<bool> {
        Err(unstubbed("revoke_certificate"))
    }
    async fn list_certificates(
        &self,
        q: &CertificateQuery,
    ) -> Result<Page<crate::curriculum::CertificateView>> {
        Err(unstubbed("list_certificates"))
    }
}

#[async_trait]
#[allow(unused_variables)]
impl AnalyticsStore for Fake {
    async fn insert_room(&self, room: &RoomDraft, now: i64) -> Result<RoomId> {
        Err(unstubbed("insert_room"))
    }
    async fn set_room_operators(&self, room: RoomId, operators: &[PersonId]) -> Result<()> {
        Err(unstubbed("set_room_operators"))
    }
    async fn get_room(&self, id: RoomId) -> Result<Option<Room>> {
        self.get_room_impl(id).await
    }
    async fn list_rooms(
        &self,
        scope: RoomScope,
        text: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Page<Room>> {
        Err(unstubbed("list_rooms"))
    }
    async fn rooms_by_account(&self, platform: Platform, accounts: &[String]) -> Result<Vec<Room>> {
        Err(unstubbed("rooms_by_account"))
    }
    async fn import_live_sessions(
        &self,
        meta: &ImportMeta,
        rooms: &[Room],
        rows: &[(RoomId, LiveSessionRow)],
    ) -> Result<ImportOutcome> {
        Err(unstubbed("import_live_sessions"))
    }
    async fn room_sums(
        &self,
        room: RoomId,
        provenance: Provenance,
        from_day: i64,
        to_day: i64,
    ) -> Result<Sums> {
        Err(unstubbed("room_sums"))
    }
    async fn room_days(
        &self,
        room: RoomId,
        provenance: Provenance,
        from_day: i64,
        to_day: i64,
    ) -> Result<Vec<(i64, Sums)>> {
        Err(unstubbed("room_days"))
    }
    async fn peer_sums(&self, q: &PeerQuery) -> Result<Vec<(RoomId, Sums)>> {
        self.peer_sums_impl(q).await
    }
    async fn impact_panel(
        &self,
        range: RegionRange,
        provenance: Provenance,
        fields: &[WeekField],
    ) -> Result<(Vec<ImpactRoom>, Option<i64>, Vec<(RoomId, i64, Sums)>)> {
        Err(unstubbed("impact_panel"))
    }
    async fn region_stats(&self, q: &StatQuery) -> Result<Vec<StatLine>> {
        Err(unstubbed("region_stats"))
    }
}

#[async_trait]
#[allow(unused_variables)]
impl MatchingStore for Fake {
    async fn upsert_partner(&self, p: &Partner, now: i64) -> Result<()> {
        Err(unstubbed("upsert_partner"))
    }
    async fn get_partner(&self, org: OrgId) -> Result<Option<Partner>> {
        Err(unstubbed("get_partner"))
    }
    async fn list_partners(&self) -> Result<Vec<Partner>> {
        Err(unstubbed("list_partners"))
    }
    async fn insert_offer(
        &self,
        partner: OrgId,
        o: &OfferDraft,
        rules: &[Rule],
        now: i64,
    ) -> Result<i64> {
        Err(unstubbed("insert_offer"))
    }
    async fn update_offer(&self, id: i64, o: &OfferDraft, rules: &[Rule], now: i64) -> Result<i64> {
        Err(unstubbed("update_offer"))
    }
    async fn set_offer_active(&self, id: i64, active: bool, now: i64) -> Result<()> {
        Err(unstubbed("set_offer_active"))
    }
    async fn get_offer(&self, id: i64) -> Result<Option<Offer>> {
        Err(unstubbed("get_offer"))
    }
    async fn list_offers(&self, partner: Option<OrgId>, active_only: bool) -> Result<Vec<Offer>> {
        Err(unstubbed("list_offers"))
    }
    async fn rules_of(&self, offers: &[i64]) -> Result<Vec<(i64, Rule)>> {
        Err(unstubbed("rules_of"))
    }
    async fn add_facts(&self, org: OrgId, facts: &[Fact], by: Option<UserId>) -> Result<()> {
        Err(unstubbed("add_facts"))
    }
    async fn facts_of(&self, orgs: &[OrgId]) -> Result<Vec<(OrgId, Fact)>> {
        Err(unstubbed("facts_of"))
    }
    async fn insert_need(&self, n: &NeedDraft, by: Option<UserId>, now: i64) -> Result<i64> {
        Err(unstubbed("insert_need"))
    }
    async fn get_need(&self, id: i64) -> Result<Option<Need>> {
        Err(unstubbed("get_need"))
    }
    async fn open_needs(&self, range: RegionRange) -> Result<Vec<Need>> {
        Err(unstubbed("open_needs"))
    }
    async fn open_needs_with_facts(
        &self,
        _offer: Option<i64>,
    ) -> Result<Vec<crate::matching::store::NeedFacts>> {
        Err(unstubbed("open_needs_with_facts"))
    }
    async fn needs_of(&self, org: OrgId) -> Result<Vec<Need>> {
        Err(unstubbed("needs_of"))
    }
    async fn match_digests(
        &self,
        _needs: &[i64],
        _offers: &[i64],
    ) -> Result<Vec<((i64, i64), i64)>> {
        Err(unstubbed("match_digests"))
    }
    async fn save_matches(&self, _rows: &[MatchRow], _complete: &[(i64, i64)]) -> Result<()> {
        Err(unstubbed("save_matches"))
    }
    async fn holiday_years(&self) -> Result<Vec<(i32, String, Option<UserId>, i64)>> {
        Err(unstubbed("holiday_years"))
    }
    async fn set_holiday_year(&self, year: i32, json: &str, by: UserId, now: i64) -> Result<()> {
        Err(unstubbed("set_holiday_year"))
    }
    async fn org_names(&self, ids: &[OrgId]) -> Result<Vec<(OrgId, String)>> {
        Err(unstubbed("org_names"))
    }
    async fn offers_by_ids(&self, ids: &[i64]) -> Result<Vec<Offer>> {
        Err(unstubbed("offers_by_ids"))
    }
    async fn matches_of_need_for(&self, need: i64, offers: &[i64]) -> Result<Vec<MatchRow>> {
        Err(unstubbed("matches_of_need_for"))
    }
    async fn match_ranks(
        &self,
        need: i64,
    ) -> Result<Vec<(i64, crate::matching::rules::Eligibility, i64)>> {
        Err(unstubbed("match_ranks"))
    }
    async fn matches_of_need(&self, need: i64) -> Result<Vec<MatchRow>> {
        Err(unstubbed("matches_of_need"))
    }
    async fn insert_application(&self, a: &Application, event: &AppEvent) -> Result<i64> {
        Err(unstubbed("insert_application"))
    }
    async fn get_application(&self, id: i64) -> Result<Option<Application>> {
        Err(unstubbed("get_application"))
    }
    async fn move_application(
        &self,
        id: i64,
        from: AppState,
        event: &AppEvent,
        fields: &MoveFields,
    ) -> Result<bool> {
        Err(unstubbed("move_application"))
    }
    async fn events_of(&self, application: i64) -> Result<Vec<AppEvent>> {
        Err(unstubbed("events_of"))
    }
    async fn list_applications(&self, scope: AppScope) -> Result<Vec<Application>> {
        Err(unstubbed("list_applications"))
    }
    async fn overdue_applications(&self, now: i64) -> Result<Vec<Application>> {
        Err(unstubbed("overdue_applications"))
    }
    async fn rollup_rows(&self, range: RegionRange) -> Result<Vec<RollupRow>> {
        Err(unstubbed("rollup_rows"))
    }
    async fn decisions(&self) -> Result<Vec<(OrgId, i64, i64)>> {
        Err(unstubbed("decisions"))
    }
    async fn need_counts(&self, range: RegionRange) -> Result<NeedCounts> {
        Err(unstubbed("need_counts"))
    }
}

#[async_trait]
impl crate::compliance::store::ComplianceStore for Fake {
    async fn add_check_counts(
        &self,
        counts: &[crate::compliance::store::CheckCount],
    ) -> Result<()> {
        self.check_counts.lock().unwrap().extend_from_slice(counts);
        Ok(())
    }
    async fn check_tally(
        &self,
        _range: RegionRange,
        _since_day: i64,
        _by_city: bool,
    ) -> Result<crate::compliance::store::TallyTotals> {
        Err(unstubbed("check_tally"))
    }
}
