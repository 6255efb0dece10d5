//! [`TrainingStore`] in portable SQL.
//!
//! Writes that must not race (registering against capacity, cancelling and
//! promoting, recording a scan) open their transaction with a write: on
//! SQLite that takes the database's write lock up front (so the transaction
//! never has to upgrade a stale read snapshot), on PostgreSQL it locks the
//! row that serialises the decision.

pub(crate) mod checkin;

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use fanxing_core::error::{Error, FieldError, Result};
use fanxing_core::people::{PersonId, Tier};
use fanxing_core::region::RegionRange;
use fanxing_core::store::Page;
use fanxing_core::training::store::{MyRegistration, RosterEntry, SessionQuery, TrainingStore};
use fanxing_core::training::{
    ActualRow, Counts, Programme, ProgrammeId, RegisterOutcome, Registration, RegistrationId,
    RegistrationStatus, Session, SessionDraft, SessionId, SessionStatus, Target, Venue, VenueId,
    VenueKind, VenueLoad,
};

use crate::sql::{args, Sql};
use crate::store::{
    bad, choice_col, col, db, id_col, insert_org_sql, is_unique_violation, opt_id_col, region_code,
    SqlStore,
};
use fanxing_core::people::service::mobile_conflict;
use fanxing_core::people::OrgId;
use fanxing_core::training::store::{KnownPerson, RosterOutcome, RosterPerson, RosterPlan, Seat};

pub(crate) const PROGRAMME_SELECT: &str =
    "SELECT id, name, issuer, starts_on, ends_on FROM programmes";

pub(crate) fn programme_from(r: &AnyRow) -> Result<Programme> {
    Ok(Programme {
        id: id_col(r, "id")?,
        name: col(r, "name")?,
        issuer: col(r, "issuer")?,
        starts_on: col(r, "starts_on")?,
        ends_on: col(r, "ends_on")?,
    })
}

pub(crate) const SESSION_SELECT: &str =
    "SELECT s.id, s.programme_id, s.course_id, s.title, s.region, \
     r.name AS region_name, s.count_region, s.tier, s.eligible_tiers, s.eligible_region, \
     s.starts_at, s.ends_at, s.reg_opens_at, s.reg_closes_at, s.online_min_share, s.status, \
     s.public_key, s.notice, s.closed_at \
     FROM training_sessions s JOIN regions r ON r.code = s.region WHERE 1=1";

pub(crate) fn tier_opt(v: Option<String>) -> Result<Option<Tier>> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(t) => Tier::parse(t).map(Some).ok_or_else(|| bad("tier", t)),
    }
}

pub(crate) fn session_from(row: &AnyRow) -> Result<Session> {
    let status: String = col(row, "status")?;
    let tiers: String = col(row, "eligible_tiers")?;
    let eligible_region: Option<i64> = col(row, "eligible_region")?;
    Ok(Session {
        id: id_col(row, "id")?,
        programme_id: id_col(row, "programme_id")?,
        course_id: opt_id_col(row, "course_id")?,
        title: col(row, "title")?,
        region: region_code(col(row, "region")?)?,
        region_name: col(row, "region_name")?,
        count_region: region_code(col(row, "count_region")?)?,
        tier: tier_opt(col(row, "tier")?)?,
        eligible_tiers: tiers
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| Tier::parse(t).ok_or_else(|| bad("tier", t)))
            .collect::<Result<_>>()?,
        eligible_region: eligible_region.map(region_code).transpose()?,
        starts_at: col(row, "starts_at")?,
        ends_at: col(row, "ends_at")?,
        reg_opens_at: col(row, "reg_opens_at")?,
        reg_closes_at: col(row, "reg_closes_at")?,
        online_min_share: col(row, "online_min_share")?,
        status: SessionStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        public_key: col(row, "public_key")?,
        notice: col(row, "notice")?,
        closed_at: col(row, "closed_at")?,
    })
}

pub(crate) const VENUE_COLS: &str =
    "v.id, v.session_id, v.kind, v.name, v.address, v.region, v.capacity, v.stream_url";

pub(crate) fn venue_from(row: &AnyRow) -> Result<Venue> {
    venue_prefixed(row, "")
}

/// Reads a venue whose columns carry `prefix` (for joins with sessions).
pub(crate) fn venue_prefixed(row: &AnyRow, prefix: &str) -> Result<Venue> {
    let c = |name: &str| format!("{prefix}{name}");
    let kind: String = col(row, &c("kind"))?;
    Ok(Venue {
        id: id_col(row, &c("id"))?,
        session_id: id_col(row, &c("session_id"))?,
        kind: VenueKind::parse(&kind).ok_or_else(|| bad("venue kind", &kind))?,
        name: col(row, &c("name"))?,
        address: col(row, &c("address"))?,
        region: region_code(col(row, &c("region"))?)?,
        capacity: col(row, &c("capacity"))?,
        stream_url: col(row, &c("stream_url"))?,
    })
}

pub(crate) const REG_COLS: &str =
    "g.id, g.session_id, g.person_id, g.venue_id, g.status, g.waitlist_pos, g.created_at, g.promoted_at";

pub(crate) fn registration_from(row: &AnyRow) -> Result<Registration> {
    let status: String = col(row, "status")?;
    Ok(Registration {
        id: id_col(row, "id")?,
        session_id: id_col(row, "session_id")?,
        person_id: id_col(row, "person_id")?,
        venue_id: id_col(row, "venue_id")?,
        status: RegistrationStatus::parse(&status)
            .ok_or_else(|| bad("registration status", &status))?,
        waitlist_pos: col(row, "waitlist_pos")?,
        created_at: col(row, "created_at")?,
        promoted_at: col(row, "promoted_at")?,
    })
}

pub(crate) async fn registration_in(
    tx: &mut Transaction<'static, Any>,
    id: RegistrationId,
) -> Result<Option<Registration>> {
    let mut q = Sql::new(&format!(
        "SELECT {REG_COLS} FROM registrations g WHERE g.id = "
    ));
    q.bind(id);
    let row = q.query().fetch_optional(&mut **tx).await.map_err(db)?;
    row.as_ref().map(registration_from).transpose()
}

pub(crate) fn tier_list(tiers: &[Tier]) -> String {
    tiers
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Brings a cancelled registration back as `status` at `venue` (a new
/// sign-up in all but its id): single registrations and rosters alike.
pub(crate) fn revive_sql(
    id: RegistrationId,
    status: RegistrationStatus,
    venue: VenueId,
    pos: Option<i64>,
    now: i64,
) -> Sql {
    let mut q = Sql::new("UPDATE registrations SET status = ");
    q.bind(status.as_str())
        .push(", venue_id = ")
        .bind(venue)
        .push(", waitlist_pos = ")
        .bind(pos)
        .push(", created_at = ")
        .bind(now)
        .push(", promoted_at = NULL, cancelled_at = NULL WHERE id = ")
        .bind(id);
    q
}

/// Registers within an open transaction (shared by single registrations and
/// roster imports). The venue row is locked first, so seat counts are
/// decided one registration at a time.
pub(crate) async fn register_in(
    tx: &mut Transaction<'static, Any>,
    session: SessionId,
    person: PersonId,
    venue: VenueId,
    now: i64,
) -> Result<RegisterOutcome> {
    // Lock the venue: its seat count is decided one registration at a time.
    let mut lock = Sql::new("UPDATE venues SET capacity = capacity WHERE id = ");
    lock.bind(venue).push(" AND session_id = ").bind(session);
    let locked = lock.query().execute(&mut **tx).await.map_err(db)?;
    if locked.rows_affected() != 1 {
        return Err(Error::field("venue_id", "reg.venue_unknown"));
    }
    let mut q = Sql::new("SELECT id, status FROM registrations WHERE session_id = ");
    q.bind(session).push(" AND person_id = ").bind(person);
    let existing = q.query().fetch_optional(&mut **tx).await.map_err(db)?;
    if let Some(row) = &existing {
        let status: String = col(row, "status")?;
        if status != RegistrationStatus::Cancelled.as_str() {
            return Err(Error::Conflict(FieldError::new("session", "reg.already")));
        }
    }
    let mut q = Sql::new(
        "SELECT v.capacity, \
         (SELECT COUNT(*) FROM registrations g WHERE g.venue_id = v.id AND g.status = 'registered') AS taken, \
         (SELECT COALESCE(MAX(g.waitlist_pos), 0) FROM registrations g WHERE g.venue_id = v.id AND g.status = 'waitlisted') AS last_pos \
         FROM venues v WHERE v.id = ",
    );
    q.bind(venue);
    let row = q.query().fetch_one(&mut **tx).await.map_err(db)?;
    let capacity: i64 = col(&row, "capacity")?;
    let taken: i64 = col(&row, "taken")?;
    let last_pos: i64 = col(&row, "last_pos")?;
    let (status, pos) = if taken < capacity {
        (RegistrationStatus::Registered, None)
    } else {
        (RegistrationStatus::Waitlisted, Some(last_pos + 1))
    };
    let id: RegistrationId = match existing {
        Some(row) => {
            let id: RegistrationId = id_col(&row, "id")?;
            revive_sql(id, status, venue, pos, now)
                .query()
                .execute(&mut **tx)
                .await
                .map_err(db)?;
            id
        }
        None => {
            let mut q = Sql::new(
                "INSERT INTO registrations (session_id, person_id, venue_id, status, waitlist_pos, created_at) VALUES (",
            );
            q.binds(args![session, person, venue, status.as_str(), pos, now])
                .push(") RETURNING id");
            let row = q.query().fetch_one(&mut **tx).await.map_err(db)?;
            id_col(&row, "id")?
        }
    };
    let registration = registration_in(tx, id).await?.ok_or(Error::NotFound)?;
    Ok(RegisterOutcome {
        waitlisted: status == RegistrationStatus::Waitlisted,
        registration,
    })
}

/// A session's venues with their seats taken, waitlist and attendance,
/// and each one's last waitlist place: one statement for the venue list
/// and for the roster import's placement.
pub(crate) fn venue_loads_sql(session: SessionId) -> Sql {
    let mut q = Sql::new(&format!(
        "SELECT {VENUE_COLS}, \
         (SELECT COUNT(*) FROM registrations g WHERE g.venue_id = v.id AND g.status = 'registered') AS registered, \
         (SELECT COUNT(*) FROM registrations g WHERE g.venue_id = v.id AND g.status = 'waitlisted') AS waitlisted, \
         (SELECT COALESCE(MAX(g.waitlist_pos), 0) FROM registrations g WHERE g.venue_id = v.id AND g.status = 'waitlisted') AS last_pos, \
         (SELECT COUNT(*) FROM attendances a WHERE a.venue_id = v.id) AS attended \
         FROM venues v WHERE v.session_id = "
    ));
    q.bind(session).push(" ORDER BY v.id");
    q
}

/// A row of [`venue_loads_sql`]: the load and the last waitlist place.
pub(crate) fn venue_load_from(r: &AnyRow) -> Result<(VenueLoad, i64)> {
    Ok((
        VenueLoad {
            venue: venue_from(r)?,
            registered: col(r, "registered")?,
            waitlisted: col(r, "waitlisted")?,
            attended: col(r, "attended")?,
        },
        col(r, "last_pos")?,
    ))
}

/// Inserts a session and its venues inside an open transaction.
pub(crate) async fn insert_session_in(
    tx: &mut Transaction<'static, Any>,
    d: &SessionDraft,
    status: SessionStatus,
    signing_key_enc: &[u8],
    public_key: &str,
    now: i64,
) -> Result<(SessionId, Vec<VenueId>)> {
    let mut q = Sql::new(
        "INSERT INTO training_sessions (programme_id, course_id, title, region, count_region, tier, \
         eligible_tiers, eligible_region, starts_at, ends_at, reg_opens_at, reg_closes_at, \
         online_min_share, status, signing_key, public_key, created_at, closed_at) VALUES (",
    );
    q.binds(args![
        d.programme_id,
        d.course_id,
        d.title.as_str(),
        d.region.value() as i64,
        d.count_region.value() as i64,
        d.tier.map(|t| t.as_str()),
        tier_list(&d.eligible_tiers),
        d.eligible_region.map(|r| r.value() as i64),
        d.starts_at,
        d.ends_at,
        d.reg_opens_at,
        d.reg_closes_at,
        d.online_min_share,
        status.as_str(),
        Some(signing_key_enc.to_vec()),
        public_key,
        now
    ])
    .push(", ")
    // A session recorded as already held closed when it ended.
    .bind((status == SessionStatus::Closed).then_some(d.ends_at))
    .push(") RETURNING id");
    let row = q.query().fetch_one(&mut **tx).await.map_err(db)?;
    let id: SessionId = id_col(&row, "id")?;
    let mut venue_ids = Vec::new();
    for v in &d.venues {
        let mut q = Sql::new(
            "INSERT INTO venues (session_id, kind, name, address, region, capacity, stream_url) VALUES (",
        );
        q.binds(args![
            id,
            v.kind.as_str(),
            v.name.as_str(),
            v.address.as_str(),
            v.region.value() as i64,
            v.capacity,
            v.stream_url.clone()
        ])
        .push(") RETURNING id");
        let row = q.query().fetch_one(&mut **tx).await.map_err(db)?;
        venue_ids.push(id_col(&row, "id")?);
    }
    Ok((id, venue_ids))
}

/// Records attendance of registered people inside an open transaction.
pub(crate) async fn mark_attended_in(
    tx: &mut Transaction<'static, Any>,
    session: SessionId,
    people: &[PersonId],
    at: i64,
) -> Result<u64> {
    let mut total = 0;
    for chunk in people.chunks(crate::store::BULK_CHUNK) {
        let mut q = Sql::new(
            "INSERT INTO attendances (session_id, person_id, registration_id, venue_id, mode, tier, \
             region, programme_id, recorded_at) \
             SELECT g.session_id, g.person_id, g.id, g.venue_id, \
             CASE WHEN v.kind = 'online' THEN 'online' ELSE 'onsite' END, p.tier, v.region, s.programme_id, ",
        );
        q.bind(at).push(
            " FROM registrations g JOIN venues v ON v.id = g.venue_id \
             JOIN people p ON p.id = g.person_id JOIN training_sessions s ON s.id = g.session_id \
             WHERE g.status = 'registered' AND g.session_id = ",
        );
        q.bind(session).push(" AND g.person_id IN (");
        for (i, p) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(*p);
        }
        q.push(") ON CONFLICT (session_id, person_id) DO NOTHING");
        total += q
            .query()
            .execute(&mut **tx)
            .await
            .map_err(db)?
            .rows_affected();
    }
    Ok(total)
}

#[async_trait]
impl TrainingStore for SqlStore {
    async fn people_by_mobiles(&self, mobiles: &[String]) -> Result<Vec<KnownPerson>> {
        let mut out = Vec::new();
        for chunk in mobiles.chunks(500) {
            let mut q = Sql::new(
                "SELECT mobile, id, tier, region, name, id_number_key FROM people WHERE mobile",
            );
            q.in_list(chunk);
            for r in q.query().fetch_all(self.pool()).await.map_err(db)? {
                out.push(KnownPerson {
                    mobile: col(&r, "mobile")?,
                    id: id_col(&r, "id")?,
                    tier: choice_col(&r, "tier", Tier::parse)?,
                    region: region_code(col(&r, "region")?)?,
                    name: col(&r, "name")?,
                    id_number_key: col(&r, "id_number_key")?,
                });
            }
        }
        Ok(out)
    }

    async fn orgs_by_names(&self, names: &[String]) -> Result<Vec<(String, OrgId)>> {
        let mut out = Vec::new();
        for chunk in names.chunks(500) {
            let mut q = Sql::new("SELECT name, MIN(id) AS id FROM organisations WHERE name IN (");
            for (i, n) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.bind(n.as_str());
            }
            q.push(") GROUP BY name");
            for r in q.query().fetch_all(self.pool()).await.map_err(db)? {
                out.push((col(&r, "name")?, id_col(&r, "id")?));
            }
        }
        Ok(out)
    }

    async fn apply_roster(&self, plan: &RosterPlan, now: i64) -> Result<RosterOutcome> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        // Lock the session's venues first: on SQLite the write lock is taken
        // up front, on PostgreSQL one registration at a time waits for this
        // import's seats to be decided, so the counts read below stay true.
        let mut lock = Sql::new("UPDATE venues SET capacity = capacity WHERE session_id = ");
        lock.bind(plan.session);
        lock.query().execute(&mut *tx).await.map_err(db)?;
        let mut out = RosterOutcome::default();
        let mut org_ids = Vec::with_capacity(plan.new_orgs.len());
        for org in &plan.new_orgs {
            let q = insert_org_sql(org, now);
            let row = q.query().fetch_one(&mut *tx).await.map_err(db)?;
            org_ids.push(id_col::<OrgId>(&row, "id")?);
            out.created_orgs += 1;
        }
        // New people in multi-row statements; ids come back by mobile (the
        // order of RETURNING rows is not promised by either database).
        let mut id_by_mobile: std::collections::HashMap<String, PersonId> =
            std::collections::HashMap::with_capacity(plan.new_people.len());
        for chunk in plan.new_people.chunks(crate::store::BULK_CHUNK) {
            let mut q = Sql::new(&format!(
                "INSERT INTO people {} VALUES ",
                crate::store::PERSON_COLS
            ));
            for (i, (person, new_org)) in chunk.iter().enumerate() {
                let mut row = person.clone();
                if let Some(k) = new_org {
                    row.org_id = Some(org_ids[*k]);
                }
                q.push(if i == 0 { "(" } else { ", (" });
                crate::store::person_binds(&mut q, &row);
                q.push(", ").bind(now).push(", ").bind(now).push(")");
            }
            q.push(" RETURNING id, mobile");
            let rows = match q.on(self.backend_kind()).query().fetch_all(&mut *tx).await {
                Ok(r) => r,
                Err(e) if is_unique_violation(&e) => return Err(mobile_conflict()),
                Err(e) => return Err(db(e)),
            };
            for r in &rows {
                id_by_mobile.insert(col(r, "mobile")?, id_col(r, "id")?);
            }
            out.created += chunk.len();
        }
        let person_ids = plan
            .new_people
            .iter()
            .map(|(p, _)| {
                id_by_mobile
                    .get(p.mobile.as_str())
                    .copied()
                    .ok_or_else(|| bad("people.mobile", p.mobile.as_str()))
            })
            .collect::<Result<Vec<PersonId>>>()?;

        // Seats from the committed registrations, read under the lock.
        let (mut loads, mut last_pos): (Vec<VenueLoad>, Vec<i64>) = venue_loads_sql(plan.session)
            .fetch_map(&mut *tx, venue_load_from)
            .await?
            .into_iter()
            .unzip();
        let mut q = Sql::new("SELECT person_id, id, status FROM registrations WHERE session_id = ");
        q.bind(plan.session);
        let mut existing: std::collections::HashMap<PersonId, (RegistrationId, bool)> =
            Default::default();
        for r in q.query().fetch_all(&mut *tx).await.map_err(db)? {
            let status: String = col(&r, "status")?;
            existing.insert(
                id_col(&r, "person_id")?,
                (
                    id_col(&r, "id")?,
                    status != RegistrationStatus::Cancelled.as_str(),
                ),
            );
        }
        // Each row placed by the rule one registration follows, on the
        // seats the committed registrations and the rows before it took.
        let mut inserts: Vec<(PersonId, VenueId, RegistrationStatus, Option<i64>)> = Vec::new();
        for (who, seat) in &plan.registrations {
            let person = match who {
                RosterPerson::Existing(id) => {
                    out.matched += 1;
                    *id
                }
                RosterPerson::New(i) => person_ids[*i],
            };
            let previous = existing.get(&person).copied();
            if matches!(previous, Some((_, true))) {
                out.already += 1;
                continue;
            }
            let venue = match *seat {
                Seat::Venue(v) => v,
                Seat::Near(region) => fanxing_core::training::suggest_venue(&loads, region)
                    .map(|v| v.venue.id)
                    .ok_or_else(|| Error::field("venue_id", "reg.venue_unknown"))?,
            };
            let k = loads
                .iter()
                .position(|l| l.venue.id == venue)
                .ok_or_else(|| Error::field("venue_id", "reg.venue_unknown"))?;
            let load = &mut loads[k];
            let (status, pos) = if load.registered < load.venue.capacity {
                load.registered += 1;
                out.registered += 1;
                (RegistrationStatus::Registered, None)
            } else {
                last_pos[k] += 1;
                load.waitlisted += 1;
                out.waitlisted += 1;
                (RegistrationStatus::Waitlisted, Some(last_pos[k]))
            };
            existing.insert(person, (RegistrationId(0), true));
            match previous {
                // A cancelled registration comes back to life.
                Some((id, false)) => {
                    revive_sql(id, status, venue, pos, now)
                        .query()
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                }
                _ => inserts.push((person, venue, status, pos)),
            }
        }
        for chunk in inserts.chunks(crate::store::BULK_CHUNK) {
            let mut q = Sql::new(
                "INSERT INTO registrations (session_id, person_id, venue_id, status, waitlist_pos, created_at) VALUES ",
            );
            for (i, (person, venue, status, pos)) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" })
                    .binds(args![
                        plan.session,
                        *person,
                        *venue,
                        status.as_str(),
                        *pos,
                        now
                    ])
                    .push(")");
            }
            q.on(self.backend_kind())
                .query()
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn insert_programme(&self, p: &Programme, now: i64) -> Result<ProgrammeId> {
        let mut q = Sql::new(
            "INSERT INTO programmes (name, issuer, starts_on, ends_on, created_at) VALUES (",
        );
        q.binds(args![
            p.name.as_str(),
            p.issuer.as_str(),
            p.starts_on.as_str(),
            p.ends_on.as_str(),
            now
        ])
        .push(") RETURNING id");
        let row = q.query().fetch_one(self.writer()).await.map_err(db)?;
        id_col(&row, "id")
    }

    async fn get_programme(&self, id: ProgrammeId) -> Result<Option<Programme>> {
        let mut q = Sql::new(&format!("{PROGRAMME_SELECT} WHERE id = "));
        q.bind(id);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.map(|r| programme_from(&r)).transpose()
    }

    async fn list_programmes(&self) -> Result<Vec<Programme>> {
        let rows = sqlx::query(&format!("{PROGRAMME_SELECT} ORDER BY id"))
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        rows.iter().map(programme_from).collect()
    }

    async fn set_programme_issuer(&self, id: ProgrammeId, issuer: &str) -> Result<()> {
        let mut q = Sql::new("UPDATE programmes SET issuer = ");
        q.bind(issuer).push(" WHERE id = ").bind(id);
        q.query().execute(self.writer()).await.map_err(db)?;
        Ok(())
    }

    async fn upsert_targets(&self, programme: ProgrammeId, targets: &[Target]) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        for t in targets {
            let mut q = Sql::new(
                "INSERT INTO programme_targets (programme_id, region, tier, sessions, attendances) VALUES (",
            );
            q.binds(args![
                programme,
                t.region.value() as i64,
                t.tier.map(|t| t.as_str()).unwrap_or(""),
                t.sessions,
                t.attendances
            ])
            .push(
                ") ON CONFLICT (programme_id, region, tier) DO UPDATE SET \
                     sessions = excluded.sessions, attendances = excluded.attendances",
            );
            q.query().execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn list_targets(
        &self,
        programme: ProgrammeId,
        range: RegionRange,
    ) -> Result<Vec<Target>> {
        let mut q = Sql::new(
            "SELECT region, tier, sessions, attendances FROM programme_targets WHERE programme_id = ",
        );
        q.bind(programme)
            .push(" AND region BETWEEN ")
            .bind(range.lo as i64)
            .push(" AND ")
            .bind(range.hi as i64)
            .push(" ORDER BY region, tier");
        q.fetch_map(self.pool(), |r| {
            Ok(Target {
                region: region_code(col(r, "region")?)?,
                tier: tier_opt(col(r, "tier")?)?,
                sessions: col(r, "sessions")?,
                attendances: col(r, "attendances")?,
            })
        })
        .await
    }

    async fn attendances_by_day(
        &self,
        programme: ProgrammeId,
        range: RegionRange,
    ) -> Result<Vec<(i64, i64)>> {
        // From the trigger-kept daily rollup (migration 0006).
        let mut q = Sql::new(
            "SELECT day AS d, CAST(SUM(n) AS BIGINT) AS n FROM attendance_days WHERE programme_id = ",
        );
        q.bind(programme)
            .push(" AND region BETWEEN ")
            .bind(range.lo as i64)
            .push(" AND ")
            .bind(range.hi as i64)
            .push(" GROUP BY day ORDER BY d");
        q.fetch_map(self.pool(), |r| Ok((col(r, "d")?, col(r, "n")?)))
            .await
    }

    async fn actuals(&self, programme: ProgrammeId, range: RegionRange) -> Result<Vec<ActualRow>> {
        let mut out = Vec::new();
        // Held sessions, where they count.
        let mut q = Sql::new(
            "SELECT count_region AS region, tier, COUNT(*) AS n FROM training_sessions WHERE programme_id = ",
        );
        q.bind(programme)
            .push(" AND status = 'closed' AND count_region BETWEEN ")
            .bind(range.lo as i64)
            .push(" AND ")
            .bind(range.hi as i64)
            .push(" GROUP BY count_region, tier");
        for r in q.query().fetch_all(self.pool()).await.map_err(db)? {
            out.push(ActualRow {
                region: region_code(col(&r, "region")?)?,
                tier: tier_opt(col(&r, "tier")?)?,
                counts: Counts {
                    sessions: col(&r, "n")?,
                    attendances: 0,
                },
            });
        }
        // Recorded attendances, by the region of the venue.
        let mut q =
            Sql::new("SELECT region, tier, CAST(SUM(n) AS BIGINT) AS n FROM attendance_days WHERE programme_id = ");
        q.bind(programme)
            .push(" AND region BETWEEN ")
            .bind(range.lo as i64)
            .push(" AND ")
            .bind(range.hi as i64)
            .push(" GROUP BY region, tier");
        for r in q.query().fetch_all(self.pool()).await.map_err(db)? {
            out.push(ActualRow {
                region: region_code(col(&r, "region")?)?,
                tier: tier_opt(col(&r, "tier")?)?,
                counts: Counts {
                    sessions: 0,
                    attendances: col(&r, "n")?,
                },
            });
        }
        Ok(out)
    }

    async fn insert_session(
        &self,
        d: &SessionDraft,
        status: SessionStatus,
        signing_key_enc: &[u8],
        public_key: &str,
        now: i64,
    ) -> Result<(SessionId, Vec<VenueId>)> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let out = insert_session_in(&mut tx, d, status, signing_key_enc, public_key, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn get_session(&self, id: SessionId) -> Result<Option<Session>> {
        let mut q = Sql::new(SESSION_SELECT);
        q.push(" AND s.id = ").bind(id);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.as_ref().map(session_from).transpose()
    }

    async fn session_signing_key(&self, id: SessionId) -> Result<Option<Vec<u8>>> {
        let mut q = Sql::new("SELECT signing_key FROM training_sessions WHERE id = ");
        q.bind(id);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.map(|r| col(&r, "signing_key")).transpose()
    }

    async fn list_sessions(&self, query: &SessionQuery) -> Result<Page<Session>> {
        let mut filter = Sql::new("");
        if let Some(p) = query.programme_id {
            filter.push(" AND s.programme_id = ").bind(p);
        }
        if let Some(r) = query.region {
            filter
                .push(" AND (s.region BETWEEN ")
                .bind(r.lo as i64)
                .push(" AND ")
                .bind(r.hi as i64)
                .push(" OR s.id IN (SELECT session_id FROM venues WHERE region BETWEEN ")
                .bind(r.lo as i64)
                .push(" AND ")
                .bind(r.hi as i64)
                .push("))");
        }
        if !query.statuses.is_empty() {
            filter.push(" AND s.status IN (");
            for (i, st) in query.statuses.iter().enumerate() {
                if i > 0 {
                    filter.push(", ");
                }
                filter.bind(st.as_str());
            }
            filter.push(")");
        }
        if let Some(t) = query.ends_after {
            filter.push(" AND s.ends_at > ").bind(t);
        }
        if let Some(t) = query.ends_before {
            filter.push(" AND s.ends_at <= ").bind(t);
        }
        if let Some(t) = query.tier {
            // eligible_tiers is a comma-separated list; empty means every tier.
            filter
                .push(" AND (s.eligible_tiers = '' OR (',' || s.eligible_tiers || ',') LIKE ")
                .bind(format!("%,{},%", t.as_str()))
                .push(")");
        }
        if let Some(text) = query.text.as_deref().filter(|t| !t.is_empty()) {
            filter
                .push(" AND s.title LIKE ")
                .bind(crate::sql::like_contains(text))
                .push(" ESCAPE '\\'");
        }
        let order = if query.newest_first {
            "s.starts_at DESC, s.id DESC"
        } else {
            "s.starts_at, s.id"
        };
        self.page(
            SESSION_SELECT,
            "training_sessions s",
            &filter,
            order,
            query.offset,
            query.limit,
            session_from,
        )
        .await
    }

    async fn set_session_status(
        &self,
        id: SessionId,
        status: SessionStatus,
        notice: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let mut q = Sql::new("UPDATE training_sessions SET status = ");
        q.bind(status.as_str());
        if let Some(n) = notice {
            q.push(", notice = ").bind(n);
        }
        if status == SessionStatus::Closed {
            q.push(", closed_at = ").bind(now);
        }
        q.push(" WHERE id = ").bind(id);
        q.query().execute(self.writer()).await.map_err(db)?;
        Ok(())
    }

    async fn session_venues(&self, session: SessionId) -> Result<Vec<VenueLoad>> {
        venue_loads_sql(session)
            .fetch_map(self.pool(), |r| venue_load_from(r).map(|(load, _)| load))
            .await
    }

    async fn venue_list(&self, session: SessionId) -> Result<Vec<Venue>> {
        let mut q = Sql::new(&format!(
            "SELECT {VENUE_COLS} FROM venues v WHERE v.session_id = "
        ));
        q.bind(session).push(" ORDER BY v.id");
        q.fetch_map(self.pool(), venue_from).await
    }

    async fn get_venue(&self, id: VenueId) -> Result<Option<Venue>> {
        let mut q = Sql::new(&format!("SELECT {VENUE_COLS} FROM venues v WHERE v.id = "));
        q.bind(id);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.as_ref().map(venue_from).transpose()
    }

    async fn register(
        &self,
        session: SessionId,
        person: PersonId,
        venue: VenueId,
        now: i64,
    ) -> Result<RegisterOutcome> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let out = register_in(&mut tx, session, person, venue, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn cancel_registration(
        &self,
        id: RegistrationId,
        now: i64,
    ) -> Result<Option<Registration>> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut lock = Sql::new("UPDATE registrations SET status = status WHERE id = ");
        lock.bind(id);
        lock.query().execute(&mut *tx).await.map_err(db)?;
        let reg = registration_in(&mut tx, id).await?.ok_or(Error::NotFound)?;
        if reg.status == RegistrationStatus::Cancelled {
            return Ok(None);
        }
        let mut lock = Sql::new("UPDATE venues SET capacity = capacity WHERE id = ");
        lock.bind(reg.venue_id);
        lock.query().execute(&mut *tx).await.map_err(db)?;
        let mut q = Sql::new(
            "UPDATE registrations SET status = 'cancelled', waitlist_pos = NULL, cancelled_at = ",
        );
        q.bind(now).push(" WHERE id = ").bind(id);
        q.query().execute(&mut *tx).await.map_err(db)?;
        let mut promoted = None;
        if reg.status == RegistrationStatus::Registered {
            let mut q = Sql::new(
                "SELECT id FROM registrations WHERE status = 'waitlisted' AND venue_id = ",
            );
            q.bind(reg.venue_id)
                .push(" ORDER BY waitlist_pos, id LIMIT 1");
            if let Some(row) = q.query().fetch_optional(&mut *tx).await.map_err(db)? {
                let next: RegistrationId = id_col(&row, "id")?;
                let mut q = Sql::new(
                    "UPDATE registrations SET status = 'registered', waitlist_pos = NULL, promoted_at = ",
                );
                q.bind(now).push(" WHERE id = ").bind(next);
                q.query().execute(&mut *tx).await.map_err(db)?;
                promoted = registration_in(&mut tx, next).await?;
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(promoted)
    }

    async fn get_registration(&self, id: RegistrationId) -> Result<Option<Registration>> {
        let mut q = Sql::new(&format!(
            "SELECT {REG_COLS} FROM registrations g WHERE g.id = "
        ));
        q.bind(id);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.as_ref().map(registration_from).transpose()
    }

    async fn registration_for(
        &self,
        session: SessionId,
        person: PersonId,
    ) -> Result<Option<Registration>> {
        let mut q = Sql::new(&format!(
            "SELECT {REG_COLS} FROM registrations g WHERE g.session_id = "
        ));
        q.bind(session).push(" AND g.person_id = ").bind(person);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.as_ref().map(registration_from).transpose()
    }

    async fn person_registrations(&self, person: PersonId) -> Result<Vec<MyRegistration>> {
        /// Ids per `IN (…)` list (well below either engine's parameter limit).
        const CHUNK_IDS: usize = 500;
        let mut q = Sql::new(&format!(
            "SELECT {REG_COLS} FROM registrations g WHERE g.person_id = "
        ));
        q.bind(person).push(" ORDER BY g.id DESC");
        let regs: Vec<Registration> = q
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(db)?
            .iter()
            .map(registration_from)
            .collect::<Result<_>>()?;
        // Their sessions, venues and attendances in three statements, not
        // three per registration.
        let mut session_ids: Vec<SessionId> = regs.iter().map(|r| r.session_id).collect();
        session_ids.sort();
        session_ids.dedup();
        let mut venue_ids: Vec<VenueId> = regs.iter().map(|r| r.venue_id).collect();
        venue_ids.sort();
        venue_ids.dedup();
        let mut sessions: std::collections::HashMap<SessionId, Session> =
            std::collections::HashMap::new();
        for chunk in session_ids.chunks(CHUNK_IDS) {
            let mut q = Sql::new(SESSION_SELECT);
            q.push(" AND s.id").in_list(chunk);
            for row in q.query().fetch_all(self.pool()).await.map_err(db)? {
                let s = session_from(&row)?;
                sessions.insert(s.id, s);
            }
        }
        let mut venues: std::collections::HashMap<VenueId, Venue> =
            std::collections::HashMap::new();
        for chunk in venue_ids.chunks(CHUNK_IDS) {
            let mut q = Sql::new(&format!("SELECT {VENUE_COLS} FROM venues v WHERE v.id"));
            q.in_list(chunk);
            for row in q.query().fetch_all(self.pool()).await.map_err(db)? {
                let v = venue_from(&row)?;
                venues.insert(v.id, v);
            }
        }
        let mut q = Sql::new("SELECT session_id FROM attendances WHERE person_id = ");
        q.bind(person);
        let attended: std::collections::HashSet<SessionId> = q
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(db)?
            .iter()
            .map(|r| id_col(r, "session_id"))
            .collect::<Result<_>>()?;
        let mut out = Vec::with_capacity(regs.len());
        for registration in regs {
            let session = sessions
                .get(&registration.session_id)
                .cloned()
                .ok_or(Error::NotFound)?;
            let venue = venues
                .get(&registration.venue_id)
                .cloned()
                .ok_or(Error::NotFound)?;
            out.push(MyRegistration {
                attended: attended.contains(&registration.session_id),
                registration,
                session,
                venue,
            });
        }
        out.sort_by_key(|m| std::cmp::Reverse(m.session.starts_at));
        Ok(out)
    }

    async fn roster(&self, session: SessionId) -> Result<Vec<RosterEntry>> {
        let mut q = Sql::new(
            "SELECT g.id, g.person_id, p.name, p.mobile, p.tier, o.name AS org_name, g.venue_id, \
             g.status, g.waitlist_pos, a.venue_id AS attended_venue_id, a.recorded_at AS attended_at \
             FROM registrations g JOIN people p ON p.id = g.person_id \
             LEFT JOIN organisations o ON o.id = p.org_id \
             LEFT JOIN attendances a ON a.session_id = g.session_id AND a.person_id = g.person_id \
             WHERE g.session_id = ",
        );
        q.bind(session).push(" ORDER BY g.id");
        q.fetch_map(self.pool(), |r| {
            let status: String = col(r, "status")?;
            Ok(RosterEntry {
                registration_id: id_col(r, "id")?,
                person_id: id_col(r, "person_id")?,
                name: col(r, "name")?,
                mobile: col(r, "mobile")?,
                tier: choice_col(r, "tier", Tier::parse)?,
                org_name: col(r, "org_name")?,
                venue_id: id_col(r, "venue_id")?,
                status: RegistrationStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
                waitlist_pos: col(r, "waitlist_pos")?,
                attended_venue_id: opt_id_col(r, "attended_venue_id")?,
                attended_at: col(r, "attended_at")?,
            })
        })
        .await
    }

    async fn notify(&self, people: &[PersonId], message: &str, now: i64) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        for chunk in people.chunks(crate::store::BULK_CHUNK) {
            let mut q =
                Sql::new("INSERT INTO notifications (person_id, message, created_at) VALUES ");
            for (i, p) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" })
                    .binds(args![*p, message, now])
                    .push(")");
            }
            q.on(self.backend_kind())
                .query()
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn notifications(&self, person: PersonId, limit: i64) -> Result<Vec<(i64, String)>> {
        let mut q = Sql::new("SELECT created_at, message FROM notifications WHERE person_id = ");
        q.bind(person).push(" ORDER BY id DESC LIMIT ").bind(limit);
        q.fetch_map(self.pool(), |r| {
            Ok((col(r, "created_at")?, col(r, "message")?))
        })
        .await
    }
}
