//! The foundation's promises, end to end over HTTP: health, regions, scoped
//! people and organisations, masking, audit, and every kind of bad input.

use fanxing_core::security::token_hash;
use fanxing_demo::{self as demo, DemoSize};
use serde_json::{json, Value};

use crate::common::{assert_says, csrf_from, fresh_mobile, is_postgres, TestApp};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

/// How many people the province office counts.
async fn people_total(app: &TestApp) -> i64 {
    app.get_json(&app.api("admin").await, "/api/v1/people?per_page=1")
        .await["total"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn health_and_chinese_home_page() {
    let app = TestApp::spawn_with(None).await;
    let c = app.browser();
    let v = app.get_json(&c, "/healthz").await;
    assert_eq!(v, json!({"status": "ok"}));
    let html = app.get_text(&c, "/").await;
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("直播电商人才培育平台"));
    // The language switch is remembered.
    let res = app.get(&c, "/lang/en?back=/").await;
    assert_eq!(res.status(), 303);
    let html = app.get_text(&c, "/").await;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Live-commerce talent programme platform"));
}

#[tokio::test]
async fn regions_list_the_13_cities_for_any_user() {
    let app = TestApp::spawn().await;
    let v = app
        .get_json(&app.api("trainee").await, "/api/v1/regions?level=city")
        .await;
    let cities = v.as_array().unwrap();
    assert_eq!(cities.len(), 13);
    assert_eq!(cities[0]["code"], "320100");
    assert_eq!(cities[0]["name"], "南京市");
    assert!(cities
        .iter()
        .any(|c| c["code"] == "321300" && c["name"] == "宿迁市"));
    let v = app
        .get_json(&app.api("trainee").await, "/api/v1/regions?level=county")
        .await;
    assert_eq!(
        v.as_array().unwrap().len(),
        95,
        "zones are not counted as counties"
    );
}

#[tokio::test]
async fn a_city_office_sees_its_city_only() {
    let app = TestApp::spawn().await;
    let suzhou = app.api("suzhou").await;
    let admin = app.api("admin").await;

    let res = app.get(&suzhou, "/api/v1/people?region=320500").await;
    assert_eq!(res.status(), 200);
    let v = json_of(res).await;
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for p in items {
        let m = p["mobile"].as_str().unwrap();
        assert!(m.len() == 11 && &m[3..7] == "****", "unmasked mobile {m}");
        assert!(p["region"].as_str().unwrap().starts_with("3205"));
    }
    let res = app.get(&suzhou, "/api/v1/people?region=320100").await;
    assert_eq!(res.status(), 403);
    let v = json_of(res).await;
    assert_eq!(v["error"]["code"], "forbidden");
    assert!(v.get("items").is_none());

    let nj = app
        .get_json(&admin, "/api/v1/people?region=320100&per_page=1")
        .await;
    let nj_id = nj["items"][0]["id"].as_i64().unwrap();
    let res = app.get(&suzhou, &format!("/api/v1/people/{nj_id}")).await;
    assert!(matches!(res.status().as_u16(), 403 | 404));
    assert!(!res
        .text()
        .await
        .unwrap()
        .contains(nj["items"][0]["name"].as_str().unwrap()));
    let res = app.get(&admin, &format!("/api/v1/people/{nj_id}")).await;
    assert_eq!(res.status(), 200);

    // Without a filter, the city office still gets Suzhou only, and the
    // total matches the province office's count for Suzhou.
    let mine = app.get_json(&suzhou, "/api/v1/people?per_page=200").await;
    let all_sz = app
        .get_json(&admin, "/api/v1/people?region=320500&per_page=1")
        .await;
    assert_eq!(mine["total"], all_sz["total"]);
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["region"].as_str().unwrap().starts_with("3205")));

    // Organisations: the same scope.
    let res = app
        .get(&suzhou, "/api/v1/organisations?region=320100")
        .await;
    assert_eq!(res.status(), 403);
    let orgs = app.get_json(&suzhou, "/api/v1/organisations").await;
    assert!(orgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["region"].as_str().unwrap().starts_with("3205")));
}

#[tokio::test]
async fn people_pages_show_masked_numbers_and_search() {
    let app = TestApp::spawn().await;
    let (c, _) = app.login("suzhou").await;
    let html = app.get_text(&c, "/people").await;
    assert!(html.contains("<table class=\"list people\">"));
    assert!(html.contains("140****"));
    assert!(
        !html.contains("南京"),
        "Suzhou's list shows no Nanjing region"
    );
    // Search by a name taken from the list.
    let admin = app.api("admin").await;
    let v = app
        .get_json(&admin, "/api/v1/people?region=320583&per_page=1")
        .await;
    let name = v["items"][0]["name"].as_str().unwrap();
    let html = app
        .get_text(&c, &format!("/people?q={}", crate::common::urlencode(name)))
        .await;
    assert!(html.contains(name));
    // Paging keeps filters.
    let html = app.get_text(&c, "/people?tier=operator&page=2").await;
    assert!(
        html.contains("tier=operator&#38;page=3"),
        "next-page link keeps the filter"
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_field_messages_and_nothing_written() {
    let app = TestApp::spawn().await;
    let suzhou = app.api("suzhou").await;
    let count = || people_total(&app);
    let before = count().await;
    let cases = [
        (
            json!({"name": "张三", "mobile": "1380013800", "tier": "operator", "region": "320583"}),
            422,
            "mobile",
        ),
        (
            json!({"name": "张三", "mobile": fresh_mobile(), "id_number": "110105194912310021", "tier": "operator", "region": "320583"}),
            422,
            "id_number",
        ),
        (
            json!({"name": "张三", "mobile": fresh_mobile(), "tier": "operator", "region": "329999"}),
            422,
            "region",
        ),
        (
            json!({"name": "", "mobile": fresh_mobile(), "tier": "operator", "region": "320583"}),
            422,
            "name",
        ),
        (
            json!({"name": "长".repeat(51), "mobile": fresh_mobile(), "tier": "operator", "region": "320583"}),
            422,
            "name",
        ),
        (
            json!({"name": "张三", "mobile": fresh_mobile(), "tier": "boss", "region": "320583"}),
            422,
            "tier",
        ),
        (
            json!({"name": "张三", "mobile": fresh_mobile(), "tier": "operator", "region": "320102"}),
            422,
            "region",
        ),
        (
            json!({"name": "张三", "mobile": "140 0000 0001", "tier": "operator", "region": "320583"}),
            409,
            "mobile",
        ),
    ];
    for (body, status, field) in cases {
        let res = app.post_json(&suzhou, "/api/v1/people", &body).await;
        assert_eq!(res.status(), status, "{body}");
        let v = json_of(res).await;
        assert!(v["error"]["fields"][field].is_string(), "{body} → {v}");
        assert!(v["error"]["message"].is_string());
    }
    // Malformed JSON is a 400 in the same shape.
    let res = suzhou
        .post(app.url("/api/v1/people"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(json_of(res).await["error"]["code"], "bad_request");
    assert_eq!(count().await, before, "nothing was written");

    // English on request.
    let res = suzhou
        .post(app.url("/api/v1/people"))
        .header("accept-language", "en-GB")
        .json(&json!({"name": "Zhang", "mobile": "123", "tier": "operator", "region": "320583"}))
        .send()
        .await
        .unwrap();
    let v = json_of(res).await;
    assert_eq!(
        v["error"]["fields"]["mobile"],
        "A mobile number has 11 digits starting with 1"
    );

    // A good one is created, normalised, and masked in the answer.
    let body = json!({"name": " 李四 ", "mobile": "＋86 139-1234-0000", "id_number": "11010519491231002x", "tier": "运营人员", "region": "320583"});
    let res = app.post_json(&suzhou, "/api/v1/people", &body).await;
    assert_eq!(res.status(), 201);
    let v = json_of(res).await;
    assert_eq!(v["name"], "李四");
    assert_eq!(v["mobile"], "139****0000");
    assert_eq!(v["id_number_masked"], "110105********002X");
    assert_eq!(count().await, before + 1);
}

#[tokio::test]
async fn forms_highlight_fields_and_refuse_forged_csrf() {
    let app = TestApp::spawn().await;
    let (c, csrf) = app.login("suzhou").await;
    let count = || people_total(&app);
    let before = count().await;
    let good = |csrf: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("name", "王五".to_string()),
            ("mobile", fresh_mobile()),
            ("tier", "operator".to_string()),
            ("region", "320583".to_string()),
        ]
    };
    // Forged token.
    assert_says(
        c.post(app.url("/people"))
            .form(&good("forged-token-forged-token-forged-token"))
            .send()
            .await
            .unwrap(),
        403,
        "表单已失效",
    )
    .await;
    // Missing token.
    let mut no_token = good("");
    no_token.remove(0);
    let res = c
        .post(app.url("/people"))
        .form(&no_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(count().await, before);

    // Invalid field: the form comes back with the field marked, in Chinese.
    let mut bad = good(&csrf);
    bad[2].1 = "1391234".into();
    let res = c.post(app.url("/people")).form(&bad).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("手机号应为 11 位数字"));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("value=\"王五\""), "what was typed is kept");
    assert_eq!(count().await, before);

    // A good form creates and redirects to the person's page.
    let res = c
        .post(app.url("/people"))
        .form(&good(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/people/"));
    let html = app.get_text(&c, &loc).await;
    assert!(html.contains("王五"));
    assert_eq!(count().await, before + 1);

    // An organisation form the same way.
    assert_says(
        app.post_form(
            &c,
            &csrf,
            "/orgs",
            &[("name", ""), ("kind", "enterprise"), ("region", "320583")],
        )
        .await,
        422,
        "必填",
    )
    .await;
}

#[tokio::test]
async fn sessions_expire_and_log_ins_are_throttled() {
    let app = TestApp::spawn().await;
    // Wrong password: a clear message, 401.
    let c = app.browser();
    let csrf = app.csrf(&c).await;
    assert_says(
        app.post_form(
            &c,
            &csrf,
            "/login",
            &[("login", "suzhou"), ("password", "nope")],
        )
        .await,
        401,
        "手机号/用户名或密码不正确",
    )
    .await;
    // Four more failures lock the account for a while, even with the right password.
    for _ in 0..4 {
        app.post_form(
            &c,
            &csrf,
            "/login",
            &[("login", "suzhou"), ("password", "nope")],
        )
        .await;
    }
    assert_says(
        app.post_form(
            &c,
            &csrf,
            "/login",
            &[("login", "suzhou"), ("password", demo::DEMO_PASSWORD)],
        )
        .await,
        429,
        "分钟后再试",
    )
    .await;
    // Another account is unaffected, and can log in by mobile number too.
    let admin = app.api("admin").await;
    let me = app.get_json(&app.api("trainee").await, "/api/v1/me").await;
    let person = app.reveal(&admin, &me["person_id"]).await;
    let mobile = person["mobile"].as_str().unwrap();
    let spaced = format!("{} {} {}", &mobile[..3], &mobile[3..7], &mobile[7..]);
    let res = app
        .post_form(
            &c,
            &csrf,
            "/login",
            &[
                ("login", spaced.as_str()),
                ("password", demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "log-in by mobile number");

    // An expired session sends the user to log in again, with a message.
    let store = app.opened.store.clone();
    let user = fanxing_core::people::store::AccountStore::find_user_by_username(&*store, "suzhou")
        .await
        .unwrap()
        .unwrap();
    let now = fanxing_core::now();
    fanxing_core::people::store::AccountStore::create_session(
        &*store,
        &token_hash("expired-token"),
        user.id,
        now - 100,
        now - 1,
    )
    .await
    .unwrap();
    let c2 = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = c2
        .get(app.url("/people"))
        .header("cookie", "fx_session=expired-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.contains("expired=1"), "{loc}");
    let html = app.get_text(&c2, &loc).await;
    assert!(html.contains("登录已过期"));
    let res = c2
        .get(app.url("/api/v1/me"))
        .header("cookie", "fx_session=expired-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // A made-up bearer token is refused.
    let res = c2
        .get(app.url("/api/v1/me"))
        .bearer_auth("made-up")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(json_of(res).await["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn full_numbers_only_for_offices_and_audited() {
    let app = TestApp::spawn().await;
    let suzhou = app.api("suzhou").await;
    let v = app
        .get_json(&suzhou, "/api/v1/people?region=320583&per_page=50")
        .await;
    let p = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id_number_masked"].is_string())
        .expect("someone with an ID number")
        .clone();
    let id = p["id"].as_i64().unwrap();
    let r = app.reveal(&suzhou, id).await;
    let full_id = r["id_number"].as_str().unwrap();
    assert_eq!(full_id.len(), 18);
    assert_eq!(&full_id[..6], &p["id_number_masked"].as_str().unwrap()[..6]);
    assert_eq!(
        &full_id[14..],
        &p["id_number_masked"].as_str().unwrap()[14..]
    );
    assert!(r["mobile"].as_str().unwrap().starts_with("140"));
    assert!(!r["mobile"].as_str().unwrap().contains('*'));

    assert!(app
        .audit()
        .await
        .iter()
        .any(|e| e["action"] == "person.reveal" && e["target"] == format!("person:{id}")));

    // The database never holds the ID number in clear.
    if !is_postgres() {
        let mut bytes = std::fs::read(app.data_dir().join("fanxing.db")).unwrap();
        if let Ok(wal) = std::fs::read(app.data_dir().join("fanxing.db-wal")) {
            bytes.extend(wal);
        }
        let hay = String::from_utf8_lossy(&bytes);
        assert!(
            !hay.contains(full_id),
            "plaintext ID number in the database file"
        );
        assert!(
            !hay.contains(&full_id[6..14]),
            "birth date from the ID number in clear"
        );
    }

    // Pages: the reveal button for offices, a POST with the CSRF token;
    // the page, the old GET link and the edit form never carry the numbers.
    let (c, csrf) = app.login("suzhou").await;
    for path in [
        format!("/people/{id}"),
        format!("/people/{id}?reveal=1"),
        format!("/people/{id}/edit"),
    ] {
        let html = app.get_text(&c, &path).await;
        assert!(!html.contains(full_id), "{path} shows the ID number");
        assert!(
            !html.contains(r["mobile"].as_str().unwrap()),
            "{path} shows the full mobile"
        );
    }
    let forged = c
        .post(app.url(&format!("/people/{id}/reveal")))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let res = app
        .post_form(&c, &csrf, &format!("/people/{id}/reveal"), &[])
        .await;
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("cache-control")
        .is_some_and(|v| v.to_str().unwrap().contains("no-store")));
    assert!(res.text().await.unwrap().contains(full_id));
    // Saving the edit form with the mobile left empty keeps the number.
    let before = r["mobile"].as_str().unwrap().to_string();
    let p_full = app.get_json(&suzhou, &format!("/api/v1/people/{id}")).await;
    assert!(p_full["mobile"].as_str().unwrap().contains('*'));
    let res = app
        .post_form(
            &c,
            &csrf,
            &format!("/people/{id}"),
            &[
                ("name", p_full["name"].as_str().unwrap()),
                ("mobile", ""),
                ("id_number", ""),
                ("tier", p_full["tier"].as_str().unwrap()),
                (
                    "org_id",
                    &p_full["org_id"]
                        .as_i64()
                        .map(|o| o.to_string())
                        .unwrap_or_default(),
                ),
                ("region", p_full["region"].to_string().trim_matches('"')),
            ],
        )
        .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let after = app.reveal(&suzhou, id).await;
    assert_eq!(after["mobile"].as_str().unwrap(), before);
    assert_eq!(after["id_number"].as_str().unwrap(), full_id);
    let trainee = app.api("trainee").await;
    let me = app.get_json(&trainee, "/api/v1/me").await;
    let res = app
        .post_empty(
            &trainee,
            &format!("/api/v1/people/{}/reveal", me["person_id"]),
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn demo_seed_is_idempotent() {
    let app = TestApp::spawn().await;
    let again = demo::seed(
        &app.opened.app,
        &*app.opened.store,
        2026,
        DemoSize::default(),
    )
    .await
    .unwrap();
    assert!(again.is_none(), "a second start keeps the data");
    let v = app
        .get_json(&app.api("admin").await, "/api/v1/overview")
        .await;
    assert_eq!(v["people"], 3_000);
    assert_eq!(v["children"].as_array().unwrap().len(), 13);
    let sum: i64 = v["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["people"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 3_000, "cities add up to the province");
}

#[tokio::test]
async fn cli_token_works_while_the_server_runs() {
    let app = TestApp::spawn().await;
    let out = app
        .cli()
        .args(["token", "create", "--user", "kunshan"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().trim();
    let v = json_of(
        reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["username"], "kunshan");
    assert_eq!(v["role"], "county_office");
    let out = app
        .cli()
        .args(["token", "create", "--user", "ghost"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user named `ghost`"));
}

#[tokio::test]
async fn cli_imports_regions_all_or_nothing() {
    let app = TestApp::spawn_with(None).await;
    let good = app.data_dir().join("zj.csv");
    std::fs::write(
        &good,
        "code,name,level,parent_code\n330000,浙江省,province,\n330100,杭州市,city,330000\n330106,西湖区,county,330100\n",
    )
    .unwrap();
    let out = app
        .cli()
        .args(["regions", "import"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = app.data_dir().join("bad.csv");
    std::fs::write(
        &bad,
        "code,name,level,parent_code\n340000,安徽省,province,\n340100,合肥市,city,340000\n340102,瑶海区,county,349900\n",
    )
    .unwrap();
    let out = app
        .cli()
        .args(["regions", "import"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 4, column `parent_code`"), "{err}");
    let v = json_of(
        app.get(&app.api_anyone().await, "/api/v1/regions?level=province")
            .await,
    )
    .await;
    let codes: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["320000", "330000"], "the bad file imported nothing");
}

#[test]
fn start_up_errors_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |url: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fanxing"))
            .args(["migrate", "--data-dir"])
            .arg(dir.path())
            .env("DATABASE_URL", url)
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let e = run("mysql://root@127.0.0.1/x");
    assert!(e.contains("unknown scheme `mysql:`"), "{e}");
    assert_eq!(
        e.trim().lines().filter(|l| l.starts_with("error:")).count(),
        1
    );
    let e = run("postgres://nobody@127.0.0.1:1/fanxing");
    assert!(
        e.contains("cannot reach the database at postgres://nobody@127.0.0.1:1/fanxing"),
        "{e}"
    );
}

#[tokio::test]
async fn login_page_keeps_the_csrf_token_stable() {
    let app = TestApp::spawn_with(None).await;
    let c = app.browser();
    let a = app.csrf(&c).await;
    let html = app.get_text(&c, "/login").await;
    assert_eq!(a, csrf_from(&html));
}

/// Pages and JSON go out gzip-compressed to a client that asks, and come
/// back whole; a client that does not ask gets them plain.
#[tokio::test]
async fn pages_and_json_are_compressed_for_clients_that_ask() {
    use std::io::Read;
    let app = TestApp::spawn_with(None).await;
    let c = reqwest::Client::new();
    for path in ["/", "/api/v1/openapi.json", "/static/app.css"] {
        let res = c
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            Some("gzip"),
            "{path}"
        );
        let bytes = res.bytes().await.unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        let plain = app.get(&c, path).await;
        assert!(plain.headers().get("content-encoding").is_none());
        // Each anonymous visit gets its own CSRF token; the rest is equal.
        let strip = |s: &str| -> String {
            s.lines()
                .filter(|l| !l.contains("csrf-token"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(strip(&text), strip(&plain.text().await.unwrap()), "{path}");
    }
}

/// Errors are rendered after the handler, from the request: a page keeps
/// the caller's language and account in its layout, and the API answers
/// JSON in the language the client asked for, query-string errors included.
#[tokio::test]
async fn errors_render_in_the_callers_language_and_layout() {
    let app = TestApp::spawn().await;
    let (c, _) = app.login("suzhou").await;
    let res = app.get(&c, "/lang/en?back=/").await;
    assert!(res.status().is_success() || res.status().is_redirection());
    let res = app.get(&c, "/people/999999999").await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("lang=\"en\""), "{html}");
    assert!(
        html.contains("Log out"),
        "the layout shows the caller: {html}"
    );
    assert!(html.contains("Not found, or not in your scope"), "{html}");

    let api = app.api("suzhou").await;
    let res = api
        .get(app.url("/api/v1/people/999999999"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert!(
        body["error"]["message"].as_str().unwrap().is_ascii(),
        "{body}"
    );
    let res = app.get(&api, "/api/v1/people?page=lots").await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.headers()["content-type"],
        "application/json",
        "query-string errors are JSON too"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"]["message"].is_string(), "{body}");
}
