//! Every room's weak KPIs against its peers, in one pass: the same peer
//! groups, the same "narrowest group with enough peers" rule and the same
//! findings as a single room's diagnosis
//! ([`AnalyticsService::room_diagnosis`](crate::analytics::service::AnalyticsService::room_diagnosis)),
//! but for a whole province at once (sorted values per group and KPI, a
//! binary search per room).

use std::collections::HashMap;

use serde::Serialize;

use crate::analytics::{diagnose, Benchmark, Kpi, PeerLevel, RoomId, SizeTier, Sums, MIN_PEERS};
use crate::region::RegionCode;

/// A room with its sums over the window the gaps are read from.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomLine {
    pub id: RoomId,
    pub name: String,
    pub industry: String,
    pub size_tier: SizeTier,
    pub region: RegionCode,
    pub sums: Sums,
}

/// A weak KPI of a room (bottom quarter of its peers) and the competency
/// it points to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoomGap {
    pub kpi: Kpi,
    pub competency: &'static str,
    /// Share of peers this room does better than, 0–100.
    pub percentile: f64,
    pub level: PeerLevel,
    /// Peers with a value for this KPI.
    pub peers: usize,
}

/// The group key of a room at a peer level.
fn key(level: PeerLevel, r: &RoomLine) -> (u8, String, Option<SizeTier>, u32) {
    let city = r.region.value() / 100 * 100;
    let province = r.region.value() / 10_000 * 10_000;
    match level {
        PeerLevel::IndustryTierCity => (0, r.industry.clone(), Some(r.size_tier), city),
        PeerLevel::IndustryTierProvince => (1, r.industry.clone(), Some(r.size_tier), province),
        PeerLevel::IndustryProvince => (2, r.industry.clone(), None, province),
        PeerLevel::Province => (3, String::new(), None, province),
    }
}

/// The weak findings of each room of `rooms` (same order), weakest first.
/// Peer groups are formed among `rooms` themselves, so pass every room of
/// the province (the benchmark population), not only those of interest.
pub fn weak_gaps(rooms: &[RoomLine]) -> Vec<Vec<RoomGap>> {
    let kpis: Vec<Kpi> = Kpi::ALL
        .iter()
        .copied()
        .filter(|k| crate::analytics::weakness(*k).is_some())
        .collect();
    // Per level: group key → index of the group; per group and KPI the
    // sorted values of its rooms.
    let mut member: Vec<Vec<usize>> = Vec::new();
    let mut sorted: Vec<Vec<Vec<f64>>> = Vec::new();
    for level in PeerLevel::ALL {
        let mut ids: HashMap<(u8, String, Option<SizeTier>, u32), usize> = HashMap::new();
        let mut of_room = Vec::with_capacity(rooms.len());
        let mut groups: Vec<Vec<Vec<f64>>> = Vec::new();
        for r in rooms {
            let next = ids.len();
            let g = *ids.entry(key(*level, r)).or_insert(next);
            if g == groups.len() {
                groups.push(vec![Vec::new(); kpis.len()]);
            }
            for (j, k) in kpis.iter().enumerate() {
                if let Some(v) = k.value(&r.sums) {
                    groups[g][j].push(v);
                }
            }
            of_room.push(g);
        }
        for g in &mut groups {
            for vs in g.iter_mut() {
                vs.sort_by(|a, b| a.total_cmp(b));
            }
        }
        let offset = sorted.len();
        sorted.extend(groups);
        member.push(of_room.into_iter().map(|g| g + offset).collect());
    }
    rooms
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let benchmarks: Vec<Benchmark> = kpis
                .iter()
                .enumerate()
                .filter_map(|(j, k)| {
                    let own = k.value(&r.sums)?;
                    // The narrowest group with enough other rooms with a value.
                    let (level, values) = PeerLevel::ALL
                        .iter()
                        .enumerate()
                        .map(|(l, level)| (*level, &sorted[member[l][i]][j]))
                        .find(|(_, vs)| vs.len() > MIN_PEERS)?;
                    let peers = values.len() - 1;
                    let below = values.partition_point(|x| *x < own) as f64;
                    let equal =
                        (values.partition_point(|x| *x <= own) as f64 - below - 1.0).max(0.0);
                    let share = (below + equal / 2.0) / peers as f64 * 100.0;
                    Some(Benchmark {
                        kpi: *k,
                        value: Some(own),
                        percentile: Some(if k.higher_is_better() {
                            share
                        } else {
                            100.0 - share
                        }),
                        median: None,
                        excellent: None,
                        level,
                        peers,
                    })
                })
                .collect();
            diagnose(&benchmarks)
                .into_iter()
                .filter(|f| f.kind == "weak")
                .filter_map(|f| {
                    let b = benchmarks.iter().find(|b| b.kpi == f.kpi)?;
                    Some(RoomGap {
                        kpi: f.kpi,
                        competency: f.competency?,
                        percentile: f.percentile,
                        level: b.level,
                        peers: b.peers,
                    })
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::benchmark;

    fn room(i: usize, industry: &str, region: u32, clicks: i64, buyers: i64) -> RoomLine {
        RoomLine {
            id: RoomId(i as i64 + 1),
            name: format!("r{i}"),
            industry: industry.into(),
            size_tier: if i.is_multiple_of(2) {
                SizeTier::Tail
            } else {
                SizeTier::Starter
            },
            region: RegionCode::from_value(region).unwrap(),
            sums: Sums {
                sessions: 10,
                views: 2000,
                viewers: 1000,
                watch_s: 60_000 + i as i64 * 97 % 5000,
                comment_users: 30 + (i as i64 * 13) % 40,
                new_followers: 10 + (i as i64 * 7) % 20,
                exposure_users: 500,
                click_users: clicks,
                buyers,
                gmv_fen: buyers * 10_000,
                refund_fen: buyers * 500,
                ..Default::default()
            },
        }
    }

    /// The batch answers what the one-room diagnosis answers: for every
    /// room, the same percentile from the same peer level.
    #[test]
    fn batch_percentiles_equal_the_single_room_benchmark() {
        let regions = [320505, 320583, 320106, 321302];
        let industries = ["服装", "食品"];
        let rooms: Vec<RoomLine> = (0..160)
            .map(|i| {
                room(
                    i,
                    industries[i % 2],
                    regions[(i / 2) % 4],
                    40 + (i as i64 * 37) % 90,
                    (i as i64 * 53) % 30,
                )
            })
            .collect();
        let gaps = weak_gaps(&rooms);
        let mut checked = 0;
        for (i, r) in rooms.iter().enumerate() {
            for g in &gaps[i] {
                let peers: Vec<Sums> = rooms
                    .iter()
                    .filter(|o| o.id != r.id && key(g.level, o) == key(g.level, r))
                    .map(|o| o.sums)
                    .collect();
                let b = benchmark(g.kpi, &r.sums, &peers, g.level);
                assert!((b.percentile.unwrap() - g.percentile).abs() < 1e-9);
                assert_eq!(b.peers, g.peers);
                assert!(g.percentile < 25.0 && g.peers >= MIN_PEERS);
                checked += 1;
            }
        }
        assert!(checked > 20, "{checked}");
    }

    #[test]
    fn a_planted_weakness_is_found_and_points_to_its_competency() {
        let mut rooms: Vec<RoomLine> = (0..60)
            .map(|i| {
                room(
                    i,
                    "服装",
                    320505,
                    100 + (i as i64 % 10),
                    20 + (i as i64 % 7),
                )
            })
            .collect();
        // Room 0 converts clicks to orders far worse than the rest.
        rooms[0].sums.buyers = 2;
        let gaps = weak_gaps(&rooms);
        let g = gaps[0]
            .iter()
            .find(|g| g.kpi == Kpi::ClickToOrder)
            .expect("weak conversion");
        assert_eq!(g.competency, "product_selection");
        assert!(g.percentile < 5.0);
        // Too few rooms: nobody is judged.
        assert!(weak_gaps(&rooms[..10]).iter().all(Vec::is_empty));
    }
}
