//! The people feature's storage contracts: regions, organisations and
//! people ([`PeopleStore`]), and accounts, log-in and API tokens
//! ([`AccountStore`]). Every read of people or organisations takes an
//! [`Access`] so the scope travels into the SQL.

use async_trait::async_trait;
use serde::Serialize;

use crate::auth::{Access, Role, User};
use crate::error::Result;
use crate::people::{OrgDraft, OrgId, OrgKind, Organisation, Person, PersonId, Tier, UserId};
use crate::region::{Region, RegionCode, RegionLevel, RegionRange};
use crate::store::Page;

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
    /// A keyed hash of the ID number ([`crate::security::FieldCipher::id_number_key`]),
    /// for finding its holder without decrypting.
    pub id_number_key: Option<String>,
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
    /// The session's user and when the session ends.
    Valid(User, i64),
    Expired,
    Missing,
}

#[async_trait]
pub trait PeopleStore: Send + Sync {
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
    async fn update_org(&self, id: OrgId, org: &OrgDraft, now: i64) -> Result<()>;
    async fn get_org(&self, access: Access, id: OrgId) -> Result<Option<Organisation>>;
    async fn list_orgs(&self, query: &OrgQuery) -> Result<Page<Organisation>>;

    // People.
    /// Fails with `Error::Conflict` on `mobile` when the number is taken.
    async fn insert_person(&self, person: &PersonRow, now: i64) -> Result<PersonId>;
    async fn update_person(&self, id: PersonId, person: &PersonRow, now: i64) -> Result<()>;
    async fn get_person(&self, access: Access, id: PersonId) -> Result<Option<Person>>;
    /// People holding these ID-number keys, in any region: (key, id, region).
    /// For refusing a second holder; never shown to the caller.
    async fn people_by_id_keys(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, PersonId, RegionCode)>>;
    /// Up to `limit` people with an encrypted ID number but no key yet
    /// (rows from before keys existed): (id, encrypted number).
    async fn people_without_id_key(&self, limit: i64) -> Result<Vec<(PersonId, Vec<u8>)>>;
    /// Stores ID-number keys computed for existing rows.
    async fn set_id_number_keys(&self, keys: &[(PersonId, String)]) -> Result<()>;
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
}

/// What the throttle needs to know about earlier attempts (failed or still
/// being checked), not counting the attempt being decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttemptCounts {
    /// This account (or canonical log-in name) from this address, since
    /// the pair window began.
    pub pair: i64,
    pub pair_last: Option<i64>,
    /// This account from any address, since the wide window began.
    pub account: i64,
    pub account_oldest: Option<i64>,
    /// Any account from this address, since the wide window began.
    pub addr: i64,
    pub addr_oldest: Option<i64>,
}

/// Failed log-ins of one account from one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureSummary {
    pub user_id: UserId,
    pub addr: String,
    /// Since the pair window began.
    pub failures: i64,
    pub last: i64,
    /// Since the wide window began.
    pub recent: i64,
}

/// Which accounts an office's list shows.
#[derive(Debug, Clone)]
pub struct AccountQuery {
    /// Accounts whose region (their own, their person's or their
    /// organisation's) lies here; `None`: every account.
    pub range: Option<RegionRange>,
    /// Only these roles.
    pub roles: Vec<Role>,
    /// Part of the username or display name.
    pub text: Option<String>,
    pub limit: i64,
}

/// An account as an office's list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountRow {
    pub user: User,
    /// The account's own region, else its person's, else its organisation's.
    pub region: Option<RegionCode>,
    pub region_name: Option<String>,
    pub disabled: bool,
}

/// An API token as its owner (or the CLI) sees it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiTokenRow {
    pub id: i64,
    pub user_id: UserId,
    pub label: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
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
    /// The user of an API token that is neither expired nor revoked.
    /// The token's user and when the token ends.
    async fn api_token_user(&self, token_hash: &str, now: i64) -> Result<Option<(User, i64)>>;

    /// Records an attempt as being checked and returns its id.
    async fn begin_login_attempt(
        &self,
        account_key: &str,
        user_id: Option<UserId>,
        addr: &str,
        at: i64,
    ) -> Result<i64>;
    /// Counts the other attempts (failed or being checked) that bear on
    /// attempt `id`: same pair since `pair_since`; same account and same
    /// address since `wide_since`.
    async fn login_attempt_counts(
        &self,
        id: i64,
        account_key: &str,
        addr: &str,
        pair_since: i64,
        wide_since: i64,
    ) -> Result<AttemptCounts>;
    /// Marks an attempt as failed.
    async fn fail_login_attempt(&self, id: i64) -> Result<()>;
    /// Forgets one attempt (refused before its password was checked).
    async fn drop_login_attempt(&self, id: i64) -> Result<()>;
    /// Forgets the failures of a pair (after a successful log-in).
    async fn clear_pair_failures(&self, account_key: &str, addr: &str) -> Result<()>;
    /// Forgets every failure of an account (an office lifts its lock).
    /// Returns how many there were.
    async fn clear_user_failures(&self, user_id: UserId) -> Result<u64>;
    /// Forgets attempts older than `before`.
    async fn purge_login_attempts(&self, before: i64) -> Result<()>;
    /// Failures per (account, address) of these accounts since `since`.
    async fn failure_summaries(
        &self,
        users: &[UserId],
        since: i64,
        recent_since: i64,
    ) -> Result<Vec<FailureSummary>>;

    // Known devices.
    async fn add_known_device(&self, user_id: UserId, token_hash: &str, now: i64) -> Result<()>;
    /// Whether the device token is known for this user (seen since
    /// `seen_since`); touches it when it is.
    async fn touch_known_device(
        &self,
        user_id: UserId,
        token_hash: &str,
        seen_since: i64,
        now: i64,
    ) -> Result<bool>;
    async fn forget_known_devices(&self, user_id: UserId) -> Result<()>;

    // Accounts.
    async fn password_hash(&self, user_id: UserId) -> Result<Option<String>>;
    async fn set_password_hash(&self, user_id: UserId, hash: &str) -> Result<()>;
    /// Ends the user's sessions except the one with `keep` as its hash.
    async fn end_sessions(&self, user_id: UserId, keep: Option<&str>) -> Result<u64>;
    async fn set_user_disabled(&self, user_id: UserId, disabled: bool) -> Result<()>;
    async fn list_accounts(&self, q: &AccountQuery) -> Result<Vec<AccountRow>>;
    async fn get_account(&self, user_id: UserId) -> Result<Option<AccountRow>>;

    // API tokens.
    async fn insert_api_token(
        &self,
        token_hash: &str,
        user_id: UserId,
        label: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<i64>;
    async fn list_api_tokens(&self, user_id: UserId) -> Result<Vec<ApiTokenRow>>;
    async fn get_api_token(&self, id: i64) -> Result<Option<ApiTokenRow>>;
    /// Revokes a token that is not revoked yet; whether one was.
    async fn revoke_api_token(&self, id: i64, now: i64) -> Result<bool>;
}
