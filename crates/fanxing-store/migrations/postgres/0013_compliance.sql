-- The compliance checker's counts: how many texts were checked and what
-- they tripped, per day (Beijing), region, kind and category. The texts
-- themselves are never stored. The row with category '' holds all checks
-- (`texts`) and those with any finding (`findings`); a category's row holds
-- the texts with a finding of it (`texts`) and its findings (`findings`).
CREATE TABLE compliance_tally (
    day      BIGINT NOT NULL,
    region   INTEGER NOT NULL REFERENCES regions (code),
    kind     TEXT NOT NULL,
    category TEXT NOT NULL,
    texts    BIGINT NOT NULL,
    findings BIGINT NOT NULL,
    PRIMARY KEY (day, region, kind, category)
);
