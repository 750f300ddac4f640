//! The command line: `serve` (the default), `migrate`, `backup`, `backups`,
//! `restore`, `export`/`import`, `healthcheck`, `check-config`, `token`,
//! `dev-token`.

mod backups;
mod check_config;
mod menu_file;
mod token;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::auth::dev::{DevRole, DevSigner, parse_ttl};
use crate::config::{Settings, TlsMode, reachable_here};
use crate::db::Database;
use crate::error::error_chain;
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "coffee-shop",
    version,
    about = "A café's drinks menu server: JSON API on embedded SQLite"
)]
pub struct Cli {
    /// Config file (default: $COFFEE_SHOP_CONFIG, else ./config.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve {
        /// Development mode: also trust tokens from `coffee-shop dev-token`
        /// (signed by a key kept next to the database). Loopback binds only.
        #[arg(long)]
        dev: bool,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Make a backup now, safe while the server runs: into backup.dir (compressed, with its
    /// manifest), or as a plain SQLite copy at FILE.
    Backup {
        /// Write a plain SQLite copy here instead.
        file: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
        /// Also copy it to the bucket (backup.s3) and check the copy.
        #[arg(long)]
        upload: bool,
    },
    /// List the backups in backup.dir and in the bucket, with their checksum state.
    Backups,
    /// Put a backup back (stop the server first): a file, a backup's name, an S3 key, or `latest`.
    Restore {
        /// FILE, a name from `coffee-shop backups`, an S3 key, or `latest`.
        backup: String,
    },
    /// Write the menu as JSON (the API's long form) to a file, or to stdout.
    Export {
        /// Where to write it (default: stdout).
        file: Option<PathBuf>,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Load a menu file: drinks are matched by title (ignoring case), updated or created, all or nothing.
    Import {
        /// A file from `export`, a saved /drinks-detail answer, or a JSON array of drinks.
        file: PathBuf,
        /// Also delete drinks that are not in the file.
        #[arg(long)]
        replace: bool,
    },
    /// Exit 0 when the local server answers /healthz (for container health checks).
    Healthcheck,
    /// Print the effective configuration (secrets redacted), validate it, and fetch the signing keys.
    CheckConfig,
    /// Look inside an access token.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print a development token for curl or the mobile app (trusted only by `serve --dev`).
    DevToken {
        /// Whose permissions the token carries.
        #[arg(long, value_enum, default_value = "manager")]
        role: DevRole,
        /// How long it is valid: 90s, 30m, 1h, 7d (at most 30d).
        #[arg(long, default_value = "1h", value_parser = parse_ttl)]
        ttl: Duration,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Decode the header and claims without trusting them (times shown relative to now).
    Inspect {
        /// The token; `-` or nothing reads it from stdin (keeps it out of shell history).
        token: Option<String>,
    },
    /// Verify against the configured issuer's keys: the permissions, or exactly why not.
    Verify {
        /// The token; `-` or nothing reads it from stdin.
        token: Option<String>,
        /// Also trust the development key (as `serve --dev` does).
        #[arg(long)]
        dev: bool,
    },
}

impl Cli {
    /// Runs the chosen command; errors are printed with their causes.
    pub fn run(self) -> ExitCode {
        let settings = match Settings::load(self.config.as_deref()) {
            Ok(settings) => settings,
            Err(error) => return fail(&error),
        };
        let _flush_logs_on_exit = crate::telemetry::init(&settings.log);
        let outcome = match self.command.unwrap_or(Command::Serve { dev: false }) {
            Command::Serve { dev } => serve(Settings {
                development: dev,
                ..settings
            }),
            Command::Migrate => migrate(&settings),
            Command::Backup {
                file,
                force,
                upload,
            } => backups::backup(&settings, file.as_deref(), force, upload),
            Command::Backups => backups::list(&settings),
            Command::Restore { backup } => backups::restore(&settings, &backup),
            Command::Healthcheck => healthcheck(&settings),
            Command::DevToken { role, ttl } => dev_token(&settings, role, ttl),
            Command::Export { file, force } => menu_file::export(&settings, file.as_deref(), force),
            Command::Import { file, replace } => menu_file::import(&settings, &file, replace),
            Command::CheckConfig => check_config::check_config(&settings, self.config.as_deref()),
            Command::Token(TokenCommand::Inspect { token }) => token::read_token(token)
                .map_err(Into::into)
                .and_then(|t| token::inspect(&t)),
            Command::Token(TokenCommand::Verify { token, dev }) => token::read_token(token)
                .map_err(Into::into)
                .and_then(|t| token::verify(&settings, &t, dev)),
        };
        match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => fail(error.as_ref()),
        }
    }
}

type CommandResult = Result<(), Box<dyn std::error::Error>>;

fn serve(settings: Settings) -> CommandResult {
    actix_web::rt::System::new().block_on(async move {
        let application = Application::build(settings).await?;
        // Not println!: a closed stdout (some service managers) must not stop the server.
        let _ = writeln!(std::io::stdout().lock(), "{}", application.banner());
        application.run_until_stopped().await?;
        Ok(())
    })
}

fn migrate(settings: &Settings) -> CommandResult {
    let database = Database::open(&settings.database)?;
    println!(
        "{} is at schema version {}",
        settings.database.shown(),
        database.schema_version()?
    );
    Ok(())
}

/// Asks the server on `server.bind` (a wildcard address means this machine).
/// Asks the local server's `/healthz`: on `server.bind`, or with TLS on, on
/// the plain-HTTP listener, else over HTTPS on loopback, where the
/// certificate (issued for the café's domain) is not checked: this only
/// asks whether our own process is alive, and sends nothing secret.
fn healthcheck(settings: &Settings) -> CommandResult {
    let here = |bind: crate::config::BindAddress| reachable_here(bind.socket_addr());
    let (url, check_certificate) = match (settings.tls_mode(), settings.tls.http_bind) {
        (TlsMode::Off, _) => (
            format!("http://{}/healthz", here(settings.server.bind)),
            true,
        ),
        (_, Some(plain)) => (format!("http://{}/healthz", here(plain)), true),
        (_, None) => (
            format!("https://{}/healthz", here(settings.tls.https_bind)),
            false,
        ),
    };
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(3)))
        .http_status_as_error(false)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .disable_verification(!check_certificate)
                .build(),
        )
        .build()
        .new_agent();
    let status = agent
        .get(&url)
        .call()
        .map_err(|e| format!("no answer from {url}: {e}"))?
        .status();
    if status == 200 {
        Ok(())
    } else {
        Err(format!("{url} answered {status}").into())
    }
}

fn dev_token(settings: &Settings, role: DevRole, ttl: Duration) -> CommandResult {
    let signer = DevSigner::load_or_create(&DevSigner::key_path(&settings.database))?;
    println!("{}", signer.mint(role, &settings.auth.audience, ttl)?);
    Ok(())
}

fn fail(error: &(dyn std::error::Error + 'static)) -> ExitCode {
    eprintln!("coffee-shop: {}", error_chain(error));
    ExitCode::FAILURE
}
