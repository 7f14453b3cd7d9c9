//! The tracking server binary: reads its settings, builds the application, serves until a signal.

use std::process::ExitCode;

use clap::Parser;
use tracking_server::{Application, Settings, logging};

#[actix_web::main]
async fn main() -> ExitCode {
    if let Err(error) = logging::init() {
        eprintln!("cannot start logging: {error}");
        return ExitCode::FAILURE;
    }
    let settings = Settings::parse();
    let result = match Application::build(settings).await {
        Ok(application) => application.run_until_stopped().await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            log::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}
