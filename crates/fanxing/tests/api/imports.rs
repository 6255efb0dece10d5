//! Importers on the files people really have (`tests/fixtures/imports/`
//! and workbooks built here): each silent-corruption case either imports
//! the right values or is refused by row and column, on both databases.

use serde_json::{json, Value};

use crate::common::TestApp;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/imports")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn post(c: &reqwest::Client, url: String, bytes: Vec<u8>) -> (u16, Value) {
    let res = c.post(url).body(bytes).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A Douyin room `fx-units` in Kunshan; returns its id.
async fn room(app: &TestApp) -> i64 {
    let res = app
        .post_json(
            &app.api("admin").await,
            "/api/v1/rooms",
            &json!({"platform": "douyin", "account_id": "fx-units", "name": "单位测试直播间",
            "industry": "服装", "size_tier": "tail", "region": "320583"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// One stored session's figures by its platform id.
async fn stored(app: &TestApp, id: &str) -> (i64, i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT started_at, duration_s, views, watch_s, gmv_fen FROM live_sessions \
         WHERE platform_session_id = $1",
    )
    .bind(id)
    .fetch_one(app.opened.store.pool())
    .await
    .unwrap()
}

fn messages(body: &Value) -> Vec<String> {
    body["error"]["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r["message"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn live_exports_import_right_values_or_are_refused_by_row() {
    let app = TestApp::spawn().await;
    let room = room(&app).await;
    let admin = app.api("admin").await;
    let multi = |platform: &str, name: &str| {
        app.url(&format!(
            "/api/v1/live-sessions?platform={platform}&filename={name}"
        ))
    };

    // Units named in headers: hours, 万, minutes, 万元.
    let (status, body) = post(&admin, multi("douyin", "u.csv"), fixture("live-units.csv")).await;
    assert_eq!(status, 200, "{body}");
    let (_, duration, views, watch, gmv) = stored(&app, "u-1").await;
    assert_eq!(duration, 9_000, "2.5 小时");
    assert_eq!(views, 12_000, "1.2 万");
    assert_eq!(watch, 90 * 5_000, "1.5 分钟 each");
    assert_eq!(gmv, 3_250_000, "3.25 万元 in fen");

    // Explicit offsets are converted; a naive time is Beijing time.
    let (status, body) = post(&admin, multi("douyin", "z.csv"), fixture("live-utc.csv")).await;
    assert_eq!(status, 200, "{body}");
    let beijing = stored(&app, "z-3").await.0;
    assert_eq!(stored(&app, "z-1").await.0, beijing);
    assert_eq!(stored(&app, "z-2").await.0, beijing);
    // The platform's later export of the same sessions, with refunds and
    // sales added to one: reported, the stored figures kept.
    let again = String::from_utf8(fixture("live-utc.csv")).unwrap().replace(
        "fx-units,z-1,2025-01-05T11:30:00Z,60,100,50,0",
        "fx-units,z-1,2025-01-05T11:30:00Z,60,100,50,88",
    );
    let (status, body) = post(&admin, multi("douyin", "z2.csv"), again.into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["new"].as_i64(), body["changed"].as_i64()),
        (Some(0), Some(1)),
        "{body}"
    );
    assert_eq!(body["changed_ids"], json!(["z-1"]));
    assert_eq!(stored(&app, "z-1").await.4, 0);

    // Refused files, by row and column, nothing stored.
    let before: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM live_sessions")
        .fetch_one(app.opened.store.pool())
        .await
        .unwrap();
    let cases: [(&str, &str, &[&str]); 5] = [
        (
            "douyin",
            "live-overflow.csv",
            &[
                "第 2 行「观看人次」",
                "第 3 行「成交金额」",
                "10 亿",
                "100 亿元",
            ],
        ),
        ("kuaishou", "live-douyin-file.csv", &["抖音", "抖音号"]),
        ("channels", "live-douyin-file.csv", &["抖音"]),
        (
            "douyin",
            "live-damaged-ids.csv",
            &["第 2 行「直播场次ID」", "科学计数法"],
        ),
        (
            "douyin",
            "live-impossible.csv",
            &[
                "第 2 行「直播时长」",
                "第 3 行「直播时长」",
                "72 小时",
                "第 4 行「观看人数」",
                "没有观看人数",
            ],
        ),
    ];
    for (platform, name, says) in cases {
        let (status, body) = post(&admin, multi(platform, name), fixture(name)).await;
        assert_eq!(status, 422, "{name}: {body}");
        let text = body.to_string();
        for s in says {
            assert!(text.contains(s), "{name}: {s} not in {text}");
        }
    }
    // A room's own upload refuses another account's rows.
    let (status, body) = post(
        &admin,
        app.url(&format!(
            "/api/v1/rooms/{room}/sessions?platform=douyin&filename=two.csv"
        )),
        fixture("live-two-accounts.csv"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let m = messages(&body);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("第 3 行") && m[0].contains("someone-else"),
        "{m:?}"
    );
    let after: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM live_sessions")
        .fetch_one(app.opened.store.pool())
        .await
        .unwrap();
    assert_eq!(before, after, "refused files stored nothing");

    // Row numbers are the spreadsheet's: blank lines count, a line break
    // inside quotes does not.
    let (status, body) = post(
        &admin,
        multi("douyin", "b.csv"),
        fixture("live-blank-lines.csv"),
    )
    .await;
    assert_eq!(status, 422);
    let m = messages(&body).join("\n");
    assert!(m.contains("第 4 行") && m.contains("第 6 行"), "{m}");
    assert!(!m.contains("第 7 行"), "{m}");

    // Everyday quirks: traditional headers, 2025年1月5日, `--` and 暂无 in
    // optional columns, a total line.
    let (status, body) = post(&admin, multi("douyin", "q.csv"), fixture("live-quirks.csv")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"], 2, "{body}");
    assert_eq!(stored(&app, "q-1").await.4, 1_250);
}

/// The columns of a Douyin live export.
const HEADERS: [&str; 7] = [
    "抖音号",
    "直播场次ID",
    "直播开始时间",
    "直播时长",
    "观看人次",
    "观看人数",
    "成交金额",
];

/// Writes `cells` as strings across row `row`.
fn write_row(ws: &mut rust_xlsxwriter::Worksheet, row: u32, cells: &[&str]) {
    for (c, v) in cells.iter().enumerate() {
        ws.write_string(row, c as u16, *v).unwrap();
    }
}

/// A workbook: a hidden old sheet first, then a note, then the data with
/// a date-time cell and a duration typed as a time.
fn workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let old = wb.add_worksheet().set_name("旧数据").unwrap();
    write_row(old, 0, &HEADERS);
    write_row(
        old,
        1,
        &["fx-units", "old-1", "2024-01-01 20:00", "60", "1", "1", "0"],
    );
    old.set_hidden(true);
    let note = wb.add_worksheet().set_name("说明").unwrap();
    note.write_string(0, 0, "本表由运营部整理").unwrap();
    let data = wb.add_worksheet().set_name("三月").unwrap();
    write_row(data, 0, &HEADERS);
    let when = ExcelDateTime::parse_from_str("2025-03-01 20:00:00").unwrap();
    let dt = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let hms = Format::new().set_num_format("h:mm:ss");
    data.write_string(1, 0, "fx-units").unwrap();
    data.write_string(1, 1, "x-1").unwrap();
    data.write_datetime_with_format(1, 2, &when, &dt).unwrap();
    // 2:30:00 in a time-formatted cell: 2.5 / 24 of a day.
    data.write_number_with_format(1, 3, 2.5 / 24.0, &hms)
        .unwrap();
    data.write_number(1, 4, 100).unwrap();
    data.write_number(1, 5, 50).unwrap();
    data.write_number(1, 6, 10).unwrap();
    data.set_active(true);
    wb.save_to_buffer().unwrap()
}

#[tokio::test]
async fn workbooks_are_read_from_the_visible_data_sheet_by_cell_type() {
    let app = TestApp::spawn().await;
    room(&app).await;
    let admin = app.api("admin").await;
    let (status, body) = post(
        &admin,
        app.url("/api/v1/live-sessions?platform=douyin&filename=w.xlsx"),
        workbook(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sheet"], "三月", "{body}");
    assert_eq!(body["rows"], 1);
    let (started, duration, ..) = stored(&app, "x-1").await;
    assert_eq!(duration, 9_000, "2:30:00 typed as a time");
    assert_eq!(
        started,
        fanxing_core::training::parse_local_datetime("2025-03-01 20:00").unwrap()
    );
    let old: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM live_sessions WHERE platform_session_id = 'old-1'")
            .fetch_one(app.opened.store.pool())
            .await
            .unwrap();
    assert_eq!(old.0, 0, "the hidden sheet is never read");
}

/// A roster fixture with `{M1}`, `{M2}`… replaced by fresh mobiles.
fn roster_fixture(name: &str) -> Vec<u8> {
    let mut text = String::from_utf8(fixture(name)).unwrap();
    for i in 1..=9 {
        text = text.replace(&format!("{{M{i}}}"), &crate::common::fresh_mobile());
    }
    text.into_bytes()
}

#[tokio::test]
async fn rosters_read_headers_regions_organisations_and_mobiles_as_written() {
    let app = TestApp::spawn().await;
    let (session, _) = crate::hardening::suzhou_session_today(&app).await;
    let suzhou = app.api("suzhou").await;
    let url = |name: &str| {
        app.url(&format!(
            "/api/v1/sessions/{session}/roster?filename={name}"
        ))
    };

    // Excel's damage to mobiles: a ten-digit number with `.0` stays ten
    // digits; scientific notation is named.
    let (status, body) = post(
        &suzhou,
        url("m.csv"),
        roster_fixture("roster-mobiles-damaged.csv"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let m = messages(&body);
    assert!(m[0].contains("第 2 行") && m[0].contains("11 位"), "{m:?}");
    assert!(
        m[1].contains("第 3 行") && m[1].contains("科学计数法"),
        "{m:?}"
    );
    // A genuine number cell's text is read whole.
    let mobile = crate::common::fresh_mobile();
    let (status, body) = post(
        &suzhou,
        url("ok.csv"),
        format!("姓名,手机号,层级,所在地区\n赵一,{mobile}.0,运营人员,姑苏区\n").into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // 单位性质 beside 单位名称, bracket widths, 园区, a full address, a
    // note in the header, a total line.
    let (status, body) = post(
        &suzhou,
        url("o.csv"),
        roster_fixture("roster-orgs-regions.csv"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["registered"], 3, "{body}");
    assert_eq!(
        body["created_orgs"], 2,
        "one organisation per normalised name: {body}"
    );
    let kinds: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM organisations WHERE name IN ('民营企业', '国有企业')")
            .fetch_one(app.opened.store.pool())
            .await
            .unwrap();
    assert_eq!(
        kinds.0, 0,
        "a 单位性质 column is not the organisation's name"
    );
    let regions: Vec<(String, i64)> = sqlx::query_as(
        "SELECT name, region FROM people WHERE name IN ('测王一', '测王二', '测王三') ORDER BY name",
    )
    .fetch_all(app.opened.store.pool())
    .await
    .unwrap();
    let mut regions = regions;
    regions.sort();
    assert_eq!(
        regions,
        vec![
            ("测王一".to_string(), 320576),
            ("测王三".to_string(), 320583),
            ("测王二".to_string(), 320576),
        ]
    );

    // City and county in two columns.
    let (status, body) = post(
        &suzhou,
        url("c.csv"),
        roster_fixture("roster-city-county.csv"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let regions: Vec<(String, i64)> = sqlx::query_as(
        "SELECT name, region FROM people WHERE name IN ('测李一', '测李二') ORDER BY name",
    )
    .fetch_all(app.opened.store.pool())
    .await
    .unwrap();
    let mut regions = regions;
    regions.sort();
    assert_eq!(
        regions,
        vec![
            ("测李一".to_string(), 320583),
            ("测李二".to_string(), 320509)
        ]
    );

    // No header: what was expected and what the file holds.
    let (status, body) = post(
        &suzhou,
        url("n.csv"),
        "苏州市培训报名表\n张三,13800000000\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 422);
    let m = messages(&body).join("");
    assert!(m.contains("姓名") && m.contains("苏州市培训报名表"), "{m}");
}

#[tokio::test]
async fn a_roster_workbook_is_read_from_its_visible_roster_sheet() {
    use rust_xlsxwriter::Workbook;
    let app = TestApp::spawn().await;
    let (session, _) = crate::hardening::suzhou_session_today(&app).await;
    let mut wb = Workbook::new();
    let old = wb.add_worksheet().set_name("去年").unwrap();
    old.write_row(0, 0, ["姓名", "手机号", "层级", "所在地区"])
        .unwrap();
    old.write_row(1, 0, ["旧学员", "13900000001", "运营人员", "姑苏区"])
        .unwrap();
    old.set_hidden(true);
    wb.add_worksheet()
        .set_name("填表说明")
        .unwrap()
        .write_string(0, 0, "请按模板填写")
        .unwrap();
    let data = wb.add_worksheet().set_name("报名名单").unwrap();
    data.write_row(0, 0, ["姓名", "手机号", "层级", "所在地区"])
        .unwrap();
    let mobile = crate::common::fresh_mobile();
    data.write_row(1, 0, ["新学员", mobile.as_str(), "运营人员", "姑苏区"])
        .unwrap();
    data.set_active(true);
    let (status, body) = post(
        &app.api("suzhou").await,
        app.url(&format!(
            "/api/v1/sessions/{session}/roster?filename=r.xlsx"
        )),
        wb.save_to_buffer().unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sheet"], "报名名单");
    assert_eq!(body["registered"], 1);
    let old: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM people WHERE name = '旧学员'")
        .fetch_one(app.opened.store.pool())
        .await
        .unwrap();
    assert_eq!(old.0, 0);
}

#[tokio::test]
async fn rosters_never_swap_or_split_people_silently() {
    let app = TestApp::spawn().await;
    let (session, _) = crate::hardening::suzhou_session_today(&app).await;
    let (_, stored_name, mobile) = crate::hardening::someone_in(&app, "320500", "operator").await;
    let suzhou = app.api("suzhou").await;
    let url = app.url(&format!("/api/v1/sessions/{session}/roster?filename=r.csv"));
    // A known mobile under another name: flagged, the stored name untold.
    let (status, body) = post(
        &suzhou,
        url.clone(),
        format!("姓名,手机号,层级,所在地区\n另一个人,{mobile},运营人员,姑苏区\n").into_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let m = messages(&body).join("");
    assert!(m.contains("另一个姓名"), "{m}");
    assert!(!body.to_string().contains(&stored_name), "{body}");
    // One ID number on two rows with two mobiles.
    let first17 = "32058319900101001";
    let id = format!(
        "{first17}{}",
        fanxing_core::values::IdNumber::check_char(first17)
    );
    let (status, body) = post(
        &suzhou,
        url,
        format!(
            "姓名,手机号,身份证号,层级,所在地区\n钱一,{},{id},运营人员,姑苏区\n钱一,{},{id},运营人员,姑苏区\n",
            crate::common::fresh_mobile(),
            crate::common::fresh_mobile()
        )
        .into_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let m = messages(&body).join("");
    assert!(m.contains("第 3 行") && m.contains("第 2 行相同"), "{m}");

    // An ID number on record: the same number under a new mobile, or a
    // known mobile and name with another number, is flagged, not turned
    // into a second person or merged.
    let url = app.url(&format!("/api/v1/sessions/{session}/roster?filename=r.csv"));
    let (m1, m2) = (crate::common::fresh_mobile(), crate::common::fresh_mobile());
    let (status, body) = post(
        &suzhou,
        url.clone(),
        format!("姓名,手机号,身份证号,层级,所在地区\n钱一,{m1},{id},运营人员,姑苏区\n")
            .into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        &suzhou,
        url.clone(),
        format!("姓名,手机号,身份证号,层级,所在地区\n钱一,{m2},{id},运营人员,姑苏区\n")
            .into_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let m = messages(&body).join("");
    assert!(
        m.contains("第 2 行「身份证号」") && m.contains("另一位学员"),
        "{m}"
    );
    // Asking whether a number is on record is itself on record.
    let admin = app.actor("admin").await;
    let log = app.opened.app.audit.entries(&admin, 20).await.unwrap();
    assert!(
        log.iter().any(|e| e.action == "roster.refused"
            && e.detail.contains("1 naming numbers held by others")),
        "{log:?}"
    );
    let other17 = "32058319900101002";
    let other = format!(
        "{other17}{}",
        fanxing_core::values::IdNumber::check_char(other17)
    );
    let (status, body) = post(
        &suzhou,
        url.clone(),
        format!("姓名,手机号,身份证号,层级,所在地区\n钱一,{m1},{other},运营人员,姑苏区\n")
            .into_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(messages(&body).join("").contains("身份证号"), "{body}");
    // The person as on record imports as before.
    let (status, body) = post(
        &suzhou,
        url,
        format!("姓名,手机号,身份证号,层级,所在地区\n钱一,{m1},{id},运营人员,姑苏区\n")
            .into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["already"], 1, "{body}");
    // The person form refuses the number too, without naming its holder.
    let body = json!({"name": "孙二", "mobile": m2, "id_number": id, "tier": "operator", "region": "320508"});
    let res = app.post_json(&suzhou, "/api/v1/people", &body).await;
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert!(status == 409 || status == 422, "{status} {text}");
    assert!(
        text.contains("id_number") && !text.contains("钱一"),
        "{text}"
    );

    // Rows stored before ID-number keys existed are keyed at start-up.
    sqlx::query("UPDATE people SET id_number_key = NULL")
        .execute(app.opened.store.writer())
        .await
        .unwrap();
    assert!(
        app.opened
            .app
            .people
            .backfill_id_number_keys()
            .await
            .unwrap()
            >= 1
    );
    assert_eq!(
        app.opened
            .app
            .people
            .backfill_id_number_keys()
            .await
            .unwrap(),
        0
    );
    let (status, _) = post(
        &suzhou,
        app.url(&format!("/api/v1/sessions/{session}/roster?filename=r.csv")),
        format!(
            "姓名,手机号,身份证号,层级,所在地区\n钱一,{},{id},运营人员,姑苏区\n",
            crate::common::fresh_mobile()
        )
        .into_bytes(),
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn a_bulk_roster_fills_venues_by_the_rule_one_registration_follows() {
    let app = TestApp::spawn().await;
    let admin = app.actor("admin").await;
    let fx = &app.opened.app;
    let programme = app.programme(&admin, "繁星计划").await;
    let start = fanxing_core::now() + 86_400;
    let input = serde_json::from_value(json!({
        "programme_id": programme,
        "title": "苏州专场",
        "region": "320500",
        "eligible_tiers": ["operator"],
        "eligible_region": "320500",
        "starts_at": fanxing_core::training::format_local(start),
        "ends_at": fanxing_core::training::format_local(start + 3 * 3600),
        "venues": [
            {"kind": "main", "name": "苏州主会场", "address": "", "region": "320508", "capacity": 700},
            {"kind": "sub", "name": "昆山分会场", "address": "", "region": "320583", "capacity": 2}
        ]
    }))
    .unwrap();
    let view = fx
        .training
        .create_session(&admin, &input, true)
        .await
        .unwrap();
    let session = view.session.id;
    let mut csv = String::from("姓名,手机号,层级,所在地区\n");
    for i in 0..5 {
        csv.push_str(&format!(
            "昆山学员{i},{},运营人员,昆山\n",
            crate::common::fresh_mobile()
        ));
    }
    let (status, body) = post(
        &app.api("suzhou").await,
        app.url(&format!("/api/v1/sessions/{session}/roster?filename=r.csv")),
        csv.into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["registered"].as_i64(), body["waitlisted"].as_i64()),
        (Some(5), Some(0)),
        "two in Kunshan, the rest at the main venue: {body}"
    );
}
