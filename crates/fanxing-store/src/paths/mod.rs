//! Learning paths' SQL: rooms' sums over a window from the monthly rollup,
//! operators, the courses operators attended, and the path rules.

use async_trait::async_trait;

use fanxing_core::analytics::{Provenance, RoomId, SizeTier};
use fanxing_core::error::Result;
use fanxing_core::paths::store::{Operator, PathStore};
use fanxing_core::paths::RoomLine;
use fanxing_core::people::{PersonId, Tier};
use fanxing_core::region::RegionCode;
use fanxing_core::training::CourseId;

use crate::analytics::{sum_select, sums_from};
use crate::sql::{args, Sql};
use crate::store::{choice_col, col, db, id_col, region_code, SqlStore};

#[async_trait]
impl PathStore for SqlStore {
    async fn latest_month(&self, provenance: Provenance) -> Result<Option<i64>> {
        let mut q = Sql::new("SELECT MAX(month) AS m FROM room_months WHERE provenance = ");
        q.bind(provenance.as_str());
        let row = q.query().fetch_one(self.pool()).await.map_err(db)?;
        col(&row, "m")
    }

    async fn room_lines(
        &self,
        provenance: Provenance,
        from_month: i64,
        to_month: i64,
    ) -> Result<Vec<RoomLine>> {
        let mut q = Sql::new(&format!(
            "SELECT g.room_id, m.name, m.industry, m.size_tier, m.region, {} \
             FROM room_months g JOIN live_rooms m ON m.id = g.room_id WHERE g.provenance = ",
            sum_select("g")
        ));
        q.bind(provenance.as_str())
            .push(" AND g.month BETWEEN ")
            .bind(from_month)
            .push(" AND ")
            .bind(to_month)
            .push(
                " GROUP BY g.room_id, m.name, m.industry, m.size_tier, m.region ORDER BY g.room_id",
            );
        q.fetch_map(self.pool(), |r| {
            Ok(RoomLine {
                id: id_col(r, "room_id")?,
                name: col(r, "name")?,
                industry: col(r, "industry")?,
                size_tier: choice_col(r, "size_tier", SizeTier::parse)?,
                region: region_code(col(r, "region")?)?,
                sums: sums_from(r)?,
            })
        })
        .await
    }

    async fn operators(&self) -> Result<Vec<Operator>> {
        let q = Sql::new(
            "SELECT o.room_id, o.person_id, p.tier, p.region FROM room_operators o \
             JOIN people p ON p.id = o.person_id ORDER BY o.room_id, o.person_id",
        );
        q.fetch_map(self.pool(), |r| {
            Ok(Operator {
                room: id_col::<RoomId>(r, "room_id")?,
                person: id_col::<PersonId>(r, "person_id")?,
                tier: choice_col(r, "tier", Tier::parse)?,
                region: region_code(col(r, "region")?)?,
            })
        })
        .await
    }

    async fn attended_courses(
        &self,
        operators_only: bool,
    ) -> Result<Vec<(PersonId, CourseId, i64)>> {
        let q = Sql::new(&format!(
            "SELECT a.person_id, s.course_id, MIN(a.recorded_at) AS first_at \
             FROM attendances a JOIN training_sessions s ON s.id = a.session_id \
             WHERE s.course_id IS NOT NULL {} \
             GROUP BY a.person_id, s.course_id ORDER BY a.person_id, s.course_id",
            if operators_only {
                "AND a.person_id IN (SELECT person_id FROM room_operators)"
            } else {
                ""
            }
        ));
        q.fetch_map(self.pool(), |r| {
            Ok((
                id_col(r, "person_id")?,
                id_col(r, "course_id")?,
                col(r, "first_at")?,
            ))
        })
        .await
    }

    async fn people_lines(&self) -> Result<Vec<(PersonId, Tier, RegionCode)>> {
        Sql::new("SELECT id, tier, region FROM people ORDER BY id")
            .fetch_map(self.pool(), |r| {
                Ok((
                    id_col(r, "id")?,
                    choice_col(r, "tier", Tier::parse)?,
                    region_code(col(r, "region")?)?,
                ))
            })
            .await
    }

    async fn path_rules(&self) -> Result<(Vec<(i64, CourseId)>, Vec<(CourseId, CourseId)>)> {
        let required =
            Sql::new("SELECT track_id, course_id FROM track_courses ORDER BY track_id, course_id")
                .fetch_map(self.pool(), |r| {
                    Ok((col(r, "track_id")?, id_col(r, "course_id")?))
                })
                .await?;
        let firsts = Sql::new(
            "SELECT course_id, requires_id FROM course_prerequisites ORDER BY course_id, requires_id",
        )
        .fetch_map(self.pool(), |r| Ok((id_col(r, "course_id")?, id_col(r, "requires_id")?)))
.await?;
        Ok((required, firsts))
    }

    async fn set_course_rules(
        &self,
        course: CourseId,
        required: &[(i64, bool)],
        requires: &[CourseId],
    ) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        for &(track, on) in required {
            let q = if on {
                let mut q = Sql::new("INSERT INTO track_courses (track_id, course_id) VALUES (");
                q.binds(args![track, course])
                    .push(") ON CONFLICT (track_id, course_id) DO NOTHING");
                q
            } else {
                let mut q = Sql::new("DELETE FROM track_courses WHERE track_id = ");
                q.bind(track).push(" AND course_id = ").bind(course);
                q
            };
            q.query().execute(&mut *tx).await.map_err(db)?;
        }
        let mut q = Sql::new("DELETE FROM course_prerequisites WHERE course_id = ");
        q.bind(course);
        q.query().execute(&mut *tx).await.map_err(db)?;
        for r in requires {
            let mut q =
                Sql::new("INSERT INTO course_prerequisites (course_id, requires_id) VALUES (");
            q.binds(args![course, *r]).push(")");
            q.query().execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }
}
