//! `wheelhouse`: parse the command line, run it, and turn any failure into one clear line.

use std::process::ExitCode;

use clap::Parser;
use wheelhouse::cli::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    wheelhouse::serve::init_tracing(cli.log_format);
    let outcome = match cli.command {
        Command::Serve(options) => wheelhouse::serve::serve(options).await,
        Command::Migrate(options) => wheelhouse::serve::migrate(options).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wheelhouse: error: {error}");
            ExitCode::FAILURE
        }
    }
}
