//! [`SqlStore`], the one implementation of every store contract, in
//! portable SQL for SQLite and PostgreSQL, and the helpers its feature
//! folders share (row decoding, binds, column lists).

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use fanxing_core::auth::{Access, Role, User};
use fanxing_core::error::{Error, Result};
use fanxing_core::people::store::PersonRow;
use fanxing_core::people::{OrgDraft, OrgKind, Organisation, Person, SalesBand, Tier};
use fanxing_core::region::{Region, RegionCode, RegionLevel};
use fanxing_core::store::Page;

use crate::sql::{args, Id, Sql};
use crate::Backend;

/// The SQL store. Holds a pool; cheap to share behind an `Arc`.
pub struct SqlStore {
    pool: AnyPool,
    writer: AnyPool,
    backend: Backend,
    /// Started on first use, on the runtime that uses it.
    checkins: std::sync::OnceLock<crate::training::checkin::GroupCommit>,
    /// SQLite's scan journal (see [`crate::training::checkin`]).
    journal: Option<crate::training::checkin::Journal>,
    /// The backend's own driver, for reads of many rows (see
    /// [`crate::native`]).
    native: Option<crate::native::Native>,
}

impl SqlStore {
    /// `writer` serves every statement that writes. On SQLite it is a pool
    /// of one connection, so writers queue fairly in the pool instead of
    /// spinning on SQLite's busy handler; on PostgreSQL it is `pool` itself.
    pub fn new(pool: AnyPool, writer: AnyPool, backend: Backend) -> SqlStore {
        SqlStore {
            pool,
            writer,
            backend,
            checkins: std::sync::OnceLock::new(),
            journal: None,
            native: None,
        }
    }

    /// Reads many rows through the backend's own driver.
    pub(crate) fn with_native(mut self, native: Option<crate::native::Native>) -> SqlStore {
        self.native = native;
        self
    }

    /// Runs `q` (a read) and decodes its rows by position: through the
    /// backend's own driver when the store has one, for reads of many rows.
    pub(crate) async fn fetch_cols<T>(
        &self,
        q: Sql,
        decode: impl FnMut(&dyn crate::native::Cols) -> Result<T>,
    ) -> Result<Vec<T>> {
        q.fetch_cols(self.native.as_ref(), &self.pool, self.backend, decode)
            .await
    }

    /// Applies the check-ins a crash left in the scan journal (SQLite); the
    /// server calls it once it holds the data directory, before serving,
    /// so that a command run beside it never takes the server's journal.
    pub async fn recover_checkins(&self) -> Result<usize> {
        match &self.journal {
            None => Ok(0),
            Some(j) => crate::training::checkin::drain(&self.writer, j).await,
        }
    }

    pub(crate) fn journal(&self) -> Option<&crate::training::checkin::Journal> {
        self.journal.as_ref()
    }

    /// Journals check-ins that arrive while the writer is busy (SQLite).
    pub(crate) fn with_journal(mut self, journal: crate::training::checkin::Journal) -> SqlStore {
        self.journal = Some(journal);
        self
    }

    /// The pool for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which engine this is, where the dialects differ.
    pub(crate) fn backend_kind(&self) -> Backend {
        self.backend
    }

    /// The pool for writes.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// The group-commit writer for check-in scans.
    pub(crate) fn checkins(&self) -> &crate::training::checkin::GroupCommit {
        self.checkins.get_or_init(|| {
            crate::training::checkin::GroupCommit::start(
                self.writer.clone(),
                self.backend,
                self.journal.clone(),
            )
        })
    }
}

/// Logs a database error and hides it behind an opaque domain error.
pub(crate) fn db(e: sqlx::Error) -> Error {
    tracing::error!(error = %e, "database error");
    Error::Store(e.to_string())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Decodes a column or fails with an opaque storage error.
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name).map_err(db)
}

/// Decodes an id column as its id type: `id_col::<PersonId>(row, "id")`.
/// A text column holding one of a choice's values (a tier, a size tier …),
/// parsed, or an error naming the column and the value.
pub(crate) fn choice_col<T>(
    row: &AnyRow,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T> {
    let v: String = col(row, name)?;
    parse(&v).ok_or_else(|| bad(name, &v))
}

pub(crate) fn id_col<T: Id>(row: &AnyRow, name: &str) -> Result<T> {
    col::<i64>(row, name).map(T::from_db)
}

/// Decodes a nullable id column as its id type.
pub(crate) fn opt_id_col<T: Id>(row: &AnyRow, name: &str) -> Result<Option<T>> {
    col::<Option<i64>>(row, name).map(|v| v.map(T::from_db))
}

pub(crate) fn region_code(v: i64) -> Result<RegionCode> {
    u32::try_from(v)
        .ok()
        .and_then(RegionCode::from_value)
        .ok_or_else(|| Error::Store(format!("bad region code in database: {v}")))
}

pub(crate) fn bad(what: &str, v: &str) -> Error {
    Error::Store(format!("bad {what} in database: {v}"))
}

pub(crate) const PERSON_SELECT: &str =
    "SELECT p.id, p.name, p.mobile, p.id_number_masked, p.tier, p.org_id, \
     o.name AS org_name, p.region, r.name AS region_name, p.created_at, p.updated_at \
     FROM people p JOIN regions r ON r.code = p.region \
     LEFT JOIN organisations o ON o.id = p.org_id WHERE 1=1";

pub(crate) fn person_from(row: &AnyRow) -> Result<Person> {
    let tier: String = col(row, "tier")?;
    Ok(Person {
        id: id_col(row, "id")?,
        name: col(row, "name")?,
        mobile: col(row, "mobile")?,
        id_number_masked: col(row, "id_number_masked")?,
        tier: Tier::parse(&tier).ok_or_else(|| bad("tier", &tier))?,
        org_id: opt_id_col(row, "org_id")?,
        org_name: col(row, "org_name")?,
        region: region_code(col(row, "region")?)?,
        region_name: col(row, "region_name")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

pub(crate) const ORG_SELECT: &str =
    "SELECT o.id, o.name, o.kind, o.industry, o.sales_band, o.credit_code, \
     o.region, r.name AS region_name, o.created_at, o.updated_at, \
     (SELECT COUNT(*) FROM people x WHERE x.org_id = o.id) AS people_count \
     FROM organisations o JOIN regions r ON r.code = o.region WHERE 1=1";

pub(crate) fn org_from(row: &AnyRow) -> Result<Organisation> {
    let kind: String = col(row, "kind")?;
    let band: Option<String> = col(row, "sales_band")?;
    Ok(Organisation {
        id: id_col(row, "id")?,
        name: col(row, "name")?,
        kind: OrgKind::parse(&kind).ok_or_else(|| bad("kind", &kind))?,
        industry: col(row, "industry")?,
        sales_band: match band {
            Some(b) => Some(SalesBand::parse(&b).ok_or_else(|| bad("sales band", &b))?),
            None => None,
        },
        credit_code: col(row, "credit_code")?,
        region: region_code(col(row, "region")?)?,
        region_name: col(row, "region_name")?,
        people_count: col(row, "people_count")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// Organisation access for organisation rows: a person's scope means the
/// person's own organisation.
pub(crate) fn org_access(q: &mut Sql, access: Access) {
    match access {
        Access::Person(id) => {
            q.push(" AND o.id = (SELECT org_id FROM people WHERE id = ")
                .bind(id)
                .push(")");
        }
        other => q.access(other, "o.region", "o.id", "o.id"),
    }
}

pub(crate) const USER_COLS: &str = "u.id, u.username, u.display_name, u.role, u.region, \
     u.person_id, u.org_id, u.password_hash";
pub(crate) const USER_SELECT: &str = concat!(
    "SELECT u.id, u.username, u.display_name, u.role, u.region, ",
    "u.person_id, u.org_id, u.password_hash FROM users u"
);

pub(crate) fn user_from(row: &AnyRow) -> Result<User> {
    let role: String = col(row, "role")?;
    let region: Option<i64> = col(row, "region")?;
    Ok(User {
        id: id_col(row, "id")?,
        username: col(row, "username")?,
        display_name: col(row, "display_name")?,
        role: Role::parse(&role).ok_or_else(|| bad("role", &role))?,
        region: region.map(region_code).transpose()?,
        person_id: opt_id_col(row, "person_id")?,
        org_id: opt_id_col(row, "org_id")?,
    })
}

pub(crate) fn region_from(row: &AnyRow) -> Result<Region> {
    let level: String = col(row, "level")?;
    let parent: Option<i64> = col(row, "parent")?;
    Ok(Region {
        code: region_code(col(row, "code")?)?,
        name: col(row, "name")?,
        level: RegionLevel::parse(&level).ok_or_else(|| bad("level", &level))?,
        parent: parent.map(region_code).transpose()?,
    })
}

pub(crate) fn org_binds(q: &mut Sql, o: &OrgDraft) {
    q.binds(args![
        o.name.as_str(),
        o.kind.as_str(),
        o.industry.clone(),
        o.sales_band.map(|b| b.as_str()),
        o.credit_code.clone(),
        o.region.value() as i64
    ]);
}

pub(crate) fn person_binds(q: &mut Sql, p: &PersonRow) {
    q.binds(args![
        p.name.as_str(),
        p.mobile.as_str(),
        p.id_number_enc.clone(),
        p.id_number_masked.clone(),
        p.id_number_key.clone(),
        p.tier.as_str(),
        p.org_id,
        p.region.value() as i64
    ]);
}

/// `INSERT … RETURNING id` for one organisation.
pub(crate) fn insert_org_sql(org: &OrgDraft, now: i64) -> Sql {
    let mut q = Sql::new(&format!("INSERT INTO organisations {ORG_COLS} VALUES ("));
    org_binds(&mut q, org);
    q.push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    q
}

/// `INSERT … RETURNING id` for one person.
pub(crate) fn insert_person_sql(person: &PersonRow, now: i64) -> Sql {
    let mut q = Sql::new(&format!("INSERT INTO people {PERSON_COLS} VALUES ("));
    person_binds(&mut q, person);
    q.push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    q
}

pub(crate) const PERSON_COLS: &str =
    "(name, mobile, id_number_enc, id_number_masked, id_number_key, tier, org_id, region, created_at, updated_at)";
pub(crate) const ORG_COLS: &str =
    "(name, kind, industry, sales_band, credit_code, region, created_at, updated_at)";

/// Rows per multi-row INSERT. Larger statements get slower per row (binding
/// thousands of `$N` parameters costs more than linearly), so 50 rows beat
/// 500 by a factor of two when seeding 30,000 people.
pub(crate) const BULK_CHUNK: usize = 50;

impl SqlStore {
    /// Runs a filtered list: the total count and one page of rows.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn page<T>(
        &self,
        select: &str,
        from: &str,
        filter: &Sql,
        order: &str,
        offset: i64,
        limit: i64,
        map: fn(&AnyRow) -> Result<T>,
    ) -> Result<Page<T>> {
        // The filter's parameters are numbered from $1 and reused verbatim in
        // both statements.
        let count_sql = Sql::with_text(
            filter,
            format!("SELECT COUNT(*) AS n FROM {from} WHERE 1=1{}", filter.text),
        );
        let row = count_sql.query().fetch_one(&self.pool).await.map_err(db)?;
        let total: i64 = col(&row, "n")?;
        let items = if limit > 0 {
            let list_sql = Sql::with_text(
                filter,
                format!(
                    "{select}{} ORDER BY {order} LIMIT {} OFFSET {}",
                    filter.text,
                    limit.max(0),
                    offset.max(0)
                ),
            );
            list_sql.fetch_map(&self.pool, map).await?
        } else {
            Vec::new()
        };
        Ok(Page {
            items,
            total,
            offset,
            limit,
        })
    }
}
