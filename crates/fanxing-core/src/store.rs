//! The storage contract. One implementation serves SQLite and PostgreSQL
//! (crate `fanxing-store`); the domain only ever sees this trait.
//!
//! Methods are domain-level ("list the people this access allows"), never
//! generic CRUD, and every read of people or organisations takes an
//! [`Access`] so the scope travels into the SQL.

use async_trait::async_trait;
use serde::Serialize;

use crate::auth::{Access, Role, User};
use crate::error::Result;
use crate::model::{OrgDraft, OrgId, OrgKind, Organisation, Person, PersonId, Tier, UserId};
use crate::region::{Region, RegionCode, RegionLevel, RegionRange};

/// One page of a list, with the total that matched.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// Filters for the people list. `access` is the caller's scope and always
/// applies; `region` narrows within it.
#[derive(Debug, Clone)]
pub struct PeopleQuery {
    pub access: Access,
    pub text: Option<String>,
    pub region: Option<RegionRange>,
    pub tier: Option<Tier>,
    pub org_id: Option<OrgId>,
    pub offset: i64,
    pub limit: i64,
}

/// Filters for the organisation list.
#[derive(Debug, Clone)]
pub struct OrgQuery {
    pub access: Access,
    pub text: Option<String>,
    pub region: Option<RegionRange>,
    pub kind: Option<OrgKind>,
    pub offset: i64,
    pub limit: i64,
}

/// A person row as written: the ID number already encrypted, with its mask.
#[derive(Debug, Clone)]
pub struct PersonRow {
    pub name: String,
    pub mobile: String,
    pub id_number_enc: Option<Vec<u8>>,
    pub id_number_masked: Option<String>,
    pub tier: Tier,
    pub org_id: Option<OrgId>,
    pub region: RegionCode,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub region: Option<RegionCode>,
    pub person_id: Option<PersonId>,
    pub org_id: Option<OrgId>,
}

/// People and organisations counted for one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionCount {
    pub code: RegionCode,
    pub name: String,
    pub people: i64,
    pub orgs: i64,
}

/// What a session token resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionLookup {
    Valid(User),
    Expired,
    Missing,
}

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
pub trait Store: Send + Sync + 'static {
    /// Which backend this is (`sqlite` or `postgres`), for logs and health.
    fn backend(&self) -> &'static str;

    // Regions.
    async fn upsert_regions(&self, regions: &[Region]) -> Result<usize>;
    async fn list_regions(
        &self,
        level: Option<RegionLevel>,
        parent: Option<RegionCode>,
    ) -> Result<Vec<Region>>;
    async fn get_region(&self, code: RegionCode) -> Result<Option<Region>>;

    // Organisations.
    async fn insert_org(&self, org: &OrgDraft, now: i64) -> Result<OrgId>;
    async fn insert_orgs_bulk(&self, orgs: &[OrgDraft], now: i64) -> Result<Vec<OrgId>>;
    async fn update_org(&self, id: OrgId, org: &OrgDraft, now: i64) -> Result<()>;
    async fn get_org(&self, access: Access, id: OrgId) -> Result<Option<Organisation>>;
    async fn list_orgs(&self, query: &OrgQuery) -> Result<Page<Organisation>>;

    // People.
    /// Fails with `Error::Conflict` on `mobile` when the number is taken.
    async fn insert_person(&self, person: &PersonRow, now: i64) -> Result<PersonId>;
    async fn insert_people_bulk(&self, people: &[PersonRow], now: i64) -> Result<()>;
    async fn update_person(&self, id: PersonId, person: &PersonRow, now: i64) -> Result<()>;
    async fn get_person(&self, access: Access, id: PersonId) -> Result<Option<Person>>;
    /// The encrypted ID number of a person in scope (outer `None`: no such person).
    async fn get_person_id_number(
        &self,
        access: Access,
        id: PersonId,
    ) -> Result<Option<Option<Vec<u8>>>>;
    async fn list_people(&self, query: &PeopleQuery) -> Result<Page<Person>>;
    async fn count_people(&self) -> Result<i64>;

    /// People and organisations per child region of `parent` (cities of a
    /// province, counties and zones of a city), each child's whole subtree.
    async fn count_by_child_region(&self, parent: RegionCode) -> Result<Vec<RegionCount>>;

    // Accounts.
    async fn insert_user(&self, user: &NewUser) -> Result<UserId>;
    async fn get_user(&self, id: UserId) -> Result<Option<User>>;
    /// Finds an enabled account by username or by its person's mobile
    /// number, with its password hash.
    async fn find_user_for_login(
        &self,
        username: &str,
        mobile: Option<&str>,
    ) -> Result<Option<(User, String)>>;
    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>>;

    // Sessions and tokens (only hashes are stored).
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: UserId,
        now: i64,
        expires_at: i64,
    ) -> Result<()>;
    async fn session_user(&self, token_hash: &str, now: i64) -> Result<SessionLookup>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    async fn create_api_token(
        &self,
        token_hash: &str,
        user_id: UserId,
        label: &str,
        now: i64,
    ) -> Result<()>;
    async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>>;

    // Log-in throttling.
    async fn record_login_failure(&self, key: &str, at: i64) -> Result<()>;
    /// How many failures `key` has had since `since`, and when the oldest was.
    async fn login_failures_since(&self, key: &str, since: i64) -> Result<(i64, Option<i64>)>;
    async fn clear_login_failures(&self, key: &str) -> Result<()>;

    // Audit.
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
    async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEntry>>;
}
