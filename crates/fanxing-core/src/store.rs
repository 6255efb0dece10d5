//! Shared by the storage contracts. One implementation serves SQLite and PostgreSQL
//! (crate `fanxing-store`); the domain only ever sees this trait.
//!
//! Methods are domain-level ("list the people this access allows"), never
//! generic CRUD, and every read of people or organisations takes an
//! [`Access`] so the scope travels into the SQL.

use serde::Serialize;

/// One page of a list, with the total that matched.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// The largest page a list returns.
pub const PAGE_MAX: i64 = 200;

/// Offset and limit of 1-based `page` of `per_page` rows (default 50, at
/// most [`PAGE_MAX`]).
pub fn paging(page: i64, per_page: i64) -> (i64, i64) {
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

/// Every store contract, for code that holds the one implementation itself
/// (the binary's start-up, integration tests, benchmarks):
/// `use fanxing_core::store::prelude::*;`.
pub mod prelude {
    pub use crate::analytics::store::AnalyticsStore;
    pub use crate::audit::AuditStore;
    pub use crate::curriculum::store::CurriculumStore;
    pub use crate::matching::store::MatchingStore;
    pub use crate::people::store::{AccountStore, PeopleStore};
    pub use crate::training::store::{CheckinStore, TrainingStore};
}

#[cfg(test)]
mod tests {
    use super::*;

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
