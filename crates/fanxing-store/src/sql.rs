//! A small builder for statements whose shape depends on filters: it numbers
//! `$N` parameters as they are pushed, so the text and the values cannot get
//! out of step. Values are always bound, never spliced into the text.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

use fanxing_core::analytics::RoomId;
use fanxing_core::auth::Access;
use fanxing_core::people::{OrgId, PersonId, UserId};
use fanxing_core::training::{CourseId, ProgrammeId, RegistrationId, SessionId, VenueId};

/// A bound value. Only types both backends share.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    /// Text known at compile time (a code such as a platform): no copy.
    Static(&'static str),
    Blob(Option<Vec<u8>>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::Int(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<Option<Vec<u8>>> for Arg {
    fn from(v: Option<Vec<u8>>) -> Arg {
        Arg::Blob(v)
    }
}

/// A row id type of the domain, bound and decoded as its number.
pub(crate) trait Id: Copy {
    fn from_db(v: i64) -> Self;
}

/// Binds each id type as its number; [`crate::store::id_col`] decodes it.
macro_rules! id_args {
    ($($t:ident),+ $(,)?) => {$(
        impl Id for $t {
            fn from_db(v: i64) -> $t {
                $t(v)
            }
        }
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                Arg::Int(Some(v.0))
            }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Arg {
                Arg::Int(v.map(|v| v.0))
            }
        }
    )+};
}
id_args!(
    PersonId,
    OrgId,
    UserId,
    ProgrammeId,
    SessionId,
    VenueId,
    RegistrationId,
    CourseId,
    RoomId,
);

#[derive(Debug, Default)]
pub struct Sql {
    pub text: String,
    args: Vec<Arg>,
    /// Placeholders written as anonymous `?` (SQLite; see [`Sql::on`]).
    anonymous: bool,
}

/// The values of a list of placeholders, each converted to an [`Arg`]:
/// `q.binds(args![a, b, c])` writes `$1, $2, $3`.
macro_rules! args {
    ($($v:expr),+ $(,)?) => {
        [$($crate::sql::Arg::from($v)),+]
    };
}
pub(crate) use args;

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
            anonymous: false,
        }
    }

    /// A statement written from the start as `backend` binds it fastest
    /// (as [`Sql::on`] would rewrite it), for statements with thousands of
    /// parameters.
    pub fn new_on(text: &str, backend: crate::Backend) -> Sql {
        Sql {
            anonymous: backend == crate::Backend::Sqlite,
            ..Sql::new(text)
        }
    }

    /// The same bound values under a different statement text (used to run
    /// a filter both as a count and as a page).
    pub fn with_text(other: &Sql, text: String) -> Sql {
        Sql {
            text,
            args: other.args.clone(),
            anonymous: other.anonymous,
        }
    }

    /// The bound values, in order.
    pub(crate) fn args(&self) -> &[Arg] {
        &self.args
    }

    /// Appends literal SQL (never user input).
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends a placeholder bound to `v`.
    pub fn bind(&mut self, v: impl Into<Arg>) -> &mut Self {
        self.args.push(v.into());
        if self.anonymous {
            self.text.push('?');
        } else {
            use std::fmt::Write;
            let _ = write!(self.text, "${}", self.args.len());
        }
        self
    }

    /// [`Sql::bind`] for text that lives forever (codes such as a
    /// platform's), bound without a copy: bulk statements bind such
    /// values once per row.
    pub fn bind_static(&mut self, v: &'static str) -> &mut Self {
        self.bind(Arg::Static(v))
    }

    /// Appends `a, b, …`, each value bound (see [`args!`]).
    pub fn binds<const N: usize>(&mut self, values: [Arg; N]) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self
    }

    /// Appends ` IN (a, b, …)`, each value bound (a non-empty list: callers
    /// chunk long ones).
    pub fn in_list<T: Into<Arg> + Clone>(&mut self, values: &[T]) -> &mut Self {
        self.push(" IN (");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v.clone());
        }
        self.push(")")
    }

    /// Appends `AND <column> <op> $n` style conditions for an access scope.
    /// `region_col` is the row's region column, `id_col` its id, `org_col`
    /// its organisation column (people) or id (organisations).
    pub fn access(&mut self, access: Access, region_col: &str, id_col: &str, org_col: &str) {
        match access {
            Access::Regions(r) => {
                self.push(&format!(" AND {region_col} BETWEEN "))
                    .bind(r.lo as i64)
                    .push(" AND ")
                    .bind(r.hi as i64);
            }
            Access::Person(id) => {
                self.push(&format!(" AND {id_col} = ")).bind(id);
            }
            Access::Org(id) => {
                self.push(&format!(" AND {org_col} = ")).bind(id);
            }
        }
    }

    /// The statement as `backend` binds it fastest. SQLite finds a named
    /// parameter (`$N`) by walking a list, so binding n of them costs n²
    /// steps — a multi-row insert of a few hundred rows spent most of its
    /// time there; anonymous `?` parameters cost nothing. The rewrite is
    /// sound because `bind` numbers parameters in order, each used once,
    /// and values are never spliced into the text.
    pub fn on(mut self, backend: crate::Backend) -> Sql {
        if backend == crate::Backend::Sqlite && !self.anonymous {
            let mut out = String::with_capacity(self.text.len());
            let mut chars = self.text.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                        chars.next();
                    }
                    out.push('?');
                } else {
                    out.push(c);
                }
            }
            self.text = out;
        }
        self
    }

    /// The statement with every value bound, ready to execute. The
    /// arguments are sized once (bulk statements bind thousands).
    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        use sqlx::Arguments;
        let mut args = AnyArguments::default();
        args.reserve(self.args.len(), 0);
        for a in &self.args {
            let added = match a {
                Arg::Int(v) => args.add(*v),
                Arg::Text(v) => args.add(v.as_deref()),
                Arg::Static(v) => args.add(*v),
                Arg::Blob(v) => args.add(v.as_deref()),
            };
            if added.is_err() {
                // Cannot happen for these types; if it did, binding one by
                // one reports the error when the statement runs.
                return self.query_one_by_one();
            }
        }
        sqlx::query_with(&self.text, args)
    }

    /// Runs the statement and decodes every row with `decode`.
    pub async fn fetch_map<'q, 'c, E, T>(
        &'q self,
        executor: E,
        decode: impl FnMut(&sqlx::any::AnyRow) -> fanxing_core::error::Result<T>,
    ) -> fanxing_core::error::Result<Vec<T>>
    where
        E: 'q + sqlx::Executor<'c, Database = Any>,
        'c: 'q,
    {
        self.query()
            .fetch_all(executor)
            .await
            .map_err(crate::store::db)?
            .iter()
            .map(decode)
            .collect()
    }

    fn query_one_by_one(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_deref()),
                Arg::Static(v) => q.bind(*v),
                Arg::Blob(v) => q.bind(v.as_deref()),
            };
        }
        q
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod placeholder_tests {
    use super::*;

    #[test]
    fn sqlite_gets_anonymous_placeholders_in_order() {
        let mut q = Sql::new("INSERT INTO t (a, b) VALUES ");
        q.push("(")
            .bind(1)
            .push(", ")
            .bind("x")
            .push("), (")
            .bind(2)
            .push(", ")
            .bind("y")
            .push(")");
        let sqlite = Sql::with_text(&q, q.text.clone()).on(crate::Backend::Sqlite);
        assert_eq!(sqlite.text, "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
        assert_eq!(sqlite.args.len(), 4);
        // Written anonymously from the start, the same text.
        let mut direct = Sql::new_on("INSERT INTO t (a, b) VALUES ", crate::Backend::Sqlite);
        direct.push("(").bind(1).push(", ").bind("x").push(")");
        assert_eq!(direct.text, "INSERT INTO t (a, b) VALUES (?, ?)");
        assert_eq!(
            direct.on(crate::Backend::Sqlite).text,
            "INSERT INTO t (a, b) VALUES (?, ?)"
        );
        let pg = q.on(crate::Backend::Postgres);
        assert_eq!(pg.text, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fanxing_core::region::RegionRange;

    #[test]
    fn numbers_parameters_in_order() {
        let mut s = Sql::new("SELECT 1 FROM people p WHERE 1=1");
        s.access(
            Access::Regions(RegionRange {
                lo: 320500,
                hi: 320599,
            }),
            "p.region",
            "p.id",
            "p.org_id",
        );
        s.push(" AND p.name LIKE ")
            .bind("%王%")
            .push(" ESCAPE '\\'");
        assert_eq!(
            s.text,
            "SELECT 1 FROM people p WHERE 1=1 AND p.region BETWEEN $1 AND $2 AND p.name LIKE $3 ESCAPE '\\'"
        );
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_contains("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
