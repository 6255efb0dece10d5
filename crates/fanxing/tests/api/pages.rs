//! Pages people act on: the session form as an office fills it in (the
//! opening session's main hall, 13 city halls and the stream), each role's
//! home page, and the figures written for people to read.

use fanxing_core::now;
use fanxing_core::training::format_local;
use fanxing_demo as demo;

use crate::common::TestApp;

const CITIES: [(&str, &str); 13] = [
    ("320100", "南京"),
    ("320200", "无锡"),
    ("320300", "徐州"),
    ("320400", "常州"),
    ("320500", "苏州"),
    ("320600", "南通"),
    ("320700", "连云港"),
    ("320800", "淮安"),
    ("320900", "盐城"),
    ("321000", "扬州"),
    ("321100", "镇江"),
    ("321200", "泰州"),
    ("321300", "宿迁"),
];

/// A demo server with the 繁星计划 programme, its sessions and check-in staff.
async fn with_programme() -> TestApp {
    let app = TestApp::spawn().await;
    demo::seed_training(&app.opened.app, &*app.opened.store, 2026)
        .await
        .expect("seed training");
    app
}

/// The demo programme's id, as the programme office sees it.
async fn programme_id(app: &TestApp) -> i64 {
    let list = app
        .get_json(&app.api("admin").await, "/api/v1/programmes")
        .await;
    list.as_array().expect("programmes")[0]["id"]
        .as_i64()
        .expect("id")
}

/// The opening session as the form sends it: the main hall in Nanjing, a
/// hall in each of the 13 cities, and an online stream whose region is left
/// as "same as the main venue".
fn opening_form(csrf: &str, programme: i64) -> Vec<(String, String)> {
    let day = 86_400;
    let start = format_local(now() + 10 * day).replace(' ', "T");
    let end = format_local(now() + 10 * day + 3 * 3600).replace(' ', "T");
    let mut f: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.into()),
        ("programme_id".into(), programme.to_string()),
        ("title".into(), "繁星计划启动仪式".into()),
        ("region".into(), "320000".into()),
        ("eligible_tiers".into(), "operator".into()),
        ("starts_at".into(), start),
        ("ends_at".into(), end),
        ("publish".into(), "1".into()),
        ("v0_name".into(), "南京主会场".into()),
        ("v0_region".into(), "320100".into()),
        ("v0_capacity".into(), "800".into()),
    ];
    for (i, (code, city)) in CITIES.iter().enumerate() {
        let row = i + 1;
        f.push((format!("v{row}_name"), format!("{city}分会场")));
        f.push((format!("v{row}_region"), code.to_string()));
        f.push((format!("v{row}_capacity"), "150".into()));
    }
    f.push((
        "v17_stream_url".into(),
        "https://live.example.cn/fanxing".into(),
    ));
    f.push(("v17_region".into(), String::new()));
    f.push(("v17_capacity".into(), "2000".into()));
    f
}

#[tokio::test]
async fn opening_session_is_entered_from_the_form() {
    let app = with_programme().await;
    let (admin, csrf) = app.login("admin").await;
    // The empty form offers no province as a venue region and room for 16
    // sub-venues besides the main hall and the stream.
    let html = app.get_text(&admin, "/sessions/new").await;
    assert!(html.contains("name=\"v16_name\"") && html.contains("name=\"v17_stream_url\""));
    assert!(!html.contains("name=\"v18_"), "no more rows than announced");
    let v0 = &html[html.find("name=\"v0_region\"").unwrap()..];
    let v0 = &v0[..v0.find("</select>").unwrap()];
    assert!(
        !v0.contains("value=\"320000\""),
        "the province is no venue region"
    );
    assert!(
        !v0.contains(" selected"),
        "a provincial office picks the city itself"
    );
    let programme = programme_id(&app).await;

    // A sub-venue without its city is named by what was typed, not a row number.
    let mut bad = opening_form(&csrf, programme);
    for (k, v) in bad.iter_mut() {
        if k == "v2_region" {
            v.clear();
        }
    }
    let res = admin
        .post(app.url("/sessions"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("分会场 2「无锡分会场」：请选择所在的市或县"),
        "{html}"
    );
    assert!(!html.contains("第 3 个会场"), "no hidden row numbers");
    assert!(
        html.contains("value=\"无锡分会场\""),
        "what was typed stays"
    );

    // The whole opening session saves, and says so.
    let res = admin
        .post(app.url("/sessions"))
        .form(&opening_form(&csrf, programme))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.ends_with("?done=created"), "{to}");
    let html = app.get_text(&admin, &to).await;
    assert!(html.contains("培训已保存并发布"), "{html}");
    let id: i64 = to
        .trim_start_matches("/sessions/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let view = app
        .get_json(&app.api("admin").await, &format!("/api/v1/sessions/{id}"))
        .await;
    let venues = view["venues"].as_array().expect("venues");
    assert_eq!(venues.len(), 15, "main + 13 cities + online");
    let online = venues
        .iter()
        .find(|v| v["venue"]["kind"] == "online" || v["kind"] == "online")
        .expect("online venue");
    let region = online["venue"]["region"]
        .as_str()
        .or(online["region"].as_str())
        .map(str::to_string)
        .or_else(|| {
            online["venue"]["region"]
                .as_i64()
                .or(online["region"].as_i64())
                .map(|r| r.to_string())
        });
    assert_eq!(
        region.as_deref(),
        Some("320100"),
        "the stream takes the main hall's city"
    );
}

#[tokio::test]
async fn each_role_has_a_home_to_act_from() {
    let app = with_programme().await;
    // The programme office: completion against today's plan, next steps.
    let (admin, _) = app.login("admin").await;
    let html = app.get_text(&admin, "/").await;
    assert!(html.contains("打开进度看板"), "{html}");
    assert!(html.contains("今天的计划"), "{html}");
    assert!(html.contains("href=\"/sessions/new\""));
    assert!(html.contains("接下来的培训"));
    // A trainee: their next training or how to find one, and certificates.
    let (trainee, _) = app.login("trainee").await;
    let html = app.get_text(&trainee, "/").await;
    assert!(
        html.contains("我的下一场培训") && html.contains("我的学习"),
        "{html}"
    );
    assert!(!html.contains("没有可查看的地区统计"));
    // Check-in staff: a button into their venue's check-in.
    let (staff, _) = app.login("checkin").await;
    let html = app.get_text(&staff, "/").await;
    assert!(
        html.contains("开始签到") && html.contains("href=\"/checkin/"),
        "{html}"
    );
    // A partner: plainly what works today: its application queue first.
    let (bank, _) = app.login("bank").await;
    let html = app.get_text(&bank, "/").await;
    assert!(
        html.contains("政银企对接") && html.contains("href=\"/match\""),
        "{html}"
    );
    assert!(html.contains("href=\"/orgs/") && html.contains("href=\"/verify\""));
    // Every link the partner's home shows opens.
    let main = &html[html.find("<main").unwrap()..];
    for href in main.split("href=\"").skip(1) {
        let href = &href[..href.find('"').unwrap()];
        if href.starts_with('/') {
            let res = app.get(&bank, href).await;
            assert_eq!(res.status(), 200, "{href}");
        }
    }
    // A visitor: log in, browse sessions or verify a certificate.
    let html = app.get_text(&app.browser(), "/").await;
    assert!(html.contains("class=\"button primary big\" href=\"/login\""));
    assert!(html.contains("href=\"/verify\""));
    let html = app.get_text(&app.browser(), "/verify").await;
    assert!(html.contains("name=\"number\""));
}

#[tokio::test]
async fn certificates_are_found_by_number_name_or_mobile() {
    let app = with_programme().await;
    let (admin, _) = app.login("admin").await;
    let html = app.get_text(&admin, "/certificates").await;
    let at = html.find("/verify/FX").expect("a certificate in the list") + "/verify/".len();
    let number = html[at..at + 15].to_string();
    // Typed in lower case, with spaces around it.
    let q = format!("  {}  ", number.to_lowercase());
    let html = app
        .get_text(
            &admin,
            &format!("/certificates?q={}", crate::common::urlencode(&q)),
        )
        .await;
    assert!(html.contains("共 1 张") && html.contains(&number), "{html}");
    // The holder's name (the link after the number) finds it too.
    let row = &html[html.find(&number).unwrap()..];
    let row = &row[row.find("/people/").unwrap()..];
    let name = &row[row.find('>').unwrap() + 1..row.find("</a>").unwrap()];
    let html = app
        .get_text(
            &admin,
            &format!("/certificates?q={}", crate::common::urlencode(name)),
        )
        .await;
    assert!(html.contains(&number), "{name}: {html}");
    // The public box and a lower-case number both reach the certificate.
    let anon = app.browser();
    let res = app
        .get(&anon, &format!("/verify?number={}", number.to_lowercase()))
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/verify/{number}").as_str()
    );
    let res = app
        .get(&anon, &format!("/verify/{}", number.to_lowercase()))
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn exports_are_named_by_region_and_day() {
    let app = with_programme().await;
    let programme = programme_id(&app).await;
    let (suzhou, _) = app.login("suzhou").await;
    let res = app
        .get(&suzhou, &format!("/programmes/{programme}/report.xlsx"))
        .await;
    assert_eq!(res.status(), 200);
    let d = res.headers()["content-disposition"].to_str().unwrap();
    let day = &format_local(now())[..10];
    let want = crate::common::urlencode(&format!("苏州市培训进度-{day}.xlsx"));
    assert!(d.contains(&format!("filename*=UTF-8''{want}")), "{d}");
}

/// The session titles a list page shows, in order.
fn titles(html: &str) -> Vec<String> {
    html.split("class=\"card session-card\"")
        .skip(1)
        .filter_map(|card| {
            let s = card.find("<strong>")? + "<strong>".len();
            let e = card[s..].find("</strong>")? + s;
            Some(card[s..e].to_string())
        })
        .collect()
}

#[tokio::test]
async fn sessions_are_searched_and_filtered() {
    let app = with_programme().await;
    let (admin, _) = app.login("admin").await;
    // Upcoming first by default; past ones on request, latest first.
    let upcoming = app.get_text(&admin, "/sessions").await;
    let past = app.get_text(&admin, "/sessions?when=past").await;
    assert!(!titles(&upcoming).is_empty() && !titles(&past).is_empty());
    let dates = |html: &str| -> Vec<String> {
        html.split("class=\"meta\">\n      <span>")
            .skip(1)
            .map(|s| s[..16].to_string())
            .collect()
    };
    let d = dates(&past);
    assert!(
        d.windows(2).all(|w| w[0] >= w[1]),
        "past latest first: {d:?}"
    );
    let d = dates(&upcoming);
    assert!(
        d.windows(2).all(|w| w[0] <= w[1]),
        "upcoming soonest first: {d:?}"
    );
    // A title search finds only matching sessions (a % is no wildcard).
    let first = titles(&upcoming)[0].clone();
    let word: String = first.chars().take(4).collect();
    let html = app
        .get_text(
            &admin,
            &format!("/sessions?when=all&q={}", crate::common::urlencode(&word)),
        )
        .await;
    let found = titles(&html);
    assert!(
        !found.is_empty() && found.iter().all(|t| t.contains(&word)),
        "{found:?}"
    );
    let html = app.get_text(&admin, "/sessions?when=all&q=%25").await;
    assert!(titles(&html).is_empty());
    // A tier filter keeps the sessions open to that tier.
    let count = |html: &str| -> i64 {
        let s = html.find("共 ").expect("count") + "共 ".len();
        let e = s + html[s..].find(" 场").unwrap();
        html[s..e].replace(',', "").parse().unwrap()
    };
    let html = app.get_text(&admin, "/sessions?when=all&tier=cadre").await;
    assert!(html.contains("<option value=\"cadre\" selected>"));
    let cadre = count(&html);
    let html = app.get_text(&admin, "/sessions?when=all").await;
    assert!(0 < cadre && cadre < count(&html), "{cadre}");
    // A trainee sees their own tier's sessions unless asking for all.
    let (trainee, _) = app.login("trainee").await;
    let html = app.get_text(&trainee, "/sessions").await;
    assert!(
        html.contains("<option value=\"operator\" selected>"),
        "{html}"
    );
    let html = app.get_text(&trainee, "/sessions?tier=all").await;
    assert!(html.contains("<option value=\"all\">"));
    // A malformed filter is named, not a server error.
    let res = app.get(&admin, "/sessions?when=someday").await;
    assert_eq!(res.status(), 422);
}

/// The 发证单位 a verify page shows.
fn issuer_on(html: &str) -> String {
    let marker = "发证单位</dt><dd>";
    let s = html.find(marker).expect("an issuer on the page") + marker.len();
    html[s..s + html[s..].find("</dd>").unwrap()].to_string()
}

#[tokio::test]
async fn the_programme_office_names_the_certificates_issuer() {
    let app = with_programme().await;
    let programme = programme_id(&app).await;
    let (admin, csrf) = app.login("admin").await;
    let html = app.get_text(&admin, "/certificates").await;
    let at = html.find("/verify/FX").expect("a certificate in the list") + "/verify/".len();
    let number = html[at..at + 15].to_string();
    let verify = format!("/verify/{number}");
    let anon = app.browser();
    // The demo names an issuing authority, not the programme.
    assert_eq!(
        issuer_on(&app.get_text(&anon, &verify).await),
        demo::DEMO_ISSUER
    );
    // The programme page holds the form, for the programme office only.
    let action = format!("action=\"/programmes/{programme}/issuer\"");
    let page = app
        .get_text(&admin, &format!("/programmes/{programme}"))
        .await;
    assert!(page.contains(&action), "{page}");
    let (suzhou, suzhou_csrf) = app.login("suzhou").await;
    let page = app
        .get_text(&suzhou, &format!("/programmes/{programme}?region=320500"))
        .await;
    assert!(!page.contains(&action));
    let post = |client: &reqwest::Client, csrf: &str, issuer: &str| {
        client
            .post(app.url(&format!("/programmes/{programme}/issuer")))
            .form(&[("csrf", csrf), ("issuer", issuer)])
            .send()
    };
    assert_eq!(
        post(&suzhou, &suzhou_csrf, "苏州市商务局")
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        post(&admin, "not-the-token", "江苏省商务厅")
            .await
            .unwrap()
            .status(),
        403
    );
    // Empty, control characters, direction marks and overlong names are
    // refused, and nothing changes.
    let long = "厅".repeat(61);
    for bad in [
        "",
        "   ",
        "江苏省\u{0}商务厅",
        "江苏省\u{202e}商务厅",
        long.as_str(),
    ] {
        let res = post(&admin, &csrf, bad).await.unwrap();
        assert_eq!(res.status(), 422, "{bad:?}");
    }
    assert_eq!(
        issuer_on(&app.get_text(&anon, &verify).await),
        demo::DEMO_ISSUER
    );
    // A new name, trimmed, is shown on the verify page and the holder's list.
    let res = post(&admin, &csrf, "  江苏省商务厅 繁星计划办公室  ")
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let back = res.headers()["location"].to_str().unwrap().to_string();
    assert!(app.get_text(&admin, &back).await.contains("发证单位已保存"));
    assert_eq!(
        issuer_on(&app.get_text(&anon, &verify).await),
        "江苏省商务厅 繁星计划办公室"
    );
    let listed = app
        .get_json(&app.api("admin").await, "/api/v1/programmes")
        .await;
    assert_eq!(listed[0]["issuer"], "江苏省商务厅 繁星计划办公室");
    // A new programme's certificates are issued in its own name until set.
    let res = app
        .api("admin")
        .await
        .post(app.url("/api/v1/programmes"))
        .json(&serde_json::json!({"name": "第二期计划", "starts_on": "2027-01-01", "ends_on": "2027-12-31"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: serde_json::Value = res.json().await.unwrap();
    assert_eq!(created["issuer"], "第二期计划");
}

/// The rules inside every `@media print { … }` block of a stylesheet, as
/// (selectors, declarations) in order.
fn print_rules(css: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = css;
    while let Some(at) = rest.find("@media print") {
        let body = &rest[at..];
        let open = body.find('{').unwrap();
        let mut depth = 0;
        let mut end = open;
        for (i, c) in body[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        for rule in body[open + 1..end].split('}') {
            if let Some((sel, decl)) = rule.split_once('{') {
                out.push((sel.trim().to_string(), decl.trim().to_string()));
            }
        }
        rest = &body[end..];
    }
    out
}

#[tokio::test]
async fn the_briefing_prints_without_forced_page_breaks() {
    let app = with_programme().await;
    let programme = programme_id(&app).await;
    let (admin, _) = app.login("admin").await;
    let html = app
        .get_text(&admin, &format!("/programmes/{programme}"))
        .await;
    assert!(html.contains("data-print") && html.contains("/static/app.css"));
    let css = app.get_text(&app.browser(), "/static/app.css").await;
    let rules = print_rules(&css);
    assert!(!rules.is_empty(), "the stylesheet has print rules");
    // Nothing forces a page break: cards flow on from page to page.
    for (sel, decl) in &rules {
        let d = decl.replace(' ', "");
        for forced in [
            "page-break-before:always",
            "page-break-after:always",
            "break-before:page",
            "break-after:page",
            "break-before:always",
            "break-after:always",
        ] {
            assert!(
                !d.contains(forced),
                "{sel} {{ {decl} }} forces a page break"
            );
        }
    }
    // The last word on a card lets it run across pages (a card kept whole
    // leaves most of a page empty); charts and tables stay whole.
    let last = |name: &str, prop: &str| -> Option<String> {
        rules
            .iter()
            .filter(|(sel, _)| sel.split(',').any(|s| s.trim() == name))
            .filter_map(|(_, decl)| {
                decl.split(';')
                    .filter_map(|d| d.split_once(':'))
                    .filter(|(k, _)| k.trim() == prop)
                    .map(|(_, v)| v.trim().to_string())
                    .next_back()
            })
            .next_back()
    };
    assert_ne!(last(".card", "break-inside").as_deref(), Some("avoid"));
    assert_eq!(last(".chart", "break-inside").as_deref(), Some("avoid"));
    assert_eq!(
        last(".table-wrap", "break-inside").as_deref(),
        Some("avoid")
    );
}

#[tokio::test]
async fn a_finished_session_keeps_its_export_and_certificates() {
    let app = with_programme().await;
    let (admin, _) = app.login("admin").await;
    let past = app
        .get_text(&admin, "/sessions?when=past&status=closed")
        .await;
    let path = past
        .split("href=\"")
        .map(|h| &h[..h.find('"').unwrap_or(0)])
        .find(|h| {
            h.strip_prefix("/sessions/")
                .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        })
        .expect("a closed session")
        .to_string();
    let html = app.get_text(&admin, &path).await;
    assert!(html.contains("已结束"), "{path} is finished: {html}");
    let manage = &html[html.find("<h2>管理</h2>").expect("a 管理 card")..];
    assert!(
        manage.contains(&format!("href=\"{path}/attendance.xlsx\""))
            && manage.contains("href=\"/certificates?session="),
        "{manage}"
    );
    let res = app.get(&admin, &format!("{path}/attendance.xlsx")).await;
    assert_eq!(res.status(), 200);
}
