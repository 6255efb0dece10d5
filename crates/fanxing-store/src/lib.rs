//! Storage for Fanxing: the [`Store`] contract over SQLite (default) and
//! PostgreSQL, with one set of SQL.
//!
//! Both backends go through sqlx's `Any` driver. Queries use `$N` parameters
//! (which SQLite accepts too), 64-bit integers, text and blobs only, so one
//! statement runs on both; where the dialects differ, [`Backend`] decides.
//! Each backend has its own migrations under `migrations/<backend>/`, kept
//! in step (same versions and names; a test checks it).

mod analytics;
mod audit;
mod compliance;
mod curriculum;
mod knowledge;
mod matching;
mod migrations;
mod native;
mod paths;
mod people;
mod seed;
mod sql;
mod store;
mod training;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

pub use migrations::{migrate, MIGRATIONS};
pub use store::SqlStore;

/// Which database engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Decides the backend from the URL scheme.
    pub fn from_url(url: &str) -> Result<Backend, ConnectError> {
        let scheme = url.split(':').next().unwrap_or("");
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            other => Err(ConnectError::Scheme(other.to_string())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Why the database could not be opened. Each message is one line that says
/// what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("DATABASE_URL has the unknown scheme `{0}:`; use sqlite://PATH or postgres://USER@HOST:PORT/DB")]
    Scheme(String),
    #[error("cannot reach the database at {place}: {reason}; check DATABASE_URL and that the server is running")]
    Unreachable { place: String, reason: String },
    #[error("database migration failed: {0}")]
    Migrate(String),
}

/// The SQLite URL for a data directory (the file is created if missing).
pub fn sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("fanxing.db").display()
    )
}

/// Opens the database at `url`, runs pending migrations, and returns the store.
pub async fn open(url: &str, max_connections: u32) -> Result<Arc<SqlStore>, ConnectError> {
    let backend = Backend::from_url(url)?;
    let pool = connect(url, max_connections).await?;
    migrate(&pool, backend)
        .await
        .map_err(|e| ConnectError::Migrate(e.to_string()))?;
    let writer = match backend {
        // SQLite has one writer at a time: queue writers on one connection.
        Backend::Sqlite => connect(url, 1).await?,
        Backend::Postgres => pool.clone(),
    };
    let native = native::Native::connect(url).map_err(|e| ConnectError::Unreachable {
        place: redact(url),
        reason: one_line(&e.to_string()),
    })?;
    let mut store = SqlStore::new(pool.clone(), writer, backend).with_native(native);
    if backend == Backend::Sqlite {
        if let Some(journal_url) = training::checkin::journal_url(url) {
            let journal = training::checkin::Journal::open(&journal_url, pool)
                .await
                .map_err(|e| ConnectError::Migrate(e.to_string()))?;
            store = store.with_journal(journal);
        }
    }
    Ok(Arc::new(store))
}

/// Connects without migrating (for `fanxing migrate` and tests).
pub async fn connect(url: &str, max_connections: u32) -> Result<AnyPool, ConnectError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::from_url(url)?;
    let unreachable = |e: sqlx::Error| ConnectError::Unreachable {
        place: redact(url),
        reason: one_line(&e.to_string()),
    };
    // One plain connection first: fails at once when the server is down,
    // where the pool would keep retrying until its timeout.
    let probe = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .map_err(unreachable)?;
    let _ = sqlx::Connection::close(probe).await;
    let mut opts = AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10));
    if backend == Backend::Sqlite {
        opts = opts.after_connect(|conn, _meta| {
            Box::pin(async move {
                // WAL lets readers run beside the writer; NORMAL sync is
                // durable across process crashes (not power loss of the
                // last commits); the busy timeout queues writers instead of
                // failing them.
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                )
                .await?;
                Ok(())
            })
        });
    }
    opts.connect(url)
        .await
        .map_err(|e| ConnectError::Unreachable {
            place: redact(url),
            reason: one_line(&e.to_string()),
        })
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(Backend::from_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::from_url("postgres://a@b/c").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://a@b/c").unwrap(),
            Backend::Postgres
        );
        let e = Backend::from_url("mysql://a@b/c").unwrap_err().to_string();
        assert!(e.contains("`mysql:`"), "{e}");
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u@h:5432/db"
        );
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[tokio::test]
    async fn unreachable_database_is_one_clear_line() {
        let e = connect("postgres://nobody@127.0.0.1:1/none", 1)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("cannot reach the database at postgres://nobody@127.0.0.1:1/none"),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }
}
