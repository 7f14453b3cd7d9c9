//! Builds the application from its settings, binds its listener, and runs it until the shutdown
//! future its caller passes in completes (a signal, for the binary).

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName};
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::{Context, bail};
use tracking_api::{ApiState, AuditRole, LiveHub, Tracker, configure, json_not_found};
use tracking_audit::{AuditConfig, AuditLog};

use crate::metrics::{self, Metrics};
use crate::routes;
use crate::settings::{MetricsMode, Settings};
use crate::{admin, answers, cluster, demo, storage};

/// How often waiting tracking events are retried into the history.
const CATCH_UP_PERIOD: Duration = Duration::from_secs(1);

/// A built server, bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    /// The listener of `--metrics-bind`, and its port.
    metrics_server: Option<(Server, u16)>,
    tracker: Arc<Tracker>,
    store: storage::Store,
    /// Its part among the servers of a shared store.
    cluster: cluster::Cluster,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Opens the stores and the audit log, loads or makes the admin credential, binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        storage::refuse_shared_data_dir(&settings.data_dir)?;
        let (admin, generated) =
            admin::load_or_generate(settings.admin_token.as_ref(), &settings.data_dir)?;
        if let Some(token) = generated {
            eprintln!(
                "Generated admin token (shown only this once; only its hash is kept): {token}"
            );
        }
        if settings.metrics == MetricsMode::Off && settings.metrics_bind.is_some() {
            bail!("--metrics-bind needs --metrics on");
        }
        // Installed before the store opens, whose logs register their metrics as they open.
        let recorder = match settings.metrics {
            MetricsMode::On => metrics::recorder(),
            MetricsMode::Off => None,
        };
        let store = storage::open(&settings).await?;
        let audit_config = AuditConfig {
            max_bytes: settings.audit_max_bytes,
            backups: settings.audit_backups,
            max_open_files: settings.audit_max_open_files,
            ..AuditConfig::new(&settings.log_dir)
        };
        let audit = AuditLog::new(audit_config).context("opening the audit log directory")?;
        let hub = LiveHub::with_streams_per_user(settings.max_streams_per_user);
        let role = if cluster::audit_elected(&store) {
            AuditRole::StandingBy
        } else {
            AuditRole::Writer
        };
        let tracker = Tracker::with_role(store.family(), store.history(), Arc::new(audit), role);
        let tracker = Arc::new(tracker.with_hub(hub));
        let cluster = cluster::join(&store, &tracker);
        match tracker.catch_up().await {
            Ok(done) => log::info!("started; caught up with {done:?}"),
            Err(error) => log::error!("tracking events wait for the history: {error}"),
        }
        if settings.demo
            && let Some(token) = demo::load(&tracker).await?
        {
            eprintln!("Loaded the demo family; its parent's token: {token}");
        }

        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        let address = listener.local_addr()?;
        let state = web::Data::new(ApiState {
            keep_alive: Duration::from_secs(settings.sse_keep_alive_seconds),
            tickets: store.tickets(),
            ..ApiState::new(tracker.clone(), admin)
        });
        let origins = settings.cors_origins.clone();
        let metrics = recorder
            .map(|handle| web::Data::new(Metrics::new(handle, tracker.clone(), store.clone())));
        let metrics_server = match (&settings.metrics_bind, &metrics) {
            (Some(bind), Some(metrics)) => Some(metrics_listener(bind, metrics.clone())?),
            _ => None,
        };
        let main_metrics = metrics.clone();
        let mut server = HttpServer::new(move || {
            let measured = main_metrics.is_some();
            let mut app = App::new()
                .app_data(state.clone())
                .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
                .wrap(answers::json_errors())
                .wrap(Condition::new(measured, from_fn(metrics::record_request)))
                .configure(configure);
            if let Some(metrics) = &main_metrics {
                app = app
                    .app_data(metrics.clone())
                    .service(routes::metrics_guarded());
            }
            app.default_service(web::to(json_not_found))
        })
        .disable_signals()
        .client_request_timeout(Duration::from_millis(settings.request_timeout_ms))
        .shutdown_timeout(settings.shutdown_seconds);
        let workers = settings
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1);
        server = server
            .workers(workers)
            .max_connections(settings.max_connections.div_ceil(workers));
        let server = server.listen(listener)?.run();
        log::info!("listening on http://{address}");
        Ok(Self {
            port: address.port(),
            server,
            metrics_server,
            tracker,
            store,
            cluster,
        })
    }

    /// The port it listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener, when `--metrics-bind` gave one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(_, port)| *port)
    }

    /// Serves until SIGINT or SIGTERM, then stops as [`Application::run`] does.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run(async {
            wait_for_signal().await;
            log::info!("signal received; stopping");
        })
        .await
    }

    /// Serves until `shutdown` completes, then stops gracefully: live streams end, in-flight
    /// requests finish, every queued audit line is written, and the store is closed (synced, its
    /// lock released) before this returns.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            server,
            metrics_server,
            tracker,
            store,
            cluster,
            ..
        } = self;
        let handle = server.handle();
        let metrics_server = metrics_server.map(|(server, _)| server);
        let metrics_handle = metrics_server.as_ref().map(Server::handle);
        let stop = tokio::spawn({
            let tracker = Arc::clone(&tracker);
            async move {
                shutdown.await;
                tracker.hub().disconnect_all();
                if let Some(metrics_handle) = metrics_handle {
                    metrics_handle.stop(true).await;
                }
                handle.stop(true).await;
            }
        });
        let catch_up = tracker.spawn_catch_up(CATCH_UP_PERIOD);
        let (served, metrics_served) = tokio::join!(server, async move {
            match metrics_server {
                Some(server) => server.await,
                None => Ok(()),
            }
        });
        if let Err(error) = metrics_served {
            log::warn!("the metrics listener failed: {error}");
        }
        stop.abort();
        catch_up.abort();
        let _ = stop.await;
        let _ = catch_up.await;
        // No more notices, and the audit writer's role (if this server has it) is handed on.
        cluster.leave();
        tracker.close();
        // The stopped workers may still hold the tracker for a moment; the store closes anyway.
        let closed = store.close().await;
        served?;
        closed?;
        log::info!("stopped");
        Ok(())
    }
}

/// The listener of `--metrics-bind`: `GET /metrics` without credentials, nothing else.
fn metrics_listener(bind: &str, metrics: web::Data<Metrics>) -> anyhow::Result<(Server, u16)> {
    let listener =
        TcpListener::bind(bind).with_context(|| format!("binding the metrics address {bind}"))?;
    let address = listener.local_addr()?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(metrics.clone())
            .service(routes::metrics_open())
            .default_service(web::to(json_not_found))
    })
    .disable_signals()
    .workers(1)
    .listen(listener)?
    .run();
    log::info!("metrics served at http://{address}/metrics");
    Ok((server, address.port()))
}

/// How long a browser may cache a preflight answer.
const CORS_MAX_AGE_SECONDS: usize = 600;

/// CORS for the configured origins, saying only what is true: the methods the routes have, the
/// request headers the contract reads, and the answer headers a client must see.
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([HeaderName::from_static("idempotent-replayed")])
        .max_age(CORS_MAX_AGE_SECONDS)
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        log::error!("cannot listen for signals; stop the server with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
}
