//! The server's own log: lines on stderr through a log4rs console appender.

use log::LevelFilter;
use log4rs::append::console::{ConsoleAppender, Target};
use log4rs::config::{Appender, Config, Root};
use log4rs::encode::pattern::PatternEncoder;

/// Sends log lines at `TRACKING_LOG_LEVEL` (default `info`) and above to stderr.
pub fn init() -> anyhow::Result<()> {
    let level = std::env::var("TRACKING_LOG_LEVEL")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(LevelFilter::Info);
    let stderr = ConsoleAppender::builder()
        .target(Target::Stderr)
        .encoder(Box::new(PatternEncoder::new(
            "{d(%Y-%m-%dT%H:%M:%S%.3fZ)(utc)} {l:<5} {t} {m}{n}",
        )))
        .build();
    let config = Config::builder()
        .appender(Appender::builder().build("stderr", Box::new(stderr)))
        .build(Root::builder().appender("stderr").build(level))?;
    log4rs::init_config(config)?;
    Ok(())
}
