-- Accounts and log-in: API tokens get an id, an expiry and a revocation
-- time; known devices (a cookie set after a successful log-in, stored
-- hashed per user); log-in attempts counted per account and address,
-- replacing login_failures.

CREATE TABLE api_tokens_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    label      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
-- Tokens issued before expiry existed get 90 days from now.
INSERT INTO api_tokens_new (token_hash, user_id, label, created_at, expires_at)
    SELECT token_hash, user_id, label, created_at,
           CAST(strftime('%s', 'now') AS INTEGER) + 7776000
    FROM api_tokens ORDER BY created_at;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE known_devices (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);
CREATE INDEX known_devices_user ON known_devices (user_id);

-- One row per log-in attempt being checked (state 0) or failed (state 1).
-- A refused or successful attempt leaves no row.
CREATE TABLE login_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_key TEXT NOT NULL,
    user_id     INTEGER,
    addr        TEXT NOT NULL,
    at          INTEGER NOT NULL,
    state       INTEGER NOT NULL
);
CREATE INDEX login_attempts_pair ON login_attempts (account_key, addr, at);
CREATE INDEX login_attempts_addr ON login_attempts (addr, at);
CREATE INDEX login_attempts_user ON login_attempts (user_id, at);

DROP TABLE login_failures;

CREATE INDEX sessions_user ON sessions (user_id);
