//! `host-sim`: plays the Wanxiang host for developers without the real one.

use clap::{Parser, Subcommand};
use host_sim::bench;
use host_sim::cli::{self, configure, demo, fetch, serve, wecom_sim, workflow};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "host-sim",
    version,
    about = "Plays the Wanxiang host: loads the WeCom plugin, keeps accounts in SQLite, carries a fake WeCom"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the whole integration guide on the built-in fake WeCom and sample organisation.
    Demo(demo::DemoArgs),
    /// Runs the fake WeCom server alone.
    WecomSim(wecom_sim::WecomSimArgs),
    /// Checks connection settings and prints the checklist (exit 1 on an error).
    Configure(configure::ConfigureArgs),
    /// Reads the directory in a scope and prints counts, completeness, time and API calls.
    Fetch(fetch::FetchArgs),
    /// Benchmarks the directory read and the binding table on a generated organisation.
    Bench(bench::BenchArgs),
    /// Logs a member in: `--as USERID` over the full HTTP round trip, or `--code CODE`.
    Login(cli::login::LoginArgs),
    /// Runs the platform's web server (homepage, WW_verify file, one-click login).
    Serve(serve::ServeArgs),
    /// Platform accounts: `import FILE` (JSON array) and `list`.
    Accounts(workflow::accounts::AccountsArgs),
    /// Reads WeCom, proposes the binding table and keeps it as the pending sync in `--db`.
    Sync(workflow::sync::SyncArgs),
    /// Binds a row's member to a platform account (checked by the plugin; exit 1 if refused).
    Bind(workflow::edit::BindArgs),
    /// Decides rows in bulk: --accept name-department | name, --create-new (checked by the plugin).
    Decide(workflow::bulk::DecideArgs),
    /// Removes a row's pair: the member gets a new account instead.
    Unbind(workflow::edit::RowArgs),
    /// Leaves a row's member out of the commit.
    Skip(workflow::edit::RowArgs),
    /// Confirms a proposed removal (a member who left WeCom).
    ConfirmRemoval(workflow::edit::RowArgs),
    /// Confirms a proposed userid rename (the account moves to the new userid).
    ConfirmRename(workflow::edit::RowArgs),
    /// Shows the department tree the platform mirrors from WeCom.
    Departments(workflow::departments::DepartmentsArgs),
    /// Applies the pending sync and its edits in one transaction (`--dry-run` only prints).
    Commit(workflow::commit::CommitArgs),
    /// Runs one WeCom callback request through the plugin and prints the decoded change or the error.
    Callback(cli::callback::CallbackArgs),
    /// Shows the audit trail of binding changes (append-only).
    Audit(workflow::audit::AuditArgs),
    /// Compares a full read of the synced scope with the store and applies what callbacks missed.
    Reconcile(cli::reconcile::ReconcileArgs),
}

fn main() -> ExitCode {
    // RUST_LOG as every Rust program reads it; HOST_SIM_LOG, the older name, still works.
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_env("HOST_SIM_LOG"))
        .unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal, never into a file or a pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let mut out = std::io::stdout();
    let result = match &cli.command {
        Command::Demo(args) => demo::run(args, &mut out).map(|_| true),
        Command::WecomSim(args) => wecom_sim::wecom_sim(args).map(|_| true),
        Command::Configure(args) => configure::configure(args, &mut out),
        Command::Fetch(args) => fetch::fetch(args, &mut out),
        Command::Login(args) => cli::login::run(args, &mut out),
        Command::Bench(args) => bench::run(args, &mut out),
        Command::Serve(args) => serve::run(args, &mut out),
        Command::Accounts(args) => workflow::run_accounts(args, &mut out),
        Command::Sync(args) => workflow::run_sync(args, &mut out),
        Command::Bind(args) => workflow::run_bind(args, &mut out),
        Command::Decide(args) => workflow::bulk::run_decide(args, &mut out),
        Command::Unbind(args) => workflow::run_unbind(args, &mut out),
        Command::Skip(args) => workflow::run_skip(args, &mut out),
        Command::ConfirmRemoval(args) => workflow::run_confirm_removal(args, &mut out),
        Command::ConfirmRename(args) => workflow::run_confirm_rename(args, &mut out),
        Command::Departments(args) => workflow::departments::run(args, &mut out),
        Command::Commit(args) => workflow::run_commit(args, &mut out),
        Command::Callback(args) => cli::callback::run(args, &mut out),
        Command::Reconcile(args) => cli::reconcile::run(args, &mut out),
        Command::Audit(args) => workflow::audit::run(args, &mut out),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("错误 / error: {error:#}");
            ExitCode::from(2)
        }
    }
}
