-- Certificates: issued when a trainee completes a track; revocable.

CREATE TABLE certificates (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    number        TEXT NOT NULL UNIQUE,
    person_id     INTEGER NOT NULL REFERENCES people (id),
    track_id      INTEGER NOT NULL REFERENCES tracks (id),
    programme_id  INTEGER NOT NULL REFERENCES programmes (id),
    issued_at     INTEGER NOT NULL,
    revoked_at    INTEGER,
    revoke_reason TEXT,
    UNIQUE (person_id, track_id, programme_id)
);
