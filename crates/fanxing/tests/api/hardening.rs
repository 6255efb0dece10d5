//! Defects found by probing Fanxing as an attacker with a low-privilege
//! account would: look-ups by mobile that reached other cities' people,
//! numbers on forms, open redirects, unchecked arithmetic, links and text
//! that cannot be trusted, cross-site writes, cache and file permissions.
//! Each test here failed before its fix.

use fanxing_core::now;
use fanxing_core::store::prelude::*;
use fanxing_core::training::{format_local, SessionId, VenueId};
use serde_json::{json, Value};

use crate::common::{fresh_mobile, is_postgres, TestApp};

/// A published Suzhou session for operators of Suzhou, starting within the
/// hour (so check-in is open), with a main venue; returns (session, venue).
pub(crate) async fn suzhou_session_today(app: &TestApp) -> (SessionId, VenueId) {
    let admin = app.actor("admin").await;
    let fx = &app.opened.app;
    let programme = app.programme(&admin, "繁星计划").await;
    let start = now() + 1800;
    let input = serde_json::from_value(json!({
        "programme_id": programme,
        "title": "苏州运营人员专场",
        "region": "320500",
        "eligible_tiers": ["operator"],
        "eligible_region": "320500",
        "starts_at": format_local(start),
        "ends_at": format_local(start + 3 * 3600),
        "venues": [
            {"kind": "main", "name": "苏州国际会议中心", "address": "", "region": "320508", "capacity": 700}
        ]
    }))
    .unwrap();
    let view = fx
        .training
        .create_session(&admin, &input, true)
        .await
        .unwrap();
    (view.session.id, view.venues[0].venue.id)
}

/// The roster of a session as the province office's API gives it.
async fn roster(app: &TestApp, session: SessionId) -> Vec<Value> {
    let admin = app.api("admin").await;
    let path = format!("/api/v1/sessions/{session}/roster");
    app.get(&admin, &path).await.json().await.unwrap()
}

/// One person of `region`'s subtree with the given tier: (id, name, full mobile).
pub(crate) async fn someone_in(app: &TestApp, region: &str, tier: &str) -> (i64, String, String) {
    let admin = app.api("admin").await;
    let page = app
        .get_json(
            &admin,
            &format!("/api/v1/people?region={region}&tier={tier}&per_page=5"),
        )
        .await;
    let p = page["items"][0].clone();
    let id = p["id"].as_i64().expect("a person there");
    let full: Value = app.reveal(&admin, id).await;
    (
        id,
        p["name"].as_str().unwrap().to_string(),
        full["mobile"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn walk_ins_are_scoped_reveal_no_names_and_check_eligibility() {
    let app = TestApp::spawn().await;
    let (session, venue) = suzhou_session_today(&app).await;
    let (_, nj_name, nj_mobile) = someone_in(&app, "320100", "operator").await;
    let (sz_id, sz_name, sz_mobile) = someone_in(&app, "320500", "operator").await;
    let (_, _, sz_cadre_mobile) = someone_in(&app, "320500", "cadre").await;
    let checkin_user = app
        .opened
        .store
        .find_user_by_username("checkin")
        .await
        .unwrap()
        .unwrap();
    app.opened
        .store
        .assign_venue_staff(venue, checkin_user.id)
        .await
        .unwrap();
    let path = format!("/api/v1/venues/{venue}/walk-ins");
    // Roles without this venue are refused before any look-up.
    for who in ["nanjing", "kunshan", "lecturer", "trainee", "bank"] {
        let res = app
            .post_json(
                &app.api(who).await,
                &path,
                &json!({"name": "假名字", "mobile": sz_mobile}),
            )
            .await;
        assert!(
            matches!(res.status().as_u16(), 403 | 404),
            "{who}: {}",
            res.status()
        );
        assert!(!res.text().await.unwrap().contains(&sz_name));
    }
    for who in ["checkin", "suzhou", "admin"] {
        let c = app.api(who).await;
        // Another city's person, under a made-up name: refused as the
        // person form refuses a mobile in use, without their name.
        let res = app
            .post_json(&c, &path, &json!({"name": "假名字", "mobile": nj_mobile}))
            .await;
        assert_eq!(res.status(), 422, "{who}");
        let body = res.text().await.unwrap();
        assert!(!body.contains(&nj_name), "{who} learnt the stored name");
        assert!(body.contains("mobile"), "{body}");
        // Even under their real name: outside the session's scope.
        let res = app
            .post_json(&c, &path, &json!({"name": nj_name, "mobile": nj_mobile}))
            .await;
        assert_eq!(res.status(), 422, "{who}");
        // A person in scope under another name: refused, name not told.
        let res = app
            .post_json(&c, &path, &json!({"name": "假名字", "mobile": sz_mobile}))
            .await;
        assert_eq!(res.status(), 422, "{who}");
        assert!(!res.text().await.unwrap().contains(&sz_name));
        // A cadre, for an operators-only session: the eligibility rule of
        // registration applies at the door too.
        let res = app
            .post_json(
                &c,
                &path,
                &json!({"name": "新学员", "mobile": fresh_mobile(), "tier": "cadre"}),
            )
            .await;
        assert_eq!(res.status(), 422, "{who}");
        assert!(res.text().await.unwrap().contains("tier"));
        let cadre_name = app
            .get_json(
                &app.api("admin").await,
                "/api/v1/people?region=320500&tier=cadre&per_page=5",
            )
            .await["items"][0]["name"]
            .as_str()
            .unwrap()
            .to_string();
        let res = app
            .post_json(
                &c,
                &path,
                &json!({"name": cadre_name, "mobile": sz_cadre_mobile}),
            )
            .await;
        assert_eq!(res.status(), 422, "{who}: a stored cadre walked in");
    }
    // The right person under their own name is checked in.
    let res = app
        .post_json(
            &app.api("checkin").await,
            &path,
            &json!({"name": sz_name, "mobile": sz_mobile}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["status"], "accepted", "{v}");
    // Nothing else was registered.
    let roster = roster(&app, session).await;
    assert_eq!(roster.len(), 1, "{roster:?}");
    assert_eq!(roster[0]["person_id"].as_i64(), Some(sz_id));
}

#[tokio::test]
async fn roster_imports_match_people_only_in_the_callers_scope() {
    let app = TestApp::spawn().await;
    let (session, _) = suzhou_session_today(&app).await;
    let (_, nj_name, nj_mobile) = someone_in(&app, "320100", "operator").await;
    let (_, ks_name, ks_mobile) = someone_in(&app, "320583", "operator").await;
    let upload = |who: &'static str, csv: String| {
        let app = &app;
        async move {
            let c = app.api(who).await;
            let res = c
                .post(app.url(&format!("/api/v1/sessions/{session}/roster?filename=r.csv")))
                .body(csv.into_bytes())
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    // Suzhou imports a made-up name with a Nanjing person's mobile.
    let (status, body) = upload(
        "suzhou",
        format!("姓名,手机号,层级,所在地区\n编造的名字,{nj_mobile},运营人员,姑苏区\n"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("手机号") || body.contains("mobile"), "{body}");
    assert!(!body.contains(&nj_name), "the stored name leaked: {body}");
    // Every other role: refused before any look-up, and nothing of the
    // Nanjing person is told (the authorisation matrix for roster imports
    // with an out-of-scope person).
    for who in [
        "nanjing", "kunshan", "lecturer", "trainee", "checkin", "bank",
    ] {
        let (status, body) = upload(
            who,
            format!("姓名,手机号,层级,所在地区\n编造的名字,{nj_mobile},运营人员,姑苏区\n"),
        )
        .await;
        assert!(matches!(status, 403 | 404), "{who}: {status} {body}");
        assert!(
            !body.contains(&nj_name),
            "{who} learnt the stored name: {body}"
        );
    }
    // A county's people are within its city's reach.
    let (status, body) = upload(
        "suzhou",
        format!("姓名,手机号,层级,所在地区\n{ks_name},{ks_mobile},运营人员,昆山\n"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["matched"], 1, "{v}");
    // The roster holds only that one person.
    let roster = roster(&app, session).await;
    assert_eq!(roster.len(), 1);
    assert!(!serde_json::to_string(&roster).unwrap().contains(&nj_name));
}

#[tokio::test]
async fn redirects_stay_on_this_site_and_never_fail() {
    let app = TestApp::spawn().await;
    let c = app.browser();
    for back in [
        "/%09/evil.example",
        "/%0A/x",
        "/%0D%0ASet-Cookie:x=1",
        "//evil.example",
    ] {
        let res = app.get(&c, &format!("/lang/en?back={back}")).await;
        assert_eq!(res.status(), 303, "{back}");
        assert_eq!(res.headers()["location"], "/", "{back}");
    }
    // Log-in with a hostile `next` lands at home.
    let csrf = app.csrf(&c).await;
    let res = app
        .post_form(
            &c,
            &csrf,
            "/login",
            &[
                ("login", "suzhou"),
                ("password", fanxing_demo::DEMO_PASSWORD),
                ("next", "/\t/evil.example"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
    // The targets form's `region_back` goes into its redirect as a code only.
    let programme = app.programme(&app.actor("admin").await, "P").await;
    let (c, csrf) = app.login("admin").await;
    for back in ["320500\r\nSet-Cookie: x=1", "/\t/evil.example"] {
        let res = app
            .post_form(
                &c,
                &csrf,
                &format!("/programmes/{programme}/targets"),
                &[
                    ("s_320100", "5"),
                    ("a_320100", "300"),
                    ("region_back", back),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "{back:?}");
        assert_eq!(
            res.headers()["location"],
            format!("/programmes/{programme}?region=&saved=1").as_str()
        );
    }
}

#[tokio::test]
async fn numbers_users_send_are_bounded() {
    let app = TestApp::spawn().await;
    let admin = app.api("admin").await;
    let programme = app
        .post_json(
            &admin,
            "/api/v1/programmes",
            &json!({"name": "P", "starts_on": "2025-01-01", "ends_on": "2026-12-31"}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    for (sessions, attendances) in [(i64::MAX, 1), (1, i64::MAX), (100_000_001, 0)] {
        let res = admin
            .put(app.url(&format!("/api/v1/programmes/{programme}/targets")))
            .json(&json!([
                {"region": "320100", "sessions": sessions, "attendances": attendances},
                {"region": "320200", "sessions": sessions, "attendances": attendances}
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{sessions} {attendances}");
    }
    let huge = i64::MAX.to_string();
    for path in [
        format!("/api/v1/people?page={huge}"),
        format!("/api/v1/sessions?page={huge}"),
        format!("/api/v1/rooms?page={huge}"),
        format!("/api/v1/people?page=-{huge}"),
        // NUL in search text: PostgreSQL would fail where SQLite searches.
        "/api/v1/people?q=%E7%8E%8B%00".to_string(),
        "/api/v1/rooms?q=%00".to_string(),
    ] {
        let res = app.get(&admin, &path).await;
        assert_eq!(res.status(), 200, "{path}");
    }
    for path in [
        "/people?page=9223372036854775807",
        "/sessions?page=9223372036854775807",
    ] {
        let (c, _) = app.login("admin").await;
        let res = app.get(&c, path).await;
        assert_eq!(res.status(), 200, "{path}");
    }
    // Malformed query strings answer in the API's JSON error shape.
    let res = app.get(&admin, "/api/v1/people?page=abc").await;
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bad_request", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("查询参数"));
}

#[tokio::test]
async fn text_and_links_that_cannot_be_trusted_are_refused() {
    let app = TestApp::spawn().await;
    let suzhou = app.api("suzhou").await;
    // Control and direction-override characters, NUL among them: the same
    // answer on SQLite (which would store NUL) and PostgreSQL (which fails).
    for name in ["王\u{0}芳", "王\u{202e}芳", "王\u{7}芳", "王\n芳"] {
        let body =
            json!({"name": name, "mobile": fresh_mobile(), "tier": "operator", "region": "320508"});
        let res = app.post_json(&suzhou, "/api/v1/people", &body).await;
        assert_eq!(res.status(), 422, "{name:?}");
        let v: Value = res.json().await.unwrap();
        assert!(v["error"]["fields"]["name"].is_string(), "{v}");
    }
    let res = app
        .post_json(
            &suzhou,
            "/api/v1/organisations",
            &json!({"name": "坏\u{0}公司", "kind": "enterprise", "region": "320508"}),
        )
        .await;
    assert_eq!(res.status(), 422);
    // Stream links: http(s) only, bounded.
    let admin = app.actor("admin").await;
    let programme = app.programme(&admin, "P").await;
    let start = now() + 86400;
    let long = format!("https://live.example/{}", "a".repeat(600));
    for url in [
        "javascript:alert(1)",
        "data:text/html,x",
        "JAVASCRIPT:alert(1)",
        "https://",
        long.as_str(),
    ] {
        let body = json!({
            "programme_id": programme, "title": "线上课", "region": "320500",
            "starts_at": format_local(start), "ends_at": format_local(start + 3600),
            "venues": [{"kind": "online", "name": "线上", "address": "", "region": "320500", "capacity": 100, "stream_url": url}]
        });
        let res = app.post_json(&suzhou, "/api/v1/sessions", &body).await;
        assert_eq!(res.status(), 422, "{url}");
        let v: Value = res.json().await.unwrap();
        assert!(v["error"]["fields"]["venues"].is_string(), "{v}");
    }
}

#[tokio::test]
async fn offices_add_materials_only_to_courses_of_their_region() {
    let app = TestApp::spawn().await;
    let create = |who: &'static str| {
        let app = &app;
        async move {
            let body = json!({"title": format!("{who} 的课程"), "tiers": ["operator"], "duration_minutes": 90});
            app.post_json(&app.api(who).await, "/api/v1/courses", &body)
                .await
                .json::<Value>()
                .await
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        }
    };
    let province = create("admin").await;
    let suzhou = create("suzhou").await;
    let nanjing = create("nanjing").await;
    let upload = |who: &'static str, course: i64| {
        let app = &app;
        async move {
            app.api(who)
                .await
                .post(app.url(&format!(
                    "/api/v1/courses/{course}/materials?filename=notes.pdf"
                )))
                .body(b"%PDF-1.4\n%%EOF\n".to_vec())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(upload("kunshan", province).await, 403);
    assert_eq!(upload("kunshan", nanjing).await, 403);
    assert_eq!(
        upload("kunshan", suzhou).await,
        403,
        "a county edits its city's course"
    );
    assert_eq!(upload("suzhou", nanjing).await, 403);
    assert_eq!(upload("suzhou", province).await, 403);
    assert_eq!(upload("suzhou", suzhou).await, 201);
    assert_eq!(upload("admin", nanjing).await, 201);
}

#[tokio::test]
async fn responses_are_not_stored_and_cross_site_writes_are_refused() {
    let app = TestApp::spawn().await;
    let (c, csrf) = app.login("suzhou").await;
    for path in ["/people", "/", "/api/v1/me"] {
        let res = app.get(&c, path).await;
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
        assert!(res.headers().get("strict-transport-security").is_none());
    }
    let res = app.get(&c, "/static/app.css").await;
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    // Revalidated by its entity tag: unchanged is 304 without a body.
    let tag = res.headers()["etag"].to_str().unwrap().to_string();
    assert!(tag.starts_with("W/\"") && tag.len() > 4, "{tag}");
    let again = |tag: &str| {
        c.get(app.url("/static/app.css"))
            .header("if-none-match", tag)
            .send()
    };
    let res = again(&tag).await.unwrap();
    assert_eq!(res.status(), 304);
    assert_eq!(res.headers()["etag"], tag.as_str());
    assert!(res.bytes().await.unwrap().is_empty());
    let res = again("\"0000000000000000\"").await.unwrap();
    assert_eq!(res.status(), 200, "another tag gets the file");
    assert!(res.text().await.unwrap().contains("body"));
    let js = app.get(&c, "/static/app.js").await;
    assert_ne!(js.headers()["etag"], tag.as_str(), "one tag per file");
    // A form posted from another site, even with a stolen token, is refused.
    let logout = |header: &'static str, value: String| {
        c.post(app.url("/logout"))
            .header(header, value)
            .form(&[("csrf", csrf.as_str())])
            .send()
    };
    let res = logout("origin", "https://evil.example".into())
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = logout("sec-fetch-site", "cross-site".into()).await.unwrap();
    assert_eq!(res.status(), 403);
    // Still logged in; from this site the same form works.
    let res = logout("origin", app.url("")).await.unwrap();
    assert_eq!(res.status(), 303);
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_private_and_one_server_uses_it() {
    use std::os::unix::fs::PermissionsExt;
    if is_postgres() {
        return;
    }
    let app = TestApp::spawn_with(None).await;
    let dir = app.data_dir();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir) & 0o077, 0, "data directory open to others");
    for f in ["fanxing.db", "fanxing.db-wal", "fanxing.db-shm"] {
        let p = dir.join(f);
        if p.exists() {
            assert_eq!(mode(&p) & 0o077, 0, "{f} open to others");
        }
    }
    // Two servers on one SQLite directory: the second refuses to start.
    let data = tempfile::tempdir().unwrap();
    let start = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_fanxing"))
            .args(["serve", "--port", "0", "--data-dir"])
            .arg(data.path())
            .env_remove("DATABASE_URL")
            .env("FANXING_DATA_KEY", crate::common::TEST_KEY)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = start();
    // Wait until the first server is ready (it prints its address).
    let mut out = first.stdout.take().unwrap();
    let mut buf = [0u8; 256];
    let n = std::io::Read::read(&mut out, &mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("ready"));
    let second = start().wait_with_output().unwrap();
    let _ = first.kill();
    let _ = first.wait();
    assert!(!second.status.success());
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("another Fanxing server"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[tokio::test]
async fn log_in_names_with_control_characters_fail_like_any_wrong_log_in() {
    let app = TestApp::spawn_with(None).await;
    let c = app.browser();
    let csrf = app.csrf(&c).await;
    for login in ["adm\u{0}in", "\u{0}", "13800138000\u{0}", "admin\u{202e}"] {
        let res = app
            .post_form(
                &c,
                &csrf,
                "/login",
                &[
                    ("login", login),
                    ("password", "whatever-it-is"),
                    ("next", "/"),
                ],
            )
            .await;
        assert!(
            matches!(res.status().as_u16(), 200 | 401 | 422),
            "{login:?}: {}",
            res.status()
        );
    }
}

/// The files that once aborted or stalled the server, built by hand.
fn hostile_uploads() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    use fanxing_core::sheet::xlsx_from_parts;
    const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let two_cells = |far: &str| {
        let row: String = far.chars().filter(char::is_ascii_digit).collect();
        format!(
            r#"<?xml version="1.0"?><worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>直播场次ID</t></is></c></row><row r="{row}"><c r="{far}" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>"#
        )
        .into_bytes()
    };
    let one_cell = two_cells("A2");
    let mut bomb =
        format!(r#"<?xml version="1.0"?><sst xmlns="{NS}" count="1" uniqueCount="1"><si><t>"#)
            .into_bytes();
    bomb.extend(std::iter::repeat_n(b'0', 200 << 20));
    bomb.extend_from_slice(b"</t></si></sst>");
    let counts = format!(
        r#"<?xml version="1.0"?><sst xmlns="{NS}" count="4000000000" uniqueCount="4000000000"><si><t>a</t></si></sst>"#
    );
    vec![
        (
            "far.xlsx",
            xlsx_from_parts(&two_cells("XFD1048576"), None),
            "表格超出上限",
        ),
        (
            "rows.xlsx",
            xlsx_from_parts(&two_cells("Z1000000"), None),
            "表格超出上限",
        ),
        (
            "bomb.xlsx",
            xlsx_from_parts(&one_cell, Some(&bomb)),
            "解压后过大",
        ),
        (
            "counts.xlsx",
            xlsx_from_parts(&one_cell, Some(counts.as_bytes())),
            "表格超出上限",
        ),
        ("commas.csv", vec![b','; 9 << 20], "表格超出上限"),
    ]
}

#[tokio::test]
async fn hostile_uploads_are_refused_on_every_upload_route() {
    let app = TestApp::spawn().await;
    let admin_api = app.api("admin").await;
    let me = app.get_json(&app.api("trainee").await, "/api/v1/me").await;
    let res = app
        .post_json(
            &admin_api,
            "/api/v1/rooms",
            &json!({"platform": "douyin", "account_id": "ks-h", "name": "昆山直播间",
            "industry": "服装", "size_tier": "tail", "region": "320583",
            "operators": [me["person_id"]]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let room = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let (session, _) = suzhou_session_today(&app).await;
    let trainee = app.api("trainee").await;
    let suzhou = app.api("suzhou").await;
    let (trainee_web, trainee_csrf) = app.login("trainee").await;
    let (suzhou_web, suzhou_csrf) = app.login("suzhou").await;
    for (name, bytes, says) in hostile_uploads() {
        let api_routes = [
            (
                &trainee,
                format!("/api/v1/rooms/{room}/sessions?platform=douyin&filename={name}"),
            ),
            (
                &trainee,
                format!("/api/v1/live-sessions?platform=douyin&filename={name}"),
            ),
            (
                &suzhou,
                format!("/api/v1/sessions/{session}/roster?filename={name}"),
            ),
        ];
        for (client, path) in api_routes {
            let res = client
                .post(app.url(&path))
                .body(bytes.clone())
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            assert_eq!(status, 422, "{name} {path}: {body}");
            assert!(body.contains(says), "{name} {path}: {body}");
        }
        let page_routes = [
            (
                &trainee_web,
                &trainee_csrf,
                format!("/rooms/{room}/sessions"),
            ),
            (
                &suzhou_web,
                &suzhou_csrf,
                format!("/sessions/{session}/roster"),
            ),
        ];
        for (client, csrf, path) in page_routes {
            let form = reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .text("provenance", "official")
                .text("platform", "douyin")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes.clone()).file_name(name),
                );
            let res = client
                .post(app.url(&path))
                .multipart(form)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            assert_eq!(status, 422, "{name} {path}");
            assert!(body.contains(says), "{name} {path}: {body}");
        }
    }
    // The server lives on, and nothing was imported.
    let rooms = app.get_json(&trainee, "/api/v1/rooms").await;
    assert_eq!(rooms["total"], 1);
    let live: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM live_sessions")
        .fetch_one(app.opened.store.pool())
        .await
        .unwrap();
    assert_eq!(live.0, 0);
}

#[tokio::test]
async fn invisible_characters_in_imported_cells_are_refused_on_both_databases() {
    let app = TestApp::spawn().await;
    let (session, _) = suzhou_session_today(&app).await;
    let suzhou = app.api("suzhou").await;
    for (column, cell) in [
        ("姓名", "王\u{7}芳"),
        ("姓名", "王\u{202e}芳"),
        ("工作单位", "某某\u{1b}公司"),
    ] {
        let (name, org) = if column == "姓名" {
            (cell, "苏州某某电商")
        } else {
            ("王芳", cell)
        };
        let csv = format!(
            "姓名,手机号,工作单位,层级,所在地区\n{name},{},{org},运营人员,姑苏区\n",
            fresh_mobile()
        );
        let res = suzhou
            .post(app.url(&format!("/api/v1/sessions/{session}/roster?filename=r.csv")))
            .body(csv.into_bytes())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_eq!(status, 422, "{column}: {body}");
        assert!(
            body.contains("控制字符") && body.contains(column),
            "{column}: {body}"
        );
    }
    let admin_api = app.api("admin").await;
    let res = app
        .post_json(
            &admin_api,
            "/api/v1/rooms",
            &json!({"platform": "douyin", "account_id": "ks-c", "name": "昆山直播间",
            "industry": "服装", "size_tier": "tail", "region": "320583"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    for (column, id, account) in [
        ("直播场次ID", "s\u{1}1", "ks-c"),
        ("抖音号", "s-2", "ks\u{7f}-c"),
        ("抖音号", "s-3", "ks\u{202e}-c"),
    ] {
        let csv = format!(
            "抖音号,直播场次ID,直播开始时间,直播时长,观看人次,观看人数,成交金额\n{account},{id},2025-06-01 20:00,90,10,5,12.5\n"
        );
        let res = admin_api
            .post(app.url("/api/v1/live-sessions?platform=douyin&filename=l.csv"))
            .body(csv.into_bytes())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_eq!(status, 422, "{column}: {body}");
        assert!(
            body.contains("控制字符") && body.contains(column),
            "{column}: {body}"
        );
    }
    // A NUL byte makes a text file binary: refused as a file, on both
    // databases alike (PostgreSQL once answered 500).
    for path in [
        format!("/api/v1/sessions/{session}/roster?filename=r.csv"),
        "/api/v1/live-sessions?platform=douyin&filename=l.csv".to_string(),
    ] {
        let csv = format!(
            "姓名,手机号,抖音号,直播场次ID,直播开始时间,直播时长,观看人次,观看人数,成交金额\n王\u{0}芳,{},ks-c,s\u{0}1,2025-06-01 20:00,90,10,5,1\n",
            fresh_mobile()
        );
        let c = if path.contains("roster") {
            &suzhou
        } else {
            &admin_api
        };
        let res = c.post(app.url(&path)).body(csv).send().await.unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_eq!(status, 422, "{path}: {body}");
        assert!(body.contains(".csv"), "{path}: {body}");
    }
}
