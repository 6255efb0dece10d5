//! The knowledge library through the real server: offices write and
//! publish, every role searches and reads only what its scope allows (not
//! even counts leak), drafts and withdrawn documents disappear from search,
//! and bad input is refused naming the field.

use serde_json::{json, Value};

use crate::common::*;

async fn create(app: &TestApp, c: &reqwest::Client, body: Value) -> i64 {
    let res = app.post_json(c, "/api/v1/knowledge/documents", &body).await;
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    v["id"].as_i64().unwrap()
}

fn doc(title: &str, body: &str, region: &str, vis: &str, kind: &str) -> Value {
    json!({"kind": kind, "title": title, "body": body, "region": region,
           "visibility": vis, "industry": "农产品", "tiers": ["operator"],
           "competencies": ["product_selection"], "tags": ["助农"], "publish": true})
}

async fn ids(app: &TestApp, c: &reqwest::Client, q: &str) -> (Vec<i64>, u64, Value) {
    let v = app
        .get_json(c, &format!("/api/v1/knowledge/search?q={}", urlencode(q)))
        .await;
    let ids = v["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect();
    (ids, v["total"].as_u64().unwrap(), v)
}

#[tokio::test]
async fn every_role_reads_only_its_scope() {
    let app = TestApp::spawn().await;
    let suzhou = app.api("suzhou").await;
    let nanjing = app.api("nanjing").await;
    let word = "繁星测试蟹";
    let public = create(
        &app,
        &suzhou,
        doc(
            &format!("{word}公开案例"),
            "昆山大闸蟹冷链直播",
            "320583",
            "public",
            "case",
        ),
    )
    .await;
    let members = create(
        &app,
        &suzhou,
        doc(
            &format!("{word}苏州学员讲义"),
            "讲义正文",
            "320500",
            "trainees",
            "material",
        ),
    )
    .await;
    let offices = create(
        &app,
        &suzhou,
        doc(
            &format!("{word}苏州内部政策"),
            "内部",
            "320500",
            "offices",
            "policy",
        ),
    )
    .await;
    let nj_members = create(
        &app,
        &nanjing,
        doc(
            &format!("{word}南京学员讲义"),
            "南京",
            "320100",
            "trainees",
            "material",
        ),
    )
    .await;
    let mut draft_body = doc(&format!("{word}草稿"), "草稿", "320500", "public", "case");
    draft_body["publish"] = json!(false);
    let draft = create(&app, &suzhou, draft_body).await;

    let expect: &[(&str, &[i64])] = &[
        ("admin", &[public, members, offices, nj_members]),
        ("suzhou", &[public, members, offices]),
        // Kunshan sees what is above it (Suzhou's, the province's) and its own.
        ("kunshan", &[public, members, offices]),
        ("nanjing", &[public, nj_members]),
        // A Kunshan trainee: public, and members' documents of Suzhou.
        ("trainee", &[public, members]),
        // A partner with no region: public only.
        ("bank", &[public]),
    ];
    for (user, want) in expect {
        let c = app.api(user).await;
        let (mut got, total, v) = ids(&app, &c, word).await;
        got.sort();
        let mut want = want.to_vec();
        want.sort();
        assert_eq!(got, want, "{user}: {v}");
        assert_eq!(total as usize, want.len(), "{user}: the count leaks");
        let kinds = v["facets"][0]["values"].to_string();
        if !want.contains(&offices) {
            assert!(
                !kinds.contains("policy"),
                "{user}: the facet leaks: {kinds}"
            );
        }
        for id in [public, members, offices, nj_members, draft] {
            let res = app
                .get(&c, &format!("/api/v1/knowledge/documents/{id}"))
                .await;
            let may = want.contains(&id) || (id == draft && matches!(*user, "admin" | "suzhou"));
            assert_eq!(res.status().is_success(), may, "{user} reading {id}");
            if !may {
                assert_eq!(res.status(), 404, "{user} reading {id}");
            }
        }
    }

    // Pages: anyone may search; a hidden document asks an anonymous
    // visitor to log in, whether or not it exists.
    let anon = app.browser();
    let page = app
        .get_text(&anon, &format!("/knowledge?q={}", urlencode(word)))
        .await;
    assert!(
        page.contains("公开案例") && !page.contains("学员讲义"),
        "{page}"
    );
    for id in [members, 999_999] {
        let res = app.get(&anon, &format!("/knowledge/{id}")).await;
        assert_eq!(res.status(), 303);
    }
    let res = app.get(&anon, &format!("/knowledge/{public}")).await;
    assert_eq!(res.status(), 200);

    // Withdrawing takes it out of search; publishing the draft brings it in.
    let res = app
        .post_json(
            &suzhou,
            &format!("/api/v1/knowledge/documents/{public}/status"),
            &json!({"status": "withdrawn"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_json(
            &suzhou,
            &format!("/api/v1/knowledge/documents/{draft}/status"),
            &json!({"status": "published"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let trainee = app.api("trainee").await;
    let (got, _, _) = ids(&app, &trainee, word).await;
    assert!(got.contains(&draft) && !got.contains(&public), "{got:?}");
}

#[tokio::test]
async fn only_offices_write_within_their_region_and_bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    let trainee = app.api("trainee").await;
    let res = app
        .post_json(
            &trainee,
            "/api/v1/knowledge/documents",
            &doc("标题", "正文", "320583", "public", "case"),
        )
        .await;
    assert_eq!(res.status(), 403);
    let kunshan = app.api("kunshan").await;
    let res = app
        .post_json(
            &kunshan,
            "/api/v1/knowledge/documents",
            &doc("标题", "正文", "320500", "public", "case"),
        )
        .await;
    assert_says(res, 422, "region").await;
    let res = app
        .post_json(
            &kunshan,
            "/api/v1/knowledge/documents",
            &json!({"kind": "novel", "title": "", "body": "x", "visibility": "secret",
                    "details": {"issued_on": "2024-13-40"}}),
        )
        .await;
    let text = assert_says(res, 422, "kind").await;
    for field in ["title", "visibility", "details.issued_on"] {
        assert!(text.contains(field), "{field} not named: {text}");
    }
    // Another city's office can neither change nor see a draft.
    let suzhou = app.api("suzhou").await;
    let mut body = doc("苏州草稿", "正文", "320500", "public", "case");
    body["publish"] = json!(false);
    let id = create(&app, &suzhou, body).await;
    let nanjing = app.api("nanjing").await;
    let res = app
        .post_json(
            &nanjing,
            &format!("/api/v1/knowledge/documents/{id}/status"),
            &json!({"status": "published"}),
        )
        .await;
    assert_eq!(res.status(), 404);
    // The form page writes one too, and a refused form keeps what was typed.
    let (c, csrf) = app.login("kunshan").await;
    let res = app
        .post_form(
            &c,
            &csrf,
            "/knowledge/new",
            &[
                ("kind", "qa"),
                ("title", ""),
                ("body", "昆山答案正文"),
                ("visibility", "public"),
            ],
        )
        .await;
    let text = assert_says(res, 422, "昆山答案正文").await;
    assert!(text.contains("aria-invalid"), "{text}");
    let res = app
        .post_form(
            &c,
            &csrf,
            "/knowledge/new",
            &[
                ("kind", "qa"),
                ("title", "昆山问答"),
                ("body", "昆山答案正文"),
                ("visibility", "public"),
                ("tags", "助农，冷链"),
                // Ticked checkboxes: one field each.
                ("tiers", "operator"),
                ("tiers", "company_head"),
                ("competencies", "product_selection"),
                ("competencies", "data_analysis"),
                ("publish", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let id: i64 = res.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/knowledge/")
        .parse()
        .unwrap();
    let api = app.api("kunshan").await;
    let v = app
        .get_json(&api, &format!("/api/v1/knowledge/documents/{id}"))
        .await;
    assert_eq!(v["tiers"], json!(["operator", "company_head"]), "{v}");
    assert_eq!(
        v["competencies"],
        json!(["product_selection", "data_analysis"])
    );
    assert_eq!(v["tags"], json!(["助农", "冷链"]));
    // Editing it unchanged saves (the form comes back with its boxes ticked).
    let form = app.get_text(&c, &format!("/knowledge/{id}/edit")).await;
    assert!(form.contains(r#"value="company_head" checked"#), "{form}");
    let res = app
        .post_form(
            &c,
            &csrf,
            &format!("/knowledge/{id}/edit"),
            &[
                ("kind", "qa"),
                ("title", "昆山问答（修订）"),
                ("body", "昆山答案正文"),
                ("visibility", "public"),
                ("tiers", "operator"),
                ("competencies", "data_analysis"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let v = app
        .get_json(&api, &format!("/api/v1/knowledge/documents/{id}"))
        .await;
    assert_eq!(v["title"], "昆山问答（修订）");
    assert_eq!(v["competencies"], json!(["data_analysis"]));
    let page = app
        .get_text(&c, "/knowledge?q=%E6%98%86%E5%B1%B1%E9%97%AE%E7%AD%94")
        .await;
    assert!(
        page.contains("<mark>") || page.contains("昆山问答"),
        "{page}"
    );
}

/// Waits (up to ten seconds) until searching `q` at `base` does or does
/// not find `id`.
async fn until_found(c: &reqwest::Client, base: &str, q: &str, id: i64, want: bool) -> bool {
    for _ in 0..50 {
        let v: Value = c
            .get(format!("{base}/api/v1/knowledge/search?q={}", urlencode(q)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let found = v["hits"]
            .as_array()
            .is_some_and(|h| h.iter().any(|h| h["id"].as_i64() == Some(id)));
        if found == want {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    false
}

/// Two servers on one database: what is published through one is found
/// through the other within seconds, and a withdrawal too; an index
/// deleted from a server's data directory is rebuilt by `fanxing index
/// rebuild`.
#[tokio::test]
async fn two_servers_follow_one_database() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut other, base) = app.serve_process(dir.path());
    let suzhou = app.api("suzhou").await;
    let word = "双服务器同步测试";
    let id = create(
        &app,
        &suzhou,
        doc(&format!("{word}案例"), "正文", "320500", "public", "case"),
    )
    .await;
    assert!(
        until_found(&suzhou, &base, word, id, true).await,
        "not found through the other server"
    );
    let res = suzhou
        .post(format!("{base}/api/v1/knowledge/documents/{id}/status"))
        .json(&json!({"status": "withdrawn"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        until_found(&suzhou, &app.url(""), word, id, false).await,
        "the first server still finds a withdrawn document"
    );
    let again = create(
        &app,
        &suzhou,
        doc(&format!("{word}第二篇"), "正文", "320500", "public", "case"),
    )
    .await;
    assert!(until_found(&suzhou, &base, word, again, true).await);
    other.kill().unwrap();
    other.wait().unwrap();

    // The index is derived data: delete it, rebuild it, find the document.
    std::fs::remove_dir_all(dir.path().join("search-index")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fanxing"))
        .args(["index", "rebuild", "--data-dir"])
        .arg(dir.path())
        .env("FANXING_DATA_KEY", TEST_KEY)
        .env("DATABASE_URL", app.config.url())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("search index rebuilt: 1 documents"), "{text}");
    let (mut other, base) = app.serve_process(dir.path());
    assert!(until_found(&suzhou, &base, word, again, true).await);
    other.kill().unwrap();
    other.wait().unwrap();
}

/// An uploaded material's text becomes searchable for the programme's
/// members; a file whose text cannot be had is flagged on the course page
/// to those who edit the course, with the reason, and nothing is indexed.
#[tokio::test]
async fn uploaded_materials_are_searchable_or_flagged() {
    let app = TestApp::spawn().await;
    let admin = app.api("admin").await;
    let res = app
        .post_json(
            &admin,
            "/api/v1/courses",
            &json!({"title": "资料库测试课", "tiers": ["operator"], "duration_minutes": 60,
                    "competencies": ["product_selection"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let course = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let upload = |name: &str, bytes: Vec<u8>| {
        admin
            .post(app.url(&format!(
                "/api/v1/courses/{course}/materials?filename={}",
                urlencode(name)
            )))
            .body(bytes)
            .send()
    };
    // Plain text in GB 18030 (as Windows Notepad in China saves it).
    let (gbk, _, _) = encoding_rs::GB18030.encode("第三讲：蟹塘直播的冷链打包要点\n泡沫箱加冰袋。");
    let res = upload("冷链讲义.txt", gbk.into_owned()).await.unwrap();
    assert_eq!(res.status(), 201);
    let trainee = app.api("trainee").await;
    let (hits, _, v) = ids(&app, &trainee, "蟹塘冷链打包").await;
    assert_eq!(hits.len(), 1, "{v}");
    assert_eq!(v["hits"][0]["title"], "冷链讲义");
    // A damaged PDF is stored (the file is the lecturer's) but flagged.
    let res = upload("坏文件.pdf", b"%PDF-1.7\nnot really a pdf".to_vec())
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let (c, _) = app.login("admin").await;
    let page = app.get_text(&c, &format!("/courses/{course}")).await;
    assert!(
        page.contains("资料库未收录") && page.contains("PDF 文件已损坏"),
        "{page}"
    );
    assert!(page.contains("已收入资料库"), "{page}");
    // Not to a trainee, who only reads.
    let (t, _) = app.login("trainee").await;
    let page = app.get_text(&t, &format!("/courses/{course}")).await;
    assert!(!page.contains("资料库未收录"), "{page}");
    // Empty, and a text file that is really something else, are refused.
    assert_says(upload("空.txt", Vec::new()).await.unwrap(), 422, "空").await;
    let res = upload("伪装.txt", b"\x00\x01\x02binary".to_vec())
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}
