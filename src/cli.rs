//! The command line: `serve` (the default) and `migrate`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;
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
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
}

impl Cli {
    /// Runs the chosen command; errors are printed with their causes.
    pub fn run(self) -> ExitCode {
        let settings = match Settings::load(self.config.as_deref()) {
            Ok(settings) => settings,
            Err(error) => return fail(&error),
        };
        crate::telemetry::init(&settings.log.level);
        let outcome = match self.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings),
            Command::Migrate => migrate(&settings),
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
        application.run_until_stopped().await?;
        Ok(())
    })
}

fn migrate(settings: &Settings) -> CommandResult {
    let database = Database::open(&settings.database)?;
    println!(
        "{} is at schema version {}",
        settings.database.path.display(),
        database.schema_version()?
    );
    Ok(())
}

fn fail(error: &(dyn std::error::Error + 'static)) -> ExitCode {
    eprintln!("coffee-shop: {}", error_chain(error));
    ExitCode::FAILURE
}
