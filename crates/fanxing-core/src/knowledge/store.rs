//! What the knowledge library stores: documents, and a log of changes that
//! search indexes catch up from. Implemented in SQL by `fanxing-store`.

use async_trait::async_trait;

use super::{DocStatus, Document, DocumentDraft, DocumentId};
use crate::error::Result;
use crate::people::{OrgId, UserId};
use crate::region::{RegionCode, RegionRange};

/// Who made a document and where it belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance {
    pub region: RegionCode,
    pub owner_org: Option<OrgId>,
    pub created_by: Option<UserId>,
}

/// One entry of the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub document: DocumentId,
}

/// What became of a material's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialText {
    pub material: i64,
    pub document: Option<DocumentId>,
    /// A message key saying why there is no text.
    pub error: Option<String>,
}

#[async_trait]
pub trait KnowledgeStore: Send + Sync {
    /// Stores new documents with their status, all or none, logging each.
    async fn create_documents(
        &self,
        docs: &[(DocumentDraft, Provenance, DocStatus)],
        now: i64,
    ) -> Result<Vec<DocumentId>>;
    /// Replaces a document's content (region kept unless the draft names
    /// one), logging the change.
    async fn update_document(&self, id: DocumentId, draft: &DocumentDraft, now: i64) -> Result<()>;
    /// Moves a document to `status` (publishing stamps the time once),
    /// logging the change.
    async fn set_document_status(&self, id: DocumentId, status: DocStatus, now: i64) -> Result<()>;
    async fn document(&self, id: DocumentId) -> Result<Option<Document>>;
    async fn documents_by_ids(&self, ids: &[DocumentId]) -> Result<Vec<Document>>;
    /// Documents whose region lies in `range`, newest change first.
    async fn documents_in(
        &self,
        range: RegionRange,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Document>, i64)>;
    /// Stores a course material's text as a published document and records
    /// it as the material's, in one transaction (replacing an earlier one).
    async fn create_material_document(
        &self,
        material: i64,
        doc: &DocumentDraft,
        prov: Provenance,
        now: i64,
    ) -> Result<DocumentId>;
    /// Records why a material's text could not be extracted.
    async fn flag_material(&self, material: i64, error: &str, now: i64) -> Result<()>;
    /// For each of `materials` that has one: its document, or its error.
    async fn material_texts(&self, materials: &[i64]) -> Result<Vec<MaterialText>>;
    /// Log entries after `seq`, oldest first, at most `limit`.
    async fn changes_since(&self, seq: i64, limit: i64) -> Result<Vec<Change>>;
}
