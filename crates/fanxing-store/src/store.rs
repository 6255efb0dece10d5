//! [`Store`] implemented once in portable SQL for SQLite and PostgreSQL.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use fanxing_core::auth::{Access, Role, User};
use fanxing_core::error::{Error, Result};
use fanxing_core::model::{
    OrgDraft, OrgId, OrgKind, Organisation, Person, PersonId, SalesBand, Tier, UserId,
};
use fanxing_core::region::{Region, RegionCode, RegionLevel};
use fanxing_core::service::mobile_conflict;
use fanxing_core::store::{
    AuditEntry, NewUser, OrgQuery, Page, PeopleQuery, PersonRow, RegionCount, SessionLookup, Store,
};

use crate::sql::{like_contains, Sql};
use crate::Backend;

/// The SQL store. Holds a pool; cheap to share behind an `Arc`.
pub struct SqlStore {
    pool: AnyPool,
    writer: AnyPool,
    backend: Backend,
    /// Started on first use, on the runtime that uses it.
    checkins: std::sync::OnceLock<crate::checkin::GroupCommit>,
    /// SQLite's scan journal (see [`crate::checkin`]).
    journal: Option<crate::checkin::Journal>,
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
        }
    }

    /// Applies the check-ins a crash left in the scan journal (SQLite); the
    /// server calls it once it holds the data directory, before serving,
    /// so that a command run beside it never takes the server's journal.
    pub async fn recover_checkins(&self) -> Result<usize> {
        match &self.journal {
            None => Ok(0),
            Some(j) => crate::checkin::drain(&self.writer, j).await,
        }
    }

    pub(crate) fn journal(&self) -> Option<&crate::checkin::Journal> {
        self.journal.as_ref()
    }

    /// Journals check-ins that arrive while the writer is busy (SQLite).
    pub(crate) fn with_journal(mut self, journal: crate::checkin::Journal) -> SqlStore {
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
    pub(crate) fn checkins(&self) -> &crate::checkin::GroupCommit {
        self.checkins.get_or_init(|| {
            crate::checkin::GroupCommit::start(
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

pub(crate) fn region_code(v: i64) -> Result<RegionCode> {
    u32::try_from(v)
        .ok()
        .and_then(RegionCode::from_value)
        .ok_or_else(|| Error::Store(format!("bad region code in database: {v}")))
}

pub(crate) fn bad(what: &str, v: &str) -> Error {
    Error::Store(format!("bad {what} in database: {v}"))
}

const PERSON_SELECT: &str = "SELECT p.id, p.name, p.mobile, p.id_number_masked, p.tier, p.org_id, \
     o.name AS org_name, p.region, r.name AS region_name, p.created_at, p.updated_at \
     FROM people p JOIN regions r ON r.code = p.region \
     LEFT JOIN organisations o ON o.id = p.org_id WHERE 1=1";

fn person_from(row: &AnyRow) -> Result<Person> {
    let tier: String = col(row, "tier")?;
    Ok(Person {
        id: col(row, "id")?,
        name: col(row, "name")?,
        mobile: col(row, "mobile")?,
        id_number_masked: col(row, "id_number_masked")?,
        tier: Tier::parse(&tier).ok_or_else(|| bad("tier", &tier))?,
        org_id: col(row, "org_id")?,
        org_name: col(row, "org_name")?,
        region: region_code(col(row, "region")?)?,
        region_name: col(row, "region_name")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

const ORG_SELECT: &str = "SELECT o.id, o.name, o.kind, o.industry, o.sales_band, o.credit_code, \
     o.region, r.name AS region_name, o.created_at, o.updated_at, \
     (SELECT COUNT(*) FROM people x WHERE x.org_id = o.id) AS people_count \
     FROM organisations o JOIN regions r ON r.code = o.region WHERE 1=1";

fn org_from(row: &AnyRow) -> Result<Organisation> {
    let kind: String = col(row, "kind")?;
    let band: Option<String> = col(row, "sales_band")?;
    Ok(Organisation {
        id: col(row, "id")?,
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
fn org_access(q: &mut Sql, access: Access) {
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
        id: col(row, "id")?,
        username: col(row, "username")?,
        display_name: col(row, "display_name")?,
        role: Role::parse(&role).ok_or_else(|| bad("role", &role))?,
        region: region.map(region_code).transpose()?,
        person_id: col(row, "person_id")?,
        org_id: col(row, "org_id")?,
    })
}

fn region_from(row: &AnyRow) -> Result<Region> {
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
    q.bind(o.name.as_str())
        .push(", ")
        .bind(o.kind.as_str())
        .push(", ")
        .bind(o.industry.clone())
        .push(", ")
        .bind(o.sales_band.map(|b| b.as_str()))
        .push(", ")
        .bind(o.credit_code.clone())
        .push(", ")
        .bind(o.region.value() as i64);
}

pub(crate) fn person_binds(q: &mut Sql, p: &PersonRow) {
    q.bind(p.name.as_str())
        .push(", ")
        .bind(p.mobile.as_str())
        .push(", ")
        .bind(p.id_number_enc.clone())
        .push(", ")
        .bind(p.id_number_masked.clone())
        .push(", ")
        .bind(p.id_number_key.clone())
        .push(", ")
        .bind(p.tier.as_str())
        .push(", ")
        .bind(p.org_id)
        .push(", ")
        .bind(p.region.value() as i64);
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

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        self.backend.name()
    }

    #[tracing::instrument(skip_all, fields(n = regions.len()))]
    async fn upsert_regions(&self, regions: &[Region]) -> Result<usize> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        // Parents first, so foreign keys hold inside the transaction.
        let mut sorted: Vec<&Region> = regions.iter().collect();
        sorted.sort_by_key(|r| match r.level {
            RegionLevel::Province => 0,
            RegionLevel::City => 1,
            _ => 2,
        });
        for r in sorted {
            let mut q = Sql::new("INSERT INTO regions (code, name, level, parent) VALUES (");
            q.bind(r.code.value() as i64)
                .push(", ")
                .bind(r.name.as_str())
                .push(", ")
                .bind(r.level.as_str())
                .push(", ")
                .bind(r.parent.map(|p| p.value() as i64))
                .push(
                    ") ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                     level = excluded.level, parent = excluded.parent",
                );
            q.query().execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(regions.len())
    }

    async fn list_regions(
        &self,
        level: Option<RegionLevel>,
        parent: Option<RegionCode>,
    ) -> Result<Vec<Region>> {
        let mut q = Sql::new("SELECT code, name, level, parent FROM regions WHERE 1=1");
        if let Some(l) = level {
            q.push(" AND level = ").bind(l.as_str());
        }
        if let Some(p) = parent {
            q.push(" AND parent = ").bind(p.value() as i64);
        }
        q.push(" ORDER BY code");
        let rows = q.query().fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(region_from).collect()
    }

    async fn get_region(&self, code: RegionCode) -> Result<Option<Region>> {
        let mut q = Sql::new("SELECT code, name, level, parent FROM regions WHERE code = ");
        q.bind(code.value() as i64);
        let row = q.query().fetch_optional(&self.pool).await.map_err(db)?;
        row.as_ref().map(region_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn insert_org(&self, org: &OrgDraft, now: i64) -> Result<OrgId> {
        let q = insert_org_sql(org, now);
        let row = q.query().fetch_one(self.writer()).await.map_err(db)?;
        col(&row, "id")
    }

    #[tracing::instrument(skip_all, fields(n = orgs.len()))]
    async fn insert_orgs_bulk(&self, orgs: &[OrgDraft], now: i64) -> Result<Vec<OrgId>> {
        // One statement per row so each id is known exactly; one transaction
        // so the whole batch lands or none of it.
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut ids = Vec::with_capacity(orgs.len());
        for org in orgs {
            let q = insert_org_sql(org, now);
            let row = q.query().fetch_one(&mut *tx).await.map_err(db)?;
            ids.push(col(&row, "id")?);
        }
        tx.commit().await.map_err(db)?;
        Ok(ids)
    }

    async fn update_org(&self, id: OrgId, org: &OrgDraft, now: i64) -> Result<()> {
        let mut q = Sql::new("UPDATE organisations SET name = ");
        q.bind(org.name.as_str())
            .push(", kind = ")
            .bind(org.kind.as_str())
            .push(", industry = ")
            .bind(org.industry.clone())
            .push(", sales_band = ")
            .bind(org.sales_band.map(|b| b.as_str()))
            .push(", credit_code = ")
            .bind(org.credit_code.clone())
            .push(", region = ")
            .bind(org.region.value() as i64)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        q.query().execute(self.writer()).await.map_err(db)?;
        Ok(())
    }

    async fn get_org(&self, access: Access, id: OrgId) -> Result<Option<Organisation>> {
        let mut q = Sql::new(ORG_SELECT);
        q.push(" AND o.id = ").bind(id);
        org_access(&mut q, access);
        let row = q.query().fetch_optional(&self.pool).await.map_err(db)?;
        row.as_ref().map(org_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn list_orgs(&self, query: &OrgQuery) -> Result<Page<Organisation>> {
        let mut filter = Sql::new("");
        org_access(&mut filter, query.access);
        if let Some(r) = query.region {
            filter
                .push(" AND o.region BETWEEN ")
                .bind(r.lo as i64)
                .push(" AND ")
                .bind(r.hi as i64);
        }
        if let Some(k) = query.kind {
            filter.push(" AND o.kind = ").bind(k.as_str());
        }
        if let Some(t) = &query.text {
            filter
                .push(" AND o.name LIKE ")
                .bind(like_contains(t))
                .push(" ESCAPE '\\'");
        }
        self.page(
            ORG_SELECT,
            "organisations o",
            &filter,
            "o.id",
            query.offset,
            query.limit,
            org_from,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn insert_person(&self, person: &PersonRow, now: i64) -> Result<PersonId> {
        let q = insert_person_sql(person, now);
        match q.query().fetch_one(self.writer()).await {
            Ok(row) => col(&row, "id"),
            Err(e) if is_unique_violation(&e) => Err(mobile_conflict()),
            Err(e) => Err(db(e)),
        }
    }

    #[tracing::instrument(skip_all, fields(n = people.len()))]
    async fn insert_people_bulk(&self, people: &[PersonRow], now: i64) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        for chunk in people.chunks(BULK_CHUNK) {
            let mut q = Sql::new(&format!("INSERT INTO people {PERSON_COLS} VALUES "));
            for (i, p) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" });
                person_binds(&mut q, p);
                q.push(", ").bind(now).push(", ").bind(now).push(")");
            }
            match q.on(self.backend).query().execute(&mut *tx).await {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return Err(mobile_conflict()),
                Err(e) => return Err(db(e)),
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn update_person(&self, id: PersonId, p: &PersonRow, now: i64) -> Result<()> {
        let mut q = Sql::new("UPDATE people SET name = ");
        q.bind(p.name.as_str())
            .push(", mobile = ")
            .bind(p.mobile.as_str())
            .push(", id_number_enc = ")
            .bind(p.id_number_enc.clone())
            .push(", id_number_masked = ")
            .bind(p.id_number_masked.clone())
            .push(", id_number_key = ")
            .bind(p.id_number_key.clone())
            .push(", tier = ")
            .bind(p.tier.as_str())
            .push(", org_id = ")
            .bind(p.org_id)
            .push(", region = ")
            .bind(p.region.value() as i64)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        match q.query().execute(self.writer()).await {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(mobile_conflict()),
            Err(e) => Err(db(e)),
        }
    }

    async fn get_person(&self, access: Access, id: PersonId) -> Result<Option<Person>> {
        let mut q = Sql::new(PERSON_SELECT);
        q.push(" AND p.id = ").bind(id);
        q.access(access, "p.region", "p.id", "p.org_id");
        let row = q.query().fetch_optional(&self.pool).await.map_err(db)?;
        row.as_ref().map(person_from).transpose()
    }

    async fn people_by_id_keys(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, PersonId, RegionCode)>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(500) {
            let mut q =
                Sql::new("SELECT id_number_key, id, region FROM people WHERE id_number_key");
            q.in_list(chunk);
            for r in q
                .on(self.backend)
                .query()
                .fetch_all(&self.pool)
                .await
                .map_err(db)?
            {
                out.push((
                    col(&r, "id_number_key")?,
                    col(&r, "id")?,
                    region_code(col(&r, "region")?)?,
                ));
            }
        }
        Ok(out)
    }

    async fn people_without_id_key(&self, limit: i64) -> Result<Vec<(PersonId, Vec<u8>)>> {
        let mut q = Sql::new(
            "SELECT id, id_number_enc FROM people \
             WHERE id_number_enc IS NOT NULL AND id_number_key IS NULL ORDER BY id LIMIT ",
        );
        q.bind(limit);
        q.query()
            .fetch_all(self.writer())
            .await
            .map_err(db)?
            .iter()
            .map(|r| Ok((col(r, "id")?, col(r, "id_number_enc")?)))
            .collect()
    }

    async fn set_id_number_keys(&self, keys: &[(PersonId, String)]) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        for (id, key) in keys {
            let mut q = Sql::new("UPDATE people SET id_number_key = ");
            q.bind(key.as_str()).push(" WHERE id = ").bind(*id);
            q.query().execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn get_person_id_number(
        &self,
        access: Access,
        id: PersonId,
    ) -> Result<Option<Option<Vec<u8>>>> {
        let mut q = Sql::new("SELECT p.id_number_enc FROM people p WHERE p.id = ");
        q.bind(id);
        q.access(access, "p.region", "p.id", "p.org_id");
        let row = q.query().fetch_optional(&self.pool).await.map_err(db)?;
        row.map(|r| col(&r, "id_number_enc")).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn list_people(&self, query: &PeopleQuery) -> Result<Page<Person>> {
        let mut filter = Sql::new("");
        filter.access(query.access, "p.region", "p.id", "p.org_id");
        if let Some(r) = query.region {
            filter
                .push(" AND p.region BETWEEN ")
                .bind(r.lo as i64)
                .push(" AND ")
                .bind(r.hi as i64);
        }
        if let Some(t) = query.tier {
            filter.push(" AND p.tier = ").bind(t.as_str());
        }
        if let Some(o) = query.org_id {
            filter.push(" AND p.org_id = ").bind(o);
        }
        if let Some(t) = &query.text {
            if t.bytes().all(|b| b.is_ascii_digit()) {
                filter.push(" AND p.mobile LIKE ").bind(like_contains(t));
            } else {
                filter.push(" AND p.name LIKE ").bind(like_contains(t));
            }
            filter.push(" ESCAPE '\\'");
        }
        self.page(
            PERSON_SELECT,
            "people p",
            &filter,
            "p.id",
            query.offset,
            query.limit,
            person_from,
        )
        .await
    }

    async fn count_people(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM people")
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        col(&row, "n")
    }

    async fn count_by_child_region(&self, parent: RegionCode) -> Result<Vec<RegionCount>> {
        let children = self.list_regions(None, Some(parent)).await?;
        let range = parent.subtree();
        let mut counts: Vec<RegionCount> = children
            .iter()
            .map(|r| RegionCount {
                code: r.code,
                name: r.name.clone(),
                people: 0,
                orgs: 0,
            })
            .collect();
        for (table, is_people) in [("people", true), ("organisations", false)] {
            let mut q = Sql::new(&format!(
                "SELECT region, COUNT(*) AS n FROM {table} WHERE region BETWEEN "
            ));
            q.bind(range.lo as i64)
                .push(" AND ")
                .bind(range.hi as i64)
                .push(" GROUP BY region");
            for row in q.query().fetch_all(&self.pool).await.map_err(db)? {
                let code = region_code(col(&row, "region")?)?;
                let n: i64 = col(&row, "n")?;
                // A row counts towards the child whose subtree holds it.
                if let Some(c) = counts
                    .iter_mut()
                    .filter(|c| c.code.subtree().contains(code))
                    .max_by_key(|c| c.code)
                {
                    if is_people {
                        c.people += n;
                    } else {
                        c.orgs += n;
                    }
                }
            }
        }
        Ok(counts)
    }

    async fn insert_user(&self, u: &NewUser) -> Result<UserId> {
        let mut q = Sql::new(
            "INSERT INTO users (username, display_name, password_hash, role, region, person_id, org_id, created_at) VALUES (",
        );
        q.bind(u.username.as_str())
            .push(", ")
            .bind(u.display_name.as_str())
            .push(", ")
            .bind(u.password_hash.as_str())
            .push(", ")
            .bind(u.role.as_str())
            .push(", ")
            .bind(u.region.map(|r| r.value() as i64))
            .push(", ")
            .bind(u.person_id)
            .push(", ")
            .bind(u.org_id)
            .push(", ")
            .bind(fanxing_core::service::now())
            .push(") RETURNING id");
        match q.query().fetch_one(self.writer()).await {
            Ok(row) => col(&row, "id"),
            Err(e) if is_unique_violation(&e) => Err(Error::Conflict(
                fanxing_core::FieldError::new("username", "error.conflict"),
            )),
            Err(e) => Err(db(e)),
        }
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>> {
        let mut q = Sql::new(USER_SELECT);
        q.push(" WHERE u.id = ").bind(id);
        let row = q.query().fetch_optional(&self.pool).await.map_err(db)?;
        row.as_ref().map(user_from).transpose()
    }

    async fn find_user_for_login(
        &self,
        username: &str,
        mobile: Option<&str>,
    ) -> Result<Option<(User, String)>> {
        let mut q = Sql::new(USER_SELECT);
        q.push(" LEFT JOIN people p ON p.id = u.person_id WHERE u.disabled = 0 AND (u.username = ")
            .bind(username)
            .push(" OR p.mobile = ")
            .bind(mobile)
            .push(") ORDER BY u.id LIMIT 1");
        let row = q.query().fetch_optional(&self.pool).await.map_err(db)?;
        match row {
            Some(r) => Ok(Some((user_from(&r)?, col(&r, "password_hash")?))),
            None => Ok(None),
        }
    }

    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>> {
        let mut q = Sql::new(USER_SELECT);
        q.push(" WHERE u.username = ").bind(username);
        let row = q.query().fetch_optional(&self.pool).await.map_err(db)?;
        row.as_ref().map(user_from).transpose()
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: UserId,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        let mut q =
            Sql::new("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (");
        q.bind(token_hash)
            .push(", ")
            .bind(user_id)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(expires_at)
            .push(")");
        q.query().execute(self.writer()).await.map_err(db)?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: i64) -> Result<SessionLookup> {
        let mut q = Sql::new(&format!(
            "SELECT {USER_COLS}, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = "
        ));
        q.bind(token_hash).push(" AND u.disabled = 0");
        let Some(row) = q.query().fetch_optional(&self.pool).await.map_err(db)? else {
            return Ok(SessionLookup::Missing);
        };
        let expires: i64 = col(&row, "expires_at")?;
        if expires <= now {
            self.delete_session(token_hash).await?;
            return Ok(SessionLookup::Expired);
        }
        Ok(SessionLookup::Valid(user_from(&row)?))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let mut q = Sql::new("DELETE FROM sessions WHERE token_hash = ");
        q.bind(token_hash);
        q.query().execute(self.writer()).await.map_err(db)?;
        Ok(())
    }

    async fn api_token_user(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
        let mut q = Sql::new(USER_SELECT);
        q.push(" JOIN api_tokens t ON t.user_id = u.id WHERE u.disabled = 0 AND t.token_hash = ")
            .bind(token_hash)
            .push(" AND t.revoked_at IS NULL AND t.expires_at > ")
            .bind(now);
        let row = q.query().fetch_optional(&self.pool).await.map_err(db)?;
        row.as_ref().map(user_from).transpose()
    }

    async fn append_audit(&self, e: &AuditEntry) -> Result<()> {
        let mut q =
            Sql::new("INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (");
        q.bind(e.at)
            .push(", ")
            .bind(e.user_id)
            .push(", ")
            .bind(e.action.as_str())
            .push(", ")
            .bind(e.target.as_str())
            .push(", ")
            .bind(e.detail.as_str())
            .push(")");
        q.query().execute(self.writer()).await.map_err(db)?;
        Ok(())
    }

    async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let mut q = Sql::new(
            "SELECT at, user_id, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ",
        );
        q.bind(limit);
        let rows = q.query().fetch_all(&self.pool).await.map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: col(r, "at")?,
                    user_id: col(r, "user_id")?,
                    action: col(r, "action")?,
                    target: col(r, "target")?,
                    detail: col(r, "detail")?,
                })
            })
            .collect()
    }
}

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
            let rows = list_sql.query().fetch_all(&self.pool).await.map_err(db)?;
            rows.iter().map(map).collect::<Result<Vec<T>>>()?
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
