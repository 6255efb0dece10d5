-- The public-holiday arrangement of a year as the province office enters
-- it from the State Council's notice (holidays and the weekends worked in
-- their place), as JSON; it replaces the built-in list for that year.
-- Partners' decision deadlines are counted in working days on it.

CREATE TABLE holiday_years (
    year        INTEGER PRIMARY KEY,
    arrangement TEXT NOT NULL,
    updated_by  INTEGER REFERENCES users (id),
    updated_at  INTEGER NOT NULL
);
