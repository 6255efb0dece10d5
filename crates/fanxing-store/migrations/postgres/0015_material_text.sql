-- What the knowledge library made of each uploaded course material: the
-- document holding its text, or why no text could be extracted (a message
-- key shown to those who may edit the course).
CREATE TABLE knowledge_material_text (
    material_id BIGINT PRIMARY KEY REFERENCES materials (id),
    document_id BIGINT REFERENCES knowledge_documents (id),
    error       TEXT,
    at          BIGINT NOT NULL
);
