//! Roster import over HTTP and from the CLI: 1,000 good rows import; one bad
//! row imports nothing and is named by row and column.

use fanxing_core::now;
use fanxing_core::store::prelude::*;
use fanxing_core::training::{format_local, SessionId};
use serde_json::{json, Value};

use crate::common::{assert_says, TestApp};

async fn suzhou_session(app: &TestApp) -> SessionId {
    let admin = app.actor("admin").await;
    let fx = &app.opened.app;
    let programme = app.programme(&admin, "繁星计划").await;
    let start = now() + 10 * 86400;
    let input = serde_json::from_value(json!({
        "programme_id": programme,
        "title": "苏州运营人员专场",
        "region": "320500",
        "starts_at": format_local(start),
        "ends_at": format_local(start + 3 * 3600),
        "venues": [
            {"kind": "main", "name": "苏州国际会议中心", "address": "", "region": "320508", "capacity": 700},
            {"kind": "sub", "name": "昆山分会场", "address": "", "region": "320583", "capacity": 200},
            {"kind": "online", "name": "线上直播", "address": "", "region": "320500", "capacity": 5000, "stream_url": "https://live.example/x"}
        ]
    }))
    .unwrap();
    fx.training
        .create_session(&admin, &input, true)
        .await
        .unwrap()
        .session
        .id
}

const PLACES: &[&str] = &[
    "昆山",
    "昆山市",
    "苏州市吴江区",
    "姑苏区",
    "张家港市",
    "苏州工业园区",
    "常熟",
];

/// An .xlsx roster with a merged-style title row, numbers stored as
/// numbers, full-width digits, trailing blanks and mixed region spellings.
fn xlsx(rows: usize, bad_row: Option<usize>) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "苏州市直播电商运营人员培训报名表")
        .unwrap();
    let headers = [
        "序号",
        "姓名",
        "手机号",
        "身份证号",
        "单位",
        "层级",
        "所在地区",
        "会场",
    ];
    for (i, h) in headers.iter().enumerate() {
        ws.write_string(2, i as u16, *h).unwrap();
    }
    for i in 0..rows {
        let r = (i + 3) as u32;
        ws.write_number(r, 0, (i + 1) as f64).unwrap();
        ws.write_string(r, 1, format!("学员{i} ")).unwrap();
        let mobile = 15_900_000_000u64 + i as u64;
        if Some(i) == bad_row {
            ws.write_string(r, 2, format!("{}", mobile / 10)).unwrap();
        } else if i % 3 == 0 {
            ws.write_number(r, 2, mobile as f64).unwrap();
        } else if i % 3 == 1 {
            let full: String = mobile
                .to_string()
                .chars()
                .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
                .collect();
            ws.write_string(r, 2, &full).unwrap();
        } else {
            ws.write_string(
                r,
                2,
                format!(
                    "{} {} {}",
                    &mobile.to_string()[..3],
                    &mobile.to_string()[3..7],
                    &mobile.to_string()[7..]
                ),
            )
            .unwrap();
        }
        ws.write_string(r, 4, format!("苏州示范电商{}有限公司", i % 40))
            .unwrap();
        ws.write_string(r, 5, "运营人员").unwrap();
        ws.write_string(r, 6, PLACES[i % PLACES.len()]).unwrap();
        if i % 10 == 0 {
            ws.write_string(r, 7, "线上").unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn count_registrations(app: &TestApp, session: SessionId) -> usize {
    app.get(
        &app.api("admin").await,
        &format!("/api/v1/sessions/{session}/roster"),
    )
    .await
    .json::<Vec<Value>>()
    .await
    .unwrap()
    .len()
}

#[tokio::test]
async fn a_thousand_rows_import_and_one_bad_row_imports_nothing() {
    let app = TestApp::spawn().await;
    let session = suzhou_session(&app).await;
    let suzhou = app.api("suzhou").await;
    let url = app.url(&format!(
        "/api/v1/sessions/{session}/roster?filename=roster.xlsx"
    ));

    // One bad row (a mobile with a digit missing) at sheet row 4 + 500.
    let res = suzhou
        .post(&url)
        .body(xlsx(1000, Some(500)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let v: Value = res.json().await.unwrap();
    let rows = v["error"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{v}");
    assert_eq!(rows[0]["row"], 504);
    assert_eq!(rows[0]["column"], "手机号");
    assert!(rows[0]["message"]
        .as_str()
        .unwrap()
        .contains("第 504 行「手机号」"));
    assert_eq!(
        count_registrations(&app, session).await,
        0,
        "nothing imported"
    );
    let people_before = app.opened.store.count_people().await.unwrap();

    // The good file: everyone created and registered, each row seated by the
    // rule one registration follows: Kunshan's people in Kunshan, the rest
    // in the main hall until it is full, then online; nobody waits while a
    // seat is free, and no venue holds more than its capacity.
    let res = suzhou
        .post(&url)
        .body(xlsx(1000, None))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let o: Value = res.json().await.unwrap();
    assert_eq!(o["created"], 1000);
    assert_eq!(
        o["registered"].as_u64().unwrap() + o["waitlisted"].as_u64().unwrap(),
        1000
    );
    assert_eq!(o["waitlisted"], 0, "{o}");
    let loads = app.opened.store.session_venues(session).await.unwrap();
    let seated: Vec<(i64, i64)> = loads
        .iter()
        .map(|l| (l.registered, l.venue.capacity))
        .collect();
    assert!(seated.iter().all(|(n, cap)| n <= cap), "{seated:?}");
    assert_eq!(
        seated[0],
        (700, 700),
        "the main hall fills first: {seated:?}"
    );
    assert!(seated[2].0 > 0, "overflow goes online: {seated:?}");
    assert_eq!(o["created_orgs"], 40);
    assert_eq!(
        app.opened.store.count_people().await.unwrap(),
        people_before + 1000
    );
    assert_eq!(count_registrations(&app, session).await, 1000);

    // Importing the same file again changes nothing: all matched, all already registered.
    let o: Value = suzhou
        .post(&url)
        .body(xlsx(1000, None))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(o["created"], 0);
    assert_eq!(o["matched"], 1000);
    assert_eq!(o["already"], 1000);

    // Regions outside the office's scope, unknown or ambiguous; a city
    // without 市 is fine.
    let csv = "姓名,手机号,层级,所在地区\n甲,13700000001,运营人员,南京市玄武区\n乙,13700000002,运营人员,火星\n丙,13700000003,运营人员,鼓楼区\n丁,13700000004,运营人员,太仓\n";
    let res = suzhou
        .post(app.url(&format!("/api/v1/sessions/{session}/roster?filename=r.csv")))
        .body(csv)
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    let msgs: Vec<String> = v["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(msgs[0].contains("第 2 行「所在地区」") && msgs[0].contains("管辖范围"));
    assert!(msgs[1].contains("第 3 行") && msgs[1].contains("未知"));
    assert!(msgs[2].contains("第 4 行") && msgs[2].contains("写明所属市"));
    // Wrong file type and empty file.
    assert_says(
        suzhou
            .post(app.url(&format!(
                "/api/v1/sessions/{session}/roster?filename=photo.png"
            )))
            .body(vec![0x89, b'P', b'N', b'G', 0, 0, 0, 0])
            .send()
            .await
            .unwrap(),
        422,
        ".xlsx",
    )
    .await;
    // Nanjing may not import into Suzhou's session.
    let res = app
        .api("nanjing")
        .await
        .post(&url)
        .body(xlsx(3, None))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn cli_and_web_upload() {
    let app = TestApp::spawn().await;
    let session = suzhou_session(&app).await;
    let dir = app.data_dir();
    let good = dir.join("good.csv");
    // GBK-encoded, as Excel saves CSV on Chinese Windows.
    let text = "报名名单\n姓名,手机号,层级,所在地区,会场\n张三,13600000001,运营人员,昆山,昆山分会场\n李四 ,136-0000-0002,企业负责人,苏州市姑苏区,\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    std::fs::write(&good, &gbk).unwrap();
    let out = app
        .cli()
        .args(["import", "roster"])
        .arg(&good)
        .args(["--session", &session.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("新建学员 2 人"));
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "姓名,手机号,层级,所在地区\n王五,1360000000,运营人员,昆山\n",
    )
    .unwrap();
    let out = app
        .cli()
        .args(["import", "roster"])
        .arg(&bad)
        .args(["--session", &session.to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("第 2 行「手机号」"), "{err}");
    assert!(err.contains("nothing imported"));

    // The web form, as the Kunshan county office filling its sub-venue.
    let (c, csrf) = app.login("kunshan").await;
    let page = app.get(&c, &format!("/sessions/{session}/roster")).await;
    assert_eq!(page.status(), 200);
    let template = app.get(&c, "/roster-template.xlsx").await;
    assert_eq!(template.status(), 200);
    assert!(template.bytes().await.unwrap().starts_with(b"PK"));
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(
                "姓名,手机号,层级,所在地区\n赵六,13600000009,运营人员,昆山市\n"
                    .as_bytes()
                    .to_vec(),
            )
            .file_name("名单.csv"),
        );
    assert_says(
        c.post(app.url(&format!("/sessions/{session}/roster")))
            .multipart(form)
            .send()
            .await
            .unwrap(),
        200,
        "新建学员 1 人",
    )
    .await;
    // A row outside Kunshan is refused for the county office.
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(
            "姓名,手机号,层级,所在地区\n钱七,13600000010,运营人员,姑苏区\n"
                .as_bytes()
                .to_vec(),
        )
        .file_name("名单.csv"),
    );
    assert_says(
        c.post(app.url(&format!("/sessions/{session}/roster")))
            .multipart(form)
            .send()
            .await
            .unwrap(),
        422,
        "第 2 行「所在地区」",
    )
    .await;
}
