//! Live-commerce analytics over HTTP and the CLI: platform exports import
//! all or nothing and idempotently, KPIs equal hand-computed values, the
//! rollups equal a direct aggregation of the raw rows, and offices see
//! their own region only.

use serde_json::{json, Value};

use crate::common::{assert_says, TestApp, TEST_KEY};

const HEAD: &[&str] = &[
    "直播场次ID",
    "直播开始时间",
    "直播时长",
    "观看人次",
    "观看人数",
    "最高在线人数",
    "人均观看时长",
    "评论人数",
    "点赞次数",
    "新增粉丝数",
    "商品曝光人数",
    "商品点击人数",
    "成交人数",
    "成交订单数",
    "成交金额(元)",
    "退款金额(元)",
    "千川消耗",
];

/// 20 sessions in March 2025: session k has views 1000k, viewers 500k,
/// exposure 200k, clicks 50k, buyers 10k, GMV ¥(100k + 0.5), refund ¥k.
fn hand_made_xlsx() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "直播数据导出 2025年3月").unwrap();
    for (i, h) in HEAD.iter().enumerate() {
        ws.write_string(1, i as u16, *h).unwrap();
    }
    for k in 1..=20u32 {
        let r = k + 1;
        let f = k as f64;
        ws.write_string(r, 0, format!("dy-{k}")).unwrap();
        ws.write_string(r, 1, format!("2025-03-{k:02} 19:30:00"))
            .unwrap();
        ws.write_string(r, 2, "2:00:00").unwrap();
        for (c, v) in [
            (3, 1000.0 * f),
            (4, 500.0 * f),
            (5, 80.0 * f),
            (6, 90.0),
            (7, 25.0 * f),
            (8, 300.0),
            (9, 5.0 * f),
            (10, 200.0 * f),
            (11, 50.0 * f),
            (12, 10.0 * f),
            (13, 12.0 * f),
            (14, 100.0 * f + 0.5),
            (15, f),
            (16, 0.0),
        ] {
            ws.write_number(r, c, v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn post_file(c: &reqwest::Client, url: String, bytes: Vec<u8>) -> (u16, Value) {
    let res = c.post(url).body(bytes).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row: (i64,) = sqlx::query_as(sql)
        .fetch_one(app.opened.store.pool())
        .await
        .unwrap();
    row.0
}

#[tokio::test]
async fn exports_import_kpis_rollups_and_scope() {
    let app = TestApp::spawn().await;
    let admin = app.api("admin").await;
    let me = app.get_json(&app.api("trainee").await, "/api/v1/me").await;
    let trainee = me["person_id"].as_i64().unwrap();
    let mut rooms = Vec::new();
    for (account, region, industry, ops) in [
        ("ks-1", "320583", "服装", json!([trainee])),
        ("nj-1", "320102", "食品", json!([])),
    ] {
        let body = json!({"platform": "douyin", "account_id": account, "name": format!("{account} 直播间"),
                "industry": industry, "size_tier": "tail", "region": region, "operators": ops});
        let res = app.post_json(&admin, "/api/v1/rooms", &body).await;
        assert_eq!(res.status(), 201);
        rooms.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    // The same account twice is refused on the field.
    let body = json!({"platform": "douyin", "account_id": "ks-1", "name": "x", "industry": "服装", "size_tier": "tail", "region": "320583"});
    let res = app.post_json(&admin, "/api/v1/rooms", &body).await;
    assert_eq!(res.status(), 409);
    let (ks, nj) = (rooms[0], rooms[1]);

    // One room's export, twice: the second import changes nothing.
    let url = app.url(&format!(
        "/api/v1/rooms/{ks}/sessions?platform=douyin&filename=march.xlsx"
    ));
    let (status, body) = post_file(&admin, url.clone(), hand_made_xlsx()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["rows"].as_i64(), body["new"].as_i64()),
        (Some(20), Some(20))
    );
    let (status, body) = post_file(&admin, url, hand_made_xlsx()).await;
    assert_eq!(status, 200);
    assert_eq!(body["new"], 0, "re-importing changes nothing");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM live_sessions").await, 20);
    assert_eq!(
        count(
            &app,
            "SELECT CAST(SUM(sessions) AS BIGINT) FROM region_months"
        )
        .await,
        20
    );

    // KPIs equal the values computed by hand (Σk = 210 over k = 1..20).
    let k = app
        .get_json(
            &admin,
            &format!("/api/v1/rooms/{ks}/kpis?from=2025-03-01&to=2025-03-31"),
        )
        .await;
    let kpi = |name: &str| k["kpis"][name].as_f64().unwrap();
    assert_eq!(k["sums"]["sessions"], 20);
    assert_eq!(kpi("views"), 210_000.0);
    assert_eq!(kpi("gmv"), 21_010.0);
    assert_eq!(kpi("net_gmv"), 20_800.0);
    assert_eq!(kpi("avg_watch_s"), 90.0);
    assert_eq!(kpi("peak_online"), 1_600.0);
    for (name, want) in [
        ("interaction_rate", 0.05),
        ("follow_rate", 0.01),
        ("product_click_rate", 0.25),
        ("click_to_order", 0.2),
        ("view_to_order", 0.02),
        ("uv_value", 21_010.0 / 105_000.0),
        ("gpm", 21_010.0 / 210_000.0 * 1000.0),
        ("aov", 21_010.0 / 2_100.0),
        ("refund_rate", 210.0 / 21_010.0),
    ] {
        assert!(
            (kpi(name) - want).abs() < 1e-9,
            "{name}: {} != {want}",
            kpi(name)
        );
    }
    // Outside the period: nothing, and ratios without a denominator are null.
    let k = app
        .get_json(&admin, &format!("/api/v1/rooms/{ks}/kpis?from=2025-04-01"))
        .await;
    assert_eq!(k["sums"]["sessions"], 0);
    assert!(k["kpis"]["gpm"].is_null());

    // A multi-room CSV: rows go to their accounts' rooms, across months.
    let mut csv = String::from(
        "抖音号,直播场次ID,直播开始时间,直播时长,观看人次,观看人数,成交人数,成交金额\n",
    );
    for i in 0..30 {
        let (account, month) = if i % 3 == 0 {
            ("nj-1", 4)
        } else {
            ("ks-1", 3 + i % 2)
        };
        csv.push_str(&format!(
            "{account},multi-{i},2025-0{month}-{:02} 20:00,90,{},{},{},{}.25\n",
            1 + i % 28,
            1000 + i * 10,
            500 + i,
            i,
            i * 7
        ));
    }
    let (status, body) = post_file(
        &admin,
        app.url("/api/v1/live-sessions?platform=douyin&filename=multi.csv"),
        csv.clone().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["new"], 30);

    // The rollups equal a direct aggregation of the raw rows, city × month.
    let stats = app
        .get_json(
            &admin,
            "/api/v1/live-stats?region=320000&group=city_month&from=2025-01&to=2025-12",
        )
        .await;
    let direct: Vec<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT CAST((m.region / 100) * 100 AS BIGINT), CAST(s.day / 100 AS BIGINT), \
         COUNT(DISTINCT s.room_id), COUNT(*), CAST(SUM(s.views) AS BIGINT), \
         CAST(SUM(s.gmv_fen) AS BIGINT) \
         FROM live_sessions s JOIN live_rooms m ON m.id = s.room_id \
         GROUP BY CAST((m.region / 100) * 100 AS BIGINT), CAST(s.day / 100 AS BIGINT) \
         ORDER BY 1, 2",
    )
    .fetch_all(app.opened.store.pool())
    .await
    .unwrap();
    let lines = stats.as_array().unwrap();
    assert_eq!(lines.len(), direct.len(), "{stats}");
    for (line, (city, month, rooms, sessions, views, gmv)) in lines.iter().zip(&direct) {
        assert_eq!(line["key"], city.to_string());
        assert_eq!(line["month"], *month);
        assert_eq!(line["rooms"], *rooms);
        assert_eq!(line["sums"]["sessions"], *sessions);
        assert_eq!(line["sums"]["views"], *views);
        assert_eq!(line["sums"]["gmv_fen"], *gmv);
    }

    // So do the weekly rollup's rows (Monday weeks, Beijing time).
    let weekly = |sql: &'static str| async {
        sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(sql)
            .fetch_all(app.opened.store.pool())
            .await
            .unwrap()
    };
    let direct = weekly(
        "SELECT room_id, CAST(((started_at + 28800) / 86400 + 3) / 7 AS BIGINT), \
         CAST(COUNT(*) AS BIGINT), CAST(SUM(buyers) AS BIGINT), CAST(SUM(gmv_fen) AS BIGINT) \
         FROM live_sessions GROUP BY room_id, ((started_at + 28800) / 86400 + 3) / 7 \
         ORDER BY 1, 2",
    )
    .await;
    let rolled =
        weekly("SELECT room_id, week, sessions, buyers, gmv_fen FROM room_weeks ORDER BY 1, 2")
            .await;
    assert!(direct.len() > 5, "{direct:?}");
    assert_eq!(rolled, direct);

    // Bad files are refused with row and column, and nothing is imported.
    let before = count(&app, "SELECT COUNT(*) FROM live_sessions").await;
    let cases = [
        (csv.replace(",1040,", ",很多,"), "第 6 行「观看人次」"),
        (csv.replace("成交金额", "销售额"), "「成交金额」"),
        (
            csv.replace("直播场次ID", "编号")
                .replace("直播开始时间", "开播时间x"),
            "表头不是所选平台",
        ),
        (csv.replace("nj-1,", "nobody,"), "没有这个账号的直播间"),
    ];
    for (file, expected) in cases {
        let (status, body) = post_file(
            &admin,
            app.url("/api/v1/live-sessions?platform=douyin&filename=bad.csv"),
            file.replace("multi-", "other-").into_bytes(),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains(expected), "{expected}: {body}");
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM live_sessions").await,
        before
    );

    // Scope: Suzhou sees its city's rooms and statistics only.
    let suzhou = app.api("suzhou").await;
    let list = app.get_json(&suzhou, "/api/v1/rooms").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], ks);
    for url in [
        format!("/api/v1/rooms/{nj}"),
        format!("/api/v1/rooms/{nj}/kpis"),
    ] {
        assert_eq!(app.get(&suzhou, &url).await.status(), 404);
    }
    assert_eq!(
        app.get(&suzhou, "/api/v1/live-stats?region=320000")
            .await
            .status(),
        403
    );
    let own = app.get_json(&suzhou, "/api/v1/live-stats?group=city").await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["key"], "320500");
    // The trainee sees the room they run.
    let mine = app
        .get_json(&app.api("trainee").await, "/api/v1/rooms")
        .await;
    assert_eq!(mine["total"], 1);

    // The pages: the room with its funnel and peers, a web upload that is
    // refused with its rows named, the statistics of Suzhou.
    let (web, csrf) = app.login("kunshan").await;
    let html = app.get_text(&web, &format!("/rooms/{ks}")).await;
    assert!(
        html.contains("class=\"funnel\"") && html.contains("与同行对比"),
        "{html}"
    );
    let bad = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("provenance", "official")
        .part(
            "file",
            reqwest::multipart::Part::bytes(
                "直播场次ID,直播开始时间,直播时长,观看人次,观看人数,成交金额\nw-1,昨天,90,10,5,0\n"
                    .as_bytes()
                    .to_vec(),
            )
            .file_name("web.csv"),
        );
    let res = web
        .post(app.url(&format!("/rooms/{ks}/sessions")))
        .multipart(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("第 2 行「直播开始时间」"), "{html}");
    let good = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("provenance", "manual")
        .part(
            "file",
            reqwest::multipart::Part::bytes(
                "直播场次ID,直播开始时间,直播时长,观看人次,观看人数,成交金额\nw-1,2025-06-01 20:00,90,10,5,12.5\n"
                    .as_bytes()
                    .to_vec(),
            )
            .file_name("web.csv"),
        );
    let res = web
        .post(app.url(&format!("/rooms/{ks}/sessions")))
        .multipart(good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    let html = app.get_text(&web, &to).await;
    assert!(html.contains("新增 1 场"), "{html}");
    let (sz, _) = app.login("suzhou").await;
    let html = app.get_text(&sz, "/live-stats").await;
    assert!(
        html.contains("苏州市") && !html.contains("南京市"),
        "{html}"
    );

    // The CLI: a third-party estimate of one room's sessions.
    let path = app.data_dir().join("estimate.xlsx");
    std::fs::write(&path, hand_made_xlsx()).unwrap();
    let cli = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fanxing"));
        cmd.arg("--data-dir")
            .arg(app.data_dir())
            .env("FANXING_DATA_KEY", TEST_KEY);
        match &app.config.database_url {
            Some(u) => cmd.env("DATABASE_URL", u),
            None => cmd.env_remove("DATABASE_URL"),
        };
        cmd.args(["import", "live"]).args(args).output().unwrap()
    };
    let out = cli(&[
        path.to_str().unwrap(),
        "--platform",
        "kuaishou",
        "--room",
        &nj.to_string(),
    ]);
    assert!(!out.status.success(), "the room is on Douyin");
    let out = cli(&[
        path.to_str().unwrap(),
        "--platform",
        "douyin",
        "--provenance",
        "estimate",
        "--room",
        &nj.to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same platform session ids as the official import: unchanged.
    assert!(String::from_utf8_lossy(&out.stdout).contains("新增 0 场"));
}

#[tokio::test]
async fn peer_benchmarks_and_findings() {
    let app = TestApp::spawn().await;
    let admin = app.api("admin").await;
    // 25 Kunshan clothing rooms of one size; room 0 converts clicks worst.
    let mut ids = Vec::new();
    for k in 0..25 {
        let body = json!({"platform": "douyin", "account_id": format!("peer-{k}"), "name": format!("同行 {k}"),
                "industry": "服装", "size_tier": "waist", "region": "320583"});
        let res = app.post_json(&admin, "/api/v1/rooms", &body).await;
        assert_eq!(res.status(), 201);
        ids.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let mut csv = String::from(
        "抖音号,直播场次ID,直播开始时间,直播时长,观看人次,观看人数,评论人数,商品曝光人数,商品点击人数,成交人数,成交金额\n",
    );
    for k in 0..25 {
        for d in 1..=4 {
            // Buyers per 1,000 clicks: 5 for room 0, 40 + k for the others;
            // comments: room 0 the most.
            let buyers = if k == 0 { 5 } else { 40 + k };
            let comments = if k == 0 { 900 } else { 100 + k };
            csv.push_str(&format!(
                "peer-{k},p{k}-{d},2025-05-{:02} 20:00,120,20000,10000,{comments},4000,1000,{buyers},{}\n",
                d * 3,
                buyers * 80
            ));
        }
    }
    let res = admin
        .post(app.url("/api/v1/live-sessions?platform=douyin&filename=peers.csv"))
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let d = app
        .get_json(
            &admin,
            &format!("/api/v1/rooms/{}/diagnosis?from=2025-05&to=2025-05", ids[0]),
        )
        .await;
    let b = d["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["kpi"] == "click_to_order")
        .unwrap();
    assert_eq!(b["level"], "industry_tier_city");
    assert_eq!(b["peers"], 24);
    assert_eq!(b["percentile"], 0.0);
    assert!((b["value"].as_f64().unwrap() - 0.005).abs() < 1e-12);
    // The median of 0.041 … 0.064 is 0.0525.
    assert!((b["median"].as_f64().unwrap() - 0.0525).abs() < 1e-12);
    let findings = d["findings"].as_array().unwrap();
    assert_eq!(findings[0]["kpi"], "click_to_order");
    assert_eq!(findings[0]["competency"], "product_selection");
    assert!(findings
        .iter()
        .any(|f| f["kpi"] == "interaction_rate" && f["kind"] == "strong"));
    // Training impact: no trained rooms here, and the API says so plainly.
    let i = app
        .get_json(&admin, "/api/v1/live-impact?region=320500")
        .await;
    assert_eq!(i["verdict"], "too_little_data", "{i}");
    assert_eq!(i["treated"], 0);
    let res = app
        .get(&admin, "/api/v1/live-impact?outcome=happiness")
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .get(
            &app.api("suzhou").await,
            "/api/v1/live-impact?region=320000",
        )
        .await;
    assert_eq!(res.status(), 403);

    // A room with no peers of its kind falls back to wider groups.
    let res = app
        .post_json(
            &admin,
            "/api/v1/rooms",
            &json!({"platform": "douyin", "account_id": "lonely", "name": "独苗",
            "industry": "服装", "size_tier": "head", "region": "320583"}),
        )
        .await;
    let lonely = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let d = app
        .get_json(&admin, &format!("/api/v1/rooms/{lonely}/diagnosis"))
        .await;
    let b = d["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["kpi"] == "click_to_order")
        .unwrap();
    assert_eq!(b["level"], "industry_province", "{d}");
    assert!(
        b["percentile"].is_null(),
        "no clicks, no conversion to rank"
    );
    assert!(d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["kpi"] != "click_to_order"));
}

#[tokio::test]
async fn offices_add_rooms_by_form_with_followers_and_operator_mobiles() {
    let app = TestApp::spawn().await;
    let me = app.get_json(&app.api("trainee").await, "/api/v1/me").await;
    let trainee = me["person_id"].as_i64().unwrap();
    let (mobile, region): (String, i64) =
        sqlx::query_as("SELECT mobile, CAST(region AS BIGINT) FROM people WHERE id = $1")
            .bind(trainee)
            .fetch_one(app.opened.store.pool())
            .await
            .unwrap();
    let (web, csrf) = app.login("admin").await;
    let html = app.get_text(&web, "/rooms/new").await;
    assert!(
        html.contains("name=\"followers\"") && html.contains("<datalist"),
        "{html}"
    );
    let post = |fields: Vec<(&'static str, String)>| {
        let web = &web;
        let url = app.url("/rooms");
        let mut form = vec![("csrf", csrf.clone())];
        form.extend(fields);
        async move {
            let res = web.post(url).form(&form).send().await.unwrap();
            let status = res.status().as_u16();
            let to = res
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string());
            (status, to, res.text().await.unwrap())
        }
    };
    let base = |account: &str| {
        vec![
            ("platform", "douyin".to_string()),
            ("account_id", account.to_string()),
            ("name", "表单直播间".to_string()),
            ("industry", "食品".to_string()),
            ("region", region.to_string()),
        ]
    };
    // A mobile that is nobody's, a malformed one, a tier that contradicts
    // the followers: each named on its field, nothing stored.
    let mut f = base("form-1");
    f.push(("size_tier", "starter".into()));
    f.push(("operators", "13900000000".into()));
    let (status, _, html) = post(f).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("13900000000 不是您管辖范围内的学员"),
        "{html}"
    );
    let mut f = base("form-1");
    f.push(("size_tier", "starter".into()));
    f.push(("operators", "12345".into()));
    let (status, _, html) = post(f).await;
    assert_eq!(status, 422);
    assert!(html.contains("「12345」不是有效的手机号"), "{html}");
    let mut f = base("form-1");
    f.push(("followers", "1.2万".into()));
    f.push(("size_tier", "head".into()));
    let (status, _, html) = post(f).await;
    assert_eq!(status, 422);
    assert!(html.contains("所选量级与粉丝数不符"), "{html}");
    let mut f = base("form-1");
    f.push(("followers", "很多".into()));
    let (status, _, html) = post(f).await;
    assert_eq!(status, 422);
    assert!(html.contains("粉丝数应为非负整数"), "{html}");
    let api = app.api("admin").await;
    assert_eq!(app.get_json(&api, "/api/v1/rooms").await["total"], 0);

    // Followers give the tier; the operator is found by mobile.
    let mut f = base("form-1");
    f.push(("followers", "1.2万".into()));
    f.push(("operators", format!("{mobile}\n\n")));
    let (status, to, _) = post(f).await;
    assert_eq!(status, 303);
    let id: i64 = to.unwrap().trim_start_matches("/rooms/").parse().unwrap();
    let room = app.get_json(&api, &format!("/api/v1/rooms/{id}")).await;
    assert_eq!(room["size_tier"], "tail", "12,000 followers: {room}");
    assert_eq!(room["operators"], json!([trainee]));
    // The trainee now sees the room; the list finds it by account.
    let mine = app
        .get_json(&app.api("trainee").await, "/api/v1/rooms")
        .await;
    assert_eq!(mine["total"], 1);
    let found = app.get_json(&api, "/api/v1/rooms?q=form-").await;
    assert_eq!(found["total"], 1);
    let none = app.get_json(&api, "/api/v1/rooms?q=%25").await;
    assert_eq!(none["total"], 0, "LIKE patterns are escaped");
    let html = app.get_text(&web, "/rooms?q=%E8%A1%A8%E5%8D%95").await;
    assert!(html.contains(&format!("/rooms/{id}")), "{html}");

    // The room page lists the operators for the office to keep or remove;
    // unticking the trainee removes them, and the trainee no longer sees it.
    let page = app.get_text(&web, &format!("/rooms/{id}")).await;
    assert!(
        page.contains(&format!(r#"name="keep" value="{trainee}" checked"#)),
        "{page}"
    );
    let res = app
        .post_form(
            &web,
            &csrf,
            &format!("/rooms/{id}/operators"),
            &[("operators", "")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let trainee_api = app.api("trainee").await;
    assert_eq!(
        app.get_json(&trainee_api, "/api/v1/rooms").await["total"],
        0
    );
    // The API puts them back by mobile; a malformed mobile is named.
    let url = app.url(&format!("/api/v1/rooms/{id}/operators"));
    assert_says(
        api.put(url.clone())
            .json(&json!({"operator_mobiles": ["12345"]}))
            .send()
            .await
            .unwrap(),
        422,
        "12345",
    )
    .await;
    let res = api
        .put(url)
        .json(&json!({"operator_mobiles": [mobile]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["operators"],
        json!([trainee])
    );
    assert_eq!(
        app.get_json(&trainee_api, "/api/v1/rooms").await["total"],
        1
    );
    // Only offices manage operators.
    let res = trainee_api
        .put(app.url(&format!("/api/v1/rooms/{id}/operators")))
        .json(&json!({"operators": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
