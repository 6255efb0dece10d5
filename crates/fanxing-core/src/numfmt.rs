//! Numbers written for people to read: one place for thousands separators,
//! 万/亿 in Chinese and K/M/B in English, yuan without cents on large sums,
//! shares and percentiles.
//!
//! Pages, charts and exports all format through here, so "40,040 人次" and
//! "¥2.87亿" look the same everywhere. Exact figures stay exact where a
//! reader compares rows (tables use [`grouped`]); headline figures use the
//! compact forms ([`count`], [`yuan`]), which keep three significant digits.

use std::borrow::Borrow;

use crate::i18n::Lang;

/// `40040` → `"40,040"`; negative numbers keep their sign. Takes `i64` or
/// `&i64` (templates pass references).
pub fn grouped(n: impl Borrow<i64>) -> String {
    let n = *n.borrow();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Below this a count is written in full (with separators).
const COMPACT_FROM: i64 = 100_000;

/// A count for a headline: in full below 100,000 (`"40,040"`), else compact
/// with three significant digits: `"16.7万"`, `"1.67亿"` in Chinese,
/// `"167K"`, `"1.67M"`, `"2.1B"` in English.
pub fn count(n: impl Borrow<i64>, lang: Lang) -> String {
    let n = *n.borrow();
    if n.abs() < COMPACT_FROM {
        return grouped(n);
    }
    compact(n as f64, lang)
}

/// `x` (at least 100,000 in size) in 万/亿 or K/M/B.
fn compact(x: f64, lang: Lang) -> String {
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    let (value, unit) = match lang {
        Lang::Zh if a >= 1e8 => (a / 1e8, "亿"),
        Lang::Zh => (a / 1e4, "万"),
        Lang::En if a >= 1e9 => (a / 1e9, "B"),
        Lang::En if a >= 1e6 => (a / 1e6, "M"),
        Lang::En => (a / 1e3, "K"),
    };
    format!("{sign}{}{unit}", three_significant(value))
}

/// Three significant digits, trailing zeros dropped: 1.674 → "1.67",
/// 16.74 → "16.7", 167.4 → "167", 12.0 → "12"; thousands separated above
/// that (12,345 万).
fn three_significant(v: f64) -> String {
    let decimals = if v < 10.0 {
        2
    } else if v < 100.0 {
        1
    } else {
        0
    };
    let s = format!("{v:.decimals$}");
    // Rounding may reach the next decade (9.996 → "10.00"): still fine.
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    match s.split_once('.') {
        Some((int, frac)) => format!("{}.{frac}", grouped(int.parse().unwrap_or(0))),
        None => grouped(s.parse().unwrap_or(0)),
    }
}

/// Money given in fen, for reading: cents only below ¥10,000 (`"¥9,876.50"`),
/// whole yuan up to ¥100,000 (`"¥28,719"`), compact above (`"¥2.87亿"`,
/// `"¥287M"`).
pub fn yuan(fen: i64, lang: Lang) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let whole = abs / 100;
    if whole < 10_000 {
        format!("{sign}¥{}.{:02}", grouped(whole as i64), abs % 100)
    } else if whole < COMPACT_FROM as u64 {
        // Rounded to the nearest yuan.
        format!("{sign}¥{}", grouped(((abs + 50) / 100) as i64))
    } else {
        format!("{sign}¥{}", compact(abs as f64 / 100.0, lang))
    }
}

/// Whole yuan with separators and no cents (`"¥287,196,298"`), for tables of
/// provincial totals where rows are compared digit by digit.
pub fn yuan_whole(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!(
        "{sign}¥{}",
        grouped(((fen.unsigned_abs() + 50) / 100) as i64)
    )
}

/// A share (0.612) as a percentage with one decimal: `"61.2%"`.
pub fn percent(share: f64) -> String {
    if !share.is_finite() {
        return "—".into();
    }
    format!("{:.1}%", share * 100.0)
}

/// A percentile rank (0–100) in words: `"第 71 百分位"`, `"71st percentile"`.
pub fn percentile(p: f64, lang: Lang) -> String {
    if !p.is_finite() {
        return "—".into();
    }
    let n = p.round().clamp(0.0, 100.0) as i64;
    match lang {
        Lang::Zh => format!("第 {n} 百分位"),
        Lang::En => format!("{n}{} percentile", ordinal_suffix(n)),
    }
}

/// What a percentile means for a reader: `"超过 71% 的同类"`, `"ahead of 71% of peers"`.
pub fn percentile_meaning(p: f64, lang: Lang) -> String {
    if !p.is_finite() {
        return "—".into();
    }
    let n = p.round().clamp(0.0, 100.0) as i64;
    match lang {
        Lang::Zh => format!("超过 {n}% 的同类"),
        Lang::En => format!("ahead of {n}% of peers"),
    }
}

fn ordinal_suffix(n: i64) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// A decimal figure (a ratio such as GMV per viewer) with separators and
/// `decimals` places: `1234.567, 2` → `"1,234.57"`.
pub fn decimal(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let s = format!("{:.decimals$}", x.abs());
    let sign = if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match s.split_once('.') {
        Some((int, frac)) => format!("{sign}{}.{frac}", grouped(int.parse().unwrap_or(0))),
        None => format!("{sign}{}", grouped(s.parse().unwrap_or(0))),
    }
}

/// An axis tick: whole numbers compact from 10,000 (`"2万"`, `"20K"`), so
/// ticks stay short.
pub fn tick(n: i64, lang: Lang) -> String {
    if n.abs() < 10_000 {
        grouped(n)
    } else {
        compact(n as f64, lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(40040), "40,040");
        assert_eq!(grouped(-1234567), "-1,234,567");
        assert_eq!(grouped(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn counts_compact_from_a_hundred_thousand() {
        assert_eq!(count(40040, Lang::Zh), "40,040");
        assert_eq!(count(99_999, Lang::Zh), "99,999");
        assert_eq!(count(167_314, Lang::Zh), "16.7万");
        assert_eq!(count(1_200_000, Lang::Zh), "120万");
        assert_eq!(count(167_314_431, Lang::Zh), "1.67亿");
        assert_eq!(count(55_100_000_000, Lang::Zh), "551亿");
        assert_eq!(count(1_234_500_000_000, Lang::Zh), "12,345亿");
        assert_eq!(count(167_314, Lang::En), "167K");
        assert_eq!(count(167_314_431, Lang::En), "167M");
        assert_eq!(count(2_100_000_000, Lang::En), "2.1B");
        assert_eq!(count(-250_000, Lang::Zh), "-25万");
    }

    #[test]
    fn yuan_drops_cents_on_large_sums() {
        assert_eq!(yuan(0, Lang::Zh), "¥0.00");
        assert_eq!(yuan(987_650, Lang::Zh), "¥9,876.50");
        assert_eq!(yuan(2_871_962, Lang::Zh), "¥28,720");
        assert_eq!(yuan(28_719_629_753, Lang::Zh), "¥2.87亿");
        assert_eq!(yuan(28_719_629_753, Lang::En), "¥287M");
        assert_eq!(yuan(-987_650, Lang::Zh), "-¥9,876.50");
        assert_eq!(yuan_whole(28_719_629_753), "¥287,196,298");
    }

    #[test]
    fn shares_and_percentiles() {
        assert_eq!(percent(0.6123), "61.2%");
        assert_eq!(percent(f64::NAN), "—");
        assert_eq!(percentile(71.3, Lang::Zh), "第 71 百分位");
        assert_eq!(percentile(71.0, Lang::En), "71st percentile");
        assert_eq!(percentile(12.0, Lang::En), "12th percentile");
        assert_eq!(percentile(22.0, Lang::En), "22nd percentile");
        assert_eq!(percentile(3.0, Lang::En), "3rd percentile");
        assert_eq!(percentile_meaning(71.0, Lang::Zh), "超过 71% 的同类");
    }

    #[test]
    fn decimals_and_ticks() {
        assert_eq!(decimal(1234.567, 2), "1,234.57");
        assert_eq!(decimal(-0.001, 2), "0.00");
        assert_eq!(decimal(-12.5, 1), "-12.5");
        assert_eq!(tick(5000, Lang::Zh), "5,000");
        assert_eq!(tick(20_000, Lang::Zh), "2万");
        assert_eq!(tick(20_000, Lang::En), "20K");
    }
}
