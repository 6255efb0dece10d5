//! Reports on [`ReportService`]: the programme dashboard (cached), the
//! progress and attendance workbooks, the programme-wide attendance export
//! and the calendars.

use std::sync::Arc;

use serde::Serialize;

use crate::audit::Audit;
use crate::auth::Actor;
use crate::cache::TtlCache;
use crate::error::{Error, Result};
use crate::now;
use crate::people::PersonId;
use crate::region::RegionCode;
use crate::security::FieldCipher;
use crate::training::service::TrainingService;
use crate::training::store::{CheckinStore, TrainingStore};
use crate::training::{ProgrammeId, Progress, Session, SessionId};
use crate::training::{RegistrationId, RegistrationStatus, VenueKind};
use crate::values::mask_mobile;

/// How long a computed dashboard is served before it is computed again.
pub const DASHBOARD_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// Dashboards recently computed, by (programme, region).
pub type Dashboards = TtlCache<(ProgrammeId, u32), Dashboard>;

/// What the programme dashboard shows for one region.
#[derive(Debug)]
pub struct Dashboard {
    pub progress: Progress,
    /// (time, cumulative attendances) for the burn-up.
    pub points: Vec<(i64, i64)>,
    pub laggards: Vec<Laggard>,
    pub upcoming: Vec<Session>,
}

/// A region measured against the straight-line plan for today.
#[derive(Debug, Clone, Serialize)]
pub struct Laggard {
    pub region: RegionCode,
    pub name: String,
    /// Share of the attendance target reached.
    pub share: f64,
    /// Share of the programme period elapsed (where the plan line is today).
    pub expected: f64,
    /// `share - expected`: negative when behind.
    pub gap: f64,
}

/// Dashboards, workbooks, the attendance export and calendars. Cheap to clone.
#[derive(Clone)]
pub struct ReportService {
    store: Arc<dyn TrainingStore>,
    checkins: Arc<dyn CheckinStore>,
    training: TrainingService,
    audit: Audit,
    cipher: FieldCipher,
    dashboards: Arc<Dashboards>,
}

impl ReportService {
    pub fn new(
        store: Arc<dyn TrainingStore>,
        checkins: Arc<dyn CheckinStore>,
        training: TrainingService,
        audit: Audit,
        cipher: FieldCipher,
        dashboards: Arc<Dashboards>,
    ) -> ReportService {
        ReportService {
            store,
            checkins,
            training,
            audit,
            cipher,
            dashboards,
        }
    }
}

impl ReportService {
    /// The programme dashboard of a region the caller may see (their own
    /// when `None`): progress, the burn-up points, the laggards and the
    /// upcoming sessions. Computed at most every [`DASHBOARD_TTL`] per
    /// programme and region, so a hall of leaders refreshing at once costs
    /// one computation; changing targets or a session's status clears it.
    pub async fn dashboard(
        &self,
        actor: &Actor,
        programme: ProgrammeId,
        region: Option<RegionCode>,
    ) -> Result<std::sync::Arc<Dashboard>> {
        let code = actor.stats_region(region)?;
        let key = (programme, code.value());
        if let Some(d) = self.dashboards.get(&key) {
            return Ok(d);
        }
        let progress = self.training.progress(actor, programme, Some(code)).await?;
        let (points, laggards) = self.dashboard_extras(actor, &progress).await?;
        let upcoming = self.training.upcoming_sessions(actor, code, 5).await?;
        let d = std::sync::Arc::new(Dashboard {
            progress,
            points,
            laggards,
            upcoming,
        });
        self.dashboards.put(key, d.clone());
        Ok(d)
    }

    /// The dashboard's extra figures for a region: the cumulative burn-up of
    /// attendances (day, running total) and the children ranked by how far
    /// they lag the straight-line plan for today (most behind first).
    pub async fn dashboard_extras(
        &self,
        actor: &Actor,
        progress: &Progress,
    ) -> Result<(Vec<(i64, i64)>, Vec<Laggard>)> {
        actor.stats_range()?;
        let range = progress.node.region.subtree();
        let mut total = 0;
        let points = self
            .store
            .attendances_by_day(progress.programme.id, range)
            .await?
            .into_iter()
            .map(|(day, n)| {
                total += n;
                (day * 86400, total)
            })
            .collect();
        let start = crate::training::parse_date(&progress.programme.starts_on).unwrap_or(0);
        let end = crate::training::parse_date(&progress.programme.ends_on).unwrap_or(start) + 86400;
        let elapsed = ((now() - start) as f64 / (end - start).max(1) as f64).clamp(0.0, 1.0);
        let mut laggards: Vec<Laggard> = progress
            .children
            .iter()
            .filter(|c| c.region != progress.node.region && c.targets.total.attendances > 0)
            .map(|c| {
                let share = c.actuals.total.attendances as f64 / c.targets.total.attendances as f64;
                Laggard {
                    region: c.region,
                    name: c.name.clone(),
                    share,
                    expected: elapsed,
                    gap: share - elapsed,
                }
            })
            .collect();
        laggards.sort_by(|a, b| a.gap.total_cmp(&b.gap));
        Ok((points, laggards))
    }

    /// A session's `.ics` file (anyone who may see the session).
    pub async fn session_ics(
        &self,
        actor: Option<&Actor>,
        session: SessionId,
        base: &str,
    ) -> Result<String> {
        let v = self.training.session_view(actor, session).await?;
        let main = v
            .venues
            .iter()
            .find(|l| l.venue.kind == VenueKind::Main)
            .or(v.venues.first());
        let location = main
            .map(|l| {
                format!("{} {}", l.venue.name, l.venue.address)
                    .trim()
                    .to_string()
            })
            .unwrap_or_default();
        let event = crate::reports::calendar::Event {
            session: &v.session,
            location,
            url: format!("{base}/sessions/{session}"),
        };
        Ok(crate::reports::calendar::calendar(
            &v.session.title,
            &[event],
            now(),
        ))
    }

    /// The caller's personal feed path, `/calendar/{person}-{secret}.ics`.
    pub fn feed_path(&self, actor: &Actor) -> Option<String> {
        let p = actor.user.person_id?;
        Some(format!(
            "/calendar/{p}-{}.ics",
            self.cipher.derive(&format!("calendar:{p}"))
        ))
    }

    /// A person's feed of registrations, if `feed` is their secret link.
    pub async fn feed_ics(&self, feed: &str, base: &str) -> Result<String> {
        let feed = feed.strip_suffix(".ics").unwrap_or(feed);
        let (person, secret) = feed.split_once('-').ok_or(Error::NotFound)?;
        let person: PersonId = person.parse().map_err(|_| Error::NotFound)?;
        let expected = self.cipher.derive(&format!("calendar:{person}"));
        if !crate::security::constant_time_eq(secret, &expected) {
            return Err(Error::NotFound);
        }
        let regs = self.store.person_registrations(person).await?;
        let events: Vec<crate::reports::calendar::Event> = regs
            .iter()
            .filter(|m| m.registration.status != RegistrationStatus::Cancelled)
            .map(|m| crate::reports::calendar::Event {
                session: &m.session,
                location: format!("{} {}", m.venue.name, m.venue.address)
                    .trim()
                    .to_string(),
                url: format!("{base}/sessions/{}", m.session.id),
            })
            .collect();
        Ok(crate::reports::calendar::calendar(
            "繁星 · 我的培训",
            &events,
            now(),
        ))
    }

    /// The cascade table as an Excel workbook with a chart (audited).
    pub async fn progress_report(
        &self,
        actor: &Actor,
        programme: ProgrammeId,
        region: Option<RegionCode>,
        lang: crate::Lang,
    ) -> Result<Vec<u8>> {
        let p = self.training.progress(actor, programme, region).await?;
        // Building a workbook is CPU work: off the async workers.
        let (p, bytes) = crate::sheet::off_workers(move || {
            let bytes = crate::reports::progress_xlsx(&p, lang);
            (p, bytes)
        })
        .await?;
        let bytes = bytes?;
        self.audit
            .record(
                actor,
                "export.progress",
                &format!("programme:{programme}"),
                &format!("region {}, {} rows", p.node.region, p.children.len() + 1),
            )
            .await?;
        Ok(bytes)
    }

    /// Every attendance of a programme counted in `region` (the caller's
    /// own region when `None`) as an Excel list written to `out` page by
    /// page, so memory stays flat however long the list; mobiles masked;
    /// audited with the row count. Returns the number of rows.
    pub async fn export_attendances<W: std::io::Write + std::io::Seek + Send>(
        &self,
        actor: &Actor,
        programme: ProgrammeId,
        region: Option<RegionCode>,
        lang: crate::Lang,
        out: W,
    ) -> Result<usize> {
        let code = actor.stats_region(region)?;
        self.training.programme(programme).await?;
        const PAGE: i64 = 5_000;
        let mut sheet = crate::reports::AttendanceSheet::new(lang)?;
        let mut after = RegistrationId(0);
        loop {
            let page = self
                .checkins
                .attendance_export_page(programme, code.subtree(), after, PAGE)
                .await?;
            for mut r in page.iter().cloned() {
                r.mobile = mask_mobile(&r.mobile);
                sheet.push(&r)?;
            }
            match page.last() {
                Some(last) if page.len() as i64 == PAGE => after = last.registration_id,
                _ => break,
            }
        }
        let rows = sheet.finish(out)?;
        self.audit
            .record(
                actor,
                "export.attendances",
                &format!("programme:{programme}"),
                &format!("region {code}, {rows} rows"),
            )
            .await?;
        Ok(rows)
    }

    /// A session's registrations and attendance as Excel (audited).
    pub async fn attendance_report(
        &self,
        actor: &Actor,
        session: SessionId,
        lang: crate::Lang,
    ) -> Result<Vec<u8>> {
        // Audited once, as the export it is.
        let roster = self.training.roster_unaudited(actor, session).await?;
        let s = self
            .store
            .get_session(session)
            .await?
            .ok_or(Error::NotFound)?;
        let venues = self.store.venue_list(session).await?;
        let title = s.title.clone();
        let rows = roster.len();
        let bytes = crate::sheet::off_workers(move || {
            crate::reports::attendance_xlsx(&title, &venues, &roster, lang)
        })
        .await??;
        self.audit
            .record(
                actor,
                "export.attendance",
                &format!("session:{session}"),
                &format!("{rows} rows"),
            )
            .await?;
        Ok(bytes)
    }
}
