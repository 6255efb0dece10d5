//! Eligibility rules as data, and their evaluation with a trace.
//!
//! A rule names a fact, an operator and a value, whether it is hard (a
//! failure makes the enterprise ineligible) or soft (a failure makes the
//! match tentative), its own message in Chinese and English, a citation,
//! and the version of the ruleset it belongs to. Evaluating an offer's rules
//! against an enterprise's facts gives a verdict and, for every rule, what
//! it found: the "why" and the "why not".

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Fact, FactValue};
use crate::region::RegionCode;

choice_enum! {
    /// How a rule compares the fact with its value: `in` and `not_in` read
    /// a comma-separated list; `within` a region code whose area must hold
    /// the fact (a region code).
    Op {
        Eq = "eq" => "op.eq",
        Ne = "ne" => "op.ne",
        Lt = "lt" => "op.lt",
        Le = "le" => "op.le",
        Gt = "gt" => "op.gt",
        Ge = "ge" => "op.ge",
        In = "in" => "op.in",
        NotIn = "not_in" => "op.not_in",
        Within = "within" => "op.within",
    }
}

/// One eligibility rule of an offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: i64,
    /// The fact it reads, e.g. `sales_12m_fen`.
    pub field: String,
    pub op: Op,
    /// A number, a text, or a comma-separated list, as the operator reads it.
    pub value: String,
    /// Hard rules decide eligibility; soft rules only make a match tentative.
    pub hard: bool,
    pub message_zh: String,
    pub message_en: String,
    /// The policy or product term the rule comes from.
    pub citation: String,
    /// Facts older than this many days do not count (None: any age).
    pub max_age_days: Option<i64>,
}

/// Where a rule leaves the enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleResult {
    Passed,
    Failed,
    /// The fact is missing (or too old to count): supply it.
    Missing,
    /// The rule cannot be read (a number rule whose value is not a number):
    /// counted as failed, and shown so the partner fixes it.
    Malformed,
}

/// One line of a match's trace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RuleTrace {
    pub rule_id: i64,
    pub field: String,
    pub hard: bool,
    pub result: RuleResult,
    /// The fact's value as it was read, when there was one.
    pub found: Option<String>,
}

/// The verdict of an offer's rules on an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    Eligible,
    /// No hard rule failed, but a soft rule failed or a fact is missing.
    Tentative,
    Ineligible,
}

impl Eligibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Eligibility::Eligible => "eligible",
            Eligibility::Tentative => "tentative",
            Eligibility::Ineligible => "ineligible",
        }
    }

    pub fn parse(s: &str) -> Option<Eligibility> {
        match s {
            "eligible" => Some(Eligibility::Eligible),
            "tentative" => Some(Eligibility::Tentative),
            "ineligible" => Some(Eligibility::Ineligible),
            _ => None,
        }
    }
}

/// What evaluating an offer's rules gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub eligibility: Eligibility,
    /// Every rule, in the offer's order.
    pub trace: Vec<RuleTrace>,
}

impl Verdict {
    /// The first hard rule that failed: the headline "why not".
    pub fn blocking(&self) -> Option<&RuleTrace> {
        self.trace
            .iter()
            .find(|t| t.hard && matches!(t.result, RuleResult::Failed | RuleResult::Malformed))
    }

    /// Facts to supply (missing or too old) for the match to be decided.
    pub fn to_supply(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .trace
            .iter()
            .filter(|t| t.result == RuleResult::Missing)
            .map(|t| t.field.as_str())
            .collect();
        v.dedup();
        v
    }
}

/// The newest fact of each metric, by source trust then date: what rules
/// read. Platform figures beat verified ones, which beat declared ones; of
/// two recorded in the same second, the later in `facts` (a correction).
pub fn current_facts(facts: &[Fact]) -> HashMap<&str, &Fact> {
    let mut out: HashMap<&str, &Fact> = HashMap::new();
    for f in facts {
        let better = match out.get(f.metric.as_str()) {
            None => true,
            Some(old) => (trust(f), f.as_of) >= (trust(old), old.as_of),
        };
        if better {
            out.insert(f.metric.as_str(), f);
        }
    }
    out
}

fn trust(f: &Fact) -> u8 {
    match f.source {
        super::FactSource::Platform => 2,
        super::FactSource::Verified => 1,
        super::FactSource::Declared => 0,
    }
}

/// Evaluates `rules` on the enterprise's current facts, at time `now`.
pub fn evaluate(rules: &[Rule], facts: &HashMap<&str, &Fact>, now: i64) -> Verdict {
    let mut trace = Vec::with_capacity(rules.len());
    let mut eligibility = Eligibility::Eligible;
    for r in rules {
        let fact = facts.get(r.field.as_str()).copied().filter(|f| {
            r.max_age_days
                .is_none_or(|d| now.saturating_sub(f.as_of) <= d.saturating_mul(86_400))
        });
        let (result, found) = match fact {
            None => (RuleResult::Missing, None),
            Some(f) => (check(r, &f.value), Some(shown(&f.value))),
        };
        let worst = match (result, r.hard) {
            (RuleResult::Passed, _) => Eligibility::Eligible,
            (RuleResult::Failed | RuleResult::Malformed, true) => Eligibility::Ineligible,
            _ => Eligibility::Tentative,
        };
        eligibility = eligibility.max(worst);
        trace.push(RuleTrace {
            rule_id: r.id,
            field: r.field.clone(),
            hard: r.hard,
            result,
            found,
        });
    }
    Verdict { eligibility, trace }
}

fn shown(v: &FactValue) -> String {
    match v {
        FactValue::Number(n) => n.to_string(),
        FactValue::Text(t) => t.clone(),
    }
}

fn check(rule: &Rule, value: &FactValue) -> RuleResult {
    let pass = |b: bool| {
        if b {
            RuleResult::Passed
        } else {
            RuleResult::Failed
        }
    };
    let list = || {
        rule.value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    match rule.op {
        Op::In => pass(list().any(|v| v == shown(value))),
        Op::NotIn => pass(!list().any(|v| v == shown(value))),
        Op::Within => {
            let (Some(fact), Some(area)) = (
                shown(value)
                    .parse::<u32>()
                    .ok()
                    .and_then(RegionCode::from_value),
                rule.value
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .and_then(RegionCode::from_value),
            ) else {
                return RuleResult::Malformed;
            };
            pass(area.subtree().contains(fact))
        }
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => match value {
            FactValue::Number(n) => {
                let Ok(v) = rule.value.trim().parse::<i64>() else {
                    return RuleResult::Malformed;
                };
                pass(match rule.op {
                    Op::Eq => *n == v,
                    Op::Ne => *n != v,
                    Op::Lt => *n < v,
                    Op::Le => *n <= v,
                    Op::Gt => *n > v,
                    _ => *n >= v,
                })
            }
            FactValue::Text(t) => match rule.op {
                Op::Eq => pass(t == rule.value.trim()),
                Op::Ne => pass(t != rule.value.trim()),
                // An order on a text fact cannot be decided.
                _ => RuleResult::Malformed,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::FactSource;
    use super::*;

    fn rule(id: i64, field: &str, op: Op, value: &str, hard: bool) -> Rule {
        Rule {
            id,
            field: field.into(),
            op,
            value: value.into(),
            hard,
            message_zh: format!("规则 {id}"),
            message_en: format!("rule {id}"),
            citation: "产品说明".into(),
            max_age_days: None,
        }
    }

    fn fact(metric: &str, value: FactValue, source: FactSource, as_of: i64) -> Fact {
        Fact {
            metric: metric.into(),
            value,
            period: "2025".into(),
            source,
            as_of,
        }
    }

    fn loan_rules() -> Vec<Rule> {
        vec![
            rule(1, "region", Op::Within, "320500", true),
            rule(2, "sales_12m_fen", Op::Lt, "500000000", true),
            rule(3, "shop_age_months", Op::Ge, "6", true),
            rule(4, "refund_rate_bp", Op::Le, "1500", false),
            rule(5, "industry", Op::NotIn, "烟草,彩票", true),
        ]
    }

    fn facts() -> Vec<Fact> {
        use FactValue::*;
        vec![
            fact("region", Number(320583), FactSource::Declared, 10),
            fact(
                "sales_12m_fen",
                Number(120_000_000),
                FactSource::Platform,
                10,
            ),
            fact("shop_age_months", Number(14), FactSource::Platform, 10),
            fact("refund_rate_bp", Number(900), FactSource::Platform, 10),
            fact("industry", Text("服装".into()), FactSource::Declared, 10),
        ]
    }

    #[test]
    fn all_rules_passed_is_eligible_with_a_full_trace() {
        let f = facts();
        let v = evaluate(&loan_rules(), &current_facts(&f), 100);
        assert_eq!(v.eligibility, Eligibility::Eligible);
        assert_eq!(v.trace.len(), 5);
        assert!(v.trace.iter().all(|t| t.result == RuleResult::Passed));
        assert!(v.blocking().is_none());
    }

    #[test]
    fn one_changed_fact_flips_the_match_and_names_the_rule() {
        let mut f = facts();
        f[2].value = FactValue::Number(3); // shop open three months
        let v = evaluate(&loan_rules(), &current_facts(&f), 100);
        assert_eq!(v.eligibility, Eligibility::Ineligible);
        let b = v.blocking().unwrap();
        assert_eq!((b.rule_id, b.found.as_deref()), (3, Some("3")));
        // The other rules still say where they stand.
        assert_eq!(
            v.trace
                .iter()
                .filter(|t| t.result == RuleResult::Passed)
                .count(),
            4
        );
    }

    #[test]
    fn a_soft_failure_or_a_missing_fact_makes_it_tentative_naming_the_fact() {
        let mut f = facts();
        f[3].value = FactValue::Number(2500);
        let v = evaluate(&loan_rules(), &current_facts(&f), 100);
        assert_eq!(v.eligibility, Eligibility::Tentative);
        assert!(v.blocking().is_none());
        let f: Vec<Fact> = facts()
            .into_iter()
            .filter(|x| x.metric != "shop_age_months")
            .collect();
        let v = evaluate(&loan_rules(), &current_facts(&f), 100);
        assert_eq!(v.eligibility, Eligibility::Tentative);
        assert_eq!(v.to_supply(), vec!["shop_age_months"]);
    }

    #[test]
    fn old_facts_do_not_count_where_a_rule_says_so() {
        let mut rules = loan_rules();
        rules[1].max_age_days = Some(90);
        let f = facts();
        let v = evaluate(&rules, &current_facts(&f), 10 + 91 * 86_400);
        assert_eq!(v.eligibility, Eligibility::Tentative);
        assert_eq!(v.to_supply(), vec!["sales_12m_fen"]);
    }

    #[test]
    fn the_platforms_figure_beats_a_newer_declared_one() {
        let mut f = facts();
        f.push(fact(
            "sales_12m_fen",
            FactValue::Number(900_000_000),
            FactSource::Declared,
            50,
        ));
        let cur = current_facts(&f);
        assert_eq!(cur["sales_12m_fen"].source, FactSource::Platform);
        assert_eq!(
            evaluate(&loan_rules(), &cur, 100).eligibility,
            Eligibility::Eligible
        );
    }

    #[test]
    fn a_correction_in_the_same_second_wins() {
        let mut f = facts();
        f.push(fact(
            "shop_age_months",
            FactValue::Number(2),
            FactSource::Platform,
            10,
        ));
        assert_eq!(
            current_facts(&f)["shop_age_months"].value,
            FactValue::Number(2)
        );
    }

    #[test]
    fn regions_lists_and_malformed_rules() {
        let f = facts();
        let cur = current_facts(&f);
        let v = evaluate(&[rule(9, "region", Op::Within, "320100", true)], &cur, 0);
        assert_eq!(v.eligibility, Eligibility::Ineligible);
        let v = evaluate(&[rule(9, "industry", Op::In, "服装, 食品", true)], &cur, 0);
        assert_eq!(v.eligibility, Eligibility::Eligible);
        // A number rule with a value that is not a number fails, visibly.
        let v = evaluate(&[rule(9, "shop_age_months", Op::Ge, "六", true)], &cur, 0);
        assert_eq!(v.trace[0].result, RuleResult::Malformed);
        assert_eq!(v.eligibility, Eligibility::Ineligible);
        // An order on a text cannot be decided.
        let v = evaluate(&[rule(9, "industry", Op::Gt, "A", false)], &cur, 0);
        assert_eq!(v.trace[0].result, RuleResult::Malformed);
        assert_eq!(v.eligibility, Eligibility::Tentative);
    }
}
