use std::process::ExitCode;

use clap::Parser;
use coffee_shop::cli::Cli;

fn main() -> ExitCode {
    Cli::parse().run()
}
