//! Live rooms and their platform exports: who may see, create and import.
//!
//! Offices see and manage the rooms of their region; a trainee sees the
//! rooms they run and may import those rooms' exports.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::analytics::impact::ImpactEstimate;
use crate::analytics::store::AnalyticsStore;
use crate::analytics::store::{ImportMeta, RoomScope};
use crate::analytics::{
    parse_export, ImportOutcome, Kpi, LiveSessionRow, Platform, Provenance, Room, RoomId,
    RoomInput, StatGroup, Sums,
};
use crate::audit::Audit;
use crate::auth::{Access, Actor};
use crate::cache::TtlCache;
use crate::error::{Error, Result};
use crate::now;
use crate::people::store::PeopleStore;
use crate::store::Page;
use crate::training::roster::RowError;
use crate::training::store::TrainingStore;

/// How long an impact estimate is served before it is computed again
/// (imports clear it at once; new attendances show within this time).
pub const IMPACT_TTL: std::time::Duration = std::time::Duration::from_secs(600);

choice_enum! {
    /// What the impact estimate measures, week by week: log(1 + GMV in
    /// yuan); GMV per thousand views (0 in a week without views); buyers ÷
    /// viewers (0 in a week without viewers); sessions.
    Outcome {
        LogGmv = "log_gmv" => "impact.outcome.log_gmv",
        Gpm = "gpm" => "impact.outcome.gpm",
        ViewToOrder = "view_to_order" => "impact.outcome.view_to_order",
        Sessions = "sessions" => "impact.outcome.sessions",
    }
}

impl Outcome {
    /// The weekly sums it is computed from.
    pub fn fields(self) -> &'static [crate::analytics::store::WeekField] {
        use crate::analytics::store::WeekField;
        match self {
            Outcome::LogGmv => &[WeekField::GmvFen],
            Outcome::Gpm => &[WeekField::GmvFen, WeekField::Views],
            Outcome::ViewToOrder => &[WeekField::Buyers, WeekField::Viewers],
            Outcome::Sessions => &[WeekField::Sessions],
        }
    }

    /// The error rate its verdict is tested at. Pages show four outcomes
    /// at once: log GMV is the primary one, at 5 %; the other three share
    /// 5 % (Bonferroni), so that the chance of any false verdict on a card
    /// stays near 10 %, not 1 − 0.95⁴ ≈ 19 %.
    pub fn alpha(self) -> f64 {
        match self {
            Outcome::LogGmv => 0.05,
            _ => 0.05 / 3.0,
        }
    }

    /// The estimator's settings for this outcome.
    pub fn impact_config(self) -> crate::analytics::impact::ImpactConfig {
        crate::analytics::impact::ImpactConfig {
            alpha: self.alpha(),
            ..crate::analytics::impact::ImpactConfig::default()
        }
    }

    /// The outcome of one room-week's sums.
    pub fn of(self, s: &Sums) -> f64 {
        match self {
            Outcome::LogGmv => (1.0 + s.gmv_fen as f64 / 100.0).ln(),
            Outcome::Gpm => Kpi::Gpm.value(s).unwrap_or(0.0),
            Outcome::ViewToOrder => Kpi::ViewToOrder.value(s).unwrap_or(0.0),
            Outcome::Sessions => s.sessions as f64,
        }
    }
}

/// Weekly series per room; week 0 starts on `first_day` (days since
/// 1970-01-01, Beijing time). A trained room's cohort is the week of its
/// operators' first training.
pub fn weekly_panel(
    rooms: &[crate::analytics::store::ImpactRoom],
    first_day: i64,
    weeks: &[(RoomId, i64, Sums)],
    outcome: Outcome,
) -> Vec<crate::analytics::impact::PanelRoom> {
    weekly_panel_of(rooms, first_day, weeks, |s| outcome.of(s))
}

/// [`weekly_panel`] of any weekly measure (a week without sessions is
/// measured on empty sums).
pub fn weekly_panel_of(
    rooms: &[crate::analytics::store::ImpactRoom],
    first_day: i64,
    weeks: &[(RoomId, i64, Sums)],
    measure: impl Fn(&Sums) -> f64,
) -> Vec<crate::analytics::impact::PanelRoom> {
    let outcome = Measure(&measure);
    let n = weeks
        .iter()
        .map(|(_, w, _)| (*w).max(0) as usize + 1)
        .max()
        .unwrap_or(0);
    let mut series: HashMap<RoomId, Vec<f64>> = HashMap::new();
    for (room, w, s) in weeks {
        let v = series
            .entry(*room)
            .or_insert_with(|| vec![outcome.of(&Sums::default()); n]);
        if let Some(slot) = usize::try_from(*w).ok().filter(|w| *w < n) {
            v[slot] = outcome.of(s);
        }
    }
    rooms
        .iter()
        .map(|r| crate::analytics::impact::PanelRoom {
            id: r.id.0,
            industry: r.industry.clone(),
            city: r.region.value() / 100 * 100,
            cohort: r.trained_at.map(|t| cohort_week(t, first_day)),
            y: series
                .remove(&r.id)
                .unwrap_or_else(|| vec![outcome.of(&Sums::default()); n]),
        })
        .collect()
}

/// A measure with the shape of [`Outcome::of`].
struct Measure<'a, F: Fn(&Sums) -> f64>(&'a F);

impl<F: Fn(&Sums) -> f64> Measure<'_, F> {
    fn of(&self, s: &Sums) -> f64 {
        (self.0)(s)
    }
}

/// The panel week of a training at `trained_at` (Unix seconds) when week 0
/// starts on `first_day`. Trained before the data begin: week 0, so never a
/// control (and left out as trained: it has no base period).
pub fn cohort_week(trained_at: i64, first_day: i64) -> usize {
    let day = (trained_at + crate::training::SHANGHAI_OFFSET_SECS).div_euclid(86_400);
    usize::try_from((day - first_day).div_euclid(7)).unwrap_or(0)
}

/// Where an impact estimate stands.
#[derive(Debug, Clone)]
pub enum ImpactProgress {
    Ready(std::sync::Arc<crate::analytics::impact::ImpactEstimate>),
    Running,
    Idle,
}

/// Marks an impact estimate as being computed while it lives.
struct Running<'a> {
    set: &'a std::sync::Mutex<std::collections::HashSet<(u32, Outcome)>>,
    key: (u32, Outcome),
}

impl<'a> Running<'a> {
    fn mark(
        set: &'a std::sync::Mutex<std::collections::HashSet<(u32, Outcome)>>,
        key: (u32, Outcome),
    ) -> Running<'a> {
        if let Ok(mut s) = set.lock() {
            s.insert(key);
        }
        Running { set, key }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.set.lock() {
            s.remove(&self.key);
        }
    }
}

/// A platform export read and checked, not yet placed in rooms or stored.
pub struct ParsedExport {
    platform: Platform,
    rows: Vec<LiveSessionRow>,
    /// For naming rows and columns in placement errors: the account
    /// column's header, and each row's line in the file.
    account_column: String,
    lines: Vec<usize>,
    /// The worksheet read, for a workbook.
    sheet: Option<String>,
}

/// Reads a platform export (`.xlsx`, or `.csv` and tab-separated text) into canonical rows,
/// all or nothing: a file that cannot be read is an error, row problems
/// come back as `Ok(Err(..))` with their rows and columns.
pub fn parse_live_export(
    filename: &str,
    bytes: &[u8],
    platform: Platform,
) -> Result<std::result::Result<ParsedExport, Vec<RowError>>> {
    let sheets = crate::sheet::read_sheets(filename, bytes, &crate::analytics::GRID_LIMITS)
        .map_err(|e| Error::Invalid(crate::error::FieldErrors(vec![e])))?;
    // The first visible sheet holding the platform's header (data on a
    // later sheet, a note on the first), else the first for its errors.
    let pick = sheets
        .iter()
        .position(|s| crate::analytics::header_row(&s.grid, platform).is_some())
        .unwrap_or(0);
    let sheet = &sheets[pick];
    let grid = &sheet.grid;
    let rows = match parse_export(grid, platform) {
        Ok(rows) => rows,
        Err(errors) => return Ok(Err(errors)),
    };
    let header_row = crate::analytics::header_row(grid, platform).unwrap_or(0);
    // Data rows follow the header in file order, blank and total rows
    // skipped as the parser skips them.
    let lines = grid
        .iter()
        .enumerate()
        .skip(header_row + 1)
        .filter(|(_, r)| crate::analytics::is_data_row(r))
        .map(|(i, _)| i + 1)
        .collect();
    Ok(Ok(ParsedExport {
        platform,
        account_column: crate::analytics::column_name(grid, platform, header_row),
        lines,
        rows,
        sheet: (sheets.len() > 1 || !sheet.name.is_empty()).then(|| sheet.name.clone()),
    }))
}

/// Sums with every KPI computed from them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KpiReport {
    pub sums: Sums,
    /// KPI code → value (`null` where its denominator is zero).
    pub kpis: std::collections::BTreeMap<&'static str, Option<f64>>,
}

impl KpiReport {
    pub fn new(sums: Sums) -> KpiReport {
        KpiReport {
            kpis: Kpi::ALL
                .iter()
                .map(|k| (k.as_str(), k.value(&sums)))
                .collect(),
            sums,
        }
    }
}

/// A room against its peers, and what to work on.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Diagnosis {
    pub kpis: KpiReport,
    pub benchmarks: Vec<crate::analytics::Benchmark>,
    pub findings: Vec<crate::analytics::Finding>,
}

/// One line of province statistics with its KPIs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StatReport {
    pub key: String,
    pub month: Option<i64>,
    pub rooms: i64,
    #[serde(flatten)]
    pub kpis: KpiReport,
}

/// Rooms per page in lists.
pub const ROOMS_PER_PAGE: i64 = 50;

/// Rooms, imports, KPIs, peers, statistics and the impact estimate.
/// Cheap to clone.
#[derive(Clone)]
pub struct AnalyticsService {
    store: Arc<dyn AnalyticsStore>,
    training: Arc<dyn TrainingStore>,
    people: Arc<dyn PeopleStore>,
    audit: Audit,
    /// Recently computed impact estimates, by (region, outcome); cleared
    /// by every analytics import.
    pub(crate) impacts: Arc<TtlCache<(u32, Outcome), ImpactEstimate>>,
    /// Impact estimates being computed now, by (region, outcome).
    pub(crate) impacts_running: Arc<Mutex<HashSet<(u32, Outcome)>>>,
}

impl AnalyticsService {
    pub fn new(
        store: Arc<dyn AnalyticsStore>,
        training: Arc<dyn TrainingStore>,
        people: Arc<dyn PeopleStore>,
        audit: Audit,
    ) -> AnalyticsService {
        AnalyticsService {
            store,
            training,
            people,
            audit,
            impacts: Arc::new(TtlCache::new(IMPACT_TTL)),
            impacts_running: Default::default(),
        }
    }
}

impl AnalyticsService {
    /// Creates a room in the caller's scope, with operators from it.
    pub async fn create_room(&self, actor: &Actor, input: &RoomInput) -> Result<Room> {
        let range = actor.write_range()?;
        let draft = input.validate().map_err(Error::Invalid)?;
        crate::auth::require_in_range(range, draft.region, "region")?;
        if self.people.get_region(draft.region).await?.is_none() {
            return Err(Error::field("region", "error.region_unknown"));
        }
        let mut draft = draft;
        draft.operators = self
            .resolve_operators(range, &draft.operators, &input.operator_mobiles)
            .await?;
        let id = self.store.insert_room(&draft, now()).await?;
        self.audit
            .record(
                actor,
                "room.create",
                &format!("room:{id}"),
                &draft.account_id,
            )
            .await?;
        self.store.get_room(id).await?.ok_or(Error::NotFound)
    }

    /// People by id and by mobile number, each a person in `range`: the
    /// operators of a room an office manages, sorted, without repeats.
    async fn resolve_operators(
        &self,
        range: crate::region::RegionRange,
        ids: &[crate::people::PersonId],
        mobiles: &[String],
    ) -> Result<Vec<crate::people::PersonId>> {
        let mut out = Vec::with_capacity(ids.len() + mobiles.len());
        for p in ids {
            if self
                .people
                .get_person(Access::Regions(range), *p)
                .await?
                .is_none()
            {
                return Err(Error::field("operators", "room.operator_unknown"));
            }
            out.push(*p);
        }
        let mut numbers = Vec::with_capacity(mobiles.len());
        for m in mobiles {
            match crate::values::Mobile::parse(m) {
                Ok(n) => numbers.push(n.as_str().to_string()),
                Err(_) => {
                    return Err(Error::Invalid(crate::error::FieldErrors(vec![
                        crate::error::FieldError::new("operators", "room.operator_mobile_bad")
                            .with("mobile", m),
                    ])))
                }
            }
        }
        if !numbers.is_empty() {
            let found = self.training.people_by_mobiles(&numbers).await?;
            for m in &numbers {
                match found
                    .iter()
                    .find(|k| &k.mobile == m && range.contains(k.region))
                {
                    Some(k) => out.push(k.id),
                    None => {
                        return Err(Error::Invalid(crate::error::FieldErrors(vec![
                            crate::error::FieldError::new("operators", "room.operator_no_person")
                                .with("mobile", m),
                        ])))
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Replaces the operators of a room in the office's region (people by
    /// id and by mobile, each in the region). Who is trained changes with
    /// them, so impact estimates are computed afresh.
    pub async fn set_room_operators(
        &self,
        actor: &Actor,
        room: RoomId,
        ids: &[crate::people::PersonId],
        mobiles: &[String],
    ) -> Result<Room> {
        let range = actor.write_range()?;
        let r = self.room(actor, room).await?;
        if !range.contains(r.region) {
            return Err(Error::NotFound);
        }
        let operators = self.resolve_operators(range, ids, mobiles).await?;
        self.store.set_room_operators(room, &operators).await?;
        self.impacts.clear();
        self.audit
            .record(
                actor,
                "room.operators",
                &format!("room:{room}"),
                &format!("{} operators", operators.len()),
            )
            .await?;
        self.room(actor, room).await
    }

    /// A room's operators as an office sees them: (id, name, masked mobile).
    pub async fn room_operator_people(
        &self,
        actor: &Actor,
        room: &Room,
    ) -> Result<Vec<(crate::people::PersonId, String, String)>> {
        let Ok(range) = actor.write_range() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for p in &room.operators {
            if let Some(person) = self.people.get_person(Access::Regions(range), *p).await? {
                out.push((
                    person.id,
                    person.name,
                    crate::values::mask_mobile(&person.mobile),
                ));
            }
        }
        Ok(out)
    }

    /// The rooms the caller may see (an office's region, a trainee's own),
    /// those whose name or account contains `text` when given.
    pub async fn rooms(&self, actor: &Actor, text: Option<&str>, page: i64) -> Result<Page<Room>> {
        let scope = self.room_scope(actor)?;
        let text = crate::store::clean_search(text);
        self.store
            .list_rooms(
                scope,
                text.as_deref(),
                crate::store::page_offset(page, ROOMS_PER_PAGE),
                ROOMS_PER_PAGE,
            )
            .await
    }

    fn room_scope(&self, actor: &Actor) -> Result<RoomScope> {
        if let Some(range) = actor.office_range() {
            return Ok(RoomScope::Regions(range));
        }
        match actor.user.person_id {
            Some(p) => Ok(RoomScope::Operator(p)),
            None => Err(Error::Forbidden),
        }
    }

    fn may_see_room(actor: &Actor, room: &Room) -> bool {
        match actor.office_range() {
            Some(range) => range.contains(room.region),
            None => actor
                .user
                .person_id
                .map(|p| room.operators.contains(&p))
                .unwrap_or(false),
        }
    }

    /// One room, for an office over its region or one of its operators.
    pub async fn room(&self, actor: &Actor, id: RoomId) -> Result<Room> {
        let room = self.store.get_room(id).await?.ok_or(Error::NotFound)?;
        if Self::may_see_room(actor, &room) {
            Ok(room)
        } else {
            Err(Error::NotFound)
        }
    }

    /// Imports a platform's per-session export, all or nothing. The rows go
    /// to `room`, or, when the file names accounts, to the rooms of those
    /// accounts on `platform` (every one must exist and be the caller's).
    /// Re-importing a file changes nothing. Row problems come back as
    /// `Ok(Err(..))`, each with its row and column.
    pub async fn import_live_export(
        &self,
        actor: &Actor,
        platform: Platform,
        provenance: Provenance,
        room: Option<RoomId>,
        filename: &str,
        bytes: &[u8],
    ) -> Result<std::result::Result<ImportOutcome, Vec<RowError>>> {
        self.room_scope(actor)?;
        let (name, data) = (filename.to_string(), bytes.to_vec());
        let parsed = crate::sheet::parse_bounded(move || parse_live_export(&name, &data, platform))
            .await??;
        match parsed {
            Ok(parsed) => {
                self.import_parsed(actor, provenance, room, filename, parsed)
                    .await
            }
            Err(errors) => Ok(Err(errors)),
        }
    }

    /// The second half of [`Fanxing::import_live_export`]: places and
    /// stores rows [`parse_live_export`] read (which needs no database, so
    /// bulk loads parse the next file while this one is stored).
    pub async fn import_parsed(
        &self,
        actor: &Actor,
        provenance: Provenance,
        room: Option<RoomId>,
        filename: &str,
        parsed: ParsedExport,
    ) -> Result<std::result::Result<ImportOutcome, Vec<RowError>>> {
        self.room_scope(actor)?;
        let ParsedExport {
            platform,
            rows,
            account_column,
            lines,
            sheet,
        } = parsed;
        let fixed = match room {
            Some(id) => {
                let r = self.room(actor, id).await?;
                if r.platform != platform {
                    return Err(Error::field("platform", "room.other_platform"));
                }
                Some(r)
            }
            None => None,
        };
        let (rooms, placed) = match fixed {
            Some(r) => {
                // A room's upload holds that room's sessions only: a row
                // naming another account is refused, never put in this room.
                let errors: Vec<RowError> = rows
                    .iter()
                    .zip(&lines)
                    .filter(|(x, _)| {
                        x.account_id
                            .as_deref()
                            .is_some_and(|a| !a.eq_ignore_ascii_case(r.account_id.trim()))
                    })
                    .map(|(x, line)| RowError {
                        row: *line,
                        column: account_column.clone(),
                        key: "analytics.wrong_account",
                        args: vec![
                            ("account", x.account_id.clone().unwrap_or_default()),
                            ("room", r.account_id.clone()),
                        ],
                    })
                    .collect();
                if !errors.is_empty() {
                    return Ok(Err(errors));
                }
                let id = r.id;
                (vec![r], rows.into_iter().map(|x| (id, x)).collect())
            }
            None => match self
                .place_by_account(actor, platform, &account_column, &lines, rows)
                .await?
            {
                Ok(x) => x,
                Err(errors) => return Ok(Err(errors)),
            },
        };
        let meta = ImportMeta {
            platform,
            provenance,
            filename: filename.chars().take(200).collect(),
            user_id: Some(actor.user.id),
            at: now(),
        };
        let mut outcome = self
            .store
            .import_live_sessions(&meta, &rooms, &placed)
            .await?;
        outcome.sheet = sheet;
        if outcome.new > 0 {
            self.impacts.clear();
        }
        self.audit
            .record(
                actor,
                "analytics.import",
                &format!("import:{}", outcome.import_id),
                &format!(
                    "{} {}, {} rows, {} new",
                    platform.as_str(),
                    provenance.as_str(),
                    outcome.rows,
                    outcome.new
                ),
            )
            .await?;
        Ok(Ok(outcome))
    }

    /// A room's KPIs over days `YYYYMMDD` (inclusive), from one provenance.
    pub async fn room_kpis(
        &self,
        actor: &Actor,
        room: RoomId,
        provenance: Provenance,
        from_day: i64,
        to_day: i64,
    ) -> Result<KpiReport> {
        self.room(actor, room).await?;
        let sums = self
            .store
            .room_sums(room, provenance, from_day, to_day)
            .await?;
        Ok(KpiReport::new(sums))
    }

    /// A room's KPIs against its peers over months `YYYYMM`, each from the
    /// narrowest group (industry × size tier × city, then the province,
    /// then industry only, then all rooms) with at least
    /// [`MIN_PEERS`](crate::analytics::MIN_PEERS) other rooms, and the
    /// findings they lead to.
    pub async fn room_diagnosis(
        &self,
        actor: &Actor,
        room: RoomId,
        provenance: Provenance,
        from_month: i64,
        to_month: i64,
    ) -> Result<Diagnosis> {
        use crate::analytics::{benchmark, diagnose, PeerLevel, MIN_PEERS};
        let r = self.room(actor, room).await?;
        let province = crate::region::RegionCode::from_value(r.region.value() / 10_000 * 10_000)
            .ok_or(Error::NotFound)?;
        let city = crate::region::RegionCode::from_value(r.region.value() / 100 * 100)
            .ok_or(Error::NotFound)?;
        let levels = [
            (PeerLevel::IndustryTierCity, city, true, true),
            (PeerLevel::IndustryTierProvince, province, true, true),
            (PeerLevel::IndustryProvince, province, true, false),
            (PeerLevel::Province, province, false, false),
        ];
        let mut groups: Vec<(PeerLevel, Vec<Sums>)> = Vec::new();
        let mut own = Sums::default();
        for (level, region, by_industry, by_tier) in levels {
            let rows = self
                .store
                .peer_sums(&crate::analytics::store::PeerQuery {
                    range: region.subtree(),
                    industry: by_industry.then(|| r.industry.clone()),
                    size_tier: by_tier.then_some(r.size_tier),
                    provenance,
                    from_month,
                    to_month,
                })
                .await?;
            let mut peers = Vec::with_capacity(rows.len());
            for (id, sums) in rows {
                if id == room {
                    own = sums;
                } else {
                    peers.push(sums);
                }
            }
            groups.push((level, peers));
            // Wider groups are read only while some KPI still lacks peers.
            let enough = |k: &Kpi| {
                groups
                    .iter()
                    .any(|(_, p)| p.iter().filter(|s| k.value(s).is_some()).count() >= MIN_PEERS)
            };
            if Kpi::ALL.iter().all(enough) {
                break;
            }
        }
        let benchmarks = Kpi::ALL
            .iter()
            .map(|k| {
                // The narrowest group with enough peers for this KPI.
                let (level, peers) = groups
                    .iter()
                    .find(|(_, p)| p.iter().filter(|s| k.value(s).is_some()).count() >= MIN_PEERS)
                    .unwrap_or(&groups[groups.len() - 1]);
                benchmark(*k, &own, peers, *level)
            })
            .collect::<Vec<_>>();
        Ok(Diagnosis {
            findings: diagnose(&benchmarks),
            benchmarks,
            kpis: KpiReport::new(own),
        })
    }

    /// A room's sums per day `YYYYMMDD` (inclusive), for trends.
    pub async fn room_days(
        &self,
        actor: &Actor,
        room: RoomId,
        provenance: Provenance,
        from_day: i64,
        to_day: i64,
    ) -> Result<Vec<(i64, Sums)>> {
        self.room(actor, room).await?;
        self.store
            .room_days(room, provenance, from_day, to_day)
            .await
    }

    /// Province statistics for a region the caller may see (their own when
    /// `None`), months `YYYYMM` inclusive.
    pub async fn live_stats(
        &self,
        actor: &Actor,
        region: Option<crate::region::RegionCode>,
        provenance: Provenance,
        from_month: i64,
        to_month: i64,
        group: StatGroup,
    ) -> Result<Vec<StatReport>> {
        let code = actor.stats_region(region)?;
        let lines = self
            .store
            .region_stats(&crate::analytics::store::StatQuery {
                range: code.subtree(),
                provenance,
                from_month,
                to_month,
                group,
            })
            .await?;
        Ok(lines
            .into_iter()
            .map(|l| StatReport {
                key: l.key,
                month: l.month,
                rooms: l.rooms,
                kpis: KpiReport::new(l.sums),
            })
            .collect())
    }

    /// Did training work in a region the caller may see? Trained rooms
    /// (their operators attended training; the cohort is the week of the
    /// first attendance) against matched untrained rooms, week by week.
    pub async fn training_impact(
        &self,
        actor: &Actor,
        region: Option<crate::region::RegionCode>,
        outcome: Outcome,
    ) -> Result<std::sync::Arc<crate::analytics::impact::ImpactEstimate>> {
        let code = actor.stats_region(region)?;
        let key = (code.value(), outcome);
        if let Some(e) = self.impacts.get(&key) {
            return Ok(e);
        }
        let _running = Running::mark(&self.impacts_running, key);
        let (rooms, first, weeks) = self
            .store
            .impact_panel(code.subtree(), Provenance::Official, outcome.fields())
            .await?;
        let panel = match first {
            Some(first) => weekly_panel(&rooms, first, &weeks, outcome),
            None => Vec::new(),
        };
        drop(weeks);
        // The estimate with its placebo runs takes seconds for a province:
        // off the async workers.
        let e = tokio::task::spawn_blocking(move || {
            crate::analytics::impact::estimate(&panel, &outcome.impact_config())
        })
        .await
        .map_err(|_| Error::Store("the impact estimate stopped".into()))?;
        let e = std::sync::Arc::new(e);
        self.impacts.put(key, e.clone());
        Ok(e)
    }

    /// Whether the estimate [`Fanxing::training_impact`] would give is
    /// cached, being computed, or neither, without computing it; pages use
    /// it not to start a second computation of the same estimate.
    pub fn impact_progress(
        &self,
        actor: &Actor,
        region: Option<crate::region::RegionCode>,
        outcome: Outcome,
    ) -> Result<ImpactProgress> {
        let key = (actor.stats_region(region)?.value(), outcome);
        if let Some(e) = self.impacts.get(&key) {
            return Ok(ImpactProgress::Ready(e));
        }
        let running = self
            .impacts_running
            .lock()
            .map(|set| set.contains(&key))
            .unwrap_or(false);
        Ok(if running {
            ImpactProgress::Running
        } else {
            ImpactProgress::Idle
        })
    }

    /// The actor command-line imports run as: the programme office of the
    /// province (the top region loaded).
    pub async fn system_actor(&self) -> Result<Actor> {
        let province = self
            .people
            .list_regions(Some(crate::region::RegionLevel::Province), None)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound)?;
        Ok(Actor::new(crate::auth::User {
            id: crate::people::UserId(0),
            username: "system".into(),
            display_name: "system".into(),
            role: crate::auth::Role::ProgrammeOffice,
            region: Some(province.code),
            person_id: None,
            org_id: None,
        }))
    }

    /// Rows of a multi-room file, each to its account's room.
    async fn place_by_account(
        &self,
        actor: &Actor,
        platform: Platform,
        account_col: &str,
        lines: &[usize],
        rows: Vec<LiveSessionRow>,
    ) -> Result<std::result::Result<(Vec<Room>, Vec<(RoomId, LiveSessionRow)>), Vec<RowError>>>
    {
        let mut accounts: Vec<String> = rows.iter().filter_map(|r| r.account_id.clone()).collect();
        accounts.sort();
        accounts.dedup();
        let rooms: HashMap<String, Room> = self
            .store
            .rooms_by_account(platform, &accounts)
            .await?
            .into_iter()
            .map(|r| (r.account_id.clone(), r))
            .collect();
        let mut errors = Vec::new();
        let mut placed = Vec::with_capacity(rows.len());
        for (n, row) in rows.into_iter().enumerate() {
            let at = lines.get(n).copied().unwrap_or(0);
            let problem = match row.account_id.as_deref() {
                None => Some("room.account_required"),
                Some(a) => match rooms.get(a) {
                    None => Some("room.unknown_account"),
                    Some(r) if !Self::may_see_room(actor, r) => Some("room.unknown_account"),
                    Some(r) => {
                        placed.push((r.id, row));
                        None
                    }
                },
            };
            if let Some(key) = problem {
                errors.push(RowError {
                    row: at,
                    column: account_col.to_string(),
                    key,
                    args: vec![],
                });
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        Ok(Ok((rooms.into_values().collect(), placed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::store::ImpactRoom;

    /// The service over the in-memory fake, as a province office.
    fn over(fake: crate::fake::Fake) -> (AnalyticsService, Arc<crate::fake::Fake>, Actor) {
        let fake = Arc::new(fake);
        let svc = AnalyticsService::new(
            fake.clone(),
            fake.clone(),
            fake.clone(),
            Audit::new(fake.clone()),
        );
        let office = Actor::new(crate::auth::User {
            id: crate::people::UserId(1),
            username: "admin".into(),
            display_name: "admin".into(),
            role: crate::auth::Role::ProgrammeOffice,
            region: crate::region::RegionCode::parse("320000"),
            person_id: None,
            org_id: None,
        });
        (svc, fake, office)
    }

    fn room(id: RoomId, region: &str) -> Room {
        Room {
            id,
            platform: Platform::Douyin,
            account_id: format!("acct-{id}"),
            name: format!("room {id}"),
            org_id: None,
            industry: "服装".into(),
            size_tier: crate::analytics::SizeTier::Waist,
            region: crate::region::RegionCode::parse(region).unwrap(),
            region_name: String::new(),
            operators: Vec::new(),
        }
    }

    /// Peers with views, viewers and buyers, so every viewer-based KPI has a value.
    fn peers(from: RoomId, n: usize) -> Vec<(RoomId, Sums)> {
        (0..n as i64)
            .map(|k| {
                let s = Sums {
                    sessions: 10,
                    duration_s: 36_000,
                    views: 10_000 + k * 100,
                    viewers: 5_000 + k * 50,
                    peak_online: 300,
                    watch_s: 600_000,
                    comment_users: 200,
                    likes: 3_000,
                    new_followers: 100,
                    exposure_users: 50_000,
                    click_users: 1_000 + k,
                    buyers: 100 + k,
                    orders: 120 + k,
                    gmv_fen: 1_000_000 + k * 1_000,
                    refund_fen: 10_000,
                    ad_spend_fen: 0,
                };
                (RoomId(from.0 + k), s)
            })
            .collect()
    }

    #[tokio::test]
    async fn diagnosis_falls_back_to_the_province_when_the_city_has_too_few_peers() {
        use crate::analytics::{PeerLevel, MIN_PEERS};
        let mut fake = crate::fake::Fake {
            rooms: vec![room(RoomId(1), "320583")],
            ..Default::default()
        };
        // Kunshan's city (Suzhou) holds five peers; the province enough.
        let mut city = peers(RoomId(100), 5);
        city.push(peers(RoomId(1), 1)[0]);
        fake.peers.insert((320_500, true, true), city);
        fake.peers
            .insert((320_000, true, true), peers(RoomId(200), MIN_PEERS + 5));
        let (svc, fake, office) = over(fake);
        let d = svc
            .room_diagnosis(&office, RoomId(1), Provenance::Official, 202501, 202512)
            .await
            .unwrap();
        // The city group is asked first, the province next, and no wider.
        let asked: Vec<(u32, bool, bool)> = fake
            .peer_queries
            .lock()
            .unwrap()
            .iter()
            .map(|q| (q.range.lo, q.industry.is_some(), q.size_tier.is_some()))
            .collect();
        assert_eq!(asked, vec![(320_500, true, true), (320_000, true, true)]);
        for b in &d.benchmarks {
            if b.value.is_some() {
                assert_eq!(b.level, PeerLevel::IndustryTierProvince, "{:?}", b.kpi);
                assert!(b.peers >= MIN_PEERS, "{:?}", b.kpi);
            }
        }
        // The room itself is never its own peer.
        assert!(d.benchmarks.iter().all(|b| b.peers <= MIN_PEERS + 5));
    }

    #[tokio::test]
    async fn diagnosis_stays_in_the_city_when_it_has_enough_peers() {
        use crate::analytics::{PeerLevel, MIN_PEERS};
        let mut fake = crate::fake::Fake {
            rooms: vec![room(RoomId(1), "320583")],
            ..Default::default()
        };
        fake.peers
            .insert((320_500, true, true), peers(RoomId(100), MIN_PEERS));
        let (svc, fake, office) = over(fake);
        let d = svc
            .room_diagnosis(&office, RoomId(1), Provenance::Official, 202501, 202512)
            .await
            .unwrap();
        assert_eq!(fake.peer_queries.lock().unwrap().len(), 1);
        assert!(d
            .benchmarks
            .iter()
            .filter(|b| b.value.is_some())
            .all(|b| b.level == PeerLevel::IndustryTierCity));
    }

    #[tokio::test]
    async fn a_room_outside_the_office_is_not_found_and_nothing_is_read() {
        let fake = crate::fake::Fake {
            rooms: vec![room(RoomId(1), "370100")],
            ..Default::default()
        };
        let (svc, fake, office) = over(fake);
        let e = svc
            .room_diagnosis(&office, RoomId(1), Provenance::Official, 202501, 202512)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::NotFound), "{e:?}");
        assert!(fake.peer_queries.lock().unwrap().is_empty());
    }

    #[test]
    fn a_running_estimate_is_marked_until_it_ends() {
        let set = std::sync::Mutex::new(std::collections::HashSet::new());
        let key = (320_500, Outcome::Gpm);
        {
            let _running = Running::mark(&set, key);
            assert!(set.lock().unwrap().contains(&key));
        }
        assert!(set.lock().unwrap().is_empty(), "unmarked when dropped");
    }

    #[test]
    fn weekly_panel_places_weeks_and_cohorts() {
        let region = crate::region::RegionCode::parse("320583").unwrap();
        let room = |id, trained_at| ImpactRoom {
            id,
            industry: "服装".into(),
            region,
            trained_at,
        };
        // Day 20,000 since 1970 is 2024-10-04; training 15 days later (Beijing).
        let first = 20_000;
        let trained = (first + 15) * 86_400 - crate::training::SHANGHAI_OFFSET_SECS + 3_600;
        let rooms = [
            room(RoomId(1), Some(trained)),
            room(RoomId(2), None),
            room(RoomId(3), Some(0)),
        ];
        let sums = |gmv_fen| Sums {
            sessions: 1,
            gmv_fen,
            ..Sums::default()
        };
        let weeks = [
            (RoomId(1), 0, sums(100)),
            (RoomId(1), 3, sums(900)),
            (RoomId(2), 1, sums(0)),
        ];
        let p = weekly_panel(&rooms, first, &weeks, Outcome::Sessions);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].y, vec![1.0, 0.0, 0.0, 1.0]);
        assert_eq!(p[0].cohort, Some(2), "day 15 is in week 2");
        assert_eq!(p[1].cohort, None);
        assert_eq!(p[1].y, vec![0.0, 1.0, 0.0, 0.0]);
        assert_eq!(
            p[2].cohort,
            Some(0),
            "trained before the data: never a control"
        );
        assert_eq!(
            p[2].y,
            vec![0.0; 4],
            "a room without sessions has an empty series"
        );
        let g = weekly_panel(&rooms, first, &weeks, Outcome::LogGmv);
        assert!((g[0].y[3] - (1.0f64 + 9.0).ln()).abs() < 1e-12);
        assert_eq!(Outcome::parse("gpm"), Some(Outcome::Gpm));
        assert_eq!(Outcome::parse("joy"), None);
    }
}
