//! The backends' own drivers beside the portable one, for the few reads of
//! tens of thousands of rows where the portable driver's per-row
//! conversion costs more than the query (evaluating every open need for a
//! changed offer reads 43,000 needs and 172,000 facts). The same SQL text
//! runs on either; rows are decoded by column position through [`Cols`],
//! which every row type implements, so a statement has one decoder
//! whichever driver ran it.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::AnyRow;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::Row;

use fanxing_core::error::Result;

use crate::sql::{Arg, Sql};
use crate::store::db;

/// Connections the read pool of the backend's own driver holds.
const NATIVE_CONNECTIONS: u32 = 4;

/// Rows a SQLite read may run ahead of its reader.
const ROW_BUFFER: usize = 4096;

/// A read-only pool of the backend's own driver.
pub enum Native {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Native {
    /// A pool for reads of `url`, connecting when first used and letting
    /// idle connections go. `None` where a second pool would not see the
    /// same data (an in-memory SQLite database).
    pub fn connect(url: &str) -> std::result::Result<Option<Native>, sqlx::Error> {
        let idle = Some(Duration::from_secs(60));
        if url.starts_with("postgres") {
            let pool = PgPoolOptions::new()
                .max_connections(NATIVE_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(10))
                .idle_timeout(idle)
                .connect_lazy(url)?;
            return Ok(Some(Native::Postgres(pool)));
        }
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Ok(None);
        }
        // Rows come from SQLite's worker thread through a channel: a large
        // one lets the worker run ahead instead of waking the reader every
        // 50 rows.
        let opts = SqliteConnectOptions::from_str(url)?
            .read_only(true)
            .busy_timeout(Duration::from_secs(10))
            .row_buffer_size(ROW_BUFFER);
        let pool = SqlitePoolOptions::new()
            .max_connections(NATIVE_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .idle_timeout(idle)
            .connect_lazy_with(opts);
        Ok(Some(Native::Sqlite(pool)))
    }
}

/// A row's columns by position, whichever driver read it.
pub trait Cols {
    fn int(&self, i: usize) -> Result<i64>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    fn text(&self, i: usize) -> Result<String>;
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
}

macro_rules! cols_for {
    ($($row:ty),+) => {$(
        impl Cols for $row {
            fn int(&self, i: usize) -> Result<i64> {
                self.try_get(i).map_err(db)
            }
            fn opt_int(&self, i: usize) -> Result<Option<i64>> {
                self.try_get(i).map_err(db)
            }
            fn text(&self, i: usize) -> Result<String> {
                self.try_get(i).map_err(db)
            }
            fn opt_text(&self, i: usize) -> Result<Option<String>> {
                self.try_get(i).map_err(db)
            }
        }
    )+};
}
cols_for!(AnyRow, SqliteRow, PgRow);

impl Sql {
    /// Runs the statement on `native` when there is one (else on `pool`,
    /// the portable driver) and decodes every row with `decode`.
    pub async fn fetch_cols<T>(
        self,
        native: Option<&Native>,
        pool: &sqlx::AnyPool,
        backend: crate::Backend,
        mut decode: impl FnMut(&dyn Cols) -> Result<T>,
    ) -> Result<Vec<T>> {
        let q = self.on(backend);
        // The same statement and values on either driver.
        macro_rules! run_on {
            ($db:ty, $pool:expr) => {{
                let mut s = sqlx::query::<$db>(&q.text);
                for a in q.args() {
                    s = match a {
                        Arg::Int(v) => s.bind(*v),
                        Arg::Text(v) => s.bind(v.as_deref()),
                        Arg::Static(v) => s.bind(*v),
                        Arg::Blob(v) => s.bind(v.as_deref()),
                    };
                }
                let rows = s.fetch_all($pool).await.map_err(db)?;
                rows.iter().map(|r| decode(r)).collect()
            }};
        }
        match native {
            Some(Native::Sqlite(p)) => run_on!(sqlx::Sqlite, p),
            Some(Native::Postgres(p)) => run_on!(sqlx::Postgres, p),
            None => {
                let rows = q.query().fetch_all(pool).await.map_err(db)?;
                rows.iter().map(|r| decode(r)).collect()
            }
        }
    }
}
