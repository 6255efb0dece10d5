//! The analytics feature's storage contract: rooms, live sessions and
//! their rollups, peers, the impact panel and province statistics.

use async_trait::async_trait;

use crate::error::Result;
use crate::people::{PersonId, UserId};
use crate::region::{RegionCode, RegionRange};
use crate::store::Page;

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
    WatchS,
    CommentUsers,
    NewFollowers,
    ExposureUsers,
    ClickUsers,
    RefundFen,
}

impl WeekField {
    /// The weekly sums a KPI is the ratio of (`None`: a KPI a gap never
    /// points to).
    pub fn of_kpi(kpi: crate::analytics::Kpi) -> Option<&'static [WeekField]> {
        use crate::analytics::Kpi;
        use WeekField::*;
        Some(match kpi {
            Kpi::ClickToOrder => &[Buyers, ClickUsers],
            Kpi::ProductClickRate => &[ClickUsers, ExposureUsers],
            Kpi::InteractionRate => &[CommentUsers, Viewers],
            Kpi::AvgWatchS => &[WatchS, Viewers],
            Kpi::FollowRate => &[NewFollowers, Viewers],
            Kpi::ViewToOrder => &[Buyers, Viewers],
            Kpi::RefundRate => &[RefundFen, GmvFen],
            Kpi::Aov => &[GmvFen, Buyers],
            Kpi::Gpm => &[GmvFen, Views],
            Kpi::Viewers => &[Viewers],
            _ => return None,
        })
    }
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
