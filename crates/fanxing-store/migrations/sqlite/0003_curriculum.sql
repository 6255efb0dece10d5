-- Curriculum: a track per tier, the competency framework (seeded, editable),
-- course materials.

CREATE TABLE tracks (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    tier              TEXT NOT NULL UNIQUE,
    name_zh           TEXT NOT NULL,
    name_en           TEXT NOT NULL,
    description       TEXT NOT NULL,
    required_sessions INTEGER NOT NULL
);

INSERT INTO tracks (tier, name_zh, name_en, description, required_sessions) VALUES
    ('cadre', '领导干部研修班', 'Cadres'' course', '趋势研判、政策设计与县域直播经济', 2),
    ('company_head', '企业负责人提升班', 'Company heads'' course', '战略转型、品牌建设与供应链', 3),
    ('operator', '运营人员实训营', 'Operators'' bootcamp', '直播实操、平台规则、内容与数据', 4);

INSERT INTO competencies (code, name_zh, name_en, position) VALUES
    ('trend_policy', '趋势与政策', 'Trends and policy', 1),
    ('strategy_brand', '战略与品牌', 'Strategy and brand', 2),
    ('product_selection', '选品与供应链', 'Product selection and supply chain', 3),
    ('content_planning', '内容策划', 'Content planning', 4),
    ('live_operation', '直播间运营与平台规则', 'Live-room operation and platform rules', 5),
    ('data_analysis', '数据分析', 'Data analysis', 6),
    ('domain_linkage', '公私域联动', 'Public/private-domain linkage', 7),
    ('compliance', '合规经营', 'Compliance', 8),
    ('ai_tools', 'AI 工具', 'AI tools', 9),
    ('cross_border', '跨境电商', 'Cross-border', 10);

CREATE TABLE materials (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id    INTEGER NOT NULL REFERENCES courses (id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    data         BLOB NOT NULL,
    uploaded_by  INTEGER,
    uploaded_at  INTEGER NOT NULL
);
CREATE INDEX materials_course ON materials (course_id);
