//! Log-in and account control: throttled log-in, known devices, changing
//! one's password, disabling accounts, lifting log-in locks, API tokens.
//!
//! # Throttling
//!
//! Every attempt is written first (as "being checked") and only then are
//! the attempts that bear on it counted, the new one excluded; the
//! password is checked only if the counts allow it. Whatever the
//! interleaving, the attempt counted last sees every attempt allowed
//! before it, so a burst of concurrent guesses cannot check more passwords
//! than the limits allow. Refused attempts are forgotten; failed ones stay
//! until they age out, a successful log-in from the same source clears
//! them, or an office lifts the lock.
//!
//! Attempts are counted against the account the log-in names (by user id,
//! however the mobile or username is written) or, when it names none,
//! against a canonical form of what was typed. Limits:
//!
//! - per account and source (the client address, or a known device):
//!   [`PAIR_FREE_FAILURES`] free failures, then a wait that doubles from
//!   [`BACKOFF_BASE_SECS`] up to [`BACKOFF_CAP_SECS`];
//! - per account from anywhere: [`ACCOUNT_MAX_FAILURES`] within
//!   [`WIDE_WINDOW_SECS`], not applied to a known device;
//! - per address over all accounts: [`ADDR_MAX_FAILURES`] within
//!   [`WIDE_WINDOW_SECS`], not applied to a known device.
//!
//! So guesses from one place slow down only that place, and the real
//! user on a known device or another address still logs in.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::audit::Audit;
use crate::auth::Role;
use crate::auth::{Actor, User};
use crate::cache::TtlCache;
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::now;
use crate::people::store::{AccountQuery, AccountRow, ApiTokenRow, AttemptCounts, FailureSummary};
use crate::people::store::{AccountStore, NewUser, PeopleStore, SessionLookup};
use crate::people::{OrgId, PersonId, UserId};
use crate::region::RegionCode;
use crate::security;
use crate::values::{to_half_width, Mobile};

/// Failures allowed per account and source before waits begin.
pub const PAIR_FREE_FAILURES: i64 = 5;
/// The first wait after the free failures; each further failure doubles it.
pub const BACKOFF_BASE_SECS: i64 = 60;
/// The longest wait.
pub const BACKOFF_CAP_SECS: i64 = 15 * 60;
/// How long failures per account and source are remembered.
pub const PAIR_WINDOW_SECS: i64 = 24 * 3600;
/// Failures of one account from all sources within [`WIDE_WINDOW_SECS`]
/// that stop log-ins from devices not known to it.
pub const ACCOUNT_MAX_FAILURES: i64 = 20;
/// Failures from one address over all accounts within [`WIDE_WINDOW_SECS`]
/// that stop log-ins from it (except from known devices).
pub const ADDR_MAX_FAILURES: i64 = 50;
pub const WIDE_WINDOW_SECS: i64 = 15 * 60;
/// How long a known device stays known without being used.
pub const DEVICE_TTL_SECS: i64 = 365 * 24 * 3600;
/// How long a log-in session lasts.
pub const SESSION_TTL_SECS: i64 = 7 * 24 * 3600;
/// How long an API token lasts unless told otherwise.
pub const API_TOKEN_DAYS: i64 = 90;
/// The longest an API token may last.
pub const API_TOKEN_MAX_DAYS: i64 = 3650;
/// How long a session or API token, once resolved to its user, is answered
/// from memory. A log-out, a password change, a disabled account or a
/// revoked token through this server forgets every kept caller at once;
/// through another server (or the command line), it takes effect here
/// within this time.
pub const CALLER_KEPT: Duration = Duration::from_secs(5);
/// The most callers kept.
const CALLERS_KEPT_MAX: usize = 50_000;

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

/// A successful log-in.
#[derive(Debug, Clone)]
pub struct LoginOk {
    /// The session token, for the session cookie.
    pub session: String,
    pub user: User,
    /// A new device token to store in the device cookie, when the device
    /// was not known to this account yet.
    pub new_device: Option<String>,
}

/// An account in an office's list, with its log-in lock.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub account: AccountRow,
    /// Failed log-ins within [`PAIR_WINDOW_SECS`].
    pub failures: i64,
    /// Seconds until log-ins from some source are allowed again, when some
    /// source (or the account as a whole) is held back now.
    pub locked_for: Option<i64>,
}

/// What the throttle counts an attempt against when the log-in names no
/// account: the normalised mobile number, else the log-in folded to
/// half-width, without spaces, lower-cased.
pub fn canonical_login(login: &str) -> String {
    match Mobile::parse(login) {
        Ok(m) => format!("m:{}", m.as_str()),
        Err(_) => format!(
            "n:{}",
            to_half_width(login)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_lowercase()
        ),
    }
}

/// The wait after `failures` failures of one account from one source, the
/// last at `last`: `None` when another attempt may be made at `now`.
pub fn pair_wait(failures: i64, last: Option<i64>, now: i64) -> Option<i64> {
    if failures < PAIR_FREE_FAILURES {
        return None;
    }
    let doublings = (failures - PAIR_FREE_FAILURES).min(16) as u32;
    let wait = (BACKOFF_BASE_SECS << doublings).min(BACKOFF_CAP_SECS);
    let until = last.unwrap_or(now) + wait;
    (until > now).then_some(until - now)
}

/// How long an attempt must wait given the attempts before it, or `None`.
pub fn throttle(c: &AttemptCounts, known_device: bool, now: i64) -> Option<i64> {
    let mut wait = pair_wait(c.pair, c.pair_last, now);
    if !known_device {
        for (n, max, oldest) in [
            (c.account, ACCOUNT_MAX_FAILURES, c.account_oldest),
            (c.addr, ADDR_MAX_FAILURES, c.addr_oldest),
        ] {
            if n >= max {
                let w = (oldest.unwrap_or(now) + WIDE_WINDOW_SECS - now).max(1);
                wait = Some(wait.map_or(w, |x| x.max(w)));
            }
        }
    }
    wait
}

/// How long an account is held back, from its failures per source.
pub fn lock_of(summaries: &[&FailureSummary], now: i64) -> Option<i64> {
    let mut wait = summaries
        .iter()
        .filter_map(|s| pair_wait(s.failures, Some(s.last), now))
        .max();
    let recent: i64 = summaries.iter().map(|s| s.recent).sum();
    if recent >= ACCOUNT_MAX_FAILURES {
        let w = summaries
            .iter()
            .filter(|s| s.recent > 0)
            .map(|s| s.last + WIDE_WINDOW_SECS - now)
            .max()
            .unwrap_or(1)
            .max(1);
        wait = Some(wait.map_or(w, |x| x.max(w)));
    }
    wait
}

fn field(field: &'static str, key: &'static str) -> Error {
    Error::Invalid(FieldErrors(vec![FieldError::new(field, key)]))
}

fn check_new_password(password: &str, field_name: &'static str) -> Result<()> {
    if password.chars().count() < security::PASSWORD_MIN {
        return Err(Error::Invalid(FieldErrors(vec![FieldError::new(
            field_name,
            "account.password_short",
        )
        .with("min", security::PASSWORD_MIN)])));
    }
    Ok(())
}

/// A session or API token (by its hash), as kept in memory.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Credential {
    Session(String),
    Token(String),
}

/// A resolved caller: the user and when the credential ends.
struct KeptCaller {
    user: User,
    until: i64,
}

/// Log-in, sessions, accounts and API tokens. Cheap to clone.
#[derive(Clone)]
pub struct AccountService {
    store: Arc<dyn AccountStore>,
    people: Arc<dyn PeopleStore>,
    audit: Audit,
    /// Sessions and tokens resolved in the last [`CALLER_KEPT`].
    callers: Arc<TtlCache<Credential, KeptCaller>>,
}

impl AccountService {
    pub fn new(
        store: Arc<dyn AccountStore>,
        people: Arc<dyn PeopleStore>,
        audit: Audit,
    ) -> AccountService {
        AccountService::with_callers_kept(store, people, audit, CALLER_KEPT)
    }

    /// A service that keeps resolved callers for `kept` instead of
    /// [`CALLER_KEPT`] (tests).
    pub fn with_callers_kept(
        store: Arc<dyn AccountStore>,
        people: Arc<dyn PeopleStore>,
        audit: Audit,
        kept: Duration,
    ) -> AccountService {
        AccountService {
            store,
            people,
            audit,
            callers: Arc::new(TtlCache::with_capacity(kept, CALLERS_KEPT_MAX)),
        }
    }

    /// Forgets every kept caller: called after any change that ends a
    /// session, a token or an account.
    fn callers_changed(&self) {
        self.callers.clear();
    }
}

impl AccountService {
    // ---- Authentication -------------------------------------------------

    /// Resolves a session cookie to the acting user: from memory when it
    /// was resolved in the last [`CALLER_KEPT`] and has not ended since.
    /// Concurrent requests with the same cookie share one read.
    pub async fn session_actor(&self, token: &str) -> Result<Actor> {
        let hash = security::token_hash(token);
        let read = || async {
            match self.store.session_user(&hash, now()).await? {
                SessionLookup::Valid(user, until) => Ok(KeptCaller { user, until }),
                SessionLookup::Expired => Err(Error::SessionExpired),
                SessionLookup::Missing => Err(Error::Unauthorized),
            }
        };
        self.kept_actor(Credential::Session(hash.clone()), read)
            .await
    }

    /// Resolves an API bearer token to the acting user, kept like a
    /// session (see [`AccountService::session_actor`]).
    pub async fn token_actor(&self, token: &str) -> Result<Actor> {
        let hash = security::token_hash(token);
        let read = || async {
            self.store
                .api_token_user(&hash, now())
                .await?
                .map(|(user, until)| KeptCaller { user, until })
                .ok_or(Error::Unauthorized)
        };
        self.kept_actor(Credential::Token(hash.clone()), read).await
    }

    /// The caller `read` resolves `credential` to, kept for
    /// [`CALLER_KEPT`]; one that ended while kept is read again (the store
    /// then says how it ended).
    async fn kept_actor<F, Fut>(&self, credential: Credential, read: F) -> Result<Actor>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<KeptCaller>>,
    {
        let kept = self.callers.get_or_fill(&credential, &read).await?;
        if kept.until > now() {
            return Ok(Actor::new(kept.user.clone()));
        }
        read().await.map(|k| Actor::new(k.user))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        self.store
            .delete_session(&security::token_hash(token))
            .await?;
        self.callers_changed();
        Ok(())
    }

    /// Creates an API token for `username` lasting the default 90 days and
    /// returns it (shown once).
    pub async fn create_api_token(&self, username: &str, label: &str) -> Result<String> {
        self.create_api_token_for_days(username, label, crate::people::accounts::API_TOKEN_DAYS)
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
            self.people
                .get_region(r)
                .await?
                .ok_or_else(|| Error::field("region", "error.region_unknown"))?;
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

    /// Checks a log-in and opens a session. `addr` is the client address
    /// (see the web layer's trusted-proxy rule); `device` the device
    /// cookie, if the browser sent one. Throttled as the module says.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        addr: &str,
        device: Option<&str>,
    ) -> Result<LoginOk> {
        let now = now();
        let store = &self.store;
        let login = login.trim();
        // No account name holds a control character, and PostgreSQL would
        // refuse to compare with NUL: such a log-in names no account, and
        // its attempts count under the name without them.
        let clean: String = login
            .chars()
            .filter(|c| !crate::values::is_forbidden_char(*c, false))
            .collect();
        let found = if clean.len() == login.len() {
            let mobile = Mobile::parse(login).ok();
            store
                .find_user_for_login(login, mobile.as_ref().map(|m| m.as_str()))
                .await?
        } else {
            None
        };
        let (key, user_id) = match &found {
            Some((u, _)) => (format!("u:{}", u.id), Some(u.id)),
            None => (canonical_login(&clean), None),
        };
        let device_hash = device.filter(|d| d.len() >= 32).map(security::token_hash);
        let known_device = match (user_id, &device_hash) {
            (Some(uid), Some(h)) => {
                store
                    .touch_known_device(uid, h, now - DEVICE_TTL_SECS, now)
                    .await?
            }
            _ => false,
        };
        // A known device is its own source, whatever its address.
        let source = match (&device_hash, known_device) {
            (Some(h), true) => format!("device:{}", &h[..16]),
            _ => addr.to_string(),
        };
        let attempt = self
            .begin_guarded(&key, user_id, &source, known_device, now)
            .await?;
        let ok = match &found {
            Some((_, hash)) => security::verify_password(password, hash),
            None => {
                // Spend the same time as a real check so response timing
                // does not tell which accounts exist.
                security::verify_password(password, security::dummy_hash());
                false
            }
        };
        match found {
            Some((user, _)) if ok => {
                store.drop_login_attempt(attempt).await?;
                store.clear_pair_failures(&key, &source).await?;
                if rand::random::<u8>() < 4 {
                    store.purge_login_attempts(now - PAIR_WINDOW_SECS).await?;
                }
                let session = security::new_token();
                store
                    .create_session(
                        &security::token_hash(&session),
                        user.id,
                        now,
                        now + SESSION_TTL_SECS,
                    )
                    .await?;
                let new_device = if known_device {
                    None
                } else {
                    let token = security::new_token();
                    store
                        .add_known_device(user.id, &security::token_hash(&token), now)
                        .await?;
                    Some(token)
                };
                Ok(LoginOk {
                    session,
                    user,
                    new_device,
                })
            }
            _ => {
                store.fail_login_attempt(attempt).await?;
                Err(field("login", "login.failed"))
            }
        }
    }

    /// Records an attempt and decides it against the ones before it:
    /// returns the attempt's id, or refuses (forgetting the attempt).
    async fn begin_guarded(
        &self,
        key: &str,
        user_id: Option<UserId>,
        source: &str,
        known_device: bool,
        now: i64,
    ) -> Result<i64> {
        let store = &self.store;
        let id = store.begin_login_attempt(key, user_id, source, now).await?;
        let counts = store
            .login_attempt_counts(
                id,
                key,
                source,
                now - PAIR_WINDOW_SECS,
                now - WIDE_WINDOW_SECS,
            )
            .await?;
        if let Some(wait) = throttle(&counts, known_device, now) {
            store.drop_login_attempt(id).await?;
            return Err(Error::RateLimited(wait.max(1) as u64));
        }
        Ok(id)
    }

    /// Changes the caller's password. Needs the current one (checked under
    /// the same throttle as log-ins); ends every other session of the user
    /// and forgets their known devices. `session_token` is the caller's
    /// own session, kept (`None` from the API: every session ends).
    pub async fn change_password(
        &self,
        actor: &Actor,
        session_token: Option<&str>,
        current: &str,
        new: &str,
        confirm: Option<&str>,
    ) -> Result<()> {
        let uid = actor.user.id;
        let store = &self.store;
        let mut errors = FieldErrors::default();
        if current.is_empty() {
            errors.push(FieldError::new("current_password", "error.required"));
        }
        if let Err(Error::Invalid(f)) = check_new_password(new, "new_password") {
            errors.0.extend(f.0);
        }
        if confirm.is_some_and(|c| c != new) {
            errors.push(FieldError::new(
                "confirm_password",
                "account.password_mismatch",
            ));
        }
        errors.into_result()?;
        let hash = store.password_hash(uid).await?.ok_or(Error::NotFound)?;
        let now = now();
        let key = format!("u:{uid}");
        // The caller is logged in already: only this source's own limit
        // applies, not the account-wide one guessers elsewhere may have hit.
        let source = format!("password:{uid}");
        let attempt = self
            .begin_guarded(&key, Some(uid), &source, true, now)
            .await?;
        if !security::verify_password(current, &hash) {
            store.fail_login_attempt(attempt).await?;
            return Err(field("current_password", "account.password_wrong"));
        }
        store.drop_login_attempt(attempt).await?;
        store.clear_pair_failures(&key, &source).await?;
        store
            .set_password_hash(uid, &security::hash_password(new)?)
            .await?;
        let keep = session_token.map(security::token_hash);
        let ended = store.end_sessions(uid, keep.as_deref()).await?;
        self.callers_changed();
        store.forget_known_devices(uid).await?;
        self.audit
            .record(
                actor,
                "account.password",
                &format!("user:{uid}"),
                &format!("other sessions ended: {ended}"),
            )
            .await
    }

    /// The accounts the caller manages, with their log-in locks.
    pub async fn accounts(&self, actor: &Actor, text: Option<&str>) -> Result<Vec<AccountView>> {
        let (range, roles) = actor.account_scope().ok_or(Error::Forbidden)?;
        let rows = self
            .store
            .list_accounts(&AccountQuery {
                range,
                roles: roles.to_vec(),
                text: text
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from),
                limit: crate::store::PAGE_MAX,
            })
            .await?;
        let rows: Vec<AccountRow> = rows
            .into_iter()
            .filter(|r| actor.may_manage_account(r.user.id, r.user.role, r.region))
            .collect();
        self.with_locks(rows).await
    }

    async fn with_locks(&self, rows: Vec<AccountRow>) -> Result<Vec<AccountView>> {
        let now = now();
        let ids: Vec<UserId> = rows.iter().map(|r| r.user.id).collect();
        let summaries = self
            .store
            .failure_summaries(&ids, now - PAIR_WINDOW_SECS, now - WIDE_WINDOW_SECS)
            .await?;
        Ok(rows
            .into_iter()
            .map(|account| {
                let mine: Vec<&FailureSummary> = summaries
                    .iter()
                    .filter(|s| s.user_id == account.user.id)
                    .collect();
                AccountView {
                    failures: mine.iter().map(|s| s.failures).sum(),
                    locked_for: lock_of(&mine, now),
                    account,
                }
            })
            .collect())
    }

    /// One account the caller manages; "not found" otherwise.
    async fn managed_account(&self, actor: &Actor, id: UserId) -> Result<AccountRow> {
        let row = self.store.get_account(id).await?.ok_or(Error::NotFound)?;
        if actor.may_manage_account(row.user.id, row.user.role, row.region) {
            Ok(row)
        } else {
            Err(Error::NotFound)
        }
    }

    /// Disables or enables an account the caller manages. A disabled
    /// account cannot log in; its sessions end and its API tokens stop
    /// working at once.
    pub async fn set_account_disabled(
        &self,
        actor: &Actor,
        id: UserId,
        disabled: bool,
    ) -> Result<AccountRow> {
        let row = self.managed_account(actor, id).await?;
        let store = &self.store;
        store.set_user_disabled(id, disabled).await?;
        if disabled {
            store.end_sessions(id, None).await?;
            self.callers_changed();
            store.forget_known_devices(id).await?;
        }
        self.audit
            .record(
                actor,
                if disabled {
                    "account.disable"
                } else {
                    "account.enable"
                },
                &format!("user:{id}"),
                &row.user.username,
            )
            .await?;
        Ok(AccountRow { disabled, ..row })
    }

    /// Forgets an account's failed log-ins, so that it may log in at once
    /// from anywhere. Returns how many failures there were.
    pub async fn lift_login_lock(&self, actor: &Actor, id: UserId) -> Result<u64> {
        let row = self.managed_account(actor, id).await?;
        let n = self.store.clear_user_failures(id).await?;
        self.audit
            .record(
                actor,
                "account.unlock",
                &format!("user:{id}"),
                &format!("{}: {n} failures cleared", row.user.username),
            )
            .await?;
        Ok(n)
    }

    /// The user named `username`, for the CLI.
    pub async fn user_named(&self, username: &str) -> Result<User> {
        self.store
            .find_user_by_username(username)
            .await?
            .ok_or_else(|| Error::Message(format!("no user named `{username}`")))
    }

    /// Creates an API token for `username` lasting `days` and returns its
    /// id and the token (shown once).
    pub async fn create_api_token_for_days(
        &self,
        username: &str,
        label: &str,
        days: i64,
    ) -> Result<(i64, String)> {
        if !(1..=API_TOKEN_MAX_DAYS).contains(&days) {
            return Err(Error::Message(format!(
                "--days must lie between 1 and {API_TOKEN_MAX_DAYS}"
            )));
        }
        let user = self.user_named(username).await?;
        let token = security::new_token();
        let now = now();
        let id = self
            .store
            .insert_api_token(
                &security::token_hash(&token),
                user.id,
                label,
                now,
                now + days * 86400,
            )
            .await?;
        self.audit
            .append(&crate::audit::AuditEntry {
                at: now,
                user_id: None,
                action: "token.create".into(),
                target: format!("token:{id}"),
                detail: format!("{username}: {label}, {days} days"),
            })
            .await?;
        Ok((id, token))
    }

    /// The caller's own API tokens (never the secrets).
    pub async fn my_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiTokenRow>> {
        self.store.list_api_tokens(actor.user.id).await
    }

    /// The API tokens of `username`, for the CLI.
    pub async fn api_tokens_of(&self, username: &str) -> Result<Vec<ApiTokenRow>> {
        let user = self.user_named(username).await?;
        self.store.list_api_tokens(user.id).await
    }

    /// Revokes one of the caller's own tokens; another's is "not found".
    pub async fn revoke_my_api_token(&self, actor: &Actor, id: i64) -> Result<()> {
        let token = self
            .store
            .get_api_token(id)
            .await?
            .filter(|t| t.user_id == actor.user.id)
            .ok_or(Error::NotFound)?;
        self.store.revoke_api_token(token.id, now()).await?;
        self.callers_changed();
        self.audit
            .record(actor, "token.revoke", &format!("token:{id}"), &token.label)
            .await
    }

    /// Revokes any token by id (the CLI). Whether it was still active.
    pub async fn revoke_api_token(&self, id: i64) -> Result<bool> {
        let token = self
            .store
            .get_api_token(id)
            .await?
            .ok_or_else(|| Error::Message(format!("no API token {id}")))?;
        let revoked = self.store.revoke_api_token(id, now()).await?;
        self.callers_changed();
        self.audit
            .append(&crate::audit::AuditEntry {
                at: now(),
                user_id: None,
                action: "token.revoke".into(),
                target: format!("token:{id}"),
                detail: format!("cli: {}", token.label),
            })
            .await?;
        Ok(revoked)
    }

    /// Disables or enables `username` (the CLI, which may manage every account).
    pub async fn set_disabled_by_name(&self, username: &str, disabled: bool) -> Result<()> {
        let user = self.user_named(username).await?;
        let system = self.cli_actor();
        self.set_account_disabled(&system, user.id, disabled)
            .await
            .map(drop)
    }

    /// Lifts the log-in lock of `username` (the CLI).
    pub async fn lift_lock_by_name(&self, username: &str) -> Result<u64> {
        let user = self.user_named(username).await?;
        self.lift_login_lock(&self.cli_actor(), user.id).await
    }

    /// The CLI acting as the programme office (user id 0, which no account has).
    fn cli_actor(&self) -> Actor {
        Actor::new(User {
            id: UserId(0),
            username: "cli".into(),
            display_name: "cli".into(),
            role: crate::auth::Role::ProgrammeOffice,
            region: None,
            person_id: None,
            org_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::Fake;
    use std::sync::atomic::Ordering;

    fn trainee(id: i64) -> User {
        User {
            id: UserId(id),
            username: format!("u{id}"),
            display_name: format!("User {id}"),
            role: Role::Trainee,
            region: None,
            person_id: None,
            org_id: None,
        }
    }

    /// A service over a fake store holding one session per user given,
    /// each ending at `until`; its tokens are "t{id}".
    fn service_with_sessions(
        users: &[i64],
        until: i64,
        kept: Duration,
    ) -> (Arc<Fake>, AccountService) {
        let fake = Arc::new(Fake::default());
        for id in users {
            fake.sessions.lock().unwrap().insert(
                security::token_hash(&format!("t{id}")),
                (trainee(*id), until),
            );
        }
        let service = AccountService::with_callers_kept(
            fake.clone(),
            fake.clone(),
            Audit::new(fake.clone()),
            kept,
        );
        (fake, service)
    }

    #[tokio::test]
    async fn a_resolved_session_is_kept_and_shared() {
        let (fake, service) = service_with_sessions(&[1], now() + 3600, Duration::from_secs(60));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let service = service.clone();
            tasks.push(tokio::spawn(
                async move { service.session_actor("t1").await },
            ));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().user.id, UserId(1));
        }
        service.session_actor("t1").await.unwrap();
        assert_eq!(
            fake.session_reads.load(Ordering::SeqCst),
            1,
            "one read for 21 requests"
        );
        assert!(matches!(
            service.session_actor("nobody").await,
            Err(Error::Unauthorized)
        ));
    }

    #[tokio::test]
    async fn an_ended_session_is_refused_at_once_through_this_server() {
        let (fake, service) = service_with_sessions(&[1, 2], now() + 3600, Duration::from_secs(60));
        service.session_actor("t1").await.unwrap();
        service.session_actor("t2").await.unwrap();
        service.logout("t1").await.unwrap();
        assert!(matches!(
            service.session_actor("t1").await,
            Err(Error::Unauthorized)
        ));
        assert_eq!(
            service.session_actor("t2").await.unwrap().user.id,
            UserId(2)
        );
        assert_eq!(
            fake.session_reads.load(Ordering::SeqCst),
            4,
            "both read again"
        );
    }

    #[tokio::test]
    async fn a_session_ended_elsewhere_is_refused_within_the_kept_time() {
        let kept = Duration::from_millis(200);
        let (fake, service) = service_with_sessions(&[1], now() + 3600, kept);
        service.session_actor("t1").await.unwrap();
        // Another server (or the command line) ends the session.
        fake.end_sessions(UserId(1), None).await.unwrap();
        std::thread::sleep(kept + Duration::from_millis(20));
        assert!(matches!(
            service.session_actor("t1").await,
            Err(Error::Unauthorized)
        ));
    }

    #[tokio::test]
    async fn a_kept_session_past_its_end_is_expired() {
        let (fake, service) = service_with_sessions(&[1], now() + 1, Duration::from_secs(60));
        service.session_actor("t1").await.unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        assert!(matches!(
            service.session_actor("t1").await,
            Err(Error::SessionExpired)
        ));
        assert!(
            fake.sessions.lock().unwrap().is_empty(),
            "the store forgot it"
        );
    }

    #[test]
    fn one_mobile_written_many_ways_is_one_key() {
        let forms = [
            "13912345678",
            " 139 1234 5678 ",
            "+86 139-1234-5678",
            "0086 13912345678",
            "１３９１２３４５６７８",
        ];
        for f in forms {
            assert_eq!(canonical_login(f), "m:13912345678", "{f}");
        }
        assert_eq!(canonical_login(" Ａｄｍｉｎ "), "n:admin");
        assert_eq!(canonical_login("ADMIN"), canonical_login("admin"));
    }

    #[test]
    fn waits_double_up_to_the_cap() {
        assert_eq!(pair_wait(4, Some(100), 100), None);
        assert_eq!(pair_wait(5, Some(100), 100), Some(60));
        assert_eq!(pair_wait(6, Some(100), 100), Some(120));
        assert_eq!(pair_wait(7, Some(100), 130), Some(210));
        assert_eq!(pair_wait(40, Some(100), 100), Some(BACKOFF_CAP_SECS));
        assert_eq!(pair_wait(5, Some(100), 160), None);
    }

    #[test]
    fn known_devices_skip_the_wide_limits_but_not_their_own() {
        let c = AttemptCounts {
            account: ACCOUNT_MAX_FAILURES,
            account_oldest: Some(0),
            addr: ADDR_MAX_FAILURES,
            addr_oldest: Some(0),
            ..Default::default()
        };
        assert!(throttle(&c, false, 10).is_some());
        assert_eq!(throttle(&c, true, 10), None);
        let own = AttemptCounts {
            pair: PAIR_FREE_FAILURES,
            pair_last: Some(10),
            ..c
        };
        assert!(throttle(&own, true, 10).is_some());
    }
}
