//! The compliance checker over HTTP on the real database: findings with
//! offsets into the original text, clear refusals for text that cannot be
//! checked (nothing counted), batches with their ids and documented
//! limits, the annotated titles workbook, and offices' counts by region.

use serde_json::{json, Value};

use crate::common::TestApp;

async fn post(app: &TestApp, who: &reqwest::Client, path: &str, body: Value) -> (u16, Value) {
    let res = app.post_json(who, path, &body).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn checks_counted(app: &TestApp, office: &reqwest::Client) -> i64 {
    let o = app
        .get_json(office, "/api/v1/compliance/overview?days=7")
        .await;
    o["totals"]["checks"].as_i64().unwrap()
}

#[tokio::test]
async fn findings_point_into_the_original_text_and_explain_themselves() {
    let app = TestApp::spawn().await;
    let trainee = app.api("trainee").await;
    let text = "家人们！這款是 國*家*級 工艺，zui好的大闸蟹，醉好吃！保证有效，无效退款";
    let (status, r) = post(
        &app,
        &trainee,
        "/api/v1/compliance/check",
        json!({"text": text}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert!(r["rules_version"].as_str().is_some_and(|v| !v.is_empty()));
    let chars: Vec<char> = text.chars().collect();
    let findings = r["findings"].as_array().unwrap();
    assert!(findings.len() >= 4, "{r}");
    for f in findings {
        let (s, e) = (
            f["start"].as_u64().unwrap() as usize,
            f["end"].as_u64().unwrap() as usize,
        );
        let back: String = chars[s..e].iter().collect();
        assert_eq!(back, f["term"].as_str().unwrap(), "{f}");
        for k in [
            "category",
            "rule",
            "basis",
            "explanation",
            "suggestion",
            "severity",
        ] {
            assert!(f[k].as_str().is_some_and(|v| !v.is_empty()), "{k} in {f}");
        }
    }
    let terms: Vec<&str> = findings
        .iter()
        .map(|f| f["term"].as_str().unwrap())
        .collect();
    assert!(
        terms.contains(&"國*家*級") && terms.contains(&"zui好"),
        "{terms:?}"
    );
    let cats: Vec<&str> = findings
        .iter()
        .map(|f| f["category"].as_str().unwrap())
        .collect();
    assert!(cats.contains(&"guarantee"), "{cats:?}");

    // English explanations for an English caller.
    let res = trainee
        .post(app.url("/api/v1/compliance/check"))
        .header("accept-language", "en")
        .json(&json!({"text": "全网最低价"}))
        .send()
        .await
        .unwrap();
    let r: Value = res.json().await.unwrap();
    assert!(r["findings"][0]["explanation"].as_str().unwrap().is_ascii());
}

#[tokio::test]
async fn text_that_cannot_be_checked_is_refused_and_not_counted() {
    let app = TestApp::spawn().await;
    let trainee = app.api("trainee").await;
    let suzhou = app.api("suzhou").await;
    let before = checks_counted(&app, &suzhou).await;
    let binary: String = (0u8..=255).map(char::from).cycle().take(4000).collect();
    let cases = [
        (json!({"text": "   "}), "text"),
        (json!({"text": "最".repeat(1_000_000)}), "text"),
        (json!({"text": binary}), "text"),
        (json!({"text": "好", "kind": "video"}), "kind"),
    ];
    for (body, field) in cases {
        let (status, r) = post(&app, &trainee, "/api/v1/compliance/check", body).await;
        assert_eq!(status, 422, "{r}");
        assert!(r.to_string().contains(field), "{r}");
    }
    // Not JSON at all: the API's error shape, not a crash.
    let res = trainee
        .post(app.url("/api/v1/compliance/check"))
        .header("content-type", "application/json")
        .body(vec![0xff, 0xfe, 0x00])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(checks_counted(&app, &suzhou).await, before);

    // A partner may not use it.
    let bank = app.api("bank").await;
    let (status, _) = post(
        &app,
        &bank,
        "/api/v1/compliance/check",
        json!({"text": "最好"}),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn batches_echo_ids_and_refuse_whole_when_one_text_is_bad() {
    let app = TestApp::spawn().await;
    let trainee = app.api("trainee").await;
    let suzhou = app.api("suzhou").await;
    let before = checks_counted(&app, &suzhou).await;
    let (status, r) = post(
        &app,
        &trainee,
        "/api/v1/compliance/check-batch",
        json!({"kind": "title", "texts": [
            {"id": "sku-1", "text": "阳澄湖大闸蟹 顶级公蟹 全网最低价"},
            {"id": "sku-2", "text": "洞庭碧螺春 明前新茶 250克"},
            {"text": "沭阳多肉 第一次养也能活"}
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["id"], "sku-1");
    assert!(!results[0]["findings"].as_array().unwrap().is_empty());
    assert!(results[1]["findings"].as_array().unwrap().is_empty());
    assert!(results[2].get("id").is_none());
    assert_eq!(checks_counted(&app, &suzhou).await, before + 3);

    // One empty text refuses the batch and names it; nothing is counted.
    let (status, r) = post(
        &app,
        &trainee,
        "/api/v1/compliance/check-batch",
        json!({"texts": [{"text": "最好"}, {"text": ""}]}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(r.to_string().contains('2'), "{r}");
    let too_many: Vec<Value> = (0..1001).map(|_| json!({"text": "好"})).collect();
    let (status, _) = post(
        &app,
        &trainee,
        "/api/v1/compliance/check-batch",
        json!({ "texts": too_many }),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(checks_counted(&app, &suzhou).await, before + 3);
}

#[tokio::test]
async fn offices_see_counts_for_their_region_only() {
    let app = TestApp::spawn().await;
    let trainee = app.api("trainee").await;
    for text in ["全网最低价", "这款面霜能治疗痘痘", "今天的螃蟹很肥"] {
        let (status, _) = post(
            &app,
            &trainee,
            "/api/v1/compliance/check",
            json!({"text": text}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let suzhou = app.api("suzhou").await;
    let o = app.get_json(&suzhou, "/api/v1/compliance/overview").await;
    assert_eq!(o["totals"]["checks"], 3, "{o}");
    assert_eq!(o["totals"]["flagged"], 2, "{o}");
    // Per county under Suzhou: the trainee's Kunshan.
    assert_eq!(o["totals"]["per_region"][0][0], "320583", "{o}");
    let cats = o["totals"]["per_category"].as_array().unwrap();
    assert_eq!(cats.len(), 8);
    let nanjing = app.api("nanjing").await;
    let o = app.get_json(&nanjing, "/api/v1/compliance/overview").await;
    assert_eq!(o["totals"]["checks"], 0, "{o}");
    let admin = app.api("admin").await;
    let o = app.get_json(&admin, "/api/v1/compliance/overview").await;
    assert_eq!(o["totals"]["per_region"][0][0], "320500", "{o}");
    // Trainees do not see the region's counts.
    let res = app.get(&trainee, "/api/v1/compliance/overview").await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_page_marks_hits_and_a_titles_sheet_comes_back_annotated() {
    let app = TestApp::spawn().await;
    let (browser, csrf) = app.login("trainee").await;
    let html = app
        .post_form(
            &browser,
            &csrf,
            "/compliance",
            &[
                ("text", "这是全网最低价的<b>顶级</b>大闸蟹"),
                ("kind", "script"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("class=\"hit"), "marked");
    assert!(!html.contains("<b>顶级"), "the text is escaped");
    assert!(html.contains("广告法"), "basis shown");

    let upload = |bytes: Vec<u8>, name: &'static str| {
        let (browser, csrf) = (&browser, csrf.clone());
        let app = &app;
        async move {
            let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
            browser
                .post(app.url("/compliance/titles"))
                .multipart(
                    reqwest::multipart::Form::new()
                        .text("csrf", csrf)
                        .part("file", part),
                )
                .send()
                .await
                .unwrap()
        }
    };
    let res = upload(
        "序号,商品标题\n1,阳澄湖大闸蟹 顶级公蟹 全网最低价\n2,洞庭碧螺春 明前新茶\n"
            .as_bytes()
            .to_vec(),
        "titles.csv",
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"));
    // A malformed workbook: the page again, saying why.
    let res = upload(b"PK\x03\x04 not really a workbook".to_vec(), "titles.xlsx").await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("role=\"alert\""), "{html}");
}
