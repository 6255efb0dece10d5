-- The issuing authority printed on a programme's certificates (发证单位),
-- set by the programme office. Programmes that existed before keep what
-- their certificates said: the programme's name.
ALTER TABLE programmes ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
UPDATE programmes SET issuer = name;
