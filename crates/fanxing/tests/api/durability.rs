//! Every acknowledged check-in survives a crash: the server process is
//! killed with SIGKILL in the middle of a burst and restarted; each check-in
//! that got a 2xx is there, once.

use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use fanxing_core::auth::Access;
use fanxing_core::now;
use fanxing_core::people::store::PeopleQuery;
use fanxing_core::region::RegionRange;
use fanxing_core::store::prelude::*;
use fanxing_core::training::store::RegistrationRow;
use fanxing_core::training::{format_local, RegistrationId, RegistrationStatus};
use fanxing_demo::SeedStore;
use serde_json::{json, Value};

use crate::common::TestApp;

/// Starts `fanxing serve` on the app's own data directory and database.
fn start(app: &TestApp) -> (Child, String) {
    app.serve_process(&app.data_dir())
}

#[tokio::test]
async fn acknowledged_checkins_survive_sigkill() {
    let app = TestApp::spawn().await;
    let fx = &app.opened.app;
    let admin = app.actor("admin").await;
    let programme = app.programme(&admin, "繁星计划").await;
    let start_at = now() + 1800;
    let input = serde_json::from_value(json!({
        "programme_id": programme, "title": "压力测试专场", "region": "320500",
        "starts_at": format_local(start_at), "ends_at": format_local(start_at + 7200),
        "venues": [{"kind": "main", "name": "主会场", "address": "", "region": "320508", "capacity": 5000}]
    }))
    .unwrap();
    let view = fx
        .training
        .create_session(&admin, &input, true)
        .await
        .unwrap();
    let (session, venue) = (view.session.id, view.venues[0].venue.id);
    let people = app
        .opened
        .store
        .list_people(&PeopleQuery {
            access: Access::Regions(RegionRange::ALL),
            text: None,
            region: None,
            tier: None,
            org_id: None,
            offset: 0,
            limit: 1500,
        })
        .await
        .unwrap()
        .items;
    let rows: Vec<RegistrationRow> = people
        .iter()
        .map(|p| RegistrationRow {
            session_id: session,
            person_id: p.id,
            venue_id: venue,
            status: RegistrationStatus::Registered,
            created_at: now(),
        })
        .collect();
    app.opened
        .store
        .insert_registrations_bulk(&rows)
        .await
        .unwrap();
    let roster = app.opened.store.roster(session).await.unwrap();
    let token = fx
        .accounts
        .create_api_token("admin", "burst")
        .await
        .unwrap();

    let (mut child, base) = start(&app);
    let client = reqwest::Client::new();
    let acked: Arc<Mutex<Vec<(String, RegistrationId)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let queue: Arc<Mutex<Vec<RegistrationId>>> = Arc::new(Mutex::new(
        roster.iter().map(|r| r.registration_id).collect(),
    ));
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let (client, base, token, acked, stop, queue) = (
            client.clone(),
            base.clone(),
            token.clone(),
            acked.clone(),
            stop.clone(),
            queue.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(reg) = queue.lock().unwrap().pop() else { break };
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let scan_id = format!("burst-{reg}");
                let res = client
                    .post(format!("{base}/api/v1/venues/{venue}/scans"))
                    .bearer_auth(&token)
                    .json(&json!({"device_id": "burst", "scans": [{"scan_id": scan_id, "registration_id": reg}]}))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let v: Value = r.json().await.unwrap_or(Value::Null);
                        if v[0]["status"] == "accepted" {
                            acked.lock().unwrap().push((scan_id, reg));
                        }
                    }
                    _ => break,
                }
            }
        }));
    }
    // Kill the server hard once a good number of check-ins are acknowledged.
    for _ in 0..600 {
        if acked.lock().unwrap().len() >= 300 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 300,
        "only {} check-ins before the kill",
        acked.len()
    );
    assert!(
        acked.len() < roster.len(),
        "the kill came too late to interrupt the burst"
    );

    // Restart: every acknowledged check-in is there, once.
    let (mut child, base) = start(&app);
    let fresh = app.opened.store.roster(session).await.unwrap();
    for (_, reg) in &acked {
        let r = fresh.iter().find(|r| r.registration_id == *reg).unwrap();
        assert!(
            r.attended_at.is_some(),
            "acknowledged check-in of registration {reg} lost"
        );
    }
    let (total, _, _) = app.opened.store.attendance_counts(session).await.unwrap();
    let attended = fresh.iter().filter(|r| r.attended_at.is_some()).count() as i64;
    assert_eq!(total, attended, "one attendance per person");
    assert!(total >= acked.len() as i64);
    // Sending the acknowledged scans again (a device retrying) changes nothing.
    let scans: Vec<Value> = acked
        .iter()
        .take(200)
        .map(|(id, reg)| json!({"scan_id": id, "registration_id": reg}))
        .collect();
    let res: Value = client
        .post(format!("{base}/api/v1/venues/{venue}/scans"))
        .bearer_auth(&token)
        .json(&json!({"device_id": "burst", "scans": scans}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        res.as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "accepted"),
        "replays keep their answer"
    );
    assert_eq!(
        app.opened.store.attendance_counts(session).await.unwrap().0,
        total
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
