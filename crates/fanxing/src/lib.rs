//! Wiring: configuration, opening the database, loading the built-in regions,
//! and serving. Shared by the `fanxing` binary and the integration tests, so
//! the tests start exactly what users start.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use fanxing_core::app::Fanxing;
use fanxing_core::app::Stores;
use fanxing_core::people::store::PeopleStore;
use fanxing_core::region::{parse_regions_csv, JIANGSU_CSV};
use fanxing_core::security::FieldCipher;
use fanxing_store::{Backend, SqlStore};
use fanxing_web::AppState;
use tokio::net::TcpListener;

/// Where data lives and how to reach it.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`; `None` means SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Holds the SQLite database and the data key file.
    pub data_dir: PathBuf,
    /// `FANXING_DATA_KEY` (64 hex characters); else `data_dir/data.key`.
    pub data_key: Option<String>,
    pub max_connections: u32,
}

impl Config {
    /// The database URL in effect.
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| fanxing_store::sqlite_url(&self.data_dir))
    }
}

/// An opened Fanxing: the service over its store.
#[derive(Clone)]
pub struct Opened {
    pub app: Fanxing,
    /// Resource matching, over the same store.
    pub matching: Arc<fanxing_core::matching::service::MatchingService>,
    pub store: Arc<SqlStore>,
    pub backend: Backend,
}

/// Opens (and migrates) the database, loads the built-in regions into an
/// empty one, and reads or creates the data key.
pub async fn open(config: &Config) -> anyhow::Result<Opened> {
    let url = config.url();
    let backend = Backend::from_url(&url)?;
    create_private_dir(&config.data_dir)?;
    if backend == Backend::Sqlite {
        if let Some(file) = sqlite_file(&url) {
            create_private_file(&file)?;
        }
    }
    let cipher = load_key(config)?;
    let store = fanxing_store::open(&url, config.max_connections).await?;
    if store.list_regions(None, None).await?.is_empty() {
        let regions = parse_regions_csv(JIANGSU_CSV, &[])?;
        store.upsert_regions(&regions).await?;
        tracing::info!(count = regions.len(), "loaded the built-in Jiangsu regions");
    }
    // The knowledge library's search index: derived data in the data
    // directory, caught up from the database's change log.
    let index = Arc::new(fanxing_search::TantivyIndex::open(
        &config.data_dir.join("search-index"),
    )?);
    let app = Fanxing::new(Stores::of(store.clone()), cipher, index);
    let indexed = app.knowledge.catch_up().await?;
    if indexed > 0 {
        tracing::info!(changes = indexed, "search index caught up");
    }
    let keyed = app.people.backfill_id_number_keys().await?;
    if keyed > 0 {
        tracing::info!(
            count = keyed,
            "keyed the ID numbers stored before keys existed"
        );
    }
    let matching = Arc::new(fanxing_core::matching::service::MatchingService::new(
        app.stores.matching.clone(),
        app.stores.people.clone(),
        app.audit.clone(),
        Arc::new(fanxing_core::now),
    ));
    // The holiday arrangements the programme office entered, for deadlines.
    matching.load_calendar().await?;
    Ok(Opened {
        app,
        matching,
        store,
        backend,
    })
}

/// Creates the data directory readable by its owner only (it holds the
/// SQLite database with people's mobile numbers, and the data key), and
/// takes group and world access away from one that exists.
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    restrict(dir, 0o700)
}

/// Creates the SQLite file (if missing) readable by its owner only, and
/// restricts an existing one. SQLite gives its `-wal` and `-shm` files the
/// database file's permissions.
fn create_private_file(path: &Path) -> anyhow::Result<()> {
    if !path.exists() {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        opts.open(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
    }
    for p in [
        path.to_path_buf(),
        PathBuf::from(format!("{}-wal", path.display())),
        PathBuf::from(format!("{}-shm", path.display())),
    ] {
        if p.exists() {
            restrict(&p, 0o600)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(current & mode))
            .with_context(|| format!("cannot restrict access to {}", path.display()))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) -> anyhow::Result<()> {
    Ok(())
}

/// The file of a `sqlite://` URL.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://")?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Held for as long as a server uses a SQLite data directory.
pub struct DataDirLock {
    _file: std::fs::File,
}

/// Takes the data directory's lock file so that a second server on the
/// same SQLite database refuses to start (two would fight over the write
/// lock and fail requests). The lock ends with the process, however it
/// ends. PostgreSQL needs none: many servers may share one database.
/// Command-line tools (imports, tokens) do not take it: they run beside
/// the server.
pub fn lock_data_dir(config: &Config) -> anyhow::Result<Option<DataDirLock>> {
    if Backend::from_url(&config.url())? != Backend::Sqlite {
        return Ok(None);
    }
    create_private_dir(&config.data_dir)?;
    let path = config.data_dir.join("fanxing.lock");
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(DataDirLock { _file: file })),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another Fanxing server is already using the data directory {}; stop it first or pass another --data-dir",
            config.data_dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// The field-encryption key: from configuration, or a key file in the data
/// directory that is created (readable by the owner only) on first start.
fn load_key(config: &Config) -> anyhow::Result<FieldCipher> {
    if let Some(hex_key) = &config.data_key {
        return FieldCipher::from_hex(hex_key).context("FANXING_DATA_KEY");
    }
    let path = config.data_dir.join("data.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        return FieldCipher::from_hex(&text).with_context(|| format!("{}", path.display()));
    }
    let key = fanxing_core::security::random_bytes::<32>();
    write_private(&path, &hex::encode(key))?;
    tracing::warn!(path = %path.display(), "created a new data key; back it up: ID numbers cannot be read without it");
    Ok(FieldCipher::new(&key))
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// How the web server is exposed.
#[derive(Debug, Clone, Default)]
pub struct WebOptions {
    /// Mark cookies `Secure` (served over HTTPS).
    pub secure_cookies: bool,
    /// Reverse proxies trusted to give the client address in `X-Real-IP`
    /// or `X-Forwarded-For`; requests from any other peer are counted
    /// under the peer's own address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// Serves Fanxing on `listener` until `shutdown` completes, trusting no proxy.
pub async fn serve(
    opened: &Opened,
    listener: TcpListener,
    secure_cookies: bool,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let options = WebOptions {
        secure_cookies,
        ..WebOptions::default()
    };
    serve_with(opened, listener, &options, shutdown).await
}

/// Serves Fanxing on `listener` with `options` until `shutdown` completes.
/// How often each server's search index reads the change log.
pub const INDEX_CATCH_UP: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn serve_with(
    opened: &Opened,
    listener: TcpListener,
    options: &WebOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Applications whose partner missed its deadline expire (and go to the
    // region office), checked every minute; matches are re-scored when a
    // partner's observed decision time moves.
    let matching = opened.matching.clone();
    let expiry = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            match matching.expire_overdue().await {
                Ok(expired) if !expired.is_empty() => {
                    tracing::info!(
                        count = expired.len(),
                        "applications expired past their deadline"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "expiring overdue applications failed"),
            }
            // Holiday arrangements entered through another server.
            if let Err(e) = matching.load_calendar().await {
                tracing::error!(error = %e, "reading the holiday arrangements failed");
            }
            // Partners' observed decision times feed the ranking.
            if let Err(e) = matching.refresh_observed().await {
                tracing::error!(error = %e, "re-scoring matches on decision times failed");
            }
        }
    });
    let _expiry = AbortOnDrop(expiry);
    // The knowledge library's index follows changes made through any
    // server on the same database within a few seconds.
    let knowledge = opened.app.knowledge.clone();
    let indexer = tokio::spawn(async move {
        let mut tick = tokio::time::interval(INDEX_CATCH_UP);
        loop {
            tick.tick().await;
            if let Err(e) = knowledge.catch_up().await {
                tracing::error!(error = %e, "search index catch-up failed");
            }
        }
    });
    let _indexer = AbortOnDrop(indexer);
    let router = fanxing_web::router(AppState {
        app: opened.app.clone(),
        matching: opened.matching.clone(),
        secure_cookies: options.secure_cookies,
        trusted_proxies: options.trusted_proxies.clone().into(),
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("server failed")
}

/// Stops a background task when the server it belongs to stops.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
