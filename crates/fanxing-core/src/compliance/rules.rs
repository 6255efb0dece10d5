//! The rules, as data: `rules.toml` beside this file, versioned with the
//! code and embedded in the binary. Each rule names its category, the law
//! and article it rests on, a plain explanation in Chinese and English,
//! rewordings, the terms it looks for, and the contexts that make a term
//! lawful (the exceptions the 2023 guideline lists).

use serde::Deserialize;

use super::{Category, Kind, Severity};

/// The rule file shipped with Fanxing.
pub const BUILTIN: &str = include_str!("rules.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Changes whenever a rule changes; every answer names it.
    pub version: String,
    /// Kinds of product a text can be about, known by its words (a face
    /// cream, a health food); a rule may hand its hits to another rule in
    /// such a text ([`Rule::instead_in`]).
    #[serde(rename = "context", default)]
    pub contexts: Vec<ProductContext>,
    /// Words of a text that talks about banned words (a lesson on the
    /// Advertising Law, a checklist): such a text quotes the terms and is
    /// not checked for them.
    #[serde(default)]
    pub quoting: Vec<String>,
    #[serde(rename = "rule")]
    pub rules: Vec<Rule>,
}

/// A kind of product, known by the words that name it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductContext {
    pub id: String,
    pub words: Vec<String>,
}

fn yes() -> bool {
    true
}

/// One rule: what it looks for, why it matters, what to write instead, and
/// when the same words are lawful.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    /// The law and article (e.g. 《广告法》第九条第三项).
    pub basis: String,
    pub explanation: String,
    pub explanation_en: String,
    /// Rewordings, best first.
    pub suggestions: Vec<String>,
    /// What to look for, as written in a rule (normalised before matching).
    #[serde(default)]
    pub terms: Vec<String>,
    /// Disguised spellings sellers use that pinyin cannot derive
    /// (homophones with other tones, mixed forms); each names its term as
    /// `变体=术语`, or stands alone for the rule's first term.
    #[serde(default)]
    pub variants: Vec<String>,
    /// Whether the terms are also caught in pinyin, initials and
    /// same-sounding characters.
    #[serde(default = "yes")]
    pub sounds: bool,
    /// The kinds of text the rule applies to (empty: both).
    #[serde(default)]
    pub kinds: Vec<Kind>,
    /// A term directly followed by one of these is lawful (第一次, 最后).
    #[serde(default)]
    pub unless_followed_by: Vec<String>,
    /// A term directly preceded by one of these is lawful (本店最新).
    #[serde(default)]
    pub unless_preceded_by: Vec<String>,
    /// A term inside one of these phrases is lawful (最佳食用期).
    #[serde(default)]
    pub unless_within: Vec<String>,
    /// A term followed by a number within this many characters, in the same
    /// clause, states a measurement or a limit (最高承重 100 公斤).
    #[serde(default)]
    pub unless_number_within: Option<usize>,
    /// A negation right before the term makes it lawful (不是最便宜的).
    #[serde(default)]
    pub negatable: bool,
    /// The rule fires only when the text has none of these statements
    /// (a health food's 本品不能代替药物).
    #[serde(default)]
    pub unless_text_has: Vec<String>,
    /// A term in the same clause as one of these words is lawful (a
    /// comparison within the seller's own range: 我们家卖得最好的一款).
    #[serde(default)]
    pub unless_clause_has: Vec<String>,
    /// The rule fires only when one of these follows the term within
    /// `requires_after_within` characters of the same clause (保证 … 有效,
    /// 排名 … 第一); the finding then covers both.
    #[serde(default)]
    pub requires_after: Vec<String>,
    #[serde(default)]
    pub requires_after_within: Option<usize>,
    /// The rule fires only when a count of ten thousands or more follows
    /// the term within this many characters (已售 80 万盒: a sales figure
    /// that cannot be checked; 已售 3 件 is not a claim).
    #[serde(default)]
    pub only_with_count_within: Option<usize>,
    /// Reported only when the text has no other finding (a missing
    /// statement is not worth a second mark beside claims that already
    /// need rewriting; their explanations say what to add).
    #[serde(default)]
    pub alone: bool,
    /// In a text about one of these kinds of product, a hit is reported
    /// under the named rule instead (治疗 in a face cream's script is a
    /// cosmetics violation, in a health food's a health-food one).
    #[serde(default)]
    pub instead_in: std::collections::BTreeMap<String, String>,
}

impl Rule {
    pub fn applies_to(&self, kind: Kind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }

    /// What is wrong with the rule as written, if anything.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let blank = |s: &str| s.trim().is_empty();
        if blank(&self.id) {
            p.push("id is empty".to_string());
        }
        if blank(&self.basis) || !self.basis.contains('《') {
            p.push(format!(
                "{}: basis must cite a law or rule by its 《title》",
                self.id
            ));
        }
        if blank(&self.explanation) || blank(&self.explanation_en) {
            p.push(format!("{}: explanation in both languages", self.id));
        }
        if self.suggestions.is_empty() || self.suggestions.iter().any(|s| blank(s)) {
            p.push(format!("{}: at least one rewording", self.id));
        }
        if self.terms.is_empty() {
            p.push(format!("{}: no terms", self.id));
        }
        for t in self.terms.iter().chain(&self.variants) {
            let t = t.split('=').next().unwrap_or(t);
            if super::normalise::Normalised::term(t).is_empty() {
                p.push(format!("{}: term {t:?} is empty once normalised", self.id));
            }
        }
        for v in &self.variants {
            if let Some((_, of)) = v.split_once('=') {
                if !self.terms.iter().any(|t| t == of) {
                    p.push(format!(
                        "{}: variant {v:?} names no term of the rule",
                        self.id
                    ));
                }
            }
        }
        p
    }
}

impl RuleFile {
    pub fn parse(text: &str) -> Result<RuleFile, String> {
        let file: RuleFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut problems: Vec<String> = file.rules.iter().flat_map(Rule::problems).collect();
        if file.version.trim().is_empty() {
            problems.push("version is empty".to_string());
        }
        for r in &file.rules {
            for (cx, to) in &r.instead_in {
                if !file.contexts.iter().any(|c| &c.id == cx) {
                    problems.push(format!("{}: no context {cx}", r.id));
                }
                if !file.rules.iter().any(|x| &x.id == to) {
                    problems.push(format!("{}: no rule {to}", r.id));
                }
            }
        }
        let mut ids: Vec<&str> = file.rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        for w in ids.windows(2) {
            if w[0] == w[1] {
                problems.push(format!("rule id {} twice", w[0]));
            }
        }
        if problems.is_empty() {
            Ok(file)
        } else {
            Err(problems.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_rule_has_a_citation_an_explanation_and_a_rewording() {
        let file = RuleFile::parse(BUILTIN).unwrap_or_else(|e| panic!("rules.toml: {e}"));
        assert!(file.rules.len() >= 20, "{} rules", file.rules.len());
        for c in Category::ALL {
            assert!(
                file.rules.iter().any(|r| r.category == *c),
                "no rule of category {c:?}"
            );
        }
    }

    #[test]
    fn a_rule_without_citation_or_rewording_is_refused() {
        let bare = r#"
            version = "t"
            [[rule]]
            id = "x"
            category = "absolute"
            severity = "warn"
            basis = ""
            explanation = "说明"
            explanation_en = "why"
            suggestions = []
            terms = ["最好"]
        "#;
        let e = RuleFile::parse(bare).unwrap_err();
        assert!(e.contains("basis") && e.contains("rewording"), "{e}");
    }
}
