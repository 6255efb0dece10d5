//! The compliance checker's use cases: who may check, what a text may be,
//! counting each check for the offices, the batch, the annotated title
//! workbook, and the offices' view of what trips their trainees.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::store::{CheckCount, ComplianceStore, TallyTotals};
use super::{titles, Category, Kind, Matcher, Report, MAX_BATCH, MAX_BATCH_CHARS, MAX_CHARS};
use crate::auth::Actor;
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::i18n::Lang;
use crate::people::home_region::HomeRegions;
use crate::people::store::PeopleStore;
use crate::region::RegionCode;
use crate::sheet::off_workers;

/// Texts up to this many bytes are checked on the request's own task (a
/// few hundred microseconds); longer ones on the blocking pool, so that a
/// long script cannot hold up other requests.
const INLINE_BYTES: usize = 16 * 1024;

/// Days since 1970-01-01 in Beijing time (UTC+8).
pub fn beijing_day(unix: i64) -> i64 {
    (unix + 8 * 3600).div_euclid(86_400)
}

/// One text of a batch.
#[derive(Debug, Clone, Deserialize)]
pub struct BatchItem {
    /// The caller's own id for the text, echoed back.
    #[serde(default)]
    pub id: Option<String>,
    pub text: String,
    #[serde(default)]
    pub kind: Option<Kind>,
}

/// One answer of a batch.
#[derive(Debug, Clone, Serialize)]
pub struct BatchAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(flatten)]
    pub report: Report,
}

/// What trips a region's trainees, for its office.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub region: RegionCode,
    pub days: i64,
    pub totals: TallyTotals,
}

fn poisoned() -> Error {
    Error::Store("compliance counts: lock poisoned".into())
}

/// Why a text cannot be checked, if it cannot.
pub fn text_problem(text: &str) -> Option<FieldError> {
    if text.trim().is_empty() {
        return Some(FieldError::new("text", "compliance.empty"));
    }
    let n = text.chars().count();
    if n > MAX_CHARS {
        return Some(
            FieldError::new("text", "compliance.too_long")
                .with("max", MAX_CHARS)
                .with("n", n),
        );
    }
    // Control characters other than line breaks and tabs mean a binary
    // file pasted or uploaded as text.
    let control = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    if control > 0 && control * 100 >= n.max(1) {
        return Some(FieldError::new("text", "compliance.binary"));
    }
    None
}

/// The message for a text of a batch or a row of a sheet that cannot be
/// checked (it names the item by `{n}`).
pub fn item_key(problem: &str) -> &'static str {
    match problem {
        "compliance.empty" => "compliance.item_empty",
        "compliance.too_long" => "compliance.item_too_long",
        _ => "compliance.item_binary",
    }
}

#[derive(Clone)]
pub struct ComplianceService {
    store: Arc<dyn ComplianceStore>,
    matcher: &'static Matcher,
    /// Counts not yet written, by (day, region, kind); see [`FLUSH_EVERY`].
    pending: Arc<Mutex<Pending>>,
    /// Trainees' regions, read once in a while rather than on every check.
    regions: HomeRegions,
}

/// How long counts wait in memory before they are written together: a
/// check costs no write of its own, and a server that stops loses at most
/// this much of the (statistical) tally. Several servers each add their
/// own counts, so nothing is counted twice.
pub const FLUSH_EVERY: Duration = Duration::from_secs(2);

struct Pending {
    since: Instant,
    counts: HashMap<(i64, RegionCode, Kind), CheckCount>,
}

impl ComplianceService {
    pub fn new(store: Arc<dyn ComplianceStore>, people: Arc<dyn PeopleStore>) -> Self {
        ComplianceService {
            store,
            matcher: Matcher::builtin(),
            pending: Arc::new(Mutex::new(Pending {
                since: Instant::now(),
                counts: HashMap::new(),
            })),
            regions: HomeRegions::new(people),
        }
    }

    pub fn matcher(&self) -> &'static Matcher {
        self.matcher
    }

    /// The rules, for those who may check.
    pub fn rules(&self, actor: &Actor) -> Result<&'static Matcher> {
        if actor.may_check_compliance() {
            Ok(self.matcher)
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Checks one text and counts it for the caller's region.
    pub async fn check(&self, actor: &Actor, text: &str, kind: Kind, lang: Lang) -> Result<Report> {
        if !actor.may_check_compliance() {
            return Err(Error::Forbidden);
        }
        if let Some(e) = text_problem(text) {
            return Err(Error::Invalid(FieldErrors(vec![e])));
        }
        let report = if text.len() <= INLINE_BYTES {
            self.matcher.check(text, kind, lang)
        } else {
            let (m, text) = (self.matcher, text.to_string());
            off_workers(move || m.check(&text, kind, lang)).await?
        };
        self.count(actor, kind, &[&report]).await?;
        Ok(report)
    }

    /// Checks many texts; any bad text refuses the whole batch, naming it.
    pub async fn check_batch(
        &self,
        actor: &Actor,
        items: Vec<BatchItem>,
        default_kind: Kind,
        lang: Lang,
    ) -> Result<Vec<BatchAnswer>> {
        if !actor.may_check_compliance() {
            return Err(Error::Forbidden);
        }
        if items.is_empty() {
            return Err(Error::field("texts", "compliance.batch_empty"));
        }
        if items.len() > MAX_BATCH {
            return Err(Error::Invalid(FieldErrors(vec![FieldError::new(
                "texts",
                "compliance.batch_too_many",
            )
            .with("max", MAX_BATCH.to_string())
            .with("n", items.len().to_string())])));
        }
        if items.iter().map(|i| i.text.chars().count()).sum::<usize>() > MAX_BATCH_CHARS {
            return Err(Error::Invalid(FieldErrors(vec![FieldError::new(
                "texts",
                "compliance.batch_too_long",
            )
            .with("max", MAX_BATCH_CHARS.to_string())])));
        }
        let mut errors = FieldErrors::default();
        for (i, item) in items.iter().enumerate() {
            if let Some(e) = text_problem(&item.text) {
                errors.push(FieldError::new("texts", item_key(e.key)).with("n", i + 1));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let m = self.matcher;
        let answers: Vec<BatchAnswer> = off_workers(move || {
            items
                .iter()
                .map(|i| BatchAnswer {
                    id: i.id.clone(),
                    report: m.check(&i.text, i.kind.unwrap_or(default_kind), lang),
                })
                .collect()
        })
        .await?;
        let reports: Vec<&Report> = answers.iter().map(|a| &a.report).collect();
        self.count(actor, default_kind, &reports).await?;
        Ok(answers)
    }

    /// Reads a workbook of product titles and gives it back annotated: each
    /// title's findings, categories and rewordings beside it.
    pub async fn annotate_titles(
        &self,
        actor: &Actor,
        filename: &str,
        bytes: &[u8],
        lang: Lang,
    ) -> Result<Vec<u8>> {
        if !actor.may_check_compliance() {
            return Err(Error::Forbidden);
        }
        let (m, filename, bytes) = (self.matcher, filename.to_string(), bytes.to_vec());
        let (out, reports) = off_workers(move || -> Result<(Vec<u8>, Vec<Report>)> {
            let sheet = titles::read(&filename, &bytes)?;
            let reports: Vec<Report> = sheet
                .titles
                .iter()
                .map(|t| m.check(&t.text, Kind::Title, lang))
                .collect();
            Ok((titles::write(&sheet, &reports, lang)?, reports))
        })
        .await??;
        self.count(actor, Kind::Title, &reports.iter().collect::<Vec<_>>())
            .await?;
        Ok(out)
    }

    /// What trips the office's trainees over the last `days` days.
    pub async fn overview(&self, actor: &Actor, days: i64) -> Result<Overview> {
        let Some(range) = actor.office_range() else {
            return Err(Error::Forbidden);
        };
        let region = actor.user.region.ok_or(Error::Forbidden)?;
        let days = days.clamp(1, 366);
        let since = beijing_day(crate::now()) - days + 1;
        let by_city = region.shape_level() == crate::region::RegionLevel::Province;
        self.flush().await?;
        let mut totals = self.store.check_tally(range, since, by_city).await?;
        totals.per_category.sort_by_key(|(c, _, n)| {
            (
                std::cmp::Reverse(*n),
                Category::ALL.iter().position(|x| x == c),
            )
        });
        Ok(Overview {
            region,
            days,
            totals,
        })
    }

    /// Adds the reports' counts to the caller's region's tally (offices:
    /// their region; trainees: the region of their person record). The
    /// texts themselves are never stored.
    async fn count(&self, actor: &Actor, kind: Kind, reports: &[&Report]) -> Result<()> {
        let region = self.regions.of(actor).await?;
        let Some(region) = region else {
            return Ok(());
        };
        let mut per = [(0i64, 0i64); 8];
        let mut flagged = 0;
        for r in reports {
            flagged += i64::from(!r.findings.is_empty());
            for (i, n) in r.per_category().into_iter().enumerate() {
                if n > 0 {
                    per[i].0 += 1;
                    per[i].1 += i64::from(n);
                }
            }
        }
        let day = beijing_day(crate::now());
        let due = {
            let mut p = self.pending.lock().map_err(|_| poisoned())?;
            let c = p.counts.entry((day, region, kind)).or_insert(CheckCount {
                day,
                region,
                kind,
                checks: 0,
                flagged: 0,
                per_category: Category::ALL.iter().map(|c| (*c, 0, 0)).collect(),
            });
            c.absorb(&CheckCount {
                day,
                region,
                kind,
                checks: reports.len() as i64,
                flagged,
                per_category: Category::ALL
                    .iter()
                    .zip(per)
                    .map(|(c, (t, n))| (*c, t, n))
                    .collect(),
            });
            p.since.elapsed() >= FLUSH_EVERY
        };
        if due {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes the counts waiting in memory, in one transaction.
    pub async fn flush(&self) -> Result<()> {
        let counts: Vec<CheckCount> = {
            let mut p = self.pending.lock().map_err(|_| poisoned())?;
            p.since = Instant::now();
            p.counts.drain().map(|(_, c)| c).collect()
        };
        if let Err(e) = self.store.add_check_counts(&counts).await {
            // Put them back for the next flush rather than lose them.
            let mut p = self.pending.lock().map_err(|_| poisoned())?;
            for c in counts {
                match p.counts.get_mut(&(c.day, c.region, c.kind)) {
                    Some(have) => have.absorb(&c),
                    None => {
                        p.counts.insert((c.day, c.region, c.kind), c);
                    }
                }
            }
            return Err(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_that_cannot_be_checked_say_why() {
        assert_eq!(text_problem("  \n").unwrap().key, "compliance.empty");
        assert_eq!(
            text_problem(&"最".repeat(MAX_CHARS + 1)).unwrap().key,
            "compliance.too_long"
        );
        let binary: String = (0u8..=255).map(char::from).collect();
        assert_eq!(text_problem(&binary).unwrap().key, "compliance.binary");
        assert!(text_problem("家人们，今天的大闸蟹很肥\n321上链接").is_none());
    }

    fn actor(role: crate::auth::Role, region: Option<u32>) -> Actor {
        Actor::new(crate::auth::User {
            id: crate::people::UserId(1),
            username: "u".into(),
            display_name: "u".into(),
            role,
            region: region.and_then(RegionCode::from_value),
            person_id: None,
            org_id: None,
        })
    }

    #[tokio::test]
    async fn a_check_is_counted_for_the_callers_region_and_the_text_is_not_kept() {
        let fake = Arc::new(crate::fake::Fake::default());
        let svc = ComplianceService::new(fake.clone(), fake.clone());
        let office = actor(crate::auth::Role::CityOffice, Some(320500));
        let text = "全网最低价！这款面霜能治疗痘痘";
        let r = svc
            .check(&office, text, Kind::Script, Lang::Zh)
            .await
            .unwrap();
        assert!(r.findings.len() >= 2, "{:?}", r.findings);
        assert!(
            fake.check_counts.lock().unwrap().is_empty(),
            "written later"
        );
        svc.flush().await.unwrap();
        let counts = fake.check_counts.lock().unwrap().clone();
        assert_eq!(counts.len(), 1);
        assert_eq!((counts[0].checks, counts[0].flagged), (1, 1));
        assert_eq!(counts[0].region, RegionCode::from_value(320500).unwrap());
        assert!(!format!("{counts:?}").contains("面霜"));
    }

    #[tokio::test]
    async fn only_trainees_and_offices_may_check() {
        let fake = Arc::new(crate::fake::Fake::default());
        let svc = ComplianceService::new(fake.clone(), fake.clone());
        for role in [
            crate::auth::Role::Partner,
            crate::auth::Role::Checkin,
            crate::auth::Role::Lecturer,
        ] {
            let e = svc
                .check(&actor(role, None), "最好", Kind::Script, Lang::Zh)
                .await;
            assert!(matches!(e, Err(Error::Forbidden)), "{role:?}");
        }
        assert!(fake.check_counts.lock().unwrap().is_empty());
    }

    #[test]
    fn beijing_days_turn_at_beijing_midnight() {
        // 2026-12-01 15:59:59 UTC is 23:59:59 in Beijing; a second later
        // it is the next day there.
        let t = 1_796_140_799;
        assert_eq!(beijing_day(t) + 1, beijing_day(t + 1));
    }
}
