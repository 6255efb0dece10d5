//! [`CurriculumStore`] in portable SQL.

use async_trait::async_trait;
use sqlx::any::AnyRow;

use fanxing_core::curriculum::store::{CertificateQuery, CurriculumStore};
use fanxing_core::curriculum::{CertificateView, Competency, Course, CourseDraft, Material, Track};
use fanxing_core::error::{Error, FieldError, Result};
use fanxing_core::people::{PersonId, Tier, UserId};
use fanxing_core::region::RegionCode;
use fanxing_core::store::Page;
use fanxing_core::training::{CourseId, ProgrammeId};

use crate::sql::{args, Sql};
use crate::store::{bad, choice_col, col, db, id_col, is_unique_violation, opt_id_col, SqlStore};

fn competency_from(r: &AnyRow) -> Result<Competency> {
    Ok(Competency {
        id: col(r, "id")?,
        code: col(r, "code")?,
        name_zh: col(r, "name_zh")?,
        name_en: col(r, "name_en")?,
        position: col(r, "position")?,
    })
}

fn tiers_of(s: &str) -> Result<Vec<Tier>> {
    s.split(',')
        .filter(|t| !t.is_empty())
        .map(|t| Tier::parse(t).ok_or_else(|| bad("tier", t)))
        .collect()
}

const MATERIAL_COLS: &str = "id, course_id, filename, content_type, size, uploaded_at";

fn material_from(r: &AnyRow) -> Result<Material> {
    Ok(Material {
        id: col(r, "id")?,
        course_id: id_col(r, "course_id")?,
        filename: col(r, "filename")?,
        content_type: col(r, "content_type")?,
        size: col(r, "size")?,
        uploaded_at: col(r, "uploaded_at")?,
    })
}

impl SqlStore {
    async fn course_rows(&self, q: &Sql) -> Result<Vec<Course>> {
        let rows = q.query().fetch_all(self.pool()).await.map_err(db)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: CourseId = id_col(r, "id")?;
            let mut cq = Sql::new(
                "SELECT c.id, c.code, c.name_zh, c.name_en, c.position FROM competencies c \
                 JOIN course_competencies cc ON cc.competency_id = c.id WHERE cc.course_id = ",
            );
            cq.bind(id).push(" ORDER BY c.position");
            let comps = cq.fetch_map(self.pool(), competency_from).await?;
            let tiers: String = col(r, "tiers")?;
            out.push(Course {
                id,
                title: col(r, "title")?,
                summary: col(r, "summary")?,
                tiers: tiers_of(&tiers)?,
                duration_minutes: col(r, "duration_minutes")?,
                lecturer_user_id: opt_id_col(r, "lecturer_user_id")?,
                lecturer_name: col(r, "lecturer_name")?,
                owner_region: col::<Option<i64>>(r, "owner_region")?
                    .map(crate::store::region_code)
                    .transpose()?,
                competencies: comps,
            });
        }
        Ok(out)
    }
}

const COURSE_SELECT: &str = "SELECT k.id, k.title, k.summary, k.tiers, k.duration_minutes, \
     k.lecturer_user_id, u.display_name AS lecturer_name, k.owner_region \
     FROM courses k LEFT JOIN users u ON u.id = k.lecturer_user_id WHERE 1=1";

#[async_trait]
impl CurriculumStore for SqlStore {
    async fn list_tracks(&self) -> Result<Vec<Track>> {
        let rows = sqlx::query(
            "SELECT id, tier, name_zh, name_en, description, required_sessions FROM tracks ORDER BY id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(Track {
                    id: col(r, "id")?,
                    tier: choice_col(r, "tier", Tier::parse)?,
                    name_zh: col(r, "name_zh")?,
                    name_en: col(r, "name_en")?,
                    description: col(r, "description")?,
                    required_sessions: col(r, "required_sessions")?,
                })
            })
            .collect()
    }

    async fn list_competencies(&self) -> Result<Vec<Competency>> {
        let rows = sqlx::query(
            "SELECT id, code, name_zh, name_en, position FROM competencies ORDER BY position, id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter().map(competency_from).collect()
    }

    async fn insert_competency(&self, code: &str, name_zh: &str, name_en: &str) -> Result<i64> {
        let mut q =
            Sql::new("INSERT INTO competencies (code, name_zh, name_en, position) VALUES (");
        q.binds(args![code, name_zh, name_en])
            .push(", (SELECT COALESCE(MAX(position), 0) + 1 FROM competencies)) RETURNING id");
        match q.query().fetch_one(self.writer()).await {
            Ok(r) => col(&r, "id"),
            Err(e) if is_unique_violation(&e) => {
                Err(Error::Conflict(FieldError::new("code", "error.conflict")))
            }
            Err(e) => Err(db(e)),
        }
    }

    async fn rename_competency(&self, id: i64, name_zh: &str, name_en: &str) -> Result<bool> {
        let mut q = Sql::new("UPDATE competencies SET name_zh = ");
        q.bind(name_zh)
            .push(", name_en = ")
            .bind(name_en)
            .push(" WHERE id = ")
            .bind(id);
        Ok(q.query()
            .execute(self.writer())
            .await
            .map_err(db)?
            .rows_affected()
            == 1)
    }

    async fn insert_course(
        &self,
        c: &CourseDraft,
        lecturer: Option<UserId>,
        owner_region: Option<RegionCode>,
        competencies: &[i64],
        now: i64,
    ) -> Result<CourseId> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut q = Sql::new(
            "INSERT INTO courses (title, summary, tiers, duration_minutes, lecturer_user_id, owner_region, created_at) VALUES (",
        );
        q.binds(args![
            c.title.as_str(),
            c.summary.as_str(),
            c.tiers
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(","),
            c.duration_minutes,
            lecturer,
            owner_region.map(|r| i64::from(r.value())),
            now
        ])
        .push(") RETURNING id");
        let row = q.query().fetch_one(&mut *tx).await.map_err(db)?;
        let id: CourseId = id_col(&row, "id")?;
        for comp in competencies {
            let mut q =
                Sql::new("INSERT INTO course_competencies (course_id, competency_id) VALUES (");
            q.bind(id).push(", ").bind(*comp).push(")");
            q.query().execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(id)
    }

    async fn get_course(&self, id: CourseId) -> Result<Option<Course>> {
        let mut q = Sql::new(COURSE_SELECT);
        q.push(" AND k.id = ").bind(id);
        Ok(self.course_rows(&q).await?.into_iter().next())
    }

    async fn list_courses(&self, tier: Option<Tier>) -> Result<Vec<Course>> {
        let mut q = Sql::new(COURSE_SELECT);
        if let Some(t) = tier {
            q.push(" AND k.tiers LIKE ")
                .bind(format!("%{}%", t.as_str()));
        }
        q.push(" ORDER BY k.id");
        self.course_rows(&q).await
    }

    async fn insert_material(
        &self,
        course: CourseId,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
        user: Option<UserId>,
        now: i64,
    ) -> Result<i64> {
        let mut q = Sql::new(
            "INSERT INTO materials (course_id, filename, content_type, size, data, uploaded_by, uploaded_at) VALUES (",
        );
        q.binds(args![
            course,
            filename,
            content_type,
            bytes.len() as i64,
            Some(bytes.to_vec()),
            user,
            now
        ])
        .push(") RETURNING id");
        let row = q.query().fetch_one(self.writer()).await.map_err(db)?;
        col(&row, "id")
    }

    async fn list_materials(&self, course: CourseId) -> Result<Vec<Material>> {
        let mut q = Sql::new(&format!(
            "SELECT {MATERIAL_COLS} FROM materials WHERE course_id = "
        ));
        q.bind(course).push(" ORDER BY id");
        q.fetch_map(self.pool(), material_from).await
    }

    async fn qualifying_people(
        &self,
        programme: ProgrammeId,
        track: i64,
        tier: Tier,
        required: i64,
    ) -> Result<Vec<PersonId>> {
        self.qualifying(programme, track, tier, required).await
    }

    async fn insert_certificates(
        &self,
        rows: &[(String, PersonId, i64, ProgrammeId)],
        now: i64,
    ) -> Result<usize> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut n = 0;
        for (number, person, track, programme) in rows {
            let mut q = Sql::new(
                "INSERT INTO certificates (number, person_id, track_id, programme_id, issued_at) VALUES (",
            );
            q.binds(args![number.as_str(), *person, *track, *programme, now])
                .push(") ON CONFLICT (person_id, track_id, programme_id) DO NOTHING");
            n += q
                .query()
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected() as usize;
        }
        tx.commit().await.map_err(db)?;
        Ok(n)
    }

    async fn get_certificate(&self, number: &str) -> Result<Option<CertificateView>> {
        let mut q = Sql::new(CERT_SELECT);
        q.push(" AND c.number = ").bind(number);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.as_ref().map(certificate_from).transpose()
    }

    async fn person_certificates(&self, person: PersonId) -> Result<Vec<CertificateView>> {
        let mut q = Sql::new(CERT_SELECT);
        q.push(" AND c.person_id = ")
            .bind(person)
            .push(" ORDER BY c.id");
        q.fetch_map(self.pool(), certificate_from).await
    }

    async fn list_certificates(&self, f: &CertificateQuery) -> Result<Page<CertificateView>> {
        let mut filter = Sql::new("");
        filter
            .push(" AND p.region BETWEEN ")
            .bind(f.range.lo as i64)
            .push(" AND ")
            .bind(f.range.hi as i64);
        if let Some(track) = f.track {
            filter.push(" AND c.track_id = ").bind(track);
        }
        if let Some(number) = &f.number {
            filter.push(" AND c.number = ").bind(number.clone());
        }
        if let Some(mobile) = &f.mobile {
            filter.push(" AND p.mobile = ").bind(mobile.clone());
        }
        if let Some(name) = f.name.as_deref().filter(|n| !n.is_empty()) {
            filter
                .push(" AND p.name LIKE ")
                .bind(crate::sql::like_contains(name))
                .push(" ESCAPE '\\'");
        }
        if let Some(session) = f.session {
            filter
                .push(" AND c.person_id IN (SELECT a.person_id FROM attendances a WHERE a.session_id = ")
                .bind(session)
                .push(")");
        }
        let count_text = format!(
            "SELECT COUNT(*) AS n FROM certificates c JOIN people p ON p.id = c.person_id \
             WHERE 1=1{}",
            filter.text
        );
        let row = Sql::with_text(&filter, count_text)
            .query()
            .fetch_one(self.pool())
            .await
            .map_err(db)?;
        let total: i64 = col(&row, "n")?;
        let mut q = Sql::with_text(&filter, format!("{CERT_SELECT}{}", filter.text));
        q.push(" ORDER BY c.id DESC LIMIT ")
            .bind(f.limit)
            .push(" OFFSET ")
            .bind(f.offset);
        let rows = q.query().fetch_all(self.pool()).await.map_err(db)?;
        Ok(Page {
            items: rows.iter().map(certificate_from).collect::<Result<_>>()?,
            total,
            offset: f.offset,
            limit: f.limit,
        })
    }

    async fn revoke_certificate(&self, number: &str, reason: &str, now: i64) -> Result<bool> {
        let mut q = Sql::new("UPDATE certificates SET revoked_at = ");
        q.bind(now)
            .push(", revoke_reason = ")
            .bind(reason)
            .push(" WHERE revoked_at IS NULL AND number = ")
            .bind(number);
        Ok(q.query()
            .execute(self.writer())
            .await
            .map_err(db)?
            .rows_affected()
            == 1)
    }

    async fn get_material(&self, id: i64) -> Result<Option<(Material, Vec<u8>)>> {
        let mut q = Sql::new(&format!(
            "SELECT {MATERIAL_COLS}, data FROM materials WHERE id = "
        ));
        q.bind(id);
        let row = q.query().fetch_optional(self.pool()).await.map_err(db)?;
        row.map(|r| Ok((material_from(&r)?, col(&r, "data")?)))
            .transpose()
    }
}

const CERT_SELECT: &str = "SELECT c.number, c.person_id, p.name AS person_name, p.region AS person_region, \
     t.tier, t.name_zh, t.name_en, g.name AS programme_name, g.issuer, c.issued_at, c.revoked_at, c.revoke_reason \
     FROM certificates c JOIN people p ON p.id = c.person_id JOIN tracks t ON t.id = c.track_id \
     JOIN programmes g ON g.id = c.programme_id WHERE 1=1";

fn certificate_from(r: &AnyRow) -> Result<CertificateView> {
    Ok(CertificateView {
        number: col(r, "number")?,
        person_id: id_col(r, "person_id")?,
        person_name: col(r, "person_name")?,
        person_region: crate::store::region_code(col(r, "person_region")?)?,
        tier: choice_col(r, "tier", Tier::parse)?,
        track_name_zh: col(r, "name_zh")?,
        track_name_en: col(r, "name_en")?,
        programme_name: col(r, "programme_name")?,
        issuer: col(r, "issuer")?,
        issued_at: col(r, "issued_at")?,
        revoked_at: col(r, "revoked_at")?,
        revoke_reason: col(r, "revoke_reason")?,
    })
}

impl SqlStore {
    pub(crate) async fn qualifying(
        &self,
        programme: ProgrammeId,
        track: i64,
        tier: Tier,
        required: i64,
    ) -> Result<Vec<PersonId>> {
        let mut q = Sql::new(
            "SELECT a.person_id FROM attendances a JOIN training_sessions s ON s.id = a.session_id \
             WHERE a.programme_id = ",
        );
        q.bind(programme)
            .push(" AND s.tier = ")
            .bind(tier.as_str())
            .push(" AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.person_id = a.person_id AND c.track_id = ")
            .bind(track)
            .push(" AND c.programme_id = ")
            .bind(programme)
            .push(")")
            // Every required course of the track attended in the programme.
            .push(
                " AND NOT EXISTS (SELECT 1 FROM track_courses tc WHERE tc.track_id = ",
            )
            .bind(track)
            .push(
                " AND NOT EXISTS (SELECT 1 FROM attendances a2 JOIN training_sessions s2 \
                 ON s2.id = a2.session_id WHERE a2.person_id = a.person_id \
                 AND s2.course_id = tc.course_id AND a2.programme_id = ",
            )
            .bind(programme)
            .push("))")
            .push(" GROUP BY a.person_id HAVING COUNT(*) >= ")
            .bind(required)
            .push(" ORDER BY a.person_id");
        q.fetch_map(self.pool(), |r| id_col(r, "person_id")).await
    }
}
