-- Live-commerce analytics: rooms, their sessions as raw counts (money in
-- fen; ratios are never stored), and rollups kept current at import.

CREATE TABLE live_rooms (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    platform   TEXT NOT NULL,
    account_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    org_id     INTEGER REFERENCES organisations (id),
    industry   TEXT NOT NULL,
    size_tier  TEXT NOT NULL,
    region     INTEGER NOT NULL REFERENCES regions (code),
    created_at INTEGER NOT NULL,
    UNIQUE (platform, account_id)
);
CREATE INDEX live_rooms_region ON live_rooms (region);
CREATE INDEX live_rooms_org ON live_rooms (org_id);

CREATE TABLE room_operators (
    room_id   INTEGER NOT NULL REFERENCES live_rooms (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    PRIMARY KEY (room_id, person_id)
);
CREATE INDEX room_operators_person ON room_operators (person_id);

CREATE TABLE analytics_imports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    platform    TEXT NOT NULL,
    provenance  TEXT NOT NULL,
    filename    TEXT NOT NULL,
    rows_total  INTEGER NOT NULL,
    rows_new    INTEGER NOT NULL,
    user_id     INTEGER,
    imported_at INTEGER NOT NULL
);

CREATE TABLE live_sessions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id             INTEGER NOT NULL REFERENCES live_rooms (id),
    platform            TEXT NOT NULL,
    platform_session_id TEXT NOT NULL,
    provenance          TEXT NOT NULL,
    import_id           INTEGER NOT NULL REFERENCES analytics_imports (id),
    started_at          INTEGER NOT NULL,
    day                 INTEGER NOT NULL,
    duration_s          INTEGER NOT NULL,
    views               INTEGER NOT NULL,
    viewers             INTEGER NOT NULL,
    peak_online         INTEGER NOT NULL,
    watch_s             INTEGER NOT NULL,
    comment_users       INTEGER NOT NULL,
    likes               INTEGER NOT NULL,
    new_followers       INTEGER NOT NULL,
    exposure_users      INTEGER NOT NULL,
    click_users         INTEGER NOT NULL,
    buyers              INTEGER NOT NULL,
    orders              INTEGER NOT NULL,
    gmv_fen             INTEGER NOT NULL,
    refund_fen          INTEGER NOT NULL,
    ad_spend_fen        INTEGER NOT NULL,
    UNIQUE (platform, platform_session_id)
);
CREATE INDEX live_sessions_room ON live_sessions (room_id, started_at);

-- Per room per day (Beijing), per provenance; `epoch_day` is the same day
-- counted from 1970-01-01, so that weeks can be grouped in SQL.
CREATE TABLE room_days (
    room_id        INTEGER NOT NULL REFERENCES live_rooms (id),
    day            INTEGER NOT NULL,
    epoch_day      INTEGER NOT NULL,
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
    PRIMARY KEY (room_id, day, provenance)
);

-- Per region (the room's) × industry × platform × month, per provenance;
-- `rooms` counts the rooms that went live in that month and cell.
CREATE TABLE region_months (
    region         INTEGER NOT NULL,
    industry       TEXT NOT NULL,
    platform       TEXT NOT NULL,
    month          INTEGER NOT NULL,
    provenance     TEXT NOT NULL,
    rooms          INTEGER NOT NULL,
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
    PRIMARY KEY (region, industry, platform, month, provenance)
);

-- Per room per month, per provenance: peer benchmarks over months, and
-- whether a room already counts among a month's live rooms.
CREATE TABLE room_months (
    room_id        INTEGER NOT NULL REFERENCES live_rooms (id),
    month          INTEGER NOT NULL,
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
    PRIMARY KEY (room_id, month, provenance)
);
CREATE INDEX room_months_month ON room_months (month, provenance);
