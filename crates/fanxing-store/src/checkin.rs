//! Check-in scans, written with group commit.
//!
//! At a door with a queue, hundreds of scans arrive within a few
//! milliseconds of each other. Writing each in its own transaction costs a
//! BEGIN, two INSERTs and a COMMIT apiece on the one SQLite writer. Instead
//! every caller hands its scans to one task, which takes whatever has
//! queued up (at most [`MAX_GROUP`] scans), writes them with a handful of
//! multi-row statements in one transaction, and answers each caller only
//! after that transaction has committed. Durability is unchanged (nothing
//! is acknowledged before its commit); throughput grows with load.
//!
//! The outcome of a group is the outcome of applying its scans one after
//! the other: a scan id seen before keeps its first outcome, and the first
//! fresh scan of a (session, person) makes the attendance.

use std::collections::{HashMap, HashSet};

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use fanxing_core::error::{Error, Result};
use fanxing_core::store::{ScanOutcome, ScanRecord};
use fanxing_core::training::VenueId;

use crate::sql::Sql;
use crate::store::{col, db};
use crate::Backend;

/// The most scans written in one transaction.
pub(crate) const MAX_GROUP: usize = 256;
/// Rows per multi-row statement (9 parameters each).
const ROWS_PER_STATEMENT: usize = 64;

struct Job {
    scans: Vec<ScanRecord>,
    now: i64,
    reply: oneshot::Sender<Result<Vec<ScanOutcome>>>,
}

/// The handle callers use; the writing task lives as long as a handle does.
pub(crate) struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

/// Where the group is written.
#[derive(Clone)]
struct Writer {
    pool: AnyPool,
    backend: Backend,
}

impl GroupCommit {
    /// Starts the writing task on the current Tokio runtime.
    pub(crate) fn start(pool: AnyPool, backend: Backend) -> GroupCommit {
        let (jobs, rx) = mpsc::channel(1024);
        tokio::spawn(run(Writer { pool, backend }, rx));
        GroupCommit { jobs }
    }

    /// Records `scans` (in order) and returns their outcomes once committed.
    pub(crate) async fn record(
        &self,
        scans: Vec<ScanRecord>,
        now: i64,
    ) -> Result<Vec<ScanOutcome>> {
        if scans.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        let stopped = || Error::Store("check-in writer stopped".into());
        self.jobs
            .send(Job { scans, now, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(writer: Writer, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut count = first.scans.len();
        let mut jobs = vec![first];
        while count < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => {
                    count += job.scans.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let flat: Vec<(&ScanRecord, i64)> = jobs
            .iter()
            .flat_map(|j| j.scans.iter().map(move |s| (s, j.now)))
            .collect();
        match write_group(&writer, &flat).await {
            Ok(outcomes) => {
                let mut rest = outcomes.into_iter();
                for job in jobs {
                    let mine: Vec<ScanOutcome> = rest.by_ref().take(job.scans.len()).collect();
                    let _ = job.reply.send(Ok(mine));
                }
            }
            Err(e) if jobs.len() == 1 => {
                let _ = jobs.pop().map(|job| job.reply.send(Err(e)));
            }
            Err(_) => {
                // One caller's scans must not fail another's: retry each
                // caller's scans on their own.
                for job in jobs {
                    let flat: Vec<(&ScanRecord, i64)> =
                        job.scans.iter().map(|s| (s, job.now)).collect();
                    let result = write_group(&writer, &flat).await;
                    let _ = job.reply.send(result);
                }
            }
        }
    }
}

/// Writes a group of scans in one transaction; see the module docs.
async fn write_group(writer: &Writer, scans: &[(&ScanRecord, i64)]) -> Result<Vec<ScanOutcome>> {
    let backend = writer.backend;
    let mut tx = writer.pool.begin().await.map_err(db)?;

    // A scan id repeated inside the group answers like its first use.
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let canonical: Vec<usize> = scans
        .iter()
        .enumerate()
        .map(|(i, (s, _))| *first_of.entry(s.scan_id.as_str()).or_insert(i))
        .collect();
    let ids: Vec<&str> = {
        let mut v: Vec<(&str, usize)> = first_of.iter().map(|(k, i)| (*k, *i)).collect();
        v.sort_by_key(|(_, i)| *i);
        v.into_iter().map(|(k, _)| k).collect()
    };

    // Scan ids recorded before keep their outcome.
    let mut known: HashMap<String, bool> = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 4) {
        let mut q = Sql::new("SELECT scan_id, outcome FROM checkins WHERE scan_id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(*id);
        }
        q.push(")");
        let q = q.on(backend);
        for row in q.query().fetch_all(&mut *tx).await.map_err(db)? {
            let outcome: String = col(&row, "outcome")?;
            known.insert(col(&row, "scan_id")?, outcome == "accepted");
        }
    }

    // Fresh scans: the first of each (session, person) may make the attendance.
    let fresh: Vec<usize> = (0..scans.len())
        .filter(|&i| canonical[i] == i && !known.contains_key(scans[i].0.scan_id.as_str()))
        .collect();
    let mut claim: HashMap<(i64, i64), usize> = HashMap::new();
    for &i in &fresh {
        let s = scans[i].0;
        claim.entry((s.session_id, s.person_id)).or_insert(i);
    }
    let mut claimants: Vec<usize> = claim.values().copied().collect();
    claimants.sort_unstable();
    let mut made_pairs: HashSet<(i64, i64)> = HashSet::new();
    for chunk in claimants.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::new(
            "INSERT INTO attendances (session_id, person_id, registration_id, venue_id, mode, tier, \
             region, programme_id, recorded_at) VALUES ",
        );
        for (n, &i) in chunk.iter().enumerate() {
            let (s, now) = scans[i];
            q.push(if n == 0 { "(" } else { ", (" })
                .bind(s.session_id)
                .push(", ")
                .bind(s.person_id)
                .push(", ")
                .bind(s.registration_id)
                .push(", ")
                .bind(s.venue_id)
                .push(", 'onsite', ")
                .bind(s.tier.as_str())
                .push(", ")
                .bind(s.region.value() as i64)
                .push(", ")
                .bind(s.programme_id)
                .push(", ")
                .bind(s.scanned_at.min(now))
                .push(")");
        }
        q.push(" ON CONFLICT (session_id, person_id) DO NOTHING RETURNING session_id, person_id");
        let q = q.on(backend);
        for row in q.query().fetch_all(&mut *tx).await.map_err(db)? {
            made_pairs.insert((col(&row, "session_id")?, col(&row, "person_id")?));
        }
    }
    let made = |i: usize| {
        let s = scans[i].0;
        let pair = (s.session_id, s.person_id);
        claim.get(&pair) == Some(&i) && made_pairs.contains(&pair)
    };

    // The scans themselves, each with the outcome it had.
    for chunk in fresh.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::new(
            "INSERT INTO checkins (scan_id, session_id, registration_id, venue_id, device_id, \
             method, scanned_at, received_at, outcome) VALUES ",
        );
        for (n, &i) in chunk.iter().enumerate() {
            let (s, now) = scans[i];
            q.push(if n == 0 { "(" } else { ", (" })
                .bind(s.scan_id.as_str())
                .push(", ")
                .bind(s.session_id)
                .push(", ")
                .bind(s.registration_id)
                .push(", ")
                .bind(s.venue_id)
                .push(", ")
                .bind(s.device_id.as_str())
                .push(", ")
                .bind(s.method.as_str())
                .push(", ")
                .bind(s.scanned_at)
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(if made(i) { "accepted" } else { "duplicate" })
                .push(")");
        }
        // Only a concurrent writer on another connection (PostgreSQL) can
        // have taken one of these ids since the read above.
        q.push(" ON CONFLICT (scan_id) DO NOTHING");
        q.on(backend).query().execute(&mut *tx).await.map_err(db)?;
    }

    // Where the attendance of every scan that did not make it stands.
    let mut pending: Vec<(i64, i64)> = Vec::new();
    let mut seen: HashSet<(i64, i64)> = HashSet::new();
    for &c in &canonical {
        let s = scans[c].0;
        let pair = (s.session_id, s.person_id);
        if !made(c) && seen.insert(pair) {
            pending.push(pair);
        }
    }
    let mut standing: HashMap<(i64, i64), (VenueId, i64)> = HashMap::new();
    for chunk in pending.chunks(ROWS_PER_STATEMENT) {
        let mut q =
            Sql::new("SELECT session_id, person_id, venue_id, recorded_at FROM attendances WHERE ");
        for (n, (session, person)) in chunk.iter().enumerate() {
            q.push(if n == 0 { "(" } else { " OR (" })
                .push("session_id = ")
                .bind(*session)
                .push(" AND person_id = ")
                .bind(*person)
                .push(")");
        }
        let q = q.on(backend);
        for row in q.query().fetch_all(&mut *tx).await.map_err(db)? {
            standing.insert(
                (col(&row, "session_id")?, col(&row, "person_id")?),
                (col(&row, "venue_id")?, col(&row, "recorded_at")?),
            );
        }
    }
    tx.commit().await.map_err(db)?;

    scans
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let c = canonical[i];
            let (s, now) = scans[c];
            if made(c) {
                return Ok(ScanOutcome::Accepted {
                    venue_id: s.venue_id,
                    at: s.scanned_at.min(now),
                });
            }
            let accepted = known.get(s.scan_id.as_str()).copied().unwrap_or(false);
            let (venue_id, at) = standing
                .get(&(s.session_id, s.person_id))
                .copied()
                .ok_or_else(|| Error::Store(format!("no attendance for scan {}", s.scan_id)))?;
            Ok(if accepted {
                ScanOutcome::Accepted { venue_id, at }
            } else {
                ScanOutcome::Duplicate { venue_id, at }
            })
        })
        .collect()
}
