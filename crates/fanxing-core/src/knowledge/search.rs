//! The search contract: what the index holds, how a reader's scope limits
//! it, and what a search answers. Implemented with tantivy in
//! `fanxing-search`; the index is derived data, rebuilt from the store.

use serde::Serialize;

use super::{DocKind, Document, DocumentId, Visibility};
use crate::error::Result;
use crate::region::RegionCode;

/// Who is reading, as the index sees it. Built only by the service from
/// the caller's role and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderScope {
    /// Public documents only (nobody logged in).
    Public,
    /// Public documents, and those for the programme's people whose region
    /// is one of `line` (the reader's province, city and county).
    Member { line: Vec<RegionCode> },
    /// An office: public documents, and every document whose region is on
    /// the office's line (above it) or within its region (below it).
    Office {
        line: Vec<RegionCode>,
        region: RegionCode,
    },
    /// The programme office of the whole province: everything published.
    Everything,
}

impl ReaderScope {
    /// Whether this reader may see a published document (the same rule the
    /// index applies, for checks outside it).
    pub fn allows(&self, visibility: Visibility, region: RegionCode) -> bool {
        if visibility == Visibility::Public {
            return true;
        }
        match self {
            ReaderScope::Public => false,
            ReaderScope::Member { line } => {
                visibility == Visibility::Trainees && line.contains(&region)
            }
            ReaderScope::Office { line, region: own } => {
                line.contains(&region) || own.subtree().contains(region)
            }
            ReaderScope::Everything => true,
        }
    }
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    Relevance,
    Newest,
}

/// Filters on facets (all must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub kind: Option<DocKind>,
    pub industry: Option<String>,
    /// A city or county: documents in it or below it.
    pub region: Option<RegionCode>,
    pub tier: Option<String>,
    pub competency: Option<String>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }
}

/// One search.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub filters: Filters,
    pub sort: SortBy,
    /// Zero-based.
    pub page: usize,
    pub per_page: usize,
}

/// A piece of a snippet: text, and whether it matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fragment {
    pub text: String,
    pub hit: bool,
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: DocumentId,
    pub kind: DocKind,
    pub title: String,
    pub snippet: Vec<Fragment>,
    pub industry: Option<String>,
    pub region: RegionCode,
    pub published_at: i64,
    pub example: bool,
    pub score: f32,
}

/// A facet's values with their counts among the results.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Facet {
    /// kind, industry, region, tier or competency.
    pub name: &'static str,
    pub values: Vec<(String, u64)>,
}

/// What a search answers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchResults {
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: Vec<Facet>,
    /// When nothing matched: other words to try (known titles, tags and
    /// domain words that sound or look like the query).
    pub suggestions: Vec<String>,
    /// When nothing matched with the filters: how many match without them.
    pub without_filters: Option<u64>,
}

/// The facet names, in the order pages show them.
pub const FACETS: &[&str] = &["kind", "industry", "region", "tier", "competency"];

/// A search index over published documents. Synchronous: callers run it
/// off the async workers.
pub trait SearchIndex: Send + Sync {
    /// Adds or replaces `docs`, removes `removed`, and records that the
    /// index now reflects the change log up to `seq` — all in one commit.
    fn apply(&self, docs: &[Document], removed: &[DocumentId], seq: i64) -> Result<()>;
    /// The change-log sequence the index reflects (0 when empty).
    fn seq(&self) -> i64;
    /// Empties the index (for a rebuild).
    fn clear(&self) -> Result<()>;
    /// Searches within `scope`.
    fn search(&self, query: &SearchQuery, scope: &ReaderScope) -> Result<SearchResults>;
    /// How many documents the index holds.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
