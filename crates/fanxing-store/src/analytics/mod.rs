//! Live rooms, their sessions, and the rollups kept current at import.
//!
//! Raw sessions live in `live_sessions`; `room_weeks`, `room_months` and
//! `region_months` grow inside the importing transaction by exactly the
//! sessions that were new, so a re-import changes nothing and the rollups
//! always equal a fresh aggregation of the raw rows.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use sqlx::any::AnyRow;

use fanxing_core::analytics::store::{
    AnalyticsStore, ImpactRoom, ImportMeta, PeerQuery, RoomScope, StatQuery, WeekField,
};
use fanxing_core::analytics::{
    day_of, ImportOutcome, LiveSessionRow, Platform, Provenance, Room, RoomDraft, RoomId, SizeTier,
    StatGroup, StatLine, Sums,
};
use fanxing_core::error::{Error, FieldError, Result};
use fanxing_core::people::PersonId;
use fanxing_core::store::Page;

use crate::sql::{args, like_contains, Sql};
use crate::store::{bad, col, db, id_col, is_unique_violation, opt_id_col, region_code, SqlStore};
use crate::Backend;

/// Days since 1970-01-01 of a Unix time, in Beijing time.
fn epoch_day(ts: i64) -> i64 {
    (ts + fanxing_core::training::SHANGHAI_OFFSET_SECS).div_euclid(86_400)
}

/// Weeks (Monday to Sunday, Beijing time) of a Unix time, counted from the
/// week of Monday 1970-01-05, as in `room_weeks`.
fn week_of(ts: i64) -> i64 {
    (epoch_day(ts) + 3).div_euclid(7)
}

/// The summed columns of the rollups, in [`sums_values`] order.
const SUM_COLS: [&str; 16] = [
    "sessions",
    "duration_s",
    "views",
    "viewers",
    "peak_online",
    "watch_s",
    "comment_users",
    "likes",
    "new_followers",
    "exposure_users",
    "click_users",
    "buyers",
    "orders",
    "gmv_fen",
    "refund_fen",
    "ad_spend_fen",
];

fn sums_values(s: &Sums) -> [i64; 16] {
    [
        s.sessions,
        s.duration_s,
        s.views,
        s.viewers,
        s.peak_online,
        s.watch_s,
        s.comment_users,
        s.likes,
        s.new_followers,
        s.exposure_users,
        s.click_users,
        s.buyers,
        s.orders,
        s.gmv_fen,
        s.refund_fen,
        s.ad_spend_fen,
    ]
}

pub(crate) fn sums_from(r: &AnyRow) -> Result<Sums> {
    let v = |c: &str| col::<Option<i64>>(r, c).map(|v| v.unwrap_or(0));
    Ok(Sums {
        sessions: v("sessions")?,
        duration_s: v("duration_s")?,
        views: v("views")?,
        viewers: v("viewers")?,
        peak_online: v("peak_online")?,
        watch_s: v("watch_s")?,
        comment_users: v("comment_users")?,
        likes: v("likes")?,
        new_followers: v("new_followers")?,
        exposure_users: v("exposure_users")?,
        click_users: v("click_users")?,
        buyers: v("buyers")?,
        orders: v("orders")?,
        gmv_fen: v("gmv_fen")?,
        refund_fen: v("refund_fen")?,
        ad_spend_fen: v("ad_spend_fen")?,
    })
}

/// `SUM(x) AS x` for every rollup column (`MAX` for the peak), over `t`,
/// as a 64-bit integer on both engines (PostgreSQL sums BIGINT to NUMERIC).
pub(crate) fn sum_select(t: &str) -> String {
    sums_over(t, false)
}

/// [`sum_select`] over raw sessions, which have no `sessions` column: a
/// session counts one.
fn session_sums(t: &str) -> String {
    sums_over(t, true)
}

fn sums_over(t: &str, raw: bool) -> String {
    SUM_COLS
        .iter()
        .map(|c| match *c {
            "sessions" if raw => format!("CAST(COUNT(*) AS BIGINT) AS {c}"),
            "peak_online" => format!("CAST(COALESCE(MAX({t}.{c}), 0) AS BIGINT) AS {c}"),
            _ => format!("CAST(COALESCE(SUM({t}.{c}), 0) AS BIGINT) AS {c}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

const ROOM_SELECT: &str = "SELECT m.id, m.platform, m.account_id, m.name, m.org_id, m.industry, \
     m.size_tier, m.region, r.name AS region_name \
     FROM live_rooms m JOIN regions r ON r.code = m.region WHERE 1=1";

fn room_from(r: &AnyRow) -> Result<Room> {
    let platform: String = col(r, "platform")?;
    let tier: String = col(r, "size_tier")?;
    Ok(Room {
        id: id_col(r, "id")?,
        platform: Platform::parse(&platform).ok_or_else(|| bad("platform", &platform))?,
        account_id: col(r, "account_id")?,
        name: col(r, "name")?,
        org_id: opt_id_col(r, "org_id")?,
        industry: col(r, "industry")?,
        size_tier: SizeTier::parse(&tier).ok_or_else(|| bad("size tier", &tier))?,
        region: region_code(col(r, "region")?)?,
        region_name: col(r, "region_name")?,
        operators: Vec::new(),
    })
}

impl SqlStore {
    /// Fills in the operators of `rooms`.
    async fn with_operators(&self, mut rooms: Vec<Room>) -> Result<Vec<Room>> {
        if rooms.is_empty() {
            return Ok(rooms);
        }
        let mut q = Sql::new("SELECT room_id, person_id FROM room_operators WHERE room_id IN (");
        for (i, r) in rooms.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(r.id);
        }
        q.push(") ORDER BY person_id");
        let mut ops: HashMap<RoomId, Vec<PersonId>> = HashMap::new();
        for row in q.query().fetch_all(self.pool()).await.map_err(db)? {
            ops.entry(id_col(&row, "room_id")?)
                .or_default()
                .push(id_col(&row, "person_id")?);
        }
        for r in &mut rooms {
            r.operators = ops.remove(&r.id).unwrap_or_default();
        }
        Ok(rooms)
    }

    /// The larger of two values in this dialect.
    fn greatest(&self) -> &'static str {
        match self.backend_kind() {
            Backend::Sqlite => "MAX",
            Backend::Postgres => "GREATEST",
        }
    }

    /// One multi-row upsert into a rollup: each row's key values (the
    /// columns `keys`, the last may be a count to add, like `rooms`) then
    /// its sums, added to a stored row of the same key (the peak is the
    /// larger). `tail` follows the statement (a `RETURNING` clause).
    fn rollup_upsert<'a>(
        &self,
        table: &str,
        keys: &[&str],
        rows: impl Iterator<Item = (Vec<crate::sql::Arg>, &'a Sums)>,
        tail: &str,
    ) -> Sql {
        let greatest = self.greatest();
        let mut q = Sql::new_on(
            &format!(
                "INSERT INTO {table} ({}, {}) VALUES ",
                keys.join(", "),
                SUM_COLS.join(", ")
            ),
            self.backend_kind(),
        );
        for (n, (key, s)) in rows.enumerate() {
            q.push(if n == 0 { "(" } else { ", (" });
            for (k, v) in key.into_iter().enumerate() {
                if k > 0 {
                    q.push(", ");
                }
                q.bind(v);
            }
            for v in sums_values(s) {
                q.push(", ").bind(v);
            }
            q.push(")");
        }
        // The key is every column but a trailing count (`rooms`), which adds.
        let (conflict, adds): (Vec<&str>, Vec<&str>) = keys.iter().partition(|k| **k != "rooms");
        let set = adds
            .iter()
            .chain(SUM_COLS.iter().filter(|c| **c != "peak_online"))
            .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
            .chain(std::iter::once(format!(
                "peak_online = {greatest}({table}.peak_online, excluded.peak_online)"
            )))
            .collect::<Vec<_>>()
            .join(", ");
        q.push(&format!(
            " ON CONFLICT ({}) DO UPDATE SET {set}{tail}",
            conflict.join(", ")
        ));
        q
    }

    /// The aggregate joining a group's texts with spaces, in this dialect.
    fn join_texts(&self, expr: &str) -> String {
        match self.backend_kind() {
            Backend::Sqlite => format!("group_concat({expr}, ' ')"),
            Backend::Postgres => format!("string_agg({expr}, ' ')"),
        }
    }
}

/// The `room_weeks` column of a weekly field.
fn week_column(f: WeekField) -> &'static str {
    match f {
        WeekField::Sessions => "sessions",
        WeekField::Views => "views",
        WeekField::Viewers => "viewers",
        WeekField::Buyers => "buyers",
        WeekField::GmvFen => "gmv_fen",
        WeekField::WatchS => "watch_s",
        WeekField::CommentUsers => "comment_users",
        WeekField::NewFollowers => "new_followers",
        WeekField::ExposureUsers => "exposure_users",
        WeekField::ClickUsers => "click_users",
        WeekField::RefundFen => "refund_fen",
    }
}

/// One week of `room_weeks` packed as `week:a:b…` (`fields` in order), so
/// that a room's weeks travel as one row.
fn packed_week(t: &str, fields: &[WeekField]) -> String {
    std::iter::once(format!("CAST({t}.week AS TEXT)"))
        .chain(
            fields
                .iter()
                .map(|f| format!("CAST({t}.{} AS TEXT)", week_column(*f))),
        )
        .collect::<Vec<_>>()
        .join(" || ':' || ")
}

/// The weeks of one room from the text [`packed_week`] built.
fn unpack_weeks(
    room: RoomId,
    text: &str,
    fields: &[WeekField],
    out: &mut Vec<(RoomId, i64, Sums)>,
) -> Result<()> {
    for item in text.split_ascii_whitespace() {
        let mut parts = item.split(':');
        let mut next = || -> Result<i64> {
            parts
                .next()
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| bad("week", item))
        };
        let week = next()?;
        let mut sums = Sums::default();
        for f in fields {
            let v = next()?;
            match f {
                WeekField::Sessions => sums.sessions = v,
                WeekField::Views => sums.views = v,
                WeekField::Viewers => sums.viewers = v,
                WeekField::Buyers => sums.buyers = v,
                WeekField::GmvFen => sums.gmv_fen = v,
                WeekField::WatchS => sums.watch_s = v,
                WeekField::CommentUsers => sums.comment_users = v,
                WeekField::NewFollowers => sums.new_followers = v,
                WeekField::ExposureUsers => sums.exposure_users = v,
                WeekField::ClickUsers => sums.click_users = v,
                WeekField::RefundFen => sums.refund_fen = v,
            }
        }
        if parts.next().is_some() {
            return Err(bad("week", item));
        }
        out.push((room, week, sums));
    }
    Ok(())
}

/// Rows per multi-row INSERT of small rows (at most 24 parameters each).
pub(crate) const CHUNK: usize = 40;
/// Rows per multi-row INSERT of sessions, 22 parameters each: within
/// SQLite's 32,766 and PostgreSQL's 65,535 parameters per statement (see
/// `Sql::on` for why SQLite gets anonymous parameters). Fewer, larger
/// statements mean fewer trips to the database.
const SESSION_CHUNK_SQLITE: usize = 1_000;
const SESSION_CHUNK_POSTGRES: usize = 2_000;
/// Session ids looked up per statement.
const LOOKUP_CHUNK: usize = 2_000;

#[async_trait]
impl AnalyticsStore for SqlStore {
    async fn insert_room(&self, room: &RoomDraft, now: i64) -> Result<RoomId> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut q = Sql::new(
            "INSERT INTO live_rooms (platform, account_id, name, org_id, industry, size_tier, \
             region, created_at) VALUES (",
        );
        q.binds(args![
            room.platform.as_str(),
            room.account_id.as_str(),
            room.name.as_str(),
            room.org_id,
            room.industry.as_str(),
            room.size_tier.as_str(),
            room.region.value() as i64,
            now
        ])
        .push(") RETURNING id");
        let id: RoomId = match q.query().fetch_one(&mut *tx).await {
            Ok(row) => id_col(&row, "id")?,
            Err(e) if is_unique_violation(&e) => {
                return Err(Error::Conflict(FieldError::new(
                    "account_id",
                    "room.account_taken",
                )))
            }
            Err(e) => return Err(db(e)),
        };
        for p in room.operators.iter().collect::<HashSet<_>>() {
            let mut q = Sql::new("INSERT INTO room_operators (room_id, person_id) VALUES (");
            q.bind(id).push(", ").bind(*p).push(")");
            q.query().execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(id)
    }

    async fn set_room_operators(&self, room: RoomId, operators: &[PersonId]) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut q = Sql::new("DELETE FROM room_operators WHERE room_id = ");
        q.bind(room);
        q.query().execute(&mut *tx).await.map_err(db)?;
        for chunk in operators.chunks(CHUNK) {
            let mut q = Sql::new("INSERT INTO room_operators (room_id, person_id) VALUES ");
            for (n, p) in chunk.iter().enumerate() {
                q.push(if n == 0 { "(" } else { ", (" })
                    .bind(room)
                    .push(", ")
                    .bind(*p)
                    .push(")");
            }
            q.push(" ON CONFLICT (room_id, person_id) DO NOTHING");
            q.query().execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn get_room(&self, id: RoomId) -> Result<Option<Room>> {
        let mut q = Sql::new(ROOM_SELECT);
        q.push(" AND m.id = ").bind(id);
        let Some(row) = q.query().fetch_optional(self.pool()).await.map_err(db)? else {
            return Ok(None);
        };
        Ok(self.with_operators(vec![room_from(&row)?]).await?.pop())
    }

    async fn list_rooms(
        &self,
        scope: RoomScope,
        text: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Page<Room>> {
        let mut filter = Sql::new("");
        if let Some(t) = text {
            filter
                .push(" AND (m.name LIKE ")
                .bind(like_contains(t))
                .push(" ESCAPE '\\' OR m.account_id LIKE ")
                .bind(like_contains(t))
                .push(" ESCAPE '\\')");
        }
        match scope {
            RoomScope::Regions(range) => {
                filter
                    .push(" AND m.region BETWEEN ")
                    .bind(range.lo as i64)
                    .push(" AND ")
                    .bind(range.hi as i64);
            }
            RoomScope::Operator(person) => {
                filter
                    .push(" AND m.id IN (SELECT room_id FROM room_operators WHERE person_id = ")
                    .bind(person)
                    .push(")");
            }
        }
        let row = Sql::with_text(
            &filter,
            format!(
                "SELECT COUNT(*) AS n FROM live_rooms m WHERE 1=1{}",
                filter.text
            ),
        )
        .query()
        .fetch_one(self.pool())
        .await
        .map_err(db)?;
        let total: i64 = col(&row, "n")?;
        let mut q = Sql::with_text(&filter, format!("{ROOM_SELECT}{}", filter.text));
        q.push(" ORDER BY m.id LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset);
        let rooms = q.fetch_map(self.pool(), room_from).await?;
        Ok(Page {
            items: self.with_operators(rooms).await?,
            total,
            offset,
            limit,
        })
    }

    async fn rooms_by_account(&self, platform: Platform, accounts: &[String]) -> Result<Vec<Room>> {
        let mut out = Vec::new();
        for chunk in accounts.chunks(500) {
            let mut q = Sql::new(ROOM_SELECT);
            q.push(" AND m.platform = ")
                .bind(platform.as_str())
                .push(" AND m.account_id IN (");
            for (i, a) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.bind(a.as_str());
            }
            q.push(")");
            for row in q.query().fetch_all(self.pool()).await.map_err(db)? {
                out.push(room_from(&row)?);
            }
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all, fields(n = rows.len()))]
    async fn import_live_sessions(
        &self,
        meta: &ImportMeta,
        rooms: &[Room],
        rows: &[(RoomId, LiveSessionRow)],
    ) -> Result<ImportOutcome> {
        let rooms: HashMap<RoomId, &Room> = rooms.iter().map(|r| (r.id, r)).collect();
        let prov = meta.provenance.as_str();
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut q = Sql::new(
            "INSERT INTO analytics_imports (platform, provenance, filename, rows_total, rows_new, \
             user_id, imported_at) VALUES (",
        );
        q.binds(args![
            meta.platform.as_str(),
            prov,
            meta.filename.as_str(),
            rows.len() as i64
        ])
        .push(", 0, ")
        .bind(meta.user_id)
        .push(", ")
        .bind(meta.at)
        .push(") RETURNING id");
        let import_id: i64 = col(&q.query().fetch_one(&mut *tx).await.map_err(db)?, "id")?;

        // The raw sessions; those stored before are left alone. SQLite is
        // asked first which are stored (on a first import: none), so that
        // its inserts need not send every new id back (each row returned
        // is a trip between threads there); PostgreSQL's inserts return
        // the ids they wrote, which stays exact under concurrent imports.
        let backend = self.backend_kind();
        let mut stored: HashSet<String> = HashSet::new();
        if backend == Backend::Sqlite {
            for chunk in rows.chunks(LOOKUP_CHUNK) {
                let mut q = Sql::new_on(
                    "SELECT platform_session_id FROM live_sessions WHERE platform = ",
                    backend,
                );
                q.bind(meta.platform.as_str())
                    .push(" AND platform_session_id IN (");
                for (n, (_, r)) in chunk.iter().enumerate() {
                    if n > 0 {
                        q.push(", ");
                    }
                    q.bind(r.platform_session_id.as_str());
                }
                q.push(")");
                for row in q.query().fetch_all(&mut *tx).await.map_err(db)? {
                    stored.insert(col(&row, "platform_session_id")?);
                }
            }
        }
        let mut fresh: Vec<&(RoomId, LiveSessionRow)> = rows
            .iter()
            .filter(|(_, r)| !stored.contains(r.platform_session_id.as_str()))
            .collect();
        let per_statement = match backend {
            Backend::Sqlite => SESSION_CHUNK_SQLITE,
            Backend::Postgres => SESSION_CHUNK_POSTGRES,
        };
        let platform = meta.platform.as_str();
        let build = |chunk: &[&(RoomId, LiveSessionRow)]| {
            let mut q = Sql::new_on(
                "INSERT INTO live_sessions (room_id, platform, platform_session_id, provenance, \
                 import_id, started_at, day, duration_s, views, viewers, peak_online, watch_s, \
                 comment_users, likes, new_followers, exposure_users, click_users, buyers, orders, \
                 gmv_fen, refund_fen, ad_spend_fen) VALUES ",
                backend,
            );
            for (n, (room, r)) in chunk.iter().enumerate() {
                q.push(if n == 0 { "(" } else { ", (" })
                    .bind(*room)
                    .push(", ")
                    .bind_static(platform)
                    .push(", ")
                    .bind(r.platform_session_id.as_str())
                    .push(", ")
                    .bind_static(prov)
                    .push(", ")
                    .binds(args![import_id, r.started_at, day_of(r.started_at)]);
                for v in [
                    r.duration_s,
                    r.views,
                    r.viewers,
                    r.peak_online,
                    r.watch_s,
                    r.comment_users,
                    r.likes,
                    r.new_followers,
                    r.exposure_users,
                    r.click_users,
                    r.buyers,
                    r.orders,
                    r.gmv_fen,
                    r.refund_fen,
                    r.ad_spend_fen,
                ] {
                    q.push(", ").bind(v);
                }
                q.push(")");
            }
            q.push(" ON CONFLICT (platform, platform_session_id) DO NOTHING");
            if backend == Backend::Postgres {
                q.push(" RETURNING platform_session_id");
            }
            (q, chunk.len() as u64)
        };
        // Each statement is built while the one before runs in the database.
        let mut written: HashSet<String> = HashSet::new();
        let mut chunks = fresh.chunks(per_statement);
        let mut next = chunks.next().map(build);
        while let Some((q, rows_sent)) = next.take() {
            let run = async {
                match backend {
                    Backend::Sqlite => q
                        .query()
                        .execute(&mut *tx)
                        .await
                        .map(|done| (done.rows_affected(), Vec::new())),
                    Backend::Postgres => q
                        .query()
                        .fetch_all(&mut *tx)
                        .await
                        .map(|rows| (rows.len() as u64, rows)),
                }
            };
            let (done, built) = tokio::join!(run, async { chunks.next().map(build) });
            let (count, ids) = done.map_err(db)?;
            // SQLite writes alone, so every row sent is new; should that
            // ever not hold, the import stops whole rather than guess.
            if backend == Backend::Sqlite && count != rows_sent {
                return Err(Error::Conflict(FieldError::new(
                    "file",
                    "analytics.concurrent_import",
                )));
            }
            for row in &ids {
                written.insert(col(row, "platform_session_id")?);
            }
            next = built;
        }
        if backend == Backend::Postgres {
            fresh.retain(|(_, r)| written.contains(r.platform_session_id.as_str()));
        }
        // The rollups grow by the new sessions.
        let mut weeks: HashMap<(RoomId, i64), Sums> = HashMap::new();
        let mut months: HashMap<(RoomId, i64), Sums> = HashMap::new();
        let mut cells: HashMap<(i64, String, i64), (i64, Sums)> = HashMap::new();
        for (room, r) in &fresh {
            let m = rooms
                .get(room)
                .ok_or_else(|| Error::Store(format!("room {room} not given to the import")))?;
            let day = day_of(r.started_at);
            let month = day / 100;
            weeks
                .entry((*room, week_of(r.started_at)))
                .or_default()
                .add(r);
            months.entry((*room, month)).or_default().add(r);
            cells
                .entry((m.region.value() as i64, m.industry.clone(), month))
                .or_default()
                .1
                .add(r);
        }
        let pairs: Vec<(RoomId, i64)> = months.keys().copied().collect();
        let week_rows: Vec<(&(RoomId, i64), &Sums)> = weeks.iter().collect();
        for chunk in week_rows.chunks(CHUNK) {
            self.rollup_upsert(
                "room_weeks",
                &["room_id", "week", "provenance"],
                chunk.iter().map(|((room, week), s)| {
                    (vec![(*room).into(), (*week).into(), prov.into()], *s)
                }),
                "",
            )
            .query()
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        for chunk in pairs.chunks(CHUNK) {
            let mut rows = Vec::with_capacity(chunk.len());
            for key in chunk {
                let s = months
                    .get(key)
                    .ok_or_else(|| Error::Store(format!("month {key:?} not summed")))?;
                rows.push((vec![key.0.into(), key.1.into(), prov.into()], s));
            }
            // A room live in a month for the first time counts once in its
            // cell: its row then holds just this import's sessions (a row
            // stored before had at least one session already).
            let q = self.rollup_upsert(
                "room_months",
                &["room_id", "month", "provenance"],
                rows.into_iter(),
                " RETURNING room_id, month, sessions",
            );
            for row in q.query().fetch_all(&mut *tx).await.map_err(db)? {
                let key: (RoomId, i64) = (id_col(&row, "room_id")?, col(&row, "month")?);
                let total: i64 = col(&row, "sessions")?;
                if months.get(&key).map(|s| s.sessions) == Some(total) {
                    let m = rooms
                        .get(&key.0)
                        .ok_or_else(|| Error::Store(format!("room {} not in the import", key.0)))?;
                    cells
                        .entry((m.region.value() as i64, m.industry.clone(), key.1))
                        .or_default()
                        .0 += 1;
                }
            }
        }
        let cell_rows: Vec<(&(i64, String, i64), &(i64, Sums))> = cells.iter().collect();
        for chunk in cell_rows.chunks(CHUNK) {
            self.rollup_upsert(
                "region_months",
                &[
                    "region",
                    "industry",
                    "platform",
                    "month",
                    "provenance",
                    "rooms",
                ],
                chunk
                    .iter()
                    .map(|((region, industry, month), (new_rooms, s))| {
                        (
                            vec![
                                (*region).into(),
                                industry.as_str().into(),
                                meta.platform.as_str().into(),
                                (*month).into(),
                                prov.into(),
                                (*new_rooms).into(),
                            ],
                            s,
                        )
                    }),
                "",
            )
            .query()
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        // Sessions stored before whose figures the file gives otherwise (a
        // platform adds refunds later): reported, the stored ones kept.
        let fresh_ids: HashSet<&str> = fresh
            .iter()
            .map(|(_, r)| r.platform_session_id.as_str())
            .collect();
        let old: Vec<&LiveSessionRow> = rows
            .iter()
            .map(|(_, r)| r)
            .filter(|r| !fresh_ids.contains(r.platform_session_id.as_str()))
            .collect();
        let mut changed: Vec<String> = Vec::new();
        let mut changed_count = 0usize;
        for chunk in old.chunks(LOOKUP_CHUNK) {
            let by_id: HashMap<&str, &LiveSessionRow> = chunk
                .iter()
                .map(|r| (r.platform_session_id.as_str(), *r))
                .collect();
            let mut q = Sql::new_on(
                "SELECT platform_session_id, started_at, duration_s, views, viewers, orders, \
                 buyers, gmv_fen, refund_fen, ad_spend_fen FROM live_sessions WHERE platform = ",
                backend,
            );
            q.bind(meta.platform.as_str())
                .push(" AND platform_session_id IN (");
            for (n, r) in chunk.iter().enumerate() {
                if n > 0 {
                    q.push(", ");
                }
                q.bind(r.platform_session_id.as_str());
            }
            q.push(")");
            for row in q.query().fetch_all(&mut *tx).await.map_err(db)? {
                let id: String = col(&row, "platform_session_id")?;
                let Some(r) = by_id.get(id.as_str()) else {
                    continue;
                };
                let stored: [i64; 9] = [
                    col(&row, "started_at")?,
                    col(&row, "duration_s")?,
                    col(&row, "views")?,
                    col(&row, "viewers")?,
                    col(&row, "orders")?,
                    col(&row, "buyers")?,
                    col(&row, "gmv_fen")?,
                    col(&row, "refund_fen")?,
                    col(&row, "ad_spend_fen")?,
                ];
                let given = [
                    r.started_at,
                    r.duration_s,
                    r.views,
                    r.viewers,
                    r.orders,
                    r.buyers,
                    r.gmv_fen,
                    r.refund_fen,
                    r.ad_spend_fen,
                ];
                if stored != given {
                    changed_count += 1;
                    if changed.len() < 10 {
                        changed.push(id);
                    }
                }
            }
        }
        let mut q = Sql::new("UPDATE analytics_imports SET rows_new = ");
        q.bind(fresh.len() as i64)
            .push(" WHERE id = ")
            .bind(import_id);
        q.query().execute(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(ImportOutcome {
            import_id,
            rows: rows.len(),
            new: fresh.len(),
            changed: changed_count,
            changed_ids: changed,
            sheet: None,
        })
    }

    async fn room_sums(
        &self,
        room: RoomId,
        provenance: Provenance,
        from_day: i64,
        to_day: i64,
    ) -> Result<Sums> {
        let mut q = Sql::new(&format!(
            "SELECT {} FROM live_sessions d WHERE d.room_id = ",
            session_sums("d")
        ));
        q.bind(room)
            .push(" AND d.provenance = ")
            .bind(provenance.as_str())
            .push(" AND d.day BETWEEN ")
            .bind(from_day)
            .push(" AND ")
            .bind(to_day);
        let row = q.query().fetch_one(self.pool()).await.map_err(db)?;
        sums_from(&row)
    }

    async fn room_days(
        &self,
        room: RoomId,
        provenance: Provenance,
        from_day: i64,
        to_day: i64,
    ) -> Result<Vec<(i64, Sums)>> {
        let mut q = Sql::new(&format!(
            "SELECT d.day, {} FROM live_sessions d WHERE d.room_id = ",
            session_sums("d")
        ));
        q.bind(room)
            .push(" AND d.provenance = ")
            .bind(provenance.as_str())
            .push(" AND d.day BETWEEN ")
            .bind(from_day)
            .push(" AND ")
            .bind(to_day)
            .push(" GROUP BY d.day ORDER BY d.day");
        q.fetch_map(self.pool(), |r| Ok((col(r, "day")?, sums_from(r)?)))
            .await
    }

    async fn peer_sums(&self, f: &PeerQuery) -> Result<Vec<(RoomId, Sums)>> {
        let mut q = Sql::new(&format!(
            "SELECT g.room_id, {} FROM room_months g JOIN live_rooms m ON m.id = g.room_id \
             WHERE g.provenance = ",
            sum_select("g")
        ));
        q.bind(f.provenance.as_str())
            .push(" AND g.month BETWEEN ")
            .bind(f.from_month)
            .push(" AND ")
            .bind(f.to_month)
            .push(" AND m.region BETWEEN ")
            .bind(f.range.lo as i64)
            .push(" AND ")
            .bind(f.range.hi as i64);
        if let Some(industry) = &f.industry {
            q.push(" AND m.industry = ").bind(industry.as_str());
        }
        if let Some(tier) = f.size_tier {
            q.push(" AND m.size_tier = ").bind(tier.as_str());
        }
        q.push(" GROUP BY g.room_id");
        q.fetch_map(self.pool(), |r| Ok((id_col(r, "room_id")?, sums_from(r)?)))
            .await
    }

    async fn impact_panel(
        &self,
        range: fanxing_core::region::RegionRange,
        provenance: Provenance,
        fields: &[WeekField],
    ) -> Result<(Vec<ImpactRoom>, Option<i64>, Vec<(RoomId, i64, Sums)>)> {
        let mut q = Sql::new(
            "SELECT m.id, m.industry, m.region, t.trained_at FROM live_rooms m \
             LEFT JOIN (SELECT o.room_id, MIN(a.recorded_at) AS trained_at FROM room_operators o \
             JOIN attendances a ON a.person_id = o.person_id GROUP BY o.room_id) t \
             ON t.room_id = m.id WHERE m.region BETWEEN ",
        );
        q.bind(range.lo as i64)
            .push(" AND ")
            .bind(range.hi as i64)
            .push(" ORDER BY m.id");
        let rooms = q
            .fetch_map(self.pool(), |r| {
                Ok(ImpactRoom {
                    id: id_col(r, "id")?,
                    industry: col(r, "industry")?,
                    region: region_code(col(r, "region")?)?,
                    trained_at: col(r, "trained_at")?,
                })
            })
            .await?;
        // A room's weeks come packed in one row: a city has hundreds of
        // thousands of room-weeks, and rows cost far more than bytes. The
        // rooms drive the search (the rollup is keyed by room first).
        let mut q = Sql::new(&format!(
            "SELECT d.room_id, {} AS weeks FROM room_weeks d \
             WHERE d.room_id IN (SELECT m.id FROM live_rooms m WHERE m.region BETWEEN ",
            self.join_texts(&packed_week("d", fields))
        ));
        q.bind(range.lo as i64)
            .push(" AND ")
            .bind(range.hi as i64)
            .push(") AND d.provenance = ")
            .bind(provenance.as_str())
            .push(" GROUP BY d.room_id");
        let mut weeks = Vec::new();
        for r in q.query().fetch_all(self.pool()).await.map_err(db)? {
            let text: String = col(&r, "weeks")?;
            unpack_weeks(id_col(&r, "room_id")?, &text, fields, &mut weeks)?;
        }
        let Some(first) = weeks.iter().map(|(_, w, _)| *w).min() else {
            return Ok((rooms, None, Vec::new()));
        };
        for (_, w, _) in &mut weeks {
            *w -= first;
        }
        // The Monday that starts the first week, in days since 1970-01-01.
        Ok((rooms, Some(first * 7 - 3), weeks))
    }

    async fn region_stats(&self, s: &StatQuery) -> Result<Vec<StatLine>> {
        // A county's code lies within its city's: the city is code / 100 * 100.
        let city = |t: &str| format!("CAST(({t}.region / 100) * 100 AS TEXT)");
        let (key, room_key, month) = match s.group {
            StatGroup::City => (city("g"), city("m"), false),
            StatGroup::Industry => ("g.industry".into(), "m.industry".into(), false),
            StatGroup::Platform => ("g.platform".into(), "m.platform".into(), false),
            StatGroup::Month => ("CAST(g.month AS TEXT)".into(), String::new(), true),
            StatGroup::CityMonth => (city("g"), String::new(), true),
        };
        let (month_col, group) = if month {
            ("g.month", format!("{key}, g.month"))
        } else {
            ("CAST(0 AS BIGINT)", key.clone())
        };
        let mut q = Sql::new(&format!(
            "SELECT {key} AS k, {month_col} AS m, CAST(SUM(g.rooms) AS BIGINT) AS rooms, {} \
             FROM region_months g WHERE g.provenance = ",
            sum_select("g")
        ));
        q.bind(s.provenance.as_str())
            .push(" AND g.region BETWEEN ")
            .bind(s.range.lo as i64)
            .push(" AND ")
            .bind(s.range.hi as i64)
            .push(" AND g.month BETWEEN ")
            .bind(s.from_month)
            .push(" AND ")
            .bind(s.to_month)
            .push(&format!(" GROUP BY {group} ORDER BY {group}"));
        let mut lines = q
            .fetch_map(self.pool(), |r| {
                let m: i64 = col(r, "m")?;
                Ok(StatLine {
                    key: col(r, "k")?,
                    month: month.then_some(m),
                    rooms: col::<Option<i64>>(r, "rooms")?.unwrap_or(0),
                    sums: sums_from(r)?,
                })
            })
            .await?;
        // Over several months a room counts once: distinct rooms per group.
        if !month {
            let mut q = Sql::new(&format!(
                "SELECT {room_key} AS k, COUNT(DISTINCT g.room_id) AS rooms \
                 FROM room_months g JOIN live_rooms m ON m.id = g.room_id WHERE g.provenance = "
            ));
            q.bind(s.provenance.as_str())
                .push(" AND m.region BETWEEN ")
                .bind(s.range.lo as i64)
                .push(" AND ")
                .bind(s.range.hi as i64)
                .push(" AND g.month BETWEEN ")
                .bind(s.from_month)
                .push(" AND ")
                .bind(s.to_month)
                .push(&format!(" GROUP BY {room_key}"));
            let distinct: HashMap<String, i64> = q
                .query()
                .fetch_all(self.pool())
                .await
                .map_err(db)?
                .iter()
                .map(|r| Ok((col(r, "k")?, col(r, "rooms")?)))
                .collect::<Result<_>>()?;
            for l in &mut lines {
                l.rooms = distinct.get(&l.key).copied().unwrap_or(0);
            }
        }
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_unpack_in_field_order_and_refuse_damage() {
        let fields = [WeekField::GmvFen, WeekField::Views];
        let mut out = Vec::new();
        unpack_weeks(RoomId(7), "2900:1500:30 2901:0:2", &fields, &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!((out[1].0, out[1].1), (RoomId(7), 2901));
        assert_eq!((out[0].2.gmv_fen, out[0].2.views), (1500, 30));
        assert_eq!(out[0].2.sessions, 0, "fields not asked for stay 0");
        assert!(
            unpack_weeks(RoomId(7), "2900:1", &fields, &mut out).is_err(),
            "too few"
        );
        assert!(unpack_weeks(RoomId(7), "2900:1:2:3", &fields, &mut out).is_err());
        assert!(unpack_weeks(RoomId(7), "x:1:2", &fields, &mut out).is_err());
        assert_eq!(
            packed_week("d", &fields),
            "CAST(d.week AS TEXT) || ':' || CAST(d.gmv_fen AS TEXT) || ':' || CAST(d.views AS TEXT)"
        );
    }

    #[test]
    fn weeks_start_on_monday_beijing_time() {
        // 2025-06-02 is a Monday: 00:30 Beijing is still Sunday in UTC.
        let monday = 1_748_795_400; // 2025-06-01T16:30:00Z
        assert_eq!(week_of(monday), week_of(monday + 6 * 86_400 + 23 * 3600));
        assert_eq!(week_of(monday) - 1, week_of(monday - 3_600));
        assert_eq!(week_of(monday) * 7 - 3, epoch_day(monday));
    }
}
