//! People, organisations and regions: lists and reads scoped to the
//! caller, the audited reveal of full numbers, and writes.

use std::sync::Arc;

use serde::Serialize;

use crate::audit::Audit;
use crate::auth::{require_in_range, Access, Actor};
use crate::error::{Error, FieldError, Result};
use crate::now;
use crate::people::store::{OrgQuery, PeopleQuery, PeopleStore, PersonRow, RegionCount};
use crate::people::{
    OrgDraft, OrgId, OrgInput, OrgKind, Organisation, Person, PersonDraft, PersonId, PersonInput,
    Tier,
};
use crate::region::{Region, RegionCode, RegionLevel};
use crate::security::FieldCipher;
use crate::store::{clean_search, paging, Page};

/// Filters a caller may apply to the people list.
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    pub text: Option<String>,
    pub region: Option<RegionCode>,
    pub tier: Option<Tier>,
    pub org_id: Option<OrgId>,
    pub page: i64,
    pub per_page: i64,
}

/// Filters a caller may apply to the organisation list.
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub text: Option<String>,
    pub region: Option<RegionCode>,
    pub kind: Option<OrgKind>,
    pub page: i64,
    pub per_page: i64,
}

/// A person's full numbers, returned only by an audited reveal.
#[derive(Debug, Clone, Serialize)]
pub struct Revealed {
    pub mobile: String,
    pub id_number: Option<String>,
}

/// The home page's figures: the caller's region and its children.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub region: Region,
    pub children: Vec<RegionCount>,
    pub people: i64,
    pub orgs: i64,
}

/// People, organisations and regions. Cheap to clone.
#[derive(Clone)]
pub struct PeopleService {
    store: Arc<dyn PeopleStore>,
    audit: Audit,
    cipher: FieldCipher,
}

impl PeopleService {
    pub fn new(store: Arc<dyn PeopleStore>, audit: Audit, cipher: FieldCipher) -> PeopleService {
        PeopleService {
            store,
            audit,
            cipher,
        }
    }

    pub fn cipher(&self) -> &FieldCipher {
        &self.cipher
    }

    // ---- Regions --------------------------------------------------------

    pub async fn regions(
        &self,
        level: Option<RegionLevel>,
        parent: Option<RegionCode>,
    ) -> Result<Vec<Region>> {
        self.store.list_regions(level, parent).await
    }

    /// The caller's own person record (a trainee's), if the account has one.
    pub async fn own_person(&self, actor: &Actor) -> Result<Option<Person>> {
        match actor.user.person_id {
            Some(id) => self.store.get_person(Access::Person(id), id).await,
            None => Ok(None),
        }
    }

    pub async fn region(&self, code: RegionCode) -> Result<Region> {
        self.store.get_region(code).await?.ok_or(Error::NotFound)
    }

    async fn require_region(&self, code: RegionCode, field: &'static str) -> Result<Region> {
        self.store
            .get_region(code)
            .await?
            .ok_or_else(|| Error::field(field, "error.region_unknown"))
    }

    /// The regions an office may choose in forms (its subtree).
    pub async fn regions_in_scope(&self, actor: &Actor) -> Result<Vec<Region>> {
        let range = actor.write_range()?;
        Ok(self
            .store
            .list_regions(None, None)
            .await?
            .into_iter()
            .filter(|r| range.contains(r.code))
            .collect())
    }

    /// Counts for the caller's own region and each child region.
    pub async fn overview(&self, actor: &Actor) -> Result<Overview> {
        actor.stats_range()?;
        let code = actor.user.region.ok_or(Error::Forbidden)?;
        let region = self.region(code).await?;
        let children = if region.level == RegionLevel::County || region.level == RegionLevel::Zone {
            Vec::new()
        } else {
            self.store.count_by_child_region(code).await?
        };
        let access = Access::Regions(code.subtree());
        let people = self
            .store
            .list_people(&PeopleQuery {
                access,
                text: None,
                region: None,
                tier: None,
                org_id: None,
                offset: 0,
                limit: 0,
            })
            .await?
            .total;
        let orgs = self
            .store
            .list_orgs(&OrgQuery {
                access,
                text: None,
                region: None,
                kind: None,
                offset: 0,
                limit: 0,
            })
            .await?
            .total;
        Ok(Overview {
            region,
            children,
            people,
            orgs,
        })
    }

    // ---- People ---------------------------------------------------------

    pub async fn list_people(&self, actor: &Actor, f: &PeopleFilter) -> Result<Page<Person>> {
        if !actor.can_list_people() {
            return Err(Error::Forbidden);
        }
        let access = actor.people_access()?;
        let region = narrow(access, f.region)?;
        let (offset, limit) = paging(f.page, f.per_page);
        let mut page = self
            .store
            .list_people(&PeopleQuery {
                access,
                text: clean_search(f.text.as_deref()),
                region,
                tier: f.tier,
                org_id: f.org_id,
                offset,
                limit,
            })
            .await?;
        page.items = page.items.into_iter().map(Person::masked).collect();
        Ok(page)
    }

    /// One person in the caller's scope, mobile masked (full numbers only
    /// through [`Fanxing::reveal_person`]). Offices' reads are audited.
    pub async fn person(&self, actor: &Actor, id: PersonId) -> Result<Person> {
        let p = self
            .store
            .get_person(actor.people_access()?, id)
            .await?
            .ok_or(Error::NotFound)?;
        if actor.role().is_office() {
            self.audit
                .record(actor, "person.read", &format!("person:{id}"), "")
                .await?;
        }
        Ok(p.masked())
    }

    /// The full mobile and ID number of a person, for offices only; audited.
    pub async fn reveal_person(&self, actor: &Actor, id: PersonId) -> Result<Revealed> {
        if !actor.may_reveal_personal_numbers() {
            return Err(Error::Forbidden);
        }
        let access = actor.people_access()?;
        let person = self
            .store
            .get_person(access, id)
            .await?
            .ok_or(Error::NotFound)?;
        let enc = self
            .store
            .get_person_id_number(access, id)
            .await?
            .ok_or(Error::NotFound)?;
        let id_number = enc.map(|b| self.cipher.decrypt(&b)).transpose()?;
        self.audit
            .record(
                actor,
                "person.reveal",
                &format!("person:{id}"),
                "mobile,id_number",
            )
            .await?;
        Ok(Revealed {
            mobile: person.mobile,
            id_number,
        })
    }

    pub async fn create_person(&self, actor: &Actor, input: &PersonInput) -> Result<Person> {
        let range = actor.write_range()?;
        let draft = input.validate().map_err(Error::Invalid)?;
        let row = self.person_row(actor, range, &draft, None).await?;
        let id = self.store.insert_person(&row, now()).await?;
        self.audit
            .record(actor, "person.create", &format!("person:{id}"), "")
            .await?;
        self.person_unaudited(actor, id).await
    }

    pub async fn update_person(
        &self,
        actor: &Actor,
        id: PersonId,
        input: &PersonInput,
    ) -> Result<Person> {
        let range = actor.write_range()?;
        let access = actor.people_access()?;
        let current = self
            .store
            .get_person(access, id)
            .await?
            .ok_or(Error::NotFound)?;
        // The full mobile is never sent to a form either: an empty mobile
        // on edit means "unchanged".
        let input = if input.mobile.trim().is_empty() {
            PersonInput {
                mobile: current.mobile.clone(),
                ..input.clone()
            }
        } else {
            input.clone()
        };
        let draft = input.validate().map_err(Error::Invalid)?;
        let mut row = self.person_row(actor, range, &draft, Some(id)).await?;
        if draft.id_number.is_none() {
            // The full number is never sent back to a form, so an empty ID
            // field on edit means "unchanged", not "erase".
            row.id_number_enc = self.store.get_person_id_number(access, id).await?.flatten();
            row.id_number_masked = current.id_number_masked;
            row.id_number_key = match &row.id_number_enc {
                Some(enc) => Some(self.cipher.id_number_key(&self.cipher.decrypt(enc)?)),
                None => None,
            };
        }
        self.store.update_person(id, &row, now()).await?;
        self.audit
            .record(actor, "person.update", &format!("person:{id}"), "")
            .await?;
        self.person_unaudited(actor, id).await
    }

    async fn person_unaudited(&self, actor: &Actor, id: PersonId) -> Result<Person> {
        self.store
            .get_person(actor.people_access()?, id)
            .await?
            .map(Person::masked)
            .ok_or(Error::NotFound)
    }

    /// Checks scope and references of a validated person, and encrypts the ID number.
    async fn person_row(
        &self,
        actor: &Actor,
        range: crate::region::RegionRange,
        d: &PersonDraft,
        except: Option<PersonId>,
    ) -> Result<PersonRow> {
        self.require_region(d.region, "region").await?;
        require_in_range(range, d.region, "region")?;
        if let Some(org) = d.org_id {
            self.store
                .get_org(actor.org_access()?, org)
                .await?
                .ok_or_else(|| Error::field("org_id", "error.org_unknown"))?;
        }
        let row = self.encrypt_person(d);
        // One person per ID number: a second holder is refused as a taken
        // mobile is, without saying who or where the first one is.
        if let Some(key) = &row.id_number_key {
            let holders = self
                .store
                .people_by_id_keys(std::slice::from_ref(key))
                .await?;
            if holders.iter().any(|(_, id, _)| Some(*id) != except) {
                return Err(Error::Conflict(FieldError::new(
                    "id_number",
                    "error.id_number_taken",
                )));
            }
        }
        Ok(row)
    }

    /// Computes the ID-number key of people stored before keys existed, a
    /// batch at a time; run at start-up. Returns how many were keyed.
    pub async fn backfill_id_number_keys(&self) -> Result<usize> {
        let mut done = 0;
        loop {
            let batch = self.store.people_without_id_key(1000).await?;
            if batch.is_empty() {
                return Ok(done);
            }
            let keys = batch
                .iter()
                .map(|(id, enc)| Ok((*id, self.cipher.id_number_key(&self.cipher.decrypt(enc)?))))
                .collect::<Result<Vec<_>>>()?;
            self.store.set_id_number_keys(&keys).await?;
            done += keys.len();
        }
    }

    /// Turns a validated person into a row, encrypting the ID number.
    pub fn encrypt_person(&self, d: &PersonDraft) -> PersonRow {
        person_row_with(&self.cipher, d)
    }

    // ---- Organisations --------------------------------------------------

    pub async fn list_orgs(&self, actor: &Actor, f: &OrgFilter) -> Result<Page<Organisation>> {
        let access = actor.org_access()?;
        let region = narrow(access, f.region)?;
        let (offset, limit) = paging(f.page, f.per_page);
        self.store
            .list_orgs(&OrgQuery {
                access,
                text: clean_search(f.text.as_deref()),
                region,
                kind: f.kind,
                offset,
                limit,
            })
            .await
    }

    pub async fn org(&self, actor: &Actor, id: OrgId) -> Result<Organisation> {
        self.store
            .get_org(actor.org_access()?, id)
            .await?
            .ok_or(Error::NotFound)
    }

    pub async fn create_org(&self, actor: &Actor, input: &OrgInput) -> Result<Organisation> {
        let range = actor.write_range()?;
        let draft = self.checked_org(range, input).await?;
        let id = self.store.insert_org(&draft, now()).await?;
        self.audit
            .record(actor, "org.create", &format!("org:{id}"), "")
            .await?;
        self.org(actor, id).await
    }

    pub async fn update_org(
        &self,
        actor: &Actor,
        id: OrgId,
        input: &OrgInput,
    ) -> Result<Organisation> {
        let range = actor.write_range()?;
        self.org(actor, id).await?;
        let draft = self.checked_org(range, input).await?;
        self.store.update_org(id, &draft, now()).await?;
        self.audit
            .record(actor, "org.update", &format!("org:{id}"), "")
            .await?;
        self.org(actor, id).await
    }

    async fn checked_org(
        &self,
        range: crate::region::RegionRange,
        input: &OrgInput,
    ) -> Result<OrgDraft> {
        let draft = input.validate().map_err(Error::Invalid)?;
        self.require_region(draft.region, "region").await?;
        require_in_range(range, draft.region, "region")?;
        Ok(draft)
    }
}

/// Narrows a region filter inside the caller's access. A filter outside the
/// caller's regions is refused rather than silently emptied, so a city
/// office asking for another city learns it is not allowed.
fn narrow(
    access: Access,
    region: Option<RegionCode>,
) -> Result<Option<crate::region::RegionRange>> {
    match (access, region) {
        (_, None) => Ok(None),
        (Access::Regions(range), Some(code)) => match range.intersect(&code.subtree()) {
            Some(r) if range.contains(code) => Ok(Some(r)),
            _ => Err(Error::Forbidden),
        },
        // Region filters are for offices; others see only their own records.
        (_, Some(_)) => Err(Error::Forbidden),
    }
}

/// Turns a field error into a conflict (used by stores on unique violations).
pub fn mobile_conflict() -> Error {
    Error::Conflict(FieldError::new("mobile", "error.mobile_taken"))
}

/// A validated person as a row, the ID number encrypted with `cipher` and
/// keyed for look-ups.
pub fn person_row_with(cipher: &FieldCipher, d: &PersonDraft) -> PersonRow {
    PersonRow {
        name: d.name.clone(),
        mobile: d.mobile.as_str().to_string(),
        id_number_enc: d.id_number.as_ref().map(|n| cipher.encrypt(n.as_str())),
        id_number_masked: d.id_number.as_ref().map(|n| n.masked()),
        id_number_key: d
            .id_number
            .as_ref()
            .map(|n| cipher.id_number_key(n.as_str())),
        tier: d.tier,
        org_id: d.org_id,
        region: d.region,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::RegionRange;

    #[test]
    fn narrowing_refuses_regions_outside_scope() {
        let suzhou = RegionCode::parse("320500").unwrap();
        let access = Access::Regions(suzhou.subtree());
        let kunshan = RegionCode::parse("320583").unwrap();
        assert_eq!(
            narrow(access, Some(kunshan)).unwrap(),
            Some(kunshan.subtree())
        );
        assert!(narrow(access, RegionCode::parse("320100")).is_err());
        // Asking for the province from a city scope is refused too.
        assert!(narrow(access, RegionCode::parse("320000")).is_err());
        let all = Access::Regions(RegionRange::ALL);
        assert!(narrow(all, Some(suzhou)).is_ok());
    }
}
