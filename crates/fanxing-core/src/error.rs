//! The one error type of the domain.
//!
//! Each variant maps to one kind of answer (the web layer turns them into
//! 400/401/403/404/409/422/429/500); messages are i18n keys so the user reads
//! them in their own language. Store failures are kept opaque: they are logged,
//! never shown.

use std::collections::BTreeMap;

use crate::i18n::Lang;

/// A field-level problem: which field, and an i18n key with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(field: &'static str, key: &'static str) -> Self {
        FieldError {
            field,
            key,
            args: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        lang.tf(self.key, &args)
    }
}

/// Collected field errors, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message for `field`, if any (for highlighting a form field).
    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }

    /// `field → message` in `lang` (first message per field).
    pub fn to_map(&self, lang: Lang) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        for e in &self.0 {
            map.entry(e.field.to_string())
                .or_insert_with(|| e.message(lang));
        }
        map
    }

    /// `Ok(())` when empty, else the errors as [`Error::Invalid`].
    pub fn into_result(self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self))
        }
    }
}

/// Everything that can go wrong in a domain operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input failed validation; nothing was written.
    #[error("invalid input: {0:?}")]
    Invalid(FieldErrors),
    /// A unique value is already taken (e.g. a mobile number).
    #[error("conflict on {}", .0.field)]
    Conflict(FieldError),
    /// Not logged in, or the session/token is no longer valid.
    #[error("unauthorized")]
    Unauthorized,
    /// The session cookie was valid once but has expired.
    #[error("session expired")]
    SessionExpired,
    /// Logged in but the role or scope does not allow it.
    #[error("forbidden")]
    Forbidden,
    /// No such thing, or it lies outside the caller's scope (indistinguishable
    /// on purpose, so ids cannot be probed).
    #[error("not found")]
    NotFound,
    /// Too many failed attempts; retry after this many seconds.
    #[error("rate limited for {0} s")]
    RateLimited(u64),
    /// Too much work of this kind is in progress (imports being parsed);
    /// retry in a few seconds.
    #[error("busy")]
    Busy,
    /// The storage layer failed; details are logged, not shown.
    #[error("storage: {0}")]
    Store(String),
    /// An import or configuration problem described for a person (row/column).
    #[error("{0}")]
    Message(String),
}

impl Error {
    /// A single-field validation error.
    pub fn field(field: &'static str, key: &'static str) -> Error {
        Error::Invalid(FieldErrors(vec![FieldError::new(field, key)]))
    }

    /// The stable machine code used in the JSON API.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "validation",
            Error::Conflict(_) => "conflict",
            Error::Unauthorized => "unauthorized",
            Error::SessionExpired => "session_expired",
            Error::Forbidden => "forbidden",
            Error::NotFound => "not_found",
            Error::RateLimited(_) => "rate_limited",
            Error::Busy => "busy",
            Error::Store(_) => "internal",
            Error::Message(_) => "bad_request",
        }
    }

    /// The headline message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Error::Invalid(_) => lang.t("error.validation").to_string(),
            Error::Conflict(f) => f.message(lang),
            Error::Unauthorized => lang.t("error.unauthorized").to_string(),
            Error::SessionExpired => lang.t("login.expired").to_string(),
            Error::Forbidden => lang.t("error.forbidden").to_string(),
            Error::NotFound => lang.t("error.not_found").to_string(),
            Error::RateLimited(secs) => {
                let minutes = secs.div_ceil(60).max(1).to_string();
                lang.tf("login.locked", &[("minutes", &minutes)])
            }
            Error::Busy => lang.t("error.busy").to_string(),
            Error::Store(_) => lang.t("error.internal").to_string(),
            Error::Message(m) => m.clone(),
        }
    }

    /// The most specific message: the first field's, else the headline.
    pub fn detail(&self, lang: Lang) -> String {
        match self.fields().0.first() {
            Some(f) => f.message(lang),
            None => self.message(lang),
        }
    }

    /// Field errors carried by this error (empty for most variants).
    pub fn fields(&self) -> FieldErrors {
        match self {
            Error::Invalid(f) => f.clone(),
            Error::Conflict(f) => FieldErrors(vec![f.clone()]),
            _ => FieldErrors::default(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
