//! Check-in on [`TrainingService`]: the staff's venues and device kit,
//! door scans (decided and recorded in groups), walk-ins, online presence
//! and the hall's live figures.

use crate::auth::{Access, Actor};
use crate::error::{Error, Result};
use crate::now;
use crate::people::{PersonInput, Tier};
use crate::training::service::{
    CheckinKit, Live, LiveVenue, ScanInput, ScanResult, SessionView, TrainingService, WalkInInput,
};
use crate::training::store::{ScanOutcome, ScanRecord};
use crate::training::{
    ticket, Registration, RegistrationId, RegistrationStatus, Session, SessionId, SessionStatus,
    VenueId, VenueKind,
};
use crate::values::mask_mobile;

impl TrainingService {
    // ---- Check-in -------------------------------------------------------------

    /// Check-in staff assigned to the venue, or an office whose scope holds
    /// the venue or the session's organiser. An allowed caller's venue is
    /// kept for [`crate::training::service::VENUE_KEPT`]; a refusal is not.
    async fn checkin_venue(
        &self,
        actor: &Actor,
        venue: VenueId,
    ) -> Result<(Session, crate::training::Venue)> {
        let kept = self
            .venues
            .get_or_fill(&(venue, actor.user.id), || async {
                let (v, s, staff) = self
                    .checkins
                    .venue_and_session(venue, actor.user.id)
                    .await?
                    .ok_or(Error::NotFound)?;
                if !actor.may_check_in_at(staff, v.region, s.region) {
                    return Err(if actor.role().may_check_in() {
                        Error::Forbidden
                    } else {
                        Error::NotFound
                    });
                }
                Ok((v, s))
            })
            .await?;
        let (v, s) = &*kept;
        Ok((s.clone(), v.clone()))
    }

    /// The venues the caller may check people in at (staff's assignments).
    pub async fn my_checkin_venues(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(Session, crate::training::Venue)>> {
        let mut out = Vec::new();
        for id in self.checkins.staff_venues(actor.user.id).await? {
            if let Some(v) = self.store.get_venue(id).await? {
                if let Some(s) = self.store.get_session(v.session_id).await? {
                    out.push((s, v));
                }
            }
        }
        out.sort_by_key(|(s, _)| s.starts_at);
        Ok(out)
    }

    pub async fn checkin_kit(&self, actor: &Actor, venue: VenueId) -> Result<CheckinKit> {
        let (session, v) = self.checkin_venue(actor, venue).await?;
        let venues = self.store.session_venues(session.id).await?;
        let mut roster = self.store.roster(session.id).await?;
        for r in &mut roster {
            r.mobile = mask_mobile(&r.mobile);
        }
        self.audit
            .record(
                actor,
                "roster.read",
                &format!("venue:{venue}"),
                &format!("{} rows", roster.len()),
            )
            .await?;
        Ok(CheckinKit {
            public_key: session.public_key.clone(),
            session,
            venue_id: v.id,
            venues,
            roster,
            generated_at: now(),
        })
    }

    async fn venue_name(&self, id: VenueId) -> Result<String> {
        Ok(self
            .store
            .get_venue(id)
            .await?
            .map(|v| v.name)
            .unwrap_or_default())
    }

    /// Records scans from a device at `venue`. Each scan is checked on its
    /// own; one bad scan does not hold up the others.
    pub async fn record_scans(
        &self,
        actor: &Actor,
        venue: VenueId,
        device_id: &str,
        scans: &[ScanInput],
    ) -> Result<Vec<ScanResult>> {
        let (session, v) = self.checkin_venue(actor, venue).await?;
        let t = now();
        let refuse = |scan: &ScanInput,
                      key: &str,
                      args: &[(&str, &str)],
                      reg: Option<RegistrationId>| ScanResult {
            scan_id: scan.scan_id.clone(),
            status: "refused",
            message: crate::i18n::Lang::Zh.tf(key, args),
            registration_id: reg,
            name: None,
            venue_id: None,
            at: None,
        };
        let mut out = Vec::with_capacity(scans.len());
        // First, which registration each scan names (from a signed code, or
        // chosen by staff); the registrations are then read in one query.
        let mut named: Vec<(usize, RegistrationId)> = Vec::with_capacity(scans.len());
        for scan in scans {
            let scan_id = scan.scan_id.trim();
            if scan_id.is_empty() || scan_id.len() > 64 {
                out.push(refuse(scan, "checkin.malformed", &[], None));
                continue;
            }
            let reg_id = if scan.code.trim().is_empty() {
                match scan.registration_id {
                    Some(id) => id,
                    None => {
                        out.push(refuse(scan, "checkin.malformed", &[], None));
                        continue;
                    }
                }
            } else {
                match ticket::parse(&scan.code) {
                    Err(e) => {
                        out.push(refuse(scan, e.key(), &[], None));
                        continue;
                    }
                    Ok((claims, _)) if claims.session_id != session.id => {
                        out.push(refuse(scan, "checkin.other_session", &[], None));
                        continue;
                    }
                    Ok(_) => match ticket::verify(&session.public_key, &scan.code) {
                        Err(e) => {
                            out.push(refuse(scan, e.key(), &[], None));
                            continue;
                        }
                        Ok(c) => c.registration_id,
                    },
                }
            };
            named.push((out.len(), reg_id));
            // Filled in below.
            out.push(refuse(scan, "checkin.malformed", &[], None));
        }
        let mut ids: Vec<RegistrationId> = named.iter().map(|(_, id)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        let targets: std::collections::HashMap<RegistrationId, (Registration, String, Tier)> = self
            .checkins
            .checkin_targets(&ids)
            .await?
            .into_iter()
            .map(|x| (x.0.id, x))
            .collect();
        // Scans that passed every check, written together below.
        let mut pending: Vec<(usize, ScanRecord, String)> = Vec::new();
        for (slot, reg_id) in named {
            let scan = &scans[slot];
            let Some((reg, person_name, person_tier)) = targets.get(&reg_id).cloned() else {
                out[slot] = refuse(scan, "checkin.malformed", &[], None);
                continue;
            };
            if reg.session_id != session.id {
                out[slot] = refuse(scan, "checkin.other_session", &[], Some(reg.id));
                continue;
            }
            if !session.checkin_open(t) {
                out[slot] = refuse(scan, "checkin.not_open", &[], Some(reg.id));
                continue;
            }
            match reg.status {
                RegistrationStatus::Cancelled => {
                    out[slot] = refuse(scan, "checkin.cancelled", &[], Some(reg.id));
                    continue;
                }
                RegistrationStatus::Waitlisted => {
                    out[slot] = refuse(scan, "checkin.waitlisted", &[], Some(reg.id));
                    continue;
                }
                RegistrationStatus::Registered => {}
            }
            if reg.venue_id != v.id && !scan.allow_other_venue {
                out[slot] = refuse(
                    scan,
                    "checkin.other_venue",
                    &[("venue", &self.venue_name(reg.venue_id).await?)],
                    Some(reg.id),
                );
                continue;
            }
            pending.push((
                slot,
                ScanRecord {
                    scan_id: scan.scan_id.trim().to_string(),
                    device_id: device_id.chars().take(64).collect(),
                    method: if scan.code.trim().is_empty() {
                        "manual".into()
                    } else {
                        "qr".into()
                    },
                    scanned_at: scan
                        .scanned_at
                        .filter(|s| *s > 0 && *s <= t + 300)
                        .unwrap_or(t),
                    session_id: session.id,
                    programme_id: session.programme_id,
                    registration_id: reg.id,
                    person_id: reg.person_id,
                    venue_id: v.id,
                    tier: person_tier,
                    region: v.region,
                },
                person_name,
            ));
        }
        if pending.is_empty() {
            return Ok(out);
        }
        let records: Vec<ScanRecord> = pending.iter().map(|(_, r, _)| r.clone()).collect();
        let outcomes = self.checkins.record_scans(records, t).await?;
        for ((slot, record, name), outcome) in pending.into_iter().zip(outcomes) {
            out[slot] = match outcome {
                ScanOutcome::Accepted { venue_id, at } => ScanResult {
                    scan_id: scans[slot].scan_id.clone(),
                    status: "accepted",
                    message: crate::i18n::Lang::Zh.t("checkin.ok").to_string(),
                    registration_id: Some(record.registration_id),
                    name: Some(name),
                    venue_id: Some(venue_id),
                    at: Some(at),
                },
                ScanOutcome::Duplicate { venue_id, at } => ScanResult {
                    scan_id: scans[slot].scan_id.clone(),
                    status: "duplicate",
                    message: crate::i18n::Lang::Zh.tf(
                        "checkin.duplicate",
                        &[
                            ("time", &crate::training::format_local_time(at)),
                            ("venue", &self.venue_name(venue_id).await?),
                        ],
                    ),
                    registration_id: Some(record.registration_id),
                    name: Some(name),
                    venue_id: Some(venue_id),
                    at: Some(at),
                },
            };
        }
        Ok(out)
    }

    /// Registers a person at the door and checks them in, while seats remain.
    pub async fn walk_in(
        &self,
        actor: &Actor,
        venue: VenueId,
        input: &WalkInInput,
    ) -> Result<ScanResult> {
        let (session, v) = self.checkin_venue(actor, venue).await?;
        if !session.checkin_open(now()) {
            return Err(Error::field("session", "checkin.not_open"));
        }
        let loads = self.store.session_venues(session.id).await?;
        let load = loads
            .iter()
            .find(|l| l.venue.id == v.id)
            .ok_or(Error::NotFound)?;
        if load.seats_left() == 0 {
            return Err(Error::field("venue_id", "checkin.full"));
        }
        let mobile =
            crate::values::Mobile::parse(&input.mobile).map_err(|k| Error::field("mobile", k))?;
        // The person is looked up by mobile only within the session's own
        // scope (its eligible region, else the organiser's), and taken only
        // when the name given matches the one on record: staff learn nothing
        // they were not told, and a mobile held by someone else is refused
        // exactly as the person form refuses it.
        let scope = session.eligible_region.unwrap_or(session.region).subtree();
        let existing = self
            .store
            .people_by_mobiles(&[mobile.as_str().to_string()])
            .await?
            .into_iter()
            .next();
        let (person_id, tier, region) = match existing {
            Some(crate::training::store::KnownPerson {
                id, tier, region, ..
            }) => {
                let stored = self
                    .people
                    .get_person(Access::Regions(scope), id)
                    .await?
                    .filter(|p| crate::values::same_name(&p.name, &input.name));
                if stored.is_none() {
                    return Err(Error::field("mobile", "error.mobile_taken"));
                }
                (Some(id), tier, region)
            }
            None => {
                let tier = if input.tier.trim().is_empty() {
                    Tier::Operator
                } else {
                    Tier::parse_label(&input.tier)
                        .ok_or_else(|| Error::field("tier", "error.choice"))?
                };
                (None, tier, v.region)
            }
        };
        if let Some(key) = session.ineligibility(tier, region) {
            return Err(Error::field(
                if key == "reg.not_eligible_tier" {
                    "tier"
                } else {
                    "mobile"
                },
                key,
            ));
        }
        let person_id = match person_id {
            Some(id) => id,
            None => {
                let draft = PersonInput {
                    name: input.name.clone(),
                    mobile: input.mobile.clone(),
                    id_number: None,
                    tier: tier.as_str().to_string(),
                    org_id: None,
                    region: v.region.to_string(),
                }
                .validate()
                .map_err(Error::Invalid)?;
                self.people
                    .insert_person(
                        &crate::people::service::person_row_with(&self.cipher, &draft),
                        now(),
                    )
                    .await?
            }
        };
        let reg = match self.store.registration_for(session.id, person_id).await? {
            Some(r) if r.status == RegistrationStatus::Registered => r,
            Some(r) if r.status == RegistrationStatus::Waitlisted => {
                return Err(Error::field("mobile", "checkin.waitlisted"));
            }
            _ => {
                let out = self
                    .store
                    .register(session.id, person_id, v.id, now())
                    .await?;
                if out.waitlisted {
                    self.store
                        .cancel_registration(out.registration.id, now())
                        .await?;
                    return Err(Error::field("venue_id", "checkin.full"));
                }
                out.registration
            }
        };
        self.audit
            .record(actor, "walkin", &format!("registration:{}", reg.id), "")
            .await?;
        let scan_id = if input.scan_id.trim().is_empty() {
            format!("walkin-{}-{}", reg.id, now())
        } else {
            input.scan_id.clone()
        };
        let mut results = self
            .record_scans(
                actor,
                venue,
                "walk-in",
                &[ScanInput {
                    scan_id,
                    code: String::new(),
                    registration_id: Some(reg.id),
                    scanned_at: None,
                    allow_other_venue: true,
                }],
            )
            .await?;
        results.pop().ok_or(Error::NotFound)
    }

    // ---- Online attendance -------------------------------------------------------

    /// Marks the caller present on the watch page for the current minute.
    pub async fn heartbeat(&self, actor: &Actor, session: SessionId) -> Result<()> {
        let person = actor.user.person_id.ok_or(Error::Forbidden)?;
        let reg = self
            .store
            .registration_for(session, person)
            .await?
            .ok_or(Error::NotFound)?;
        if reg.status != RegistrationStatus::Registered {
            return Err(Error::Forbidden);
        }
        let v = self
            .store
            .get_venue(reg.venue_id)
            .await?
            .ok_or(Error::NotFound)?;
        if v.kind != VenueKind::Online {
            return Err(Error::Forbidden);
        }
        let s = self
            .store
            .get_session(session)
            .await?
            .ok_or(Error::NotFound)?;
        let t = now();
        if t < s.starts_at
            || t > s.ends_at
            || !matches!(s.status, SessionStatus::Published | SessionStatus::UnderWay)
        {
            return Err(Error::field("session", "checkin.not_open"));
        }
        self.checkins.record_presence(reg.id, t / 60).await
    }

    /// Live figures for the monitor: offices managing the session, or whose
    /// scope holds one of its venues.
    pub async fn live(&self, actor: &Actor, session: SessionId) -> Result<(SessionView, Live)> {
        let view = self.session_view(Some(actor), session).await?;
        let range = actor.write_range()?;
        if !range.contains(view.session.region)
            && !view.venues.iter().any(|v| range.contains(v.venue.region))
        {
            return Err(Error::Forbidden);
        }
        let online_now = self.checkins.online_now(session, now() / 60 - 2).await?;
        let venues = view
            .venues
            .iter()
            .map(|l| LiveVenue {
                id: l.venue.id,
                name: l.venue.name.clone(),
                capacity: l.venue.capacity,
                shown: if l.venue.kind == VenueKind::Online {
                    online_now
                } else {
                    l.attended
                },
            })
            .collect();
        let live = Live {
            attendances: view.attendances,
            onsite: view.onsite,
            online_now,
            venues,
        };
        Ok((view, live))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::audit::Audit;
    use crate::fake::Fake;
    use crate::people::PersonId;
    use crate::region::RegionCode;
    use crate::training::{ProgrammeId, Venue, VenueKind};

    const SESSION: SessionId = SessionId(7);
    const HALL: VenueId = VenueId(70);
    const OTHER_HALL: VenueId = VenueId(71);
    const STAFF: crate::people::UserId = crate::people::UserId(5);

    fn session() -> Session {
        let now = now();
        Session {
            id: SESSION,
            programme_id: ProgrammeId(1),
            course_id: None,
            title: "开班仪式".into(),
            region: RegionCode::parse("320500").unwrap(),
            region_name: "苏州市".into(),
            count_region: RegionCode::parse("320500").unwrap(),
            tier: None,
            eligible_tiers: Vec::new(),
            eligible_region: None,
            starts_at: now - 600,
            ends_at: now + 3600,
            reg_opens_at: now - 86_400,
            reg_closes_at: now - 3600,
            online_min_share: 50,
            status: SessionStatus::UnderWay,
            public_key: String::new(),
            notice: None,
            closed_at: None,
        }
    }

    fn venue(id: VenueId) -> Venue {
        Venue {
            id,
            session_id: SESSION,
            kind: VenueKind::Main,
            name: format!("会场{id}"),
            address: String::new(),
            region: RegionCode::parse("320500").unwrap(),
            capacity: 100,
            stream_url: None,
        }
    }

    fn reg(
        id: RegistrationId,
        session: SessionId,
        venue: VenueId,
        status: RegistrationStatus,
    ) -> (Registration, String, Tier) {
        (
            Registration {
                id,
                session_id: session,
                person_id: PersonId(id.0 * 10),
                venue_id: venue,
                status,
                waitlist_pos: None,
                created_at: 0,
                promoted_at: None,
            },
            format!("学员{id}"),
            Tier::Operator,
        )
    }

    fn service(fake: Fake) -> (TrainingService, Arc<Fake>) {
        let fake = Arc::new(fake);
        let audit = Audit::new(fake.clone());
        let certificates = crate::curriculum::service::CurriculumService::new(
            fake.clone(),
            fake.clone(),
            audit.clone(),
        );
        let svc = TrainingService::new(
            fake.clone(),
            fake.clone(),
            fake.clone(),
            audit,
            crate::security::FieldCipher::new(&[7; 32]),
            certificates,
            Arc::new(crate::cache::TtlCache::new(std::time::Duration::from_secs(
                5,
            ))),
        );
        (svc, fake)
    }

    /// The hall (staffed by [`STAFF`]) and another hall of the session,
    /// with `registrations`; every scan that reaches the store is accepted.
    fn halls(registrations: Vec<(Registration, String, Tier)>) -> Fake {
        Fake {
            venues: vec![
                (venue(HALL), session(), vec![STAFF]),
                (venue(OTHER_HALL), session(), vec![]),
            ],
            registrations,
            scan_outcome: Some(|_| ScanOutcome::Accepted {
                venue_id: HALL,
                at: 1,
            }),
            ..Default::default()
        }
    }

    fn staff() -> Actor {
        Actor::new(crate::auth::User {
            id: STAFF,
            username: "checkin".into(),
            display_name: "checkin".into(),
            role: crate::auth::Role::Checkin,
            region: None,
            person_id: None,
            org_id: None,
        })
    }

    fn pick(scan_id: &str, reg: RegistrationId) -> ScanInput {
        ScanInput {
            scan_id: scan_id.into(),
            code: String::new(),
            registration_id: Some(reg),
            scanned_at: None,
            allow_other_venue: false,
        }
    }

    /// Staff picking people by hand: only registered people of this session
    /// at this hall reach the store; every other scan is refused with its
    /// reason, and nothing refused is written.
    #[tokio::test]
    async fn scans_are_refused_for_their_reason_and_only_the_good_ones_are_written() {
        let fake = halls(vec![
            reg(
                RegistrationId(1),
                SESSION,
                HALL,
                RegistrationStatus::Registered,
            ),
            reg(
                RegistrationId(2),
                SESSION,
                HALL,
                RegistrationStatus::Cancelled,
            ),
            reg(
                RegistrationId(3),
                SESSION,
                HALL,
                RegistrationStatus::Waitlisted,
            ),
            reg(
                RegistrationId(4),
                SessionId(SESSION.0 + 1),
                HALL,
                RegistrationStatus::Registered,
            ),
            reg(
                RegistrationId(5),
                SESSION,
                OTHER_HALL,
                RegistrationStatus::Registered,
            ),
        ]);
        let (svc, fake) = service(fake);
        let scans: Vec<ScanInput> = [1, 2, 3, 4, 5, 99]
            .iter()
            .map(|r| pick(&format!("s{r}"), RegistrationId(*r)))
            .chain([pick("", RegistrationId(1))])
            .collect();
        let out = svc
            .record_scans(&staff(), HALL, "device-1", &scans)
            .await
            .unwrap();
        let statuses: Vec<(&str, &str)> =
            out.iter().map(|r| (r.scan_id.as_str(), r.status)).collect();
        assert_eq!(statuses[0], ("s1", "accepted"), "{out:?}");
        for (k, key) in [
            (1, "checkin.cancelled"),
            (2, "checkin.waitlisted"),
            (3, "checkin.other_session"),
            (4, "checkin.other_venue"),
            (5, "checkin.malformed"),
            (6, "checkin.malformed"),
        ] {
            assert_eq!(out[k].status, "refused", "{:?}", out[k]);
            let expected = crate::i18n::Lang::Zh.t(key);
            let stem = expected.split('{').next().unwrap();
            assert!(out[k].message.starts_with(stem), "{key}: {:?}", out[k]);
        }
        let written = fake.scans.lock().unwrap();
        assert_eq!(written.len(), 1);
        assert_eq!(written[0].scan_id, "s1");
        assert_eq!(written[0].method, "manual");
    }

    /// Someone who is not on a venue's staff (and no office) learns nothing
    /// about it.
    #[tokio::test]
    async fn a_venue_not_staffed_by_the_caller_is_refused_before_any_read() {
        let fake = Fake {
            venues: vec![(venue(HALL), session(), vec![])],
            ..Default::default()
        };
        let (svc, fake) = service(fake);
        let e = svc
            .record_scans(&staff(), HALL, "d", &[pick("s1", RegistrationId(1))])
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Forbidden | Error::NotFound), "{e:?}");
        assert!(fake.scans.lock().unwrap().is_empty());
    }

    /// A staff member's venue is read once for a run of scans; a refusal
    /// is read again every time (so a new assignment counts at once).
    #[tokio::test]
    async fn an_allowed_venue_is_kept_and_a_refusal_is_not() {
        use std::sync::atomic::Ordering;
        let fake = halls(vec![reg(
            RegistrationId(1),
            SESSION,
            HALL,
            RegistrationStatus::Registered,
        )]);
        let (svc, fake) = service(fake);
        for n in 0..3 {
            let scan = pick(&format!("s{n}"), RegistrationId(1));
            let out = svc
                .record_scans(&staff(), HALL, "d", &[scan])
                .await
                .unwrap();
            assert_eq!(out[0].status, "accepted");
        }
        assert_eq!(fake.venue_reads.load(Ordering::SeqCst), 1);
        for _ in 0..2 {
            let scan = pick("x", RegistrationId(1));
            assert!(svc
                .record_scans(&staff(), OTHER_HALL, "d", &[scan])
                .await
                .is_err());
        }
        assert_eq!(fake.venue_reads.load(Ordering::SeqCst), 3);
    }
}
