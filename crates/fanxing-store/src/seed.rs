//! `SeedStore`: bulk loading for demo and synthetic data.

use async_trait::async_trait;

use fanxing_core::analytics::{RoomDraft, RoomId};
use fanxing_core::error::{Error, FieldError, Result};
use fanxing_core::people::service::mobile_conflict;
use fanxing_core::people::store::PersonRow;
use fanxing_core::people::{OrgDraft, OrgId, PersonId};
use fanxing_core::training::store::{NewSession, RegistrationRow};
use fanxing_core::training::{SessionId, VenueId};
use fanxing_demo::SeedStore;

use crate::analytics::CHUNK;
use crate::sql::{args, Sql};
use crate::store::*;
use crate::training::{insert_session_in, mark_attended_in};
use fanxing_core::analytics::day_of;

#[async_trait]
impl SeedStore for SqlStore {
    #[tracing::instrument(skip_all, fields(n = orgs.len()))]
    async fn insert_orgs_bulk(&self, orgs: &[OrgDraft], now: i64) -> Result<Vec<OrgId>> {
        // One statement per row so each id is known exactly; one transaction
        // so the whole batch lands or none of it.
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut ids = Vec::with_capacity(orgs.len());
        for org in orgs {
            let q = insert_org_sql(org, now);
            let row = q.query().fetch_one(&mut *tx).await.map_err(db)?;
            ids.push(id_col(&row, "id")?);
        }
        tx.commit().await.map_err(db)?;
        Ok(ids)
    }

    #[tracing::instrument(skip_all, fields(n = people.len()))]
    async fn insert_people_bulk(&self, people: &[PersonRow], now: i64) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        for chunk in people.chunks(BULK_CHUNK) {
            let mut q = Sql::new(&format!("INSERT INTO people {PERSON_COLS} VALUES "));
            for (i, p) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" });
                person_binds(&mut q, p);
                q.push(", ").bind(now).push(", ").bind(now).push(")");
            }
            match q.on(self.backend_kind()).query().execute(&mut *tx).await {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return Err(mobile_conflict()),
                Err(e) => return Err(db(e)),
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn insert_sessions_bulk(
        &self,
        sessions: &[NewSession],
        now: i64,
    ) -> Result<Vec<(SessionId, Vec<VenueId>)>> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut out = Vec::with_capacity(sessions.len());
        for s in sessions {
            out.push(
                insert_session_in(
                    &mut tx,
                    &s.draft,
                    s.status,
                    &s.signing_key_enc,
                    &s.public_key,
                    now,
                )
                .await?,
            );
        }
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn insert_registrations_bulk(&self, rows: &[RegistrationRow]) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        for chunk in rows.chunks(crate::store::BULK_CHUNK) {
            let mut q = Sql::new(
                "INSERT INTO registrations (session_id, person_id, venue_id, status, created_at) VALUES ",
            );
            for (i, r) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" })
                    .binds(args![
                        r.session_id,
                        r.person_id,
                        r.venue_id,
                        r.status.as_str(),
                        r.created_at
                    ])
                    .push(")");
            }
            q.on(self.backend_kind())
                .query()
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(n = rooms.len()))]
    async fn insert_rooms_bulk(&self, rooms: &[RoomDraft], now: i64) -> Result<Vec<RoomId>> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut ids = Vec::with_capacity(rooms.len());
        for chunk in rooms.chunks(CHUNK) {
            let mut q = Sql::new(
                "INSERT INTO live_rooms (platform, account_id, name, org_id, industry, size_tier, \
                 region, created_at) VALUES ",
            );
            for (n, room) in chunk.iter().enumerate() {
                q.push(if n == 0 { "(" } else { ", (" })
                    .binds(args![
                        room.platform.as_str(),
                        room.account_id.as_str(),
                        room.name.as_str(),
                        room.org_id,
                        room.industry.as_str(),
                        room.size_tier.as_str(),
                        room.region.value() as i64,
                        now
                    ])
                    .push(")");
            }
            q.push(" RETURNING id");
            let q = q.on(self.backend_kind());
            let rows = match q.query().fetch_all(&mut *tx).await {
                Ok(rows) => rows,
                Err(e) if is_unique_violation(&e) => {
                    return Err(Error::Conflict(FieldError::new(
                        "account_id",
                        "room.account_taken",
                    )))
                }
                Err(e) => return Err(db(e)),
            };
            let mut got: Vec<RoomId> = rows
                .iter()
                .map(|r| id_col(r, "id"))
                .collect::<Result<_>>()?;
            // Both engines hand out increasing ids within one statement.
            got.sort_unstable();
            ids.extend(got);
        }
        let pairs: Vec<(RoomId, PersonId)> = rooms
            .iter()
            .zip(&ids)
            .flat_map(|(r, id)| r.operators.iter().map(move |p| (*id, *p)))
            .collect();
        for chunk in pairs.chunks(CHUNK) {
            let mut q = Sql::new("INSERT INTO room_operators (room_id, person_id) VALUES ");
            for (n, (room, person)) in chunk.iter().enumerate() {
                q.push(if n == 0 { "(" } else { ", (" })
                    .bind(*room)
                    .push(", ")
                    .bind(*person)
                    .push(")");
            }
            q.push(" ON CONFLICT (room_id, person_id) DO NOTHING");
            q.query().execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(ids)
    }

    async fn trained_operators(&self) -> Result<Vec<fanxing_demo::live::Trainee>> {
        let q = Sql::new(
            "SELECT a.person_id, MIN(a.recorded_at) AS first_at, p.region \
             FROM attendances a JOIN people p ON p.id = a.person_id \
             WHERE p.tier = 'operator' GROUP BY a.person_id, p.region ORDER BY a.person_id",
        );
        q.fetch_map(self.pool(), |r| {
            let first: i64 = col(r, "first_at")?;
            Ok((
                id_col(r, "person_id")?,
                day_of(first),
                region_code(col(r, "region")?)?,
            ))
        })
        .await
    }
    async fn mark_attended(&self, session: SessionId, people: &[PersonId], at: i64) -> Result<u64> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let n = mark_attended_in(&mut tx, session, people, at).await?;
        tx.commit().await.map_err(db)?;
        Ok(n)
    }
    async fn mark_attended_many(&self, items: &[(SessionId, Vec<PersonId>, i64)]) -> Result<u64> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut n = 0;
        for (session, people, at) in items {
            n += mark_attended_in(&mut tx, *session, people, *at).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(n)
    }
}
