//! The people feature's SQL: regions, organisations and people
//! ([`PeopleStore`]), accounts and log-in ([`AccountStore`], in `accounts`).

mod accounts;

use async_trait::async_trait;

use fanxing_core::auth::Access;
use fanxing_core::error::Result;
use fanxing_core::people::service::mobile_conflict;
use fanxing_core::people::store::{OrgQuery, PeopleQuery, PeopleStore, PersonRow, RegionCount};
use fanxing_core::people::{OrgDraft, OrgId, Organisation, Person, PersonId};
use fanxing_core::region::{Region, RegionCode, RegionLevel};
use fanxing_core::store::Page;

use crate::sql::{args, like_contains, Sql};
use crate::store::*;

#[async_trait]
impl PeopleStore for SqlStore {
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
            q.binds(args![
                r.code.value() as i64,
                r.name.as_str(),
                r.level.as_str(),
                r.parent.map(|p| p.value() as i64)
            ])
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
        q.fetch_map(self.pool(), region_from).await
    }

    async fn get_region(&self, code: RegionCode) -> Result<Option<Region>> {
        let mut q = Sql::new("SELECT code, name, level, parent FROM regions WHERE code = ");
        q.bind(code.value() as i64);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.as_ref().map(region_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn insert_org(&self, org: &OrgDraft, now: i64) -> Result<OrgId> {
        let q = insert_org_sql(org, now);
        let row = q.query().fetch_one(self.writer()).await.map_err(db)?;
        id_col(&row, "id")
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
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
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
            // The name holds the text, or the credit code is the text.
            filter
                .push(" AND (o.name LIKE ")
                .bind(like_contains(t))
                .push(" ESCAPE '\\' OR o.credit_code = ")
                .bind(t.trim().to_ascii_uppercase())
                .push(")");
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
            Ok(row) => id_col(&row, "id"),
            Err(e) if is_unique_violation(&e) => Err(mobile_conflict()),
            Err(e) => Err(db(e)),
        }
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
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
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
                .on(self.backend_kind())
                .query()
                .fetch_all(self.pool())
                .await
                .map_err(db)?
            {
                out.push((
                    col(&r, "id_number_key")?,
                    id_col(&r, "id")?,
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
        q.fetch_map(self.writer(), |r| {
            Ok((id_col(r, "id")?, col(r, "id_number_enc")?))
        })
        .await
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
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
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
            .fetch_one(self.pool())
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
            for row in q.query().fetch_all(self.pool()).await.map_err(db)? {
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
}
