//! Small declarative helpers shared by the domain modules.

/// Declares a closed set of choices stored as short ASCII codes, with an i18n
/// label key per value. Keeps parse/as_str/label in one place per enum.
macro_rules! choice_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal => $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn parse(s: &str) -> Option<$name> {
                match s.trim() {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label_key(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }
    };
}

/// Declares a row id as a type of its own, so that one kind of id cannot be
/// passed where another is expected. It serialises, parses and prints as the
/// bare number, so JSON, forms, query strings, paths and templates see the
/// same plain integer as before.
macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::num::ParseIntError;

            fn from_str(s: &str) -> ::std::result::Result<$name, Self::Err> {
                s.parse().map($name)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    };
}

#[cfg(test)]
mod tests {
    id_type! {
        /// An id for the test below.
        ThingId
    }

    #[test]
    fn ids_read_and_write_as_bare_numbers() {
        let id = ThingId(42);
        assert_eq!(id.to_string(), "42");
        assert_eq!("42".parse::<ThingId>(), Ok(id));
        assert!("x".parse::<ThingId>().is_err());
        assert_eq!(i64::from(id), 42);
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
        assert_eq!(serde_json::from_str::<ThingId>("42").unwrap(), id);
        assert_eq!(
            serde_json::to_string(&Some(vec![id, ThingId(7)])).unwrap(),
            "[42,7]"
        );
        assert!(ThingId(7) < id);
    }
}
