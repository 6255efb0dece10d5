-- Resource matching (政银企资源对接): partners and their offers with
-- eligibility rules kept as data, enterprises' dated facts, needs with
-- consent, the evaluated matches with their trace, and applications with
-- every move they made.

-- An organisation that makes offers, and the area it serves.
CREATE TABLE match_partners (
    org_id        INTEGER PRIMARY KEY REFERENCES organisations (id),
    kind          TEXT NOT NULL,
    serves_region INTEGER NOT NULL REFERENCES regions (code),
    created_at    INTEGER NOT NULL
);

CREATE TABLE match_offers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_org_id  INTEGER NOT NULL REFERENCES match_partners (org_id),
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    amount_min_fen  INTEGER,
    amount_max_fen  INTEGER,
    term_months     INTEGER,
    rate_min_bp     INTEGER,
    rate_max_bp     INTEGER,
    price_fen       INTEGER,
    materials       TEXT NOT NULL DEFAULT '',
    decision_days   INTEGER NOT NULL,
    quota           INTEGER,
    valid_from      INTEGER NOT NULL,
    valid_until     INTEGER NOT NULL,
    policy_basis    TEXT NOT NULL DEFAULT '',
    -- Comma-separated stages the offer is made for ('' = every stage).
    stages          TEXT NOT NULL DEFAULT '',
    -- Grows with every change of the rules; matches name the version.
    ruleset_version INTEGER NOT NULL DEFAULT 1,
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX match_offers_partner ON match_offers (partner_org_id);

CREATE TABLE match_rules (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    offer_id     INTEGER NOT NULL REFERENCES match_offers (id),
    position     INTEGER NOT NULL,
    field        TEXT NOT NULL,
    op           TEXT NOT NULL,
    value        TEXT NOT NULL,
    hard         INTEGER NOT NULL,
    message_zh   TEXT NOT NULL,
    message_en   TEXT NOT NULL,
    citation     TEXT NOT NULL DEFAULT '',
    max_age_days INTEGER
);
CREATE INDEX match_rules_offer ON match_rules (offer_id, position);

-- What is known of an enterprise: a number or a text, for a period, from a
-- source, as of a time.
CREATE TABLE enterprise_facts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES organisations (id),
    metric      TEXT NOT NULL,
    value_num   INTEGER,
    value_text  TEXT,
    period      TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users (id),
    as_of       INTEGER NOT NULL
);
CREATE INDEX enterprise_facts_org ON enterprise_facts (org_id, metric);

CREATE TABLE match_needs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER NOT NULL REFERENCES organisations (id),
    kind          TEXT NOT NULL,
    amount_fen    INTEGER,
    purpose       TEXT NOT NULL,
    -- Comma-separated metrics the enterprise lets matched partners see.
    consent_facts TEXT NOT NULL DEFAULT '',
    consent_until INTEGER NOT NULL,
    open          INTEGER NOT NULL DEFAULT 1,
    created_by    INTEGER REFERENCES users (id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX match_needs_org ON match_needs (org_id);

-- The latest evaluation of an offer for a need, with its explanation.
CREATE TABLE match_results (
    need_id         INTEGER NOT NULL REFERENCES match_needs (id),
    offer_id        INTEGER NOT NULL REFERENCES match_offers (id),
    eligibility     TEXT NOT NULL,
    -- The score times ten (one decimal kept exactly).
    score_tenths    INTEGER NOT NULL,
    factors         TEXT NOT NULL,
    trace           TEXT NOT NULL,
    ruleset_version INTEGER NOT NULL,
    evaluated_at    INTEGER NOT NULL,
    PRIMARY KEY (need_id, offer_id)
);
CREATE INDEX match_results_offer ON match_results (offer_id);

CREATE TABLE match_applications (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    need_id              INTEGER NOT NULL REFERENCES match_needs (id),
    offer_id             INTEGER NOT NULL REFERENCES match_offers (id),
    org_id               INTEGER NOT NULL REFERENCES organisations (id),
    region               INTEGER NOT NULL REFERENCES regions (code),
    state                TEXT NOT NULL,
    active               INTEGER NOT NULL DEFAULT 1,
    amount_requested_fen INTEGER,
    amount_approved_fen  INTEGER,
    amount_disbursed_fen INTEGER,
    first_time_borrower  INTEGER NOT NULL DEFAULT 0,
    due_at               INTEGER,
    created_at           INTEGER NOT NULL,
    decided_at           INTEGER,
    updated_at           INTEGER NOT NULL
);
-- One active application per enterprise and offer.
CREATE UNIQUE INDEX match_applications_one_active
    ON match_applications (org_id, offer_id) WHERE active = 1;
CREATE INDEX match_applications_offer ON match_applications (offer_id, state);
CREATE INDEX match_applications_region ON match_applications (region);

CREATE TABLE match_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES match_applications (id),
    from_state     TEXT,
    to_state       TEXT NOT NULL,
    action         TEXT NOT NULL,
    actor_user     INTEGER REFERENCES users (id),
    comment        TEXT NOT NULL DEFAULT '',
    at             INTEGER NOT NULL
);
CREATE INDEX match_events_application ON match_events (application_id, id);
