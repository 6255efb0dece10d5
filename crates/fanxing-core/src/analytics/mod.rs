//! Live-commerce analytics: platforms' per-session exports read into one
//! canonical row of raw counts, and KPIs computed as ratios of sums.
//!
//! Platforms define their ratios differently (some divide by views, some by
//! viewers; GMV with or without refunds), so Fanxing stores only counts and
//! money in fen, and computes every ratio itself from sums. A ratio of sums
//! aggregates correctly over any group (a room's month, a city, an
//! industry); an average of per-session ratios does not.

pub mod impact;
pub mod service;
pub mod store;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::training::roster::{Cell, RowError};

choice_enum! {
    /// Where a live room sells.
    Platform {
        Douyin = "douyin" => "platform.douyin",
        Taobao = "taobao" => "platform.taobao",
        Channels = "channels" => "platform.channels",
        Kuaishou = "kuaishou" => "platform.kuaishou",
        Other = "other" => "platform.other",
    }
}

choice_enum! {
    /// Where figures come from. Official exports and third-party estimates
    /// are never mixed in one benchmark.
    Provenance {
        Official = "official" => "provenance.official",
        Estimate = "estimate" => "provenance.estimate",
        Manual = "manual" => "provenance.manual",
    }
}

impl Provenance {
    /// A provenance from a query string or form; official when absent.
    pub fn parse_or_official(raw: Option<&str>) -> Result<Provenance, crate::error::Error> {
        match raw.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(Provenance::Official),
            Some(v) => Provenance::parse(v)
                .ok_or_else(|| crate::error::Error::field("provenance", "error.choice")),
        }
    }
}

/// A date from a query string in compact form: `YYYY-MM-DD` as `YYYYMMDD`
/// (`digits` 8) or `YYYY-MM` as `YYYYMM` (`digits` 6); `default` when
/// absent; a field error on `field` otherwise.
pub fn compact_date(
    raw: Option<&str>,
    field: &'static str,
    digits: usize,
    default: i64,
) -> Result<i64, crate::error::Error> {
    let Some(v) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(default);
    };
    let d: String = v.chars().filter(|c| *c != '-').collect();
    let ok = d.len() == digits && d.chars().all(|c| c.is_ascii_digit());
    let n: i64 = d.parse().unwrap_or(0);
    let month = if digits == 8 { n / 100 % 100 } else { n % 100 };
    if ok && (1..=12).contains(&month) {
        Ok(n)
    } else {
        Err(crate::error::Error::field(field, "error.date"))
    }
}

/// One live session as raw counts (money in fen). Ratios are never stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LiveSessionRow {
    /// The platform's own id of the session (idempotency key with the platform).
    pub platform_session_id: String,
    /// The account the session belongs to, when the file says.
    pub account_id: Option<String>,
    /// Start, Unix seconds.
    pub started_at: i64,
    pub duration_s: i64,
    /// 观看人次 (PV).
    pub views: i64,
    /// 观看人数 (UV).
    pub viewers: i64,
    pub peak_online: i64,
    /// Σ watch time; exports give 人均观看时长, so this is that × viewers.
    pub watch_s: i64,
    pub comment_users: i64,
    pub likes: i64,
    pub new_followers: i64,
    pub exposure_users: i64,
    pub click_users: i64,
    pub buyers: i64,
    pub orders: i64,
    pub gmv_fen: i64,
    pub refund_fen: i64,
    pub ad_spend_fen: i64,
}

/// Sums of raw counts over any group of sessions; every KPI derives from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sums {
    pub sessions: i64,
    pub duration_s: i64,
    pub views: i64,
    pub viewers: i64,
    /// The highest peak of any session in the group (a max, not a sum).
    pub peak_online: i64,
    pub watch_s: i64,
    pub comment_users: i64,
    pub likes: i64,
    pub new_followers: i64,
    pub exposure_users: i64,
    pub click_users: i64,
    pub buyers: i64,
    pub orders: i64,
    pub gmv_fen: i64,
    pub refund_fen: i64,
    pub ad_spend_fen: i64,
}

impl Sums {
    pub fn add(&mut self, r: &LiveSessionRow) {
        self.sessions += 1;
        self.duration_s += r.duration_s;
        self.views += r.views;
        self.viewers += r.viewers;
        self.peak_online = self.peak_online.max(r.peak_online);
        self.watch_s += r.watch_s;
        self.comment_users += r.comment_users;
        self.likes += r.likes;
        self.new_followers += r.new_followers;
        self.exposure_users += r.exposure_users;
        self.click_users += r.click_users;
        self.buyers += r.buyers;
        self.orders += r.orders;
        self.gmv_fen += r.gmv_fen;
        self.refund_fen += r.refund_fen;
        self.ad_spend_fen += r.ad_spend_fen;
    }

    /// Adds another group's sums (the peak stays a maximum).
    pub fn merge(&mut self, o: &Sums) {
        self.sessions += o.sessions;
        self.duration_s += o.duration_s;
        self.views += o.views;
        self.viewers += o.viewers;
        self.peak_online = self.peak_online.max(o.peak_online);
        self.watch_s += o.watch_s;
        self.comment_users += o.comment_users;
        self.likes += o.likes;
        self.new_followers += o.new_followers;
        self.exposure_users += o.exposure_users;
        self.click_users += o.click_users;
        self.buyers += o.buyers;
        self.orders += o.orders;
        self.gmv_fen += o.gmv_fen;
        self.refund_fen += o.refund_fen;
        self.ad_spend_fen += o.ad_spend_fen;
    }

    pub fn of(rows: &[LiveSessionRow]) -> Sums {
        let mut s = Sums::default();
        for r in rows {
            s.add(r);
        }
        s
    }
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b != 0).then(|| a as f64 / b as f64)
}

choice_enum! {
    /// The KPIs, each a ratio of sums (or a sum). Formulas in
    /// `docs/analytics.md` and in [`Kpi::value`].
    Kpi {
        Views = "views" => "kpi.views",
        Viewers = "viewers" => "kpi.viewers",
        PeakOnline = "peak_online" => "kpi.peak_online",
        AvgWatchS = "avg_watch_s" => "kpi.avg_watch_s",
        InteractionRate = "interaction_rate" => "kpi.interaction_rate",
        FollowRate = "follow_rate" => "kpi.follow_rate",
        ProductClickRate = "product_click_rate" => "kpi.product_click_rate",
        ClickToOrder = "click_to_order" => "kpi.click_to_order",
        ViewToOrder = "view_to_order" => "kpi.view_to_order",
        Gmv = "gmv" => "kpi.gmv",
        NetGmv = "net_gmv" => "kpi.net_gmv",
        UvValue = "uv_value" => "kpi.uv_value",
        Gpm = "gpm" => "kpi.gpm",
        Aov = "aov" => "kpi.aov",
        RefundRate = "refund_rate" => "kpi.refund_rate",
    }
}

impl Kpi {
    /// The KPI over a group; `None` where its denominator is zero. Money
    /// KPIs are in yuan.
    pub fn value(self, s: &Sums) -> Option<f64> {
        let yuan = |fen: i64| fen as f64 / 100.0;
        match self {
            Kpi::Views => Some(s.views as f64),
            Kpi::Viewers => Some(s.viewers as f64),
            Kpi::PeakOnline => Some(s.peak_online as f64),
            // Σ watch seconds ÷ Σ viewers.
            Kpi::AvgWatchS => ratio(s.watch_s, s.viewers),
            // Σ commenting users ÷ Σ viewers.
            Kpi::InteractionRate => ratio(s.comment_users, s.viewers),
            // Σ new followers ÷ Σ viewers.
            Kpi::FollowRate => ratio(s.new_followers, s.viewers),
            // Σ product-click users ÷ Σ product-exposure users.
            Kpi::ProductClickRate => ratio(s.click_users, s.exposure_users),
            // Σ buyers ÷ Σ product-click users.
            Kpi::ClickToOrder => ratio(s.buyers, s.click_users),
            // Σ buyers ÷ Σ viewers.
            Kpi::ViewToOrder => ratio(s.buyers, s.viewers),
            Kpi::Gmv => Some(yuan(s.gmv_fen)),
            Kpi::NetGmv => Some(yuan(s.gmv_fen - s.refund_fen)),
            // Σ GMV ÷ Σ viewers.
            Kpi::UvValue => ratio(s.gmv_fen, s.viewers).map(|v| v / 100.0),
            // Σ GMV ÷ Σ views × 1000.
            Kpi::Gpm => ratio(s.gmv_fen, s.views).map(|v| v * 1000.0 / 100.0),
            // Σ GMV ÷ Σ buyers.
            Kpi::Aov => ratio(s.gmv_fen, s.buyers).map(|v| v / 100.0),
            // Σ refunded amount ÷ Σ GMV.
            Kpi::RefundRate => ratio(s.refund_fen, s.gmv_fen),
        }
    }

    /// Whether a higher value is better (all but the refund rate).
    pub fn higher_is_better(self) -> bool {
        self != Kpi::RefundRate
    }
}

// ---- Peer benchmarks and diagnosis ---------------------------------------------------

/// A peer group needs at least this many other rooms with a value, or the
/// benchmark falls back to a wider group.
/// The industries a room is filed under (the room form offers them; the
/// peer groups compare rooms of one industry).
pub const INDUSTRIES: &[&str] = &[
    "服装",
    "食品",
    "美妆",
    "家居",
    "农产品",
    "母婴",
    "数码家电",
    "珠宝饰品",
    "鞋靴箱包",
    "纺织家纺",
    "酒水茶饮",
    "图书文创",
    "宠物用品",
    "运动户外",
    "本地生活",
];

pub const MIN_PEERS: usize = 20;

choice_enum! {
    /// How wide a peer group is, narrowest first.
    PeerLevel {
        IndustryTierCity = "industry_tier_city" => "peer.industry_tier_city",
        IndustryTierProvince = "industry_tier_province" => "peer.industry_tier_province",
        IndustryProvince = "industry_province" => "peer.industry_province",
        Province = "province" => "peer.province",
    }
}

/// A room's KPI against its peers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Benchmark {
    pub kpi: Kpi,
    pub value: Option<f64>,
    /// Share of peers this room does better than (ties count half), 0–100.
    pub percentile: Option<f64>,
    pub median: Option<f64>,
    /// The "excellent value": the 90th percentile in the better direction
    /// (the 10th for the refund rate).
    pub excellent: Option<f64>,
    pub level: PeerLevel,
    /// Peers with a value for this KPI.
    pub peers: usize,
}

/// The `q`-quantile (0–1) of sorted values, linearly interpolated.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// Benchmarks one KPI of `own` against `peers` (the room itself excluded).
pub fn benchmark(kpi: Kpi, own: &Sums, peers: &[Sums], level: PeerLevel) -> Benchmark {
    let mut values: Vec<f64> = peers.iter().filter_map(|p| kpi.value(p)).collect();
    values.sort_by(|a, b| a.total_cmp(b));
    let value = kpi.value(own);
    let percentile = match value {
        Some(v) if !values.is_empty() => {
            let below = values.iter().filter(|x| **x < v).count() as f64;
            let equal = values.iter().filter(|x| **x == v).count() as f64;
            let share = (below + equal / 2.0) / values.len() as f64 * 100.0;
            Some(if kpi.higher_is_better() {
                share
            } else {
                100.0 - share
            })
        }
        _ => None,
    };
    let excellent = quantile(&values, if kpi.higher_is_better() { 0.9 } else { 0.1 });
    Benchmark {
        kpi,
        value,
        percentile,
        median: quantile(&values, 0.5),
        excellent,
        level,
        peers: values.len(),
    }
}

/// A plain-language finding about a room, naming the competency to work on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kpi: Kpi,
    /// `weak` (bottom quarter of its peers) or `strong` (top quarter).
    pub kind: &'static str,
    /// The i18n key of the sentence.
    pub key: &'static str,
    /// The competency (framework code) a weak KPI points to.
    pub competency: Option<&'static str>,
    pub percentile: f64,
}

/// The competency a weak KPI points to, with the sentence that says why.
pub fn weakness(kpi: Kpi) -> Option<(&'static str, &'static str)> {
    Some(match kpi {
        Kpi::ClickToOrder => ("finding.click_to_order", "product_selection"),
        Kpi::ProductClickRate => ("finding.product_click_rate", "live_operation"),
        Kpi::InteractionRate => ("finding.interaction_rate", "content_planning"),
        Kpi::AvgWatchS => ("finding.avg_watch_s", "content_planning"),
        Kpi::FollowRate => ("finding.follow_rate", "domain_linkage"),
        Kpi::ViewToOrder => ("finding.view_to_order", "live_operation"),
        Kpi::RefundRate => ("finding.refund_rate", "product_selection"),
        Kpi::Aov => ("finding.aov", "strategy_brand"),
        Kpi::Gpm => ("finding.gpm", "data_analysis"),
        Kpi::Viewers => ("finding.viewers", "live_operation"),
        _ => return None,
    })
}

/// Findings from a room's benchmarks: its weakest KPIs first (bottom
/// quarter of peers), then its strengths (top quarter). Only KPIs with
/// enough peers speak.
pub fn diagnose(benchmarks: &[Benchmark]) -> Vec<Finding> {
    let mut weak: Vec<Finding> = benchmarks
        .iter()
        .filter(|b| b.peers >= MIN_PEERS)
        .filter_map(|b| {
            let p = b.percentile?;
            let (key, competency) = weakness(b.kpi)?;
            (p < 25.0).then_some(Finding {
                kpi: b.kpi,
                kind: "weak",
                key,
                competency: Some(competency),
                percentile: p,
            })
        })
        .collect();
    weak.sort_by(|a, b| a.percentile.total_cmp(&b.percentile));
    let mut strong: Vec<Finding> = benchmarks
        .iter()
        .filter(|b| b.peers >= MIN_PEERS && weakness(b.kpi).is_some())
        .filter_map(|b| {
            let p = b.percentile?;
            (p >= 75.0).then_some(Finding {
                kpi: b.kpi,
                kind: "strong",
                key: "finding.strong",
                competency: None,
                percentile: p,
            })
        })
        .collect();
    strong.sort_by(|a, b| b.percentile.total_cmp(&a.percentile));
    weak.extend(strong);
    weak
}

// ---- Rooms ---------------------------------------------------------------------

id_type! {
    /// A row of `rooms` (a selling live room).
    RoomId
}

choice_enum! {
    /// Account size, by followers: benchmarks compare like with like.
    SizeTier {
        Head = "head" => "size.head",
        Waist = "waist" => "size.waist",
        Tail = "tail" => "size.tail",
        Starter = "starter" => "size.starter",
    }
}

impl SizeTier {
    /// The tier of an account with this many followers (the thresholds of
    /// the tiers' names: 10k, 100k, 1M).
    pub fn from_followers(followers: i64) -> SizeTier {
        match followers {
            f if f >= 1_000_000 => SizeTier::Head,
            f if f >= 100_000 => SizeTier::Waist,
            f if f >= 10_000 => SizeTier::Tail,
            _ => SizeTier::Starter,
        }
    }
}

/// A selling live room (one account on one platform).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Room {
    pub id: RoomId,
    pub platform: Platform,
    pub account_id: String,
    pub name: String,
    pub org_id: Option<crate::people::OrgId>,
    pub industry: String,
    pub size_tier: SizeTier,
    pub region: crate::region::RegionCode,
    pub region_name: String,
    /// The trainees who run it.
    pub operators: Vec<crate::people::PersonId>,
}

/// A room as an office enters it (form or API).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RoomInput {
    pub platform: String,
    pub account_id: String,
    pub name: String,
    #[serde(default)]
    pub org_id: Option<crate::people::OrgId>,
    pub industry: String,
    /// The tier; may be left empty when `followers` is given.
    #[serde(default)]
    pub size_tier: String,
    /// Followers now: gives the tier.
    #[serde(default)]
    pub followers: Option<i64>,
    pub region: String,
    #[serde(default)]
    pub operators: Vec<crate::people::PersonId>,
    /// Operators by mobile number (as offices know them), besides
    /// `operators`.
    #[serde(default)]
    pub operator_mobiles: Vec<String>,
}

/// A validated room, ready to store.
#[derive(Debug, Clone)]
pub struct RoomDraft {
    pub platform: Platform,
    pub account_id: String,
    pub name: String,
    pub org_id: Option<crate::people::OrgId>,
    pub industry: String,
    pub size_tier: SizeTier,
    pub region: crate::region::RegionCode,
    pub operators: Vec<crate::people::PersonId>,
}

impl RoomInput {
    /// Checks the shape of every field (whether the region is in scope and
    /// the operators exist is the service's job).
    pub fn validate(&self) -> std::result::Result<RoomDraft, crate::error::FieldErrors> {
        use crate::people::{parse_choice, parse_region};
        use crate::values::required_text;
        let mut e = crate::error::FieldErrors::default();
        let platform = parse_choice(&mut e, "platform", &self.platform, Platform::parse);
        let account_id = required_text(&mut e, "account_id", &self.account_id, 64);
        let name = required_text(&mut e, "name", &self.name, 100);
        let industry = required_text(&mut e, "industry", &self.industry, 40);
        let size_tier = match self.followers {
            Some(f) if f < 0 => {
                e.push(crate::error::FieldError::new(
                    "followers",
                    "room.followers_bad",
                ));
                None
            }
            Some(f) => {
                let derived = SizeTier::from_followers(f);
                match SizeTier::parse(self.size_tier.trim()) {
                    Some(t) if t != derived => {
                        e.push(crate::error::FieldError::new(
                            "size_tier",
                            "room.tier_disagrees",
                        ));
                        None
                    }
                    _ => Some(derived),
                }
            }
            None => parse_choice(&mut e, "size_tier", &self.size_tier, SizeTier::parse),
        };
        let region = parse_region(&mut e, "region", &self.region);
        for m in &self.operator_mobiles {
            if crate::values::Mobile::parse(m).is_err() {
                e.push(
                    crate::error::FieldError::new("operators", "room.operator_mobile_bad")
                        .with("mobile", m),
                );
                break;
            }
        }
        match (platform, size_tier, region) {
            (Some(platform), Some(size_tier), Some(region)) if e.is_empty() => Ok(RoomDraft {
                platform,
                account_id,
                name,
                org_id: self.org_id,
                industry,
                size_tier,
                region,
                operators: self.operators.clone(),
            }),
            _ => Err(e),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    pub import_id: i64,
    /// Rows in the file.
    pub rows: usize,
    /// Sessions new to Fanxing (the others were imported before: unchanged).
    pub new: usize,
    /// Sessions imported before whose figures this file gives otherwise
    /// (refunds added later, say): the stored figures are kept.
    pub changed: usize,
    /// The first few of those sessions' platform ids.
    pub changed_ids: Vec<String>,
    /// The worksheet that was read, for a workbook.
    pub sheet: Option<String>,
}

/// One line of province statistics: a group's key and its sums.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatLine {
    /// City code, industry, platform code or month (`YYYYMM`), by grouping.
    pub key: String,
    pub month: Option<i64>,
    /// Rooms that went live: in the month when grouped by month, else
    /// distinct rooms over the whole period.
    pub rooms: i64,
    pub sums: Sums,
}

/// How province statistics are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatGroup {
    City,
    Industry,
    Platform,
    Month,
    CityMonth,
}

/// Beijing calendar day as `YYYYMMDD` of a Unix time.
pub fn day_of(ts: i64) -> i64 {
    let t = time::OffsetDateTime::from_unix_timestamp(ts + crate::training::SHANGHAI_OFFSET_SECS)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.year() as i64 * 10_000 + u8::from(t.month()) as i64 * 100 + t.day() as i64
}

// ---- Platform export layouts ------------------------------------------------

/// Canonical fields an export column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    SessionId,
    Account,
    StartedAt,
    Duration,
    Views,
    Viewers,
    PeakOnline,
    AvgWatch,
    CommentUsers,
    Likes,
    NewFollowers,
    ExposureUsers,
    ClickUsers,
    Buyers,
    Orders,
    Gmv,
    Refund,
    AdSpend,
}

/// Fields every layout must have: a session is nothing without them.
const REQUIRED: &[Field] = &[
    Field::SessionId,
    Field::StartedAt,
    Field::Duration,
    Field::Views,
    Field::Viewers,
    Field::Gmv,
];

/// Each platform's header names for the canonical fields, as its back end
/// exports them (first name listed is the one messages use when missing).
pub fn layout(p: Platform) -> &'static [(Field, &'static [&'static str])] {
    use Field::*;
    match p {
        Platform::Douyin => &[
            (SessionId, &["直播场次ID", "场次ID", "直播ID", "直播间ID"]),
            (Account, &["抖音号", "账号ID", "达人抖音号"]),
            (StartedAt, &["直播开始时间", "开播时间"]),
            (Duration, &["直播时长"]),
            (Views, &["观看人次", "累计观看人次"]),
            (Viewers, &["观看人数", "累计观看人数", "场观"]),
            (PeakOnline, &["最高在线人数", "最高在线"]),
            (AvgWatch, &["人均观看时长"]),
            (CommentUsers, &["评论人数"]),
            (Likes, &["点赞次数", "点赞数"]),
            (NewFollowers, &["新增粉丝数", "新增粉丝"]),
            (ExposureUsers, &["商品曝光人数"]),
            (ClickUsers, &["商品点击人数"]),
            (Buyers, &["成交人数"]),
            (Orders, &["成交订单数"]),
            (Gmv, &["成交金额", "直播间成交金额"]),
            (Refund, &["退款金额"]),
            (AdSpend, &["投放消耗", "千川消耗", "千川投放消耗"]),
        ],
        Platform::Taobao => &[
            (SessionId, &["直播ID", "场次ID", "内容ID"]),
            (Account, &["主播ID", "账号ID"]),
            (StartedAt, &["开播时间", "直播开始时间"]),
            (Duration, &["直播时长"]),
            (Views, &["观看次数", "观看人次"]),
            (Viewers, &["观看人数"]),
            (PeakOnline, &["最高在线人数", "最高在线"]),
            (AvgWatch, &["人均观看时长"]),
            (CommentUsers, &["互动人数", "评论人数"]),
            (Likes, &["点赞数", "点赞次数"]),
            (NewFollowers, &["新增粉丝数", "新增粉丝"]),
            (ExposureUsers, &["商品曝光人数"]),
            (ClickUsers, &["商品点击人数"]),
            (Buyers, &["成交买家数", "成交人数"]),
            (Orders, &["成交笔数", "成交订单数"]),
            (Gmv, &["成交金额", "种草成交金额"]),
            (Refund, &["退款金额"]),
            (AdSpend, &["推广花费", "投放消耗"]),
        ],
        Platform::Channels => &[
            (SessionId, &["直播场次ID", "直播ID", "场次ID"]),
            (Account, &["视频号ID", "账号ID"]),
            (StartedAt, &["开播时间", "直播开始时间"]),
            (Duration, &["直播时长"]),
            (Views, &["累计观看人次", "观看人次"]),
            (Viewers, &["累计观看人数", "观看人数"]),
            (PeakOnline, &["最高在线人数"]),
            (AvgWatch, &["人均观看时长"]),
            (CommentUsers, &["评论人数"]),
            (Likes, &["点赞次数", "点赞数"]),
            (NewFollowers, &["新增关注人数", "新增关注", "新增粉丝数"]),
            (ExposureUsers, &["商品曝光人数"]),
            (ClickUsers, &["商品点击人数"]),
            (Buyers, &["成交人数", "下单人数"]),
            (Orders, &["成交订单数"]),
            (Gmv, &["成交金额"]),
            (Refund, &["退款金额"]),
            (AdSpend, &["加热消耗", "投放消耗"]),
        ],
        Platform::Kuaishou => &[
            (SessionId, &["直播场次ID", "直播ID", "场次ID"]),
            (Account, &["快手号", "账号ID"]),
            (StartedAt, &["开播时间", "直播开始时间"]),
            (Duration, &["直播时长"]),
            (Views, &["观看人次"]),
            (Viewers, &["观看人数"]),
            (PeakOnline, &["最高在线人数"]),
            (AvgWatch, &["人均观看时长"]),
            (CommentUsers, &["评论人数"]),
            (Likes, &["点赞数", "点赞次数"]),
            (NewFollowers, &["涨粉数", "新增粉丝数"]),
            (ExposureUsers, &["商品曝光人数"]),
            (ClickUsers, &["商品点击人数"]),
            (Buyers, &["成交人数"]),
            (Orders, &["成交订单数"]),
            (Gmv, &["成交金额"]),
            (Refund, &["退款金额"]),
            (AdSpend, &["磁力金牛消耗", "投放消耗"]),
        ],
        // Fanxing's own template: the canonical names.
        Platform::Other => &[
            (SessionId, &["场次ID"]),
            (Account, &["账号ID"]),
            (StartedAt, &["直播开始时间"]),
            (Duration, &["直播时长"]),
            (Views, &["观看人次"]),
            (Viewers, &["观看人数"]),
            (PeakOnline, &["最高在线人数"]),
            (AvgWatch, &["人均观看时长"]),
            (CommentUsers, &["评论人数"]),
            (Likes, &["点赞次数"]),
            (NewFollowers, &["新增粉丝数"]),
            (ExposureUsers, &["商品曝光人数"]),
            (ClickUsers, &["商品点击人数"]),
            (Buyers, &["成交人数"]),
            (Orders, &["成交订单数"]),
            (Gmv, &["成交金额"]),
            (Refund, &["退款金额"]),
            (AdSpend, &["投放消耗"]),
        ],
    }
}

/// The most sessions one file may hold.
pub const MAX_ROWS: usize = 200_000;

/// What a live-session export upload may hold: [`MAX_ROWS`] sessions of a
/// hundred-odd columns at most, in a file of at most 10 MB.
pub const GRID_LIMITS: crate::sheet::GridLimits = crate::sheet::GridLimits {
    max_bytes: crate::training::roster::MAX_BYTES,
    max_rows: MAX_ROWS + 1_000,
    max_cols: 128,
    max_cells: 4_500_000,
    max_inflated: 192 * 1024 * 1024,
    max_entry: 160 * 1024 * 1024,
    max_shared_strings: 2_000_000,
};

/// A header as compared with the layouts: half-width, simplified
/// characters, no spaces or `*`, without its unit in brackets.
fn clean_header(s: &str) -> String {
    header_parts(s).0
}

/// A header's name and the unit it names in brackets, if any:
/// `成交金额（万元）` → (`成交金额`, `万元`).
fn header_parts(s: &str) -> (String, Option<String>) {
    let plain: String = crate::values::to_simplified(&crate::values::to_half_width(s))
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*'))
        .collect();
    match plain.split_once(['(', '（']) {
        Some((name, rest)) => {
            let unit = rest.trim_end_matches([')', '）']).trim();
            (
                name.to_string(),
                (!unit.is_empty()).then(|| unit.to_string()),
            )
        }
        None => (plain, None),
    }
}

/// What a field's figures are multiplied by to reach the stored unit
/// (counts, seconds, fen), given the unit its header names; `None` for a
/// unit Fanxing does not know, which refuses the column rather than guess.
fn unit_factor(field: Field, written: &str, unit: Option<&str>) -> Option<f64> {
    use Field::*;
    match field {
        SessionId | Account | StartedAt => Some(1.0),
        Gmv | Refund | AdSpend => match unit {
            None | Some("元" | "¥" | "￥" | "RMB" | "rmb" | "人民币" | "人民币元") => {
                Some(100.0)
            }
            Some("万元" | "万") => Some(1_000_000.0),
            Some("千元") => Some(100_000.0),
            Some("分") => Some(1.0),
            Some(_) => None,
        },
        Duration | AvgWatch => match unit {
            // A plain number of a live session's length is in minutes as
            // the back ends show it, unless the header says seconds; an
            // average watch time is in seconds.
            None if written.contains('秒') => Some(1.0),
            None if field == Duration => Some(60.0),
            None => Some(1.0),
            Some("秒" | "s" | "S" | "sec" | "秒钟") => Some(1.0),
            Some("分钟" | "分" | "min" | "mins" | "m") => Some(60.0),
            Some("小时" | "时" | "h" | "H" | "hr" | "hrs") => Some(3600.0),
            Some(_) => None,
        },
        _ => match unit {
            None | Some("人" | "次" | "个" | "人次" | "单" | "笔" | "件") => Some(1.0),
            Some("万" | "万人" | "万次" | "万人次") => Some(10_000.0),
            Some(_) => None,
        },
    }
}

fn cell_text(c: &Cell) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match c {
        // Exports are mostly ASCII: nothing to widen, nothing to copy.
        Cell::Text(s) if s.is_ascii() => Cow::Borrowed(s.trim()),
        Cell::Text(s) => Cow::Owned(crate::values::to_half_width(s).trim().to_string()),
        other => other.shown(),
    }
}

/// Where each field's column is, with its header as written.
type Columns = HashMap<Field, (usize, String)>;

/// The header row: the first of the first ten rows that names a session id
/// and a start time in `platform`'s layout.
fn find_header(grid: &[Vec<Cell>], platform: Platform) -> Option<(usize, Columns)> {
    let names = layout(platform);
    for (h, row) in grid.iter().enumerate().take(10) {
        let mut cols = HashMap::new();
        for (i, c) in row.iter().enumerate() {
            let written = clean_header(&cell_text(c));
            if let Some((f, _)) = names.iter().find(|(_, ns)| ns.contains(&written.as_str())) {
                cols.entry(*f).or_insert((i, cell_text(c).into_owned()));
            }
        }
        if cols.contains_key(&Field::SessionId) && cols.contains_key(&Field::StartedAt) {
            return Some((h, cols));
        }
    }
    None
}

/// Another platform whose layout the file's header is: a header naming a
/// column only that platform's exports have (抖音号, 千川消耗, 快手号…).
/// Returns the platform and the column as written.
fn other_platform(row: &[Cell], platform: Platform) -> Option<(Platform, String)> {
    let ours = layout(platform);
    for c in row {
        let written = clean_header(&cell_text(c));
        if written.is_empty() || ours.iter().any(|(_, ns)| ns.contains(&written.as_str())) {
            continue;
        }
        let owner = [
            Platform::Douyin,
            Platform::Taobao,
            Platform::Channels,
            Platform::Kuaishou,
        ]
        .into_iter()
        .find(|p| {
            *p != platform
                && layout(*p)
                    .iter()
                    .any(|(_, ns)| ns.contains(&written.as_str()))
        });
        if let Some(p) = owner {
            return Some((p, cell_text(c).into_owned()));
        }
    }
    None
}

/// Whether a row is a total line (合计, 总计…) that exports and offices add
/// at the end: such rows are skipped.
fn is_total_row(row: &[Cell]) -> bool {
    row.iter()
        .map(|c| cell_text(c))
        .find(|t| !t.is_empty())
        .is_some_and(|t| {
            matches!(
                crate::values::to_simplified(&t).as_str(),
                "合计" | "总计" | "汇总" | "小计" | "总计:" | "合计:" | "Total" | "TOTAL" | "total"
            )
        })
}

/// Whether an optional figure is written as "none": `--`, `-`, `/`, `暂无`,
/// `无`, `N/A` (a back end's way of saying it has no value).
fn is_placeholder(t: &str) -> bool {
    matches!(
        t,
        "-" | "--"
            | "---"
            | "/"
            | "—"
            | "——"
            | "暂无"
            | "无"
            | "N/A"
            | "n/a"
            | "NA"
            | "null"
            | "NULL"
    )
}

/// Whether an identifier was turned into a number by Excel and lost its
/// last digits: shown in scientific notation (`7.47812E+18`), or a number
/// too long for a spreadsheet to keep exactly.
fn id_damaged(c: &Cell) -> bool {
    match c {
        Cell::Number(n) => n.abs() >= 1e15,
        Cell::Text(t) => crate::values::is_scientific(t),
        _ => false,
    }
}

/// The 0-based index of the header row of `platform`'s layout, if any.
pub fn header_row(grid: &[Vec<Cell>], platform: Platform) -> Option<usize> {
    find_header(grid, platform).map(|(h, _)| h)
}

/// The account column's header as written (or the layout's name for it).
pub fn column_name(grid: &[Vec<Cell>], platform: Platform, header_row: usize) -> String {
    find_header(grid, platform)
        .filter(|(h, _)| *h == header_row)
        .and_then(|(_, cols)| cols.get(&Field::Account).map(|(_, n)| n.clone()))
        .unwrap_or_else(|| {
            layout(platform)
                .iter()
                .find(|(f, _)| *f == Field::Account)
                .map(|(_, ns)| ns[0].to_string())
                .unwrap_or_default()
        })
}

/// Whether a row holds a session: neither blank nor a total line.
pub fn is_data_row(row: &[Cell]) -> bool {
    !is_blank(row) && !is_total_row(row)
}

/// Whether a row holds nothing (such rows are skipped).
pub fn is_blank(row: &[Cell]) -> bool {
    row.iter().all(|c| cell_text(c).is_empty())
}

/// The most a figure of one live session may be: above it, the row is
/// refused as impossible rather than stored (and summed into a province).
pub const MAX_COUNT: i64 = 1_000_000_000;
/// Money: at most ten billion yuan in one session, in fen.
pub const MAX_FEN: i64 = 1_000_000_000_000;
/// A live session lasts at most three days.
pub const MAX_DURATION_S: i64 = 72 * 3600;

/// A start time: a date-time cell; `2025-01-05 19:30[:00]`, `2025/1/5
/// 19:30`, `2025年1月5日 19:30`, a date alone (midnight); ISO 8601 with `T`
/// and an offset (`Z`, `+00:00`: converted); or an Excel date number.
/// Times without an offset are Beijing time.
fn parse_start(c: &Cell) -> Option<i64> {
    match c {
        Cell::DateTime(serial) | Cell::Number(serial) => {
            let (date, secs) = crate::sheet::serial_datetime(*serial)?;
            let local = date.midnight().assume_utc().unix_timestamp() + secs;
            Some(local - crate::training::SHANGHAI_OFFSET_SECS)
        }
        Cell::Duration(_) | Cell::Empty | Cell::Uncalculated => None,
        Cell::Text(_) => parse_start_text(&cell_text(c)),
    }
}

fn parse_start_text(t: &str) -> Option<i64> {
    let t = t.trim();
    // An explicit offset at the end: Z, +08:00, +0800, -05:00.
    let (body, offset) = if let Some(b) = t.strip_suffix(['Z', 'z']) {
        (b, Some(0))
    } else {
        let bytes = t.as_bytes();
        let n = bytes.len();
        let at = if n > 6 && bytes[n - 3] == b':' && matches!(bytes[n - 6], b'+' | b'-') {
            Some(n - 6)
        } else if n > 5
            && matches!(bytes[n - 5], b'+' | b'-')
            && bytes[n - 4..].iter().all(u8::is_ascii_digit)
            && t[..n - 5].contains(':')
        {
            Some(n - 5)
        } else {
            None
        };
        match at {
            Some(i) => {
                let sign = if bytes[i] == b'-' { -1 } else { 1 };
                let digits: String = t[i + 1..].chars().filter(char::is_ascii_digit).collect();
                let h: i64 = digits.get(..2)?.parse().ok()?;
                let m: i64 = digits.get(2..4)?.parse().ok()?;
                if h > 14 || m > 59 {
                    return None;
                }
                (&t[..i], Some(sign * (h * 3600 + m * 60)))
            }
            None => (t, None),
        }
    };
    let body = body
        .replace('T', " ")
        .replace(['年', '月'], "-")
        .replace('日', " ");
    let mut parts = body.split_whitespace();
    let date = parts.next()?.replace(['/', '.'], "-");
    let time = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let mut ymd = date.split('-');
    let (y, mo, d) = (ymd.next()?, ymd.next()?, ymd.next()?);
    if ymd.next().is_some() || y.len() != 4 || mo.len() > 2 || d.len() > 2 {
        return None;
    }
    let time = match time {
        None => "00:00".to_string(),
        // Fractions of a second are dropped.
        Some(t) => t.split('.').next().unwrap_or(t).to_string(),
    };
    let local = crate::training::parse_local_datetime(&format!("{y}-{:0>2}-{:0>2} {time}", mo, d))?;
    Some(match offset {
        // Beijing time read as such; an explicit offset converts.
        None => local,
        Some(off) => local + crate::training::SHANGHAI_OFFSET_SECS - off,
    })
}

/// A duration in seconds: a duration or time-of-day cell (2:30:00 typed in
/// a time-formatted cell), `H:MM:SS`, `MM:SS`, `2小时30分钟15秒`,
/// `150分钟`, or a plain number times `unit_s` seconds.
fn parse_duration(c: &Cell, unit_s: f64) -> Option<i64> {
    let secs = match c {
        Cell::Duration(s) => *s,
        // A time typed into a time-formatted cell: a fraction of a day. A
        // whole date here is not a duration.
        Cell::DateTime(serial) if (0.0..1.0).contains(serial) => serial * 86_400.0,
        Cell::DateTime(_) | Cell::Empty | Cell::Uncalculated => return None,
        Cell::Number(n) => n * unit_s,
        Cell::Text(_) => return parse_duration_text(&cell_text(c), unit_s),
    };
    (secs.is_finite() && secs >= 0.0).then(|| secs.round() as i64)
}

fn parse_duration_text(t: &str, unit_s: f64) -> Option<i64> {
    if t.contains(':') {
        let parts: Vec<i64> = t
            .split(':')
            .map(|p| p.trim().parse::<i64>().ok())
            .collect::<Option<_>>()?;
        return match parts.as_slice() {
            [h, m, s] if *h >= 0 && (0..60).contains(m) && (0..60).contains(s) => {
                Some(h.checked_mul(3600)? + m * 60 + s)
            }
            [m, s] if *m >= 0 && (0..60).contains(s) => Some(m.checked_mul(60)? + s),
            _ => None,
        };
    }
    if t.chars().any(|c| "时分秒".contains(c)) {
        let mut total = 0.0f64;
        let mut num = String::new();
        let mut any = false;
        for ch in t.chars() {
            match ch {
                '0'..='9' | '.' => num.push(ch),
                '小' => {}
                '时' | '分' | '秒' => {
                    let v: f64 = num.parse().ok()?;
                    num.clear();
                    any = true;
                    total += v * match ch {
                        '时' => 3600.0,
                        '分' => 60.0,
                        _ => 1.0,
                    };
                }
                '钟' | ' ' => {}
                _ => return None,
            }
        }
        return (any && num.is_empty() && total.is_finite()).then(|| total.round() as i64);
    }
    let v: f64 = t.parse().ok()?;
    let secs = v * unit_s;
    (secs.is_finite() && secs >= 0.0).then(|| secs.round() as i64)
}

/// Why a figure could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bad {
    /// Not a number (or negative).
    Unreadable,
    /// Beyond what one session can be.
    TooLarge,
}

/// A count: digits with optional thousands separators; `1.2万` and `3亿` as
/// the back ends abbreviate; times the column's unit (`(万)`).
fn parse_count(c: &Cell, unit: f64) -> Result<i64, Bad> {
    let v = match c {
        Cell::Number(n) => n * unit,
        Cell::Text(_) => {
            let t = cell_text(c).replace(',', "");
            let (num, mul) = if let Some(x) = t.strip_suffix('万') {
                (x, 10_000.0)
            } else if let Some(x) = t.strip_suffix('亿') {
                (x, 100_000_000.0)
            } else {
                (t.as_str(), unit)
            };
            let v: f64 = num.trim().parse().map_err(|_| Bad::Unreadable)?;
            v * mul
        }
        _ => return Err(Bad::Unreadable),
    };
    // A count is whole (1.2万 is, 1.5 people is not).
    if !v.is_finite() || v < 0.0 || (v - v.round()).abs() > 1e-6 {
        return Err(Bad::Unreadable);
    }
    let v = v.round();
    if v > MAX_COUNT as f64 {
        return Err(Bad::TooLarge);
    }
    Ok(v as i64)
}

/// A count typed into a form, as [`parse_count`] reads it (`12,000`,
/// `1.2万`).
pub fn parse_count_text(s: &str) -> Option<i64> {
    parse_count(&Cell::Text(s.to_string()), 1.0).ok()
}

/// Money typed into a form in yuan, as [`parse_money`] reads it
/// (`30000`, `3万`, `¥30,000元`), in fen.
pub fn parse_money_text(s: &str) -> Option<i64> {
    parse_money(&Cell::Text(s.to_string()), 100.0).ok()
}

/// Money (`¥1,234.50`, `1.2万`) to fen; `fen_per_unit` is what one of the
/// column's units is worth (100 for yuan, 1,000,000 for 万元).
fn parse_money(c: &Cell, fen_per_unit: f64) -> Result<i64, Bad> {
    let fen = match c {
        Cell::Number(n) => n * fen_per_unit,
        Cell::Text(_) => {
            let t = cell_text(c)
                .replace([',', '¥', '￥'], "")
                .trim_end_matches('元')
                .trim()
                .to_string();
            let (num, mul) = if let Some(x) = t.strip_suffix('万') {
                (x.to_string(), 1_000_000.0)
            } else {
                (t, fen_per_unit)
            };
            let v: f64 = num.trim().parse().map_err(|_| Bad::Unreadable)?;
            v * mul
        }
        _ => return Err(Bad::Unreadable),
    };
    if !fen.is_finite() || fen < 0.0 {
        return Err(Bad::Unreadable);
    }
    let fen = fen.round();
    if fen > MAX_FEN as f64 {
        return Err(Bad::TooLarge);
    }
    Ok(fen as i64)
}

/// Reads a platform's per-session export. All problems are returned, each
/// with its row and column; the caller imports nothing if there is one.
pub fn parse_export(
    grid: &[Vec<Cell>],
    platform: Platform,
) -> std::result::Result<Vec<LiveSessionRow>, Vec<RowError>> {
    let whole = |key: &'static str, args: Vec<(&'static str, String)>| RowError {
        row: 1,
        column: String::new(),
        key,
        args,
    };
    let Some((h, cols)) = find_header(grid, platform) else {
        // Another platform's file, or no header at all: say what was
        // looked for and what the first rows hold.
        if let Some((other, column)) = grid
            .iter()
            .take(10)
            .find_map(|row| other_platform(row, platform))
        {
            return Err(vec![whole(
                "analytics.other_platform",
                vec![
                    ("other", format!("@{}", other.label_key())),
                    ("column", column),
                ],
            )]);
        }
        let names = layout(platform);
        let first = |f: Field| {
            names
                .iter()
                .find(|(g, _)| *g == f)
                .map(|(_, ns)| ns.join("/"))
                .unwrap_or_default()
        };
        let held: Vec<String> = grid
            .iter()
            .filter(|r| !is_blank(r))
            .take(2)
            .map(|r| {
                let line: Vec<String> = r
                    .iter()
                    .map(|c| cell_text(c).into_owned())
                    .filter(|t| !t.is_empty())
                    .collect();
                let line = line.join(" | ");
                let cut: String = line.chars().take(80).collect();
                if cut.len() < line.len() {
                    format!("{cut}…")
                } else {
                    cut
                }
            })
            .collect();
        return Err(vec![whole(
            "analytics.unknown_layout",
            vec![
                ("platform", platform.as_str().to_string()),
                ("id", first(Field::SessionId)),
                ("start", first(Field::StartedAt)),
                ("held", held.join(" / ")),
            ],
        )]);
    };
    if let Some((other, column)) = other_platform(&grid[h], platform) {
        return Err(vec![RowError {
            row: h + 1,
            column: column.clone(),
            key: "analytics.other_platform",
            args: vec![
                ("other", format!("@{}", other.label_key())),
                ("column", column),
            ],
        }]);
    }
    let names = layout(platform);
    let missing: Vec<RowError> = REQUIRED
        .iter()
        .filter(|f| !cols.contains_key(f))
        .map(|f| {
            let name = names
                .iter()
                .find(|(g, _)| g == f)
                .map(|(_, ns)| ns[0])
                .unwrap_or("");
            RowError {
                row: h + 1,
                column: name.to_string(),
                key: "analytics.missing_column",
                args: vec![],
            }
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    // Every column's unit, from its header; an unknown unit refuses the
    // column instead of reading 万元 as yuan or hours as seconds.
    let mut units: HashMap<Field, f64> = HashMap::new();
    let mut unit_errors = Vec::new();
    for (f, (_, written)) in &cols {
        let (name, unit) = header_parts(written);
        match unit_factor(*f, &name, unit.as_deref()) {
            Some(x) => {
                units.insert(*f, x);
            }
            None => unit_errors.push(RowError {
                row: h + 1,
                column: written.clone(),
                key: "analytics.unknown_unit",
                args: vec![("unit", unit.unwrap_or_default())],
            }),
        }
    }
    if !unit_errors.is_empty() {
        return Err(unit_errors);
    }
    if grid.len() - h - 1 > MAX_ROWS {
        return Err(vec![whole(
            "roster.too_many_rows",
            vec![("max", MAX_ROWS.to_string())],
        )]);
    }
    let unit = |f: Field| units.get(&f).copied().unwrap_or(1.0);
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, row) in grid.iter().enumerate().skip(h + 1) {
        let rownum = i + 1;
        if is_blank(row) || is_total_row(row) {
            continue;
        }
        let cell = |f: Field| -> Option<(&Cell, &str)> {
            cols.get(&f)
                .map(|(c, name)| (row.get(*c).unwrap_or(&Cell::Empty), name.as_str()))
        };
        let bad = |errors: &mut Vec<RowError>, f: Field, key: &'static str| {
            let column = cols.get(&f).map(|(_, n)| n.clone()).unwrap_or_default();
            // An empty formula says why it is empty.
            let key = match cols.get(&f).and_then(|(c, _)| row.get(*c)) {
                Some(Cell::Uncalculated) => "sheet.formula_no_value",
                _ => key,
            };
            errors.push(RowError {
                row: rownum,
                column,
                key,
                args: vec![],
            });
        };
        let mut r = LiveSessionRow::default();
        match cell(Field::SessionId) {
            Some((c, _)) if id_damaged(c) => {
                bad(&mut errors, Field::SessionId, "analytics.id_damaged")
            }
            Some((c, _)) => {
                let id = cell_text(c).into_owned();
                if crate::values::text_problem(&id, false).is_some() {
                    bad(&mut errors, Field::SessionId, "error.control_chars")
                } else if !id.is_empty() && id.chars().count() <= 64 {
                    if let Some(first) = seen.insert(id.clone(), rownum) {
                        errors.push(RowError {
                            row: rownum,
                            column: cols[&Field::SessionId].1.clone(),
                            key: "analytics.duplicate_session",
                            args: vec![("first", first.to_string())],
                        });
                    }
                    r.platform_session_id = id;
                } else {
                    bad(&mut errors, Field::SessionId, "error.required")
                }
            }
            None => bad(&mut errors, Field::SessionId, "error.required"),
        }
        if let Some((c, _)) = cell(Field::Account) {
            if id_damaged(c) {
                bad(&mut errors, Field::Account, "analytics.id_damaged");
            } else {
                let a = cell_text(c);
                if crate::values::text_problem(&a, false).is_some() {
                    bad(&mut errors, Field::Account, "error.control_chars");
                } else if !a.is_empty() {
                    r.account_id = Some(a.into_owned());
                }
            }
        }
        match cell(Field::StartedAt).and_then(|(c, _)| parse_start(c)) {
            Some(t) => r.started_at = t,
            None => bad(&mut errors, Field::StartedAt, "analytics.bad_time"),
        }
        match cell(Field::Duration).and_then(|(c, _)| parse_duration(c, unit(Field::Duration))) {
            Some(d) if d > MAX_DURATION_S => {
                bad(&mut errors, Field::Duration, "analytics.duration_too_long")
            }
            Some(d) => r.duration_s = d,
            None => bad(&mut errors, Field::Duration, "analytics.bad_duration"),
        }
        let counts: [(Field, &mut i64); 10] = [
            (Field::Views, &mut r.views),
            (Field::Viewers, &mut r.viewers),
            (Field::PeakOnline, &mut r.peak_online),
            (Field::CommentUsers, &mut r.comment_users),
            (Field::Likes, &mut r.likes),
            (Field::NewFollowers, &mut r.new_followers),
            (Field::ExposureUsers, &mut r.exposure_users),
            (Field::ClickUsers, &mut r.click_users),
            (Field::Buyers, &mut r.buyers),
            (Field::Orders, &mut r.orders),
        ];
        for (f, slot) in counts {
            let Some((c, _)) = cell(f) else { continue };
            let t = cell_text(c);
            if !REQUIRED.contains(&f) && (t.is_empty() || is_placeholder(&t)) {
                continue;
            }
            match parse_count(c, unit(f)) {
                Ok(v) => *slot = v,
                Err(Bad::TooLarge) => bad(&mut errors, f, "analytics.count_too_large"),
                Err(Bad::Unreadable) => bad(&mut errors, f, "analytics.bad_number"),
            }
        }
        let mut avg_watch = 0;
        if let Some((c, _)) = cell(Field::AvgWatch) {
            let t = cell_text(c);
            if !t.is_empty() && !is_placeholder(&t) {
                match parse_duration(c, unit(Field::AvgWatch)) {
                    Some(v) if v > r.duration_s && r.duration_s > 0 => bad(
                        &mut errors,
                        Field::AvgWatch,
                        "analytics.watch_over_duration",
                    ),
                    Some(v) => avg_watch = v.min(MAX_DURATION_S),
                    None => bad(&mut errors, Field::AvgWatch, "analytics.bad_duration"),
                }
            }
        }
        r.watch_s = avg_watch * r.viewers;
        for (f, slot) in [
            (Field::Gmv, &mut r.gmv_fen),
            (Field::Refund, &mut r.refund_fen),
            (Field::AdSpend, &mut r.ad_spend_fen),
        ] {
            let Some((c, _)) = cell(f) else { continue };
            let t = cell_text(c);
            if f != Field::Gmv && (t.is_empty() || is_placeholder(&t)) {
                continue;
            }
            match parse_money(c, unit(f)) {
                Ok(v) => *slot = v,
                Err(Bad::TooLarge) => bad(&mut errors, f, "analytics.money_too_large"),
                Err(Bad::Unreadable) => bad(&mut errors, f, "analytics.bad_money"),
            }
        }
        // A coherent funnel: each stage from the one before.
        if r.viewers > r.views && r.views > 0 {
            bad(&mut errors, Field::Viewers, "analytics.viewers_over_views");
        }
        if r.buyers > r.viewers && r.viewers > 0 {
            bad(&mut errors, Field::Buyers, "analytics.buyers_over_viewers");
        }
        if r.viewers == 0 && (r.orders > 0 || r.buyers > 0 || r.gmv_fen > 0) {
            bad(
                &mut errors,
                Field::Viewers,
                "analytics.sales_without_viewers",
            );
        }
        if r.refund_fen > r.gmv_fen {
            bad(&mut errors, Field::Refund, "analytics.refund_over_gmv");
        }
        rows.push(r);
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(vec![whole("analytics.no_rows", vec![])]);
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_typed_into_a_form_is_read_as_exports_are() {
        assert_eq!(parse_money_text("3万"), Some(3_000_000));
        assert_eq!(parse_money_text("¥30,000元"), Some(3_000_000));
        assert_eq!(parse_money_text("１２.５"), Some(1_250));
        assert_eq!(parse_money_text("-5"), None);
        assert_eq!(parse_money_text("很多"), None);
        assert_eq!(parse_money_text("2000000万"), None, "over ¥10 billion");
    }
    use crate::i18n::Lang;

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }
    fn n(v: f64) -> Cell {
        Cell::Number(v)
    }

    const HEAD: &[&str] = &[
        "直播场次ID",
        "直播开始时间",
        "直播时长",
        "观看人次",
        "观看人数",
        "最高在线人数",
        "人均观看时长",
        "评论人数",
        "点赞次数",
        "新增粉丝数",
        "商品曝光人数",
        "商品点击人数",
        "成交人数",
        "成交订单数",
        "成交金额(元)",
        "退款金额(元)",
        "投放消耗",
    ];

    /// 20 hand-made sessions: session k has views 1000k, viewers 500k,
    /// exposure 200k, clicks 50k, buyers 10k, GMV ¥(100·k).50, refund ¥k.
    fn hand_made() -> Vec<Vec<Cell>> {
        let mut g = vec![
            vec![t("抖音电商罗盘 直播场次数据")],
            HEAD.iter().map(|h| t(h)).collect(),
        ];
        for k in 1..=20 {
            let k = k as f64;
            g.push(vec![
                t(&format!("7{k}")),
                t(&format!("2025/03/{:02} 19:30:00", k as i64)),
                t("2:00:00"),
                n(1000.0 * k),
                n(500.0 * k),
                n(80.0 * k),
                t("90"),
                n(25.0 * k),
                t("1.2万"),
                n(5.0 * k),
                n(200.0 * k),
                n(50.0 * k),
                n(10.0 * k),
                n(12.0 * k),
                t(&format!("¥{:.2}", 100.0 * k + 0.5)),
                n(k),
                Cell::Empty,
            ]);
        }
        g
    }

    #[test]
    fn kpis_of_a_hand_made_file_equal_hand_computed_values() {
        let rows = parse_export(&hand_made(), Platform::Douyin).unwrap();
        assert_eq!(rows.len(), 20);
        assert_eq!(rows[0].duration_s, 7200);
        assert_eq!(rows[0].likes, 12_000);
        assert_eq!(rows[0].gmv_fen, 10_050);
        assert_eq!(rows[0].refund_fen, 100);
        assert_eq!(rows[0].watch_s, 90 * 500);
        let s = Sums::of(&rows);
        // Σk for k = 1..20 is 210.
        assert_eq!(s.views, 210_000);
        assert_eq!(s.viewers, 105_000);
        assert_eq!(s.peak_online, 1_600);
        // GMV: Σ(100k + 0.5) = 21,000 + 10 = ¥21,010.
        assert_eq!(s.gmv_fen, 2_101_000);
        let v = |k: Kpi| k.value(&s).unwrap();
        assert_eq!(v(Kpi::Gmv), 21_010.0);
        assert_eq!(v(Kpi::NetGmv), 21_010.0 - 210.0);
        assert_eq!(v(Kpi::AvgWatchS), 90.0);
        assert!((v(Kpi::InteractionRate) - 0.05).abs() < 1e-12);
        assert!((v(Kpi::FollowRate) - 0.01).abs() < 1e-12);
        assert!((v(Kpi::ProductClickRate) - 0.25).abs() < 1e-12);
        assert!((v(Kpi::ClickToOrder) - 0.2).abs() < 1e-12);
        assert!((v(Kpi::ViewToOrder) - 0.02).abs() < 1e-12);
        assert!((v(Kpi::UvValue) - 21_010.0 / 105_000.0).abs() < 1e-12);
        assert!((v(Kpi::Gpm) - 21_010.0 / 210_000.0 * 1000.0).abs() < 1e-9);
        assert!((v(Kpi::Aov) - 21_010.0 / 2_100.0).abs() < 1e-12);
        assert!((v(Kpi::RefundRate) - 210.0 / 21_010.0).abs() < 1e-12);
        // A ratio of sums, not a mean of ratios: session 1's UV value is
        // 100.5/500, the mean of per-session values differs from the total.
        let mean: f64 = rows
            .iter()
            .map(|r| {
                Kpi::UvValue
                    .value(&Sums::of(std::slice::from_ref(r)))
                    .unwrap()
            })
            .sum::<f64>()
            / 20.0;
        assert!((mean - v(Kpi::UvValue)).abs() > 1e-6);
        // Nothing to divide by: no value, not zero.
        assert_eq!(Kpi::Gpm.value(&Sums::default()), None);
    }

    #[test]
    fn bad_files_name_the_row_and_column() {
        // Text in a number column.
        let mut g = hand_made();
        g[5][3] = t("很多");
        let e = parse_export(&g, Platform::Douyin).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].row, e[0].column.as_str()), (6, "观看人次"));
        assert_eq!(e[0].key, "analytics.bad_number");
        // A required column missing.
        let g: Vec<Vec<Cell>> = hand_made()
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .enumerate()
                    .filter(|(i, _)| *i != 14)
                    .map(|(_, c)| c)
                    .collect()
            })
            .collect();
        let e = parse_export(&g, Platform::Douyin).unwrap_err();
        assert_eq!((e[0].row, e[0].column.as_str()), (2, "成交金额"));
        assert_eq!(e[0].key, "analytics.missing_column");
        // Another platform's layout (Taobao's headers given as Douyin).
        let g = vec![
            vec![
                t("内容ID"),
                t("开播时间"),
                t("直播时长"),
                t("观看次数"),
                t("观看人数"),
                t("成交金额"),
            ],
            vec![
                t("1"),
                t("2025-03-01 20:00"),
                n(90.0),
                n(10.0),
                n(5.0),
                n(0.0),
            ],
        ];
        let e = parse_export(&g, Platform::Douyin).unwrap_err();
        assert_eq!(e[0].key, "analytics.other_platform");
        let rows = parse_export(&g, Platform::Taobao).unwrap();
        assert_eq!(rows[0].duration_s, 90 * 60, "a plain number is minutes");
        // A session twice, and a bad time.
        let mut g = hand_made();
        g[4][0] = t("71");
        g[6][1] = t("昨天晚上");
        let e = parse_export(&g, Platform::Douyin).unwrap_err();
        assert!(e
            .iter()
            .any(|x| x.key == "analytics.duplicate_session" && x.row == 5));
        assert!(e
            .iter()
            .any(|x| x.key == "analytics.bad_time" && x.row == 7 && x.column == "直播开始时间"));
    }

    fn room(viewers: i64, clicks: i64, buyers: i64, comments: i64) -> Sums {
        Sums {
            sessions: 10,
            views: viewers * 2,
            viewers,
            exposure_users: viewers / 2,
            click_users: clicks,
            buyers,
            comment_users: comments,
            gmv_fen: buyers * 10_000,
            ..Sums::default()
        }
    }

    #[test]
    fn benchmarks_rank_against_peers_and_findings_name_competencies() {
        // 40 peers with click→order 1%..40%; interaction 1%..40% too.
        let peers: Vec<Sums> = (1..=40)
            .map(|k| room(10_000, 1_000, 10 * k, 100 * k))
            .collect();
        // Own: click→order 2.5% (weak), interaction 39.5% (strong).
        let own = room(10_000, 1_000, 25, 3_950);
        let b = benchmark(Kpi::ClickToOrder, &own, &peers, PeerLevel::IndustryTierCity);
        assert_eq!(b.peers, 40);
        assert!((b.percentile.unwrap() - 5.0).abs() < 1e-9, "{b:?}");
        assert!((b.median.unwrap() - 0.205).abs() < 1e-9);
        assert!(
            (b.excellent.unwrap() - 0.361).abs() < 1e-9,
            "90th percentile"
        );
        let all: Vec<Benchmark> = Kpi::ALL
            .iter()
            .map(|k| benchmark(*k, &own, &peers, PeerLevel::IndustryTierCity))
            .collect();
        let f = diagnose(&all);
        assert_eq!(f[0].kpi, Kpi::ClickToOrder);
        assert_eq!(f[0].competency, Some("product_selection"));
        assert!(f
            .iter()
            .any(|x| x.kpi == Kpi::InteractionRate && x.kind == "strong"));
        // Lower is better for refunds: the lowest refund rate is the best.
        let refunds: Vec<Sums> = (1..=40)
            .map(|k| Sums {
                gmv_fen: 1_000,
                refund_fen: k,
                ..Sums::default()
            })
            .collect();
        let best = Sums {
            gmv_fen: 1_000,
            refund_fen: 0,
            ..Sums::default()
        };
        let b = benchmark(Kpi::RefundRate, &best, &refunds, PeerLevel::Province);
        assert_eq!(b.percentile, Some(100.0));
        // Too few peers: no finding, however low.
        let few: Vec<Benchmark> = Kpi::ALL
            .iter()
            .map(|k| benchmark(*k, &own, &peers[..5], PeerLevel::Province))
            .collect();
        assert!(diagnose(&few).is_empty());
    }

    #[test]
    fn durations_times_and_money_as_back_ends_write_them() {
        assert_eq!(parse_duration(&t("1:02:03"), 60.0), Some(3723));
        assert_eq!(parse_duration(&t("45:10"), 60.0), Some(2710));
        assert_eq!(parse_duration(&t("2小时30分钟"), 60.0), Some(9000));
        assert_eq!(parse_duration(&t("150分钟"), 60.0), Some(9000));
        assert_eq!(parse_duration(&t("95秒"), 60.0), Some(95));
        assert_eq!(parse_duration(&t("很久"), 60.0), None);
        assert_eq!(parse_money(&t("¥1,234.56"), 100.0), Ok(123_456));
        assert_eq!(parse_money(&t("1.5万"), 100.0), Ok(1_500_000));
        assert_eq!(parse_money(&t("-3"), 100.0), Err(Bad::Unreadable));
        assert_eq!(parse_count(&t("3.2万"), 1.0), Ok(32_000));
        assert_eq!(parse_count(&t("１２３"), 1.0), Ok(123), "full-width digits");
        assert_eq!(parse_count(&n(1.5), 1.0), Err(Bad::Unreadable));
        // 2025-03-01 20:00 Beijing time, as text and as an Excel date.
        let text = parse_start(&t("2025-03-01 20:00")).unwrap();
        assert_eq!(parse_start(&n(45_717.0 + 20.0 / 24.0)), Some(text));
        assert_eq!(parse_start(&t("2025/03/01 20:00:00")), Some(text));
    }

    #[test]
    fn excel_date_time_and_duration_cells_are_read_by_their_type() {
        let eight_pm = parse_start(&t("2025-03-01 20:00")).unwrap();
        assert_eq!(
            parse_start(&Cell::DateTime(45_717.0 + 20.0 / 24.0)),
            Some(eight_pm)
        );
        // A date cell alone is midnight.
        assert_eq!(
            parse_start(&Cell::DateTime(45_717.0)),
            parse_start(&t("2025-03-01 00:00"))
        );
        // 2:30:00 typed in a time-formatted cell is two and a half hours,
        // whatever unit the column's plain numbers are in.
        let half_past_two = 2.5 / 24.0;
        assert_eq!(
            parse_duration(&Cell::DateTime(half_past_two), 60.0),
            Some(9000)
        );
        assert_eq!(parse_duration(&Cell::Duration(9000.0), 1.0), Some(9000));
        // A whole date is not a duration.
        assert_eq!(parse_duration(&Cell::DateTime(45_717.0), 60.0), None);
    }

    #[test]
    fn explicit_offsets_convert_and_naive_times_are_beijing_time() {
        let beijing = parse_start(&t("2025-01-05 19:30")).unwrap();
        assert_eq!(parse_start(&t("2025-01-05T11:30:00Z")), Some(beijing));
        assert_eq!(parse_start(&t("2025-01-05T11:30:00+00:00")), Some(beijing));
        assert_eq!(parse_start(&t("2025-01-05T19:30:00+08:00")), Some(beijing));
        assert_eq!(
            parse_start(&t("2025-01-05T19:30:00.000+0800")),
            Some(beijing)
        );
        assert_eq!(parse_start(&t("2025-01-05 06:30-05:00")), Some(beijing));
        assert_eq!(parse_start(&t("2025年1月5日 19:30")), Some(beijing));
        assert_eq!(parse_start(&t("2025/1/5 19:30")), Some(beijing));
        assert_eq!(
            parse_start(&t("2025/1/5")),
            parse_start(&t("2025-01-05 00:00"))
        );
        assert_eq!(parse_start(&t("2025-01-05 19:30 PST")), None);
        assert_eq!(parse_start(&t("2025-13-05 19:30")), None);
    }

    /// A header and one row of a Douyin export; `cells` replaces columns.
    fn one_row(head: &[&str], row: &[Cell]) -> Vec<Vec<Cell>> {
        vec![head.iter().map(|h| t(h)).collect(), row.to_vec()]
    }

    const SHORT: &[&str] = &[
        "直播场次ID",
        "直播开始时间",
        "直播时长",
        "观看人次",
        "观看人数",
        "人均观看时长",
        "成交人数",
        "成交金额",
    ];

    fn base_row() -> Vec<Cell> {
        vec![
            t("s-1"),
            t("2025-03-01 20:00"),
            t("120"),
            n(1000.0),
            n(500.0),
            t("60"),
            n(10.0),
            t("100.5"),
        ]
    }

    fn errors_of(grid: &[Vec<Cell>]) -> Vec<(usize, String, &'static str)> {
        parse_export(grid, Platform::Douyin)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.row, e.column, e.key))
            .collect()
    }

    #[test]
    fn a_formula_without_its_result_says_so() {
        let mut row = base_row();
        row[7] = Cell::Uncalculated;
        assert_eq!(
            errors_of(&one_row(SHORT, &row)),
            vec![(2, "成交金额".to_string(), "sheet.formula_no_value")]
        );
    }

    #[test]
    fn units_in_headers_are_honoured_or_the_column_refused() {
        let head = [
            "直播场次ID",
            "直播开始时间",
            "直播时长(小时)",
            "观看人次(万)",
            "观看人数",
            "人均观看时长（分钟）",
            "成交人数",
            "成交金额(万元)",
        ];
        let mut row = base_row();
        row[2] = t("2");
        row[3] = t("0.5");
        row[5] = t("1.5");
        row[7] = n(1.2);
        let r = &parse_export(&one_row(&head, &row), Platform::Douyin).unwrap()[0];
        assert_eq!(r.duration_s, 7200);
        assert_eq!(r.views, 5000);
        assert_eq!(r.watch_s, 90 * 500);
        // 1.2 万元 is 12,000 yuan.
        assert_eq!(r.gmv_fen, 1_200_000);
        let mut head2 = head;
        head2[7] = "成交金额(美元)";
        assert_eq!(
            errors_of(&one_row(&head2, &row)),
            vec![(1, "成交金额(美元)".to_string(), "analytics.unknown_unit")]
        );
    }

    #[test]
    fn impossible_figures_are_refused_by_row() {
        let cases: Vec<(usize, Cell, &str)> = vec![
            (2, t("-5"), "analytics.bad_duration"),
            (2, t("5256000"), "analytics.duration_too_long"),
            (3, n(1e20), "analytics.count_too_large"),
            (7, n(1e20), "analytics.money_too_large"),
            (5, t("9999"), "analytics.watch_over_duration"),
        ];
        for (col, value, key) in cases {
            let mut row = base_row();
            row[col] = value;
            let errs = errors_of(&one_row(SHORT, &row));
            assert!(errs.iter().any(|e| e.2 == key), "{key}: {errs:?}");
        }
        // Orders and GMV without a single viewer.
        let mut row = base_row();
        row[3] = n(0.0);
        row[4] = n(0.0);
        let errs = errors_of(&one_row(SHORT, &row));
        assert!(
            errs.iter()
                .any(|e| e.2 == "analytics.sales_without_viewers"),
            "{errs:?}"
        );
    }

    #[test]
    fn identifiers_excel_turned_into_numbers_are_refused() {
        for damaged in [
            t("7.47812E+18"),
            t("7.47812e18"),
            n(7.478_123_456_789_012e18),
        ] {
            let mut row = base_row();
            row[0] = damaged;
            assert_eq!(
                errors_of(&one_row(SHORT, &row)),
                vec![(2, "直播场次ID".to_string(), "analytics.id_damaged")]
            );
        }
        // A whole number that fits is an id like any other.
        let mut row = base_row();
        row[0] = n(7_478_123_456.0);
        let r = &parse_export(&one_row(SHORT, &row), Platform::Douyin).unwrap()[0];
        assert_eq!(r.platform_session_id, "7478123456");
    }

    #[test]
    fn another_platforms_file_is_named_not_read_with_zeros() {
        let mut head: Vec<&str> = SHORT.to_vec();
        head.push("抖音号");
        head.push("千川消耗");
        let mut row = base_row();
        row.push(t("dy-1"));
        row.push(n(5.0));
        let grid = one_row(&head, &row);
        for p in [Platform::Kuaishou, Platform::Channels, Platform::Taobao] {
            let errs = parse_export(&grid, p).unwrap_err();
            assert_eq!(errs[0].key, "analytics.other_platform", "{p:?}");
            assert!(errs[0].message(Lang::Zh).contains("抖音"), "{p:?}");
        }
        assert!(parse_export(&grid, Platform::Douyin).is_ok());
    }

    #[test]
    fn everyday_quirks_are_read() {
        // Traditional headers, a placeholder in an optional column, a
        // total line at the end, a group header row above the real one.
        let head = [
            "直播場次ID",
            "直播開始時間",
            "直播時長",
            "觀看人次",
            "觀看人數",
            "人均觀看時長",
            "成交人數",
            "成交金額",
            "點讚次數",
        ];
        let mut row = base_row();
        row.push(t("--"));
        let total = vec![t("合计"), Cell::Empty, Cell::Empty, n(1000.0)];
        let grid = vec![
            vec![t("基础信息"), Cell::Empty, Cell::Empty, t("流量")],
            head.iter().map(|h| t(h)).collect(),
            row,
            total,
        ];
        let rows = parse_export(&grid, Platform::Douyin).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].likes, 0);
        assert_eq!(rows[0].views, 1000);
        // No header: the message says what was looked for and what is there.
        let errs =
            parse_export(&[vec![t("某某公司报表"), t("2025年3月")]], Platform::Douyin).unwrap_err();
        let m = errs[0].message(Lang::Zh);
        assert!(
            m.contains("直播场次ID") && m.contains("某某公司报表"),
            "{m}"
        );
    }
}
