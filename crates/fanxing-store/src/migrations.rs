//! Embedded migrations, one list for both backends.
//!
//! Each entry names a version and a description and carries the SQLite and
//! the PostgreSQL script of the same name. Migrations are never edited once
//! released: add a new entry instead.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::AnyPool;

use crate::Backend;

/// `(version, name, sqlite script, postgres script)`.
pub const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "training",
        include_str!("../migrations/sqlite/0002_training.sql"),
        include_str!("../migrations/postgres/0002_training.sql"),
    ),
    (
        3,
        "curriculum",
        include_str!("../migrations/sqlite/0003_curriculum.sql"),
        include_str!("../migrations/postgres/0003_curriculum.sql"),
    ),
    (
        4,
        "certificates",
        include_str!("../migrations/sqlite/0004_certificates.sql"),
        include_str!("../migrations/postgres/0004_certificates.sql"),
    ),
    (
        5,
        "analytics",
        include_str!("../migrations/sqlite/0005_analytics.sql"),
        include_str!("../migrations/postgres/0005_analytics.sql"),
    ),
    (
        6,
        "attendance_days",
        include_str!("../migrations/sqlite/0006_attendance_days.sql"),
        include_str!("../migrations/postgres/0006_attendance_days.sql"),
    ),
    (
        7,
        "room_weeks",
        include_str!("../migrations/sqlite/0007_room_weeks.sql"),
        include_str!("../migrations/postgres/0007_room_weeks.sql"),
    ),
    (
        8,
        "accounts",
        include_str!("../migrations/sqlite/0008_accounts.sql"),
        include_str!("../migrations/postgres/0008_accounts.sql"),
    ),
    (
        9,
        "course_owner",
        include_str!("../migrations/sqlite/0009_course_owner.sql"),
        include_str!("../migrations/postgres/0009_course_owner.sql"),
    ),
    (
        10,
        "programme_issuer",
        include_str!("../migrations/sqlite/0010_programme_issuer.sql"),
        include_str!("../migrations/postgres/0010_programme_issuer.sql"),
    ),
    (
        11,
        "id_number_key",
        include_str!("../migrations/sqlite/0011_id_number_key.sql"),
        include_str!("../migrations/postgres/0011_id_number_key.sql"),
    ),
    (
        12,
        "matching",
        include_str!("../migrations/sqlite/0012_matching.sql"),
        include_str!("../migrations/postgres/0012_matching.sql"),
    ),
    (
        13,
        "compliance",
        include_str!("../migrations/sqlite/0013_compliance.sql"),
        include_str!("../migrations/postgres/0013_compliance.sql"),
    ),
    (
        14,
        "knowledge",
        include_str!("../migrations/sqlite/0014_knowledge.sql"),
        include_str!("../migrations/postgres/0014_knowledge.sql"),
    ),
    (
        15,
        "material_text",
        include_str!("../migrations/sqlite/0015_material_text.sql"),
        include_str!("../migrations/postgres/0015_material_text.sql"),
    ),
    (
        16,
        "paths",
        include_str!("../migrations/sqlite/0016_paths.sql"),
        include_str!("../migrations/postgres/0016_paths.sql"),
    ),
    (
        17,
        "holidays",
        include_str!("../migrations/sqlite/0017_holidays.sql"),
        include_str!("../migrations/postgres/0017_holidays.sql"),
    ),
    (
        18,
        "match_digests",
        include_str!("../migrations/sqlite/0018_match_digests.sql"),
        include_str!("../migrations/postgres/0018_match_digests.sql"),
    ),
];

/// Applies every pending migration for `backend`.
pub async fn migrate(pool: &AnyPool, backend: Backend) -> Result<(), sqlx::migrate::MigrateError> {
    let migrations: Vec<Migration> = MIGRATIONS
        .iter()
        .map(|(version, name, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
            };
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                Cow::Borrowed(*sql),
                false,
            )
        })
        .collect();
    let migrator = Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    };
    migrator.run(pool).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut v: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let sqlite = files("migrations/sqlite");
        let postgres = files("migrations/postgres");
        assert_eq!(sqlite, postgres, "migration files differ between backends");
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|(v, name, _, _)| format!("{v:04}_{name}.sql"))
            .collect();
        assert_eq!(
            listed, sqlite,
            "MIGRATIONS does not list exactly the files on disk"
        );
        for w in MIGRATIONS.windows(2) {
            assert!(w[0].0 < w[1].0, "versions must increase");
        }
    }
}
