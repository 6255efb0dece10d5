//! [`AccountStore`] in portable SQL: log-in attempts, known devices,
//! passwords, disabling, and API tokens.
//!
//! Log-in attempts are written before they are counted (see
//! `fanxing_core::accounts`), so concurrent attempts always see each other.

use async_trait::async_trait;
use sqlx::any::AnyRow;

use fanxing_core::auth::{Role, User};
use fanxing_core::error::{Error, Result};
use fanxing_core::people::store::{
    AccountQuery, AccountRow, AccountStore, ApiTokenRow, AttemptCounts, FailureSummary,
};
use fanxing_core::people::store::{NewUser, SessionLookup};
use fanxing_core::people::UserId;

use crate::sql::{args, like_contains, Sql};
use crate::store::{
    col, db, id_col, is_unique_violation, region_code, user_from, SqlStore, USER_COLS, USER_SELECT,
};

const ACCOUNT_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.role, u.region, \
     u.person_id, u.org_id, u.password_hash, u.disabled, \
     COALESCE(u.region, p.region, o.region) AS eff_region, r.name AS region_name \
     FROM users u LEFT JOIN people p ON p.id = u.person_id \
     LEFT JOIN organisations o ON o.id = u.org_id \
     LEFT JOIN regions r ON r.code = COALESCE(u.region, p.region, o.region) WHERE 1=1";

fn account_from(row: &AnyRow) -> Result<AccountRow> {
    let region: Option<i64> = col(row, "eff_region")?;
    let disabled: i64 = col(row, "disabled")?;
    Ok(AccountRow {
        user: user_from(row)?,
        region: region.map(region_code).transpose()?,
        region_name: col(row, "region_name")?,
        disabled: disabled != 0,
    })
}

fn token_from(row: &AnyRow) -> Result<ApiTokenRow> {
    Ok(ApiTokenRow {
        id: col(row, "id")?,
        user_id: id_col(row, "user_id")?,
        label: col(row, "label")?,
        created_at: col(row, "created_at")?,
        expires_at: col(row, "expires_at")?,
        revoked_at: col(row, "revoked_at")?,
    })
}

const TOKEN_SELECT: &str =
    "SELECT id, user_id, label, created_at, expires_at, revoked_at FROM api_tokens";

impl SqlStore {
    async fn exec(&self, q: Sql) -> Result<u64> {
        Ok(q.query()
            .execute(self.writer())
            .await
            .map_err(db)?
            .rows_affected())
    }
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn insert_user(&self, u: &NewUser) -> Result<UserId> {
        let mut q = Sql::new(
            "INSERT INTO users (username, display_name, password_hash, role, region, person_id, org_id, created_at) VALUES (",
        );
        q.binds(args![
            u.username.as_str(),
            u.display_name.as_str(),
            u.password_hash.as_str(),
            u.role.as_str(),
            u.region.map(|r| r.value() as i64),
            u.person_id,
            u.org_id,
            fanxing_core::now()
        ])
        .push(") RETURNING id");
        match q.query().fetch_one(self.writer()).await {
            Ok(row) => id_col(&row, "id"),
            Err(e) if is_unique_violation(&e) => Err(Error::Conflict(
                fanxing_core::FieldError::new("username", "error.conflict"),
            )),
            Err(e) => Err(db(e)),
        }
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>> {
        let mut q = Sql::new(USER_SELECT);
        q.push(" WHERE u.id = ").bind(id);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
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
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        match row {
            Some(r) => Ok(Some((user_from(&r)?, col(&r, "password_hash")?))),
            None => Ok(None),
        }
    }

    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>> {
        let mut q = Sql::new(USER_SELECT);
        q.push(" WHERE u.username = ").bind(username);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
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
        q.binds(args![token_hash, user_id, now, expires_at])
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
        let Some(row) = q.query().fetch_optional(self.pool()).await.map_err(db)? else {
            return Ok(SessionLookup::Missing);
        };
        let expires: i64 = col(&row, "expires_at")?;
        if expires <= now {
            self.delete_session(token_hash).await?;
            return Ok(SessionLookup::Expired);
        }
        Ok(SessionLookup::Valid(user_from(&row)?, expires))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let mut q = Sql::new("DELETE FROM sessions WHERE token_hash = ");
        q.bind(token_hash);
        q.query().execute(self.writer()).await.map_err(db)?;
        Ok(())
    }

    async fn api_token_user(&self, token_hash: &str, now: i64) -> Result<Option<(User, i64)>> {
        let mut q = Sql::new(&format!("SELECT {USER_COLS}, t.expires_at FROM users u"));
        q.push(" JOIN api_tokens t ON t.user_id = u.id WHERE u.disabled = 0 AND t.token_hash = ")
            .bind(token_hash)
            .push(" AND t.revoked_at IS NULL AND t.expires_at > ")
            .bind(now);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.as_ref()
            .map(|row| Ok((user_from(row)?, col(row, "expires_at")?)))
            .transpose()
    }
    async fn begin_login_attempt(
        &self,
        account_key: &str,
        user_id: Option<UserId>,
        addr: &str,
        at: i64,
    ) -> Result<i64> {
        let mut q =
            Sql::new("INSERT INTO login_attempts (account_key, user_id, addr, at, state) VALUES (");
        q.binds(args![account_key, user_id, addr, at])
            .push(", 0) RETURNING id");
        let row = q.query().fetch_one(self.writer()).await.map_err(db)?;
        col(&row, "id")
    }

    async fn login_attempt_counts(
        &self,
        id: i64,
        account_key: &str,
        addr: &str,
        pair_since: i64,
        wide_since: i64,
    ) -> Result<AttemptCounts> {
        let mut q = Sql::new("SELECT ");
        for (agg, alias) in [("COUNT(*)", "pair"), ("MAX(at)", "pair_last")] {
            q.push(&format!(
                "(SELECT {agg} FROM login_attempts WHERE account_key = "
            ))
            .bind(account_key)
            .push(" AND addr = ")
            .bind(addr)
            .push(" AND at >= ")
            .bind(pair_since)
            .push(" AND id <> ")
            .bind(id)
            .push(&format!(") AS {alias}, "));
        }
        for (agg, alias) in [("COUNT(*)", "account"), ("MIN(at)", "account_oldest")] {
            q.push(&format!(
                "(SELECT {agg} FROM login_attempts WHERE account_key = "
            ))
            .bind(account_key)
            .push(" AND at >= ")
            .bind(wide_since)
            .push(" AND id <> ")
            .bind(id)
            .push(&format!(") AS {alias}, "));
        }
        for (agg, alias) in [("COUNT(*)", "addr"), ("MIN(at)", "addr_oldest")] {
            q.push(&format!("(SELECT {agg} FROM login_attempts WHERE addr = "))
                .bind(addr)
                .push(" AND at >= ")
                .bind(wide_since)
                .push(" AND id <> ")
                .bind(id)
                .push(&format!(") AS {alias}"));
            if alias == "addr" {
                q.push(", ");
            }
        }
        // Read on the writer so that the count follows every committed
        // insert, whatever the replica or snapshot of the read pool.
        let row = q.query().fetch_one(self.writer()).await.map_err(db)?;
        Ok(AttemptCounts {
            pair: col(&row, "pair")?,
            pair_last: col(&row, "pair_last")?,
            account: col(&row, "account")?,
            account_oldest: col(&row, "account_oldest")?,
            addr: col(&row, "addr")?,
            addr_oldest: col(&row, "addr_oldest")?,
        })
    }

    async fn fail_login_attempt(&self, id: i64) -> Result<()> {
        let mut q = Sql::new("UPDATE login_attempts SET state = 1 WHERE id = ");
        q.bind(id);
        self.exec(q).await.map(drop)
    }

    async fn drop_login_attempt(&self, id: i64) -> Result<()> {
        let mut q = Sql::new("DELETE FROM login_attempts WHERE id = ");
        q.bind(id);
        self.exec(q).await.map(drop)
    }

    async fn clear_pair_failures(&self, account_key: &str, addr: &str) -> Result<()> {
        let mut q = Sql::new("DELETE FROM login_attempts WHERE state = 1 AND account_key = ");
        q.bind(account_key).push(" AND addr = ").bind(addr);
        self.exec(q).await.map(drop)
    }

    async fn clear_user_failures(&self, user_id: UserId) -> Result<u64> {
        let mut q = Sql::new("DELETE FROM login_attempts WHERE user_id = ");
        q.bind(user_id);
        self.exec(q).await
    }

    async fn purge_login_attempts(&self, before: i64) -> Result<()> {
        let mut q = Sql::new("DELETE FROM login_attempts WHERE at < ");
        q.bind(before);
        self.exec(q).await.map(drop)
    }

    async fn failure_summaries(
        &self,
        users: &[UserId],
        since: i64,
        recent_since: i64,
    ) -> Result<Vec<FailureSummary>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(
            "SELECT user_id, addr, COUNT(*) AS n, MAX(at) AS last, \
             CAST(SUM(CASE WHEN at >= ",
        );
        q.bind(recent_since)
            .push(" THEN 1 ELSE 0 END) AS BIGINT) AS recent FROM login_attempts WHERE at >= ")
            .bind(since)
            .push(" AND user_id IN (");
        for (i, u) in users.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(*u);
        }
        q.push(") GROUP BY user_id, addr");
        q.fetch_map(self.pool(), |r| {
            Ok(FailureSummary {
                user_id: id_col(r, "user_id")?,
                addr: col(r, "addr")?,
                failures: col(r, "n")?,
                last: col(r, "last")?,
                recent: col(r, "recent")?,
            })
        })
        .await
    }

    async fn add_known_device(&self, user_id: UserId, token_hash: &str, now: i64) -> Result<()> {
        let mut q = Sql::new(
            "INSERT INTO known_devices (user_id, token_hash, created_at, last_seen) VALUES (",
        );
        q.binds(args![user_id, token_hash, now, now]).push(")");
        self.exec(q).await.map(drop)
    }

    async fn touch_known_device(
        &self,
        user_id: UserId,
        token_hash: &str,
        seen_since: i64,
        now: i64,
    ) -> Result<bool> {
        let mut q = Sql::new("UPDATE known_devices SET last_seen = ");
        q.bind(now)
            .push(" WHERE user_id = ")
            .bind(user_id)
            .push(" AND token_hash = ")
            .bind(token_hash)
            .push(" AND last_seen >= ")
            .bind(seen_since);
        Ok(self.exec(q).await? > 0)
    }

    async fn forget_known_devices(&self, user_id: UserId) -> Result<()> {
        let mut q = Sql::new("DELETE FROM known_devices WHERE user_id = ");
        q.bind(user_id);
        self.exec(q).await.map(drop)
    }

    async fn password_hash(&self, user_id: UserId) -> Result<Option<String>> {
        let mut q = Sql::new("SELECT password_hash FROM users WHERE id = ");
        q.bind(user_id);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.map(|r| col(&r, "password_hash")).transpose()
    }

    async fn set_password_hash(&self, user_id: UserId, hash: &str) -> Result<()> {
        let mut q = Sql::new("UPDATE users SET password_hash = ");
        q.bind(hash).push(" WHERE id = ").bind(user_id);
        self.exec(q).await.map(drop)
    }

    async fn end_sessions(&self, user_id: UserId, keep: Option<&str>) -> Result<u64> {
        let mut q = Sql::new("DELETE FROM sessions WHERE user_id = ");
        q.bind(user_id);
        if let Some(k) = keep {
            q.push(" AND token_hash <> ").bind(k);
        }
        self.exec(q).await
    }

    async fn set_user_disabled(&self, user_id: UserId, disabled: bool) -> Result<()> {
        let mut q = Sql::new("UPDATE users SET disabled = ");
        q.bind(disabled as i64).push(" WHERE id = ").bind(user_id);
        self.exec(q).await.map(drop)
    }

    async fn list_accounts(&self, query: &AccountQuery) -> Result<Vec<AccountRow>> {
        let mut q = Sql::new(ACCOUNT_SELECT);
        if let Some(r) = query.range {
            q.push(" AND COALESCE(u.region, p.region, o.region) BETWEEN ")
                .bind(r.lo as i64)
                .push(" AND ")
                .bind(r.hi as i64);
        }
        if !query.roles.is_empty() {
            q.push(" AND u.role IN (");
            for (i, role) in query.roles.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.bind(Role::as_str(*role));
            }
            q.push(")");
        }
        if let Some(t) = query.text.as_deref().filter(|t| !t.is_empty()) {
            let pattern = like_contains(t);
            q.push(" AND (u.username LIKE ")
                .bind(pattern.as_str())
                .push(" ESCAPE '\\' OR u.display_name LIKE ")
                .bind(pattern.as_str())
                .push(" ESCAPE '\\')");
        }
        q.push(" ORDER BY u.id LIMIT ").bind(query.limit.max(0));
        q.fetch_map(self.pool(), account_from).await
    }

    async fn get_account(&self, user_id: UserId) -> Result<Option<AccountRow>> {
        let mut q = Sql::new(ACCOUNT_SELECT);
        q.push(" AND u.id = ").bind(user_id);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.as_ref().map(account_from).transpose()
    }

    async fn insert_api_token(
        &self,
        token_hash: &str,
        user_id: UserId,
        label: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<i64> {
        let mut q = Sql::new(
            "INSERT INTO api_tokens (token_hash, user_id, label, created_at, expires_at) VALUES (",
        );
        q.binds(args![token_hash, user_id, label, now, expires_at])
            .push(") RETURNING id");
        let row = q.query().fetch_one(self.writer()).await.map_err(db)?;
        col(&row, "id")
    }

    async fn list_api_tokens(&self, user_id: UserId) -> Result<Vec<ApiTokenRow>> {
        let mut q = Sql::new(TOKEN_SELECT);
        q.push(" WHERE user_id = ")
            .bind(user_id)
            .push(" ORDER BY id DESC");
        q.fetch_map(self.pool(), token_from).await
    }

    async fn get_api_token(&self, id: i64) -> Result<Option<ApiTokenRow>> {
        let mut q = Sql::new(TOKEN_SELECT);
        q.push(" WHERE id = ").bind(id);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.as_ref().map(token_from).transpose()
    }

    async fn revoke_api_token(&self, id: i64, now: i64) -> Result<bool> {
        let mut q = Sql::new("UPDATE api_tokens SET revoked_at = ");
        q.bind(now)
            .push(" WHERE revoked_at IS NULL AND id = ")
            .bind(id);
        Ok(self.exec(q).await? > 0)
    }
}
