-- The knowledge library: cases, course materials, policies and questions
-- with answers. Lists (tiers, competencies, tags) are JSON arrays and
-- kind-specific facts a JSON object: they are shown and searched, never
-- joined on. Every change appends to knowledge_changes, the log each
-- server's search index catches up from.
CREATE TABLE knowledge_documents (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL,
    body          TEXT NOT NULL,
    industry      TEXT,
    region        INTEGER NOT NULL REFERENCES regions (code),
    tiers         TEXT NOT NULL,
    competencies  TEXT NOT NULL,
    tags          TEXT NOT NULL,
    visibility    TEXT NOT NULL,
    status        TEXT NOT NULL,
    example       BIGINT NOT NULL,
    details       TEXT NOT NULL,
    owner_org_id  BIGINT REFERENCES organisations (id),
    created_by    BIGINT REFERENCES users (id),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    published_at  BIGINT
);
CREATE INDEX knowledge_documents_region ON knowledge_documents (region, updated_at);

CREATE TABLE knowledge_changes (
    seq         BIGSERIAL PRIMARY KEY,
    document_id BIGINT NOT NULL REFERENCES knowledge_documents (id),
    at          BIGINT NOT NULL
);
