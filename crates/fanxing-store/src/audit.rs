//! The audit log's SQL.

use async_trait::async_trait;

use fanxing_core::audit::{AuditEntry, AuditStore};
use fanxing_core::error::Result;

use crate::sql::{args, Sql};
use crate::store::{col, db, opt_id_col, SqlStore};

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, e: &AuditEntry) -> Result<()> {
        let mut q =
            Sql::new("INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (");
        q.binds(args![
            e.at,
            e.user_id,
            e.action.as_str(),
            e.target.as_str(),
            e.detail.as_str()
        ])
        .push(")");
        q.query().execute(self.writer()).await.map_err(db)?;
        Ok(())
    }

    async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let mut q = Sql::new(
            "SELECT at, user_id, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ",
        );
        q.bind(limit);
        q.fetch_map(self.pool(), |r| {
            Ok(AuditEntry {
                at: col(r, "at")?,
                user_id: opt_id_col(r, "user_id")?,
                action: col(r, "action")?,
                target: col(r, "target")?,
                detail: col(r, "detail")?,
            })
        })
        .await
    }
}
