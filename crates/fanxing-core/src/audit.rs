//! The audit log: who did what to which record, and when. Every feature's
//! service writes to it through [`Audit`].

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

use crate::auth::Actor;
use crate::error::{Error, Result};
use crate::people::UserId;

/// One line of the audit log: who did what to which record, and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: i64,
    pub user_id: Option<UserId>,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
    async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEntry>>;
}

/// Writes and reads the audit log; every feature service holds one.
#[derive(Clone)]
pub struct Audit {
    store: Arc<dyn AuditStore>,
}

impl Audit {
    pub fn new(store: Arc<dyn AuditStore>) -> Audit {
        Audit { store }
    }

    /// Records that `actor` did `action` to `target`.
    pub async fn record(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<()> {
        self.store
            .append_audit(&AuditEntry {
                at: crate::now(),
                user_id: Some(actor.user.id),
                action: action.to_string(),
                target: target.to_string(),
                detail: detail.to_string(),
            })
            .await
    }

    /// Records an entry as given (the CLI, which acts as no account).
    pub async fn append(&self, entry: &AuditEntry) -> Result<()> {
        self.store.append_audit(entry).await
    }

    /// The latest entries (programme office only).
    pub async fn entries(&self, actor: &Actor, limit: i64) -> Result<Vec<AuditEntry>> {
        if !actor.role().is_programme_office() {
            return Err(Error::Forbidden);
        }
        self.store.list_audit(limit.clamp(1, 1000)).await
    }
}
