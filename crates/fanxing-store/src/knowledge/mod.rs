//! The knowledge library's SQL: documents and the change log.

use async_trait::async_trait;
use sqlx::any::AnyRow;

use fanxing_core::error::Result;
use fanxing_core::knowledge::store::{Change, KnowledgeStore, MaterialText, Provenance};
use fanxing_core::knowledge::{
    DocKind, DocStatus, Document, DocumentDraft, DocumentId, Visibility,
};
use fanxing_core::people::{OrgId, Tier, UserId};
use fanxing_core::region::RegionRange;

use crate::sql::{args, Sql};
use crate::store::{bad, col, db, region_code, SqlStore};

const COLUMNS: &str = "id, kind, title, summary, body, industry, region, tiers, competencies, \
     tags, visibility, status, example, details, owner_org_id, created_by, created_at, \
     updated_at, published_at";

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn parse_json<T: serde::de::DeserializeOwned>(row: &AnyRow, name: &str) -> Result<T> {
    let s: String = col(row, name)?;
    serde_json::from_str(&s).map_err(|_| bad(name, &s))
}

fn document_from(row: &AnyRow) -> Result<Document> {
    let kind: String = col(row, "kind")?;
    let vis: String = col(row, "visibility")?;
    let status: String = col(row, "status")?;
    let tiers: Vec<String> = parse_json(row, "tiers")?;
    Ok(Document {
        id: DocumentId(col(row, "id")?),
        kind: DocKind::parse(&kind).ok_or_else(|| bad("kind", &kind))?,
        title: col(row, "title")?,
        summary: col(row, "summary")?,
        body: col(row, "body")?,
        industry: col(row, "industry")?,
        region: region_code(col(row, "region")?)?,
        tiers: tiers.iter().filter_map(|t| Tier::parse(t)).collect(),
        competencies: parse_json(row, "competencies")?,
        tags: parse_json(row, "tags")?,
        visibility: Visibility::parse(&vis).ok_or_else(|| bad("visibility", &vis))?,
        status: DocStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        example: col::<i64>(row, "example")? != 0,
        details: parse_json(row, "details")?,
        owner_org: col::<Option<i64>>(row, "owner_org_id")?.map(OrgId),
        created_by: col::<Option<i64>>(row, "created_by")?.map(UserId),
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        published_at: col(row, "published_at")?,
    })
}

fn tier_codes(d: &DocumentDraft) -> Vec<&'static str> {
    d.tiers.iter().map(|t| t.as_str()).collect()
}

async fn log_change(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: i64, now: i64) -> Result<()> {
    let mut q = Sql::new("INSERT INTO knowledge_changes (document_id, at) VALUES (");
    q.binds(args![id, now]).push(")");
    q.query().execute(&mut **tx).await.map_err(db)?;
    Ok(())
}

async fn insert_document(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    d: &DocumentDraft,
    p: &Provenance,
    status: DocStatus,
    now: i64,
) -> Result<DocumentId> {
    let published = (status == DocStatus::Published).then_some(now);
    let mut q = Sql::new(
        "INSERT INTO knowledge_documents (kind, title, summary, body, industry, region, \
         tiers, competencies, tags, visibility, status, example, details, owner_org_id, \
         created_by, created_at, updated_at, published_at) VALUES (",
    );
    q.binds(args![
        d.kind.as_str(),
        d.title.as_str(),
        d.summary.as_str(),
        d.body.as_str(),
        d.industry.clone(),
        i64::from(p.region.value()),
        json(&tier_codes(d)),
        json(&d.competencies),
        json(&d.tags),
        d.visibility.as_str(),
        status.as_str(),
        i64::from(d.example),
        json(&d.details),
        p.owner_org.map(|o| o.0),
        p.created_by.map(|u| u.0),
        now,
        now,
        published
    ])
    .push(") RETURNING id");
    let id: i64 = col(&q.query().fetch_one(&mut **tx).await.map_err(db)?, "id")?;
    log_change(tx, id, now).await?;
    Ok(DocumentId(id))
}

/// Replaces a material's record (document or error) inside `tx`; an
/// earlier document of the material is withdrawn (and logged).
async fn set_material_text(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    material: i64,
    document: Option<i64>,
    error: Option<&str>,
    now: i64,
) -> Result<()> {
    let mut old = Sql::new("SELECT document_id FROM knowledge_material_text WHERE material_id = ");
    old.bind(material);
    let before: Option<Option<i64>> =
        match old.query().fetch_optional(&mut **tx).await.map_err(db)? {
            Some(r) => Some(col(&r, "document_id")?),
            None => None,
        };
    if let Some(Some(doc)) = before {
        let mut q = Sql::new("UPDATE knowledge_documents SET status = 'withdrawn', updated_at = ");
        q.bind(now).push(" WHERE id = ").bind(doc);
        q.query().execute(&mut **tx).await.map_err(db)?;
        log_change(tx, doc, now).await?;
    }
    let mut del = Sql::new("DELETE FROM knowledge_material_text WHERE material_id = ");
    del.bind(material);
    del.query().execute(&mut **tx).await.map_err(db)?;
    let mut q = Sql::new(
        "INSERT INTO knowledge_material_text (material_id, document_id, error, at) VALUES (",
    );
    q.binds(args![material, document, error, now]).push(")");
    q.query().execute(&mut **tx).await.map_err(db)?;
    Ok(())
}

#[async_trait]
impl KnowledgeStore for SqlStore {
    async fn create_documents(
        &self,
        docs: &[(DocumentDraft, Provenance, DocStatus)],
        now: i64,
    ) -> Result<Vec<DocumentId>> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut ids = Vec::with_capacity(docs.len());
        for (d, p, status) in docs {
            ids.push(insert_document(&mut tx, d, p, *status, now).await?);
        }
        tx.commit().await.map_err(db)?;
        Ok(ids)
    }

    async fn update_document(&self, id: DocumentId, d: &DocumentDraft, now: i64) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut q = Sql::new("UPDATE knowledge_documents SET kind = ");
        q.bind(d.kind.as_str())
            .push(", title = ")
            .bind(d.title.as_str())
            .push(", summary = ")
            .bind(d.summary.as_str())
            .push(", body = ")
            .bind(d.body.as_str())
            .push(", industry = ")
            .bind(d.industry.clone())
            .push(", tiers = ")
            .bind(json(&tier_codes(d)))
            .push(", competencies = ")
            .bind(json(&d.competencies))
            .push(", tags = ")
            .bind(json(&d.tags))
            .push(", visibility = ")
            .bind(d.visibility.as_str())
            .push(", example = ")
            .bind(i64::from(d.example))
            .push(", details = ")
            .bind(json(&d.details))
            .push(", updated_at = ")
            .bind(now);
        if let Some(r) = d.region {
            q.push(", region = ").bind(i64::from(r.value()));
        }
        q.push(" WHERE id = ").bind(id.0);
        q.query().execute(&mut *tx).await.map_err(db)?;
        log_change(&mut tx, id.0, now).await?;
        tx.commit().await.map_err(db)
    }

    async fn set_document_status(&self, id: DocumentId, status: DocStatus, now: i64) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut q = Sql::new("UPDATE knowledge_documents SET status = ");
        q.bind(status.as_str()).push(", updated_at = ").bind(now);
        if status == DocStatus::Published {
            q.push(", published_at = COALESCE(published_at, ")
                .bind(now)
                .push(")");
        }
        q.push(" WHERE id = ").bind(id.0);
        q.query().execute(&mut *tx).await.map_err(db)?;
        log_change(&mut tx, id.0, now).await?;
        tx.commit().await.map_err(db)
    }

    async fn document(&self, id: DocumentId) -> Result<Option<Document>> {
        let mut q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM knowledge_documents WHERE id = "
        ));
        q.bind(id.0);
        q.query()
            .fetch_optional(self.pool())
            .await
            .map_err(db)?
            .map(|r| document_from(&r))
            .transpose()
    }

    async fn documents_by_ids(&self, ids: &[DocumentId]) -> Result<Vec<Document>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let raw: Vec<i64> = chunk.iter().map(|i| i.0).collect();
            let mut q = Sql::new(&format!(
                "SELECT {COLUMNS} FROM knowledge_documents WHERE id"
            ));
            q.in_list(&raw);
            for r in q.query().fetch_all(self.pool()).await.map_err(db)? {
                out.push(document_from(&r)?);
            }
        }
        Ok(out)
    }

    async fn documents_in(
        &self,
        range: RegionRange,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Document>, i64)> {
        let mut count = Sql::new(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM knowledge_documents WHERE region BETWEEN ",
        );
        count
            .bind(i64::from(range.lo))
            .push(" AND ")
            .bind(i64::from(range.hi));
        let total: i64 = col(
            &count.query().fetch_one(self.pool()).await.map_err(db)?,
            "n",
        )?;
        let mut q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM knowledge_documents WHERE region BETWEEN "
        ));
        q.bind(i64::from(range.lo))
            .push(" AND ")
            .bind(i64::from(range.hi))
            .push(" ORDER BY updated_at DESC, id DESC LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset);
        let rows = q.query().fetch_all(self.pool()).await.map_err(db)?;
        let docs = rows.iter().map(document_from).collect::<Result<Vec<_>>>()?;
        Ok((docs, total))
    }

    async fn create_material_document(
        &self,
        material: i64,
        doc: &DocumentDraft,
        prov: Provenance,
        now: i64,
    ) -> Result<DocumentId> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let id = insert_document(&mut tx, doc, &prov, DocStatus::Published, now).await?;
        set_material_text(&mut tx, material, Some(id.0), None, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(id)
    }

    async fn flag_material(&self, material: i64, error: &str, now: i64) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        set_material_text(&mut tx, material, None, Some(error), now).await?;
        tx.commit().await.map_err(db)
    }

    async fn material_texts(&self, materials: &[i64]) -> Result<Vec<MaterialText>> {
        if materials.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(
            "SELECT material_id, document_id, error FROM knowledge_material_text WHERE material_id",
        );
        q.in_list(materials);
        q.fetch_map(self.pool(), |r| {
            Ok(MaterialText {
                material: col(r, "material_id")?,
                document: col::<Option<i64>>(r, "document_id")?.map(DocumentId),
                error: col(r, "error")?,
            })
        })
        .await
    }

    async fn changes_since(&self, seq: i64, limit: i64) -> Result<Vec<Change>> {
        let mut q = Sql::new("SELECT seq, document_id FROM knowledge_changes WHERE seq > ");
        q.bind(seq).push(" ORDER BY seq LIMIT ").bind(limit);
        q.fetch_map(self.pool(), |r| {
            Ok(Change {
                seq: col(r, "seq")?,
                document: DocumentId(col(r, "document_id")?),
            })
        })
        .await
    }
}
