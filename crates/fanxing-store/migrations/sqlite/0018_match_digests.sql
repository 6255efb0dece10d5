-- A digest of each stored evaluation (verdict, score, factors and rule
-- trace), so that evaluating again writes only the results that changed;
-- and the ruleset version at which every open need was last evaluated
-- against an offer, so that results left unchanged by a rule change are
-- known to hold under the new version, and an evaluation that did not
-- finish is found and run again.

ALTER TABLE match_results ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE match_offers ADD COLUMN evaluated_version INTEGER NOT NULL DEFAULT 0;
