-- Attendances per programme, region, tier and (UTC) day, kept by a trigger
-- so that progress and the burn-up read a few thousand rows instead of
-- every attendance. Attendances are never updated or deleted.

CREATE TABLE attendance_days (
    programme_id INTEGER NOT NULL,
    region       INTEGER NOT NULL,
    tier         TEXT NOT NULL,
    day          INTEGER NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (programme_id, region, tier, day)
);

INSERT INTO attendance_days (programme_id, region, tier, day, n)
SELECT programme_id, region, tier, recorded_at / 86400, COUNT(*)
FROM attendances GROUP BY programme_id, region, tier, recorded_at / 86400;

CREATE TRIGGER attendances_count AFTER INSERT ON attendances
BEGIN
    INSERT INTO attendance_days (programme_id, region, tier, day, n)
    VALUES (NEW.programme_id, NEW.region, NEW.tier, NEW.recorded_at / 86400, 1)
    ON CONFLICT (programme_id, region, tier, day) DO UPDATE SET n = n + 1;
END;

-- A venue's attended count (session pages, the monitor, walk-ins).
CREATE INDEX attendances_venue ON attendances (venue_id);
