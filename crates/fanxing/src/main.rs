//! The `fanxing` binary: the web server and the administrator's CLI.

mod compliance_cli;

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use fanxing::{open, serve_with, Config, WebOptions};
use fanxing_core::analytics::RoomId;
use fanxing_core::auth::Role;
use fanxing_core::people::accounts::NewUserInput;
use fanxing_core::people::OrgId;
use fanxing_core::region::{parse_regions_csv, RegionCode};
use fanxing_core::store::prelude::*;
use fanxing_core::training::SessionId;
use fanxing_demo::{self as demo, DemoSize, DEMO_PASSWORD};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(
    name = "fanxing",
    version,
    about = "繁星 Fanxing: live-commerce talent programme platform"
)]
struct Cli {
    #[command(flatten)]
    data: DataArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DataArgs {
    /// Directory for the SQLite database and the data key.
    #[arg(
        long,
        global = true,
        env = "FANXING_DATA_DIR",
        default_value = "./fanxing-data"
    )]
    data_dir: PathBuf,
    /// Use this database instead of SQLite (e.g. postgres://user@host:5432/fanxing).
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "FANXING_BIND", default_value = "127.0.0.1")]
        bind: String,
        /// Port to listen on (0 picks a free one).
        #[arg(long, env = "PORT", default_value_t = 8080)]
        port: u16,
        /// Fill an empty database with the Jiangsu demo data set.
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure (when served over HTTPS, e.g. behind a TLS proxy).
        #[arg(long, env = "FANXING_SECURE_COOKIES")]
        secure_cookies: bool,
        /// A reverse proxy whose X-Real-IP (else X-Forwarded-For's last hop)
        /// gives the client address; repeatable. Without one, log-ins are
        /// counted under the TCP peer's address and those headers are ignored.
        #[arg(
            long = "trusted-proxy",
            value_name = "ADDR",
            env = "FANXING_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<std::net::IpAddr>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage administrative regions.
    Regions {
        #[command(subcommand)]
        command: RegionsCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import data files.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Generate demonstration data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The knowledge library's search index.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
    /// Check live scripts and product titles for compliance (no database).
    Compliance {
        #[command(subcommand)]
        command: compliance_cli::Command,
    },
}

#[derive(Subcommand)]
enum IndexCommand {
    /// Empty this server's search index and build it again from the
    /// database (stop the server first: it holds the index).
    Rebuild,
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Generate synthetic live rooms and sessions with a known training
    /// effect, write them as platform export files and import them.
    Analytics {
        /// `small` (a few hundred rooms, as `serve --demo`) or `full` (the
        /// province's magnitudes: 43,000 rooms, 7.32 million sessions).
        #[arg(long, default_value = "small")]
        scale: String,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Where the export files go (default: `analytics-demo` in the data dir).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Seed the demo people and training programme first (as `serve
        /// --demo` does), so that some rooms are run by trained people and
        /// the impact estimate has cohorts to measure.
        #[arg(long)]
        with_programme: bool,
        /// The planted training effect on log GMV (0.15 unless given; 0 to
        /// check that the estimator finds none).
        #[arg(long)]
        effect: Option<f64>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Register the people of a roster (.xlsx or .csv) for a session, all or nothing.
    Roster {
        file: PathBuf,
        #[arg(long)]
        session: i64,
    },
    /// Import a platform's per-session export (.xlsx or .csv), all or
    /// nothing; sessions imported before are left unchanged.
    Live {
        file: PathBuf,
        /// douyin, taobao, channels, kuaishou or other (Fanxing's template).
        #[arg(long)]
        platform: String,
        /// official, estimate (third-party) or manual.
        #[arg(long, default_value = "official")]
        provenance: String,
        /// The room the sessions belong to; without it, each row's account
        /// column names its room.
        #[arg(long)]
        room: Option<i64>,
    },
}

#[derive(Subcommand)]
enum RegionsCommand {
    /// Load a divisions file (`code,name,level,parent_code`), all or nothing.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; the token is printed alone on the last line.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        label: String,
        /// Days until the token expires.
        #[arg(long, default_value_t = fanxing_core::people::accounts::API_TOKEN_DAYS)]
        days: i64,
    },
    /// List a user's API tokens (ids, labels, dates; never the secrets).
    List {
        #[arg(long)]
        user: String,
    },
    /// Revoke an API token by id; it stops working at once.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        /// programme_office, city_office, county_office, lecturer, checkin, trainee or partner.
        #[arg(long)]
        role: String,
        /// Region code an office governs.
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Organisation id a partner account acts for.
        #[arg(long)]
        org: Option<i64>,
    },
    /// Disable an account: it cannot log in, and its sessions and API
    /// tokens stop working at once.
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled account.
    Enable {
        #[arg(long)]
        username: String,
    },
    /// Lift an account's log-in lock (forget its failed log-ins).
    Unlock {
        #[arg(long)]
        username: String,
    },
}

fn config(data: &DataArgs) -> Config {
    Config {
        database_url: data.database_url.clone().filter(|u| !u.is_empty()),
        data_dir: data.data_dir.clone(),
        data_key: std::env::var("FANXING_DATA_KEY")
            .ok()
            .filter(|k| !k.is_empty()),
        max_connections: 16,
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line that says what to fix.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = config(&cli.data);
    match cli.command {
        Command::Compliance { command } => compliance_cli::run(command),
        Command::Serve {
            bind,
            port,
            demo,
            secure_cookies,
            trusted_proxies,
        } => {
            let options = WebOptions {
                secure_cookies,
                trusted_proxies,
            };
            serve_cmd(&cfg, &bind, port, demo, &options).await
        }
        Command::Index {
            command: IndexCommand::Rebuild,
        } => {
            let _lock = fanxing::lock_data_dir(&cfg)?;
            let opened = open(&cfg).await?;
            let t = Instant::now();
            let changes = opened.app.knowledge.rebuild().await?;
            let (docs, seq) = opened.app.knowledge.index_state();
            println!(
                "search index rebuilt: {docs} documents from {changes} changes (log position {seq}) in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Migrate => {
            let opened = open(&cfg).await?;
            println!("database is up to date ({})", opened.backend.name());
            Ok(())
        }
        Command::Regions {
            command: RegionsCommand::Import { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let opened = open(&cfg).await?;
            let known = opened.store.list_regions(None, None).await?;
            let regions =
                parse_regions_csv(&text, &known).with_context(|| format!("{}", file.display()))?;
            let n = opened.store.upsert_regions(&regions).await?;
            println!("imported {n} regions from {}", file.display());
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { user, label, days },
        } => {
            let opened = open(&cfg).await?;
            let (id, token) = opened
                .app
                .accounts
                .create_api_token_for_days(&user, &label, days)
                .await?;
            println!(
                "API token {id} for {user}, valid {days} days (shown once; send it as `Authorization: Bearer …`):"
            );
            println!("{token}");
            Ok(())
        }
        Command::Token {
            command: TokenCommand::List { user },
        } => {
            let opened = open(&cfg).await?;
            let now = fanxing_core::now();
            let fmt = fanxing_core::training::format_local;
            println!(
                "{:>6}  {:<16}  {:<16}  {:<16}  status",
                "id", "label", "created", "expires"
            );
            for t in opened.app.accounts.api_tokens_of(&user).await? {
                let status = match t.revoked_at {
                    Some(at) => format!("revoked {}", fmt(at)),
                    None if t.expires_at <= now => "expired".to_string(),
                    None => "active".to_string(),
                };
                println!(
                    "{:>6}  {:<16}  {:<16}  {:<16}  {status}",
                    t.id,
                    t.label,
                    fmt(t.created_at),
                    fmt(t.expires_at)
                );
            }
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Revoke { id },
        } => {
            let opened = open(&cfg).await?;
            if opened.app.accounts.revoke_api_token(id).await? {
                println!("revoked API token {id}");
            } else {
                println!("API token {id} was already revoked");
            }
            Ok(())
        }
        Command::User {
            command: UserCommand::Disable { username },
        } => {
            let opened = open(&cfg).await?;
            opened
                .app
                .accounts
                .set_disabled_by_name(&username, true)
                .await?;
            println!("disabled {username}; its sessions and API tokens no longer work");
            Ok(())
        }
        Command::User {
            command: UserCommand::Enable { username },
        } => {
            let opened = open(&cfg).await?;
            opened
                .app
                .accounts
                .set_disabled_by_name(&username, false)
                .await?;
            println!("enabled {username}");
            Ok(())
        }
        Command::User {
            command: UserCommand::Unlock { username },
        } => {
            let opened = open(&cfg).await?;
            let n = opened.app.accounts.lift_lock_by_name(&username).await?;
            println!("lifted the log-in lock of {username} ({n} failed log-ins forgotten)");
            Ok(())
        }
        Command::Demo {
            command:
                DemoCommand::Analytics {
                    scale,
                    seed,
                    dir,
                    with_programme,
                    effect,
                },
        } => demo_analytics(&cfg, &scale, seed, dir, with_programme, effect).await,
        Command::Import {
            command: ImportCommand::Roster { file, session },
        } => import_roster(&cfg, &file, SessionId(session)).await,
        Command::Import {
            command:
                ImportCommand::Live {
                    file,
                    platform,
                    provenance,
                    room,
                },
        } => import_live(&cfg, &file, &platform, &provenance, room.map(RoomId)).await,
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    role,
                    region,
                    display_name,
                    org,
                },
        } => {
            let role = Role::parse(&role).with_context(|| format!("unknown role `{role}`"))?;
            let region = match region {
                Some(r) => Some(
                    RegionCode::parse(&r).with_context(|| format!("`{r}` is not a region code"))?,
                ),
                None => None,
            };
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let opened = open(&cfg).await?;
            let user = opened
                .app
                .accounts
                .create_user(NewUserInput {
                    display_name: display_name.unwrap_or_else(|| username.clone()),
                    username,
                    password,
                    role,
                    region,
                    person_id: None,
                    org_id: org.map(OrgId),
                })
                .await?;
            println!("created user {} ({})", user.username, role.as_str());
            Ok(())
        }
    }
}

async fn import_roster(
    cfg: &Config,
    file: &std::path::Path,
    session: SessionId,
) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    let bar = ProgressBar::new(4);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("读取文件 reading");
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    bar.inc(1);
    bar.set_message("打开数据库 opening");
    let opened = open(cfg).await?;
    let actor = opened
        .app
        .training
        .system_actor_for_session(session)
        .await
        .map_err(|e| anyhow::anyhow!("session {session}: {}", e.message(fanxing_core::Lang::Zh)))?;
    bar.inc(1);
    bar.set_message("校验并导入 checking and importing");
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let result = opened
        .app
        .training
        .import_roster(&actor, session, &name, &bytes)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.detail(fanxing_core::Lang::Zh)))?;
    bar.inc(2);
    bar.finish_and_clear();
    match result {
        Ok(o) => {
            println!(
                "{}",
                fanxing_core::Lang::Zh.tf(
                    "roster.done",
                    &[
                        ("created", &o.created.to_string()),
                        ("matched", &o.matched.to_string()),
                        ("registered", &o.registered.to_string()),
                        ("waitlisted", &o.waitlisted.to_string()),
                        ("already", &o.already.to_string()),
                    ],
                )
            );
            Ok(())
        }
        Err(errors) => {
            eprintln!(
                "{}",
                fanxing_core::Lang::Zh.tf("roster.failed", &[("n", &errors.len().to_string())])
            );
            for e in errors.iter().take(200) {
                eprintln!("  {}", e.message(fanxing_core::Lang::Zh));
            }
            anyhow::bail!("{}: nothing imported", file.display())
        }
    }
}

async fn demo_analytics(
    cfg: &Config,
    scale: &str,
    seed: u64,
    dir: Option<PathBuf>,
    with_programme: bool,
    effect: Option<f64>,
) -> anyhow::Result<()> {
    use fanxing_demo::live::{seed_analytics, GenConfig};
    use indicatif::{ProgressBar, ProgressStyle};
    let mut gen = match scale {
        "small" => GenConfig::small(seed),
        "full" => GenConfig::full(seed),
        other => anyhow::bail!("unknown scale `{other}` (small or full)"),
    };
    if let Some(e) = effect {
        anyhow::ensure!(
            e.is_finite() && e.abs() < 2.0,
            "--effect must lie between -2 and 2"
        );
        gen.effect = e;
    }
    let dir = dir.unwrap_or_else(|| cfg.data_dir.join("analytics-demo"));
    let opened = open(cfg).await?;
    if with_programme {
        demo::seed(&opened.app, &*opened.store, 2026, DemoSize::default()).await?;
        demo::seed_training(&opened.app, &*opened.store, 2026).await?;
    }
    let t = Instant::now();
    let bar = ProgressBar::new(gen.rooms as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:12} {bar:30} {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = seed_analytics(
        &opened.app,
        &*opened.store,
        &gen,
        &dir,
        |stage, n, total| {
            bar.set_message(stage.to_string());
            bar.set_length(total as u64);
            bar.set_position(n as u64);
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.detail(fanxing_core::Lang::Zh)))?;
    bar.finish_and_clear();
    match report {
        Some(r) => println!(
            "{} rooms ({} run by trainees), {} files, {} sessions in {:.1} s: \
             generated in {:.1} s, imported in {:.1} s (files in {})",
            r.rooms,
            r.trained_rooms,
            r.files,
            r.sessions,
            t.elapsed().as_secs_f64(),
            r.generate.as_secs_f64(),
            r.import.as_secs_f64(),
            dir.display()
        ),
        None => println!("live rooms already present; nothing generated"),
    }
    Ok(())
}

async fn import_live(
    cfg: &Config,
    file: &std::path::Path,
    platform: &str,
    provenance: &str,
    room: Option<RoomId>,
) -> anyhow::Result<()> {
    use fanxing_core::analytics::{Platform, Provenance};
    use indicatif::{ProgressBar, ProgressStyle};
    let zh = fanxing_core::Lang::Zh;
    let platform = Platform::parse(platform).with_context(|| {
        format!("unknown platform `{platform}` (douyin, taobao, channels, kuaishou, other)")
    })?;
    let provenance = Provenance::parse(provenance).with_context(|| {
        format!("unknown provenance `{provenance}` (official, estimate, manual)")
    })?;
    let bar = ProgressBar::new(4);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("读取文件 reading");
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    bar.inc(1);
    bar.set_message("打开数据库 opening");
    let opened = open(cfg).await?;
    let actor = opened
        .app
        .analytics
        .system_actor()
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message(zh)))?;
    bar.inc(1);
    bar.set_message("校验并导入 checking and importing");
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let result = opened
        .app
        .analytics
        .import_live_export(&actor, platform, provenance, room, &name, &bytes)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.detail(zh)))?;
    bar.inc(2);
    bar.finish_and_clear();
    match result {
        Ok(o) => {
            println!(
                "{}",
                zh.tf(
                    "analytics.done",
                    &[("rows", &o.rows.to_string()), ("new", &o.new.to_string())],
                )
            );
            if let Some(sheet) = &o.sheet {
                println!("{}", zh.tf("analytics.sheet_read", &[("sheet", sheet)]));
            }
            if o.changed > 0 {
                println!(
                    "{}",
                    zh.tf(
                        "analytics.changed",
                        &[
                            ("n", &o.changed.to_string()),
                            ("ids", &o.changed_ids.join("、"))
                        ]
                    )
                );
            }
            Ok(())
        }
        Err(errors) => {
            eprintln!(
                "{}",
                zh.tf("analytics.failed", &[("n", &errors.len().to_string())])
            );
            for e in errors.iter().take(200) {
                eprintln!("  {}", e.message(zh));
            }
            anyhow::bail!("{}: nothing imported", file.display())
        }
    }
}

async fn serve_cmd(
    cfg: &Config,
    bind: &str,
    port: u16,
    demo_data: bool,
    options: &WebOptions,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let addr: SocketAddr = format!("{bind}:{port}")
        .parse()
        .or_else(|_| format!("[{bind}]:{port}").parse())
        .with_context(|| format!("`{bind}` is not an IP address to listen on"))?;
    let _lock = fanxing::lock_data_dir(cfg)?;
    let opened = open(cfg).await?;
    // Check-ins a crash left in the scan journal count before anyone reads.
    let recovered = opened.store.recover_checkins().await?;
    if recovered > 0 {
        tracing::info!(
            count = recovered,
            "applied check-ins left in the scan journal"
        );
    }
    if demo_data {
        let t = Instant::now();
        match demo::seed(&opened.app, &*opened.store, 2026, DemoSize::default()).await? {
            Some(report) => {
                tracing::info!(
                    orgs = report.orgs,
                    people = report.people,
                    secs = t.elapsed().as_secs_f64(),
                    "demo data seeded"
                );
                println!("Demo log-ins (password: {DEMO_PASSWORD}):");
                for (name, role) in &report.accounts {
                    println!("  {name:<10} {}", role.as_str());
                }
            }
            None => println!(
                "Demo data already present; log-ins: admin, nanjing, suzhou, kunshan, lecturer, checkin, trainee, bank (password: {DEMO_PASSWORD})"
            ),
        }
        if let Some(r) = fanxing_demo::matching::seed(
            &opened.matching,
            &opened.app.stores,
            2026,
            fanxing_core::now(),
        )
        .await?
        {
            println!(
                "Demo resource matching (examples): {} partners, {} offers, {} needs, {} applications",
                r.partners, r.offers, r.needs, r.applications
            );
        }
        if let Some(n) = fanxing_demo::knowledge::seed(&opened.app).await? {
            println!(
                "Demo knowledge library (examples): {n} cases, materials, policies and questions"
            );
        }
        let t = Instant::now();
        if let Some(r) = demo::seed_training(&opened.app, &*opened.store, 2026).await? {
            tracing::info!(
                held = r.held_sessions,
                attendances = r.attendances,
                upcoming = r.upcoming_sessions,
                secs = t.elapsed().as_secs_f64(),
                "demo programme seeded"
            );
            println!(
                "Demo programme 繁星计划: {} sessions held, {} attendances, {} open for registration",
                r.held_sessions, r.attendances, r.upcoming_sessions
            );
        }
        let t = Instant::now();
        let gen = fanxing_demo::live::GenConfig::small(2026);
        let dir = cfg.data_dir.join("analytics-demo");
        if let Some(r) = fanxing_demo::live::seed_analytics(
            &opened.app,
            &*opened.store,
            &gen,
            &dir,
            |_, _, _| {},
        )
        .await?
        {
            tracing::info!(
                rooms = r.rooms,
                sessions = r.sessions,
                secs = t.elapsed().as_secs_f64(),
                "demo live rooms seeded"
            );
            println!(
                "Demo live rooms: {} rooms ({} run by trainees), {} live sessions",
                r.rooms, r.trained_rooms, r.sessions
            );
        }
    }
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    println!(
        "Fanxing ready on http://{local} ({} database, started in {:.2} s)",
        opened.backend.name(),
        started.elapsed().as_secs_f64()
    );
    if !options.trusted_proxies.is_empty() {
        tracing::info!(proxies = ?options.trusted_proxies, "client addresses taken from trusted proxies");
    }
    serve_with(&opened, listener, options, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
