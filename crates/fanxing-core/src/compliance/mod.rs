//! The compliance checker (合规检测) for live scripts and product titles.
//!
//! Rules are data ([`rules`], `rules.toml`): each cites the law it rests on,
//! explains itself and offers rewordings. The [`matcher`] normalises the
//! text ([`normalise`]: traditional, full-width, spaced-out and emoji-split
//! terms), finds every term at once (Aho–Corasick) — also in pinyin,
//! initials and same-sounding characters — and then keeps quiet where the
//! context makes the words lawful. Findings carry character offsets into
//! the original text. [`score`] measures the rules on a labelled corpus;
//! [`service`] is the use case (who may check, the per-category counts
//! offices see); [`titles`] annotates a spreadsheet of product titles.

pub mod i18n;
pub mod matcher;
pub mod normalise;
pub mod rules;
pub mod score;
pub mod service;
pub mod store;
pub mod titles;

use serde::{Deserialize, Serialize};

pub use matcher::Matcher;

choice_enum! {
    /// What a rule is about.
    Category {
        Absolute = "absolute" => "compliance.cat.absolute",
        Authority = "authority" => "compliance.cat.authority",
        Medical = "medical" => "compliance.cat.medical",
        HealthFood = "health_food" => "compliance.cat.health_food",
        Cosmetics = "cosmetics" => "compliance.cat.cosmetics",
        Guarantee = "guarantee" => "compliance.cat.guarantee",
        FalseData = "false_data" => "compliance.cat.false_data",
        Other = "other" => "compliance.cat.other",
    }
}

choice_enum! {
    /// How serious a hit is: `block` (penalties are likely: rewrite before
    /// going live) or `warn` (the 2023 guideline asks for proportionate
    /// enforcement: check the context, reword if in doubt).
    Severity {
        Block = "block" => "compliance.sev.block",
        Warn = "warn" => "compliance.sev.warn",
    }
}

choice_enum! {
    /// What is being checked.
    Kind {
        Script = "script" => "compliance.kind.script",
        Title = "title" => "compliance.kind.title",
    }
}

choice_enum! {
    /// How a term was found: as written, once normalised (traditional,
    /// full-width, spaced out), in pinyin or its initials, by sound
    /// (same-sounding characters), as a listed disguise, or as a required
    /// statement that is missing.
    Via {
        Literal = "literal" => "compliance.via.literal",
        Normalised = "normalised" => "compliance.via.normalised",
        Pinyin = "pinyin" => "compliance.via.pinyin",
        Sound = "sound" => "compliance.via.sound",
        Variant = "variant" => "compliance.via.variant",
        Missing = "missing" => "compliance.via.missing",
    }
}

impl Via {
    /// Whether the writer disguised the term.
    pub fn disguised(self) -> bool {
        !matches!(self, Via::Literal | Via::Missing)
    }
}

/// The most text one check reads: 200,000 characters (a two-hour script
/// is about 40,000).
pub const MAX_CHARS: usize = 200_000;
/// The most texts one batch may carry.
pub const MAX_BATCH: usize = 1_000;
/// The most characters a whole batch may carry.
pub const MAX_BATCH_CHARS: usize = 2_000_000;

/// One hit: where it is in the original text (Unicode characters), what
/// it is, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// First character (0-based), in the original text.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// The original text of the hit, as written (disguise included).
    pub term: String,
    /// The rule's own term it stands for (最好 for 醉好).
    pub canonical: String,
    pub category: Category,
    pub rule: String,
    pub basis: String,
    pub explanation: String,
    pub suggestion: String,
    pub suggestions: Vec<String>,
    pub severity: Severity,
    pub via: Via,
}

/// The answer to one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub rules_version: String,
}

impl Report {
    /// How many findings each category has, in [`Category::ALL`] order.
    pub fn per_category(&self) -> [u32; 8] {
        let mut n = [0u32; 8];
        for f in &self.findings {
            if let Some(i) = Category::ALL.iter().position(|c| *c == f.category) {
                n[i] += 1;
            }
        }
        n
    }
}
