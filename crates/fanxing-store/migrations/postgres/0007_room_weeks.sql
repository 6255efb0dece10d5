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
    room_id        BIGINT NOT NULL REFERENCES live_rooms (id),
    week           BIGINT NOT NULL,
    provenance     TEXT NOT NULL,
    sessions       BIGINT NOT NULL,
    duration_s     BIGINT NOT NULL,
    views          BIGINT NOT NULL,
    viewers        BIGINT NOT NULL,
    peak_online    BIGINT NOT NULL,
    watch_s        BIGINT NOT NULL,
    comment_users  BIGINT NOT NULL,
    likes          BIGINT NOT NULL,
    new_followers  BIGINT NOT NULL,
    exposure_users BIGINT NOT NULL,
    click_users    BIGINT NOT NULL,
    buyers         BIGINT NOT NULL,
    orders         BIGINT NOT NULL,
    gmv_fen        BIGINT NOT NULL,
    refund_fen     BIGINT NOT NULL,
    ad_spend_fen   BIGINT NOT NULL,
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
