//! The knowledge library's demo corpus: cases across the 13 cities'
//! industries, course materials, policies and questions with answers, all
//! invented for the demo and marked as examples (`data/knowledge/`). The
//! judged query set in `tests/search/` grades these documents by slug.

use serde::Deserialize;

use fanxing_core::app::Fanxing;
use fanxing_core::knowledge::store::Provenance;
use fanxing_core::knowledge::{Details, DocumentDraft, DocumentInput};
use fanxing_core::{Error, Result};

const FILES: &[(&str, &str)] = &[
    ("cases.jsonl", include_str!("../data/knowledge/cases.jsonl")),
    (
        "materials.jsonl",
        include_str!("../data/knowledge/materials.jsonl"),
    ),
    (
        "policies.jsonl",
        include_str!("../data/knowledge/policies.jsonl"),
    ),
    ("qa.jsonl", include_str!("../data/knowledge/qa.jsonl")),
];

/// The competency codes the corpus uses (those the curriculum migration
/// creates), for loading it where no database is at hand (benchmarks).
pub const COMPETENCIES: &[&str] = &[
    "trend_policy",
    "strategy_brand",
    "product_selection",
    "content_planning",
    "live_operation",
    "data_analysis",
    "domain_linkage",
    "compliance",
    "ai_tools",
    "cross_border",
];

#[derive(Deserialize)]
struct Line {
    slug: String,
    #[serde(flatten)]
    input: DocumentInput,
    #[serde(flatten)]
    details: Details,
}

/// Every document of the corpus with its slug, in file order (cases,
/// materials, policies, questions).
pub fn corpus() -> Result<Vec<(String, DocumentInput)>> {
    let mut out = Vec::new();
    for (file, text) in FILES {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let l: Line = serde_json::from_str(line)
                .map_err(|e| Error::Message(format!("{file} line {}: {e}", i + 1)))?;
            let mut input = l.input;
            input.details = l.details;
            out.push((l.slug, input));
        }
    }
    Ok(out)
}

/// The corpus validated against the competency codes `known`.
pub fn drafts(known: &[String]) -> Result<Vec<(String, DocumentDraft)>> {
    corpus()?
        .into_iter()
        .map(|(slug, input)| {
            let d = input
                .validate(known)
                .map_err(|e| Error::Message(format!("{slug}: {e:?}")))?;
            Ok((slug, d))
        })
        .collect()
}

/// Loads the corpus into an empty library (published, owned by no
/// organisation); `None` when the library already holds documents.
pub async fn seed(app: &Fanxing) -> Result<Option<usize>> {
    if !app.knowledge.is_empty().await? {
        return Ok(None);
    }
    let known: Vec<String> = app
        .curriculum
        .competencies()
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect();
    let docs = drafts(&known)?
        .into_iter()
        .filter_map(|(_, d)| {
            let region = d.region?;
            Some((
                d,
                Provenance {
                    region,
                    owner_org: None,
                    created_by: None,
                },
            ))
        })
        .collect();
    app.knowledge.load(docs).await.map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_complete_and_valid() {
        let known: Vec<String> = COMPETENCIES.iter().map(|s| s.to_string()).collect();
        let docs = drafts(&known).expect("valid corpus");
        let count = |k: &str| docs.iter().filter(|(_, d)| d.kind.as_str() == k).count();
        assert!(count("case") >= 300, "{} cases", count("case"));
        assert!(count("material") >= 100);
        assert!(count("policy") >= 40);
        assert!(docs.iter().all(|(_, d)| d.example && d.region.is_some()));
        let mut slugs: Vec<&str> = docs.iter().map(|(s, _)| s.as_str()).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), docs.len(), "slugs repeat");
    }
}
