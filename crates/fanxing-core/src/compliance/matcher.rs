//! Finding every rule's terms in a text at once, disguised or not, and
//! keeping quiet where the context makes them lawful.
//!
//! Two automata run over the normalised text ([`Normalised`]):
//! - the literal one, over its characters: every term, its listed
//!   disguises, and its pinyin forms (full pinyin, pinyin mixed with
//!   characters such as `zui好`, and the initials of longer terms);
//! - the sound one, over the text as a sequence of syllables (each
//!   character's toneless pinyin), which catches same-sounding characters
//!   (醉好 for 最好, 稳转 for 稳赚) of terms of two or more characters.
//!
//! A literal hit wins over a sound hit at the same place; among literal
//! hits the longest wins (100%有效 over 100%). Each hit then passes its
//! rule's context checks — the word that follows or precedes it, a phrase
//! around it, a number after it, a negation before it — and, if none makes
//! it lawful, becomes a [`Finding`] with offsets into the original text.

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use pinyin::ToPinyin;

use super::normalise::{is_boundary, is_cjk, Normalised};
use super::rules::{Rule, RuleFile, BUILTIN};
use super::{Finding, Kind, Report, Via};
use crate::i18n::Lang;

/// Each CJK character's syllable (toneless pinyin, its commonest reading)
/// as a small number; 0 for a character without one.
struct Syllables {
    of_char: Box<[u16]>,
}

static SYLLABLES: LazyLock<Syllables> = LazyLock::new(|| {
    let mut ids: HashMap<&'static str, u16> = HashMap::new();
    let of_char = (0x3400u32..=0x9FFF)
        .map(|u| {
            let Some(p) = char::from_u32(u).and_then(|c| c.to_pinyin()) else {
                return 0;
            };
            let next = ids.len() as u16 + 1;
            *ids.entry(p.plain()).or_insert(next)
        })
        .collect();
    Syllables { of_char }
});

fn syllable(c: char) -> u16 {
    if is_cjk(c) {
        SYLLABLES.of_char[(c as u32 - 0x3400) as usize]
    } else {
        0
    }
}

/// What a literal pattern stands for.
#[derive(Debug, Clone, Copy)]
struct Pattern {
    rule: u16,
    term: u16,
    via: Via,
    /// Only between non-letters (pinyin initials such as `gjj`, and full
    /// pinyin, which could otherwise hit inside an English word).
    bounded: bool,
}

/// The compiled rules.
pub struct Matcher {
    version: String,
    rules: Vec<Rule>,
    /// Each rule's `unless_*` lists, normalised.
    context: Vec<Context>,
    literal: AhoCorasick,
    patterns: Vec<Pattern>,
    sound: Option<AhoCorasick>,
    /// Each sound pattern's rule, term and the term's normalised characters.
    sound_patterns: Vec<(u16, u16, Box<[char]>)>,
    /// Kinds of product, by their normalised words.
    products: Vec<Vec<String>>,
    /// Words of a text that talks about banned words (normalised).
    quoting: Vec<String>,
    /// For each rule: in a text about product `.0`, report as rule `.1`.
    instead: Vec<Vec<(usize, u16)>>,
}

#[derive(Debug, Default)]
struct Context {
    followed_by: Vec<String>,
    preceded_by: Vec<String>,
    within: Vec<String>,
    text_has: Vec<String>,
    clause_has: Vec<String>,
    requires_after: Vec<String>,
}

/// Negations that make the next term lawful when the rule allows it.
#[rustfmt::skip]
const NEGATIONS: &[&str] = &[
    "不是", "并非", "并不是", "不算", "算不上", "称不上", "谈不上", "没有", "不敢说", "不能说",
    "不敢称", "不能称", "不能", "不可", "无法", "不会", "从不", "绝不", "不存在", "不说",
    "不许", "不准", "禁止", "严禁", "切勿", "拒绝", "不要", "不承诺", "不保证", "不敢保证",
    "不能保证", "没法保证", "无法保证", "谈不上", "不", "非", "没", "别", "勿",
];

static BUILTIN_MATCHER: LazyLock<Matcher> = LazyLock::new(|| {
    let file = RuleFile::parse(BUILTIN).expect("the built-in rules are checked by a unit test");
    Matcher::new(file).expect("the built-in rules compile (unit test)")
});

impl Matcher {
    /// The rules shipped with Fanxing, compiled once.
    pub fn builtin() -> &'static Matcher {
        &BUILTIN_MATCHER
    }

    pub fn new(file: RuleFile) -> Result<Matcher, String> {
        let mut strings: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut sound_strings: Vec<Vec<u8>> = Vec::new();
        let mut sound_patterns = Vec::new();
        let mut terms = Vec::new();
        let mut context = Vec::new();
        let norm_all = |v: &[String]| v.iter().map(|s| Normalised::term(s)).collect::<Vec<_>>();

        let mut add =
            |s: String, p: Pattern, strings: &mut Vec<String>, pats: &mut Vec<Pattern>| {
                if s.is_empty() || seen.contains_key(&s) {
                    return;
                }
                seen.insert(s.clone(), strings.len());
                strings.push(s);
                pats.push(p);
            };

        // Literal terms first, so that a term always wins over another
        // rule's pinyin or disguise spelled the same.
        for (ri, rule) in file.rules.iter().enumerate() {
            let rterms = norm_all(&rule.terms);
            for (ti, t) in rterms.iter().enumerate() {
                let p = Pattern {
                    rule: ri as u16,
                    term: ti as u16,
                    via: Via::Literal,
                    bounded: false,
                };
                add(t.clone(), p, &mut strings, &mut patterns);
            }
            terms.push(rterms);
            context.push(Context {
                followed_by: norm_all(&rule.unless_followed_by),
                preceded_by: norm_all(&rule.unless_preceded_by),
                within: norm_all(&rule.unless_within),
                text_has: norm_all(&rule.unless_text_has),
                clause_has: norm_all(&rule.unless_clause_has),
                requires_after: norm_all(&rule.requires_after),
            });
        }
        for (ri, rule) in file.rules.iter().enumerate() {
            for v in &rule.variants {
                let (spelling, of) = v.split_once('=').unwrap_or((v, &rule.terms[0]));
                let ti = rule.terms.iter().position(|t| t == of).unwrap_or(0);
                let p = Pattern {
                    rule: ri as u16,
                    term: ti as u16,
                    via: Via::Variant,
                    bounded: false,
                };
                add(Normalised::term(spelling), p, &mut strings, &mut patterns);
            }
            if !rule.sounds {
                continue;
            }
            for (ti, t) in terms[ri].iter().enumerate() {
                let chars: Vec<char> = t.chars().collect();
                if chars.len() < 2 || !chars.iter().all(|c| is_cjk(*c)) {
                    continue;
                }
                let Some(py): Option<Vec<&str>> = chars
                    .iter()
                    .map(|c| c.to_pinyin().map(|p| p.plain()))
                    .collect()
                else {
                    continue;
                };
                let pat = |bounded| Pattern {
                    rule: ri as u16,
                    term: ti as u16,
                    via: Via::Pinyin,
                    bounded,
                };
                // Pinyin mixed with characters, every mix for short terms
                // (zui好, 最hao, zuihao); full pinyin only for long ones.
                let n = chars.len();
                let masks: Vec<u32> = if n <= 4 {
                    (1..(1u32 << n)).collect()
                } else {
                    (0..n).map(|i| 1u32 << i).chain([(1u32 << n) - 1]).collect()
                };
                for mask in masks {
                    let s: String = (0..n)
                        .map(|i| {
                            if mask & (1 << i) != 0 {
                                py[i].to_string()
                            } else {
                                chars[i].to_string()
                            }
                        })
                        .collect();
                    let all_pinyin = mask == (1u32 << n) - 1;
                    add(s, pat(all_pinyin), &mut strings, &mut patterns);
                }
                if n >= 3 {
                    let initials: String = py.iter().filter_map(|p| p.chars().next()).collect();
                    add(initials, pat(true), &mut strings, &mut patterns);
                }
                let ids: Option<Vec<u16>> = chars
                    .iter()
                    .map(|c| Some(syllable(*c)).filter(|s| *s != 0))
                    .collect();
                if let Some(ids) = ids {
                    sound_strings.push(ids.iter().flat_map(|s| s.to_le_bytes()).collect());
                    sound_patterns.push((ri as u16, ti as u16, chars.clone().into_boxed_slice()));
                }
            }
        }
        let literal = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&strings)
            .map_err(|e| e.to_string())?;
        let sound = if sound_strings.is_empty() {
            None
        } else {
            Some(AhoCorasick::new(&sound_strings).map_err(|e| e.to_string())?)
        };
        let products = file.contexts.iter().map(|c| norm_all(&c.words)).collect();
        let instead = file
            .rules
            .iter()
            .map(|r| {
                r.instead_in
                    .iter()
                    .filter_map(|(cx, to)| {
                        let c = file.contexts.iter().position(|c| &c.id == cx)?;
                        let t = file.rules.iter().position(|x| &x.id == to)?;
                        Some((c, t as u16))
                    })
                    .collect()
            })
            .collect();
        Ok(Matcher {
            quoting: norm_all(&file.quoting),
            products,
            instead,
            version: file.version,
            rules: file.rules,
            context,
            literal,
            patterns,
            sound,
            sound_patterns,
        })
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Every term the rules look for, as written (for the benchmark's
    /// baseline and the docs).
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .flat_map(|r| r.terms.iter().map(String::as_str))
    }

    /// Checks one text. Offsets in the findings are Unicode characters of
    /// `text`. Never fails: any text has an answer (the callers bound its
    /// size).
    pub fn check(&self, text: &str, kind: Kind, lang: Lang) -> Report {
        let norm = Normalised::new(text);
        let hits = self.hits(&norm, kind);
        let findings = self.findings(text, &norm, hits, lang);
        Report {
            findings,
            rules_version: self.version.clone(),
        }
    }

    /// Counts the findings of one text by category without building them
    /// (the benchmark's and the batch tally's fast path).
    pub fn count(&self, text: &str, kind: Kind) -> usize {
        let norm = Normalised::new(text);
        self.hits(&norm, kind).len()
    }

    /// The hits that survive their context, as normalised byte spans.
    fn hits(&self, norm: &Normalised, kind: Kind) -> Vec<Hit> {
        let s = norm.as_str();
        // A text about the banned words themselves (a lesson, a checklist)
        // quotes them rather than uses them.
        if self.quoting.iter().any(|w| s.contains(w.as_str())) {
            return Vec::new();
        }
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let mut hits = Vec::new();
        // The end of the last hit that was extended over what follows it.
        let mut covered = 0;
        for m in self.literal.find_iter(s) {
            if m.start() < covered {
                continue;
            }
            let p = self.patterns[m.pattern().as_usize()];
            let (start, mut end) = (m.start(), m.end());
            let cx = &self.context[p.rule as usize];
            if !cx.requires_after.is_empty() {
                let rule = &self.rules[p.rule as usize];
                let within = rule.requires_after_within.unwrap_or(4);
                match find_after(s, end, &cx.requires_after, within) {
                    Some(e) => end = e,
                    None => continue,
                }
            }
            taken.push((start, end));
            if p.bounded && !ascii_bounded(s, start, m.end()) {
                continue;
            }
            let rule = &self.rules[p.rule as usize];
            if !rule.applies_to(kind) || self.quiet(p.rule as usize, s, start, m.end()) {
                continue;
            }
            covered = end;
            hits.push(Hit {
                rule: p.rule,
                term: p.term,
                start,
                end,
                via: p.via,
                report_as: p.rule,
            });
        }
        if let Some(sound) = &self.sound {
            self.sound_hits(sound, s, kind, &mut taken, &mut hits);
        }
        hits.sort_by_key(|h| h.start);
        // A hit in a text about a product its rule hands over to another
        // rule is reported under that rule.
        let mut present: Vec<Option<bool>> = vec![None; self.products.len()];
        for h in &mut hits {
            for &(c, to) in &self.instead[h.rule as usize] {
                let has = *present[c]
                    .get_or_insert_with(|| self.products[c].iter().any(|w| s.contains(w.as_str())));
                if has {
                    h.report_as = to;
                    break;
                }
            }
        }
        // A rule that speaks only alone stays quiet beside any other
        // finding.
        if hits.iter().any(|h| !self.rules[h.report_as as usize].alone) {
            hits.retain(|h| !self.rules[h.report_as as usize].alone);
        }
        hits
    }

    fn sound_hits(
        &self,
        sound: &AhoCorasick,
        s: &str,
        kind: Kind,
        taken: &mut Vec<(usize, usize)>,
        hits: &mut Vec<Hit>,
    ) {
        // The text as syllables: two bytes a character, with each
        // character's byte offset in the normalised text.
        let mut bytes = Vec::with_capacity(s.len());
        let mut at = Vec::with_capacity(s.len() / 2 + 1);
        let mut any = false;
        for (i, c) in s.char_indices() {
            let id = syllable(c);
            any |= id != 0;
            bytes.extend_from_slice(&id.to_le_bytes());
            at.push(i);
        }
        if !any {
            return;
        }
        at.push(s.len());
        // Which bytes the literal hits (quiet or not) cover.
        let mut covered = vec![false; s.len()];
        for &(x, y) in taken.iter() {
            covered[x..y].iter_mut().for_each(|c| *c = true);
        }
        let mut found: Vec<Hit> = Vec::new();
        for m in sound.find_overlapping_iter(&bytes) {
            if m.start() % 2 != 0 {
                continue;
            }
            let (a, b) = (at[m.start() / 2], at[m.end() / 2]);
            if covered[a..b].iter().any(|c| *c) {
                continue;
            }
            let (rule, term, ref canonical) = self.sound_patterns[m.pattern().as_usize()];
            // Same sounds with no character in common are mostly other
            // words (卫衣 is not 唯一); a disguise keeps part of the term.
            if !s[a..b].chars().zip(canonical.iter()).any(|(x, y)| x == *y) {
                continue;
            }
            found.push(Hit {
                rule,
                term,
                start: a,
                end: b,
                via: Via::Sound,
                report_as: rule,
            });
        }
        // Longest first at each place, then no overlaps.
        found.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
        for h in found {
            if covered[h.start..h.end].iter().any(|c| *c) {
                continue;
            }
            covered[h.start..h.end].iter_mut().for_each(|c| *c = true);
            taken.push((h.start, h.end));
            let rule = &self.rules[h.rule as usize];
            if rule.applies_to(kind) && !self.quiet(h.rule as usize, s, h.start, h.end) {
                hits.push(h);
            }
        }
    }

    /// Whether the context around `s[a..b]` makes rule `ri`'s term lawful.
    fn quiet(&self, ri: usize, s: &str, a: usize, b: usize) -> bool {
        let rule = &self.rules[ri];
        let cx = &self.context[ri];
        let before = &s[..a];
        let after = &s[b..];
        if cx.followed_by.iter().any(|w| after.starts_with(w.as_str())) {
            return true;
        }
        if cx.preceded_by.iter().any(|w| before.ends_with(w.as_str())) {
            return true;
        }
        if cx.within.iter().any(|p| within(s, a, b, p)) {
            return true;
        }
        if !cx.text_has.is_empty() && cx.text_has.iter().any(|w| s.contains(w.as_str())) {
            return true;
        }
        if !cx.clause_has.is_empty() {
            let lo = before
                .char_indices()
                .rev()
                .find(|(_, c)| is_boundary(*c))
                .map_or(0, |(i, c)| i + c.len_utf8());
            let hi = after.find(is_boundary).unwrap_or(after.len());
            let (head, tail) = (&before[lo..], &after[..hi]);
            if cx
                .clause_has
                .iter()
                .any(|w| head.contains(w.as_str()) || tail.contains(w.as_str()))
            {
                return true;
            }
        }
        if rule.negatable && negated(before) {
            return true;
        }
        if let Some(n) = rule.unless_number_within {
            if number_within(after, n) {
                return true;
            }
        }
        if let Some(n) = rule.only_with_count_within {
            if !count_within(after, n) {
                return true;
            }
        }
        false
    }

    fn findings(&self, text: &str, norm: &Normalised, hits: Vec<Hit>, lang: Lang) -> Vec<Finding> {
        if hits.is_empty() {
            return Vec::new();
        }
        let starts: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect();
        let mut out: Vec<Finding> = Vec::with_capacity(hits.len());
        for h in hits {
            let canonical = self.rules[h.rule as usize].terms[h.term as usize].clone();
            let rule = &self.rules[h.report_as as usize];
            let (start, end) = norm.original_span(h.start, h.end);
            let written = &text[starts[start]..starts[end]];
            let via = match h.via {
                Via::Literal if written != canonical => Via::Normalised,
                Via::Literal if !rule.unless_text_has.is_empty() => Via::Missing,
                v => v,
            };
            let explanation = match lang {
                Lang::Zh => rule.explanation.clone(),
                Lang::En => rule.explanation_en.clone(),
            };
            out.push(Finding {
                start,
                end,
                term: written.to_string(),
                canonical,
                category: rule.category,
                rule: rule.id.clone(),
                basis: rule.basis.clone(),
                explanation,
                suggestion: rule.suggestions[0].clone(),
                suggestions: rule.suggestions.clone(),
                severity: rule.severity,
                via,
            });
        }
        out
    }
}

#[derive(Debug, Clone, Copy)]
struct Hit {
    rule: u16,
    term: u16,
    start: usize,
    end: usize,
    via: Via,
    /// The rule the hit is reported under (its own, or the one its rule
    /// hands over to for this kind of product).
    report_as: u16,
}

/// Whether `s[a..b]` stands between characters that are not ASCII letters
/// or digits.
fn ascii_bounded(s: &str, a: usize, b: usize) -> bool {
    let before = s[..a].chars().next_back();
    let after = s[b..].chars().next();
    !before.is_some_and(|c| c.is_ascii_alphanumeric())
        && !after.is_some_and(|c| c.is_ascii_alphanumeric())
}

/// Whether the hit `s[a..b]` lies inside an occurrence of `phrase`.
fn within(s: &str, a: usize, b: usize, phrase: &str) -> bool {
    let hit = &s[a..b];
    let mut from = 0;
    while let Some(i) = phrase[from..].find(hit) {
        let off = from + i;
        if let (Some(lo), true) = (a.checked_sub(off), true) {
            if s.get(lo..lo + phrase.len()) == Some(phrase) {
                return true;
            }
        }
        from = off + hit.len().max(1);
        if from >= phrase.len() {
            break;
        }
        // Step to the next character boundary of `phrase`.
        while !phrase.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// Where the first of `words` to start within `n` characters after
/// `from`, in the same clause, ends.
fn find_after(s: &str, from: usize, words: &[String], n: usize) -> Option<usize> {
    for (k, (i, c)) in s[from..].char_indices().enumerate() {
        if k > n || is_boundary(c) {
            return None;
        }
        let rest = &s[from + i..];
        if let Some(w) = words.iter().find(|w| rest.starts_with(w.as_str())) {
            return Some(from + i + w.len());
        }
    }
    None
}

fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || "一二两三四五六七八九十百千万半".contains(c)
}

/// Whether a number (digits or Chinese numerals) starts within `n`
/// characters of `after`, in the same clause; 一 right after 的, 这, 那
/// or 每 is an article (最好的一块, 这一批), not a number.
fn number_within(after: &str, n: usize) -> bool {
    let mut prev = ' ';
    for c in after.chars().take(n + 1) {
        if is_boundary(c) {
            return false;
        }
        if is_numeral(c) && !(c == '一' && "的这那每哪同".contains(prev)) {
            return true;
        }
        prev = c;
    }
    false
}

/// Whether a count of ten thousands or more (80万, 一千万, 3亿) follows
/// within `n` characters, in the same clause.
fn count_within(after: &str, n: usize) -> bool {
    let mut seen_number = false;
    for c in after.chars().take(n + 4) {
        if is_boundary(c) {
            return false;
        }
        if matches!(c, '万' | '亿') && seen_number {
            return true;
        }
        seen_number |= is_numeral(c);
    }
    false
}

/// Whether the clause before a term ends in a negation: right before it
/// for one character (不, 非, 没), or up to six characters before it for
/// a longer one (不是沭阳最大的, 不敢说自己是江苏第一).
fn negated(before: &str) -> bool {
    // Where the clause's last seven characters start (the end first), no
    // further back than the clause's own start: the places a negation may
    // end.
    let mut ends = [0usize; 7];
    let mut n = 0;
    ends[n] = before.len();
    n += 1;
    for (i, c) in before.char_indices().rev() {
        if is_boundary(c) || n == ends.len() {
            break;
        }
        ends[n] = i;
        n += 1;
    }
    NEGATIONS.iter().any(|neg| {
        if neg.chars().nth(1).is_none() {
            return before.ends_with(neg);
        }
        ends[..n].iter().any(|&e| before[..e].ends_with(neg))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::Category;

    fn check(text: &str) -> Report {
        Matcher::builtin().check(text, Kind::Script, Lang::Zh)
    }

    fn found(text: &str) -> Vec<(String, Category)> {
        check(text)
            .findings
            .into_iter()
            .map(|f| (f.term, f.category))
            .collect()
    }

    #[test]
    fn the_builtin_rules_compile_and_every_term_is_normalised() {
        let m = Matcher::builtin();
        assert!(!m.version().is_empty());
        let mut seen = std::collections::HashMap::new();
        for r in m.rules() {
            for t in &r.terms {
                let n = Normalised::term(t);
                assert!(!n.is_empty(), "{}", r.id);
                // A term in two rules would be reported under the first only.
                if let Some(other) = seen.insert(n, r.id.clone()) {
                    panic!("{t:?} is a term of both {other} and {}", r.id);
                }
            }
        }
    }

    #[test]
    fn plain_and_disguised_terms_are_found_with_their_original_spans() {
        for (text, term, cat) in [
            ("这款是全网最好的面膜", "最好", Category::Absolute),
            ("国 家 级 工艺", "国 家 级", Category::Absolute),
            ("頂級品質", "頂級", Category::Absolute),
            ("zui好的大闸蟹", "zui好", Category::Absolute),
            ("醉好吃的小龙虾", "醉好吃", Category::Absolute),
            ("ＮＯ．１爆款", "ＮＯ．１", Category::Absolute),
        ] {
            let r = check(text);
            let f = r
                .findings
                .iter()
                .find(|f| f.category == cat)
                .unwrap_or_else(|| panic!("{text}: {:?}", r.findings));
            assert_eq!(f.term, term, "{text}");
            let chars: Vec<char> = text.chars().collect();
            let back: String = chars[f.start..f.end].iter().collect();
            assert_eq!(back, f.term, "{text}");
        }
    }

    #[test]
    fn lawful_uses_stay_quiet() {
        for text in [
            "最后三分钟，家人们抓紧",
            "建议最好冷藏保存",
            "每人最多限购2件",
            "最高承重100公斤",
            "这是我们第一次来直播间",
            "开播第一天",
            "最佳食用期为收到后三天内",
            "我们不是最便宜的，但是品质放心",
        ] {
            assert_eq!(found(text), vec![], "{text}");
        }
    }

    #[test]
    fn offsets_survive_every_normalisation() {
        // Property: for any mix of padding, spacing and width, every
        // finding's span, cut from the original, is the term as written.
        let pads = ["", "家人们，", "🔥", "ＡＢＣ", "這個", " \u{3000} "];
        let terms = [
            "最好",
            "國家級",
            "第 一",
            "ｚｕｉ好",
            "治療",
            "100％有效",
            "穩賺",
        ];
        for p in pads {
            for q in pads {
                for t in terms {
                    let text = format!("{p}{t}{q}");
                    let chars: Vec<char> = text.chars().collect();
                    let r = check(&text);
                    assert!(!r.findings.is_empty(), "{text}");
                    for f in r.findings {
                        let back: String = chars[f.start..f.end].iter().collect();
                        assert_eq!(back, f.term, "{text}");
                    }
                }
            }
        }
    }

    #[test]
    fn offsets_map_back_for_random_disguises() {
        // Property, over many random texts: terms written in traditional
        // characters, full width, upper case or with symbols and emoji
        // slipped between their characters, inside random padding, are
        // found, and every finding's span cut from the original is exactly
        // what the finding says was written.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
        let terms = [
            "最好",
            "国家级",
            "顶级",
            "第一",
            "治疗",
            "稳赚",
            "保本",
            "特效",
            "no1",
        ];
        let traditional = [
            ('国', '國'),
            ('级', '級'),
            ('顶', '頂'),
            ('疗', '療'),
            ('稳', '穩'),
            ('赚', '賺'),
        ];
        let fillers = ["*", " ", "·", "_", "/", "🔥", "❤️", "\u{200b}", "～", "|"];
        // Padding that cannot itself continue a term (no digits or letters
        // beside NO1).
        let padding = ["家人们", "这款", "宝宝们看过来", "，", "今天", "🎉", "  "];
        for _ in 0..3000 {
            let term = terms[rng.random_range(0..terms.len())];
            let mut written = String::new();
            for (i, c) in term.chars().enumerate() {
                if i > 0 && rng.random_bool(0.4) {
                    written.push_str(fillers[rng.random_range(0..fillers.len())]);
                }
                let c = match traditional.iter().find(|(s, _)| *s == c) {
                    Some((_, t)) if rng.random_bool(0.5) => *t,
                    _ => c,
                };
                let c = if c.is_ascii_alphanumeric() && rng.random_bool(0.5) {
                    // Full width, or upper case.
                    if rng.random_bool(0.5) {
                        char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c)
                    } else {
                        c.to_ascii_uppercase()
                    }
                } else {
                    c
                };
                written.push(c);
            }
            let text = format!(
                "{}{}{}",
                padding[rng.random_range(0..padding.len())],
                written,
                padding[rng.random_range(0..padding.len())]
            );
            let chars: Vec<char> = text.chars().collect();
            let r = check(&text);
            assert!(
                r.findings.iter().any(|f| f.term.contains(written.trim())),
                "{text:?}: {:?}",
                r.findings
            );
            for f in r.findings {
                let back: String = chars[f.start..f.end].iter().collect();
                assert_eq!(back, f.term, "{text:?}");
            }
        }
    }

    #[test]
    fn nothing_breaks_on_odd_input() {
        for text in ["", "\u{0}\u{1}", "🔥🔥🔥", "最", "%%%%", "\u{feff}最好"] {
            let _ = check(text);
        }
        let big = "最好的东西，".repeat(20_000);
        assert_eq!(check(&big).findings.len(), 20_000);
    }

    #[test]
    fn within_finds_the_phrase_around_the_hit() {
        let s = "本品最佳食用期为三天";
        let a = s.find("最佳").unwrap();
        assert!(within(s, a, a + "最佳".len(), "最佳食用期"));
        assert!(!within(s, a, a + "最佳".len(), "最佳赏味期"));
    }
}
