//! Working days on the mainland calendar: Monday to Friday, less the
//! public holidays, plus the weekend days worked in their place (调休), as
//! the State Council's yearly notice on holiday arrangements
//! (国务院办公厅关于部分节假日安排的通知) sets them. Partners' decision
//! deadlines are counted in these days.
//!
//! The arrangements are published each November for the next year and are
//! listed in [`HOLIDAYS`] and [`WORKED_WEEKENDS`]; a year that is not
//! listed counts Monday to Friday ([`listed`] says whether it is; the
//! matching docs say how to add a year).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use time::{Date, Month};

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

/// The listed days as Beijing day numbers (days since 1970-01-01).
struct Listed {
    off: BTreeSet<i64>,
    on: BTreeSet<i64>,
}

static LISTED: LazyLock<Listed> = LazyLock::new(|| {
    let mut off = BTreeSet::new();
    for (first, last, _) in HOLIDAYS {
        for d in day_number(first)..=day_number(last) {
            off.insert(d);
        }
    }
    let on = WORKED_WEEKENDS.iter().map(|d| day_number(d)).collect();
    Listed { off, on }
});

/// `YYYY-MM-DD` of the tables above as a day number; the tables are
/// checked by a test, so a typo fails the build's tests, not a request.
fn day_number(iso: &str) -> i64 {
    let part = |r: std::ops::Range<usize>| iso[r].parse::<i32>().expect("table date");
    let month = Month::try_from(part(5..7) as u8).expect("table month");
    let date = Date::from_calendar_date(part(0..4), month, part(8..10) as u8).expect("table date");
    (date.to_julian_day() - UNIX_EPOCH_JULIAN) as i64
}

/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN: i32 = 2_440_588;

/// The Beijing calendar day of a moment (Unix seconds).
pub fn day_of(t: i64) -> i64 {
    (t + BEIJING).div_euclid(DAY)
}

/// Whether the year's arrangements are listed (otherwise its days count
/// Monday to Friday).
pub fn listed(year: i32) -> bool {
    YEARS.contains(&year)
}

/// Whether a Beijing calendar day is a working day.
pub fn is_working(day: i64) -> bool {
    let l = &*LISTED;
    if l.on.contains(&day) {
        return true;
    }
    if l.off.contains(&day) {
        return false;
    }
    // 1970-01-01 was a Thursday: day 0 → weekday 3 (Monday = 0).
    (day + 3).rem_euclid(7) < 5
}

/// `start` plus `days` working days, in Unix seconds: the same time of
/// day on the `days`-th working day after `start`'s day.
pub fn add(start: i64, days: i64) -> i64 {
    let mut t = start;
    let mut left = days.max(0);
    while left > 0 {
        t += DAY;
        if is_working(day_of(t)) {
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
    (from + 1..=to).filter(|d| is_working(*d)).count() as i64
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
            assert!(
                (day_number(d) + 3).rem_euclid(7) >= 5,
                "{d} is not a weekend day"
            );
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
}
