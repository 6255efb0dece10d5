//! Training operations end to end: targets and progress, registration with
//! a waitlist, signed tickets, idempotent check-in, online attendance.

use fanxing_core::auth::Actor;
use fanxing_core::now;
use fanxing_core::people::store::PeopleQuery;
use fanxing_core::people::PersonId;
use fanxing_core::store::prelude::*;
use fanxing_core::training::service::{ScanInput, SessionView};
use fanxing_core::training::{
    format_local, ProgrammeId, SessionId, SessionInput, SessionStatus, VenueId, VenueKind,
};
use fanxing_demo::SeedStore;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::common::{assert_says, TestApp};

/// The province office and a programme of its own.
async fn admin_and_programme(app: &TestApp) -> (Actor, ProgrammeId) {
    let admin = app.actor("admin").await;
    let programme = app.programme(&admin, "繁星计划").await;
    (admin, programme)
}

/// A single main venue, for `session`.
fn main_venue(name: &str, region: &str, capacity: i64) -> Value {
    json!([{"kind": "main", "name": name, "address": "", "region": region, "capacity": capacity}])
}

/// Creates a session as `admin`, published or as a draft.
async fn create(app: &TestApp, admin: &Actor, input: &SessionInput, publish: bool) -> SessionView {
    app.opened
        .app
        .training
        .create_session(admin, input, publish)
        .await
        .unwrap()
}

/// Closes a session as `admin`.
async fn close(app: &TestApp, admin: &Actor, id: SessionId) -> fanxing_core::Result<SessionView> {
    app.opened
        .app
        .training
        .set_session_status(admin, id, SessionStatus::Closed, None)
        .await
}

/// Posts a batch of scans at a venue's door; the answers, one a scan.
async fn post_scans(app: &TestApp, api: &reqwest::Client, venue: VenueId, body: &Value) -> Value {
    let path = format!("/api/v1/venues/{venue}/scans");
    app.post_json(api, &path, body).await.json().await.unwrap()
}

/// A trainee's registration for session `id` through the API, refused with
/// a 422 naming `message`.
async fn assert_registration_refused(
    app: &TestApp,
    trainee: &reqwest::Client,
    id: SessionId,
    message: &str,
) {
    let path = format!("/api/v1/sessions/{id}/registrations");
    assert_says(
        app.post_json(trainee, &path, &json!({})).await,
        422,
        message,
    )
    .await;
}

fn session(
    programme: ProgrammeId,
    region: &str,
    venues: Value,
    start: i64,
    minutes: i64,
) -> SessionInput {
    serde_json::from_value(json!({
        "programme_id": programme,
        "title": format!("测试培训 {region}"),
        "region": region,
        "starts_at": format_local(start),
        "ends_at": format_local(start + minutes * 60),
        "reg_opens_at": format_local(start - 30 * 86400),
        "reg_closes_at": format_local(start),
        "venues": venues,
    }))
    .unwrap()
}

async fn people_in(app: &TestApp, region: &str, n: i64) -> Vec<PersonId> {
    let code = fanxing_core::region::RegionCode::parse(region).unwrap();
    app.opened
        .store
        .list_people(&PeopleQuery {
            access: fanxing_core::auth::Access::Regions(code.subtree()),
            text: None,
            region: None,
            tier: None,
            org_id: None,
            offset: 0,
            limit: n,
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|p| p.id)
        .collect()
}

fn venue_id(v: &SessionView, kind: VenueKind) -> VenueId {
    v.venues
        .iter()
        .find(|l| l.venue.kind == kind)
        .unwrap()
        .venue
        .id
}

#[tokio::test]
async fn progress_rolls_up_exactly_from_random_data() {
    let app = TestApp::spawn().await;
    let fx = &app.opened.app;
    let (admin, programme) = admin_and_programme(&app).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let counties: Vec<String> = app
        .opened
        .store
        .list_regions(Some(fanxing_core::region::RegionLevel::County), None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.code.to_string())
        .collect();
    let past = now() - 10 * 86400;
    for i in 0..24 {
        let county = &counties[rng.random_range(0..counties.len())];
        let city = format!("{}00", &county[..4]);
        let online_city = if rng.random_bool(0.5) {
            city.clone()
        } else {
            county.clone()
        };
        let input = session(
            programme,
            &city,
            json!([
                {"kind": "main", "name": "主会场", "address": "", "region": county, "capacity": 100},
                {"kind": "online", "name": "线上", "address": "", "region": online_city, "capacity": 100, "stream_url": "https://live.example/x"}
            ]),
            past + i * 3600,
            120,
        );
        let v = create(&app, &admin, &input, true).await;
        // Register some people of that city at either venue, then mark
        // attendance for part of them and maybe close the session.
        let people = people_in(&app, &city, rng.random_range(3..30)).await;
        let mut attended = Vec::new();
        for p in people {
            let venue = if rng.random_bool(0.7) {
                venue_id(&v, VenueKind::Main)
            } else {
                venue_id(&v, VenueKind::Online)
            };
            fx.training
                .register(&admin, v.session.id, Some(p), Some(venue))
                .await
                .unwrap();
            if rng.random_bool(0.8) {
                attended.push(p);
            }
        }
        app.opened
            .store
            .mark_attended(v.session.id, &attended, past)
            .await
            .unwrap();
        if rng.random_bool(0.7) {
            close(&app, &admin, v.session.id).await.unwrap();
        }
    }
    // Targets: the province, its cities (which do not add up), a county.
    let admin_api = app.api("admin").await;
    let res = admin_api
        .put(app.url(&format!("/api/v1/programmes/{programme}/targets")))
        .json(&json!([
            {"region": "320000", "sessions": 1160, "attendances": 67500},
            {"region": "320500", "sessions": 150, "attendances": 9000},
            {"region": "320100", "sessions": 120, "attendances": 8000},
            {"region": "320000", "tier": "operator", "sessions": 600, "attendances": 40000}
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let suzhou_api = app.api("suzhou").await;
    let res = suzhou_api
        .put(app.url(&format!("/api/v1/programmes/{programme}/targets")))
        .json(&json!([{"region": "320583", "sessions": 20, "attendances": 1500}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A city office may not change its own target, nor another city's.
    for region in ["320500", "320100"] {
        let res = suzhou_api
            .put(app.url(&format!("/api/v1/programmes/{programme}/targets")))
            .json(&json!([{"region": region, "sessions": 1, "attendances": 1}]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{region}");
    }

    let get = |region: &str| {
        let url = app.url(&format!(
            "/api/v1/programmes/{programme}/progress?region={region}"
        ));
        let c = admin_api.clone();
        async move {
            c.get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let province = get("320000").await;
    assert_eq!(province["targets"]["total"]["attendances"], 67500);
    assert_eq!(province["targets"]["by_tier"]["operator"]["sessions"], 600);
    let sum = |children: &Value, measure: &str| -> i64 {
        children
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["actuals"]["total"][measure].as_i64().unwrap())
            .sum()
    };
    let cities = &province["children"];
    assert_eq!(cities.as_array().unwrap().len(), 13);
    for m in ["sessions", "attendances"] {
        assert_eq!(
            province["actuals"]["total"][m].as_i64().unwrap(),
            sum(cities, m),
            "province {m}"
        );
    }
    assert!(
        province["actuals"]["total"]["attendances"]
            .as_i64()
            .unwrap()
            > 0
    );
    // Per tier too.
    for tier in ["cadre", "company_head", "operator"] {
        let by: i64 = cities
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                c["actuals"]["by_tier"][tier]["attendances"]
                    .as_i64()
                    .unwrap()
            })
            .sum();
        assert_eq!(
            province["actuals"]["by_tier"][tier]["attendances"]
                .as_i64()
                .unwrap(),
            by,
            "{tier}"
        );
    }
    // Each city equals the sum over its counties and zones (plus its own
    // level, e.g. a city-wide online stream).
    for c in cities.as_array().unwrap() {
        let code = c["region"].as_str().unwrap();
        let city = get(code).await;
        assert_eq!(
            city["actuals"], c["actuals"],
            "{code} seen from above and from itself"
        );
        for m in ["sessions", "attendances"] {
            assert_eq!(
                city["actuals"]["total"][m].as_i64().unwrap(),
                sum(&city["children"], m),
                "{code} {m}"
            );
        }
    }
    // The cities' allocations do not add up to the province's: said so.
    let gaps = province["allocation_gaps"].as_array().unwrap();
    assert!(gaps
        .iter()
        .any(|g| g["measure"] == "sessions" && g["target"] == 1160 && g["allocated"] == 270));
    // Actual attendances equal a direct count of attendance rows.
    let direct: i64 = {
        let pool = app.opened.store.pool();
        let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM attendances")
            .fetch_one(pool)
            .await
            .unwrap();
        row.0
    };
    assert_eq!(
        province["actuals"]["total"]["attendances"]
            .as_i64()
            .unwrap(),
        direct
    );
    // Scope: Suzhou sees Suzhou, not the province nor Nanjing.
    let res = app
        .get(
            &suzhou_api,
            &format!("/api/v1/programmes/{programme}/progress?region=320100"),
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .get(
            &suzhou_api,
            &format!("/api/v1/programmes/{programme}/progress"),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["region"], "320500");
}

#[tokio::test]
async fn capacity_waitlist_and_promotion() {
    let app = TestApp::spawn().await;
    let fx = &app.opened.app;
    let (admin, programme) = admin_and_programme(&app).await;
    let start = now() + 5 * 86400;
    let input = session(
        programme,
        "320500",
        main_venue("小会议室", "320583", 2),
        start,
        90,
    );
    let v = create(&app, &admin, &input, true).await;
    let s = v.session.id;
    let people = people_in(&app, "320583", 3).await;
    let mut regs = Vec::new();
    for p in &people {
        regs.push(
            fx.training
                .register(&admin, s, Some(*p), None)
                .await
                .unwrap(),
        );
    }
    assert!(!regs[0].waitlisted && !regs[1].waitlisted);
    assert!(regs[2].waitlisted, "the third waits");
    assert_eq!(regs[2].registration.waitlist_pos, Some(1));
    // Twice is refused.
    let twice = fx
        .training
        .register(&admin, s, Some(people[0]), None)
        .await
        .unwrap_err();
    assert!(matches!(twice, fanxing_core::Error::Conflict(_)));
    // One cancels: the third is promoted and told.
    let promoted = fx
        .training
        .cancel_registration(&admin, regs[0].registration.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(promoted.person_id, people[2]);
    assert_eq!(
        promoted.status,
        fanxing_core::training::RegistrationStatus::Registered
    );
    let notes = app.opened.store.notifications(people[2], 5).await.unwrap();
    assert!(notes[0].1.contains("候补转为正式报名"), "{notes:?}");
    let view = fx.training.session_view(Some(&admin), s).await.unwrap();
    assert_eq!(view.venues[0].registered, 2);
    assert_eq!(view.venues[0].waitlisted, 0);

    // Through the API as the trainee: eligibility and the window.
    let trainee = app.api("trainee").await;
    let tomorrow = || {
        session(
            programme,
            "320500",
            main_venue("会场", "320583", 5),
            now() + 86400,
            60,
        )
    };
    let mut input = tomorrow();
    input.reg_opens_at = Some(format_local(now() + 3600));
    let closed = create(&app, &admin, &input, true).await;
    assert_registration_refused(&app, &trainee, closed.session.id, "当前不在报名时间内").await;
    let mut input = tomorrow();
    input.eligible_tiers = vec!["cadre".into()];
    let cadres_only = create(&app, &admin, &input, true).await;
    assert_registration_refused(&app, &trainee, cadres_only.session.id, "不面向您的层级").await;
    // A draft session is invisible to trainees.
    let draft = create(&app, &admin, &tomorrow(), false).await;
    let res = app
        .get(&trainee, &format!("/api/v1/sessions/{}", draft.session.id))
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn signed_tickets_and_idempotent_checkin() {
    let app = TestApp::spawn().await;
    let fx = &app.opened.app;
    let (admin, programme) = admin_and_programme(&app).await;
    let venues = json!([
        {"kind": "main", "name": "昆山主会场", "address": "", "region": "320583", "capacity": 50},
        {"kind": "sub", "name": "姑苏分会场", "address": "", "region": "320508", "capacity": 50}
    ]);
    let input = session(programme, "320500", venues.clone(), now() + 1800, 120);
    let soon = create(&app, &admin, &input, true).await;
    let input = session(programme, "320500", venues, now() + 5 * 86400, 120);
    let later = create(&app, &admin, &input, true).await;
    let main = venue_id(&soon, VenueKind::Main);
    let sub = venue_id(&soon, VenueKind::Sub);
    let checkin = app.actor("checkin").await;
    app.opened
        .store
        .assign_venue_staff(main, checkin.user.id)
        .await
        .unwrap();
    let people = people_in(&app, "320583", 2).await;
    let reg = fx
        .training
        .register(&admin, soon.session.id, Some(people[0]), Some(main))
        .await
        .unwrap()
        .registration;
    let reg_sub = fx
        .training
        .register(&admin, soon.session.id, Some(people[1]), Some(sub))
        .await
        .unwrap()
        .registration;
    let later_reg = fx
        .training
        .register(&admin, later.session.id, Some(people[0]), None)
        .await
        .unwrap()
        .registration;
    let (_, code) = fx.training.ticket(&admin, reg.id).await.unwrap();
    let (_, code_sub) = fx.training.ticket(&admin, reg_sub.id).await.unwrap();
    let (_, code_later) = fx.training.ticket(&admin, later_reg.id).await.unwrap();

    // The device's kit verifies tickets without the server.
    let kit = fx.training.checkin_kit(&checkin, main).await.unwrap();
    assert_eq!(
        fanxing_core::training::ticket::verify(&kit.public_key, &code)
            .unwrap()
            .registration_id,
        reg.id
    );
    assert!(kit.roster.iter().all(|r| r.mobile.contains("****")));

    // Two devices scan the same ticket at the same moment, each retrying once.
    let api = app.api("checkin").await;
    let scan = |device: &str, scan_id: &str, code: &str| {
        let body = json!({"device_id": device, "scans": [{"scan_id": scan_id, "code": code, "scanned_at": now()}]});
        let (app, api) = (&app, &api);
        async move { post_scans(app, api, main, &body).await }
    };
    let (a, b) = tokio::join!(scan("phone-a", "a-1", &code), scan("phone-b", "b-1", &code));
    let statuses = [
        a[0]["status"].as_str().unwrap(),
        b[0]["status"].as_str().unwrap(),
    ];
    assert!(
        statuses.contains(&"accepted") && statuses.contains(&"duplicate"),
        "{a} {b}"
    );
    let dup = if a[0]["status"] == "duplicate" {
        &a
    } else {
        &b
    };
    assert!(
        dup[0]["message"].as_str().unwrap().contains("已于"),
        "{dup}"
    );
    assert!(dup[0]["message"].as_str().unwrap().contains("昆山主会场"));
    // Resending a scan gives the same answer and changes nothing.
    let again = scan("phone-a", "a-1", &code).await;
    assert_eq!(again[0]["status"], a[0]["status"]);
    // One batch holding a replay, a new scan of the same ticket and that
    // scan again: answered as if applied one after the other.
    let body = json!({"device_id": "phone-c", "scans": [
        {"scan_id": "a-1", "code": code},
        {"scan_id": "c-1", "code": code},
        {"scan_id": "c-1", "code": code},
    ]});
    let batch = post_scans(&app, &api, main, &body).await;
    assert_eq!(batch[0]["status"], a[0]["status"], "{batch}");
    assert_eq!(batch[1]["status"], "duplicate", "{batch}");
    assert_eq!(batch[2]["status"], "duplicate", "{batch}");
    assert_eq!(batch[1]["at"], batch[0]["at"], "{batch}");
    let (total, onsite, _) = app
        .opened
        .store
        .attendance_counts(soon.session.id)
        .await
        .unwrap();
    assert_eq!(
        (total, onsite),
        (1, 1),
        "one person-time, however many scans"
    );

    // Bad tickets, each with its reason.
    // Same session, another person: the signature no longer matches.
    let mut parts: Vec<String> = code.split('.').map(str::to_string).collect();
    parts[4] = (parts[4].parse::<i64>().unwrap() + 1).to_string();
    let forged = parts.join(".");
    let cases = [
        (forged.as_str(), "签名无效"),
        (&code[..code.len() - 9], "不是有效的"),
        ("not a ticket", "不是有效的"),
        (code_later.as_str(), "另一场培训"),
        (code_sub.as_str(), "此票属于「姑苏分会场」"),
    ];
    for (i, (c, expected)) in cases.iter().enumerate() {
        let r = scan("phone-a", &format!("bad-{i}"), c).await;
        assert_eq!(r[0]["status"], "refused", "{c}");
        assert!(
            r[0]["message"].as_str().unwrap().contains(expected),
            "{c}: {r}"
        );
    }
    // Staff may accept another venue's ticket on purpose.
    let body = json!({"device_id": "phone-a", "scans": [{"scan_id": "moved-1", "code": code_sub, "allow_other_venue": true}]});
    let r = post_scans(&app, &api, main, &body).await;
    assert_eq!(r[0]["status"], "accepted");
    // Before the window opens: the later session refuses check-in.
    let later_main = venue_id(&later, VenueKind::Main);
    let r = fx
        .training
        .record_scans(
            &admin,
            later_main,
            "x",
            &[ScanInput {
                scan_id: "early".into(),
                code: code_later.clone(),
                registration_id: None,
                scanned_at: None,
                allow_other_venue: false,
            }],
        )
        .await
        .unwrap();
    assert!(r[0].message.contains("签到尚未开始"), "{:?}", r[0]);
    // Staff of one venue cannot use another session's venue.
    let res = app
        .get(&api, &format!("/api/v1/venues/{later_main}/checkin-kit"))
        .await;
    assert_eq!(res.status(), 403);
    // Every attendance traces back to its scans.
    let pool = app.opened.store.pool();
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT scan_id, outcome FROM checkins ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert!(rows
        .iter()
        .any(|(s, o)| (s == "a-1" || s == "b-1") && o == "accepted"));
    assert!(
        !rows.iter().any(|(s, _)| s.starts_with("bad-")),
        "refused scans are not recorded as check-ins"
    );
}

#[tokio::test]
async fn online_presence_becomes_attendance_at_close() {
    let app = TestApp::spawn().await;
    let fx = &app.opened.app;
    let (admin, programme) = admin_and_programme(&app).await;
    let start = now() - 3600;
    let venues = json!([{"kind": "online", "name": "线上", "address": "", "region": "320500", "capacity": 100, "stream_url": "https://live.example/x"}]);
    let v = create(
        &app,
        &admin,
        &session(programme, "320500", venues, start, 100),
        true,
    )
    .await;
    let online = venue_id(&v, VenueKind::Online);
    let people = people_in(&app, "320500", 3).await;
    let mut regs = Vec::new();
    for p in &people {
        regs.push(
            fx.training
                .register(&admin, v.session.id, Some(*p), Some(online))
                .await
                .unwrap()
                .registration,
        );
    }
    // 60 % of 100 minutes is 60: the first watched 70 minutes, the second 59,
    // the third nothing.
    for m in 0..70 {
        app.opened
            .store
            .record_presence(regs[0].id, start / 60 + m)
            .await
            .unwrap();
    }
    for m in 0..59 {
        app.opened
            .store
            .record_presence(regs[1].id, start / 60 + m)
            .await
            .unwrap();
    }
    // The trainee's own heartbeat through the API works while it is on.
    let trainee = app.actor("trainee").await;
    // (The trainee may already be among the people registered above.)
    let _ = fx
        .training
        .register(&admin, v.session.id, trainee.user.person_id, Some(online))
        .await;
    let api = app.api("trainee").await;
    let res = app
        .post_empty(
            &api,
            &format!("/api/v1/sessions/{}/heartbeat", v.session.id),
        )
        .await;
    assert_eq!(res.status(), 200);
    close(&app, &admin, v.session.id).await.unwrap();
    let roster = fx
        .training
        .session_roster(&admin, v.session.id)
        .await
        .unwrap();
    let attended = |p: PersonId| {
        roster
            .iter()
            .find(|r| r.person_id == p)
            .unwrap()
            .attended_at
            .is_some()
    };
    assert!(attended(people[0]));
    assert!(!attended(people[1]), "59 of 100 minutes is under 60 %");
    assert!(!attended(people[2]));
    // Closing twice is refused.
    let e = close(&app, &admin, v.session.id).await.unwrap_err();
    assert!(matches!(e, fanxing_core::Error::Invalid(_)));
}

#[tokio::test]
async fn courses_and_materials() {
    let app = TestApp::spawn().await;
    let admin = app.api("admin").await;
    let body = json!({"title": "短视频内容策划", "tiers": ["operator", "企业负责人"], "duration_minutes": 180,
                      "lecturer": "lecturer", "competencies": ["content_planning", "ai_tools"]});
    let res = app.post_json(&admin, "/api/v1/courses", &body).await;
    assert_eq!(res.status(), 201);
    let course: Value = res.json().await.unwrap();
    let id = course["id"].as_i64().unwrap();
    assert_eq!(course["competencies"].as_array().unwrap().len(), 2);
    assert_eq!(course["tiers"], json!(["operator", "company_head"]));
    // Bad input: unknown lecturer, unknown competency, no tiers.
    for (body, field) in [
        (
            json!({"title": "x", "tiers": ["operator"], "duration_minutes": 60, "lecturer": "trainee"}),
            "lecturer",
        ),
        (
            json!({"title": "x", "tiers": ["operator"], "duration_minutes": 60, "competencies": ["juggling"]}),
            "competencies",
        ),
        (
            json!({"title": "x", "tiers": [], "duration_minutes": 60}),
            "tiers",
        ),
    ] {
        let res = app.post_json(&admin, "/api/v1/courses", &body).await;
        assert_eq!(res.status(), 422, "{body}");
        assert!(res.json::<Value>().await.unwrap()["error"]["fields"][field].is_string());
    }
    // The course's lecturer uploads a PDF; a renamed executable is refused.
    let lecturer = app.api("lecturer").await;
    let url = app.url(&format!("/api/v1/courses/{id}/materials?filename=讲义.pdf"));
    let res = lecturer
        .post(&url)
        .body(b"%PDF-1.7\n...".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let m: Value = res.json().await.unwrap();
    assert_says(
        lecturer
            .post(&url)
            .body(b"MZ\x90\x00 not a pdf".to_vec())
            .send()
            .await
            .unwrap(),
        422,
        "只接受 PDF",
    )
    .await;
    // A trainee may read and download, not upload.
    let trainee = app.api("trainee").await;
    let res = trainee
        .post(&url)
        .body(b"%PDF-1.7".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let (c, _) = app.login("trainee").await;
    let res = app.get(&c, &format!("/materials/{}", m["id"])).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
    // The framework has the ten seeded competencies and three tracks.
    let comps = app.get_json(&trainee, "/api/v1/competencies").await;
    assert_eq!(comps.as_array().unwrap().len(), 10);
    let tracks = app.get_json(&trainee, "/api/v1/tracks").await;
    assert_eq!(tracks.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn calendars_parse_and_follow_changes() {
    let app = TestApp::spawn().await;
    let fx = &app.opened.app;
    let (admin, programme) = admin_and_programme(&app).await;
    let start = fanxing_core::training::parse_local_datetime("2026-12-05 09:30").unwrap();
    let venues = json!([{"kind": "main", "name": "昆山报告厅", "address": "前进西路 1 号", "region": "320583", "capacity": 50}]);
    let v = create(
        &app,
        &admin,
        &session(programme, "320500", venues, start, 150),
        true,
    )
    .await;
    let trainee = app.actor("trainee").await;
    fx.training
        .register(&admin, v.session.id, trainee.user.person_id, None)
        .await
        .unwrap();
    let c = app.browser();
    let ics = app
        .get(&c, &format!("/sessions/{}/calendar.ics", v.session.id))
        .await;
    assert_eq!(
        ics.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let body = ics.text().await.unwrap();
    assert!(body.contains("DTSTART;TZID=Asia/Shanghai:20261205T093000"));
    assert!(body.contains("DTEND;TZID=Asia/Shanghai:20261205T120000"));
    // The personal feed: found by its secret link only; follows a cancellation.
    let feed = fx.reports.feed_path(&trainee).unwrap();
    let body = app.get_text(&c, &feed).await;
    assert!(body.contains("LOCATION:昆山报告厅 前进西路 1 号"));
    assert!(body.contains("STATUS:CONFIRMED"));
    let wrong = feed.replacen('-', "-0", 1);
    assert_eq!(app.get(&c, &wrong).await.status(), 404);
    fx.training
        .set_session_status(
            &admin,
            v.session.id,
            SessionStatus::Cancelled,
            Some("场地调整"),
        )
        .await
        .unwrap();
    let body = app.get_text(&c, &feed).await;
    assert!(body.contains("STATUS:CANCELLED"));
    assert!(body.contains("DESCRIPTION:场地调整"));
}

#[tokio::test]
async fn excel_progress_report_matches_the_api_and_is_audited() {
    let app = TestApp::spawn().await;
    let fx = &app.opened.app;
    let (admin, programme) = admin_and_programme(&app).await;
    let past = now() - 5 * 86400;
    let input = session(
        programme,
        "320500",
        main_venue("报告厅", "320583", 50),
        past,
        120,
    );
    let v = create(&app, &admin, &input, true).await;
    let people = people_in(&app, "320583", 12).await;
    for p in &people {
        fx.training
            .register(&admin, v.session.id, Some(*p), None)
            .await
            .unwrap();
    }
    app.opened
        .store
        .mark_attended(v.session.id, &people[..9], past)
        .await
        .unwrap();
    fx.training
        .set_targets(
            &admin,
            programme,
            &[fanxing_core::training::service::TargetInput {
                region: "320500".into(),
                tier: None,
                sessions: 10,
                attendances: 300,
            }],
        )
        .await
        .unwrap();
    let (c, _) = app.login("admin").await;
    // The dashboard carries the training-impact card, its outcome chosen by
    // a link; an unknown outcome is named, not ignored.
    let page = |q: &'static str| {
        let c = &c;
        let url = app.url(&format!("/programmes/{programme}?region=320500{q}"));
        async move {
            let res = c.get(url).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let (status, html) = page("").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"id="impact""#), "{html}");
    assert!(
        html.contains("数据不足以得出结论"),
        "no trained rooms here, and the card says so: {html}"
    );
    let (status, _) = page("&outcome=gpm").await;
    assert_eq!(status, 200);
    let (status, html) = page("&outcome=joy").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("outcome") || html.contains("选项"), "{html}");
    let res = app
        .get(
            &c,
            &format!("/programmes/{programme}/report.xlsx?region=320000"),
        )
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    let grid = fanxing_core::training::roster::read_grid("r.xlsx", &bytes).unwrap();
    let text = |c: &fanxing_core::training::roster::Cell| c.shown().into_owned();
    let suzhou = grid
        .iter()
        .find(|r| r.first().map(text).as_deref() == Some("苏州市"))
        .unwrap();
    assert_eq!(
        suzhou[4],
        fanxing_core::training::roster::Cell::Number(300.0),
        "target as a number"
    );
    assert_eq!(
        suzhou[5],
        fanxing_core::training::roster::Cell::Number(9.0),
        "attendances as a number"
    );
    let api = app
        .get_json(
            &app.api("admin").await,
            &format!("/api/v1/programmes/{programme}/progress?region=320000"),
        )
        .await;
    let total = grid
        .iter()
        .find(|r| r.first().map(text).unwrap_or_default().contains("合计"))
        .unwrap();
    assert_eq!(
        total[5],
        fanxing_core::training::roster::Cell::Number(
            api["actuals"]["total"]["attendances"].as_f64().unwrap()
        )
    );
    assert!(
        String::from_utf8_lossy(&bytes).contains("xl/charts/chart1.xml"),
        "a native chart"
    );
    assert!(app
        .audit()
        .await
        .iter()
        .any(|e| e["action"] == "export.progress"));
    // Suzhou cannot export the province.
    let (s, _) = app.login("suzhou").await;
    let res = app
        .get(
            &s,
            &format!("/programmes/{programme}/report.xlsx?region=320000"),
        )
        .await;
    assert_eq!(res.status(), 403);
    // The attendance list of the session.
    let res = app
        .get(&c, &format!("/sessions/{}/attendance.xlsx", v.session.id))
        .await;
    let grid =
        fanxing_core::training::roster::read_grid("a.xlsx", &res.bytes().await.unwrap()).unwrap();
    assert_eq!(grid.len(), 14, "title + header + 12 registrations");
    assert!(text(&grid[0][0]).contains("签到表"), "a title row");
    assert!(
        grid.iter().skip(2).all(|r| text(&r[1]).contains("****")),
        "mobiles masked"
    );
    assert_eq!(text(&grid[1][5]), "候补序号", "registrations with waitlist");
    assert_eq!(text(&grid[1][8]), "单位", "the organisation column");
    let audit = app.audit().await;
    let target = format!("session:{}", v.session.id);
    let entries: Vec<&Value> = audit
        .iter()
        .filter(|e| e["target"] == target.as_str())
        .filter(|e| e["action"] == "export.attendance" || e["action"] == "roster.read")
        .collect();
    assert_eq!(entries.len(), 1, "the export is audited once: {entries:?}");
    assert_eq!(entries[0]["action"], "export.attendance");

    // Every attendance of a region, streamed: rows equal the count.
    for (region, rows) in [("320000", 9), ("320583", 9), ("320100", 0)] {
        let res = app
            .get(
                &c,
                &format!("/programmes/{programme}/attendances.xlsx?region={region}"),
            )
            .await;
        assert_eq!(res.status(), 200, "{region}");
        let grid = fanxing_core::training::roster::read_grid("x.xlsx", &res.bytes().await.unwrap())
            .unwrap();
        assert_eq!(grid.len(), 1 + rows, "{region}: header + {rows} rows");
        assert_eq!(text(&grid[0][4]), "姓名");
        assert!(grid.iter().skip(1).all(|r| text(&r[5]).contains("****")));
    }
    assert!(app
        .audit()
        .await
        .iter()
        .any(|e| e["action"] == "export.attendances" && e["detail"] == "region 320583, 9 rows"));
    let res = app
        .get(
            &s,
            &format!("/programmes/{programme}/attendances.xlsx?region=320000"),
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn certificates_issue_verify_download_and_revoke() {
    let app = TestApp::spawn().await;
    let fx = &app.opened.app;
    let (admin, programme) = admin_and_programme(&app).await;
    let trainee = app.actor("trainee").await;
    let person = trainee.user.person_id.unwrap();
    // The operators' track needs four attended operator sessions.
    let mut last = SessionId(0);
    for k in 0..4 {
        let start = now() - (10 - k) * 86400;
        let mut input = session(
            programme,
            "320500",
            main_venue("报告厅", "320583", 50),
            start,
            120,
        );
        input.tier = Some("operator".into());
        let v = create(&app, &admin, &input, true).await;
        fx.training
            .register(&admin, v.session.id, Some(person), None)
            .await
            .unwrap();
        app.opened
            .store
            .mark_attended(v.session.id, &[person], start)
            .await
            .unwrap();
        if k < 3 {
            close(&app, &admin, v.session.id).await.unwrap();
            assert!(
                fx.curriculum
                    .my_certificates(&trainee)
                    .await
                    .unwrap()
                    .is_empty(),
                "not yet after {} sessions",
                k + 1
            );
        }
        last = v.session.id;
    }
    close(&app, &admin, last).await.unwrap();
    let certs = fx.curriculum.my_certificates(&trainee).await.unwrap();
    assert_eq!(certs.len(), 1, "issued when the fourth session closed");
    let number = certs[0].number.clone();
    let c = app.browser();
    let html = app.get_text(&c, &format!("/verify/{number}")).await;
    assert!(html.contains("有效"));
    assert!(
        !html.contains(&certs[0].person_name),
        "the public page masks the name"
    );
    assert!(html.contains(&certs[0].masked_name()));
    // Unknown and malformed numbers: a plain 404 page.
    for bad in ["FX2026-ZZZZZZZZ", "<script>", "1"] {
        assert_says(
            app.get(&c, &format!("/verify/{}", crate::common::urlencode(bad)))
                .await,
            404,
            "未找到该证书编号",
        )
        .await;
    }
    // The holder downloads a PDF with the CJK font embedded as a subset.
    let (t, _) = app.login("trainee").await;
    let res = app.get(&t, &format!("/certificates/{number}/pdf")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/FontFile"), "font program embedded");
    assert!(text.contains("Noto"), "the Noto CJK face");
    // Kunshan's office finds it by session and downloads them all as a zip.
    let (k, csrf) = app.login("kunshan").await;
    let html = app
        .get_text(&k, &format!("/certificates?session={last}"))
        .await;
    assert!(html.contains(&number) && html.contains("共 1 张"), "{html}");
    let res = app
        .get(&k, &format!("/certificates.zip?session={last}"))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(zip.len(), 1);
    let mut entry = zip.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), format!("{number}.pdf"));
    let mut inner = Vec::new();
    std::io::Read::read_to_end(&mut entry, &mut inner).unwrap();
    assert!(inner.starts_with(b"%PDF"));
    // A malformed filter is named; Nanjing's scope holds none of them.
    assert_says(
        app.get(&k, "/certificates.zip?session=abc").await,
        422,
        "请输入数字",
    )
    .await;
    let (n, _) = app.login("nanjing").await;
    assert_says(
        app.get(&n, &format!("/certificates.zip?session={last}"))
            .await,
        422,
        "没有符合条件的证书",
    )
    .await;
    assert!(app
        .audit()
        .await
        .iter()
        .any(|e| e["action"] == "export.certificates" && e["detail"] == "1 certificates"));
    // Nanjing may not download it; Kunshan revokes it with a reason.
    assert_eq!(
        app.get(&n, &format!("/certificates/{number}/pdf"))
            .await
            .status(),
        404
    );
    let res = app
        .post_form(
            &k,
            &csrf,
            &format!("/certificates/{number}/revoke"),
            &[("reason", "")],
        )
        .await;
    assert_eq!(res.status(), 422, "a reason is required");
    let res = app
        .post_form(
            &k,
            &csrf,
            &format!("/certificates/{number}/revoke"),
            &[("reason", "资料不实")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let html = app.get_text(&c, &format!("/verify/{number}")).await;
    assert!(html.contains("已撤销") && html.contains("资料不实"));
}

/// While another write holds the database (an import's transaction), scans
/// are still answered at once, as they would be otherwise, and count once
/// the write is done. On SQLite they wait in the scan journal; a journal
/// left by a crash is applied when the store next opens.
#[tokio::test]
async fn scans_are_answered_while_an_import_holds_the_writer() {
    let app = TestApp::spawn().await;
    let fx = &app.opened.app;
    let (admin, programme) = admin_and_programme(&app).await;
    let venues = json!([
        {"kind": "main", "name": "昆山主会场", "address": "", "region": "320583", "capacity": 50}
    ]);
    let soon = create(
        &app,
        &admin,
        &session(programme, "320500", venues, now() + 1800, 120),
        true,
    )
    .await;
    let main = venue_id(&soon, VenueKind::Main);
    let checkin = app.actor("checkin").await;
    app.opened
        .store
        .assign_venue_staff(main, checkin.user.id)
        .await
        .unwrap();
    let people = people_in(&app, "320583", 3).await;
    let mut codes = Vec::new();
    for p in &people {
        let reg = fx
            .training
            .register(&admin, soon.session.id, Some(*p), Some(main))
            .await
            .unwrap()
            .registration;
        codes.push(fx.training.ticket(&admin, reg.id).await.unwrap().1);
    }
    let api = app.api("checkin").await;
    let scan = |scans: Value| {
        let body = json!({"device_id": "door-1", "scans": scans});
        let (app, api) = (&app, &api);
        async move { post_scans(app, api, main, &body).await }
    };
    let attended = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM attendances WHERE session_id = $1")
            .bind(soon.session.id.0)
            .fetch_one(app.opened.store.pool())
            .await
            .unwrap()
    };
    // One scan before, so the journal has a main-database row to respect.
    // If a background write (expiry, re-scoring, tallies) held the writer
    // at that moment, the scan waits in the journal: wait until it is in
    // the main database.
    let first = scan(json!([{"scan_id": "s-0", "code": codes[0]}])).await;
    assert_eq!(first[0]["status"], "accepted", "{first}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while attended().await < 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first scan never reached the main database"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Hold the writer as an import's transaction does.
    let mut held = app.opened.store.writer().begin().await.unwrap();
    sqlx::query("UPDATE venues SET capacity = capacity WHERE id = $1")
        .bind(main.0)
        .execute(&mut *held)
        .await
        .unwrap();
    let during = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        scan(json!([
            {"scan_id": "s-1", "code": codes[1]},
            {"scan_id": "s-2", "code": codes[0]},
            {"scan_id": "s-1", "code": codes[1]},
        ])),
    )
    .await;
    let during = during.expect("a scan is answered while the writer is held");
    assert_eq!(during[0]["status"], "accepted", "{during}");
    assert_eq!(during[1]["status"], "duplicate", "{during}");
    assert_eq!(during[2]["status"], "accepted", "{during}");
    // A scan of a ticket scanned a moment ago is a duplicate too.
    let again = scan(json!([{"scan_id": "s-3", "code": codes[1]}])).await;
    assert_eq!(again[0]["status"], "duplicate", "{again}");
    if fanxing_store_is_sqlite() {
        // Nothing in the main database yet: the scans wait in the journal.
        assert_eq!(attended().await, 1);
        // A crash now: copy the files as they stand and open the copy.
        let copy = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(app.data_dir()).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
            }
        }
        held.rollback().await.unwrap();
        let url = fanxing_store::sqlite_url(copy.path());
        // And an entry the database will refuse (its registration is not
        // there), oldest of all: it is set aside, the rest still applied.
        {
            let j = sqlx::AnyPool::connect(&format!(
                "sqlite://{}?mode=rw",
                copy.path().join("fanxing.db.scan-journal").display()
            ))
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO scan_journal (seq, scan_id, session_id, programme_id, registration_id, \
                 person_id, venue_id, device_id, method, scanned_at, received_at, tier, region, \
                 outcome, made) VALUES (0, 'ghost', $1, $2, 999999999, 999999999, $3, 'd', 'qr', \
                 1, 1, 'operator', 320583, 'accepted', 1)",
            )
            .bind(soon.session.id.0)
            .bind(programme.0)
            .bind(main.0)
            .execute(&j)
            .await
            .unwrap();
            j.close().await;
        }
        let reopened = fanxing_store::open(&url, 2).await.unwrap();
        assert_eq!(reopened.recover_checkins().await.unwrap(), 4);
        let refused: Vec<(String, String)> =
            sqlx::query_as("SELECT scan_id, reason FROM scan_journal_refused")
                .fetch_all(
                    &sqlx::AnyPool::connect(&format!(
                        "sqlite://{}?mode=rw",
                        copy.path().join("fanxing.db.scan-journal").display()
                    ))
                    .await
                    .unwrap(),
                )
                .await
                .unwrap();
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0].0, "ghost");
        let n =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM attendances WHERE session_id = $1")
                .bind(soon.session.id.0)
                .fetch_one(reopened.pool())
                .await
                .unwrap();
        assert_eq!(n, 2, "the journal left by a crash is applied on opening");
    } else {
        // PostgreSQL locks rows, and a scan does not need this one.
        held.rollback().await.unwrap();
    }
    // Once the writer is free, the journal is applied: both attendances and
    // every scan, with the outcomes they were given.
    let mut n = 0;
    for _ in 0..100 {
        n = attended().await;
        if n == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(n, 2);
    let outcomes: Vec<(String, String)> = sqlx::query_as(
        "SELECT scan_id, outcome FROM checkins WHERE venue_id = $1 ORDER BY scan_id",
    )
    .bind(main.0)
    .fetch_all(app.opened.store.pool())
    .await
    .unwrap();
    let want: Vec<(String, String)> = [
        ("s-0", "accepted"),
        ("s-1", "accepted"),
        ("s-2", "duplicate"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(&outcomes[..3], &want[..], "{outcomes:?}");
}

fn fanxing_store_is_sqlite() -> bool {
    !crate::common::is_postgres()
}
