//! The tracking server binary: reads its settings, builds the application, serves until a signal;
//! or, as `tracking-server import`, moves a data dir into PostgreSQL.

use std::process::ExitCode;

use clap::Parser;
use tracking_server::{Application, Settings, logging};

/// mimalloc instead of glibc's allocator: an activation allocates and frees a few hundred small
/// blocks across threads, which cost 14 % of the server's CPU under glibc (`docs/performance.md`).
/// Built without asking for transparent huge pages (`no_thp`): with them, every page mimalloc
/// purged and used again was faulted back as a zeroed 2 MiB page, a few percent of the CPU under
/// load and a slower 99th percentile.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    if let Err(error) = logging::init() {
        eprintln!("cannot start logging: {error}");
        return ExitCode::FAILURE;
    }
    if std::env::args_os()
        .nth(1)
        .is_some_and(|arg| arg == "import")
    {
        return import().await;
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

/// `tracking-server import --from <data dir> --database-url <url>`.
#[cfg(feature = "postgres")]
async fn import() -> ExitCode {
    use tracking_server::import::{ImportSettings, run};
    let settings = ImportSettings::parse_from(std::env::args_os().skip(1));
    match run(&settings, &mut std::io::stdout()).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            log::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "postgres"))]
async fn import() -> ExitCode {
    log::error!(
        "import moves a data dir into PostgreSQL, which this build leaves out: build with `cargo build --release -p tracking-server --features postgres`"
    );
    ExitCode::FAILURE
}
