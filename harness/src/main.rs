//! `faultline`: the command-line front door. Each subcommand lives in its own module; this file
//! only parses arguments and maps outcomes to exit codes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod exit;
mod run;

/// Jepsen-style fault injection: run workloads against a store while breaking it, then check
/// the history for consistency anomalies.
#[derive(Parser)]
#[command(name = "faultline", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a test: a cluster in network namespaces, a workload under faults, then the verdict.
    Test(run::TestArgs),
    /// Undo whatever crashed runs left behind (namespaces, rules, processes).
    Heal,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return exit::usage_error(e),
    };
    match cli.command {
        Command::Test(args) => run::test(args),
        Command::Heal => run::heal(),
    }
}
