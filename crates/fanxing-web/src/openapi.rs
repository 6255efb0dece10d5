//! The OpenAPI 3.1 description of `/api/v1`, served at
//! `/api/v1/openapi.json`. A test checks it lists every API route.

use axum::Json;
use serde_json::{json, Value};

pub(crate) fn op(summary: &str, tag: &str, params: Value, body: Option<&str>, ok: &str) -> Value {
    let mut o = json!({
        "summary": summary,
        "tags": [tag],
        "parameters": params,
        "responses": {
            ok: {"description": "OK", "content": {"application/json": {}}},
            "400": {"$ref": "#/components/responses/Error"},
            "401": {"$ref": "#/components/responses/Error"},
            "403": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
        }
    });
    if let Some(schema) = body {
        o["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
        });
        o["responses"]["409"] = json!({"$ref": "#/components/responses/Error"});
        o["responses"]["422"] = json!({"$ref": "#/components/responses/Error"});
    }
    o
}

pub(crate) fn q(name: &str, desc: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": "string"}})
}

fn id() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}})
}

/// Builds the document.
pub fn spec() -> Value {
    let mut doc = base_spec();
    accounts_spec(&mut doc);
    crate::compliance::openapi(&mut doc);
    crate::knowledge::openapi(&mut doc);
    crate::paths::openapi(&mut doc);
    doc
}

/// Account control (kept apart from the big literal below).
fn accounts_spec(doc: &mut Value) {
    doc["paths"]["/api/v1/me/password"] = json!({"post": op(
        "Change the caller's password (needs the current one; every session and known device of the account is ended). Throttled like log-ins",
        "accounts", json!([]), Some("PasswordChange"), "200")});
    doc["components"]["schemas"]["PasswordChange"] = json!({"type": "object",
        "required": ["current_password", "new_password"], "properties": {
        "current_password": {"type": "string"},
        "new_password": {"type": "string", "minLength": fanxing_core::security::PASSWORD_MIN}}});
}

fn base_spec() -> Value {
    let list = json!([
        q("q", "name, or digits of a mobile number"),
        q(
            "region",
            "GB/T 2260 code; the region and everything under it"
        ),
        q("page", "1-based page"),
        q("per_page", "rows per page (max 200)")
    ]);
    let mut people_params = list.clone();
    if let Some(a) = people_params.as_array_mut() {
        a.push(q("tier", "cadre | company_head | operator"));
        a.push(q("org", "organisation id"));
    }
    let mut org_params = list;
    if let Some(a) = org_params.as_array_mut() {
        a.push(q("kind", "government | enterprise | bank | platform | service_provider | training_provider | live_base"));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Fanxing API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every call is scoped to the caller's role and region. Errors are {\"error\":{\"code\",\"message\",\"fields\"}} with the message in the caller's language (cookie fx_lang or Accept-Language)."
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/openapi.json": {"get": {"summary": "This document", "tags": ["meta"], "security": [], "responses": {"200": {"description": "OK"}}}},
            "/api/v1/me": {"get": op("The calling account", "accounts", json!([]), None, "200")},
            "/api/v1/regions": {"get": op("Regions (GB/T 2260)", "regions", json!([q("level", "province | city | county | zone"), q("parent", "parent code")]), None, "200")},
            "/api/v1/regions/{code}": {"get": op("One region", "regions", json!([{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}]), None, "200")},
            "/api/v1/overview": {"get": op("People and organisations per child region of the caller's region", "regions", json!([]), None, "200")},
            "/api/v1/people": {
                "get": op("People in scope (mobile numbers masked)", "people", people_params, None, "200"),
                "post": op("Create a person", "people", json!([]), Some("PersonInput"), "201")
            },
            "/api/v1/people/{id}": {
                "get": op("One person (masked; the read is audited for offices)", "people", json!([id()]), None, "200"),
                "put": op("Update a person", "people", json!([id()]), Some("PersonInput"), "200")
            },
            "/api/v1/people/{id}/reveal": {"post": op("Full mobile and ID number (offices only; audited; cookie callers send X-CSRF-Token)", "people", json!([id()]), None, "200")},
            "/api/v1/organisations": {
                "get": op("Organisations in scope", "organisations", org_params, None, "200"),
                "post": op("Create an organisation", "organisations", json!([]), Some("OrgInput"), "201")
            },
            "/api/v1/organisations/{id}": {
                "get": op("One organisation", "organisations", json!([id()]), None, "200"),
                "put": op("Update an organisation", "organisations", json!([id()]), Some("OrgInput"), "200")
            },
            "/api/v1/audit": {"get": op("Latest audit log entries (programme office)", "audit", json!([q("limit", "max 1000")]), None, "200")},
            "/api/v1/programmes": {
                "get": op("Programmes", "programmes", json!([]), None, "200"),
                "post": op("Create a programme (programme office)", "programmes", json!([]), Some("ProgrammeInput"), "201")
            },
            "/api/v1/programmes/{id}/progress": {"get": op("Targets and actuals (sessions held, attendances) for a region and each child region, per tier, with allocation gaps", "programmes", json!([id(), q("region", "region code; default the caller's")]), None, "200")},
            "/api/v1/programmes/{id}/targets": {"put": op("Set targets: the programme office for any region, a city or county office for the regions below it", "programmes", json!([id()]), Some("Targets"), "200")},
            "/api/v1/sessions": {
                "get": op("Sessions: offices see their regions' sessions; others the published ones still to come", "sessions", json!([q("region", "region code"), q("page", "1-based page")]), None, "200"),
                "post": op("Create a session with its venues (times in Beijing time, YYYY-MM-DD HH:MM)", "sessions", json!([]), Some("SessionInput"), "201")
            },
            "/api/v1/sessions/{id}": {"get": op("A session with each venue's registered, waitlisted and attended counts", "sessions", json!([id()]), None, "200")},
            "/api/v1/sessions/{id}/status": {"post": op("Publish, start, close (finalises online attendance) or cancel (notifies registrants)", "sessions", json!([id()]), Some("StatusInput"), "200")},
            "/api/v1/sessions/{id}/roster": {
                "get": op("Registrations with attendance (mobiles masked; audited)", "sessions", json!([id()]), None, "200"),
                "post": {
                "summary": "Import a roster (.xlsx or .csv as the request body; ?filename= gives its type). All or nothing: a 422 lists every problem by row and column.",
                "tags": ["registrations"],
                "parameters": [id(), q("filename", "e.g. roster.xlsx")],
                "requestBody": {"required": true, "content": {"application/octet-stream": {}}},
                "responses": {"200": {"description": "Counts of people created, matched, registered, waitlisted"}, "422": {"$ref": "#/components/responses/Error"}}
            }
            },
            "/api/v1/sessions/{id}/registrations": {"post": op("Register yourself (no person_id) or, as an office, a person in scope; joins the venue's waitlist when full", "registrations", json!([id()]), Some("RegisterInput"), "201")},
            "/api/v1/sessions/{id}/heartbeat": {"post": op("Online presence: call every 30 s while watching", "registrations", json!([id()]), None, "200")},
            "/api/v1/registrations/{id}/cancel": {"post": op("Cancel; the first on the waitlist is promoted", "registrations", json!([id()]), None, "200")},
            "/api/v1/registrations/{id}/ticket": {"get": op("The signed QR ticket (code and SVG)", "registrations", json!([id()]), None, "200")},
            "/api/v1/me/registrations": {"get": op("The caller's registrations", "registrations", json!([]), None, "200")},
            "/api/v1/venues/{id}/checkin-kit": {"get": op("What a check-in device needs offline: session, venues, public key, roster (audited)", "check-in", json!([id()]), None, "200")},
            "/api/v1/venues/{id}/scans": {"post": op("Submit scans (idempotent per scan_id); each gets accepted, duplicate or refused with a reason", "check-in", json!([id()]), Some("Scans"), "200")},
            "/api/v1/sessions/{id}/live": {"get": op("Live figures for the hall's screen: attendances, online viewers now, each venue's count against capacity", "sessions", json!([id()]), None, "200")},
            "/api/v1/tracks": {"get": op("The training tracks (one per tier) and their completion rule", "curriculum", json!([]), None, "200")},
            "/api/v1/competencies": {
                "get": op("The competency framework", "curriculum", json!([]), None, "200"),
                "post": op("Add a competency (programme office)", "curriculum", json!([]), Some("CompetencyInput"), "201")
            },
            "/api/v1/competencies/{id}": {"put": op("Rename a competency (programme office)", "curriculum", json!([id()]), Some("CompetencyInput"), "200")},
            "/api/v1/courses": {
                "get": op("Courses, with their tiers and competencies", "curriculum", json!([q("tier", "cadre | company_head | operator")]), None, "200"),
                "post": op("Create a course (offices)", "curriculum", json!([]), Some("CourseInput"), "201")
            },
            "/api/v1/courses/{id}": {"get": op("A course and its materials", "curriculum", json!([id()]), None, "200")},
            "/api/v1/courses/{id}/materials": {"post": {
                "summary": "Upload a material (PDF, PPTX, DOCX, XLSX, PNG, JPEG, MP4; 20 MB at most; checked by content) as the request body; ?filename= names it",
                "tags": ["curriculum"],
                "parameters": [id(), q("filename", "e.g. 讲义.pdf")],
                "requestBody": {"required": true, "content": {"application/octet-stream": {}}},
                "responses": {"201": {"description": "Stored"}, "403": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}
            }},
            "/api/v1/venues/{id}/walk-ins": {"post": op("Register and check in a walk-in while seats remain", "check-in", json!([id()]), Some("WalkIn"), "200")},
            "/api/v1/rooms": {
                "get": op("Live rooms: an office's region, or the rooms a trainee runs", "analytics", json!([q("page", "1-based page")]), None, "200"),
                "post": op("Create a live room in the caller's region (offices)", "analytics", json!([]), Some("RoomInput"), "201")
            },
            "/api/v1/rooms/{id}": {"get": op("A live room with its operators", "analytics", json!([id()]), None, "200")},
            "/api/v1/rooms/{id}/kpis": {"get": op("A room's summed counts and every KPI (ratios of sums; formulas in docs/analytics.md)", "analytics", json!([id(), q("from", "YYYY-MM-DD"), q("to", "YYYY-MM-DD"), q("provenance", "official (default) | estimate | manual")]), None, "200")},
            "/api/v1/rooms/{id}/operators": {"put": op("Replaces a room's operators (offices over its region): people by id (`operators`) and by mobile number (`operator_mobiles`), each in the office's region; impact estimates are computed afresh", "analytics", json!([id()]), Some("OperatorsInput"), "200")},
            "/api/v1/rooms/{id}/diagnosis": {"get": op("A room's KPIs against its peers (percentile, median, excellent value; industry × size × city, falling back to wider groups) and plain-language findings naming the competency to work on", "analytics", json!([id(), q("from", "YYYY-MM"), q("to", "YYYY-MM"), q("provenance", "official (default) | estimate | manual")]), None, "200")},
            "/api/v1/rooms/{id}/sessions": {"post": {
                "summary": "Import the room's per-session export (.xlsx or .csv as the request body). All or nothing; sessions imported before are unchanged; a 422 lists every problem by row and column.",
                "tags": ["analytics"],
                "parameters": [id(), q("platform", "douyin | taobao | channels | kuaishou | other"), q("provenance", "official (default) | estimate | manual"), q("filename", "e.g. 直播数据.xlsx")],
                "requestBody": {"required": true, "content": {"application/octet-stream": {}}},
                "responses": {"200": {"description": "Rows in the file and how many were new"}, "422": {"$ref": "#/components/responses/Error"}}
            }},
            "/api/v1/live-sessions": {"post": {
                "summary": "Import a multi-room export: each row's account column names its room (which must exist and be the caller's). All or nothing.",
                "tags": ["analytics"],
                "parameters": [q("platform", "douyin | taobao | channels | kuaishou | other"), q("provenance", "official (default) | estimate | manual"), q("filename", "e.g. 直播数据.csv")],
                "requestBody": {"required": true, "content": {"application/octet-stream": {}}},
                "responses": {"200": {"description": "Rows in the file and how many were new"}, "422": {"$ref": "#/components/responses/Error"}}
            }},
            "/api/v1/live-impact": {"get": op("Did training work? Trained rooms (cohorts by week of first attendance) against matched untrained rooms of the same industry and city: difference-in-differences by cohort and event week (Callaway & Sant'Anna), matched on the base-period level; event-study curve; the effect over weeks 1–12 after training with its interval (standard error: the larger of a bootstrap over trained and control rooms and the placebo spread; 95% for log_gmv, 98.3% (5%/3, Bonferroni) for the other outcomes); `placebo` {runs, mean, spread}: the same estimator with the training weeks given to untrained rooms, what chance alone produces; `pretrend_p`: the joint pre-trend test; the naive before/after for comparison; and a verdict (positive or negative only when the interval excludes zero and the pre-trend test passes)", "analytics", json!([q("region", "region code; default the caller's"), q("outcome", "log_gmv (default) | gpm | view_to_order | sessions")]), None, "200")},
            "/api/v1/match/partners": {"post": op("Make an organisation in the office's region a partner that makes offers (offices)", "matching", json!([]), Some("PartnerInput"), "201")},
            "/api/v1/match/offers": {
                "get": op("Offers: a partner's own, active or not; for everyone else the active offers of every partner", "matching", json!([]), None, "200"),
                "post": op("A partner's new offer with its eligibility rules (kept as data: field, op, value, hard or soft, a message in Chinese and English, a citation); every open need is evaluated again", "matching", json!([]), Some("OfferInput"), "201")},
            "/api/v1/match/offers/{id}": {"put": op("Replace a partner's offer and its rules; the ruleset version goes up and every open need is evaluated again", "matching", json!([id()]), Some("OfferInput"), "200")},
            "/api/v1/match/facts": {"post": op("Facts an enterprise declares about itself (or an office for it, audited): metric, value (number or text), period; its open needs are evaluated again", "matching", json!([]), Some("FactsInput"), "204")},
            "/api/v1/match/needs": {"post": op("State an enterprise's need (its own account, or an office for it, audited) with the facts it lets matched partners see and for how long; every active offer of the kind is evaluated", "matching", json!([]), Some("NeedInput"), "201")},
            "/api/v1/match/needs/{id}/matches": {"get": op("The offers for a need, ranked (eligible, then tentative, then not available) and explained: every rule with where it left the enterprise and its own message, the blocking rule, the facts to supply, the score's factors and the ruleset version. One page: offset (default 0) and limit (default 50, at most 500); the X-Total-Count header gives how many there are", "matching", json!([id(), q("offset", "matches to skip (default 0)"), q("limit", "matches to return: 1 to 500, default 50")]), None, "200")},
            "/api/v1/match/needs/{id}/applications": {"post": op("Apply to an offer for a need (not to one the rules rule out; one active application per enterprise and offer); the partner's deadline runs in working days", "matching", json!([id()]), Some("ApplyInput"), "201")},
            "/api/v1/match/applications": {"get": op("Applications the caller may see: a partner's to its offers, an enterprise's own, an office's in its region", "matching", json!([]), None, "200")},
            "/api/v1/match/applications/{id}/events": {"get": op("Every move of an application: from, to, action, who, when, comment", "matching", json!([id()]), None, "200")},
            "/api/v1/match/applications/{id}/actions": {"post": op("Move an application: the partner accepts, reviews, asks for more information (comment required), approves (amount), declines (comment required), disburses (amount, not above the approved), closes; the applicant supplies information or withdraws. Illegal moves are refused naming the state", "matching", json!([id()]), Some("ActInput"), "200")},
            "/api/v1/match/applications/{id}/facts": {
                "get": op("For the partner an application was made to: the facts the enterprise consented to share in its need (each metric's current value, source and date), while the consent lasts; nothing after it. Every read is audited", "matching", json!([id()]), None, "200"),
                "post": op("The partner verifies one shared fact (metric, value, period) after seeing the documents: stored as verified by the partner, taking precedence over the declared value; only a consented metric, while the consent lasts, for an open application. Audited; the enterprise's open needs are evaluated again", "matching", json!([id()]), Some("VerifyInput"), "201")},
            "/api/v1/holidays/{year}": {
                "get": op("A year's public holidays and the weekend days worked in their place, as partners' deadlines count them: the arrangement the programme office entered (source stored), else the built-in one (built_in), else none (Monday to Friday)", "matching", json!([{"name": "year", "in": "path", "required": true, "schema": {"type": "integer"}}]), None, "200"),
                "put": op("The programme office enters a year's arrangement from the State Council's notice (holidays: first, last as YYYY-MM-DD and name; worked_weekends: dates); it replaces the built-in one, is in force at once on this server and within a minute on others; refused by field and row; audited", "matching", json!([{"name": "year", "in": "path", "required": true, "schema": {"type": "integer"}}]), Some("Arrangement"), "200")},
            "/api/v1/match/rollup": {"get": op("The matching roll-up of a region in the office's scope: needs → matched → applications → accepted → approved → disbursed, amounts requested, approved and disbursed (fen), distinct enterprises served, the share of first-time borrowers among approvals, median and 90th-percentile days to a decision, and each partner's applications, approvals and deadline breaches", "matching", json!([q("region", "region code; default the caller's")]), None, "200")},
            "/api/v1/live-stats": {"get": op("Province statistics of live rooms for a region in scope: live rooms, sessions, views, GMV and every KPI, by city, industry, platform, month or city × month", "analytics", json!([q("region", "region code; default the caller's"), q("from", "YYYY-MM"), q("to", "YYYY-MM"), q("group", "city | industry | platform | month | city_month"), q("provenance", "official (default) | estimate | manual")]), None, "200")}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A token from `fanxing token create --user NAME`"}},
            "responses": {"Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}}},
                "PersonInput": {"type": "object", "required": ["name", "mobile", "tier", "region"], "properties": {
                    "name": {"type": "string", "maxLength": 50},
                    "mobile": {"type": "string", "description": "11 digits; spaces, dashes, +86 and full-width digits are accepted"},
                    "id_number": {"type": ["string", "null"], "description": "18-character resident ID number (GB 11643); stored encrypted"},
                    "tier": {"type": "string", "enum": ["cadre", "company_head", "operator"]},
                    "org_id": {"type": ["integer", "string", "null"]},
                    "region": {"type": "string", "description": "six-digit region code"}}},
                "PartnerInput": {"type": "object", "required": ["org_id", "kind", "serves_region"], "properties": {
                    "org_id": {"type": "integer"}, "kind": {"type": "string", "enum": ["bank", "platform", "base", "service", "gov_fund"]},
                    "serves_region": {"type": "string", "description": "six-digit region code the partner serves"}}},
                "OfferInput": {"type": "object", "required": ["kind", "title", "decision_days", "valid_from", "valid_until"], "properties": {
                    "kind": {"type": "string", "enum": ["loan", "traffic", "space", "service", "subsidy"]},
                    "title": {"type": "string", "maxLength": 80}, "description": {"type": "string"},
                    "amount_min_fen": {"type": ["integer", "null"], "minimum": 0}, "amount_max_fen": {"type": ["integer", "null"], "maximum": 1000000000000i64},
                    "term_months": {"type": ["integer", "null"]}, "rate_min_bp": {"type": ["integer", "null"]}, "rate_max_bp": {"type": ["integer", "null"], "maximum": 3600},
                    "price_fen": {"type": ["integer", "null"]}, "materials": {"type": "string"},
                    "decision_days": {"type": "integer", "minimum": 1, "maximum": 60, "description": "working days"},
                    "quota": {"type": ["integer", "null"]}, "valid_from": {"type": "integer"}, "valid_until": {"type": "integer"},
                    "policy_basis": {"type": "string"}, "stages": {"type": "array", "items": {"type": "string", "enum": ["s1", "s2", "s3"]}},
                    "rules": {"type": "array", "maxItems": 40, "items": {"type": "object", "required": ["field", "op", "value", "hard", "message_zh", "message_en"], "properties": {
                        "field": {"type": "string", "description": "a fact's metric, e.g. shop_age_months, sales_12m_fen, refund_rate_bp, region, stage"},
                        "op": {"type": "string", "enum": ["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "within"]},
                        "value": {"type": "string"}, "hard": {"type": "boolean"},
                        "message_zh": {"type": "string"}, "message_en": {"type": "string"}, "citation": {"type": "string"},
                        "max_age_days": {"type": ["integer", "null"]}}}}}},
                "FactsInput": {"type": "object", "required": ["org_id", "facts"], "properties": {
                    "org_id": {"type": "integer"}, "facts": {"type": "array", "maxItems": 100, "items": {"type": "object", "required": ["metric", "value"], "properties": {
                        "metric": {"type": "string"}, "value": {"type": ["integer", "string"]}, "period": {"type": "string"}}}}}},
                "Arrangement": {"type": "object", "required": ["holidays"], "properties": {
                    "holidays": {"type": "array", "maxItems": 20, "items": {"type": "object", "required": ["first", "last", "name"], "properties": {
                        "first": {"type": "string", "format": "date"}, "last": {"type": "string", "format": "date"}, "name": {"type": "string", "maxLength": 20}}}},
                    "worked_weekends": {"type": "array", "maxItems": 20, "items": {"type": "string", "format": "date"}}}},
                "VerifyInput": {"type": "object", "required": ["metric", "value"], "properties": {
                    "metric": {"type": "string"}, "value": {"type": ["integer", "string"]}, "period": {"type": "string", "maxLength": 40}}},
                "NeedInput": {"type": "object", "required": ["org_id", "kind", "purpose", "consent_days"], "properties": {
                    "org_id": {"type": "integer"}, "kind": {"type": "string", "enum": ["loan", "traffic", "space", "service", "subsidy"]},
                    "amount_fen": {"type": ["integer", "null"]}, "purpose": {"type": "string"},
                    "consent_facts": {"type": "array", "items": {"type": "string"}}, "consent_days": {"type": "integer", "minimum": 1, "maximum": 365}}},
                "ApplyInput": {"type": "object", "required": ["offer_id"], "properties": {
                    "offer_id": {"type": "integer"}, "amount_fen": {"type": ["integer", "null"]}}},
                "ActInput": {"type": "object", "required": ["action"], "properties": {
                    "action": {"type": "string", "enum": ["accept", "review", "ask_more", "supply", "approve", "decline", "disburse", "close", "withdraw"]},
                    "comment": {"type": ["string", "null"]}, "amount_fen": {"type": ["integer", "null"]}}},
                "OperatorsInput": {"type": "object", "properties": {
                    "operators": {"type": "array", "items": {"type": "integer"}, "description": "person ids"},
                    "operator_mobiles": {"type": "array", "items": {"type": "string"}, "description": "mobile numbers of registered people"}}},
                "ProgrammeInput": {"type": "object", "required": ["name", "starts_on", "ends_on"], "properties": {
                    "name": {"type": "string"}, "starts_on": {"type": "string", "format": "date"}, "ends_on": {"type": "string", "format": "date"}}},
                "Targets": {"type": "array", "items": {"type": "object", "required": ["region", "sessions", "attendances"], "properties": {
                    "region": {"type": "string"}, "tier": {"type": ["string", "null"], "description": "cadre | company_head | operator; absent for all tiers"},
                    "sessions": {"type": "integer", "minimum": 0}, "attendances": {"type": "integer", "minimum": 0}}}},
                "SessionInput": {"type": "object", "required": ["programme_id", "title", "region", "starts_at", "ends_at", "venues"], "properties": {
                    "programme_id": {"type": "integer"}, "course_id": {"type": ["integer", "null"]}, "title": {"type": "string"},
                    "region": {"type": "string", "description": "organising region"}, "tier": {"type": ["string", "null"]},
                    "eligible_tiers": {"type": "array", "items": {"type": "string"}}, "eligible_region": {"type": ["string", "null"]},
                    "starts_at": {"type": "string", "example": "2025-03-15 09:00"}, "ends_at": {"type": "string"},
                    "reg_opens_at": {"type": ["string", "null"]}, "reg_closes_at": {"type": ["string", "null"]},
                    "online_min_share": {"type": ["integer", "null"], "description": "percent of the session an online viewer must be present (default 60)"},
                    "publish": {"type": "boolean"},
                    "venues": {"type": "array", "items": {"type": "object", "properties": {
                        "kind": {"type": "string", "enum": ["main", "sub", "online"]}, "name": {"type": "string"}, "address": {"type": "string"},
                        "region": {"type": "string"}, "capacity": {"type": "integer"}, "stream_url": {"type": ["string", "null"]}}}}}},
                "RoomInput": {"type": "object", "required": ["platform", "account_id", "name", "industry", "size_tier", "region"], "properties": {
                    "platform": {"type": "string", "enum": ["douyin", "taobao", "channels", "kuaishou", "other"]},
                    "account_id": {"type": "string"}, "name": {"type": "string"}, "org_id": {"type": ["integer", "null"]},
                    "industry": {"type": "string"}, "size_tier": {"type": "string", "enum": ["head", "waist", "tail", "starter"]},
                    "region": {"type": "string"}, "operators": {"type": "array", "items": {"type": "integer"}, "description": "person ids of the trainees who run it"}}},
                "StatusInput": {"type": "object", "required": ["status"], "properties": {
                    "status": {"type": "string", "enum": ["published", "under_way", "closed", "cancelled"]}, "notice": {"type": ["string", "null"]}}},
                "RegisterInput": {"type": "object", "properties": {"person_id": {"type": ["integer", "null"]}, "venue_id": {"type": ["integer", "null"]}}},
                "Scans": {"type": "object", "properties": {"device_id": {"type": "string"}, "scans": {"type": "array", "items": {"type": "object", "required": ["scan_id"], "properties": {
                    "scan_id": {"type": "string"}, "code": {"type": "string"}, "registration_id": {"type": ["integer", "null"]},
                    "scanned_at": {"type": ["integer", "null"]}, "allow_other_venue": {"type": "boolean"}}}}}},
                "WalkIn": {"type": "object", "required": ["name", "mobile"], "properties": {"name": {"type": "string"}, "mobile": {"type": "string"}, "tier": {"type": "string"}, "scan_id": {"type": "string"}}},
                "CompetencyInput": {"type": "object", "properties": {"code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"}}},
                "CourseInput": {"type": "object", "required": ["title", "tiers", "duration_minutes"], "properties": {
                    "title": {"type": "string"}, "summary": {"type": ["string", "null"]},
                    "tiers": {"type": "array", "items": {"type": "string"}}, "duration_minutes": {"type": "integer"},
                    "lecturer": {"type": ["string", "null"], "description": "a lecturer's username"},
                    "competencies": {"type": "array", "items": {"type": "string"}, "description": "competency codes"}}},
                "OrgInput": {"type": "object", "required": ["name", "kind", "region"], "properties": {
                    "name": {"type": "string", "maxLength": 100},
                    "kind": {"type": "string", "enum": ["government", "enterprise", "bank", "platform", "service_provider", "training_provider", "live_base"]},
                    "industry": {"type": ["string", "null"]},
                    "sales_band": {"type": ["string", "null"], "enum": ["under_1m", "1m_5m", "5m_20m", "20m_100m", "over_100m", null]},
                    "credit_code": {"type": ["string", "null"], "minLength": 18, "maxLength": 18},
                    "region": {"type": "string"}}}
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(spec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ROUTES;

    #[test]
    fn no_path_is_listed_twice() {
        // json! keeps the last of two equal keys, silently dropping the first.
        let src = include_str!("openapi.rs");
        let mut keys: Vec<&str> = src
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with("\"/api/v1/"))
            .map(|l| l.split('"').nth(1).unwrap())
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "a path appears twice in the document");
    }

    #[test]
    fn every_api_route_is_documented() {
        let spec = spec();
        for (method, path) in ROUTES.iter().filter(|(_, p)| p.starts_with("/api/")) {
            let m = method.to_lowercase();
            assert!(
                spec["paths"][path][&m].is_object(),
                "{method} {path} missing from openapi.json"
            );
        }
    }
}
