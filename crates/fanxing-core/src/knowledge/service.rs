//! The knowledge library's use cases: offices write and publish, everyone
//! reads what their scope allows, and the search index catches up from the
//! store's change log.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use super::search::{ReaderScope, SearchIndex, SearchQuery, SearchResults};
use super::store::{KnowledgeStore, Provenance};
use super::{region_line, DocStatus, Document, DocumentDraft, DocumentId, DocumentInput};
use crate::audit::Audit;
use crate::auth::{Actor, LibraryReader};
use crate::curriculum::store::CurriculumStore;
use crate::error::{Error, Result};
use crate::people::home_region::HomeRegions;
use crate::people::store::PeopleStore;
use crate::region::RegionCode;

/// Change-log entries re-read behind the index's own position, so that an
/// entry whose transaction committed after a later one (PostgreSQL hands
/// out sequence numbers before commit) is still applied. Entries already
/// applied are remembered and skipped.
pub const LOOKBACK: i64 = 256;
/// Log entries read per round of catching up.
const BATCH: i64 = 500;
/// The most results a page may ask for, and the deepest page.
pub const MAX_PER_PAGE: usize = 50;
pub const MAX_PAGE: usize = 100;
/// The longest query read (characters); the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 100;

#[derive(Clone)]
pub struct KnowledgeService {
    store: Arc<dyn KnowledgeStore>,
    curriculum: Arc<dyn CurriculumStore>,
    audit: Audit,
    index: Arc<dyn SearchIndex>,
    /// Log entries applied within the look-back window.
    applied: Arc<Mutex<BTreeSet<i64>>>,
    /// One catch-up at a time.
    catching_up: Arc<tokio::sync::Mutex<()>>,
    regions: HomeRegions,
}

fn poisoned() -> Error {
    Error::Store("knowledge: lock poisoned".into())
}

impl KnowledgeService {
    pub fn new(
        store: Arc<dyn KnowledgeStore>,
        people: Arc<dyn PeopleStore>,
        curriculum: Arc<dyn CurriculumStore>,
        audit: Audit,
        index: Arc<dyn SearchIndex>,
    ) -> KnowledgeService {
        KnowledgeService {
            store,
            curriculum,
            audit,
            index,
            applied: Arc::new(Mutex::new(BTreeSet::new())),
            catching_up: Arc::new(tokio::sync::Mutex::new(())),
            regions: HomeRegions::new(people),
        }
    }

    /// The reader's scope: what of the library they may see.
    pub async fn scope(&self, actor: Option<&Actor>) -> Result<ReaderScope> {
        let Some(actor) = actor else {
            return Ok(ReaderScope::Public);
        };
        Ok(match actor.library_reader() {
            LibraryReader::All => ReaderScope::Everything,
            LibraryReader::Office(region) => ReaderScope::Office {
                line: region_line(region),
                region,
            },
            LibraryReader::Member => match self.regions.of(actor).await? {
                Some(r) => ReaderScope::Member {
                    line: region_line(r),
                },
                None => ReaderScope::Public,
            },
        })
    }

    /// Searches the published documents the caller may read.
    pub async fn search(
        &self,
        actor: Option<&Actor>,
        mut query: SearchQuery,
    ) -> Result<SearchResults> {
        let scope = self.scope(actor).await?;
        query.text = query.text.trim().chars().take(MAX_QUERY_CHARS).collect();
        query.per_page = query.per_page.clamp(1, MAX_PER_PAGE);
        query.page = query.page.min(MAX_PAGE);
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.search(&query, &scope))
            .await
            .map_err(|e| Error::Store(format!("search task: {e}")))?
    }

    /// A document the caller may read: published and in their scope, or
    /// (offices) any document of their region. Otherwise "not found", so
    /// that nobody learns a hidden document exists.
    pub async fn document(&self, actor: Option<&Actor>, id: DocumentId) -> Result<Document> {
        let doc = self.store.document(id).await?.ok_or(Error::NotFound)?;
        if let Some(range) = actor.and_then(|a| a.office_range()) {
            if range.contains(doc.region) {
                return Ok(doc);
            }
        }
        let scope = self.scope(actor).await?;
        if doc.status == DocStatus::Published && scope.allows(doc.visibility, doc.region) {
            Ok(doc)
        } else {
            Err(Error::NotFound)
        }
    }

    /// The documents of the office's region (drafts included), newest
    /// change first.
    pub async fn office_documents(
        &self,
        actor: &Actor,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<Document>, i64)> {
        let range = actor.write_range()?;
        let per_page = per_page.clamp(1, 100);
        self.store
            .documents_in(range, page.max(0) * per_page, per_page)
            .await
    }

    async fn competency_codes(&self) -> Result<Vec<String>> {
        Ok(self
            .curriculum
            .list_competencies()
            .await?
            .into_iter()
            .map(|c| c.code)
            .collect())
    }

    /// Validates `input` for an office: the region defaults to the office's
    /// own and must lie within it.
    async fn draft(
        &self,
        actor: &Actor,
        input: &DocumentInput,
    ) -> Result<(DocumentDraft, RegionCode)> {
        let range = actor.write_range()?;
        let draft = input.validate(&self.competency_codes().await?)?;
        let region = match (draft.region, actor.user.region) {
            (Some(r), _) => r,
            (None, Some(own)) => own,
            (None, None) => return Err(Error::Forbidden),
        };
        crate::auth::require_in_range(range, region, "region")?;
        Ok((draft, region))
    }

    /// Writes a new document (offices), as a draft or published at once.
    pub async fn create(
        &self,
        actor: &Actor,
        input: &DocumentInput,
        publish: bool,
    ) -> Result<DocumentId> {
        let (draft, region) = self.draft(actor, input).await?;
        let status = if publish {
            DocStatus::Published
        } else {
            DocStatus::Draft
        };
        let prov = Provenance {
            region,
            owner_org: actor.user.org_id,
            created_by: Some(actor.user.id),
        };
        let ids = self
            .store
            .create_documents(&[(draft, prov, status)], crate::now())
            .await?;
        let id = *ids.first().ok_or(Error::NotFound)?;
        self.audit
            .record(
                actor,
                "knowledge.create",
                &format!("document:{id}"),
                status.as_str(),
            )
            .await?;
        self.catch_up().await?;
        Ok(id)
    }

    /// Replaces a document's content (offices over its region).
    pub async fn update(&self, actor: &Actor, id: DocumentId, input: &DocumentInput) -> Result<()> {
        let doc = self.editable(actor, id).await?;
        let (mut draft, region) = self.draft(actor, input).await?;
        draft.region = Some(
            if input
                .region
                .as_deref()
                .is_some_and(|r| !r.trim().is_empty())
            {
                region
            } else {
                doc.region
            },
        );
        self.store.update_document(id, &draft, crate::now()).await?;
        self.audit
            .record(actor, "knowledge.update", &format!("document:{id}"), "")
            .await?;
        self.catch_up().await?;
        Ok(())
    }

    /// Publishes, withdraws or returns a document to draft.
    pub async fn set_status(&self, actor: &Actor, id: DocumentId, status: DocStatus) -> Result<()> {
        self.editable(actor, id).await?;
        self.store
            .set_document_status(id, status, crate::now())
            .await?;
        self.audit
            .record(
                actor,
                "knowledge.status",
                &format!("document:{id}"),
                status.as_str(),
            )
            .await?;
        self.catch_up().await?;
        Ok(())
    }

    async fn editable(&self, actor: &Actor, id: DocumentId) -> Result<Document> {
        let range = actor.write_range()?;
        let doc = self.store.document(id).await?.ok_or(Error::NotFound)?;
        if !range.contains(doc.region) {
            return Err(Error::NotFound);
        }
        Ok(doc)
    }

    /// Stores many documents at once, published (the demo corpus and bulk
    /// loads from the command line).
    pub async fn load(&self, docs: Vec<(DocumentDraft, Provenance)>) -> Result<usize> {
        let codes = self.competency_codes().await?;
        for (d, _) in &docs {
            if let Some(c) = d.competencies.iter().find(|c| !codes.contains(c)) {
                return Err(Error::Message(format!(
                    "unknown competency {c} in “{}”",
                    d.title
                )));
            }
        }
        let rows: Vec<_> = docs
            .into_iter()
            .map(|(d, p)| (d, p, DocStatus::Published))
            .collect();
        let n = rows.len();
        for chunk in rows.chunks(500) {
            self.store.create_documents(chunk, crate::now()).await?;
        }
        self.catch_up().await?;
        Ok(n)
    }

    /// Brings the search index up to date with the store's change log.
    /// Returns how many log entries were applied.
    pub async fn catch_up(&self) -> Result<usize> {
        let _one = self.catching_up.lock().await;
        let mut applied_now = 0;
        loop {
            let from = (self.index.seq() - LOOKBACK).max(0);
            let changes = self.store.changes_since(from, BATCH).await?;
            let fresh: Vec<_> = {
                let applied = self.applied.lock().map_err(|_| poisoned())?;
                changes
                    .iter()
                    .filter(|c| !applied.contains(&c.seq))
                    .copied()
                    .collect()
            };
            if fresh.is_empty() {
                return Ok(applied_now);
            }
            let mut ids: Vec<DocumentId> = fresh.iter().map(|c| c.document).collect();
            ids.sort();
            ids.dedup();
            let docs = self.store.documents_by_ids(&ids).await?;
            let (live, gone): (Vec<Document>, Vec<Document>) = docs
                .into_iter()
                .partition(|d| d.status == DocStatus::Published);
            let mut removed: Vec<DocumentId> = gone.iter().map(|d| d.id).collect();
            removed.extend(ids.iter().filter(|id| {
                !live.iter().any(|d| d.id == **id) && !gone.iter().any(|d| d.id == **id)
            }));
            let top = fresh
                .iter()
                .map(|c| c.seq)
                .max()
                .unwrap_or(0)
                .max(self.index.seq());
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || index.apply(&live, &removed, top))
                .await
                .map_err(|e| Error::Store(format!("index task: {e}")))??;
            {
                let mut applied = self.applied.lock().map_err(|_| poisoned())?;
                applied.extend(fresh.iter().map(|c| c.seq));
                let floor = top - LOOKBACK;
                *applied = applied.split_off(&floor);
            }
            applied_now += fresh.len();
            if (changes.len() as i64) < BATCH {
                return Ok(applied_now);
            }
        }
    }

    /// Empties the index and builds it again from the store.
    pub async fn rebuild(&self) -> Result<usize> {
        {
            let _one = self.catching_up.lock().await;
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || index.clear())
                .await
                .map_err(|e| Error::Store(format!("index task: {e}")))??;
            self.applied.lock().map_err(|_| poisoned())?.clear();
        }
        self.catch_up().await
    }

    /// Makes an uploaded course material searchable: its text extracted
    /// (off the async workers) into a published document for the
    /// programme's members of the course's region, or — when no text can
    /// be had — the reason recorded for those who edit the course. The
    /// caller has already stored the file and checked who may upload.
    /// Returns the reason's message key when there is no text.
    pub async fn index_material(
        &self,
        course: &crate::curriculum::Course,
        material: &crate::curriculum::Material,
        bytes: Vec<u8>,
    ) -> Result<Option<&'static str>> {
        if !super::extract::has_text(&material.content_type) {
            return Ok(None);
        }
        let ctype = material.content_type.clone();
        let text = tokio::task::spawn_blocking(move || super::extract::extract(&ctype, &bytes))
            .await
            .map_err(|e| Error::Store(format!("extract task: {e}")))?;
        let now = crate::now();
        let text = match text {
            Ok(t) => t,
            Err(key) => {
                self.store.flag_material(material.id, key, now).await?;
                return Ok(Some(key));
            }
        };
        let (stem, ext) = match material.filename.rsplit_once('.') {
            Some((s, e)) => (s.to_string(), Some(e.to_ascii_lowercase())),
            None => (material.filename.clone(), None),
        };
        // A course of the programme office's curriculum is the province's.
        let Some(region) = course
            .owner_region
            .or_else(|| RegionCode::from_value(320_000))
        else {
            return Ok(None);
        };
        let draft = DocumentDraft {
            kind: super::DocKind::Material,
            title: stem.chars().take(super::MAX_TITLE_CHARS).collect(),
            summary: format!("《{}》", course.title),
            body: text,
            industry: None,
            region: Some(region),
            tiers: course.tiers.clone(),
            competencies: course.competencies.iter().map(|c| c.code.clone()).collect(),
            tags: Vec::new(),
            visibility: super::Visibility::Trainees,
            example: false,
            details: super::Details {
                course: Some(format!("《{}》", course.title)),
                format: ext,
                material: Some(material.id),
                ..Default::default()
            },
        };
        let prov = Provenance {
            region,
            owner_org: None,
            created_by: None,
        };
        self.store
            .create_material_document(material.id, &draft, prov, now)
            .await?;
        self.catch_up().await?;
        Ok(None)
    }

    /// What became of each material's text (for the course page).
    pub async fn material_texts(
        &self,
        materials: &[i64],
    ) -> Result<Vec<super::store::MaterialText>> {
        self.store.material_texts(materials).await
    }

    /// Whether the library holds no document at all (drafts included).
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(self.store.changes_since(0, 1).await?.is_empty())
    }

    /// How many documents the index holds, and the log position it reflects.
    pub fn index_state(&self) -> (u64, i64) {
        (self.index.len(), self.index.seq())
    }
}
