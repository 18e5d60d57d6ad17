//! `omnicanal`: the local server and the devops commands.
//!
//! `cargo run` (or `omnicanal serve`) serves all five functions on one port over the embedded
//! store; `omnicanal token` prints a development token for the configured key; `omnicanal table
//! create` creates the DynamoDB table.

mod any_store;
mod dev_secret;
mod logging;
mod malformed_http;
mod server;
mod sweep;
mod table;
mod token;

use std::process::ExitCode;

/// Every request clones and drops many small maps (items, JSON values): mimalloc's
/// thread-local free lists cut glibc malloc's share of the local server's time under load
/// (BENCHMARKS.md has the before and after).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// Omnichannel retail backend: cart, stock, offers, loyalty and orders on one table.
#[derive(Debug, Parser)]
#[command(name = "omnicanal", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve all five functions on OMNICANAL_ADDR (the default command).
    Serve,
    /// Print a token signed with the configured HS256 secret (or the local server's
    /// generated one), so you can curl the API.
    Token(token::TokenArgs),
    /// Release expired stock holds, write off lapsed points and expire unconfirmed orders once
    /// (hosts run the same sweep on a schedule).
    Sweep,
    /// Manage the DynamoDB table.
    #[command(subcommand)]
    Table(table::TableCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::run(),
        Command::Token(args) => token::run(&args),
        Command::Table(command) => table::run(&command),
        Command::Sweep => sweep::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("omnicanal: {err}");
            ExitCode::FAILURE
        }
    }
}
