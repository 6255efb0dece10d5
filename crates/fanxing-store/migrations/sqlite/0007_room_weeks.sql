-- Training impact compares rooms week by week: `room_weeks` holds each
-- room's sums per week (weeks start on Monday, Beijing time, counted from
-- the week of 1970-01-05 so that `week = (epoch_day + 3) / 7`), kept
-- current at import like the other rollups.
--
-- `room_days` goes: with one session on most days it held nearly a row per
-- session, doubling the cost of every import, while a room's trends and
-- KPIs read its own few hundred sessions through `live_sessions_room`.

DROP TABLE room_days;
DROP INDEX live_sessions_room;
CREATE INDEX live_sessions_room ON live_sessions (room_id, day);

-- Peer groups (industry × size tier × region) start from the rooms.
CREATE INDEX live_rooms_peer ON live_rooms (industry, size_tier, region);

-- When a room's operators were first trained (the impact panel), and a
-- person's own attendances.
CREATE INDEX attendances_person ON attendances (person_id, recorded_at);

CREATE TABLE room_weeks (
    room_id        INTEGER NOT NULL REFERENCES live_rooms (id),
    week           INTEGER NOT NULL,
    provenance     TEXT NOT NULL,
    sessions       INTEGER NOT NULL,
    duration_s     INTEGER NOT NULL,
    views          INTEGER NOT NULL,
    viewers        INTEGER NOT NULL,
    peak_online    INTEGER NOT NULL,
    watch_s        INTEGER NOT NULL,
    comment_users  INTEGER NOT NULL,
    likes          INTEGER NOT NULL,
    new_followers  INTEGER NOT NULL,
    exposure_users INTEGER NOT NULL,
    click_users    INTEGER NOT NULL,
    buyers         INTEGER NOT NULL,
    orders         INTEGER NOT NULL,
    gmv_fen        INTEGER NOT NULL,
    refund_fen     INTEGER NOT NULL,
    ad_spend_fen   INTEGER NOT NULL,
    PRIMARY KEY (room_id, week, provenance)
);

INSERT INTO room_weeks (room_id, week, provenance, sessions, duration_s, views, viewers, peak_online, watch_s, comment_users, likes, new_followers, exposure_users, click_users, buyers, orders, gmv_fen, refund_fen, ad_spend_fen)
SELECT room_id, ((started_at + 28800) / 86400 + 3) / 7, provenance,
       COUNT(*),
       SUM(duration_s),
       SUM(views),
       SUM(viewers),
       MAX(peak_online),
       SUM(watch_s),
       SUM(comment_users),
       SUM(likes),
       SUM(new_followers),
       SUM(exposure_users),
       SUM(click_users),
       SUM(buyers),
       SUM(orders),
       SUM(gmv_fen),
       SUM(refund_fen),
       SUM(ad_spend_fen)
FROM live_sessions
GROUP BY room_id, ((started_at + 28800) / 86400 + 3) / 7, provenance;
