//! `faultline`: the command-line front door. Each subcommand lives in its own module; this file
//! only parses arguments and maps outcomes to exit codes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod analyze;
mod campaign;
mod check;
mod delay_agent;
mod doctor;
#[cfg(test)]
mod examples;
mod exit;
mod limits;
mod own_server;
mod provision;
mod remote;
mod report;
mod run;
mod serve;
mod shrink;

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
    /// Render a run folder's HTML result bundle from its history and results (no new check).
    Analyze(analyze::AnalyzeArgs),
    /// Run a campaign: a matrix of tests over seeds, one after another, judged together (page,
    /// campaign.json, JUnit XML) and compared with the previous campaign of the same name.
    Campaign(campaign::CampaignArgs),
    /// Check history files: one verdict line per file, explanations indented under it.
    Check(check::CheckArgs),
    /// Check the nodes a test would run on (same options as `test`): a table, one row per node
    /// and check, with the fix for each failure; exit 0 when a run can start.
    Doctor(Box<run::TestArgs>),
    /// Check a history recorded anywhere (as `check` does) and render its HTML result bundle.
    Report(report::ReportArgs),
    /// Browse the store of runs and campaigns over HTTP (a listing, and every run's page and files).
    Serve(serve::ServeArgs),
    /// Shrink a failed run: re-run its test with fewer faults and a shorter window (delta
    /// debugging) and write the smallest schedule that still fails into its folder.
    Shrink(shrink::ShrinkArgs),
    /// Run a test: a cluster in network namespaces, a workload under faults, then the verdict.
    Test(Box<run::TestArgs>),
    /// Undo whatever crashed runs left behind (namespaces, rules, processes).
    Heal,
    /// Run the own Raft server on a node (the `own` target starts it; not for people).
    #[command(hide = true)]
    OwnServer(targets::own::server::ServerArgs),
    /// Hold packets from one sender on a node (the delay fault starts it; not for people).
    #[command(hide = true)]
    DelayAgent(delay_agent::DelayAgentArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return exit::usage_error(e),
    };
    match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Campaign(args) => campaign::run(args),
        Command::Doctor(args) => doctor::run(*args),
        Command::Check(args) => check::run(args),
        Command::Report(args) => report::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Shrink(args) => shrink::run(args),
        Command::Test(args) => run::test(*args),
        Command::Heal => run::heal(),
        Command::OwnServer(args) => own_server::run(args),
        Command::DelayAgent(args) => delay_agent::run(args),
    }
}
