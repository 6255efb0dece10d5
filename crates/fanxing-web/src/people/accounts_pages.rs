//! The client address behind trusted proxies, the known-device cookie, and
//! the account pages: "账号" (one's password and API tokens) for everyone
//! logged in, "账号管理" (disable, enable, lift a log-in lock) for offices.

use std::net::{IpAddr, SocketAddr};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fanxing_core::auth::User;
use fanxing_core::people::accounts::{AccountView, DEVICE_TTL_SECS};
use fanxing_core::people::store::ApiTokenRow;
use fanxing_core::people::UserId;
use fanxing_core::security::PASSWORD_MIN;
use fanxing_core::{Error, FieldErrors};
use serde::Deserialize;

use crate::ctx::{set_cookie, CsrfForm, Ctx};
use crate::error::PageError;
use crate::pages::{field, path_id, render, render_status};
use crate::AppState;

type PageResult = Result<Response, PageError>;

/// The cookie that marks a browser as a device its user has logged in
/// from before (a random token, stored hashed per user).
pub const DEVICE_COOKIE: &str = "fx_device";

/// The address log-ins are counted against. The TCP peer's address, unless
/// the peer is one of `trusted` proxies: then the `X-Real-IP` it sets, else
/// the last hop of `X-Forwarded-For` (the one that proxy appended). A
/// header from any other peer is ignored, so clients cannot choose the
/// address they are counted under.
pub fn client_addr(headers: &HeaderMap, peer: SocketAddr, trusted: &[IpAddr]) -> String {
    let peer_ip = normalise(peer.ip());
    if trusted.iter().any(|t| normalise(*t) == peer_ip) {
        let real_ip = headers
            .get("x-real-ip")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<IpAddr>().ok());
        let last_hop = || {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .last()
                .and_then(|s| s.trim().parse::<IpAddr>().ok())
        };
        if let Some(ip) = real_ip.or_else(last_hop) {
            return normalise(ip).to_string();
        }
    }
    peer_ip.to_string()
}

/// IPv4-mapped IPv6 addresses as IPv4, so one client has one address.
fn normalise(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The `Set-Cookie` value for a new device token.
pub fn device_cookie(token: &str, secure: bool) -> Option<HeaderValue> {
    HeaderValue::from_str(&set_cookie(
        DEVICE_COOKIE,
        token,
        DEVICE_TTL_SECS,
        "Strict",
        secure,
    ))
    .ok()
}

// ---- 账号: one's own account -----------------------------------------------

/// One API token as the account page shows it.
struct TokenLine {
    row: ApiTokenRow,
    active: bool,
    status_key: &'static str,
}

#[derive(Template)]
#[template(path = "people/account.html")]
struct AccountPage<'a> {
    ctx: &'a Ctx,
    user: &'a User,
    notice: Option<String>,
    errors: FieldErrors,
    new_label: String,
    min: usize,
    tokens: Vec<TokenLine>,
}

impl AccountPage<'_> {
    fn err(&self, name: &str) -> Option<String> {
        self.errors.get(name).map(|e| e.message(self.ctx.lang))
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
    id: Option<UserId>,
    q: Option<String>,
}

async fn account_page(
    state: &AppState,
    ctx: &Ctx,
    notice: Option<String>,
    errors: FieldErrors,
) -> PageResult {
    let actor = ctx.actor()?;
    let now = fanxing_core::now();
    let tokens = state
        .app
        .accounts
        .my_api_tokens(actor)
        .await?
        .into_iter()
        .map(|row| {
            let (active, status_key) = if row.revoked_at.is_some() {
                (false, "account.token_revoked")
            } else if row.expires_at <= now {
                (false, "account.token_expired")
            } else {
                (true, "account.token_active")
            };
            TokenLine {
                row,
                active,
                status_key,
            }
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        ctx,
        status,
        &AccountPage {
            ctx,
            user: &actor.user,
            notice,
            errors,
            new_label: ctx.tf(
                "account.new_password",
                &[("min", &PASSWORD_MIN.to_string())],
            ),
            min: PASSWORD_MIN,
            tokens,
        },
    )
}

pub async fn account(State(state): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("password") => Some(ctx.t("account.password_changed").to_string()),
        Some("revoked") => Some(ctx.t("account.token_revoked_done").to_string()),
        _ => None,
    };
    account_page(&state, &ctx, notice, FieldErrors::default()).await
}

pub async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let actor = ctx.actor()?;
    let confirm = field(&form, "confirm_password");
    match state
        .app
        .accounts
        .change_password(
            actor,
            ctx.session_token.as_deref(),
            &field(&form, "current_password"),
            &field(&form, "new_password"),
            Some(&confirm),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to("/account?done=password").into_response()),
        Err(e @ Error::Invalid(_)) => account_page(&state, &ctx, None, e.fields()).await,
        Err(e @ Error::RateLimited(_)) => {
            let mut res = account_page(
                &state,
                &ctx,
                Some(e.message(ctx.lang)),
                FieldErrors::default(),
            )
            .await?;
            *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            Ok(res)
        }
        Err(e) => Err(PageError::new(&ctx, e)),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let actor = ctx.actor()?;
    let id = path_id(&ctx, &id)?;
    state.app.accounts.revoke_my_api_token(actor, id).await?;
    Ok(Redirect::to("/account?done=revoked").into_response())
}

// ---- 账号管理: the accounts an office manages --------------------------------

struct AccountLine {
    view: AccountView,
    lock: String,
}

#[derive(Template)]
#[template(path = "people/accounts.html")]
struct AccountsPage<'a> {
    ctx: &'a Ctx,
    notice: Option<String>,
    q: String,
    rows: Vec<AccountLine>,
}

pub async fn accounts(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Done>,
) -> PageResult {
    let actor = ctx.actor()?;
    let text = q.q.clone().unwrap_or_default();
    let views = state.app.accounts.accounts(actor, Some(&text)).await?;
    let notice = match (q.done.as_deref(), q.id) {
        (Some(done), Some(id)) => {
            let key = match done {
                "disable" => Some("accounts.disabled_done"),
                "enable" => Some("accounts.enabled_done"),
                "unlock" => Some("accounts.unlocked_done"),
                _ => None,
            };
            let name = views
                .iter()
                .find(|v| v.account.user.id == id)
                .map(|v| v.account.user.username.clone());
            key.zip(name)
                .map(|(k, n)| ctx.tf(k, &[("name", n.as_str())]))
        }
        _ => None,
    };
    let rows = views
        .into_iter()
        .map(|view| {
            let lock = match view.locked_for {
                Some(secs) => ctx.tf(
                    "accounts.locked",
                    &[("minutes", &(secs.max(1) as u64).div_ceil(60).to_string())],
                ),
                None if view.failures > 0 => {
                    ctx.tf("accounts.failures", &[("n", &view.failures.to_string())])
                }
                None => String::new(),
            };
            AccountLine { view, lock }
        })
        .collect();
    render(
        &ctx,
        &AccountsPage {
            ctx: &ctx,
            notice,
            q: text,
            rows,
        },
    )
}

async fn account_action(state: &AppState, ctx: &Ctx, id: &str, action: &str) -> PageResult {
    let actor = ctx.actor()?;
    let id = path_id(ctx, id)?;
    let result = match action {
        "disable" => state
            .app
            .accounts
            .set_account_disabled(actor, id, true)
            .await
            .map(drop),
        "enable" => state
            .app
            .accounts
            .set_account_disabled(actor, id, false)
            .await
            .map(drop),
        _ => state
            .app
            .accounts
            .lift_login_lock(actor, id)
            .await
            .map(drop),
    };
    result?;
    Ok(Redirect::to(&format!("/accounts?done={action}&id={id}")).into_response())
}

pub async fn disable_account(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    account_action(&state, &ctx, &id, "disable").await
}

pub async fn enable_account(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    account_action(&state, &ctx, &id, "enable").await
}

pub async fn unlock_account(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    account_action(&state, &ctx, &id, "unlock").await
}

/// Adds the device cookie (when the log-in minted one) to a response.
pub fn with_device_cookie(mut res: Response, token: Option<&str>, secure: bool) -> Response {
    if let Some(v) = token.and_then(|t| device_cookie(t, secure)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert("x-real-ip", HeaderValue::from_static("203.0.113.9"));
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("198.51.100.1, 192.0.2.7"),
        );
        let peer: SocketAddr = "10.0.0.2:5555".parse().unwrap();
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(client_addr(&h, peer, &[]), "10.0.0.2");
        assert_eq!(client_addr(&h, peer, &[proxy]), "203.0.113.9");
        h.remove("x-real-ip");
        assert_eq!(client_addr(&h, peer, &[proxy]), "192.0.2.7", "last hop");
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("not an address"),
        );
        assert_eq!(client_addr(&h, peer, &[proxy]), "10.0.0.2");
        let mapped: SocketAddr = "[::ffff:10.0.0.2]:1".parse().unwrap();
        assert_eq!(client_addr(&HeaderMap::new(), mapped, &[]), "10.0.0.2");
    }
}
