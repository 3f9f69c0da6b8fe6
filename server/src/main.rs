//! `wheelhouse`: parse the command line, run it, and turn any failure into one clear line.

use std::process::ExitCode;

use clap::Parser;
use wheelhouse::cli::{AdminCommand, ApiKeyCommand, Cli, Command, K8sCommand, UserCommand};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    wheelhouse::serve::init_tracing(cli.log_format);
    let outcome = match cli.command {
        Command::Serve(options) => wheelhouse::serve::serve(options).await,
        Command::Migrate(options) => wheelhouse::serve::migrate(options).await,
        Command::ApiKey(ApiKeyCommand::Create(options)) => {
            wheelhouse::serve::create_api_key(options).await
        }
        Command::User(UserCommand::Create(options)) => {
            wheelhouse::serve::create_user(options).await
        }
        Command::User(UserCommand::ResetPassword(options)) => {
            wheelhouse::serve::reset_password(options).await
        }
        Command::Admin(AdminCommand::Fault(fault)) => wheelhouse::serve::inject_fault(fault).await,
        Command::Admin(AdminCommand::Inventory(command)) => {
            wheelhouse::serve::edit_inventory(command).await
        }
        Command::Admin(AdminCommand::Clock(command)) => {
            wheelhouse::serve::advance_clock(command).await
        }
        Command::Admin(AdminCommand::OsImage(command)) => {
            wheelhouse::serve::publish_os_image(command).await
        }
        Command::Audit(command) => wheelhouse::audit::command_line::run(command).await,
        Command::K8s(K8sCommand::Cluster(command)) => wheelhouse::client::run(command).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wheelhouse: error: {error}");
            ExitCode::FAILURE
        }
    }
}
