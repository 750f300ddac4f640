//! Records what the binary was built from, for `coffee_shop_build_info`:
//! the git commit (or `COFFEE_SHOP_GIT_COMMIT` when a release script sets
//! it, or "unknown" outside a checkout) and the target triple.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=COFFEE_SHOP_GIT_COMMIT");
    for moved_when_committing in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        println!("cargo:rerun-if-changed={moved_when_committing}");
    }
    let commit = std::env::var("COFFEE_SHOP_GIT_COMMIT")
        .ok()
        .filter(|commit| !commit.is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=COFFEE_SHOP_GIT_COMMIT={commit}");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=COFFEE_SHOP_TARGET={target}");
}

fn git_commit() -> Option<String> {
    let output = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()?;
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !commit.is_empty()).then_some(commit)
}
