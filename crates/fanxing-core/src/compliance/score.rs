//! Measuring the rules on a labelled corpus: precision, recall and F1 per
//! category, false alarms on lawful texts, and recall on disguised terms.
//!
//! The corpus (`tests/compliance/corpus.jsonl`) is JSON Lines; each case
//! names its split (`tune`, used while writing rules, or `heldout`, never
//! looked at while tuning), kind, industry, class (`violation`, `disguised`,
//! `lawful`), text and the expected findings (the exact substring and its
//! category). A finding counts as right when it overlaps an expected span
//! of the same category; each expectation is matched once.

use std::fmt::Write;

use serde::Deserialize;

use super::{Category, Kind, Matcher};
use crate::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Tune,
    Heldout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Violation,
    Disguised,
    Lawful,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
    pub term: String,
    pub category: Category,
    #[serde(default)]
    pub disguised: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub id: String,
    pub split: Split,
    pub kind: Kind,
    pub industry: String,
    pub class: Class,
    pub text: String,
    pub expect: Vec<Expected>,
}

/// Reads a corpus; an unreadable line is an error naming its line number.
pub fn parse_corpus(text: &str) -> Result<Vec<Case>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Tally {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

/// One case's misses, for tuning on the tune split.
#[derive(Debug, Clone)]
pub struct Miss {
    pub id: String,
    pub text: String,
    /// Expected and not found: (term, category).
    pub missed: Vec<(String, Category)>,
    /// Found and not expected: (term, category, rule).
    pub false_alarms: Vec<(String, Category, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct Scores {
    pub cases: u32,
    pub per_category: Vec<(Category, Tally)>,
    pub overall: Tally,
    pub lawful_texts: u32,
    pub lawful_flagged: u32,
    pub disguised_expected: u32,
    pub disguised_caught: u32,
    pub misses: Vec<Miss>,
}

impl Scores {
    /// False alarms per 100 lawful texts.
    pub fn false_alarm_rate(&self) -> f64 {
        if self.lawful_texts == 0 {
            0.0
        } else {
            100.0 * f64::from(self.lawful_flagged) / f64::from(self.lawful_texts)
        }
    }

    pub fn disguised_recall(&self) -> f64 {
        ratio(self.disguised_caught, self.disguised_expected)
    }

    /// A plain table, as `fanxing compliance score` prints it.
    pub fn table(&self, title: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{title}: {} cases", self.cases);
        let _ = writeln!(
            s,
            "  {:<12} {:>5} {:>5} {:>5} {:>9} {:>7} {:>6}",
            "category", "tp", "fp", "fn", "precision", "recall", "F1"
        );
        for (c, t) in &self.per_category {
            let _ = writeln!(
                s,
                "  {:<12} {:>5} {:>5} {:>5} {:>9.3} {:>7.3} {:>6.3}",
                c.as_str(),
                t.tp,
                t.fp,
                t.fn_,
                t.precision(),
                t.recall(),
                t.f1()
            );
        }
        let o = self.overall;
        let _ = writeln!(
            s,
            "  {:<12} {:>5} {:>5} {:>5} {:>9.3} {:>7.3} {:>6.3}",
            "overall",
            o.tp,
            o.fp,
            o.fn_,
            o.precision(),
            o.recall(),
            o.f1()
        );
        let _ = writeln!(
            s,
            "  false alarms on lawful texts: {} of {} ({:.1} per 100)",
            self.lawful_flagged,
            self.lawful_texts,
            self.false_alarm_rate()
        );
        let _ = writeln!(
            s,
            "  disguised terms caught: {} of {} ({:.1} %)",
            self.disguised_caught,
            self.disguised_expected,
            100.0 * self.disguised_recall()
        );
        s
    }
}

/// Character offset of each occurrence of `needle` in `hay`.
fn char_spans(hay: &str, needle: &str) -> Vec<(usize, usize)> {
    if needle.is_empty() {
        return Vec::new();
    }
    let n = needle.chars().count();
    hay.match_indices(needle)
        .map(|(b, _)| {
            let s = hay[..b].chars().count();
            (s, s + n)
        })
        .collect()
}

/// Scores `cases` (those of `split`, or all).
pub fn score(m: &Matcher, cases: &[Case], split: Option<Split>) -> Scores {
    score_with(cases, split, |text, kind| {
        m.check(text, kind, Lang::Zh)
            .findings
            .into_iter()
            .map(|f| (f.start, f.end, f.category, f.term, f.rule))
            .collect()
    })
}

/// Scores a plain word list for comparison: the same rules' terms found
/// as written (no normalisation, no pinyin or sounds, no context), the
/// longest first. Rules that need what follows or a missing statement are
/// left out (a word list cannot say them).
pub fn score_plain(m: &Matcher, cases: &[Case], split: Option<Split>) -> Scores {
    let mut terms: Vec<(&str, Category, &str)> = Vec::new();
    for r in m.rules() {
        if r.requires_after.is_empty()
            && r.only_with_count_within.is_none()
            && r.unless_text_has.is_empty()
        {
            terms.extend(
                r.terms
                    .iter()
                    .map(|t| (t.as_str(), r.category, r.id.as_str())),
            );
        }
    }
    let ac = aho_corasick::AhoCorasickBuilder::new()
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        .build(terms.iter().map(|t| t.0))
        .expect("literal terms build an automaton");
    score_with(cases, split, |text, _| {
        ac.find_iter(text)
            .map(|hit| {
                let (t, c, r) = terms[hit.pattern().as_usize()];
                let start = text[..hit.start()].chars().count();
                (
                    start,
                    start + t.chars().count(),
                    c,
                    t.to_string(),
                    r.to_string(),
                )
            })
            .collect()
    })
}

/// A finding as the scorer sees it: character span, category, term, rule.
type Scored = (usize, usize, Category, String, String);

fn score_with(
    cases: &[Case],
    split: Option<Split>,
    find: impl Fn(&str, Kind) -> Vec<Scored>,
) -> Scores {
    let mut per: Vec<(Category, Tally)> = Category::ALL
        .iter()
        .map(|c| (*c, Tally::default()))
        .collect();
    let mut sc = Scores::default();
    let idx = |c: Category| Category::ALL.iter().position(|x| *x == c).unwrap_or(0);
    for case in cases.iter().filter(|c| split.is_none_or(|s| c.split == s)) {
        sc.cases += 1;
        let findings = find(&case.text, case.kind);
        let mut used = vec![false; findings.len()];
        let mut miss = Miss {
            id: case.id.clone(),
            text: case.text.clone(),
            missed: Vec::new(),
            false_alarms: Vec::new(),
        };
        let mut taken_spans: Vec<(usize, usize)> = Vec::new();
        for e in &case.expect {
            // The first occurrence of the term not already matched.
            let span = char_spans(&case.text, &e.term)
                .into_iter()
                .find(|s| !taken_spans.contains(s));
            let Some((a, b)) = span else {
                miss.missed.push((e.term.clone(), e.category));
                per[idx(e.category)].1.fn_ += 1;
                continue;
            };
            taken_spans.push((a, b));
            let hit = findings
                .iter()
                .enumerate()
                .position(|(i, f)| !used[i] && f.2 == e.category && f.0 < b && a < f.1);
            if e.disguised {
                sc.disguised_expected += 1;
            }
            match hit {
                Some(i) => {
                    used[i] = true;
                    per[idx(e.category)].1.tp += 1;
                    if e.disguised {
                        sc.disguised_caught += 1;
                    }
                }
                None => {
                    per[idx(e.category)].1.fn_ += 1;
                    miss.missed.push((e.term.clone(), e.category));
                }
            }
        }
        for (i, f) in findings.iter().enumerate() {
            if !used[i] {
                per[idx(f.2)].1.fp += 1;
                miss.false_alarms.push((f.3.clone(), f.2, f.4.clone()));
            }
        }
        if case.class == Class::Lawful {
            sc.lawful_texts += 1;
            if !findings.is_empty() {
                sc.lawful_flagged += 1;
            }
        }
        if !miss.missed.is_empty() || !miss.false_alarms.is_empty() {
            sc.misses.push(miss);
        }
    }
    for (_, t) in &per {
        sc.overall.tp += t.tp;
        sc.overall.fp += t.fp;
        sc.overall.fn_ += t.fn_;
    }
    sc.per_category = per;
    sc
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORPUS: &str = include_str!("../../../../tests/compliance/corpus.jsonl");

    #[test]
    fn the_corpus_is_well_formed_and_large_enough() {
        let cases = parse_corpus(CORPUS).unwrap();
        assert!(cases.len() >= 400, "{} cases", cases.len());
        let held = cases.iter().filter(|c| c.split == Split::Heldout).count();
        assert!(held * 5 >= cases.len() - 5, "{held} held out");
        for c in &cases {
            for e in &c.expect {
                assert!(c.text.contains(&e.term), "{}: {:?}", c.id, e.term);
            }
            assert_eq!(c.class == Class::Lawful, c.expect.is_empty(), "{}", c.id);
        }
    }

    #[test]
    fn scores_on_the_corpus_stay_at_what_the_rules_reach() {
        let cases = parse_corpus(CORPUS).unwrap();
        let m = Matcher::builtin();
        let tune = score(m, &cases, Some(Split::Tune));
        let held = score(m, &cases, Some(Split::Heldout));
        println!("{}", tune.table("tune"));
        println!("{}", held.table("held out"));
        let plain = score_plain(m, &cases, None);
        println!("{}", plain.table("a plain word list, all cases"));
        // The checker must stay far ahead of a word list.
        assert!(plain.overall.f1() < held.overall.f1() - 0.2);
        assert!(plain.false_alarm_rate() > 50.0);
        if std::env::var_os("FANXING_COMPLIANCE_MISSES").is_some() {
            for miss in &tune.misses {
                println!(
                    "{} {}\n   missed {:?}\n   false {:?}",
                    miss.id, miss.text, miss.missed, miss.false_alarms
                );
            }
        }
        // Floors at what the rules reach today on both splits, so that a
        // rule change that loses ground fails here.
        assert!(tune.overall.f1() >= 0.97, "tune F1 {}", tune.overall.f1());
        assert!(
            tune.false_alarm_rate() <= 2.5,
            "tune false alarms {}",
            tune.false_alarm_rate()
        );
        assert!(
            held.overall.f1() >= 0.90,
            "held-out F1 {}",
            held.overall.f1()
        );
        assert!(
            held.disguised_recall() >= 0.90,
            "held-out disguised {}",
            held.disguised_recall()
        );
        assert!(
            held.false_alarm_rate() <= 12.5,
            "held-out false alarms {}",
            held.false_alarm_rate()
        );
    }

    #[test]
    fn a_finding_of_the_wrong_category_is_both_a_false_alarm_and_a_miss() {
        let line = r#"{"id":"x","split":"tune","kind":"script","industry":"food","class":"violation","text":"这是全网最好的","expect":[{"term":"最好","category":"medical","disguised":false}]}"#;
        let cases = parse_corpus(line).unwrap();
        let s = score(Matcher::builtin(), &cases, None);
        assert_eq!(
            s.overall,
            Tally {
                tp: 0,
                fp: 1,
                fn_: 1
            }
        );
    }
}
