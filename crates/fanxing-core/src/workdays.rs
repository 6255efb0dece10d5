//! Working days on the mainland calendar: Monday to Friday, less the
//! public holidays, plus the weekend days worked in their place (调休), as
//! the State Council's yearly notice on holiday arrangements
//! (国务院办公厅关于部分节假日安排的通知) sets them. Partners' decision
//! deadlines are counted in these days.
//!
//! The arrangements are published each November for the next year and are
//! built in for 2025 and 2026 ([`HOLIDAYS`], [`WORKED_WEEKENDS`]); the
//! programme office enters later years, or corrects one, through
//! `PUT /api/v1/holidays/{year}`, and [`install`] puts them in force. A
//! year neither built in nor entered counts Monday to Friday ([`listed`]
//! says whether it is known).

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock, RwLock};

use time::Date;

/// Seconds of a day; Beijing is UTC+8 all year.
const DAY: i64 = 86_400;
const BEIJING: i64 = 8 * 3600;

/// The years whose arrangements are listed.
pub const YEARS: [i32; 2] = [2025, 2026];

/// Public holidays, first and last day inclusive, with their names.
pub const HOLIDAYS: &[(&str, &str, &str)] = &[
    // 2025 (notice of 12 November 2024).
    ("2025-01-01", "2025-01-01", "元旦"),
    ("2025-01-28", "2025-02-04", "春节"),
    ("2025-04-04", "2025-04-06", "清明节"),
    ("2025-05-01", "2025-05-05", "劳动节"),
    ("2025-05-31", "2025-06-02", "端午节"),
    ("2025-10-01", "2025-10-08", "国庆节、中秋节"),
    // 2026 (notice of 4 November 2025).
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
];

/// Saturdays and Sundays worked in place of a holiday (调休上班).
pub const WORKED_WEEKENDS: &[&str] = &[
    "2025-01-26",
    "2025-02-08",
    "2025-04-27",
    "2025-09-28",
    "2025-10-11",
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
];

/// A year's arrangement as the province office enters it from the
/// notice: the holidays (first and last day, `YYYY-MM-DD`, and a name) and
/// the weekend days worked in their place.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Arrangement {
    pub holidays: Vec<Holiday>,
    #[serde(default)]
    pub worked_weekends: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holiday {
    pub first: String,
    pub last: String,
    pub name: String,
}

/// The built-in arrangement of a listed year.
pub fn built_in(year: i32) -> Option<Arrangement> {
    listed_built_in(year).then(|| Arrangement {
        holidays: HOLIDAYS
            .iter()
            .filter(|(first, _, _)| first.starts_with(&year.to_string()))
            .map(|(first, last, name)| Holiday {
                first: first.to_string(),
                last: last.to_string(),
                name: name.to_string(),
            })
            .collect(),
        worked_weekends: WORKED_WEEKENDS
            .iter()
            .filter(|d| d.starts_with(&year.to_string()))
            .map(|d| d.to_string())
            .collect(),
    })
}

fn listed_built_in(year: i32) -> bool {
    YEARS.contains(&year)
}

/// Checks an arrangement for `year`: every date a real `YYYY-MM-DD` of that
/// year, each holiday's first day not after its last and at most 10 days
/// long, with a name of 1–20 characters; at most 20 holidays; worked days
/// on a Saturday or Sunday and not inside a holiday. The refusals name the
/// field (`holidays` or `worked_weekends`) and the row.
pub fn check(year: i32, a: &Arrangement) -> Result<(), crate::error::Error> {
    use crate::error::{Error, FieldError, FieldErrors};
    let mut e = FieldErrors::default();
    if !(2000..=2100).contains(&year) {
        return Err(Error::field("year", "holiday.year_bad"));
    }
    if a.holidays.len() > 20 || a.worked_weekends.len() > 20 {
        e.push(FieldError::new("holidays", "holiday.too_many"));
    }
    let in_year = |d: &str| parse_day(d).filter(|n| year_of(*n) == year);
    let mut off = BTreeSet::new();
    for (i, h) in a.holidays.iter().enumerate() {
        match (in_year(&h.first), in_year(&h.last)) {
            (Some(f), Some(l)) if f <= l && l - f < 10 => off.extend(f..=l),
            (Some(_), Some(_)) => {
                e.push(FieldError::new("holidays", "holiday.span_bad").with("row", i + 1))
            }
            _ => e.push(FieldError::new("holidays", "holiday.date_bad").with("row", i + 1)),
        }
        let n = h.name.trim().chars().count();
        if !(1..=20).contains(&n) {
            e.push(FieldError::new("holidays", "holiday.name_bad").with("row", i + 1));
        }
    }
    for (i, d) in a.worked_weekends.iter().enumerate() {
        match in_year(d) {
            Some(n) if is_weekend(n) && !off.contains(&n) => {}
            Some(_) => {
                e.push(FieldError::new("worked_weekends", "holiday.not_weekend").with("row", i + 1))
            }
            None => {
                e.push(FieldError::new("worked_weekends", "holiday.date_bad").with("row", i + 1))
            }
        }
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(e))
    }
}

/// The listed days as Beijing day numbers (days since 1970-01-01).
#[derive(Default)]
struct Listed {
    off: BTreeSet<i64>,
    on: BTreeSet<i64>,
    years: BTreeSet<i32>,
}

impl Listed {
    fn add(&mut self, year: i32, a: &Arrangement) {
        for h in &a.holidays {
            if let (Some(f), Some(l)) = (parse_day(&h.first), parse_day(&h.last)) {
                self.off.extend(f..=l);
            }
        }
        self.on
            .extend(a.worked_weekends.iter().filter_map(|d| parse_day(d)));
        self.years.insert(year);
    }
}

/// The calendar in force: the built-in years with the stored ones (see
/// [`install`]) in their place.
static LISTED: LazyLock<RwLock<Arc<Listed>>> = LazyLock::new(|| RwLock::new(Arc::new(build(&[]))));

fn build(stored: &[(i32, Arrangement)]) -> Listed {
    let mut l = Listed::default();
    for year in YEARS {
        if !stored.iter().any(|(y, _)| *y == year) {
            if let Some(a) = built_in(year) {
                l.add(year, &a);
            }
        }
    }
    for (year, a) in stored {
        l.add(*year, a);
    }
    l
}

/// Puts the arrangements the province office stored in force, each in
/// place of the built-in one of its year (the matching service does this
/// at start-up, after a change, and every minute, so several servers agree
/// within a minute).
pub fn install(stored: &[(i32, Arrangement)]) {
    let l = Arc::new(build(stored));
    *LISTED.write().unwrap_or_else(|p| p.into_inner()) = l;
}

fn current() -> Arc<Listed> {
    LISTED.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// A `YYYY-MM-DD` date (zero-padded) as a day number, `None` when it is
/// not a real date.
pub fn parse_day(iso: &str) -> Option<i64> {
    let iso = iso.trim();
    if iso.len() != 10 || iso.as_bytes()[4] != b'-' || iso.as_bytes()[7] != b'-' {
        return None;
    }
    crate::training::parse_date(iso).map(day_of)
}

/// Whether a day number falls on a Saturday or Sunday (1970-01-01 was a
/// Thursday: day 0 → weekday 3, Monday = 0).
fn is_weekend(day: i64) -> bool {
    (day + 3).rem_euclid(7) >= 5
}

fn year_of(day: i64) -> i32 {
    Date::from_julian_day(day as i32 + UNIX_EPOCH_JULIAN)
        .map(|d| d.year())
        .unwrap_or(0)
}

/// `YYYY-MM-DD` of the tables above as a day number; the tables are
/// checked by a test, so a typo fails the tests, not a request.
#[cfg(test)]
fn day_number(iso: &str) -> i64 {
    parse_day(iso).expect("table date")
}

/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN: i32 = 2_440_588;

/// The Beijing calendar day of a moment (Unix seconds).
pub fn day_of(t: i64) -> i64 {
    (t + BEIJING).div_euclid(DAY)
}

/// Whether the year's arrangement is known, built in or stored
/// (otherwise its days count Monday to Friday).
pub fn listed(year: i32) -> bool {
    current().years.contains(&year)
}

/// Whether a Beijing calendar day is a working day.
pub fn is_working(day: i64) -> bool {
    working_in(&current(), day)
}

fn working_in(l: &Listed, day: i64) -> bool {
    if l.on.contains(&day) {
        return true;
    }
    if l.off.contains(&day) {
        return false;
    }
    !is_weekend(day)
}

/// `start` plus `days` working days, in Unix seconds: the same time of
/// day on the `days`-th working day after `start`'s day.
pub fn add(start: i64, days: i64) -> i64 {
    let l = current();
    let mut t = start;
    let mut left = days.max(0);
    while left > 0 {
        t += DAY;
        if working_in(&l, day_of(t)) {
            left -= 1;
        }
    }
    t
}

/// Working days from `start` to `end` (Unix seconds): the working days
/// after `start`'s day up to and including `end`'s day, so a decision on
/// the day of the application counts 0 and one on the next working day 1.
/// Zero when `end` is not after `start`. Bounded: spans over ten years
/// count as ten years.
pub fn between(start: i64, end: i64) -> i64 {
    let (from, to) = (day_of(start), day_of(end));
    let to = to.min(from + 3653);
    let l = current();
    (from + 1..=to).filter(|d| working_in(&l, *d)).count() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(iso: &str) -> i64 {
        day_number(iso) * DAY - BEIJING + 10 * 3600
    }

    #[test]
    fn the_tables_are_dates_in_their_years_and_in_order() {
        for (first, last, name) in HOLIDAYS {
            assert!(day_number(first) <= day_number(last), "{name} {first}");
            assert!(listed(first[..4].parse().unwrap()), "{first}");
            assert!(
                day_number(last) - day_number(first) < 10,
                "{name} {first}..{last}"
            );
        }
        for d in WORKED_WEEKENDS {
            assert!(is_weekend(day_number(d)), "{d} is not a weekend day");
            assert!(listed(d[..4].parse().unwrap()), "{d}");
        }
    }

    #[test]
    fn weekends_holidays_and_worked_weekends() {
        // Ordinary weeks.
        assert!(is_working(day_of(at("2026-03-06")))); // Friday
        assert!(!is_working(day_of(at("2026-03-07")))); // Saturday
                                                        // The Spring Festival, and the Saturday worked before it.
        assert!(!is_working(day_of(at("2026-02-16")))); // Monday, holiday
        assert!(is_working(day_of(at("2026-02-14")))); // Saturday, worked
                                                       // National Day 2025 ran to Wednesday 8 October.
        assert!(!is_working(day_of(at("2025-10-08"))));
        assert!(is_working(day_of(at("2025-10-09"))));
        assert!(is_working(day_of(at("2025-10-11")))); // Saturday, worked
    }

    #[test]
    fn deadlines_skip_weekends_and_holidays() {
        let friday = at("2026-03-06");
        assert_eq!(add(friday, 1) - friday, 3 * DAY);
        assert_eq!(add(friday, 5) - friday, 7 * DAY);
        assert_eq!(add(friday, 0), friday);
        // Friday 13 Feb 2026 + 1: Saturday 14 Feb is worked.
        let before = at("2026-02-13");
        assert_eq!(add(before, 1), at("2026-02-14"));
        // + 2: the holiday runs to Monday 23 Feb; Tuesday 24 Feb.
        assert_eq!(add(before, 2), at("2026-02-24"));
        // Thursday 30 April 2026 + 1: 1–5 May off, Wednesday 6 May.
        assert_eq!(add(at("2026-04-30"), 1), at("2026-05-06"));
    }

    #[test]
    fn working_days_between_two_moments() {
        let monday = at("2026-03-09");
        assert_eq!(between(monday, monday + 3600), 0);
        assert_eq!(between(monday, at("2026-03-10")), 1);
        assert_eq!(between(monday, at("2026-03-16")), 5);
        assert_eq!(between(monday, monday - DAY), 0);
        // Over the Spring Festival: Friday 13 Feb to Tuesday 24 Feb 2026 is
        // Saturday 14 (worked) and Tuesday 24.
        assert_eq!(between(at("2026-02-13"), at("2026-02-24")), 2);
        for n in [0, 1, 3, 10, 40] {
            let start = at("2025-09-26");
            assert_eq!(between(start, add(start, n)), n, "{n}");
        }
        assert!(between(0, i64::MAX / 2) <= 3653);
    }

    #[test]
    fn an_arrangement_is_checked_by_row() {
        let h = |first: &str, last: &str, name: &str| Holiday {
            first: first.into(),
            last: last.into(),
            name: name.into(),
        };
        let ok = Arrangement {
            holidays: vec![h("2030-02-02", "2030-02-08", "春节")],
            worked_weekends: vec!["2030-01-26".into()],
        };
        assert!(check(2030, &ok).is_ok());
        let bad = Arrangement {
            holidays: vec![
                h("2030-02-30", "2030-03-01", "春节"),
                h("2031-01-01", "2031-01-01", "元旦"),
                h("2030-05-05", "2030-05-01", "劳动节"),
                h("2030-10-01", "2030-10-20", "国庆节"),
                h("2030-06-01", "2030-06-01", ""),
            ],
            worked_weekends: vec!["2030-01-28".into(), "2030-06-01".into(), "x".into()],
        };
        let Err(crate::error::Error::Invalid(e)) = check(2030, &bad) else {
            panic!("accepted");
        };
        let got: Vec<(String, String)> =
            e.0.iter()
                .map(|f| (f.field.to_string(), f.key.to_string()))
                .collect();
        let want = [
            ("holidays", "holiday.date_bad"),
            ("holidays", "holiday.date_bad"),
            ("holidays", "holiday.span_bad"),
            ("holidays", "holiday.span_bad"),
            ("holidays", "holiday.name_bad"),
            ("worked_weekends", "holiday.not_weekend"),
            ("worked_weekends", "holiday.not_weekend"),
            ("worked_weekends", "holiday.date_bad"),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        );
        assert!(check(1999, &ok).is_err());
    }

    #[test]
    fn a_stored_year_takes_the_place_of_the_built_in_one() {
        // 2030 is not built in; 2026 is. Stored: 2030's, and a 2026 without
        // the Spring Festival (as an office might correct it). Built as
        // `install` builds it (installing here would change the calendar
        // under the other tests).
        let monday = day_of(at("2030-02-04"));
        let spring = day_of(at("2026-02-16"));
        let l = build(&[
            (
                2030,
                Arrangement {
                    holidays: vec![Holiday {
                        first: "2030-02-04".into(),
                        last: "2030-02-08".into(),
                        name: "春节".into(),
                    }],
                    worked_weekends: vec![],
                },
            ),
            (2026, Arrangement::default()),
        ]);
        assert!(l.years.contains(&2030) && l.years.contains(&2025));
        assert!(!working_in(&l, monday));
        assert!(working_in(&l, spring));
        let l = build(&[]);
        assert!(!l.years.contains(&2030));
        assert!(working_in(&l, monday));
        assert!(!working_in(&l, spring));
    }
}
