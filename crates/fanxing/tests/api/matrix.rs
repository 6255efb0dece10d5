//! The authorisation matrix: every route of the pages and the API, for every
//! demo role, against a target inside the caller's scope and one outside it.
//! A route missing from [`rule`] fails the test, so no route can be added
//! without deciding who may use it.

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{fresh_mobile, TestApp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Admin,
    Nanjing,
    Suzhou,
    Kunshan,
    Lecturer,
    Checkin,
    Trainee,
    Bank,
}

const ROLES: &[(Role, &str)] = &[
    (Role::Admin, "admin"),
    (Role::Nanjing, "nanjing"),
    (Role::Suzhou, "suzhou"),
    (Role::Kunshan, "kunshan"),
    (Role::Lecturer, "lecturer"),
    (Role::Checkin, "checkin"),
    (Role::Trainee, "trainee"),
    (Role::Bank, "bank"),
];

/// Which target a request is aimed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// Inside the caller's scope (their region, or themselves / their organisation).
    Own,
    /// Outside it.
    Other,
}

/// A concrete person or organisation to aim at.
#[derive(Clone, Debug)]
struct Thing {
    id: i64,
    name: String,
    region: String,
}

/// What the rules allow: `Some(true)` allowed, `Some(false)` refused,
/// `None` when the route does not apply to this target kind (e.g. "other"
/// for a route without a target).
fn rule(role: Role, method: &str, path: &str, target: Target) -> Option<bool> {
    use Role::*;
    let office = matches!(role, Admin | Nanjing | Suzhou | Kunshan);
    // Regional routes: offices in scope only. Admin has no "other".
    let regional = || match target {
        Target::Own => Some(office),
        Target::Other => (role != Admin).then_some(false),
    };
    let own_only = |allowed_own: bool| match target {
        Target::Own => Some(allowed_own),
        Target::Other => (role != Admin).then_some(false),
    };
    let untargeted = |allowed: bool| (target == Target::Own).then_some(allowed);
    match (method, path) {
        // Public pages and the log-in flow are checked for everyone.
        ("GET", "/")
        | ("GET", "/healthz")
        | ("GET", "/static/{file}")
        | ("GET", "/lang/{lang}")
        | ("GET", "/login")
        | ("GET", "/api/v1/openapi.json") => untargeted(true),
        ("POST", "/login") | ("POST", "/logout") => untargeted(true),
        ("GET", "/me") | ("GET", "/api/v1/me") => untargeted(true),
        ("GET", "/api/v1/regions") | ("GET", "/api/v1/regions/{code}") => untargeted(true),
        ("GET", "/api/v1/overview") => untargeted(office),
        ("GET", "/api/v1/audit") => untargeted(role == Admin),
        // Lists: offices, filtered to a region in or out of scope.
        ("GET", "/people") | ("GET", "/api/v1/people") => regional(),
        ("GET", "/orgs") | ("GET", "/api/v1/organisations") => regional(),
        ("GET", "/people/new") | ("GET", "/orgs/new") => untargeted(office),
        // Creating: offices, in a region in or out of scope.
        ("POST", "/people") | ("POST", "/api/v1/people") => regional(),
        ("POST", "/orgs") | ("POST", "/api/v1/organisations") => regional(),
        // One person: offices in scope, and people themselves.
        ("GET", "/people/{id}") | ("GET", "/api/v1/people/{id}") => {
            own_only(office || matches!(role, Lecturer | Checkin | Trainee))
        }
        ("GET", "/people/{id}/edit")
        | ("POST", "/people/{id}")
        | ("PUT", "/api/v1/people/{id}")
        | ("GET", "/api/v1/people/{id}/reveal") => own_only(office),
        // One organisation: offices in scope, and its partner or member.
        ("GET", "/orgs/{id}") | ("GET", "/api/v1/organisations/{id}") => {
            own_only(office || matches!(role, Trainee | Bank))
        }
        ("GET", "/orgs/{id}/edit")
        | ("POST", "/orgs/{id}")
        | ("PUT", "/api/v1/organisations/{id}") => own_only(office),
        _ => panic!("{method} {path} is not in the authorisation matrix: add a rule"),
    }
}

async fn first(app: &TestApp, admin: &Client, what: &str, region: &str) -> Thing {
    let v: Value = admin
        .get(app.url(&format!("/api/v1/{what}?region={region}&per_page=1")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let item = &v["items"][0];
    Thing {
        id: item["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no {what} in {region}: {v}")),
        name: item["name"].as_str().unwrap().to_string(),
        region: item["region"].as_str().unwrap().to_string(),
    }
}

async fn by_id(app: &TestApp, admin: &Client, what: &str, id: i64) -> Thing {
    let v: Value = admin
        .get(app.url(&format!("/api/v1/{what}/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Thing {
        id,
        name: v["name"].as_str().unwrap().to_string(),
        region: v["region"].as_str().unwrap().to_string(),
    }
}

struct Targets {
    person: Option<Thing>,
    org: Option<Thing>,
    /// A region code for list filters and creation.
    region: String,
}

#[tokio::test]
async fn every_route_for_every_role() {
    let app = TestApp::spawn().await;
    let admin = app.api("admin").await;
    let nanjing_person = first(&app, &admin, "people", "320100").await;
    let nanjing_org = first(&app, &admin, "organisations", "320100").await;
    let suzhou_person = first(&app, &admin, "people", "320508").await;
    let suzhou_org = first(&app, &admin, "organisations", "320508").await;
    let kunshan_person = first(&app, &admin, "people", "320583").await;
    let kunshan_org = first(&app, &admin, "organisations", "320583").await;
    let nanjing_other = Targets {
        person: Some(nanjing_person.clone()),
        org: Some(nanjing_org.clone()),
        region: "320102".into(),
    };

    // Anonymous callers reach only the public routes.
    let anon = app.browser();
    let anon_csrf = app.csrf(&anon).await;
    for &(method, path) in fanxing_web::ROUTES {
        let public = matches!(
            path,
            "/" | "/healthz"
                | "/static/{file}"
                | "/lang/{lang}"
                | "/login"
                | "/api/v1/openapi.json"
        );
        let url = path
            .replace("{id}", &nanjing_person.id.to_string())
            .replace("{file}", "app.css")
            .replace("{lang}", "en")
            .replace("{code}", "320100");
        let mut req = anon.request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            app.url(&url),
        );
        if method != "GET" {
            req = req.form(&[
                ("csrf", anon_csrf.as_str()),
                ("login", "x"),
                ("password", "y"),
            ]);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = res.text().await.unwrap();
        if public {
            assert!(
                status.is_success()
                    || status.is_redirection()
                    || (path == "/login" && status == 401),
                "anonymous {method} {path} gave {status}"
            );
        } else if path.starts_with("/api/") {
            assert_eq!(status, 401, "anonymous {method} {path}");
        } else if path == "/logout" {
            assert_eq!(
                status, 303,
                "anonymous log-out just returns to the log-in page"
            );
        } else {
            assert_eq!(status, 303, "anonymous {method} {path}");
            assert!(
                location.starts_with("/login"),
                "anonymous {method} {path} went to {location}"
            );
        }
        assert!(
            !body.contains(&nanjing_person.name),
            "anonymous {method} {path} leaked a name"
        );
    }

    let mut checked = 0;
    for &(role, username) in ROLES {
        let me: Value = app
            .api(username)
            .await
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let own_person = match me["person_id"].as_i64() {
            Some(id) => Some(by_id(&app, &admin, "people", id).await),
            None => None,
        };
        let own_org = match me["org_id"].as_i64() {
            Some(id) => Some(by_id(&app, &admin, "organisations", id).await),
            None => None,
        };
        let (own, other) = match role {
            Role::Admin => (
                Targets {
                    person: Some(suzhou_person.clone()),
                    org: Some(suzhou_org.clone()),
                    region: "320583".into(),
                },
                None,
            ),
            Role::Nanjing => (
                Targets {
                    person: Some(nanjing_person.clone()),
                    org: Some(nanjing_org.clone()),
                    region: "320102".into(),
                },
                Some(Targets {
                    person: Some(suzhou_person.clone()),
                    org: Some(suzhou_org.clone()),
                    region: "320508".into(),
                }),
            ),
            Role::Suzhou => (
                Targets {
                    person: Some(kunshan_person.clone()),
                    org: Some(kunshan_org.clone()),
                    region: "320583".into(),
                },
                Some(Targets {
                    person: Some(nanjing_person.clone()),
                    org: Some(nanjing_org.clone()),
                    region: "320102".into(),
                }),
            ),
            // A county office must not reach the rest of its own city.
            Role::Kunshan => (
                Targets {
                    person: Some(kunshan_person.clone()),
                    org: Some(kunshan_org.clone()),
                    region: "320583".into(),
                },
                Some(Targets {
                    person: Some(suzhou_person.clone()),
                    org: Some(suzhou_org.clone()),
                    region: "320508".into(),
                }),
            ),
            _ => (
                Targets {
                    person: own_person.clone(),
                    org: own_org.clone(),
                    region: own_person
                        .as_ref()
                        .map(|p| p.region.clone())
                        .unwrap_or_else(|| "320583".into()),
                },
                Some(Targets {
                    person: nanjing_other.person.clone(),
                    org: nanjing_other.org.clone(),
                    region: nanjing_other.region.clone(),
                }),
            ),
        };
        let api = app.api(username).await;
        let (browser, csrf) = app.login(username).await;
        for &(method, path) in fanxing_web::ROUTES {
            // Log-out last, as it ends the session.
            if path == "/logout" {
                continue;
            }
            for (target, targets) in [(Target::Own, Some(&own)), (Target::Other, other.as_ref())] {
                let Some(expected) = rule(role, method, path, target) else {
                    continue;
                };
                let Some(t) = targets else { continue };
                let Some(outcome) = call(&app, &api, &browser, &csrf, method, path, t).await else {
                    continue;
                };
                let (status, body, thing) = outcome;
                let allowed =
                    status.is_success() || status.is_redirection() && !redirects_to_login(&body);
                assert_eq!(
                    allowed,
                    expected,
                    "{username} {method} {path} ({target:?}) gave {status}: {}",
                    &body.chars().take(300).collect::<String>()
                );
                if !expected {
                    assert!(
                        matches!(status.as_u16(), 401 | 403 | 404 | 422),
                        "{username} {method} {path}: refusal with unexpected status {status}"
                    );
                    if let Some(name) = thing {
                        assert!(
                            !body.contains(&name),
                            "{username} {method} {path}: refusal leaked {name}"
                        );
                    }
                }
                checked += 1;
            }
        }
        // Log-out works for everyone and ends the session.
        let res = browser
            .post(app.url("/logout"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let res = browser.get(app.url("/people")).send().await.unwrap();
        assert_eq!(
            res.status(),
            303,
            "after log-out pages send {username} to log in"
        );
    }
    assert!(checked > 300, "only {checked} checks ran");
}

fn redirects_to_login(location_or_body: &str) -> bool {
    location_or_body.starts_with("/login")
}

/// Makes one request. Returns the status, the body (or the redirect
/// location), and the name of the targeted record, or `None` when the
/// target does not exist for this role (e.g. a partner has no person).
async fn call(
    app: &TestApp,
    api: &Client,
    browser: &Client,
    csrf: &str,
    method: &str,
    path: &str,
    t: &Targets,
) -> Option<(StatusCode, String, Option<String>)> {
    let is_api = path.starts_with("/api/");
    let needs_person = path.contains("/people/{id}");
    let needs_org = path.contains("/orgs/{id}") || path.contains("/organisations/{id}");
    let thing = if needs_person {
        Some(t.person.clone()?)
    } else if needs_org {
        Some(t.org.clone()?)
    } else {
        None
    };
    let mut url = path
        .replace(
            "{id}",
            &thing.as_ref().map(|x| x.id.to_string()).unwrap_or_default(),
        )
        .replace("{file}", "app.css")
        .replace("{lang}", "en")
        .replace("{code}", "320500");
    if method == "GET"
        && (path == "/people"
            || path == "/orgs"
            || path == "/api/v1/people"
            || path == "/api/v1/organisations")
    {
        url = format!("{url}?region={}", t.region);
    }
    // Updates keep the record where it is; creations go to the target region.
    let region = thing
        .as_ref()
        .map(|x| x.region.clone())
        .unwrap_or_else(|| t.region.clone());
    let person_json = json!({
        "name": "矩阵测试", "mobile": fresh_mobile(), "tier": "operator", "region": region,
    });
    let org_json = json!({
        "name": "矩阵测试单位", "kind": "enterprise", "industry": "服装", "region": region,
    });
    let client = if is_api { api } else { browser };
    let mut req = client.request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        app.url(&url),
    );
    if method != "GET" {
        let is_person = path.contains("people");
        req = if is_api {
            req.json(if is_person { &person_json } else { &org_json })
        } else if path == "/login" {
            let login = format!("nobody-{}", rand::random::<u32>());
            req.form(&[
                ("csrf", csrf),
                ("login", login.as_str()),
                ("password", "wrong-password"),
            ])
        } else {
            let body = if is_person { &person_json } else { &org_json };
            let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.into())];
            for (k, v) in body.as_object().unwrap() {
                form.push((k.clone(), v.as_str().unwrap().to_string()));
            }
            req.form(&form)
        };
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = res.text().await.unwrap();
    // A failed log-in is the expected answer of POST /login here.
    if path == "/login" && method == "POST" {
        assert_eq!(status, 401);
        return Some((StatusCode::OK, body, None));
    }
    Some((status, location.unwrap_or(body), thing.map(|x| x.name)))
}
