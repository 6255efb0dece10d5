//! The application service: every use case the web layer and CLI call.
//!
//! Each method takes the [`Actor`] first, asks [`crate::auth`] what it may
//! touch, validates input, and only then talks to the [`Store`]. Handlers
//! stay thin: parse the request, call one method here, render the result.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::analytics_service::Outcome;
use crate::auth::{require_in_range, Access, Actor, Role, User};
use crate::cache::TtlCache;
use crate::error::{Error, FieldError, Result};
use crate::impact::ImpactEstimate;
use crate::model::{
    OrgDraft, OrgId, OrgInput, OrgKind, Organisation, Person, PersonDraft, PersonId, PersonInput,
    Tier,
};
use crate::region::{Region, RegionCode, RegionLevel};
use crate::security::{self, FieldCipher};
use crate::store::{
    AuditEntry, NewUser, OrgQuery, Page, PeopleQuery, PersonRow, RegionCount, SessionLookup, Store,
};
use crate::training_service::Dashboard;

/// How long a log-in session lasts.
pub const SESSION_TTL_SECS: i64 = 7 * 24 * 3600;
/// The largest page a list returns.
pub const PAGE_MAX: i64 = 200;

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

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

/// The service. Cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct Fanxing {
    store: Arc<dyn Store>,
    cipher: FieldCipher,
    /// Recently computed dashboards, by (programme, region).
    pub(crate) dashboards: Arc<TtlCache<(crate::training::ProgrammeId, u32), Dashboard>>,
    /// Recently computed impact estimates, by (region, outcome); cleared
    /// by every analytics import.
    pub(crate) impacts: Arc<TtlCache<(u32, Outcome), ImpactEstimate>>,
    /// Impact estimates being computed now, by (region, outcome).
    pub(crate) impacts_running: Arc<std::sync::Mutex<std::collections::HashSet<(u32, Outcome)>>>,
}

impl Fanxing {
    pub fn new(store: Arc<dyn Store>, cipher: FieldCipher) -> Fanxing {
        Fanxing {
            store,
            cipher,
            dashboards: Arc::new(TtlCache::new(crate::training_service::DASHBOARD_TTL)),
            impacts: Arc::new(TtlCache::new(crate::analytics_service::IMPACT_TTL)),
            impacts_running: Default::default(),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn cipher(&self) -> &FieldCipher {
        &self.cipher
    }

    // ---- Authentication -------------------------------------------------

    /// Resolves a session cookie to the acting user.
    pub async fn session_actor(&self, token: &str) -> Result<Actor> {
        match self
            .store
            .session_user(&security::token_hash(token), now())
            .await?
        {
            SessionLookup::Valid(user) => Ok(Actor::new(user)),
            SessionLookup::Expired => Err(Error::SessionExpired),
            SessionLookup::Missing => Err(Error::Unauthorized),
        }
    }

    /// Resolves an API bearer token to the acting user.
    pub async fn token_actor(&self, token: &str) -> Result<Actor> {
        self.store
            .api_token_user(&security::token_hash(token), now())
            .await?
            .map(Actor::new)
            .ok_or(Error::Unauthorized)
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        self.store
            .delete_session(&security::token_hash(token))
            .await
    }

    /// Creates an API token for `username` lasting the default 90 days and
    /// returns it (shown once).
    pub async fn create_api_token(&self, username: &str, label: &str) -> Result<String> {
        self.create_api_token_for_days(username, label, crate::accounts::API_TOKEN_DAYS)
            .await
            .map(|(_, token)| token)
    }

    /// Creates an account (CLI and seeding; there is no self-service sign-up yet).
    pub async fn create_user(&self, user: NewUserInput) -> Result<User> {
        if user.password.chars().count() < security::PASSWORD_MIN {
            return Err(Error::Message(format!(
                "the password needs at least {} characters",
                security::PASSWORD_MIN
            )));
        }
        if user.role.is_office() && user.region.is_none() {
            return Err(Error::Message("an office account needs a region".into()));
        }
        if let Some(r) = user.region {
            self.require_region(r, "region").await?;
        }
        let id = self
            .store
            .insert_user(&NewUser {
                username: user.username.trim().to_string(),
                display_name: user.display_name,
                password_hash: security::hash_password(&user.password)?,
                role: user.role,
                region: user.region,
                person_id: user.person_id,
                org_id: user.org_id,
            })
            .await?;
        self.store.get_user(id).await?.ok_or(Error::NotFound)
    }

    // ---- Regions --------------------------------------------------------

    pub async fn regions(
        &self,
        level: Option<RegionLevel>,
        parent: Option<RegionCode>,
    ) -> Result<Vec<Region>> {
        self.store.list_regions(level, parent).await
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
            self.audit(actor, "person.read", &format!("person:{id}"), "")
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
        self.audit(
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
        self.audit(actor, "person.create", &format!("person:{id}"), "")
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
        self.audit(actor, "person.update", &format!("person:{id}"), "")
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
        self.audit(actor, "org.create", &format!("org:{id}"), "")
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
        self.audit(actor, "org.update", &format!("org:{id}"), "")
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

    // ---- Audit ----------------------------------------------------------

    pub async fn audit(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<()> {
        self.store
            .append_audit(&AuditEntry {
                at: now(),
                user_id: Some(actor.user.id),
                action: action.to_string(),
                target: target.to_string(),
                detail: detail.to_string(),
            })
            .await
    }

    /// The latest audit entries (programme office only).
    pub async fn audit_log(&self, actor: &Actor, limit: i64) -> Result<Vec<AuditEntry>> {
        if !actor.role().is_programme_office() {
            return Err(Error::Forbidden);
        }
        self.store.list_audit(limit.clamp(1, 1000)).await
    }
}

/// Input for creating an account.
#[derive(Debug, Clone)]
pub struct NewUserInput {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub region: Option<RegionCode>,
    pub person_id: Option<PersonId>,
    pub org_id: Option<OrgId>,
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

fn paging(page: i64, per_page: i64) -> (i64, i64) {
    let limit = if per_page <= 0 {
        50
    } else {
        per_page.min(PAGE_MAX)
    };
    (page_offset(page, limit), limit)
}

/// The highest page number a list serves; past it a list is empty.
pub const PAGE_NUMBER_MAX: i64 = 1_000_000;

/// The offset of 1-based `page` of `per_page` rows, for any page number a
/// caller may send (0, negative or 2⁶³−1): never overflows.
pub fn page_offset(page: i64, per_page: i64) -> i64 {
    (page.clamp(1, PAGE_NUMBER_MAX) - 1).saturating_mul(per_page.clamp(0, PAGE_MAX.max(1_000)))
}

/// Search text as typed, made safe to compare: half-width, control and
/// direction characters dropped (PostgreSQL refuses NUL where SQLite would
/// search for it), at most 50 characters.
pub fn clean_search(text: Option<&str>) -> Option<String> {
    let t: String = crate::values::to_half_width(text?)
        .chars()
        .filter(|c| !crate::values::is_forbidden_char(*c, false))
        .collect();
    let t = t.trim();
    if t.is_empty() {
        return None;
    }
    // A search that looks like a phone number matches digits only.
    let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let s = if digits.chars().all(|c| c.is_ascii_digit()) {
        digits
    } else {
        t.to_string()
    };
    Some(s.chars().take(50).collect())
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

    #[test]
    fn paging_is_bounded() {
        assert_eq!(paging(0, 0), (0, 50));
        assert_eq!(paging(3, 20), (40, 20));
        assert_eq!(paging(1, 10_000), (0, PAGE_MAX));
        assert_eq!(paging(i64::MAX, 20).0, (PAGE_NUMBER_MAX - 1) * 20);
        assert_eq!(paging(i64::MIN, i64::MAX), (0, PAGE_MAX));
        assert_eq!(page_offset(i64::MAX, 50), (PAGE_NUMBER_MAX - 1) * 50);
    }

    #[test]
    fn search_text_is_normalised() {
        assert_eq!(clean_search(Some(" 139 1234 ")).as_deref(), Some("1391234"));
        assert_eq!(clean_search(Some("王")).as_deref(), Some("王"));
        assert_eq!(clean_search(Some("   ")), None);
        assert_eq!(
            clean_search(Some("王\0芳\u{202e}")).as_deref(),
            Some("王芳")
        );
        assert_eq!(clean_search(Some("\0")), None);
    }
}
