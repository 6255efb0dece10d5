//! The authorisation matrix: every route of the pages and the API, for every
//! demo role, against a target inside the caller's scope and one outside it.
//! A route missing from [`rule`] fails the test, so no route can be added
//! without deciding who may use it.

use fanxing_core::analytics::RoomId;
use fanxing_core::people::{OrgId, PersonId, UserId};
use fanxing_core::training::{CourseId, ProgrammeId, RegistrationId, SessionId, VenueId};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use std::sync::OnceLock;

use crate::common::{fresh_mobile, TestApp};

/// The fixture programme's id (set once the world is built).
static PROGRAMME: OnceLock<ProgrammeId> = OnceLock::new();
/// The fixture course (lecturer: the demo lecturer) and one of its materials.
static COURSE: OnceLock<(CourseId, i64)> = OnceLock::new();
/// A certificate held by the demo trainee (a Kunshan operator).
static CERT: OnceLock<String> = OnceLock::new();
/// Resource matching: the bank's offer, the trainee's enterprise's need,
/// its application to the offer, the bank's organisation and the
/// enterprise.
static MATCH: OnceLock<MatchWorld> = OnceLock::new();

#[derive(Debug, Clone, Copy)]
struct MatchWorld {
    offer: i64,
    need: i64,
    application: i64,
    bank_org: OrgId,
    firm: OrgId,
}

fn match_offer_json() -> Value {
    json!({
        "kind": "loan", "title": "电商贷", "amount_min_fen": 3_000_000, "amount_max_fen": 30_000_000,
        "rate_min_bp": 400, "rate_max_bp": 800, "decision_days": 5,
        "valid_from": 1_767_225_600i64, "valid_until": 1_830_000_000i64,
        "rules": [{"field": "region", "op": "within", "value": "320000", "hard": true,
                   "message_zh": "仅限江苏省企业", "message_en": "Jiangsu enterprises only"}]
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Admin,
    Nanjing,
    Suzhou,
    Kunshan,
    Lecturer,
    Checkin,
    Trainee,
    Bank,
}

const ROLES: &[(Role, &str)] = &[
    (Role::Admin, "admin"),
    (Role::Nanjing, "nanjing"),
    (Role::Suzhou, "suzhou"),
    (Role::Kunshan, "kunshan"),
    (Role::Lecturer, "lecturer"),
    (Role::Checkin, "checkin"),
    (Role::Trainee, "trainee"),
    (Role::Bank, "bank"),
];

/// Which target a request is aimed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// Inside the caller's scope (their region, or themselves / their organisation).
    Own,
    /// Outside it.
    Other,
}

/// A concrete person or organisation to aim at.
#[derive(Clone, Debug)]
struct Thing {
    id: i64,
    name: String,
    region: String,
}

/// What the rules allow: `Some(true)` allowed, `Some(false)` refused,
/// `None` when the route does not apply to this target kind (e.g. "other"
/// for a route without a target).
fn rule(role: Role, method: &str, path: &str, target: Target) -> Option<bool> {
    use Role::*;
    let office = matches!(role, Admin | Nanjing | Suzhou | Kunshan);
    // Regional routes: offices in scope only. Admin has no "other".
    let regional = || match target {
        Target::Own => Some(office),
        Target::Other => (role != Admin).then_some(false),
    };
    let own_only = |allowed_own: bool| match target {
        Target::Own => Some(allowed_own),
        Target::Other => (role != Admin).then_some(false),
    };
    let untargeted = |allowed: bool| (target == Target::Own).then_some(allowed);
    match (method, path) {
        // Public pages and the log-in flow are checked for everyone.
        ("GET", "/")
        | ("GET", "/healthz")
        | ("GET", "/static/{file}")
        | ("GET", "/lang/{lang}")
        | ("GET", "/login")
        | ("GET", "/api/v1/openapi.json") => untargeted(true),
        ("POST", "/login") | ("POST", "/logout") => untargeted(true),
        ("GET", "/me") | ("GET", "/api/v1/me") => untargeted(true),
        ("GET", "/api/v1/regions") | ("GET", "/api/v1/regions/{code}") => untargeted(true),
        ("GET", "/api/v1/overview") => untargeted(office),
        ("GET", "/api/v1/audit") => untargeted(role == Admin),
        // Lists: offices, filtered to a region in or out of scope.
        ("GET", "/people") | ("GET", "/api/v1/people") => regional(),
        ("GET", "/orgs") | ("GET", "/api/v1/organisations") => regional(),
        ("GET", "/people/new") | ("GET", "/orgs/new") => untargeted(office),
        // Creating: offices, in a region in or out of scope.
        ("POST", "/people") | ("POST", "/api/v1/people") => regional(),
        ("POST", "/orgs") | ("POST", "/api/v1/organisations") => regional(),
        // One person: offices in scope, and people themselves.
        ("GET", "/people/{id}") | ("GET", "/api/v1/people/{id}") => {
            own_only(office || matches!(role, Lecturer | Checkin | Trainee))
        }
        ("GET", "/people/{id}/edit")
        | ("POST", "/people/{id}")
        | ("POST", "/people/{id}/reveal")
        | ("PUT", "/api/v1/people/{id}")
        | ("POST", "/api/v1/people/{id}/reveal") => own_only(office),
        // One organisation: offices in scope, and its partner or member.
        ("GET", "/orgs/{id}") | ("GET", "/api/v1/organisations/{id}") => {
            own_only(office || matches!(role, Trainee | Bank))
        }
        ("GET", "/orgs/{id}/edit")
        | ("POST", "/orgs/{id}")
        | ("PUT", "/api/v1/organisations/{id}") => own_only(office),
        // ---- Training operations ----
        ("GET", "/api/v1/programmes") => untargeted(true),
        ("GET", "/programmes") => untargeted(office),
        ("POST", "/api/v1/programmes") => untargeted(role == Admin),
        ("GET", "/api/v1/programmes/{id}/progress") | ("GET", "/programmes/{id}") => regional(),
        // Offices allocate to the regions below their own; a county has none.
        ("PUT", "/api/v1/programmes/{id}/targets") => {
            own_only(matches!(role, Admin | Nanjing | Suzhou))
        }
        ("GET", "/api/v1/sessions") => match role {
            Admin | Nanjing | Suzhou | Kunshan => regional(),
            _ => Some(true),
        },
        ("POST", "/api/v1/sessions") => regional(),
        // Published sessions are open to every logged-in user.
        ("GET", "/api/v1/sessions/{id}") | ("GET", "/sessions/{id}") => Some(true),
        ("GET", "/sessions") | ("GET", "/checkin/sw.js") => untargeted(true),
        // Managing a session: offices whose scope holds its organiser (Kunshan
        // does not manage Suzhou's session even though a venue is in Kunshan).
        ("POST", "/api/v1/sessions/{id}/status")
        | ("GET", "/api/v1/sessions/{id}/roster")
        | ("POST", "/sessions/{id}/status") => own_only(matches!(role, Admin | Nanjing | Suzhou)),
        // Registering oneself: accounts that are a person, for any published session.
        ("POST", "/api/v1/sessions/{id}/registrations") | ("POST", "/sessions/{id}/register") => {
            Some(matches!(role, Lecturer | Checkin | Trainee))
        }
        ("POST", "/api/v1/sessions/{id}/heartbeat") | ("GET", "/watch/{id}") => {
            Some(role == Trainee && target == Target::Own)
        }
        ("POST", "/api/v1/registrations/{id}/cancel")
        | ("GET", "/api/v1/registrations/{id}/ticket")
        | ("POST", "/registrations/{id}/cancel")
        | ("GET", "/tickets/{id}") => own_only(office || role == Trainee),
        ("GET", "/api/v1/me/registrations") | ("GET", "/my/sessions") => {
            untargeted(matches!(role, Lecturer | Checkin | Trainee))
        }
        ("GET", "/api/v1/venues/{id}/checkin-kit")
        | ("POST", "/api/v1/venues/{id}/scans")
        | ("POST", "/api/v1/venues/{id}/walk-ins")
        | ("GET", "/checkin/{id}") => own_only(office || role == Checkin),
        ("GET", "/checkin") => untargeted(office || role == Checkin),
        // Rosters: offices whose scope holds the session or one of its venues.
        ("GET", "/sessions/{id}/roster")
        | ("POST", "/sessions/{id}/roster")
        | ("POST", "/api/v1/sessions/{id}/roster") => own_only(office),
        ("GET", "/roster-template.xlsx") => untargeted(office),
        // Calendars: a published session's file is public; a personal feed
        // is reached only by its secret link (tested in training.rs).
        ("GET", "/sessions/{id}/calendar.ics") => Some(true),
        ("GET", "/calendar/{feed}") => None,
        // Certificates: anyone verifies; the holder and offices over the
        // holder (a Kunshan trainee) download; those offices revoke.
        ("GET", "/verify") | ("GET", "/verify/{number}") => untargeted(true),
        ("GET", "/my/certificates") => untargeted(matches!(role, Lecturer | Checkin | Trainee)),
        ("GET", "/certificates/{number}/pdf") => {
            untargeted(matches!(role, Admin | Suzhou | Kunshan | Trainee))
        }
        ("POST", "/certificates/{number}/revoke") => {
            untargeted(matches!(role, Admin | Suzhou | Kunshan))
        }
        // Exports: the progress of a region in scope; a managed session's list.
        ("GET", "/programmes/{id}/report.xlsx") => regional(),
        ("GET", "/programmes/{id}/attendances.xlsx") => regional(),
        // An office's certificate list and zip: holders in its scope only
        // (an office with none in scope gets a 422 "none match").
        ("GET", "/certificates") | ("GET", "/certificates.zip") => untargeted(office),
        // ---- Analytics ----
        // Offices see their region's rooms; a trainee the rooms they run.
        ("GET", "/api/v1/rooms") | ("POST", "/api/v1/live-sessions") | ("GET", "/rooms") => {
            untargeted(office || matches!(role, Lecturer | Checkin | Trainee))
        }
        ("GET", "/rooms/new") => untargeted(office),
        ("POST", "/api/v1/rooms")
        | ("POST", "/rooms")
        | ("GET", "/api/v1/live-stats")
        | ("GET", "/live-stats")
        | ("GET", "/api/v1/live-impact") => regional(),
        ("GET", "/api/v1/rooms/{id}")
        | ("GET", "/api/v1/rooms/{id}/kpis")
        | ("GET", "/api/v1/rooms/{id}/diagnosis")
        | ("POST", "/api/v1/rooms/{id}/sessions")
        | ("GET", "/rooms/{id}")
        | ("POST", "/rooms/{id}/sessions") => own_only(office || role == Trainee),
        // Offices manage the operators of their region's rooms.
        ("PUT", "/api/v1/rooms/{id}/operators") | ("POST", "/rooms/{id}/operators") => {
            own_only(office)
        }
        ("GET", "/sessions/{id}/attendance.xlsx") => {
            own_only(matches!(role, Admin | Nanjing | Suzhou))
        }
        // The live monitor: offices whose scope holds the session or a venue.
        ("GET", "/sessions/{id}/monitor") | ("GET", "/api/v1/sessions/{id}/live") => {
            own_only(office)
        }
        // Curriculum: everyone logged in reads; offices create; the
        // programme office edits the framework; the fixture course is the
        // province's, so the programme office and its lecturer add
        // materials (offices' own courses: hardening.rs).
        ("GET", "/courses")
        | ("GET", "/api/v1/tracks")
        | ("GET", "/api/v1/competencies")
        | ("GET", "/api/v1/courses") => untargeted(true),
        ("GET", "/courses/{id}") | ("GET", "/api/v1/courses/{id}") | ("GET", "/materials/{id}") => {
            untargeted(true)
        }
        ("GET", "/courses/new") | ("POST", "/courses") | ("POST", "/api/v1/courses") => {
            untargeted(office)
        }
        ("POST", "/competencies")
        | ("POST", "/api/v1/competencies")
        | ("PUT", "/api/v1/competencies/{id}") => untargeted(role == Admin),
        ("POST", "/courses/{id}/materials") | ("POST", "/api/v1/courses/{id}/materials") => {
            untargeted(matches!(role, Admin | Lecturer))
        }
        ("GET", "/sessions/new") | ("POST", "/sessions") => untargeted(office),
        ("POST", "/programmes/{id}/targets") => own_only(matches!(role, Admin | Nanjing | Suzhou)),
        // The issuing authority speaks for the province: its office only.
        ("POST", "/programmes/{id}/issuer") => untargeted(role == Admin),
        // ---- Accounts ----
        // Everyone changes their own password and revokes their own tokens.
        ("GET", "/account") | ("POST", "/account/password") | ("POST", "/api/v1/me/password") => {
            untargeted(true)
        }
        ("POST", "/account/tokens/{id}/revoke") => Some(target == Target::Own),
        // ---- Resource matching ----
        // Partners are made by the offices over the bank's organisation (in
        // Suzhou city); offers are the bank's; everyone reads active offers.
        ("POST", "/api/v1/match/partners") => untargeted(matches!(role, Admin | Suzhou)),
        ("GET", "/api/v1/match/offers") => untargeted(true),
        ("POST", "/api/v1/match/offers") | ("PUT", "/api/v1/match/offers/{id}") => {
            untargeted(role == Bank)
        }
        // The enterprise (the demo trainee's, in Kunshan) acts for itself;
        // offices over Kunshan act for it.
        ("POST", "/api/v1/match/facts")
        | ("POST", "/api/v1/match/needs")
        | ("GET", "/api/v1/match/needs/{id}/matches")
        | ("POST", "/api/v1/match/needs/{id}/applications") => {
            untargeted(matches!(role, Admin | Suzhou | Kunshan | Trainee))
        }
        // Applications: the bank's queue, the enterprise's own, offices'
        // region; moving one: the bank, and the applicant side.
        ("GET", "/api/v1/match/rollup") => regional(),
        // The holiday calendar deadlines count on: everyone reads it, the
        // programme office enters a year's arrangement.
        ("GET", "/api/v1/holidays/{year}") => untargeted(true),
        ("PUT", "/api/v1/holidays/{year}") => untargeted(role == Admin),
        ("GET", "/match/holidays") => untargeted(true),
        // A course's path rules: the programme office.
        ("POST", "/courses/{id}/path") => untargeted(role == Admin),
        ("POST", "/match/holidays/{year}") => untargeted(role == Admin),
        // The matching page: every account sees what applies to it.
        ("GET", "/match") => untargeted(true),
        ("GET", "/match/return.xlsx") => regional(),
        // The page's partner form: offices over the bank's city.
        ("POST", "/match/partners") => untargeted(matches!(role, Admin | Suzhou)),
        // A partner writes its own offers in the form.
        ("GET", "/match/offers/new")
        | ("POST", "/match/offers")
        | ("GET", "/match/offers/{id}/edit")
        | ("POST", "/match/offers/{id}") => untargeted(role == Bank),
        // States a need for the caller's own enterprise, or an office's for
        // an enterprise of its region that the form names.
        ("POST", "/match/needs") => untargeted(office || role == Trainee),
        ("GET", "/match/needs/{id}") | ("POST", "/match/needs/{id}/apply") => {
            untargeted(matches!(role, Admin | Suzhou | Kunshan | Trainee))
        }
        ("POST", "/match/applications/{id}/act") => {
            untargeted(matches!(role, Admin | Suzhou | Kunshan | Trainee | Bank))
        }
        // What the enterprise shared, for the partner it applied to only.
        ("GET", "/match/applications/{id}")
        | ("POST", "/match/applications/{id}/verify")
        | ("GET", "/api/v1/match/applications/{id}/facts")
        | ("POST", "/api/v1/match/applications/{id}/facts") => untargeted(role == Bank),
        // ---- Compliance ----
        // Trainees (the operators who write scripts) and offices check;
        // offices see what trips their region's trainees.
        ("GET", "/compliance")
        | ("POST", "/compliance")
        | ("POST", "/compliance/titles")
        | ("POST", "/api/v1/compliance/check")
        | ("POST", "/api/v1/compliance/check-batch")
        | ("GET", "/api/v1/compliance/rules") => untargeted(office || role == Trainee),
        ("GET", "/api/v1/compliance/overview") => untargeted(office),
        // The knowledge library: everyone searches (what they see is
        // scoped, tested in knowledge.rs, with each document, write and
        // status route for every role); offices manage.
        ("GET", "/knowledge") | ("GET", "/api/v1/knowledge/search") => untargeted(true),
        ("GET", "/knowledge/manage") | ("GET", "/knowledge/new") => untargeted(office),
        ("POST", "/knowledge/new")
        | ("GET", "/knowledge/{id}")
        | ("GET", "/knowledge/{id}/edit")
        | ("POST", "/knowledge/{id}/edit")
        | ("POST", "/knowledge/{id}/status")
        | ("POST", "/api/v1/knowledge/documents")
        | ("GET", "/api/v1/knowledge/documents/{id}")
        | ("PUT", "/api/v1/knowledge/documents/{id}")
        | ("POST", "/api/v1/knowledge/documents/{id}/status") => None,
        // ---- Learning paths ----
        // A trainee reads their own path; offices their region's gaps; the
        // programme office sets courses' path rules (they decide
        // certificates); everyone who reads courses reads their rules.
        ("GET", "/my/path") | ("GET", "/api/v1/me/path") => untargeted(role == Trainee),
        ("GET", "/paths") | ("GET", "/api/v1/paths/gaps") => regional(),
        ("GET", "/api/v1/courses/{id}/path") => untargeted(true),
        ("PUT", "/api/v1/courses/{id}/path") => untargeted(role == Admin),
        ("GET", "/api/v1/match/applications") => {
            untargeted(office || matches!(role, Trainee | Bank))
        }
        ("GET", "/api/v1/match/applications/{id}/events")
        | ("POST", "/api/v1/match/applications/{id}/actions") => {
            untargeted(matches!(role, Admin | Suzhou | Kunshan | Trainee | Bank))
        }
        // Offices manage the accounts below them in their region: the
        // target is a trainee account in scope, or one outside it.
        ("GET", "/accounts") => untargeted(office),
        ("POST", "/accounts/{id}/disable")
        | ("POST", "/accounts/{id}/enable")
        | ("POST", "/accounts/{id}/unlock") => own_only(office),
        _ => panic!("{method} {path} is not in the authorisation matrix: add a rule"),
    }
}

async fn first(app: &TestApp, admin: &Client, what: &str, region: &str) -> Thing {
    let v: Value = app
        .get(admin, &format!("/api/v1/{what}?region={region}&per_page=1"))
        .await
        .json()
        .await
        .unwrap();
    let item = &v["items"][0];
    Thing {
        id: item["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no {what} in {region}: {v}")),
        name: item["name"].as_str().unwrap().to_string(),
        region: item["region"].as_str().unwrap().to_string(),
    }
}

async fn by_id(app: &TestApp, admin: &Client, what: &str, id: i64) -> Thing {
    let v: Value = app
        .get(admin, &format!("/api/v1/{what}/{id}"))
        .await
        .json()
        .await
        .unwrap();
    Thing {
        id,
        name: v["name"].as_str().unwrap().to_string(),
        region: v["region"].as_str().unwrap().to_string(),
    }
}

#[derive(Clone, Default)]
struct Targets {
    person: Option<Thing>,
    org: Option<Thing>,
    /// A region code for list filters and creation.
    region: String,
    /// A region below the caller's own, for allocating targets.
    child_region: String,
    session: Option<SessionId>,
    venue: Option<VenueId>,
    registration: Option<RegistrationId>,
    room: Option<RoomId>,
    /// An account to manage, and an API token to revoke.
    user: Option<UserId>,
    token: Option<i64>,
}

/// `world`'s targets with a person, an organisation and regions of their own.
fn aimed_at(
    person: &Thing,
    org: &Thing,
    region: &str,
    child_region: &str,
    world: &Targets,
) -> Targets {
    Targets {
        person: Some(person.clone()),
        org: Some(org.clone()),
        region: region.into(),
        child_region: child_region.into(),
        ..world.clone()
    }
}

/// Sessions, venues and registrations the training routes are aimed at.
struct World {
    programme: ProgrammeId,
    sz_session: SessionId,
    sz_venue_ks: VenueId,
    sz_venue_online: VenueId,
    nj_session: SessionId,
    nj_venue: VenueId,
    trainee_reg: RegistrationId,
    nj_reg: RegistrationId,
    /// A Kunshan room run by the demo trainee, and a Nanjing room.
    ks_room: RoomId,
    nj_room: RoomId,
    trainee_person: PersonId,
    /// (session, person) pairs to re-register before each role, since
    /// cancelling is one of the routes walked.
    registrations: Vec<(SessionId, PersonId, VenueId)>,
}

fn session_input(
    programme: ProgrammeId,
    region: &str,
    main: &str,
    online: &str,
) -> fanxing_core::training::SessionInput {
    let start = fanxing_core::now() + 7 * 86400;
    let fmt = fanxing_core::training::format_local;
    serde_json::from_value(json!({
        "programme_id": programme,
        "title": format!("矩阵测试培训 {region}"),
        "region": region,
        "starts_at": fmt(start),
        "ends_at": fmt(start + 3 * 3600),
        "venues": [
            {"kind": "main", "name": format!("{main} 主会场"), "address": "会议中心", "region": main, "capacity": 100},
            {"kind": "sub", "name": "姑苏分会场", "address": "姑苏区", "region": "320508", "capacity": 50},
            {"kind": "online", "name": "线上直播", "region": online, "capacity": 500, "stream_url": "https://live.example/s"}
        ]
    }))
    .unwrap()
}

async fn world(app: &TestApp, nanjing_person: &Thing) -> World {
    let fx = &app.opened.app;
    let admin = app.actor("admin").await;
    let programme = app.programme(&admin, "矩阵测试计划").await;
    let sz = fx
        .training
        .create_session(
            &admin,
            &session_input(programme, "320500", "320583", "320500"),
            true,
        )
        .await
        .unwrap();
    let mut nj_input = session_input(programme, "320100", "320102", "320100");
    nj_input.venues.remove(1);
    let nj = fx
        .training
        .create_session(&admin, &nj_input, true)
        .await
        .unwrap();
    let venue = |v: &fanxing_core::training::service::SessionView, kind| {
        v.venues
            .iter()
            .find(|l| l.venue.kind == kind)
            .unwrap()
            .venue
            .id
    };
    use fanxing_core::training::VenueKind;
    let (sz_venue_ks, sz_venue_online) =
        (venue(&sz, VenueKind::Main), venue(&sz, VenueKind::Online));
    let nj_venue = venue(&nj, VenueKind::Main);
    let checkin = app.actor("checkin").await;
    fx.stores
        .checkins
        .assign_venue_staff(sz_venue_ks, checkin.user.id)
        .await
        .unwrap();
    let trainee = app.actor("trainee").await;
    let trainee_person = trainee.user.person_id.unwrap();
    let trainee_reg = fx
        .training
        .register(
            &admin,
            sz.session.id,
            Some(trainee_person),
            Some(sz_venue_online),
        )
        .await
        .unwrap()
        .registration
        .id;
    let nj_reg = fx
        .training
        .register(
            &admin,
            nj.session.id,
            Some(PersonId(nanjing_person.id)),
            Some(nj_venue),
        )
        .await
        .unwrap()
        .registration
        .id;
    let room = |region: &str, account: &str, operators: Vec<PersonId>| {
        fanxing_core::analytics::RoomInput {
            platform: "douyin".into(),
            account_id: account.into(),
            name: format!("矩阵直播间 {account}"),
            org_id: None,
            industry: "服装".into(),
            size_tier: "tail".into(),
            region: region.into(),
            operators,
            ..Default::default()
        }
    };
    let ks_room = fx
        .analytics
        .create_room(&admin, &room("320583", "mx-ks", vec![trainee_person]))
        .await
        .unwrap()
        .id;
    let nj_room = fx
        .analytics
        .create_room(&admin, &room("320102", "mx-nj", vec![]))
        .await
        .unwrap()
        .id;
    World {
        ks_room,
        nj_room,
        trainee_person,
        programme,
        sz_session: sz.session.id,
        sz_venue_ks,
        sz_venue_online,
        nj_session: nj.session.id,
        nj_venue,
        trainee_reg,
        nj_reg,
        registrations: vec![
            (sz.session.id, trainee_person, sz_venue_online),
            (nj.session.id, PersonId(nanjing_person.id), nj_venue),
        ],
    }
}

#[tokio::test]
async fn every_route_for_every_role() {
    let app = TestApp::spawn().await;
    let admin = app.api("admin").await;
    let nanjing_person = first(&app, &admin, "people", "320100").await;
    let nanjing_org = first(&app, &admin, "organisations", "320100").await;
    let suzhou_person = first(&app, &admin, "people", "320508").await;
    let suzhou_org = first(&app, &admin, "organisations", "320508").await;
    let kunshan_person = first(&app, &admin, "people", "320583").await;
    let kunshan_org = first(&app, &admin, "organisations", "320583").await;
    let w = world(&app, &nanjing_person).await;
    let _ = PROGRAMME.set(w.programme);
    {
        let m = &app.opened.matching;
        let (admin, bank, trainee) = (
            app.actor("admin").await,
            app.actor("bank").await,
            app.actor("trainee").await,
        );
        let bank_org = bank.user.org_id.unwrap();
        let firm = trainee.user.org_id.unwrap();
        m.register_partner(
            &admin,
            bank_org,
            fanxing_core::matching::PartnerKind::Bank,
            fanxing_core::region::RegionCode::from_value(320500).unwrap(),
        )
        .await
        .unwrap();
        let offer = m
            .save_offer(
                &bank,
                None,
                &serde_json::from_value(match_offer_json()).unwrap(),
            )
            .await
            .unwrap();
        let need = m
            .state_need(
                &trainee,
                &serde_json::from_value(json!({
                    "org_id": firm, "kind": "loan", "amount_fen": 10_000_000,
                    "purpose": "备货", "consent_days": 30,
                    "consent_facts": ["shop_age_months"]
                }))
                .unwrap(),
            )
            .await
            .unwrap();
        let application = m.apply(&trainee, need.id, offer.id, None).await.unwrap();
        let _ = MATCH.set(MatchWorld {
            offer: offer.id,
            need: need.id,
            application: application.id,
            bank_org,
            firm,
        });
    }
    // Trainee accounts to manage: in Kunshan, in Suzhou's Gusu district, in Nanjing.
    let mut managed = Vec::new();
    for (name, person) in [
        ("mx-ks", &kunshan_person),
        ("mx-sz", &suzhou_person),
        ("mx-nj", &nanjing_person),
    ] {
        let u = app
            .opened
            .app
            .accounts
            .create_user(fanxing_core::people::accounts::NewUserInput {
                username: name.into(),
                display_name: name.into(),
                password: "a-long-enough-password".into(),
                role: fanxing_core::auth::Role::Trainee,
                region: None,
                person_id: Some(PersonId(person.id)),
                org_id: None,
            })
            .await
            .unwrap();
        managed.push(u.id);
    }
    let (ks_user, sz_user, nj_user) = (managed[0], managed[1], managed[2]);
    {
        let number = fanxing_core::curriculum::new_certificate_number(2026);
        let trainee = app.actor("trainee").await.user.person_id.unwrap();
        app.opened
            .app
            .stores
            .curriculum
            .insert_certificates(
                &[(number.clone(), trainee, 3, w.programme)],
                fanxing_core::now(),
            )
            .await
            .unwrap();
        let _ = CERT.set(number);
    }
    {
        let fx = &app.opened.app;
        let admin = app.actor("admin").await;
        let course = fx
            .curriculum
            .create_course(
                &admin,
                &serde_json::from_value(json!({
                    "title": "直播选品", "tiers": ["operator"], "duration_minutes": 120,
                    "lecturer": "lecturer", "competencies": ["product_selection"]
                }))
                .unwrap(),
            )
            .await
            .unwrap();
        let m = fx
            .curriculum
            .add_material(&admin, course.id, "讲义.pdf", b"%PDF-1.4 test")
            .await
            .unwrap();
        let _ = COURSE.set((course.id, m.id));
    }
    let sz_world = Targets {
        session: Some(w.sz_session),
        venue: Some(w.sz_venue_ks),
        registration: Some(w.trainee_reg),
        room: Some(w.ks_room),
        ..Default::default()
    };
    let nj_world = Targets {
        session: Some(w.nj_session),
        venue: Some(w.nj_venue),
        registration: Some(w.nj_reg),
        room: Some(w.nj_room),
        ..Default::default()
    };
    let nanjing_other = aimed_at(&nanjing_person, &nanjing_org, "320102", "320102", &nj_world);

    // Anonymous callers reach only the public routes.
    let anon = app.browser();
    let anon_csrf = app.csrf(&anon).await;
    for &(method, path) in fanxing_web::ROUTES {
        // Anyone may browse published sessions; the rest needs a log-in.
        let public = matches!(
            path,
            "/" | "/healthz"
                | "/static/{file}"
                | "/lang/{lang}"
                | "/login"
                | "/api/v1/openapi.json"
                | "/sessions"
                | "/sessions/{id}"
                | "/sessions/{id}/calendar.ics"
                | "/verify"
                | "/verify/{number}"
                | "/checkin/sw.js"
                | "/knowledge"
        );
        let id = if path.starts_with("/sessions/") {
            w.sz_session.0
        } else {
            nanjing_person.id
        };
        if path == "/calendar/{feed}" {
            // A made-up link is simply not found.
            let res = app.get(&anon, "/calendar/1-0123456789abcdef.ics").await;
            assert_eq!(res.status(), 404);
            continue;
        }
        let url = path
            .replace("{id}", &id.to_string())
            .replace("{file}", "app.css")
            .replace("{lang}", "en")
            .replace("{number}", CERT.get().unwrap())
            .replace("{code}", "320100")
            .replace("{year}", "2031");
        let mut req = anon.request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            app.url(&url),
        );
        if method != "GET" {
            req = req.form(&[
                ("csrf", anon_csrf.as_str()),
                ("login", "x"),
                ("password", "y"),
            ]);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = res.text().await.unwrap();
        if public {
            assert!(
                status.is_success()
                    || status.is_redirection()
                    || (path == "/login" && status == 401),
                "anonymous {method} {path} gave {status}"
            );
        } else if path.starts_with("/api/") {
            assert_eq!(status, 401, "anonymous {method} {path}");
        } else if path == "/logout" {
            assert_eq!(
                status, 303,
                "anonymous log-out just returns to the log-in page"
            );
        } else {
            assert_eq!(status, 303, "anonymous {method} {path}");
            assert!(
                location.starts_with("/login"),
                "anonymous {method} {path} went to {location}"
            );
        }
        assert!(
            !body.contains(&nanjing_person.name),
            "anonymous {method} {path} leaked a name"
        );
    }

    let mut checked = 0;
    for &(role, username) in ROLES {
        let me: Value = app.get_json(&app.api(username).await, "/api/v1/me").await;
        let own_person = match me["person_id"].as_i64() {
            Some(id) => Some(by_id(&app, &admin, "people", id).await),
            None => None,
        };
        let own_org = match me["org_id"].as_i64() {
            Some(id) => Some(by_id(&app, &admin, "organisations", id).await),
            None => None,
        };
        let (own, other) = match role {
            Role::Admin => (
                aimed_at(&suzhou_person, &suzhou_org, "320583", "320500", &sz_world),
                None,
            ),
            Role::Nanjing => (
                aimed_at(&nanjing_person, &nanjing_org, "320102", "320102", &nj_world),
                Some(aimed_at(
                    &suzhou_person,
                    &suzhou_org,
                    "320508",
                    "320583",
                    &sz_world,
                )),
            ),
            Role::Suzhou => (
                aimed_at(&kunshan_person, &kunshan_org, "320583", "320583", &sz_world),
                Some(nanjing_other.clone()),
            ),
            // A county office must not reach the rest of its own city.
            Role::Kunshan => (
                aimed_at(&kunshan_person, &kunshan_org, "320583", "320583", &sz_world),
                Some(aimed_at(
                    &suzhou_person,
                    &suzhou_org,
                    "320508",
                    "320508",
                    &nj_world,
                )),
            ),
            _ => (
                Targets {
                    person: own_person.clone(),
                    org: own_org.clone(),
                    region: own_person
                        .as_ref()
                        .map(|p| p.region.clone())
                        .unwrap_or_else(|| "320583".into()),
                    child_region: "320583".into(),
                    session: Some(w.sz_session),
                    venue: Some(if role == Role::Trainee {
                        w.sz_venue_online
                    } else {
                        w.sz_venue_ks
                    }),
                    registration: (role == Role::Trainee).then_some(w.trainee_reg),
                    room: Some(w.ks_room),
                    ..Default::default()
                },
                Some(nanjing_other.clone()),
            ),
        };
        // Accounts: whom each role manages, and tokens to revoke.
        let (mut own, mut other) = (own, other);
        let (own_user, other_user) = match role {
            Role::Nanjing => (nj_user, ks_user),
            Role::Kunshan => (ks_user, sz_user),
            _ => (ks_user, nj_user),
        };
        own.user = Some(own_user);
        own.token = Some(
            app.opened
                .app
                .accounts
                .create_api_token_for_days(username, "matrix", 90)
                .await
                .unwrap()
                .0,
        );
        if let Some(o) = other.as_mut() {
            o.user = Some(other_user);
            o.token = Some(
                app.opened
                    .app
                    .accounts
                    .create_api_token_for_days("admin", "matrix", 90)
                    .await
                    .unwrap()
                    .0,
            );
        }
        // Cancelling is among the routes walked: restore the fixtures.
        for (session, person, venue) in &w.registrations {
            let _ = app
                .opened
                .app
                .training
                .register(
                    &app.actor("admin").await,
                    *session,
                    Some(*person),
                    Some(*venue),
                )
                .await;
        }
        // Replacing operators is among the routes walked: restore them.
        app.opened
            .app
            .stores
            .analytics
            .set_room_operators(w.ks_room, &[w.trainee_person])
            .await
            .unwrap();
        app.opened
            .app
            .stores
            .analytics
            .set_room_operators(w.nj_room, &[])
            .await
            .unwrap();
        let api = app.api(username).await;
        let (browser, csrf) = app.login(username).await;
        for &(method, path) in fanxing_web::ROUTES {
            // Log-out last, as it ends the session.
            if path == "/logout" {
                continue;
            }
            for (target, targets) in [(Target::Own, Some(&own)), (Target::Other, other.as_ref())] {
                let Some(expected) = rule(role, method, path, target) else {
                    continue;
                };
                let Some(t) = targets else { continue };
                // Routes that need a live registration follow the ones that
                // cancel it: restore the fixtures first.
                if path.contains("watch") || path.contains("heartbeat") || path.contains("ticket") {
                    for (session, person, venue) in &w.registrations {
                        let _ = app
                            .opened
                            .app
                            .training
                            .register(
                                &app.actor("admin").await,
                                *session,
                                Some(*person),
                                Some(*venue),
                            )
                            .await;
                    }
                }
                let Some(outcome) = call(&app, &api, &browser, &csrf, method, path, t).await else {
                    continue;
                };
                let (status, body, thing) = outcome;
                let allowed =
                    status.is_success() || status.is_redirection() && !redirects_to_login(&body);
                assert_eq!(
                    allowed,
                    expected,
                    "{username} {method} {path} ({target:?}) gave {status}: {}",
                    &body.chars().take(300).collect::<String>()
                );
                if !expected {
                    assert!(
                        matches!(status.as_u16(), 401 | 403 | 404 | 422),
                        "{username} {method} {path}: refusal with unexpected status {status}"
                    );
                    if let Some(name) = thing {
                        assert!(
                            !body.contains(&name),
                            "{username} {method} {path}: refusal leaked {name}"
                        );
                    }
                }
                checked += 1;
            }
        }
        // Log-out works for everyone and ends the session.
        let res = app.post_form(&browser, &csrf, "/logout", &[]).await;
        assert_eq!(res.status(), 303);
        let res = app.get(&browser, "/people").await;
        assert_eq!(
            res.status(),
            303,
            "after log-out pages send {username} to log in"
        );
    }
    assert!(checked > 300, "only {checked} checks ran");
}

fn redirects_to_login(location_or_body: &str) -> bool {
    location_or_body.starts_with("/login")
}

/// Makes one request. Returns the status, the body (or the redirect
/// location), and the name of the targeted record, or `None` when the
/// target does not exist for this role (e.g. a partner has no person).
async fn call(
    app: &TestApp,
    api: &Client,
    browser: &Client,
    csrf: &str,
    method: &str,
    path: &str,
    t: &Targets,
) -> Option<(StatusCode, String, Option<String>)> {
    let is_api = path.starts_with("/api/");
    let needs_person = path.contains("/people/{id}");
    let needs_org = path.contains("/orgs/{id}") || path.contains("/organisations/{id}");
    let thing = if needs_person {
        Some(t.person.clone()?)
    } else if needs_org {
        Some(t.org.clone()?)
    } else {
        None
    };
    let id = if path.contains("/accounts/{id}") {
        t.user?.0
    } else if path.contains("/tokens/{id}") {
        t.token?
    } else if path.contains("/sessions/{id}") || path.contains("/watch/{id}") {
        t.session?.0
    } else if path.contains("/venues/{id}") || path.contains("/checkin/{id}") {
        t.venue?.0
    } else if path.contains("/registrations/{id}") || path.contains("/tickets/{id}") {
        t.registration?.0
    } else if path.contains("/rooms/{id}") {
        t.room?.0
    } else if path.contains("/programmes/{id}") {
        PROGRAMME.get().unwrap().0
    } else if path.contains("/match/offers/{id}") {
        MATCH.get().unwrap().offer
    } else if path.contains("/match/needs/{id}") {
        MATCH.get().unwrap().need
    } else if path.contains("/match/applications/{id}") {
        MATCH.get().unwrap().application
    } else if path.contains("/courses/{id}") {
        i64::from(COURSE.get().unwrap().0)
    } else if path.contains("/materials/{id}") {
        COURSE.get().unwrap().1
    } else if path.contains("/competencies/{id}") {
        1
    } else {
        thing.as_ref().map(|x| x.id).unwrap_or_default()
    };
    let mut url = path
        .replace("{id}", &id.to_string())
        .replace("{file}", "app.css")
        .replace("{lang}", "en")
        .replace("{number}", CERT.get().unwrap())
        .replace("{code}", "320500")
        .replace("{year}", "2031");
    if method == "GET"
        && matches!(
            path,
            "/people"
                | "/orgs"
                | "/api/v1/people"
                | "/api/v1/organisations"
                | "/api/v1/sessions"
                | "/api/v1/programmes/{id}/progress"
                | "/programmes/{id}"
                | "/programmes/{id}/report.xlsx"
                | "/programmes/{id}/attendances.xlsx"
                | "/api/v1/live-stats"
                | "/live-stats"
                | "/api/v1/live-impact"
                | "/api/v1/match/rollup"
                | "/match/return.xlsx"
                | "/paths"
                | "/api/v1/paths/gaps"
        )
    {
        url = format!("{url}?region={}", t.region);
    }
    // Updates keep the record where it is; creations go to the target region.
    let region = thing
        .as_ref()
        .map(|x| x.region.clone())
        .unwrap_or_else(|| t.region.clone());
    let person_json = json!({
        "name": "矩阵测试", "mobile": fresh_mobile(), "tier": "operator", "region": region,
    });
    let org_json = json!({
        "name": "矩阵测试单位", "kind": "enterprise", "industry": "服装", "region": region,
    });
    let start = fanxing_core::now() + 9 * 86400;
    let training_json = match path {
        "/api/v1/programmes" => {
            Some(json!({"name": "新计划", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}))
        }
        "/api/v1/programmes/{id}/targets" => {
            Some(json!([{"region": t.child_region, "sessions": 5, "attendances": 300}]))
        }
        "/api/v1/sessions" => Some(json!({
            "programme_id": *PROGRAMME.get().unwrap(), "title": "新培训", "region": t.region,
            "starts_at": fanxing_core::training::format_local(start),
            "ends_at": fanxing_core::training::format_local(start + 7200),
            "venues": [{"kind": "main", "name": "会场", "address": "", "region": t.region, "capacity": 10}]
        })),
        "/api/v1/sessions/{id}/status" => Some(json!({"status": "published"})),
        "/api/v1/rooms/{id}/operators" => Some(json!({"operators": []})),
        "/api/v1/rooms" => Some(json!({
            "platform": "douyin", "account_id": format!("mx-{}", rand::random::<u32>()),
            "name": "新直播间", "industry": "食品", "size_tier": "starter", "region": t.region,
        })),
        "/api/v1/competencies" => Some(
            json!({"code": format!("c{}", rand::random::<u32>()), "name_zh": "新能力", "name_en": "New"}),
        ),
        "/api/v1/competencies/{id}" => {
            Some(json!({"name_zh": "趋势与政策", "name_en": "Trends and policy"}))
        }
        "/api/v1/courses" => {
            Some(json!({"title": "新课程", "tiers": ["operator"], "duration_minutes": 90}))
        }
        "/api/v1/venues/{id}/scans" => Some(json!({"device_id": "matrix", "scans": []})),
        "/api/v1/match/partners" => Some(json!({
            "org_id": MATCH.get().unwrap().bank_org, "kind": "bank", "serves_region": "320500"
        })),
        "/api/v1/match/offers" | "/api/v1/match/offers/{id}" => Some(match_offer_json()),
        "/api/v1/match/facts" => Some(json!({
            "org_id": MATCH.get().unwrap().firm,
            "facts": [{"metric": "shop_age_months", "value": 12, "period": "2026-11"}]
        })),
        "/api/v1/match/needs" => Some(json!({
            "org_id": MATCH.get().unwrap().firm, "kind": "loan", "amount_fen": 5_000_000,
            "purpose": "直播设备", "consent_days": 30
        })),
        "/api/v1/match/needs/{id}/applications" => {
            Some(json!({"offer_id": MATCH.get().unwrap().offer}))
        }
        "/api/v1/match/applications/{id}/actions" => Some(json!({"action": "accept"})),
        "/api/v1/holidays/{year}" => Some(json!({
            "holidays": [{"first": "2031-01-01", "last": "2031-01-01", "name": "元旦"}]
        })),
        "/api/v1/match/applications/{id}/facts" => Some(json!({
            "metric": "shop_age_months", "value": 12, "period": "2026-11"
        })),
        "/api/v1/venues/{id}/walk-ins" => {
            Some(json!({"name": "现场学员", "mobile": fresh_mobile()}))
        }
        "/api/v1/compliance/check" => Some(json!({"text": "全网最低价，顶级品质"})),
        "/api/v1/compliance/check-batch" => {
            Some(json!({"texts": [{"id": "a", "text": "最好的大闸蟹"}], "kind": "title"}))
        }
        p if p.starts_with("/api/v1/")
            && method != "GET"
            && !p.contains("people")
            && !p.contains("organisations") =>
        {
            Some(json!({}))
        }
        _ => None,
    };
    let client = if is_api { api } else { browser };
    let mut req = client.request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        app.url(&url),
    );
    if method != "GET" {
        let is_person = path.contains("people");
        let is_org = path.contains("orgs") || path.contains("organisations");
        req = if path == "/courses/{id}/materials" {
            let part =
                reqwest::multipart::Part::bytes(b"%PDF-1.4 matrix".to_vec()).file_name("讲义.pdf");
            req.multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", csrf.to_string())
                    .part("file", part),
            )
        } else if path == "/competencies" {
            let code = format!("c{}", rand::random::<u32>());
            req.form(&[
                ("csrf", csrf),
                ("code", code.as_str()),
                ("name_zh", "新能力"),
                ("name_en", "New"),
            ])
        } else if path == "/rooms" {
            let account = format!("mf-{}", rand::random::<u32>());
            req.form(&[
                ("csrf", csrf),
                ("platform", "douyin"),
                ("account_id", account.as_str()),
                ("name", "表单直播间"),
                ("industry", "食品"),
                ("followers", "1.2万"),
                ("region", t.region.as_str()),
            ])
        } else if path == "/courses" {
            req.form(&[
                ("csrf", csrf),
                ("title", "新课程"),
                ("tiers", "operator"),
                ("duration_minutes", "90"),
            ])
        } else if path == "/programmes/{id}/targets" {
            let (s_key, a_key) = (
                format!("s_{}", t.child_region),
                format!("a_{}", t.child_region),
            );
            req.form(&[
                ("csrf", csrf),
                (s_key.as_str(), "5"),
                (a_key.as_str(), "300"),
                ("region_back", "320000"),
            ])
        } else if path == "/match/needs" {
            req.form(&[
                ("csrf", csrf),
                ("kind", "loan"),
                ("amount_yuan", "50万"),
                ("purpose", "备货"),
            ])
        } else if path == "/match/needs/{id}/apply" {
            let offer = MATCH.get().unwrap().offer.to_string();
            req.form(&[("csrf", csrf), ("offer_id", offer.as_str())])
        } else if path == "/match/partners" {
            let org = MATCH.get().unwrap().bank_org.to_string();
            req.form(&[("csrf", csrf), ("org_id", org.as_str())])
        } else if path == "/match/applications/{id}/act" {
            req.form(&[("csrf", csrf), ("action", "accept")])
        } else if path == "/match/applications/{id}/verify" {
            req.form(&[
                ("csrf", csrf),
                ("metric", "shop_age_months"),
                ("value", "12"),
                ("period", "2026-11"),
            ])
        } else if path == "/compliance" {
            req.form(&[("csrf", csrf), ("text", "全网最低价"), ("kind", "script")])
        } else if path == "/compliance/titles" {
            let part = reqwest::multipart::Part::bytes(
                "商品标题\n阳澄湖大闸蟹 全网最低价\n".as_bytes().to_vec(),
            )
            .file_name("titles.csv");
            req.multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", csrf.to_string())
                    .part("file", part),
            )
        } else if path == "/programmes/{id}/issuer" {
            req.form(&[("csrf", csrf), ("issuer", "江苏省商务厅")])
        } else if path == "/sessions/{id}/roster" {
            // An upload form: the token and a file with no rows.
            let part = reqwest::multipart::Part::bytes("姓名,手机号\n".as_bytes().to_vec())
                .file_name("roster.csv");
            req.multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", csrf.to_string())
                    .part("file", part),
            )
        } else if let Some(b) = &training_json {
            req.json(b)
        } else if is_api {
            req.json(if is_person { &person_json } else { &org_json })
        } else if path == "/login" {
            let login = format!("nobody-{}", rand::random::<u32>());
            req.form(&[
                ("csrf", csrf),
                ("login", login.as_str()),
                ("password", "wrong-password"),
            ])
        } else if !is_person && !is_org {
            // Training page forms: the token plus what the form would send.
            req.form(&[("csrf", csrf), ("status", "published")])
        } else {
            let body = if is_person { &person_json } else { &org_json };
            let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.into())];
            for (k, v) in body.as_object().unwrap() {
                form.push((k.clone(), v.as_str().unwrap().to_string()));
            }
            req.form(&form)
        };
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = res.text().await.unwrap();
    // A failed log-in is the expected answer of POST /login here.
    if path == "/login" && method == "POST" {
        assert_eq!(status, 401);
        return Some((StatusCode::OK, body, None));
    }
    // Routes that check content after authorising: an authorised caller may
    // get a 409/422 (already registered, not open yet, no such transition).
    let content_checked = matches!(
        path,
        "/api/v1/sessions/{id}/status"
            | "/sessions/{id}/status"
            | "/api/v1/sessions/{id}/registrations"
            | "/sessions/{id}/register"
            | "/api/v1/sessions/{id}/heartbeat"
            | "/api/v1/venues/{id}/walk-ins"
            | "/sessions/{id}/roster"
            | "/api/v1/sessions/{id}/roster"
            | "/api/v1/courses/{id}/materials"
            | "/sessions"
            | "/certificates/{number}/revoke"
            | "/certificates.zip"
            | "/api/v1/rooms/{id}/sessions"
            | "/api/v1/live-sessions"
            | "/rooms/{id}/sessions"
            | "/account/password"
            | "/api/v1/me/password"
            | "/api/v1/match/needs/{id}/applications"
            | "/api/v1/match/applications/{id}/actions"
            | "/match/needs/{id}/apply"
            | "/match/applications/{id}/act"
            | "/api/v1/match/applications/{id}/facts"
            | "/match/applications/{id}/verify"
            | "/match/needs"
    );
    let status = if content_checked && matches!(status.as_u16(), 409 | 422) {
        StatusCode::OK
    } else {
        status
    };
    Some((status, location.unwrap_or(body), thing.map(|x| x.name)))
}
