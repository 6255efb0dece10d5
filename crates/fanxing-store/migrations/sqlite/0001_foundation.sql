-- Foundation: regions, organisations, people, accounts, sessions, audit.
-- Integers are 64-bit everywhere; times are Unix seconds.

CREATE TABLE regions (
    code    INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    level   TEXT NOT NULL CHECK (level IN ('province', 'city', 'county', 'zone')),
    parent  INTEGER REFERENCES regions (code)
);
CREATE INDEX regions_parent ON regions (parent);

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    industry    TEXT,
    sales_band  TEXT,
    credit_code TEXT,
    region      INTEGER NOT NULL REFERENCES regions (code),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX organisations_region ON organisations (region);

CREATE TABLE people (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL,
    mobile           TEXT NOT NULL UNIQUE,
    id_number_enc    BLOB,
    id_number_masked TEXT,
    tier             TEXT NOT NULL,
    org_id           INTEGER REFERENCES organisations (id),
    region           INTEGER NOT NULL REFERENCES regions (code),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX people_region ON people (region);
CREATE INDEX people_org ON people (org_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    region        INTEGER REFERENCES regions (code),
    person_id     INTEGER REFERENCES people (id),
    org_id        INTEGER REFERENCES organisations (id),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX users_person ON users (person_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    label      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE login_failures (
    id  INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    user_id INTEGER,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
