//! Log-in throttling and account control: forwarded addresses only from
//! trusted proxies, one account however its mobile is written, concurrent
//! guesses, lock-outs that an attacker cannot cause, offices lifting locks,
//! password changes, disabled accounts, expiring and revoked tokens.

use std::net::IpAddr;

use fanxing_core::people::accounts::{ADDR_MAX_FAILURES, PAIR_FREE_FAILURES};
use fanxing_core::people::UserId;
use fanxing_demo::{self as demo, DemoSize};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{assert_says, csrf_from, TestApp};

async fn spawn_behind_proxy() -> TestApp {
    TestApp::spawn_trusting(
        Some(DemoSize {
            orgs: 300,
            people: 3_000,
        }),
        vec!["127.0.0.1".parse::<IpAddr>().unwrap()],
    )
    .await
}

/// A fresh browser and its CSRF token.
async fn browser(app: &TestApp) -> (Client, String) {
    let c = app.browser();
    let csrf = app.csrf(&c).await;
    (c, csrf)
}

/// Posts a log-in, with `X-Real-IP: ip` when given.
async fn try_login(
    app: &TestApp,
    c: &Client,
    csrf: &str,
    login: &str,
    password: &str,
    ip: Option<&str>,
) -> StatusCode {
    let mut req = c.post(app.url("/login")).form(&[
        ("csrf", csrf),
        ("login", login),
        ("password", password),
        ("next", "/"),
    ]);
    if let Some(ip) = ip {
        req = req.header("x-real-ip", ip);
    }
    req.send().await.unwrap().status()
}

async fn user_id(app: &TestApp, username: &str) -> UserId {
    app.opened
        .app
        .stores
        .accounts
        .find_user_by_username(username)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn failed_rows(app: &TestApp, user: UserId) -> i64 {
    use sqlx::Row;
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM login_attempts WHERE state = 1 AND user_id = $1")
            .bind(user.0)
            .fetch_one(app.opened.store.writer())
            .await
            .unwrap();
    row.try_get::<i64, _>("n").unwrap()
}

/// The full mobile number of the demo trainee.
async fn trainee_mobile(app: &TestApp) -> String {
    let admin = app.api("admin").await;
    let me: Value = app.get_json(&app.api("trainee").await, "/api/v1/me").await;
    let person: Value = app.reveal(&admin, &me["person_id"]).await;
    person["mobile"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn x_real_ip_from_an_untrusted_peer_is_ignored() {
    // No trusted proxy: a spray over many names, each request claiming
    // another address, is still counted under the peer's one address.
    let app = TestApp::spawn().await;
    let (c, csrf) = browser(&app).await;
    for i in 0..ADDR_MAX_FAILURES {
        let ip = format!("203.0.113.{}", i % 250 + 1);
        let status = try_login(
            &app,
            &c,
            &csrf,
            &format!("nobody{i}"),
            "wrong-password",
            Some(&ip),
        )
        .await;
        assert_eq!(status, 401, "attempt {i}");
    }
    let status = try_login(
        &app,
        &c,
        &csrf,
        "suzhou",
        demo::DEMO_PASSWORD,
        Some("198.51.100.77"),
    )
    .await;
    assert_eq!(
        status, 429,
        "the address is held back whatever X-Real-IP says"
    );

    // Behind a trusted proxy the header is the client address.
    let app = spawn_behind_proxy().await;
    let (c, csrf) = browser(&app).await;
    for _ in 0..PAIR_FREE_FAILURES + 1 {
        try_login(
            &app,
            &c,
            &csrf,
            "suzhou",
            "wrong-password",
            Some("198.51.100.1"),
        )
        .await;
    }
    assert_eq!(
        try_login(
            &app,
            &c,
            &csrf,
            "suzhou",
            demo::DEMO_PASSWORD,
            Some("198.51.100.1")
        )
        .await,
        429
    );
    assert_eq!(
        try_login(
            &app,
            &c,
            &csrf,
            "suzhou",
            demo::DEMO_PASSWORD,
            Some("198.51.100.2")
        )
        .await,
        303,
        "another client address is not held back"
    );
}

#[tokio::test]
async fn one_mobile_written_ten_ways_is_one_account() {
    let app = TestApp::spawn().await;
    let m = trainee_mobile(&app).await;
    let full_width: String = m
        .chars()
        .map(|d| char::from_u32(d as u32 + 0xFEE0).unwrap())
        .collect();
    let ways = |m: &str| {
        vec![
            m.to_string(),
            format!("{} {} {}", &m[..3], &m[3..7], &m[7..]),
            format!("+86 {m}"),
            format!("+86-{}-{}-{}", &m[..3], &m[3..7], &m[7..]),
            format!("0086{m}"),
            format!("86 {m}"),
            format!("{}-{}-{}", &m[..3], &m[3..7], &m[7..]),
            format!("  {m}  "),
            format!("({}) {}", &m[..3], &m[3..]),
            m.chars()
                .map(|d| char::from_u32(d as u32 + 0xFEE0).unwrap())
                .collect(),
        ]
    };
    let (c, csrf) = browser(&app).await;
    let mut statuses = Vec::new();
    for login in ways(&m) {
        statuses.push(try_login(&app, &c, &csrf, &login, "wrong-password", None).await);
    }
    let checked = statuses.iter().filter(|s| **s == 401).count() as i64;
    assert_eq!(checked, PAIR_FREE_FAILURES, "{statuses:?}");
    assert_eq!(
        try_login(&app, &c, &csrf, &full_width, demo::DEMO_PASSWORD, None).await,
        429,
        "the right password is held back too, however the mobile is written"
    );
    // A mobile that names no account is one key as well.
    let unknown = "13987654321";
    let mut statuses = Vec::new();
    for login in ways(unknown) {
        statuses.push(try_login(&app, &c, &csrf, &login, "wrong-password", None).await);
    }
    let checked = statuses.iter().filter(|s| **s == 401).count() as i64;
    assert_eq!(checked, PAIR_FREE_FAILURES, "{statuses:?}");
}

#[tokio::test]
async fn concurrent_wrong_guesses_cannot_exceed_the_limit() {
    let app = TestApp::spawn().await;
    let (c, csrf) = browser(&app).await;
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let req = c.post(app.url("/login")).form(&[
            ("csrf", csrf.as_str()),
            ("login", "suzhou"),
            ("password", "wrong-password"),
        ]);
        burst.spawn(async move { req.send().await.unwrap().status() });
    }
    let statuses = burst.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 401).count() as i64;
    let refused = statuses.iter().filter(|s| **s == 429).count() as i64;
    assert!(
        checked <= PAIR_FREE_FAILURES,
        "{checked} passwords checked: {statuses:?}"
    );
    assert_eq!(checked + refused, 20, "{statuses:?}");
    let suzhou = user_id(&app, "suzhou").await;
    assert_eq!(failed_rows(&app, suzhou).await, checked);
    // Attempts seen in flight count as failures, so a burst may check
    // fewer than the limit; the rest of the allowance is used one by one.
    let mut more = 0;
    while try_login(&app, &c, &csrf, "suzhou", "wrong-password", None).await == 401 {
        more += 1;
        assert!(checked + more <= PAIR_FREE_FAILURES, "too many checked");
    }
    assert_eq!(checked + more, PAIR_FREE_FAILURES);
    assert_eq!(
        try_login(&app, &c, &csrf, "suzhou", demo::DEMO_PASSWORD, None).await,
        429,
        "once the limit is reached the right password waits too"
    );
}

#[tokio::test]
async fn an_attacker_cannot_lock_the_real_user_out() {
    let app = spawn_behind_proxy().await;
    // The real user logs in once from home: the browser becomes a known device.
    let (user, user_csrf) = browser(&app).await;
    assert_eq!(
        try_login(
            &app,
            &user,
            &user_csrf,
            "suzhou",
            demo::DEMO_PASSWORD,
            Some("192.0.2.10")
        )
        .await,
        303
    );
    // An attacker hammers the account from address A.
    let (attacker, csrf) = browser(&app).await;
    for _ in 0..30 {
        try_login(
            &app,
            &attacker,
            &csrf,
            "suzhou",
            "guess",
            Some("198.51.100.1"),
        )
        .await;
    }
    assert_eq!(
        try_login(
            &app,
            &attacker,
            &csrf,
            "suzhou",
            demo::DEMO_PASSWORD,
            Some("198.51.100.1")
        )
        .await,
        429,
        "address A is held back"
    );
    // The real user from another address B, on a device never seen, still logs in.
    let (fresh, fresh_csrf) = browser(&app).await;
    assert_eq!(
        try_login(
            &app,
            &fresh,
            &fresh_csrf,
            "suzhou",
            demo::DEMO_PASSWORD,
            Some("192.0.2.20")
        )
        .await,
        303
    );
    // And from address A itself on the known device.
    assert_eq!(
        try_login(
            &app,
            &user,
            &user_csrf,
            "suzhou",
            demo::DEMO_PASSWORD,
            Some("198.51.100.1")
        )
        .await,
        303
    );
    // A spray from many addresses holds back unknown devices only.
    for a in 0..10 {
        for _ in 0..PAIR_FREE_FAILURES {
            try_login(
                &app,
                &attacker,
                &csrf,
                "suzhou",
                "guess",
                Some(&format!("198.51.100.{}", 100 + a)),
            )
            .await;
        }
    }
    let (stranger, stranger_csrf) = browser(&app).await;
    assert_eq!(
        try_login(
            &app,
            &stranger,
            &stranger_csrf,
            "suzhou",
            demo::DEMO_PASSWORD,
            Some("192.0.2.30")
        )
        .await,
        429,
        "a device never seen waits once the account-wide limit is reached"
    );
    let res = stranger
        .post(app.url("/login"))
        .header("x-real-ip", "192.0.2.30")
        .form(&[
            ("csrf", stranger_csrf.as_str()),
            ("login", "suzhou"),
            ("password", demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert!(
        text.contains("分钟后再试"),
        "the message says when to try again"
    );
    assert_eq!(
        try_login(
            &app,
            &user,
            &user_csrf,
            "suzhou",
            demo::DEMO_PASSWORD,
            Some("192.0.2.30")
        )
        .await,
        303,
        "the known device logs in"
    );
}

#[tokio::test]
async fn an_office_lifts_a_lock() {
    let app = TestApp::spawn().await;
    let kunshan = user_id(&app, "kunshan").await;
    let lock = || async {
        let (c, csrf) = browser(&app).await;
        for _ in 0..PAIR_FREE_FAILURES {
            try_login(&app, &c, &csrf, "kunshan", "wrong-password", None).await;
        }
        assert_eq!(
            try_login(&app, &c, &csrf, "kunshan", demo::DEMO_PASSWORD, None).await,
            429
        );
    };
    lock().await;
    let (sz, sz_csrf) = app.login("suzhou").await;
    let page = app.get_text(&sz, "/accounts").await;
    assert!(
        page.contains("kunshan") && page.contains("受限"),
        "the list shows the lock"
    );
    // Another city's office cannot lift it.
    let (nj, nj_csrf) = app.login("nanjing").await;
    let res = app
        .post_form(&nj, &nj_csrf, &format!("/accounts/{kunshan}/unlock"), &[])
        .await;
    assert_eq!(res.status(), 404);
    let res = app
        .post_form(&sz, &sz_csrf, &format!("/accounts/{kunshan}/unlock"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let (c, csrf) = browser(&app).await;
    assert_eq!(
        try_login(&app, &c, &csrf, "kunshan", demo::DEMO_PASSWORD, None).await,
        303
    );
    // The CLI can too.
    lock().await;
    app.opened
        .app
        .accounts
        .lift_lock_by_name("kunshan")
        .await
        .unwrap();
    let (c, csrf) = browser(&app).await;
    assert_eq!(
        try_login(&app, &c, &csrf, "kunshan", demo::DEMO_PASSWORD, None).await,
        303
    );
    let audit = app.audit().await;
    let unlocks = audit
        .iter()
        .filter(|e| e["action"] == "account.unlock")
        .count();
    assert_eq!(unlocks, 2, "{audit:?}");
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let (a, csrf) = app.login("lecturer").await;
    let (b, _) = app.login("lecturer").await;
    let change = |current: &'static str, new: &'static str| {
        a.post(app.url("/account/password"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", new),
            ])
            .send()
    };
    assert_says(
        change("wrong-password", "a-new-password-1").await.unwrap(),
        422,
        "当前密码不正确",
    )
    .await;
    assert_says(
        change(demo::DEMO_PASSWORD, "short").await.unwrap(),
        422,
        "至少需要 8 个字符",
    )
    .await;
    let res = change(demo::DEMO_PASSWORD, "a-new-password-1")
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(app.get(&a, "/account").await.status(), 200);
    let res = app.get(&b, "/account").await;
    assert_eq!(res.status(), 303, "the other session has ended");
    let (c, c_csrf) = browser(&app).await;
    assert_eq!(
        try_login(&app, &c, &c_csrf, "lecturer", demo::DEMO_PASSWORD, None).await,
        401
    );
    assert_eq!(
        try_login(&app, &c, &c_csrf, "lecturer", "a-new-password-1", None).await,
        303
    );
    // Over the API, with a bearer token: every session ends.
    let api = app.api("lecturer").await;
    let res = app
        .post_json(
            &api,
            "/api/v1/me/password",
            &json!({"current_password": "a-new-password-1", "new_password": "a-new-password-2"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get(&a, "/account").await.status(), 303);
    assert_eq!(app.get(&c, "/account").await.status(), 303);
    assert!(app
        .audit()
        .await
        .iter()
        .any(|e| e["action"] == "account.password"));
}

#[tokio::test]
async fn a_disabled_account_cannot_log_in_and_its_token_stops() {
    let app = TestApp::spawn().await;
    let trainee = user_id(&app, "trainee").await;
    let token = app.api("trainee").await;
    let (session, _) = app.login("trainee").await;
    assert_eq!(app.get(&token, "/api/v1/me").await.status(), 200);
    let (sz, sz_csrf) = app.login("suzhou").await;
    let post = |c: &Client, csrf: &str, path: String| {
        c.post(app.url(&path))
            .form(&[("csrf", csrf.to_string())])
            .send()
    };
    // Outside a city office's reach: another city's account, the programme
    // office, a peer city office, itself.
    for other in ["nanjing", "admin", "suzhou"] {
        let id = user_id(&app, other).await;
        let res = post(&sz, &sz_csrf, format!("/accounts/{id}/disable"))
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "suzhou disabling {other}");
    }
    let (nj, nj_csrf) = app.login("nanjing").await;
    let res = post(&nj, &nj_csrf, format!("/accounts/{trainee}/disable"))
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        404,
        "nanjing cannot disable a Kunshan trainee"
    );
    let res = post(&sz, &sz_csrf, format!("/accounts/{trainee}/disable"))
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(app
        .get_text(&sz, "/accounts?q=trainee")
        .await
        .contains("已停用"));
    assert_eq!(app.get(&token, "/api/v1/me").await.status(), 401);
    assert_eq!(app.get(&session, "/account").await.status(), 303);
    let (c, csrf) = browser(&app).await;
    assert_eq!(
        try_login(&app, &c, &csrf, "trainee", demo::DEMO_PASSWORD, None).await,
        401
    );
    let res = post(&sz, &sz_csrf, format!("/accounts/{trainee}/enable"))
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(app.get(&token, "/api/v1/me").await.status(), 200);
    assert_eq!(
        try_login(&app, &c, &csrf, "trainee", demo::DEMO_PASSWORD, None).await,
        303
    );
    // The CLI disables too.
    app.opened
        .app
        .accounts
        .set_disabled_by_name("trainee", true)
        .await
        .unwrap();
    assert_eq!(app.get(&token, "/api/v1/me").await.status(), 401);
    let audit = app.audit().await;
    let actions: Vec<&str> = audit.iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"account.disable") && actions.contains(&"account.enable"));
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let fx = &app.opened.app;
    let bearer = |token: &str| {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        Client::builder().default_headers(h).build().unwrap()
    };
    let url = app.url("/api/v1/me");
    let me = |c: Client| {
        let url = url.clone();
        async move { c.get(url).send().await.unwrap().status() }
    };
    // Expired.
    let (id, token) = fx
        .accounts
        .create_api_token_for_days("trainee", "old", 1)
        .await
        .unwrap();
    assert_eq!(me(bearer(&token)).await, 200);
    sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE id = $2")
        .bind(fanxing_core::now() - 1)
        .bind(id)
        .execute(app.opened.store.writer())
        .await
        .unwrap();
    // A change made behind this server's back (as another server's would
    // be) shows within the time a resolved caller is kept.
    let changed = std::time::Instant::now();
    let kept = fanxing_core::people::accounts::CALLER_KEPT;
    while me(bearer(&token)).await != 401 {
        assert!(changed.elapsed() < kept + std::time::Duration::from_secs(2));
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Revoked by its owner on the account page.
    let (id, token) = fx
        .accounts
        .create_api_token_for_days("trainee", "phone", 90)
        .await
        .unwrap();
    assert_eq!(me(bearer(&token)).await, 200);
    let (web, csrf) = app.login("trainee").await;
    let page = app.get_text(&web, "/account").await;
    assert!(
        page.contains("phone") && page.contains("已过期"),
        "the page lists the tokens"
    );
    let (other_id, other_token) = fx
        .accounts
        .create_api_token_for_days("kunshan", "k", 90)
        .await
        .unwrap();
    let res = app
        .post_form(
            &web,
            &csrf,
            &format!("/account/tokens/{other_id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 404, "another user's token is not found");
    assert_eq!(me(bearer(&other_token)).await, 200);
    let res = app
        .post_form(&web, &csrf, &format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(me(bearer(&token)).await, 401);
    // Revoked from the CLI.
    assert!(fx.accounts.revoke_api_token(other_id).await.unwrap());
    assert_eq!(me(bearer(&other_token)).await, 401);
    let listed = fx.accounts.api_tokens_of("trainee").await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().any(|t| t.revoked_at.is_some()));
    // The account page and its forms carry the CSRF token.
    assert_eq!(csrf_from(&page), csrf);
}
