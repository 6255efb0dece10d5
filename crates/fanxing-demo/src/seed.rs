//! Bulk loading for demo and synthetic data: no service needs these, so
//! they are not part of any feature's store contract.

use async_trait::async_trait;

use fanxing_core::analytics::{RoomDraft, RoomId};
use fanxing_core::error::Result;
use fanxing_core::people::store::PersonRow;
use fanxing_core::people::{OrgDraft, OrgId, PersonId};
use fanxing_core::training::store::{NewSession, RegistrationRow};
use fanxing_core::training::{SessionId, VenueId};

#[async_trait]
pub trait SeedStore: Send + Sync {
    async fn insert_orgs_bulk(&self, orgs: &[OrgDraft], now: i64) -> Result<Vec<OrgId>>;
    async fn insert_people_bulk(&self, people: &[PersonRow], now: i64) -> Result<()>;
    async fn insert_registrations_bulk(&self, rows: &[RegistrationRow]) -> Result<()>;
    /// Records on-site (or online, by venue) attendance for registered
    /// people of a session in bulk (demo data and back-filled records).
    async fn mark_attended(&self, session: SessionId, people: &[PersonId], at: i64) -> Result<u64>;
    /// `mark_attended` for many sessions in one transaction.
    async fn mark_attended_many(&self, items: &[(SessionId, Vec<PersonId>, i64)]) -> Result<u64>;
    /// Inserts rooms (with their operators) in one transaction; ids in order.
    async fn insert_rooms_bulk(&self, rooms: &[RoomDraft], now: i64) -> Result<Vec<RoomId>>;
    /// Operators who attended training: (person, first day attended
    /// `YYYYMMDD` in Beijing time, region).
    async fn trained_operators(&self) -> Result<Vec<crate::live::Trainee>>;
    /// Inserts many sessions in one transaction.
    async fn insert_sessions_bulk(
        &self,
        sessions: &[NewSession],
        now: i64,
    ) -> Result<Vec<(SessionId, Vec<VenueId>)>>;
}
