-- A keyed hash of each person's ID number (the number itself stays
-- encrypted), so that an import can find the person an ID number belongs to
-- without decrypting every row. Filled by the application for existing rows
-- at start-up; not unique, since data from before may hold one number twice.
ALTER TABLE people ADD COLUMN id_number_key TEXT;
CREATE INDEX people_id_number_key ON people (id_number_key);
