//! The knowledge library's search index: tantivy, with Chinese analysed by
//! [`analyze`] (jieba words with the programme's dictionary, character
//! bigrams, pinyin sounds, title pinyin and initials, synonyms).
//!
//! The index is derived data: each server keeps one in its data directory
//! and catches up from the store's change log (see
//! `fanxing_core::knowledge::service`). The log position it reflects is
//! saved with every commit, so a restarted server continues where it
//! stopped; an index that cannot be opened is recreated empty and rebuilt
//! from the store.

pub mod analyze;

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use fanxing_core::knowledge::search::{
    Facet as FacetCount, Fragment, Hit, ReaderScope, SearchIndex, SearchQuery, SearchResults,
    SortBy,
};
use fanxing_core::knowledge::{region_line, DocKind, Document, DocumentId, Visibility};
use fanxing_core::region::RegionCode;
use fanxing_core::{Error, Result};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value,
    FAST, INDEXED, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

/// Bumped whenever the schema or the analysis changes: an index of another
/// version is rebuilt.
const VERSION: &str = "fanxing-search-2";
/// The indexing heap (tantivy's minimum is 15 MB).
const WRITER_HEAP: usize = 50_000_000;

fn store_err(e: impl std::fmt::Display) -> Error {
    Error::Store(format!("search index: {e}"))
}

// ---- Tokenizers ---------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Analysis {
    Words,
    Bigrams,
    Sounds,
    /// Already-made terms separated by spaces (title pinyin).
    Spaced,
}

#[derive(Clone)]
struct ZhTokenizer(Analysis);

struct Terms {
    tokens: Vec<Token>,
    at: usize,
}

impl TokenStream for Terms {
    fn advance(&mut self) -> bool {
        if self.at < self.tokens.len() {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        &self.tokens[self.at - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.at - 1]
    }
}

impl Tokenizer for ZhTokenizer {
    type TokenStream<'a> = Terms;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Terms {
        let terms = match self.0 {
            Analysis::Words => analyze::words(text),
            Analysis::Bigrams => analyze::bigrams(text),
            Analysis::Sounds => analyze::sounds(text),
            Analysis::Spaced => {
                let mut out = Vec::new();
                let mut at = 0;
                for w in text.split(' ') {
                    if !w.is_empty() {
                        out.push(analyze::Term {
                            text: w.to_string(),
                            from: at,
                            to: at + w.len(),
                        });
                    }
                    at += w.len() + 1;
                }
                out
            }
        };
        Terms {
            tokens: terms
                .into_iter()
                .enumerate()
                .map(|(i, t)| Token {
                    offset_from: t.from,
                    offset_to: t.to,
                    position: i,
                    text: t.text,
                    position_length: 1,
                })
                .collect(),
            at: 0,
        }
    }
}

// ---- Schema -------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    title: Field,
    title_bi: Field,
    title_py: Field,
    summary: Field,
    body: Field,
    body_bi: Field,
    sounds: Field,
    tags: Field,
    extra: Field,
    industry: Field,
    region: Field,
    region_path: Field,
    vis: Field,
    facets: Field,
    published: Field,
    example: Field,
}

fn text(tokenizer: &str, stored: bool) -> TextOptions {
    let o = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        o.set_stored()
    } else {
        o
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let f = Fields {
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        kind: b.add_text_field("kind", STRING | STORED),
        title: b.add_text_field("title", text("zh_words", true)),
        title_bi: b.add_text_field("title_bi", text("zh_bigrams", false)),
        title_py: b.add_text_field("title_py", text("spaced", false)),
        summary: b.add_text_field("summary", text("zh_words", true)),
        body: b.add_text_field("body", text("zh_words", true)),
        body_bi: b.add_text_field("body_bi", text("zh_bigrams", false)),
        sounds: b.add_text_field("sounds", text("zh_sounds", false)),
        tags: b.add_text_field("tags", text("zh_words", true)),
        extra: b.add_text_field("extra", text("zh_words", false)),
        industry: b.add_text_field("industry", STRING | STORED),
        region: b.add_text_field("region", STRING | STORED),
        region_path: b.add_text_field("region_path", STRING),
        vis: b.add_text_field("vis", STRING),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        published: b.add_i64_field("published", INDEXED | STORED | FAST),
        example: b.add_u64_field("example", STORED),
    };
    (b.build(), f)
}

fn register(index: &Index) {
    let t = index.tokenizers();
    t.register("zh_words", ZhTokenizer(Analysis::Words));
    t.register("zh_bigrams", ZhTokenizer(Analysis::Bigrams));
    t.register("zh_sounds", ZhTokenizer(Analysis::Sounds));
    t.register("spaced", ZhTokenizer(Analysis::Spaced));
}

// ---- The index ----------------------------------------------------------------------

/// A tantivy index of published documents.
pub struct TantivyIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    seq: AtomicI64,
}

fn payload(seq: i64) -> String {
    format!("{VERSION}:{seq}")
}

fn parse_payload(p: Option<&str>) -> Option<i64> {
    p?.strip_prefix(VERSION)?.strip_prefix(':')?.parse().ok()
}

impl TantivyIndex {
    /// Opens the index in `dir` (created if missing). An index of another
    /// version, or one that cannot be read, is replaced by an empty one
    /// (the caller then catches up from the store).
    pub fn open(dir: &Path) -> Result<TantivyIndex> {
        std::fs::create_dir_all(dir).map_err(store_err)?;
        match Self::open_existing(dir) {
            Ok(Some(i)) => return Ok(i),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "search index unreadable: rebuilding it"),
        }
        for entry in std::fs::read_dir(dir).map_err(store_err)? {
            let p = entry.map_err(store_err)?.path();
            if p.is_dir() {
                std::fs::remove_dir_all(&p).map_err(store_err)?;
            } else {
                std::fs::remove_file(&p).map_err(store_err)?;
            }
        }
        let (schema, _) = schema();
        let index = Index::create_in_dir(dir, schema).map_err(store_err)?;
        Self::finish(index, 0)
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> Result<TantivyIndex> {
        let (schema, _) = schema();
        Self::finish(Index::create_in_ram(schema), 0)
    }

    fn open_existing(dir: &Path) -> Result<Option<TantivyIndex>> {
        let directory = MmapDirectory::open(dir).map_err(store_err)?;
        if !Index::exists(&directory).map_err(store_err)? {
            return Ok(None);
        }
        let index = Index::open(directory).map_err(store_err)?;
        let metas = index.load_metas().map_err(store_err)?;
        let seq = match (
            metas.segments.is_empty(),
            parse_payload(metas.payload.as_deref()),
        ) {
            (_, Some(seq)) => seq,
            (true, None) if metas.payload.is_none() => 0,
            _ => return Ok(None),
        };
        let (expected, _) = schema();
        if index.schema() != expected {
            return Ok(None);
        }
        Self::finish(index, seq).map(Some)
    }

    fn finish(index: Index, seq: i64) -> Result<TantivyIndex> {
        register(&index);
        let (_, fields) = schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(store_err)?;
        let writer = index
            .writer_with_num_threads(1, WRITER_HEAP)
            .map_err(store_err)?;
        Ok(TantivyIndex {
            reader,
            writer: Mutex::new(writer),
            fields,
            seq: AtomicI64::new(seq),
        })
    }

    fn to_doc(&self, d: &Document) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_i64(f.id, d.id.0);
        doc.add_text(f.kind, d.kind.as_str());
        doc.add_text(f.title, &d.title);
        doc.add_text(f.title_bi, &d.title);
        // Pinyin and initials of the title, the tags and the course, so
        // that `xyds` finds 县域电商 wherever a document is labelled so.
        let mut py = analyze::title_pinyin(&d.title);
        for t in d.tags.iter().chain(d.details.course.iter()) {
            py.extend(analyze::title_pinyin(t));
        }
        doc.add_text(f.title_py, py.join(" "));
        doc.add_text(f.summary, &d.summary);
        doc.add_text(f.body, &d.body);
        doc.add_text(f.body_bi, &d.summary);
        doc.add_text(f.body_bi, &d.body);
        doc.add_text(f.sounds, &d.title);
        doc.add_text(f.sounds, &d.summary);
        doc.add_text(f.sounds, &d.body);
        for t in &d.tags {
            doc.add_text(f.tags, t);
            doc.add_text(f.title_bi, t);
        }
        let x = &d.details;
        for v in [
            &x.enterprise,
            &x.issuer,
            &x.doc_number,
            &x.beneficiaries,
            &x.amount,
            &x.course,
        ]
        .into_iter()
        .flatten()
        {
            doc.add_text(f.extra, v);
            doc.add_text(f.title_bi, v);
        }
        if let Some(i) = &d.industry {
            doc.add_text(f.industry, i);
            doc.add_facet(f.facets, Facet::from_path(["industry", i.as_str()]));
        }
        doc.add_text(f.region, d.region.to_string());
        let line = region_line(d.region);
        for r in &line {
            doc.add_text(f.region_path, r.to_string());
        }
        let mut path = vec!["region".to_string()];
        path.extend(line.iter().map(|r| r.to_string()));
        doc.add_facet(f.facets, Facet::from_path(path));
        doc.add_text(f.vis, d.visibility.as_str());
        doc.add_facet(f.facets, Facet::from_path(["kind", d.kind.as_str()]));
        for t in &d.tiers {
            doc.add_facet(f.facets, Facet::from_path(["tier", t.as_str()]));
        }
        for c in &d.competencies {
            doc.add_facet(f.facets, Facet::from_path(["competency", c.as_str()]));
        }
        doc.add_i64(f.published, d.published_at.unwrap_or(d.updated_at));
        doc.add_u64(f.example, u64::from(d.example));
        doc
    }

    fn term(&self, field: Field, text: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        ))
    }

    fn boosted(&self, field: Field, text: &str, boost: f32) -> (Occur, Box<dyn Query>) {
        (
            Occur::Should,
            Box::new(BoostQuery::new(self.term(field, text), boost)),
        )
    }

    fn any_of(&self, field: Field, values: &[String]) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            values
                .iter()
                .map(|v| (Occur::Should, self.term(field, v)))
                .collect(),
        ))
    }

    /// What the reader may see, as a query (`None`: everything).
    fn scope_query(&self, scope: &ReaderScope) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let public = || self.term(f.vis, Visibility::Public.as_str());
        let codes = |line: &[RegionCode]| line.iter().map(|r| r.to_string()).collect::<Vec<_>>();
        match scope {
            ReaderScope::Everything => None,
            ReaderScope::Public => Some(public()),
            ReaderScope::Member { line } => Some(Box::new(BooleanQuery::new(vec![
                (Occur::Should, public()),
                (
                    Occur::Should,
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Must, self.term(f.vis, Visibility::Trainees.as_str())),
                        (Occur::Must, self.any_of(f.region, &codes(line))),
                    ])),
                ),
            ]))),
            ReaderScope::Office { line, region } => Some(Box::new(BooleanQuery::new(vec![
                (Occur::Should, public()),
                (Occur::Should, self.any_of(f.region, &codes(line))),
                (Occur::Should, self.term(f.region_path, &region.to_string())),
            ]))),
        }
    }

    fn filter_queries(&self, q: &SearchQuery) -> Vec<Box<dyn Query>> {
        let f = &self.fields;
        let facet = |path: Vec<String>| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_facet(f.facets, &Facet::from_path(path)),
                IndexRecordOption::Basic,
            ))
        };
        let mut out = Vec::new();
        let fl = &q.filters;
        if let Some(k) = fl.kind {
            out.push(facet(vec!["kind".into(), k.as_str().into()]));
        }
        if let Some(i) = &fl.industry {
            out.push(facet(vec!["industry".into(), i.clone()]));
        }
        if let Some(r) = fl.region {
            out.push(self.term(f.region_path, &r.to_string()));
        }
        if let Some(t) = &fl.tier {
            out.push(facet(vec!["tier".into(), t.clone()]));
        }
        if let Some(c) = &fl.competency {
            out.push(facet(vec!["competency".into(), c.clone()]));
        }
        out
    }

    /// The words of the query as a scoring query over every field (`None`
    /// for an empty query: everything in scope).
    fn text_query(&self, text: &str) -> Option<BooleanQuery> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let words = analyze::words(text);
        let mut seen = std::collections::HashSet::new();
        for w in &words {
            if !seen.insert(w.text.clone()) {
                continue;
            }
            clauses.push(self.boosted(f.title, &w.text, 4.0));
            clauses.push(self.boosted(f.tags, &w.text, 3.0));
            clauses.push(self.boosted(f.summary, &w.text, 2.0));
            clauses.push(self.boosted(f.extra, &w.text, 2.0));
            clauses.push(self.boosted(f.body, &w.text, 1.0));
            if w.text.chars().all(|c| c.is_ascii_alphanumeric()) {
                clauses.push(self.boosted(f.title_py, &w.text, 3.0));
                clauses.push(self.boosted(f.sounds, &w.text, 1.0));
            }
        }
        // Pinyin typed with spaces (zhi bo dai huo) reads as one word too.
        let ascii: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if ascii.len() >= 2 && seen.insert(ascii.clone()) {
            clauses.push(self.boosted(f.title_py, &ascii, 3.0));
            clauses.push(self.boosted(f.sounds, &ascii, 1.0));
        }
        let folded = fanxing_core::text::fold(text);
        for syn in analyze::synonyms_for(&folded) {
            for w in analyze::words(syn) {
                if seen.insert(w.text.clone()) {
                    clauses.push(self.boosted(f.title, &w.text, 2.0));
                    clauses.push(self.boosted(f.tags, &w.text, 1.5));
                    clauses.push(self.boosted(f.body, &w.text, 0.6));
                }
            }
        }
        for b in analyze::bigrams(text) {
            if seen.insert(format!("bi:{}", b.text)) {
                clauses.push(self.boosted(f.title_bi, &b.text, 1.0));
                clauses.push(self.boosted(f.body_bi, &b.text, 0.3));
            }
        }
        for s in analyze::sounds(text) {
            if s.text.len() >= 4 && seen.insert(format!("py:{}", s.text)) {
                clauses.push(self.boosted(f.sounds, &s.text, 0.5));
            }
        }
        (!clauses.is_empty()).then(|| BooleanQuery::new(clauses))
    }

    fn snippet(
        &self,
        generator: Option<&SnippetGenerator>,
        words: &[String],
        doc: &TantivyDocument,
    ) -> Vec<Fragment> {
        if let Some(g) = generator {
            let body = doc
                .get_first(self.fields.body)
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let s = g.snippet(window(body, words));
            let text = s.fragment();
            if !s.highlighted().is_empty() {
                let mut out = Vec::new();
                let mut at = 0;
                for r in s.highlighted() {
                    if r.start > at {
                        out.push(Fragment {
                            text: text[at..r.start].to_string(),
                            hit: false,
                        });
                    }
                    out.push(Fragment {
                        text: text[r.start..r.end].to_string(),
                        hit: true,
                    });
                    at = r.end;
                }
                if at < text.len() {
                    out.push(Fragment {
                        text: text[at..].to_string(),
                        hit: false,
                    });
                }
                return out;
            }
        }
        let f = &self.fields;
        let summary = doc
            .get_first(f.summary)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .or_else(|| doc.get_first(f.body).and_then(|v| v.as_str()))
            .unwrap_or("");
        vec![Fragment {
            text: summary.chars().take(120).collect(),
            hit: false,
        }]
    }

    /// Words to try when nothing matched: tags and domain words whose
    /// pinyin is close to the query's.
    fn suggestions(&self, text: &str) -> Result<Vec<String>> {
        let want = analyze::pinyin_of(
            &fanxing_core::text::fold(text)
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>(),
        );
        let Some(want) = want else {
            return Ok(Vec::new());
        };
        let searcher = self.reader.searcher();
        let mut candidates: Vec<String> = analyze::DOMAIN_WORDS
            .iter()
            .map(|s| s.to_string())
            .collect();
        for segment in searcher.segment_readers() {
            let inverted = segment
                .inverted_index(self.fields.tags)
                .map_err(store_err)?;
            let mut terms = inverted.terms().stream().map_err(store_err)?;
            while terms.advance() {
                if let Ok(t) = std::str::from_utf8(terms.key()) {
                    if !candidates.iter().any(|c| c == t) {
                        candidates.push(t.to_string());
                    }
                }
                if candidates.len() > 5_000 {
                    break;
                }
            }
        }
        let mut scored: Vec<(usize, String)> = candidates
            .into_iter()
            .filter_map(|c| {
                let p = analyze::pinyin_of(&c)?;
                let d = edit_distance(&want, &p);
                (d <= (want.len() / 3).max(1) && c.chars().any(fanxing_core::text::is_cjk))
                    .then_some((d, c))
            })
            .collect();
        scored.sort();
        Ok(scored.into_iter().take(5).map(|(_, c)| c).collect())
    }
}

/// The stretch of `body` a snippet is cut from: about 400 characters from a
/// little before the first place one of `words` stands (the start when
/// none does), so that a long material is not segmented whole for every
/// hit on every search.
fn window<'a>(body: &'a str, words: &[String]) -> &'a str {
    const BEFORE: usize = 60;
    const LEN: usize = 400;
    let at = words
        .iter()
        .filter_map(|w| body.find(w.as_str()))
        .min()
        .unwrap_or(0);
    let start = body[..at]
        .char_indices()
        .rev()
        .nth(BEFORE)
        .map(|(i, _)| i)
        .unwrap_or(0);
    let end = body[start..]
        .char_indices()
        .nth(LEN)
        .map(|(i, _)| start + i)
        .unwrap_or(body.len());
    &body[start..end]
}

/// Levenshtein distance over bytes (pinyin is ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl SearchIndex for TantivyIndex {
    fn apply(&self, docs: &[Document], removed: &[DocumentId], seq: i64) -> Result<()> {
        let mut w = self
            .writer
            .lock()
            .map_err(|_| store_err("writer lock poisoned"))?;
        for id in removed.iter().chain(docs.iter().map(|d| &d.id)) {
            w.delete_term(Term::from_field_i64(self.fields.id, id.0));
        }
        for d in docs {
            w.add_document(self.to_doc(d)).map_err(store_err)?;
        }
        let mut commit = w.prepare_commit().map_err(store_err)?;
        commit.set_payload(&payload(seq));
        commit.commit().map_err(store_err)?;
        drop(w);
        self.reader.reload().map_err(store_err)?;
        self.seq.store(seq, Ordering::SeqCst);
        Ok(())
    }

    fn seq(&self) -> i64 {
        self.seq.load(Ordering::SeqCst)
    }

    fn clear(&self) -> Result<()> {
        let mut w = self
            .writer
            .lock()
            .map_err(|_| store_err("writer lock poisoned"))?;
        w.delete_all_documents().map_err(store_err)?;
        let mut commit = w.prepare_commit().map_err(store_err)?;
        commit.set_payload(&payload(0));
        commit.commit().map_err(store_err)?;
        drop(w);
        self.reader.reload().map_err(store_err)?;
        self.seq.store(0, Ordering::SeqCst);
        Ok(())
    }

    fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn search(&self, q: &SearchQuery, scope: &ReaderScope) -> Result<SearchResults> {
        let searcher = self.reader.searcher();
        let scope_q = self.scope_query(scope);
        let text_q = self.text_query(&q.text);
        let build = |with_filters: bool| -> Box<dyn Query> {
            let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            match &text_q {
                Some(t) => must.push((Occur::Must, Box::new(t.clone()))),
                None => must.push((Occur::Must, Box::new(AllQuery))),
            }
            if let Some(s) = &scope_q {
                must.push((Occur::Must, s.box_clone()));
            }
            if with_filters {
                for f in self.filter_queries(q) {
                    must.push((Occur::Must, f));
                }
            }
            Box::new(BooleanQuery::new(must))
        };
        let query = build(true);
        let mut facets = FacetCollector::for_field("facets");
        for name in ["/kind", "/industry", "/tier", "/competency"] {
            facets.add_facet(name);
        }
        // Regions one level below the filter (cities of the province,
        // counties of a city).
        let region_root = match q.filters.region {
            Some(r) => {
                let mut p = vec!["region".to_string()];
                p.extend(region_line(r).iter().map(|c| c.to_string()));
                Facet::from_path(p)
            }
            None => Facet::from_path(["region", "320000"]),
        };
        facets.add_facet(region_root.clone());
        let per_page = q.per_page.max(1);
        let offset = q.page * per_page;
        let top = TopDocs::with_limit(per_page).and_offset(offset);
        let (addresses, total, facet_counts): (Vec<(f32, tantivy::DocAddress)>, usize, _) =
            match (q.sort, text_q.is_some()) {
                (SortBy::Relevance, true) => searcher
                    .search(&query, &(top.order_by_score(), Count, facets))
                    .map_err(store_err)?,
                _ => {
                    let (docs, n, fc) = searcher
                        .search(
                            &query,
                            &(
                                top.order_by_fast_field::<i64>("published", Order::Desc),
                                Count,
                                facets,
                            ),
                        )
                        .map_err(store_err)?;
                    (docs.into_iter().map(|(_, a)| (0.0, a)).collect(), n, fc)
                }
            };
        let snippet_q = text_q.as_ref().map(|t| t as &dyn Query);
        // The query's words and their synonyms as they may stand in a text.
        let mut snippet_words: Vec<String> = analyze::words(&q.text)
            .into_iter()
            .map(|t| t.text)
            .filter(|w| w.chars().count() >= 2)
            .collect();
        snippet_words.extend(
            analyze::synonyms_for(&fanxing_core::text::fold(&q.text))
                .into_iter()
                .map(str::to_string),
        );
        let generator = match snippet_q {
            Some(sq) => {
                let mut g =
                    SnippetGenerator::create(&searcher, sq, self.fields.body).map_err(store_err)?;
                g.set_max_num_chars(160);
                Some(g)
            }
            None => None,
        };
        let f = &self.fields;
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, addr) in addresses {
            let doc: TantivyDocument = searcher.doc(addr).map_err(store_err)?;
            let str_of = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            let Some(id) = doc.get_first(f.id).and_then(|v| v.as_i64()) else {
                continue;
            };
            let Some(kind) = str_of(f.kind).and_then(|k| DocKind::parse(&k)) else {
                continue;
            };
            let Some(region) = str_of(f.region).and_then(|r| RegionCode::parse(&r)) else {
                continue;
            };
            hits.push(Hit {
                id: DocumentId(id),
                kind,
                title: str_of(f.title).unwrap_or_default(),
                snippet: self.snippet(generator.as_ref(), &snippet_words, &doc),
                industry: str_of(f.industry),
                region,
                published_at: doc
                    .get_first(f.published)
                    .and_then(|v| v.as_i64())
                    .unwrap_or(0),
                example: doc.get_first(f.example).and_then(|v| v.as_u64()) == Some(1),
                score,
            });
        }
        let mut facet_out = Vec::new();
        for name in fanxing_core::knowledge::search::FACETS {
            let root = if *name == "region" {
                region_root.clone()
            } else {
                Facet::from_path([*name])
            };
            let mut values: Vec<(String, u64)> = facet_counts
                .get(root.clone())
                .map(|(facet, n)| {
                    (
                        facet
                            .to_path()
                            .last()
                            .map(|s| s.to_string())
                            .unwrap_or_default(),
                        n,
                    )
                })
                .collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            facet_out.push(FacetCount { name, values });
        }
        let mut out = SearchResults {
            total: total as u64,
            hits,
            facets: facet_out,
            suggestions: Vec::new(),
            without_filters: None,
        };
        if total == 0 {
            if !q.filters.is_empty() {
                let n = searcher.search(&build(false), &Count).map_err(store_err)?;
                out.without_filters = Some(n as u64);
            }
            if !q.text.is_empty() {
                out.suggestions = self.suggestions(&q.text)?;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
