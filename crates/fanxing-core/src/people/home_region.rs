//! Where a caller belongs: an office's region, or the region of the person
//! an account belongs to — read from the store once in a while, not on
//! every request (features that count or scope by the caller's region).

use std::sync::Arc;
use std::time::Duration;

use super::store::PeopleStore;
use super::PersonId;
use crate::auth::{Access, Actor};
use crate::cache::TtlCache;
use crate::error::Result;
use crate::region::RegionCode;

/// How long a person's region is served from memory.
pub const HOME_REGION_TTL: Duration = Duration::from_secs(600);

/// Callers' home regions, cached per person.
#[derive(Clone)]
pub struct HomeRegions {
    people: Arc<dyn PeopleStore>,
    cache: Arc<TtlCache<PersonId, Option<RegionCode>>>,
}

impl HomeRegions {
    pub fn new(people: Arc<dyn PeopleStore>) -> HomeRegions {
        HomeRegions {
            people,
            cache: Arc::new(TtlCache::new(HOME_REGION_TTL)),
        }
    }

    /// The account's own region (offices), else its person's; `None` for
    /// an account with neither.
    pub async fn of(&self, actor: &Actor) -> Result<Option<RegionCode>> {
        if let Some(r) = actor.user.region {
            return Ok(Some(r));
        }
        let Some(p) = actor.user.person_id else {
            return Ok(None);
        };
        if let Some(r) = self.cache.get(&p) {
            return Ok(*r);
        }
        let r = self
            .people
            .get_person(Access::Person(p), p)
            .await?
            .map(|p| p.region);
        self.cache.put(p, Arc::new(r));
        Ok(r)
    }
}
