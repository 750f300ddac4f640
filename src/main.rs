use std::process::ExitCode;

use clap::Parser;
use coffee_shop::cli::Cli;

/// musl's allocator is slow under concurrency; the static build uses mimalloc.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    Cli::parse().run()
}
