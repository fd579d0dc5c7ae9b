//! `host-sim`: plays the Wanxiang host for developers without the real one.

use clap::{Parser, Subcommand};
use host_sim::{commands, demo, login_cmd};
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
    WecomSim(commands::WecomSimArgs),
    /// Checks connection settings and prints the checklist (exit 1 on an error).
    Configure(commands::ConfigureArgs),
    /// Reads the directory in a scope and prints counts, completeness, time and API calls.
    Fetch(commands::FetchArgs),
    /// Logs a member in: `--as USERID` over the full HTTP round trip, or `--code CODE`.
    Login(login_cmd::LoginArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("HOST_SIM_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut out = std::io::stdout();
    let result = match &cli.command {
        Command::Demo(args) => demo::run(args, &mut out).map(|_| true),
        Command::WecomSim(args) => commands::wecom_sim(args).map(|_| true),
        Command::Configure(args) => commands::configure(args, &mut out),
        Command::Fetch(args) => commands::fetch(args, &mut out),
        Command::Login(args) => login_cmd::run(args, &mut out),
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
