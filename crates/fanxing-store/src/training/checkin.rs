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
//!
//! **The scan journal (SQLite).** SQLite has one write lock, and an
//! all-or-nothing import holds it for its whole transaction (a tenth of a
//! second or more for tens of thousands of rows). A door must not wait for
//! that. So on SQLite, when the main writer is busy (or scans are still
//! waiting to be applied), a group is decided from what the database has
//! committed plus the scans not yet applied, written to a journal — a
//! small SQLite database of its own beside the main one, with its own lock —
//! and acknowledged once the journal has committed it. An applier task moves
//! journal entries into the main database, with the outcomes already given,
//! as soon as the writer is free, then deletes them from the journal. A
//! scan is durable when acknowledged either way; during an import it counts
//! in the main database's figures once the import has committed. Entries
//! left by a crash are applied when the store next starts (applying is
//! idempotent: scan ids and attendances are unique).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{mpsc, oneshot, Notify};

use fanxing_core::error::{Error, Result};
use fanxing_core::people::PersonId;
use fanxing_core::training::store::{ScanOutcome, ScanRecord};
use fanxing_core::training::{SessionId, VenueId};

use crate::sql::{args, Sql};
use crate::store::{col, db, id_col};
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
    journal: Option<Journal>,
}

/// The scan journal: its own database, the main database's read pool for
/// decisions, and the scans written to it but not yet applied.
#[derive(Clone)]
pub(crate) struct Journal {
    pool: AnyPool,
    reader: AnyPool,
    pending: Arc<Mutex<Pending>>,
    wake: Arc<Notify>,
}

/// Scans in the journal, not yet in the main database.
#[derive(Default)]
struct Pending {
    /// scan id → whether it made its attendance.
    scans: HashMap<String, bool>,
    /// (session, person) → the attendance a journalled scan made.
    attended: HashMap<(SessionId, PersonId), (VenueId, i64)>,
}

impl Journal {
    /// Opens (creating) the journal database at `url`; `reader` reads the
    /// main database.
    pub(crate) async fn open(url: &str, reader: AnyPool) -> Result<Journal> {
        let pool = crate::connect(url, 1)
            .await
            .map_err(|e| Error::Store(e.to_string()))?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS scan_journal (\
             seq INTEGER PRIMARY KEY AUTOINCREMENT, scan_id TEXT NOT NULL, \
             session_id INTEGER NOT NULL, programme_id INTEGER NOT NULL, \
             registration_id INTEGER NOT NULL, person_id INTEGER NOT NULL, \
             venue_id INTEGER NOT NULL, device_id TEXT NOT NULL, method TEXT NOT NULL, \
             scanned_at INTEGER NOT NULL, received_at INTEGER NOT NULL, tier TEXT NOT NULL, \
             region INTEGER NOT NULL, outcome TEXT NOT NULL, made INTEGER NOT NULL)",
        )
        .execute(&pool)
        .await
        .map_err(db)?;
        // Entries the main database refused (see `apply_or_set_aside`),
        // kept with the reason for whoever looks into them.
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS scan_journal_refused (\
             seq INTEGER PRIMARY KEY, scan_id TEXT NOT NULL, \
             session_id INTEGER NOT NULL, programme_id INTEGER NOT NULL, \
             registration_id INTEGER NOT NULL, person_id INTEGER NOT NULL, \
             venue_id INTEGER NOT NULL, device_id TEXT NOT NULL, method TEXT NOT NULL, \
             scanned_at INTEGER NOT NULL, received_at INTEGER NOT NULL, tier TEXT NOT NULL, \
             region INTEGER NOT NULL, outcome TEXT NOT NULL, made INTEGER NOT NULL, \
             reason TEXT NOT NULL)",
        )
        .execute(&pool)
        .await
        .map_err(db)?;
        Ok(Journal {
            pool,
            reader,
            pending: Arc::new(Mutex::new(Pending::default())),
            wake: Arc::new(Notify::new()),
        })
    }

    /// Waits until every journalled scan is in the main database (at most
    /// `limit`); true when it is.
    pub(crate) async fn settle(&self, limit: std::time::Duration) -> bool {
        let until = std::time::Instant::now() + limit;
        while self.has_pending() {
            if std::time::Instant::now() >= until {
                return false;
            }
            self.wake.notify_one();
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        true
    }

    fn has_pending(&self) -> bool {
        self.pending
            .lock()
            .map(|p| !p.scans.is_empty())
            .unwrap_or(true)
    }
}

/// The journal's URL beside a SQLite database's (`None` for an in-memory
/// database, which has nothing to outlive).
pub fn journal_url(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    let query = if query.is_empty() { "mode=rwc" } else { query };
    Some(format!("sqlite://{path}.scan-journal?{query}"))
}

impl GroupCommit {
    /// Starts the writing task on the current Tokio runtime.
    pub(crate) fn start(pool: AnyPool, backend: Backend, journal: Option<Journal>) -> GroupCommit {
        let (jobs, rx) = mpsc::channel(1024);
        let writer = Writer {
            pool,
            backend,
            journal,
        };
        if let Some(j) = &writer.journal {
            tokio::spawn(apply_journal(writer.pool.clone(), backend, j.clone()));
        }
        tokio::spawn(run(writer, rx));
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
    // Entries a crash left in the journal count as pending before any scan
    // is decided (the applier moves them into the main database).
    if let Some(j) = &writer.journal {
        // Nothing is decided before the journal's entries are known: a scan
        // decided without them could make an attendance twice.
        while let Err(e) = load_pending(j).await {
            tracing::error!(error = %e, "could not read the scan journal; retrying");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        j.wake.notify_one();
    }
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
        match write_or_journal(&writer, &flat).await {
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
                    let result = write_or_journal(&writer, &flat).await;
                    let _ = job.reply.send(result);
                }
            }
        }
    }
}

/// `INSERT INTO attendances … VALUES` for scans that made their
/// attendance, each at the time given (the caller adds the conflict
/// clause). The group writer and the journal's applier both write so.
fn attendances_sql(rows: &[(&ScanRecord, i64)]) -> Sql {
    let mut q = Sql::new(
        "INSERT INTO attendances (session_id, person_id, registration_id, venue_id, mode, tier, \
         region, programme_id, recorded_at) VALUES ",
    );
    for (n, (s, at)) in rows.iter().enumerate() {
        q.push(if n == 0 { "(" } else { ", (" })
            .binds(args![
                s.session_id,
                s.person_id,
                s.registration_id,
                s.venue_id
            ])
            .push(", 'onsite', ")
            .binds(args![
                s.tier.as_str(),
                s.region.value() as i64,
                s.programme_id,
                *at
            ])
            .push(")");
    }
    q
}

/// `INSERT INTO checkins … VALUES` for scans, each with when it was
/// received and the outcome it had (the caller adds the conflict clause).
fn checkins_sql(rows: &[(&ScanRecord, i64, &str)]) -> Sql {
    let mut q = Sql::new(
        "INSERT INTO checkins (scan_id, session_id, registration_id, venue_id, device_id, \
         method, scanned_at, received_at, outcome) VALUES ",
    );
    for (n, (s, received, outcome)) in rows.iter().enumerate() {
        q.push(if n == 0 { "(" } else { ", (" })
            .binds(args![
                s.scan_id.as_str(),
                s.session_id,
                s.registration_id,
                s.venue_id,
                s.device_id.as_str(),
                s.method.as_str(),
                s.scanned_at,
                *received,
                *outcome
            ])
            .push(")");
    }
    q
}

/// One journal entry as stored: the scan, when it was received, the
/// outcome it was given and whether it made its attendance.
struct Journalled {
    seq: i64,
    scan: ScanRecord,
    received_at: i64,
    outcome: String,
    made: bool,
}

impl Journalled {
    fn from_row(r: &sqlx::any::AnyRow) -> Result<Journalled> {
        let tier: String = col(r, "tier")?;
        let region: i64 = col(r, "region")?;
        Ok(Journalled {
            seq: col(r, "seq")?,
            scan: ScanRecord {
                scan_id: col(r, "scan_id")?,
                device_id: col(r, "device_id")?,
                method: col(r, "method")?,
                scanned_at: col(r, "scanned_at")?,
                session_id: id_col(r, "session_id")?,
                programme_id: id_col(r, "programme_id")?,
                registration_id: id_col(r, "registration_id")?,
                person_id: id_col(r, "person_id")?,
                venue_id: id_col(r, "venue_id")?,
                tier: fanxing_core::people::Tier::parse(&tier)
                    .ok_or_else(|| crate::store::bad("tier", &tier))?,
                region: crate::store::region_code(region)?,
            },
            received_at: col(r, "received_at")?,
            outcome: col(r, "outcome")?,
            made: col::<i64>(r, "made")? != 0,
        })
    }
}

/// Scan ids already recorded, with their outcome: both the group writer
/// and the journal ask this of the main database.
fn known_scans_sql(ids: &[&str]) -> Sql {
    let mut q = Sql::new("SELECT scan_id, outcome FROM checkins WHERE scan_id");
    q.in_list(ids);
    q
}

/// The attendance standing for each (session, person) pair, if any.
fn standing_sql(pairs: &[(SessionId, PersonId)]) -> Sql {
    let mut q =
        Sql::new("SELECT session_id, person_id, venue_id, recorded_at FROM attendances WHERE ");
    for (n, (session, person)) in pairs.iter().enumerate() {
        q.push(if n == 0 { "(" } else { " OR (" })
            .push("session_id = ")
            .bind(*session)
            .push(" AND person_id = ")
            .bind(*person)
            .push(")");
    }
    q
}

/// Writes a group into the main database when its writer is free and no
/// journalled scan waits; otherwise decides it and journals it.
async fn write_or_journal(
    writer: &Writer,
    scans: &[(&ScanRecord, i64)],
) -> Result<Vec<ScanOutcome>> {
    let Some(journal) = &writer.journal else {
        let mut tx = writer.pool.begin().await.map_err(db)?;
        let out = write_group(&mut tx, writer.backend, scans).await?;
        tx.commit().await.map_err(db)?;
        return Ok(out);
    };
    if !journal.has_pending() {
        if let Some(mut conn) = writer.pool.try_acquire() {
            let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(db)?;
            let out = write_group(&mut tx, writer.backend, scans).await?;
            tx.commit().await.map_err(db)?;
            return Ok(out);
        }
    }
    journal_group(journal, writer.backend, scans).await
}

/// Writes a group of scans inside `tx`; see the module docs.
async fn write_group(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    scans: &[(&ScanRecord, i64)],
) -> Result<Vec<ScanOutcome>> {
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
        let q = known_scans_sql(chunk).on(backend);
        for row in q.query().fetch_all(&mut **tx).await.map_err(db)? {
            let outcome: String = col(&row, "outcome")?;
            known.insert(col(&row, "scan_id")?, outcome == "accepted");
        }
    }

    // Fresh scans: the first of each (session, person) may make the attendance.
    let fresh: Vec<usize> = (0..scans.len())
        .filter(|&i| canonical[i] == i && !known.contains_key(scans[i].0.scan_id.as_str()))
        .collect();
    let mut claim: HashMap<(SessionId, PersonId), usize> = HashMap::new();
    for &i in &fresh {
        let s = scans[i].0;
        claim.entry((s.session_id, s.person_id)).or_insert(i);
    }
    let mut claimants: Vec<usize> = claim.values().copied().collect();
    claimants.sort_unstable();
    let mut made_pairs: HashSet<(SessionId, PersonId)> = HashSet::new();
    for chunk in claimants.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<(&ScanRecord, i64)> = chunk
            .iter()
            .map(|&i| (scans[i].0, scans[i].0.scanned_at.min(scans[i].1)))
            .collect();
        let mut q = attendances_sql(&rows);
        q.push(" ON CONFLICT (session_id, person_id) DO NOTHING RETURNING session_id, person_id");
        let q = q.on(backend);
        for row in q.query().fetch_all(&mut **tx).await.map_err(db)? {
            made_pairs.insert((id_col(&row, "session_id")?, id_col(&row, "person_id")?));
        }
    }
    let made = |i: usize| {
        let s = scans[i].0;
        let pair = (s.session_id, s.person_id);
        claim.get(&pair) == Some(&i) && made_pairs.contains(&pair)
    };

    // The scans themselves, each with the outcome it had.
    for chunk in fresh.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<(&ScanRecord, i64, &str)> = chunk
            .iter()
            .map(|&i| {
                let outcome = if made(i) { "accepted" } else { "duplicate" };
                (scans[i].0, scans[i].1, outcome)
            })
            .collect();
        let mut q = checkins_sql(&rows);
        // Only a concurrent writer on another connection (PostgreSQL) can
        // have taken one of these ids since the read above.
        q.push(" ON CONFLICT (scan_id) DO NOTHING");
        q.on(backend).query().execute(&mut **tx).await.map_err(db)?;
    }

    // Where the attendance of every scan that did not make it stands.
    let mut pending: Vec<(SessionId, PersonId)> = Vec::new();
    let mut seen: HashSet<(SessionId, PersonId)> = HashSet::new();
    for &c in &canonical {
        let s = scans[c].0;
        let pair = (s.session_id, s.person_id);
        if !made(c) && seen.insert(pair) {
            pending.push(pair);
        }
    }
    let mut standing: HashMap<(SessionId, PersonId), (VenueId, i64)> = HashMap::new();
    for chunk in pending.chunks(ROWS_PER_STATEMENT) {
        let q = standing_sql(chunk).on(backend);
        for row in q.query().fetch_all(&mut **tx).await.map_err(db)? {
            standing.insert(
                (id_col(&row, "session_id")?, id_col(&row, "person_id")?),
                (id_col(&row, "venue_id")?, col(&row, "recorded_at")?),
            );
        }
    }

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

/// The columns of a journal entry, in the order rows are bound.
const JOURNAL_COLS: &str = "scan_id, session_id, programme_id, registration_id, person_id, \
     venue_id, device_id, method, scanned_at, received_at, tier, region, outcome, made";

/// Decides a group from the main database's committed rows and the
/// journalled scans, writes it to the journal, and answers once that has
/// committed. Decides exactly as [`write_group`] would.
async fn journal_group(
    j: &Journal,
    backend: Backend,
    scans: &[(&ScanRecord, i64)],
) -> Result<Vec<ScanOutcome>> {
    let poisoned = || Error::Store("scan journal state poisoned".into());
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let canonical: Vec<usize> = scans
        .iter()
        .enumerate()
        .map(|(i, (s, _))| *first_of.entry(s.scan_id.as_str()).or_insert(i))
        .collect();
    let pairs: Vec<(SessionId, PersonId)> = {
        let mut seen = HashSet::new();
        scans
            .iter()
            .map(|(s, _)| (s.session_id, s.person_id))
            .filter(|p| seen.insert(*p))
            .collect()
    };

    // The journal first, then the main database: an entry applied in
    // between has been committed there before it leaves the journal.
    let mut known: HashMap<String, bool> = HashMap::new();
    let mut standing: HashMap<(SessionId, PersonId), (VenueId, i64)> = HashMap::new();
    {
        let p = j.pending.lock().map_err(|_| poisoned())?;
        for id in first_of.keys() {
            if let Some(made) = p.scans.get(*id) {
                known.insert((*id).to_string(), *made);
            }
        }
        for pair in &pairs {
            if let Some(a) = p.attended.get(pair) {
                standing.insert(*pair, *a);
            }
        }
    }
    let ask: Vec<&str> = first_of
        .keys()
        .copied()
        .filter(|id| !known.contains_key(*id))
        .collect();
    for chunk in ask.chunks(ROWS_PER_STATEMENT * 4) {
        for row in known_scans_sql(chunk)
            .on(backend)
            .query()
            .fetch_all(&j.reader)
            .await
            .map_err(db)?
        {
            let outcome: String = col(&row, "outcome")?;
            known.insert(col(&row, "scan_id")?, outcome == "accepted");
        }
    }
    let ask: Vec<(SessionId, PersonId)> = pairs
        .iter()
        .copied()
        .filter(|p| !standing.contains_key(p))
        .collect();
    for chunk in ask.chunks(ROWS_PER_STATEMENT) {
        for row in standing_sql(chunk)
            .on(backend)
            .query()
            .fetch_all(&j.reader)
            .await
            .map_err(db)?
        {
            standing.insert(
                (id_col(&row, "session_id")?, id_col(&row, "person_id")?),
                (id_col(&row, "venue_id")?, col(&row, "recorded_at")?),
            );
        }
    }

    // The first fresh scan of a pair not yet attended makes the attendance.
    let fresh: Vec<usize> = (0..scans.len())
        .filter(|&i| canonical[i] == i && !known.contains_key(scans[i].0.scan_id.as_str()))
        .collect();
    let mut claim: HashMap<(SessionId, PersonId), usize> = HashMap::new();
    for &i in &fresh {
        let s = scans[i].0;
        claim.entry((s.session_id, s.person_id)).or_insert(i);
    }
    let made: HashSet<usize> = claim
        .iter()
        .filter(|(pair, _)| !standing.contains_key(*pair))
        .map(|(_, &i)| i)
        .collect();
    for &i in &made {
        let (s, now) = scans[i];
        standing.insert(
            (s.session_id, s.person_id),
            (s.venue_id, s.scanned_at.min(now)),
        );
    }

    let mut tx = j.pool.begin().await.map_err(db)?;
    for chunk in fresh.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::new(&format!(
            "INSERT INTO scan_journal ({JOURNAL_COLS}) VALUES "
        ));
        for (n, &i) in chunk.iter().enumerate() {
            let (s, now) = scans[i];
            let m = made.contains(&i);
            q.push(if n == 0 { "(" } else { ", (" })
                .binds(args![
                    s.scan_id.as_str(),
                    s.session_id,
                    s.programme_id,
                    s.registration_id,
                    s.person_id,
                    s.venue_id,
                    s.device_id.as_str(),
                    s.method.as_str(),
                    s.scanned_at,
                    now,
                    s.tier.as_str(),
                    s.region.value() as i64,
                    if m { "accepted" } else { "duplicate" },
                    m as i64
                ])
                .push(")");
        }
        q.on(Backend::Sqlite)
            .query()
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    {
        let mut p = j.pending.lock().map_err(|_| poisoned())?;
        for &i in &fresh {
            let s = scans[i].0;
            p.scans.insert(s.scan_id.clone(), made.contains(&i));
            if made.contains(&i) {
                if let Some(a) = standing.get(&(s.session_id, s.person_id)) {
                    p.attended.insert((s.session_id, s.person_id), *a);
                }
            }
        }
    }
    j.wake.notify_one();

    (0..scans.len())
        .map(|i| {
            let c = canonical[i];
            let cs = scans[c].0;
            let pair = (cs.session_id, cs.person_id);
            let (venue_id, at) = standing
                .get(&pair)
                .copied()
                .ok_or_else(|| Error::Store(format!("no attendance for scan {}", cs.scan_id)))?;
            let accepted =
                made.contains(&c) || known.get(cs.scan_id.as_str()).copied().unwrap_or(false);
            Ok(if accepted {
                ScanOutcome::Accepted { venue_id, at }
            } else {
                ScanOutcome::Duplicate { venue_id, at }
            })
        })
        .collect()
}

/// Fills the pending set from entries a previous run left in the journal.
async fn load_pending(j: &Journal) -> Result<()> {
    let rows = sqlx::query(&format!(
        "SELECT seq, {JOURNAL_COLS} FROM scan_journal ORDER BY seq"
    ))
    .fetch_all(&j.pool)
    .await
    .map_err(db)?;
    let mut p = j
        .pending
        .lock()
        .map_err(|_| Error::Store("scan journal state poisoned".into()))?;
    for r in &rows {
        let e = Journalled::from_row(r)?;
        p.scans.insert(e.scan.scan_id.clone(), e.made);
        if e.made {
            p.attended.insert(
                (e.scan.session_id, e.scan.person_id),
                (e.scan.venue_id, e.scan.scanned_at.min(e.received_at)),
            );
        }
    }
    Ok(())
}

/// Moves journal entries into the main database whenever woken, a batch
/// per transaction, until the journal is empty.
async fn apply_journal(pool: AnyPool, backend: Backend, j: Journal) {
    loop {
        j.wake.notified().await;
        loop {
            match apply_batch(&pool, backend, &j, MAX_GROUP * 4).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "applying the scan journal failed");
                    // One entry the main database refuses (its registration
                    // gone, say) must not hold up every scan behind it:
                    // apply the oldest alone, and set it aside if refused.
                    if let Err(e) = apply_or_set_aside(&pool, backend, &j).await {
                        tracing::error!(error = %e, "scan journal stuck; retrying");
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                }
            }
        }
    }
}

/// Applies everything in the journal (entries a crash left), before the
/// store serves anyone; returns how many entries.
pub(crate) async fn drain(pool: &AnyPool, j: &Journal) -> Result<usize> {
    let mut total = 0;
    loop {
        match apply_batch(pool, Backend::Sqlite, j, MAX_GROUP * 4).await {
            Ok(0) => return Ok(total),
            Ok(n) => total += n,
            Err(_) => {
                apply_or_set_aside(pool, Backend::Sqlite, j).await?;
                total += 1;
            }
        }
    }
}

/// Applies the oldest journal entry alone; when the main database refuses
/// it (a constraint), moves it to `scan_journal_refused` with the reason
/// and drops it from the journal, so the entries behind it go on.
async fn apply_or_set_aside(pool: &AnyPool, backend: Backend, j: &Journal) -> Result<()> {
    let Err(e) = apply_batch(pool, backend, j, 1).await else {
        return Ok(());
    };
    let reason = e.to_string();
    if !reason.to_ascii_lowercase().contains("constraint") {
        return Err(e);
    }
    let row = sqlx::query(
        "SELECT seq, scan_id, session_id, person_id, made FROM scan_journal ORDER BY seq LIMIT 1",
    )
    .fetch_optional(&j.pool)
    .await
    .map_err(db)?;
    let Some(row) = row else { return Ok(()) };
    let seq: i64 = col(&row, "seq")?;
    let mut tx = j.pool.begin().await.map_err(db)?;
    let mut q = Sql::new(&format!(
        "INSERT INTO scan_journal_refused (seq, {JOURNAL_COLS}, reason) SELECT seq, {JOURNAL_COLS}, "
    ));
    q.bind(reason.as_str())
        .push(" FROM scan_journal WHERE seq = ")
        .bind(seq);
    q.on(Backend::Sqlite)
        .query()
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let mut q = Sql::new("DELETE FROM scan_journal WHERE seq = ");
    q.bind(seq);
    q.on(Backend::Sqlite)
        .query()
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    tracing::error!(seq, reason = %reason, "a journalled scan was refused by the database and set aside");
    let scan_id: String = col(&row, "scan_id")?;
    let made: i64 = col(&row, "made")?;
    let pair: (SessionId, PersonId) = (id_col(&row, "session_id")?, id_col(&row, "person_id")?);
    let mut p = j
        .pending
        .lock()
        .map_err(|_| Error::Store("scan journal state poisoned".into()))?;
    p.scans.remove(&scan_id);
    if made != 0 {
        p.attended.remove(&pair);
    }
    Ok(())
}

/// Applies the oldest journal entries with the outcomes they were given;
/// returns how many.
async fn apply_batch(pool: &AnyPool, backend: Backend, j: &Journal, limit: usize) -> Result<usize> {
    let rows = sqlx::query(&format!(
        "SELECT seq, {JOURNAL_COLS} FROM scan_journal ORDER BY seq LIMIT {limit}"
    ))
    .fetch_all(&j.pool)
    .await
    .map_err(db)?;
    if rows.is_empty() {
        return Ok(0);
    }
    let entries = rows
        .iter()
        .map(Journalled::from_row)
        .collect::<Result<Vec<_>>>()?;
    let last_seq = entries.iter().map(|e| e.seq).max().unwrap_or(0);
    let mut tx = pool.begin().await.map_err(db)?;
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let made: Vec<(&ScanRecord, i64)> = chunk
            .iter()
            .filter(|e| e.made)
            .map(|e| (&e.scan, e.scan.scanned_at.min(e.received_at)))
            .collect();
        if !made.is_empty() {
            let mut att = attendances_sql(&made);
            att.push(" ON CONFLICT (session_id, person_id) DO NOTHING");
            att.on(backend)
                .query()
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        let all: Vec<(&ScanRecord, i64, &str)> = chunk
            .iter()
            .map(|e| (&e.scan, e.received_at, e.outcome.as_str()))
            .collect();
        let mut scans = checkins_sql(&all);
        scans.push(" ON CONFLICT (scan_id) DO NOTHING");
        scans
            .on(backend)
            .query()
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    let mut q = Sql::new("DELETE FROM scan_journal WHERE seq <= ");
    q.bind(last_seq);
    q.on(Backend::Sqlite)
        .query()
        .execute(&j.pool)
        .await
        .map_err(db)?;
    let mut p = j
        .pending
        .lock()
        .map_err(|_| Error::Store("scan journal state poisoned".into()))?;
    for e in &entries {
        p.scans.remove(&e.scan.scan_id);
        if e.made {
            p.attended.remove(&(e.scan.session_id, e.scan.person_id));
        }
    }
    Ok(entries.len())
}

mod store_impl {
    use async_trait::async_trait;

    use fanxing_core::error::{Error, Result};
    use fanxing_core::people::{Tier, UserId};
    use fanxing_core::region::RegionRange;
    use fanxing_core::training::store::{
        AttendanceExportRow, CheckinStore, ScanOutcome, ScanRecord,
    };
    use fanxing_core::training::{
        Registration, RegistrationId, Session, SessionId, Venue, VenueId,
    };

    use super::super::*;
    use crate::sql::Sql;
    use crate::store::{choice_col, col, db, SqlStore};

    #[async_trait]
    impl CheckinStore for SqlStore {
        async fn venue_and_session(
            &self,
            id: VenueId,
            user: UserId,
        ) -> Result<Option<(Venue, Session, bool)>> {
            let (head, _) = SESSION_SELECT
                .split_once(" FROM training_sessions s")
                .unwrap_or((SESSION_SELECT, ""));
            let mut q = Sql::new(head);
            q.push(
            ", v.id AS v_id, v.session_id AS v_session_id, v.kind AS v_kind, v.name AS v_name, \
             v.address AS v_address, v.region AS v_region, v.capacity AS v_capacity, \
             v.stream_url AS v_stream_url, \
             (SELECT COUNT(*) FROM venue_staff w WHERE w.venue_id = v.id AND w.user_id = ",
        )
        .bind(user)
        .push(
            ") AS v_staff FROM venues v JOIN training_sessions s ON s.id = v.session_id \
             JOIN regions r ON r.code = s.region WHERE v.id = ",
        )
        .bind(id);
            let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
            row.map(|r| {
                Ok((
                    venue_prefixed(&r, "v_")?,
                    session_from(&r)?,
                    col::<i64>(&r, "v_staff")? > 0,
                ))
            })
            .transpose()
        }

        async fn assign_venue_staff(&self, venue: VenueId, user: UserId) -> Result<()> {
            let mut q = Sql::new("INSERT INTO venue_staff (venue_id, user_id) VALUES (");
            q.bind(venue)
                .push(", ")
                .bind(user)
                .push(") ON CONFLICT (venue_id, user_id) DO NOTHING");
            q.query().execute(self.writer()).await.map_err(db)?;
            Ok(())
        }

        async fn staff_venues(&self, user: UserId) -> Result<Vec<VenueId>> {
            let mut q = Sql::new("SELECT venue_id FROM venue_staff WHERE user_id = ");
            q.bind(user).push(" ORDER BY venue_id");
            q.fetch_map(self.pool(), |r| id_col(r, "venue_id")).await
        }

        async fn checkin_targets(
            &self,
            ids: &[RegistrationId],
        ) -> Result<Vec<(Registration, String, Tier)>> {
            let mut out = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(1000) {
                let mut q = Sql::new(&format!(
                    "SELECT {REG_COLS}, p.name AS person_name, p.tier AS person_tier \
                 FROM registrations g JOIN people p ON p.id = g.person_id WHERE g.id"
                ));
                q.in_list(chunk);
                for r in q
                    .on(self.backend_kind())
                    .query()
                    .fetch_all(self.pool())
                    .await
                    .map_err(db)?
                {
                    out.push((
                        registration_from(&r)?,
                        col(&r, "person_name")?,
                        choice_col(&r, "person_tier", Tier::parse)?,
                    ));
                }
            }
            Ok(out)
        }

        async fn record_scans(&self, scans: Vec<ScanRecord>, now: i64) -> Result<Vec<ScanOutcome>> {
            self.checkins().record(scans, now).await
        }

        async fn settle_checkins(&self) -> Result<()> {
            match self.journal() {
                Some(j) if !j.settle(std::time::Duration::from_secs(30)).await => Err(Error::Busy),
                _ => Ok(()),
            }
        }

        async fn attendance_export_page(
            &self,
            programme: ProgrammeId,
            range: RegionRange,
            after_id: RegistrationId,
            limit: i64,
        ) -> Result<Vec<AttendanceExportRow>> {
            let mut q = Sql::new(
            "SELECT a.registration_id, s.title, s.starts_at, v.name AS venue_name, r.name AS region_name, \
             p.name AS person_name, p.mobile, a.tier, a.mode, a.recorded_at \
             FROM attendances a JOIN training_sessions s ON s.id = a.session_id \
             JOIN venues v ON v.id = a.venue_id JOIN regions r ON r.code = a.region \
             JOIN people p ON p.id = a.person_id WHERE a.programme_id = ",
        );
            q.bind(programme)
                .push(" AND a.region BETWEEN ")
                .bind(range.lo as i64)
                .push(" AND ")
                .bind(range.hi as i64)
                .push(" AND a.registration_id > ")
                .bind(after_id)
                .push(" ORDER BY a.registration_id LIMIT ")
                .bind(limit);
            q.fetch_map(self.pool(), |r| {
                Ok(AttendanceExportRow {
                    registration_id: id_col(r, "registration_id")?,
                    session_title: col(r, "title")?,
                    starts_at: col(r, "starts_at")?,
                    venue_name: col(r, "venue_name")?,
                    region_name: col(r, "region_name")?,
                    person_name: col(r, "person_name")?,
                    mobile: col(r, "mobile")?,
                    tier: choice_col(r, "tier", Tier::parse)?,
                    mode: col(r, "mode")?,
                    recorded_at: col(r, "recorded_at")?,
                })
            })
            .await
        }

        async fn online_now(&self, session: SessionId, since_minute: i64) -> Result<i64> {
            let mut q = Sql::new(
                "SELECT COUNT(DISTINCT p.registration_id) AS n FROM presence p \
             JOIN registrations g ON g.id = p.registration_id WHERE g.session_id = ",
            );
            q.bind(session).push(" AND p.minute >= ").bind(since_minute);
            let row = q.query().fetch_one(self.pool()).await.map_err(db)?;
            col(&row, "n")
        }

        async fn record_presence(&self, registration: RegistrationId, minute: i64) -> Result<()> {
            let mut q = Sql::new("INSERT INTO presence (registration_id, minute) VALUES (");
            q.bind(registration)
                .push(", ")
                .bind(minute)
                .push(") ON CONFLICT (registration_id, minute) DO NOTHING");
            q.query().execute(self.writer()).await.map_err(db)?;
            Ok(())
        }

        async fn finalise_online(
            &self,
            session: &Session,
            min_minutes: i64,
            now: i64,
        ) -> Result<i64> {
            let mut q = Sql::new(
            "INSERT INTO attendances (session_id, person_id, registration_id, venue_id, mode, tier, \
             region, programme_id, recorded_at, online_minutes) \
             SELECT g.session_id, g.person_id, g.id, g.venue_id, 'online', p.tier, v.region, ",
        );
            q.bind(session.programme_id)
            .push(", ")
            .bind(now)
            .push(
                ", pc.n FROM registrations g JOIN venues v ON v.id = g.venue_id \
                 JOIN people p ON p.id = g.person_id \
                 JOIN (SELECT registration_id, COUNT(*) AS n FROM presence WHERE minute BETWEEN ",
            )
            .bind(session.starts_at / 60)
            .push(" AND ")
            .bind(session.ends_at / 60)
            .push(
                " GROUP BY registration_id) pc ON pc.registration_id = g.id WHERE g.session_id = ",
            )
            .bind(session.id)
            .push(" AND g.status = 'registered' AND v.kind = 'online' AND pc.n >= ")
            .bind(min_minutes)
            .push(" ON CONFLICT (session_id, person_id) DO NOTHING");
            let n = q
                .query()
                .execute(self.writer())
                .await
                .map_err(db)?
                .rows_affected();
            Ok(n as i64)
        }

        async fn attendance_counts(&self, session: SessionId) -> Result<(i64, i64, i64)> {
            let mut q = Sql::new(
                "SELECT COUNT(*) AS n, \
             COALESCE(SUM(CASE WHEN mode = 'onsite' THEN 1 ELSE 0 END), 0) AS onsite \
             FROM attendances WHERE session_id = ",
            );
            q.bind(session);
            let row = q.query().fetch_one(self.pool()).await.map_err(db)?;
            let n: i64 = col(&row, "n")?;
            let onsite: i64 = col(&row, "onsite")?;
            Ok((n, onsite, n - onsite))
        }
    }
}
