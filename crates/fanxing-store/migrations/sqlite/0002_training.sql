-- Training operations: programmes and cascaded targets, curriculum,
-- sessions with venues, registrations, check-ins, online presence and
-- attendances (person-times).

CREATE TABLE programmes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    starts_on  TEXT NOT NULL,
    ends_on    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- tier '' is the all-tier target.
CREATE TABLE programme_targets (
    programme_id INTEGER NOT NULL REFERENCES programmes (id),
    region       INTEGER NOT NULL REFERENCES regions (code),
    tier         TEXT NOT NULL,
    sessions     INTEGER NOT NULL,
    attendances  INTEGER NOT NULL,
    PRIMARY KEY (programme_id, region, tier)
);

CREATE TABLE competencies (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    code     TEXT NOT NULL UNIQUE,
    name_zh  TEXT NOT NULL,
    name_en  TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE courses (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    title            TEXT NOT NULL,
    summary          TEXT NOT NULL,
    tiers            TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    lecturer_user_id INTEGER REFERENCES users (id),
    created_at       INTEGER NOT NULL
);

CREATE TABLE course_competencies (
    course_id     INTEGER NOT NULL REFERENCES courses (id),
    competency_id INTEGER NOT NULL REFERENCES competencies (id),
    PRIMARY KEY (course_id, competency_id)
);

CREATE TABLE training_sessions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    programme_id     INTEGER NOT NULL REFERENCES programmes (id),
    course_id        INTEGER REFERENCES courses (id),
    title            TEXT NOT NULL,
    region           INTEGER NOT NULL REFERENCES regions (code),
    count_region     INTEGER NOT NULL REFERENCES regions (code),
    tier             TEXT,
    eligible_tiers   TEXT NOT NULL,
    eligible_region  INTEGER,
    starts_at        INTEGER NOT NULL,
    ends_at          INTEGER NOT NULL,
    reg_opens_at     INTEGER NOT NULL,
    reg_closes_at    INTEGER NOT NULL,
    online_min_share INTEGER NOT NULL,
    status           TEXT NOT NULL,
    signing_key      BLOB NOT NULL,
    public_key       TEXT NOT NULL,
    notice           TEXT,
    created_at       INTEGER NOT NULL,
    closed_at        INTEGER
);
CREATE INDEX training_sessions_count_region ON training_sessions (programme_id, count_region);
CREATE INDEX training_sessions_starts ON training_sessions (starts_at);

CREATE TABLE venues (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES training_sessions (id),
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    address    TEXT NOT NULL,
    region     INTEGER NOT NULL REFERENCES regions (code),
    capacity   INTEGER NOT NULL,
    stream_url TEXT
);
CREATE INDEX venues_session ON venues (session_id);

CREATE TABLE venue_staff (
    venue_id INTEGER NOT NULL REFERENCES venues (id),
    user_id  INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (venue_id, user_id)
);
CREATE INDEX venue_staff_user ON venue_staff (user_id);

CREATE TABLE registrations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id   INTEGER NOT NULL REFERENCES training_sessions (id),
    person_id    INTEGER NOT NULL REFERENCES people (id),
    venue_id     INTEGER NOT NULL REFERENCES venues (id),
    status       TEXT NOT NULL,
    waitlist_pos INTEGER,
    created_at   INTEGER NOT NULL,
    promoted_at  INTEGER,
    cancelled_at INTEGER,
    UNIQUE (session_id, person_id)
);
CREATE INDEX registrations_venue ON registrations (venue_id, status);
CREATE INDEX registrations_person ON registrations (person_id);

-- Every scan as it arrived, so that each attendance traces back to raw events.
CREATE TABLE checkins (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_id         TEXT NOT NULL UNIQUE,
    session_id      INTEGER NOT NULL REFERENCES training_sessions (id),
    registration_id INTEGER NOT NULL REFERENCES registrations (id),
    venue_id        INTEGER NOT NULL REFERENCES venues (id),
    device_id       TEXT NOT NULL,
    method          TEXT NOT NULL,
    scanned_at      INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    outcome         TEXT NOT NULL
);
CREATE INDEX checkins_registration ON checkins (registration_id);

-- One row per registration per minute the watch page was open.
CREATE TABLE presence (
    registration_id INTEGER NOT NULL REFERENCES registrations (id),
    minute          INTEGER NOT NULL,
    PRIMARY KEY (registration_id, minute)
);

-- The person-time: at most one per person per session.
CREATE TABLE attendances (
    session_id      INTEGER NOT NULL REFERENCES training_sessions (id),
    person_id       INTEGER NOT NULL REFERENCES people (id),
    registration_id INTEGER NOT NULL REFERENCES registrations (id),
    venue_id        INTEGER NOT NULL REFERENCES venues (id),
    mode            TEXT NOT NULL,
    tier            TEXT NOT NULL,
    region          INTEGER NOT NULL,
    programme_id    INTEGER NOT NULL,
    recorded_at     INTEGER NOT NULL,
    online_minutes  INTEGER,
    PRIMARY KEY (session_id, person_id)
);
CREATE INDEX attendances_rollup ON attendances (programme_id, region, tier);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id  INTEGER NOT NULL REFERENCES people (id),
    message    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX notifications_person ON notifications (person_id);
