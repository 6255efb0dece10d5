-- The office that owns a course: the region of the office that created it.
-- Offices add materials only to courses of their own region subtree; a
-- course without an owner (those created before) belongs to the programme
-- office.
ALTER TABLE courses ADD COLUMN owner_region BIGINT REFERENCES regions (code);
