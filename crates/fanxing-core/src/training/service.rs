//! Training use cases on [`TrainingService`]: programmes and targets, sessions,
//! registration, tickets, check-in and online attendance. Access is decided
//! here, from the [`Actor`], before the store is touched.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::audit::Audit;
use crate::auth::{Access, Actor, Role};
use crate::cache::TtlCache;
use crate::curriculum::service::CurriculumService;
use crate::error::{Error, FieldError, Result};
use crate::now;
use crate::people::store::PeopleStore;
use crate::people::{OrgId, PersonId, Tier, UserId};
use crate::region::{RegionCode, RegionLevel};
use crate::reports::service::Dashboards;
use crate::security::FieldCipher;
use crate::store::Page;
use crate::training::store::{CheckinStore, TrainingStore};
use crate::training::store::{MyRegistration, RosterEntry, SessionQuery};
use crate::training::{
    progress, ticket, Programme, ProgrammeId, Progress, RegisterOutcome, Registration,
    RegistrationId, RegistrationStatus, Session, SessionId, SessionInput, SessionStatus, Target,
    Venue, VenueId, VenueKind, VenueLoad,
};
use crate::values::mask_mobile;

/// A session with its venues and live numbers.
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    #[serde(flatten)]
    pub session: Session,
    pub venues: Vec<VenueLoad>,
    pub attendances: i64,
    pub onsite: i64,
    pub online: i64,
}

/// The live figures of a session, for the hall's big screen.
#[derive(Debug, Clone, Serialize)]
pub struct Live {
    pub attendances: i64,
    pub onsite: i64,
    /// Online viewers seen in the last two minutes.
    pub online_now: i64,
    pub venues: Vec<LiveVenue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LiveVenue {
    pub id: VenueId,
    pub name: String,
    pub capacity: i64,
    /// Checked in (halls) or watching now (online).
    pub shown: i64,
}

/// A target as submitted.
#[derive(Debug, Clone, Deserialize)]
pub struct TargetInput {
    pub region: String,
    #[serde(default)]
    pub tier: Option<String>,
    pub sessions: i64,
    pub attendances: i64,
}

/// Everything a check-in device needs to work without the network.
#[derive(Debug, Clone, Serialize)]
pub struct CheckinKit {
    pub session: Session,
    pub venue_id: VenueId,
    pub venues: Vec<VenueLoad>,
    pub public_key: String,
    /// The whole session's roster (any venue's ticket is recognised), with
    /// masked mobile numbers.
    pub roster: Vec<RosterEntry>,
    pub generated_at: i64,
}

/// One scan as a device sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct ScanInput {
    /// Chosen by the device (e.g. a UUID); makes retries idempotent.
    pub scan_id: String,
    /// The ticket code, or empty for a manual check-in by registration.
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub registration_id: Option<RegistrationId>,
    /// Unix seconds on the device when scanned.
    #[serde(default)]
    pub scanned_at: Option<i64>,
    /// Staff confirmed a ticket for another venue of the same session.
    #[serde(default)]
    pub allow_other_venue: bool,
}

/// What happened to one scan.
#[derive(Debug, Clone, Serialize)]
pub struct ScanResult {
    pub scan_id: String,
    /// `accepted`, `duplicate` or `refused`.
    pub status: &'static str,
    pub message: String,
    pub registration_id: Option<RegistrationId>,
    pub name: Option<String>,
    pub venue_id: Option<VenueId>,
    pub at: Option<i64>,
}

/// A walk-in registered and checked in at the door.
#[derive(Debug, Clone, Deserialize)]
pub struct WalkInInput {
    pub name: String,
    pub mobile: String,
    #[serde(default)]
    pub tier: String,
    #[serde(default)]
    pub scan_id: String,
}

/// Which sessions a list shows by time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum When {
    /// Not yet ended, soonest first.
    #[default]
    Upcoming,
    /// Ended, latest first.
    Past,
    /// All, latest first.
    All,
}

impl When {
    pub fn parse(s: &str) -> Option<When> {
        match s {
            "" | "upcoming" => Some(When::Upcoming),
            "past" => Some(When::Past),
            "all" => Some(When::All),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            When::Upcoming => "upcoming",
            When::Past => "past",
            When::All => "all",
        }
    }
}

/// What the session list is filtered by (see [`Fanxing::find_sessions`]).
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub region: Option<RegionCode>,
    pub tier: Option<Tier>,
    pub text: Option<String>,
    pub when: When,
    pub status: Option<SessionStatus>,
}

/// Programmes, targets, sessions, registration, tickets, check-in and
/// rosters. Cheap to clone.
#[derive(Clone)]
pub struct TrainingService {
    pub(super) store: Arc<dyn TrainingStore>,
    pub(super) checkins: Arc<dyn CheckinStore>,
    pub(super) people: Arc<dyn PeopleStore>,
    pub(super) audit: Audit,
    pub(super) cipher: FieldCipher,
    /// Issues certificates when a session closes.
    pub(super) certificates: CurriculumService,
    /// The reports' dashboards, cleared when targets or a session's status change.
    pub(super) dashboards: Arc<Dashboards>,
    /// Check-in venues with their session, by venue and staff member, as
    /// last allowed (see [`VENUE_KEPT`]).
    pub(super) venues: Arc<TtlCache<(VenueId, UserId), (Venue, Session)>>,
}

/// How long a venue with its session, once a caller was allowed to check
/// people in there, is answered from memory for that caller. A session's
/// status change through this server forgets every kept venue at once;
/// through another server it takes effect here within this time. A
/// refusal is never kept, so a newly assigned staff member is let in at
/// once.
pub const VENUE_KEPT: std::time::Duration = std::time::Duration::from_secs(5);
/// The most venues kept (one per venue and staff member).
const VENUES_KEPT_MAX: usize = 20_000;

impl TrainingService {
    pub fn new(
        store: Arc<dyn TrainingStore>,
        checkins: Arc<dyn CheckinStore>,
        people: Arc<dyn PeopleStore>,
        audit: Audit,
        cipher: FieldCipher,
        certificates: CurriculumService,
        dashboards: Arc<Dashboards>,
    ) -> TrainingService {
        TrainingService {
            store,
            checkins,
            people,
            audit,
            cipher,
            certificates,
            dashboards,
            venues: Arc::new(TtlCache::with_capacity(VENUE_KEPT, VENUES_KEPT_MAX)),
        }
    }
}

impl TrainingService {
    // ---- Programmes and targets --------------------------------------------

    pub async fn programmes(&self, _actor: &Actor) -> Result<Vec<Programme>> {
        self.store.list_programmes().await
    }

    pub async fn programme(&self, id: ProgrammeId) -> Result<Programme> {
        self.store.get_programme(id).await?.ok_or(Error::NotFound)
    }

    pub async fn create_programme(
        &self,
        actor: &Actor,
        name: &str,
        starts_on: &str,
        ends_on: &str,
    ) -> Result<Programme> {
        if !actor.role().is_programme_office() {
            return Err(Error::Forbidden);
        }
        let mut e = crate::error::FieldErrors::default();
        let name = crate::values::required_text(&mut e, "name", name, 100);
        let s = crate::training::parse_date(starts_on);
        let t = crate::training::parse_date(ends_on);
        if s.is_none() {
            e.push(FieldError::new("starts_on", "error.datetime"));
        }
        if t.is_none() {
            e.push(FieldError::new("ends_on", "error.datetime"));
        }
        if let (Some(s), Some(t)) = (s, t) {
            if t < s {
                e.push(FieldError::new("ends_on", "error.ends_before_start"));
            }
        }
        e.into_result()?;
        let mut p = Programme {
            id: ProgrammeId(0),
            issuer: name.clone(),
            name,
            starts_on: starts_on.trim().to_string(),
            ends_on: ends_on.trim().to_string(),
        };
        p.id = self.store.insert_programme(&p, now()).await?;
        self.audit
            .record(
                actor,
                "programme.create",
                &format!("programme:{}", p.id),
                "",
            )
            .await?;
        Ok(p)
    }

    /// Sets the issuing authority (发证单位) printed on the programme's
    /// certificates, on their verify page and PDF. The programme office
    /// alone sets it: it speaks for the whole province.
    pub async fn set_programme_issuer(
        &self,
        actor: &Actor,
        id: ProgrammeId,
        issuer: &str,
    ) -> Result<Programme> {
        if !actor.role().is_programme_office() {
            return Err(Error::Forbidden);
        }
        let mut p = self.programme(id).await?;
        let mut e = crate::error::FieldErrors::default();
        let issuer =
            crate::values::required_text(&mut e, "issuer", issuer, crate::training::ISSUER_MAX);
        e.into_result()?;
        self.store.set_programme_issuer(id, &issuer).await?;
        self.audit
            .record(
                actor,
                "programme.issuer",
                &format!("programme:{id}"),
                &issuer,
            )
            .await?;
        p.issuer = issuer;
        Ok(p)
    }

    /// Sets targets. The programme office sets any region's; a city or
    /// county office allocates only to regions below its own.
    pub async fn set_targets(
        &self,
        actor: &Actor,
        programme: ProgrammeId,
        inputs: &[TargetInput],
    ) -> Result<Vec<Target>> {
        let out = self.set_targets_inner(actor, programme, inputs).await;
        self.dashboards.clear();
        out
    }

    async fn set_targets_inner(
        &self,
        actor: &Actor,
        programme: ProgrammeId,
        inputs: &[TargetInput],
    ) -> Result<Vec<Target>> {
        let range = actor.write_range()?;
        self.programme(programme).await?;
        let own = actor.user.region.ok_or(Error::Forbidden)?;
        if inputs.len() > crate::training::TARGET_ROWS_MAX {
            return Err(Error::field("targets", "error.too_many_rows"));
        }
        let mut targets = Vec::new();
        let mut e = crate::error::FieldErrors::default();
        for (i, t) in inputs.iter().enumerate() {
            let region = RegionCode::parse(&t.region);
            let tier = match t.tier.as_deref().map(str::trim) {
                None | Some("") | Some("all") => Ok(None),
                Some(x) => Tier::parse_label(x).map(Some).ok_or(()),
            };
            match (region, tier) {
                (Some(r), Ok(tier)) if self.people.get_region(r).await?.is_some() => {
                    let own_level = actor.role().is_programme_office();
                    if !range.contains(r) || (!own_level && r == own) {
                        return Err(Error::Forbidden);
                    }
                    if !(0..=crate::training::TARGET_MAX).contains(&t.sessions)
                        || !(0..=crate::training::TARGET_MAX).contains(&t.attendances)
                    {
                        e.push(
                            FieldError::new("targets", "error.target")
                                .with("n", i + 1)
                                .with("max", crate::training::TARGET_MAX),
                        );
                    }
                    targets.push(Target {
                        region: r,
                        tier,
                        sessions: t.sessions,
                        attendances: t.attendances,
                    });
                }
                (_, Err(())) => e.push(FieldError::new("targets", "error.choice").with("n", i + 1)),
                _ => e.push(FieldError::new("targets", "error.region_unknown").with("n", i + 1)),
            }
        }
        e.into_result()?;
        self.store.upsert_targets(programme, &targets).await?;
        self.audit
            .record(
                actor,
                "targets.set",
                &format!("programme:{programme}"),
                &format!("{} rows", targets.len()),
            )
            .await?;
        Ok(targets)
    }

    /// Targets and actuals of `region` (default: the caller's) and its children.
    pub async fn progress(
        &self,
        actor: &Actor,
        programme: ProgrammeId,
        region: Option<RegionCode>,
    ) -> Result<Progress> {
        let code = actor.stats_region(region)?;
        let p = self.programme(programme).await?;
        let region = self.people.get_region(code).await?.ok_or(Error::NotFound)?;
        let children = match region.level {
            RegionLevel::Province | RegionLevel::City => self
                .people
                .list_regions(None, Some(code))
                .await?
                .into_iter()
                .filter(|r| r.level != RegionLevel::Zone || region.level == RegionLevel::City)
                .collect(),
            _ => Vec::new(),
        };
        let range = code.subtree();
        let targets = self.store.list_targets(programme, range).await?;
        let actuals = self.store.actuals(programme, range).await?;
        Ok(progress(p, &region, &children, &targets, &actuals))
    }

    // ---- Sessions ------------------------------------------------------------

    pub async fn create_session(
        &self,
        actor: &Actor,
        input: &SessionInput,
        publish: bool,
    ) -> Result<SessionView> {
        let out = self.create_session_inner(actor, input, publish).await;
        self.dashboards.clear();
        out
    }

    async fn create_session_inner(
        &self,
        actor: &Actor,
        input: &SessionInput,
        publish: bool,
    ) -> Result<SessionView> {
        let range = actor.write_range()?;
        let draft = input.validate(now()).map_err(Error::Invalid)?;
        self.store
            .get_programme(draft.programme_id)
            .await?
            .ok_or_else(|| Error::field("programme_id", "error.programme_unknown"))?;
        if !range.contains(draft.region) {
            return Err(Error::field("region", "error.region_scope"));
        }
        for v in &draft.venues {
            self.people
                .get_region(v.region)
                .await?
                .ok_or_else(|| Error::field("venues", "error.region_unknown"))?;
            if !range.contains(v.region) {
                return Err(Error::field("venues", "error.region_scope"));
            }
        }
        let (seed, public) = ticket::new_keypair();
        let enc = self.cipher.encrypt_bytes(&seed);
        let status = if publish {
            SessionStatus::Published
        } else {
            SessionStatus::Draft
        };
        let (id, _) = self
            .store
            .insert_session(&draft, status, &enc, &public, now())
            .await?;
        self.audit
            .record(actor, "session.create", &format!("session:{id}"), "")
            .await?;
        self.session_view(Some(actor), id).await
    }

    /// A session with its venues. Drafts only for offices in scope.
    pub async fn session_view(&self, actor: Option<&Actor>, id: SessionId) -> Result<SessionView> {
        let session = self.store.get_session(id).await?.ok_or(Error::NotFound)?;
        if session.status == SessionStatus::Draft && !self.manages(actor, &session) {
            return Err(Error::NotFound);
        }
        let venues = self.store.session_venues(id).await?;
        let (attendances, onsite, online) = self.checkins.attendance_counts(id).await?;
        Ok(SessionView {
            session,
            venues,
            attendances,
            onsite,
            online,
        })
    }

    /// Whether `actor` is an office whose scope holds the session's organiser.
    pub fn manages(&self, actor: Option<&Actor>, s: &Session) -> bool {
        actor
            .and_then(|a| a.write_range().ok())
            .map(|r| r.contains(s.region))
            .unwrap_or(false)
    }

    /// Sessions: offices see those organised in or held in their regions;
    /// everyone else sees published sessions that have not ended.
    pub async fn list_sessions(
        &self,
        actor: Option<&Actor>,
        region: Option<RegionCode>,
        page: i64,
    ) -> Result<Page<Session>> {
        let limit = 50;
        let offset = crate::store::page_offset(page, limit);
        let mut q = SessionQuery {
            offset,
            limit,
            ..Default::default()
        };
        match actor.and_then(|a| a.write_range().ok()) {
            Some(range) => {
                q.region = Some(match region {
                    Some(r) if range.contains(r) => r.subtree(),
                    Some(_) => return Err(Error::Forbidden),
                    None => range,
                });
            }
            None => {
                q.statuses = vec![SessionStatus::Published, SessionStatus::UnderWay];
                q.ends_after = Some(now());
                q.region = region.map(RegionCode::subtree);
            }
        }
        self.store.list_sessions(&q).await
    }

    /// The session list as people search it: by region, tier, title and
    /// time (upcoming soonest first, or past latest first); offices may also
    /// pick a status. Everyone but offices sees only published sessions
    /// that have not ended, as in [`Fanxing::list_sessions`].
    pub async fn find_sessions(
        &self,
        actor: Option<&Actor>,
        f: &SessionFilter,
        page: i64,
    ) -> Result<Page<Session>> {
        let limit = 50;
        let offset = crate::store::page_offset(page, limit);
        let text = f.text.as_deref().map(str::trim).unwrap_or("");
        if text.chars().count() > 64 || crate::values::text_problem(text, false).is_some() {
            return Err(Error::field("q", "error.search_text"));
        }
        let mut q = SessionQuery {
            offset,
            limit,
            tier: f.tier,
            text: Some(text.to_string()).filter(|t| !t.is_empty()),
            ..Default::default()
        };
        let t = now();
        match actor.and_then(|a| a.write_range().ok()) {
            Some(range) => {
                q.region = Some(match f.region {
                    Some(r) if range.contains(r) => r.subtree(),
                    Some(_) => return Err(Error::Forbidden),
                    None => range,
                });
                q.statuses = f.status.into_iter().collect();
                match f.when {
                    When::Upcoming => q.ends_after = Some(t),
                    When::Past => {
                        q.ends_before = Some(t);
                        q.newest_first = true;
                    }
                    When::All => q.newest_first = true,
                }
            }
            None => {
                q.statuses = vec![SessionStatus::Published, SessionStatus::UnderWay];
                q.ends_after = Some(t);
                q.region = f.region.map(RegionCode::subtree);
            }
        }
        self.store.list_sessions(&q).await
    }

    /// The next published sessions organised in or held in `region`.
    pub async fn upcoming_sessions(
        &self,
        actor: &Actor,
        region: RegionCode,
        n: i64,
    ) -> Result<Vec<Session>> {
        let scope = actor.stats_range()?;
        if !scope.contains(region) {
            return Err(Error::Forbidden);
        }
        let q = SessionQuery {
            region: Some(region.subtree()),
            statuses: vec![SessionStatus::Published, SessionStatus::UnderWay],
            ends_after: Some(now()),
            offset: 0,
            limit: n,
            ..Default::default()
        };
        Ok(self.store.list_sessions(&q).await?.items)
    }

    /// Moves a session through its life. Closing finalises attendance:
    /// online registrants present long enough become attendances.
    pub async fn set_session_status(
        &self,
        actor: &Actor,
        id: SessionId,
        to: SessionStatus,
        notice: Option<&str>,
    ) -> Result<SessionView> {
        let out = self.set_session_status_inner(actor, id, to, notice).await;
        self.dashboards.clear();
        self.venues.clear();
        out
    }

    async fn set_session_status_inner(
        &self,
        actor: &Actor,
        id: SessionId,
        to: SessionStatus,
        notice: Option<&str>,
    ) -> Result<SessionView> {
        let s = self.store.get_session(id).await?.ok_or(Error::NotFound)?;
        if !self.manages(Some(actor), &s) {
            return Err(if actor.role().is_office() {
                Error::Forbidden
            } else {
                Error::NotFound
            });
        }
        use SessionStatus::*;
        let allowed = matches!(
            (s.status, to),
            (Draft, Published)
                | (Draft, Cancelled)
                | (Published, UnderWay)
                | (Published, Closed)
                | (Published, Cancelled)
                | (UnderWay, Closed)
                | (UnderWay, Cancelled)
        );
        if !allowed {
            return Err(Error::field("status", "error.session_state"));
        }
        let now = now();
        if to == Closed {
            // Door scans held back while the database was busy count first:
            // online minutes never take the place of a scan already
            // answered, and certificates see every attendance.
            self.checkins.settle_checkins().await?;
            let min = (s.duration_minutes() * s.online_min_share + 99) / 100;
            self.checkins.finalise_online(&s, min, now).await?;
        }
        self.store.set_session_status(id, to, notice, now).await?;
        if to == Closed {
            // Closing may complete someone's track.
            self.certificates.issue_certificates(s.programme_id).await?;
        }
        if to == Cancelled {
            let people: Vec<PersonId> = self
                .store
                .roster(id)
                .await?
                .into_iter()
                .filter(|r| r.status != RegistrationStatus::Cancelled)
                .map(|r| r.person_id)
                .collect();
            let msg = crate::i18n::Lang::Zh.tf(
                "reg.cancelled_notice",
                &[("title", &s.title), ("notice", notice.unwrap_or(""))],
            );
            self.store.notify(&people, &msg, now).await?;
        }
        self.audit
            .record(
                actor,
                "session.status",
                &format!("session:{id}"),
                to.as_str(),
            )
            .await?;
        self.session_view(Some(actor), id).await
    }

    // ---- Registration --------------------------------------------------------

    /// Registers `person` (the caller's own record when `None`) for a
    /// session at `venue` (suggested from the person's region when `None`).
    pub async fn register(
        &self,
        actor: &Actor,
        session: SessionId,
        person: Option<PersonId>,
        venue: Option<VenueId>,
    ) -> Result<RegisterOutcome> {
        let (person_id, by_office) = match person {
            // Only accounts that are a person can register themselves.
            None => (actor.user.person_id.ok_or(Error::Forbidden)?, false),
            Some(p) => {
                actor.write_range()?;
                (p, true)
            }
        };
        let access = if by_office {
            actor.people_access()?
        } else {
            Access::Person(person_id)
        };
        let p = self
            .people
            .get_person(access, person_id)
            .await?
            .ok_or(Error::NotFound)?;
        let s = self
            .store
            .get_session(session)
            .await?
            .ok_or(Error::NotFound)?;
        if s.status == SessionStatus::Draft && !self.manages(Some(actor), &s) {
            return Err(Error::NotFound);
        }
        let t = now();
        let window_ok = s.is_open_for_registration(t)
            || (by_office
                && matches!(s.status, SessionStatus::Published | SessionStatus::UnderWay));
        if !window_ok {
            return Err(Error::field("session", "reg.window_closed"));
        }
        if let Some(key) = s.ineligibility(p.tier, p.region) {
            return Err(Error::field("session", key));
        }
        let venues = self.store.session_venues(session).await?;
        let venue_id = match venue {
            Some(v) if venues.iter().any(|x| x.venue.id == v) => v,
            Some(_) => return Err(Error::field("venue_id", "reg.venue_unknown")),
            None => crate::training::suggest_venue(&venues, p.region)
                .map(|v| v.venue.id)
                .ok_or_else(|| Error::field("venue_id", "reg.venue_unknown"))?,
        };
        let out = self.store.register(session, person_id, venue_id, t).await?;
        if by_office {
            self.audit
                .record(
                    actor,
                    "registration.create",
                    &format!("registration:{}", out.registration.id),
                    "",
                )
                .await?;
        }
        Ok(out)
    }

    /// The registration if the caller may act on it (its person, or an
    /// office whose scope holds the person).
    /// The session of one of the caller's registrations (their own, or of
    /// someone in an office's scope).
    pub async fn registration_session(
        &self,
        actor: &Actor,
        id: RegistrationId,
    ) -> Result<SessionId> {
        Ok(self.own_registration(actor, id).await?.session_id)
    }

    /// The caller's own registration for a session, if any.
    pub async fn my_registration(
        &self,
        actor: &Actor,
        session: SessionId,
    ) -> Result<Option<Registration>> {
        match actor.user.person_id {
            Some(person) => self.store.registration_for(session, person).await,
            None => Ok(None),
        }
    }

    async fn own_registration(&self, actor: &Actor, id: RegistrationId) -> Result<Registration> {
        let r = self
            .store
            .get_registration(id)
            .await?
            .ok_or(Error::NotFound)?;
        if actor.user.person_id == Some(r.person_id) {
            return Ok(r);
        }
        if actor.role().is_office()
            && self
                .people
                .get_person(actor.people_access()?, r.person_id)
                .await?
                .is_some()
        {
            return Ok(r);
        }
        Err(Error::NotFound)
    }

    /// Cancels a registration; the first on the venue's waitlist moves up
    /// and is told so.
    pub async fn cancel_registration(
        &self,
        actor: &Actor,
        id: RegistrationId,
    ) -> Result<Option<Registration>> {
        let r = self.own_registration(actor, id).await?;
        let promoted = self.store.cancel_registration(r.id, now()).await?;
        if let Some(p) = &promoted {
            let s = self
                .store
                .get_session(p.session_id)
                .await?
                .ok_or(Error::NotFound)?;
            let msg = crate::i18n::Lang::Zh.tf("reg.promoted", &[("title", &s.title)]);
            self.store.notify(&[p.person_id], &msg, now()).await?;
        }
        Ok(promoted)
    }

    /// The signed ticket code of a registration (holder or office only).
    pub async fn ticket(
        &self,
        actor: &Actor,
        id: RegistrationId,
    ) -> Result<(Registration, String)> {
        let r = self.own_registration(actor, id).await?;
        let enc = self
            .store
            .session_signing_key(r.session_id)
            .await?
            .ok_or(Error::NotFound)?;
        let seed: [u8; 32] = self
            .cipher
            .decrypt_bytes(&enc)?
            .try_into()
            .map_err(|_| Error::Store("session key has the wrong length".into()))?;
        let code = ticket::sign(
            &seed,
            &ticket::Claims {
                session_id: r.session_id,
                registration_id: r.id,
                venue_id: r.venue_id,
                person_id: r.person_id,
            },
        );
        Ok((r, code))
    }

    pub async fn my_registrations(&self, actor: &Actor) -> Result<Vec<MyRegistration>> {
        let person = actor.user.person_id.ok_or(Error::Forbidden)?;
        self.store.person_registrations(person).await
    }

    pub async fn my_notifications(&self, actor: &Actor) -> Result<Vec<(i64, String)>> {
        match actor.user.person_id {
            Some(p) => self.store.notifications(p, 20).await,
            None => Ok(Vec::new()),
        }
    }

    /// The roster of a session, for offices in scope (audited).
    pub async fn session_roster(
        &self,
        actor: &Actor,
        session: SessionId,
    ) -> Result<Vec<RosterEntry>> {
        let roster = self.roster_unaudited(actor, session).await?;
        self.audit
            .record(
                actor,
                "roster.read",
                &format!("session:{session}"),
                &format!("{} rows", roster.len()),
            )
            .await?;
        Ok(roster)
    }

    /// The roster with mobiles masked, for offices in scope; the caller
    /// writes the audit entry.
    pub(crate) async fn roster_unaudited(
        &self,
        actor: &Actor,
        session: SessionId,
    ) -> Result<Vec<RosterEntry>> {
        let s = self
            .store
            .get_session(session)
            .await?
            .ok_or(Error::NotFound)?;
        if !self.manages(Some(actor), &s) {
            return Err(if actor.role().is_office() {
                Error::Forbidden
            } else {
                Error::NotFound
            });
        }
        let mut roster = self.store.roster(session).await?;
        for r in &mut roster {
            r.mobile = mask_mobile(&r.mobile);
        }
        Ok(roster)
    }
}

// ---- Roster import ------------------------------------------------------------

impl TrainingService {
    /// Whether the caller may import a roster for the session: an office
    /// whose scope holds its organiser or one of its venues (a county office
    /// fills its own sub-venue).
    async fn roster_session(
        &self,
        actor: &Actor,
        session: SessionId,
    ) -> Result<(Session, Vec<VenueLoad>)> {
        let range = actor.write_range()?;
        let s = self
            .store
            .get_session(session)
            .await?
            .ok_or(Error::NotFound)?;
        let venues = self.store.session_venues(session).await?;
        if !range.contains(s.region) && !venues.iter().any(|v| range.contains(v.venue.region)) {
            return Err(Error::Forbidden);
        }
        if matches!(s.status, SessionStatus::Closed | SessionStatus::Cancelled) {
            return Err(Error::field("session", "error.session_state"));
        }
        Ok((s, venues))
    }

    /// Checks that the caller may import a roster for the session.
    pub async fn can_import_roster(&self, actor: &Actor, session: SessionId) -> Result<()> {
        self.roster_session(actor, session).await.map(|_| ())
    }

    /// Imports a roster file for a session: people are matched by mobile
    /// number or created, then registered (waitlisted where a venue is full).
    /// Every row is checked first; with any problem nothing is written and
    /// every problem is returned with its row and column.
    pub async fn import_roster(
        &self,
        actor: &Actor,
        session: SessionId,
        filename: &str,
        bytes: &[u8],
    ) -> Result<
        std::result::Result<
            crate::training::store::RosterOutcome,
            Vec<crate::training::roster::RowError>,
        >,
    > {
        use crate::training::roster::{read_roster, RegionResolver, RowError};
        use crate::training::store::{RosterPerson, RosterPlan, Seat};
        let (s, venues) = self.roster_session(actor, session).await?;
        let range = actor.write_range()?;
        let (name, data) = (filename.to_string(), bytes.to_vec());
        let (sheet, parsed) = crate::sheet::parse_bounded(move || read_roster(&name, &data))
            .await?
            .map_err(|e| Error::Invalid(crate::error::FieldErrors(vec![e])))?;
        let lines = match parsed {
            Ok(l) => l,
            Err(errors) => return Ok(Err(errors)),
        };
        let regions = self.people.list_regions(None, None).await?;
        let mobiles: Vec<String> = lines
            .iter()
            .map(|l| l.mobile.as_str().to_string())
            .collect();
        let existing: std::collections::HashMap<String, crate::training::store::KnownPerson> = self
            .store
            .people_by_mobiles(&mobiles)
            .await?
            .into_iter()
            .map(|k| (k.mobile.clone(), k))
            .collect();
        // Who holds each ID number the file names (by keyed hash): a row
        // whose ID number is on record under another person is the
        // office's to resolve, never a second person nor a silent merge.
        let id_keys: Vec<Option<String>> = lines
            .iter()
            .map(|l| {
                l.id_number
                    .as_ref()
                    .map(|n| self.cipher.id_number_key(n.as_str()))
            })
            .collect();
        let mut holders: std::collections::HashMap<String, Vec<PersonId>> = Default::default();
        {
            let mut keys: Vec<String> = id_keys.iter().flatten().cloned().collect();
            keys.sort();
            keys.dedup();
            for (key, id, _) in self.people.people_by_id_keys(&keys).await? {
                holders.entry(key).or_default().push(id);
            }
        }
        // Organisations are matched by a normalised name (bracket width,
        // spaces, traditional characters), so 某某（苏州）有限公司 and
        // 某某(苏州)有限公司 are one; stored names are looked up in both
        // bracket widths.
        let mut org_names: Vec<String> = lines
            .iter()
            .filter_map(|l| l.org.as_deref())
            .flat_map(crate::values::org_name_variants)
            .collect();
        org_names.sort();
        org_names.dedup();
        let mut known_orgs: std::collections::HashMap<String, OrgId> = Default::default();
        for (name, id) in self.store.orgs_by_names(&org_names).await? {
            let id = known_orgs
                .get(&crate::values::org_key(&name))
                .map_or(id, |k| (*k).min(id));
            known_orgs.insert(crate::values::org_key(&name), id);
        }

        // Planning tens of thousands of rows is CPU work: off the async
        // workers, so the scans and pages they serve are not held up.
        let rows = lines.len();
        let cipher = self.cipher.clone();
        let (plan, mut errors) = crate::sheet::in_background(move || {
            let resolver = RegionResolver::new(&regions);
            let mut plan = RosterPlan {
                session,
                new_orgs: Vec::new(),
                new_people: Vec::new(),
                registrations: Vec::new(),
            };
            let mut new_org_index: std::collections::HashMap<String, usize> = Default::default();
            let mut errors = Vec::new();
            for (line, id_key) in lines.iter().zip(&id_keys) {
                let col = |k: &str| line.headers.get(k).cloned().unwrap_or_default();
                let err = |errors: &mut Vec<RowError>, k: &str, key: &'static str| {
                    errors.push(RowError {
                        row: line.row,
                        column: col(k),
                        key,
                        args: vec![],
                    })
                };
                let before = errors.len();
                // People are matched by mobile only within the caller's scope.
                // A mobile held by someone outside it is refused as the person
                // form refuses it, so the file learns nothing of that person.
                let held_by_other = |me: Option<PersonId>| {
                    id_key
                        .as_ref()
                        .and_then(|k| holders.get(k))
                        .is_some_and(|ids| ids.iter().any(|id| Some(*id) != me))
                };
                let (who, tier, region) = match existing.get(line.mobile.as_str()) {
                    Some(k) if !range.contains(k.region) => {
                        err(&mut errors, "mobile", "error.mobile_taken");
                        continue;
                    }
                    // The mobile is someone's on record under another name: the
                    // office resolves it; the file's person is never swapped
                    // for the stored one, nor is the stored name told.
                    Some(k) if !crate::values::same_name(&k.name, &line.name) => {
                        err(&mut errors, "mobile", "roster.mobile_other_name");
                        continue;
                    }
                    // Same mobile and name, but the file's ID number is not the
                    // one on record (or belongs to someone else).
                    Some(k)
                        if held_by_other(Some(k.id))
                            || (id_key.is_some()
                                && k.id_number_key.is_some()
                                && k.id_number_key != *id_key) =>
                    {
                        err(&mut errors, "id_number", "roster.id_number_other");
                        continue;
                    }
                    Some(k) => (Some(RosterPerson::Existing(k.id)), k.tier, k.region),
                    // A new mobile with an ID number someone already holds: the
                    // same person under a new mobile, or a typing error.
                    None if held_by_other(None) => {
                        err(&mut errors, "id_number", "roster.id_number_other");
                        continue;
                    }
                    None => {
                        let tier = line.tier;
                        if tier.is_none() {
                            err(&mut errors, "tier", "roster.tier_required");
                        }
                        let region = match line.region.as_deref() {
                            None => {
                                err(&mut errors, "region", "roster.region_required");
                                None
                            }
                            Some(text) => match resolver.resolve(text) {
                                Ok(code) if range.contains(code) => Some(code),
                                Ok(_) => {
                                    err(&mut errors, "region", "error.region_scope");
                                    None
                                }
                                Err(k) => {
                                    err(&mut errors, "region", k);
                                    None
                                }
                            },
                        };
                        match (tier, region) {
                            (Some(t), Some(r)) => (None, t, r),
                            _ => continue,
                        }
                    }
                };
                if let Some(key) = s.ineligibility(tier, region) {
                    errors.push(RowError {
                        row: line.row,
                        column: String::new(),
                        key,
                        args: vec![],
                    });
                }
                let venue = match line.venue.as_deref() {
                    Some(text) => {
                        let t = text.trim();
                        let found = venues
                            .iter()
                            .find(|v| v.venue.name == t)
                            .or_else(|| {
                                venues
                                    .iter()
                                    .find(|v| v.venue.name.contains(t) || t.contains(&v.venue.name))
                            })
                            .or_else(|| match t {
                                "主会场" => {
                                    venues.iter().find(|v| v.venue.kind == VenueKind::Main)
                                }
                                "线上" | "线上直播" | "在线" => {
                                    venues.iter().find(|v| v.venue.kind == VenueKind::Online)
                                }
                                _ => None,
                            });
                        match found {
                            Some(v) => Some(Seat::Venue(v.venue.id)),
                            None => {
                                err(&mut errors, "venue", "roster.venue_unknown");
                                None
                            }
                        }
                    }
                    // Placed when applied, inside the transaction, on the seats
                    // committed registrations and the rows before it took.
                    None => Some(Seat::Near(region)),
                };
                if errors.len() > before {
                    continue;
                }
                let Some(venue) = venue else { continue };
                let who = match who {
                    Some(w) => w,
                    None => {
                        let (org_id, new_org) = match &line.org {
                            None => (None, None),
                            Some(name) => match known_orgs.get(&crate::values::org_key(name)) {
                                Some(id) => (Some(*id), None),
                                None => {
                                    let key = crate::values::org_key(name);
                                    let idx = *new_org_index.entry(key).or_insert_with(|| {
                                        plan.new_orgs.push(crate::people::OrgDraft {
                                            name: name.clone(),
                                            kind: crate::people::OrgKind::Enterprise,
                                            industry: None,
                                            sales_band: None,
                                            credit_code: None,
                                            region,
                                        });
                                        plan.new_orgs.len() - 1
                                    });
                                    (None, Some(idx))
                                }
                            },
                        };
                        let draft = crate::people::PersonDraft {
                            name: line.name.clone(),
                            mobile: line.mobile.clone(),
                            id_number: line.id_number.clone(),
                            tier,
                            org_id,
                            region,
                        };
                        plan.new_people.push((
                            crate::people::service::person_row_with(&cipher, &draft),
                            new_org,
                        ));
                        RosterPerson::New(plan.new_people.len() - 1)
                    }
                };
                plan.registrations.push((who, venue));
            }
            (plan, errors)
        })
        .await?;
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.row);
            // A refused file is audited too, with how many of its rows named
            // a mobile or ID number held by someone else: the answers tell
            // whether a number is on record, so asking is on record.
            let held = errors
                .iter()
                .filter(|e| {
                    matches!(
                        e.key,
                        "error.mobile_taken"
                            | "roster.mobile_other_name"
                            | "roster.id_number_other"
                    )
                })
                .count();
            self.audit
                .record(
                    actor,
                    "roster.refused",
                    &format!("session:{session}"),
                    &format!(
                        "{} rows, {} refused, {held} naming numbers held by others, from {}",
                        rows,
                        errors.len(),
                        filename.chars().take(100).collect::<String>()
                    ),
                )
                .await?;
            return Ok(Err(errors));
        }
        let mut outcome = self.store.apply_roster(&plan, now()).await?;
        outcome.sheet = sheet;
        self.audit
            .record(
                actor,
                "roster.import",
                &format!("session:{session}"),
                &format!(
                    "{} rows from {}",
                    rows,
                    filename.chars().take(100).collect::<String>()
                ),
            )
            .await?;
        Ok(Ok(outcome))
    }

    /// An actor with the programme office's rights over the province that
    /// holds `session`, for administrators' CLI commands.
    pub async fn system_actor_for_session(&self, session: SessionId) -> Result<Actor> {
        let s = self
            .store
            .get_session(session)
            .await?
            .ok_or(Error::NotFound)?;
        let province =
            RegionCode::from_value(s.region.value() / 10_000 * 10_000).ok_or(Error::NotFound)?;
        Ok(Actor::new(crate::auth::User {
            id: crate::people::UserId(0),
            username: "system".into(),
            display_name: "system".into(),
            role: Role::ProgrammeOffice,
            region: Some(province),
            person_id: None,
            org_id: None,
        }))
    }
}
