//! The store's own runtime: every query runs on it, whatever runtime its caller runs on.
//!
//! A connection's socket belongs to the runtime that opened it, and only that runtime's thread
//! wakes whoever waits on it. Callers of the store run on many runtimes (each HTTP worker has its
//! own, the audit follower has its own and is joined from another one at shutdown), so a query on
//! a connection opened by a runtime that is blocked or stopped would never complete. Running all
//! of the pool's work on one runtime that is never blocked (two worker threads of its own)
//! rules that out; a caller only awaits the answer, which works from any runtime.

use std::future::Future;

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A long-lived task on the store's runtime; dropping this stops it.
#[derive(Debug)]
pub(super) struct Spawned(JoinHandle<()>);

impl Drop for Spawned {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The runtime's handle; it stops when this is dropped.
#[derive(Debug)]
pub(super) struct Engine {
    handle: Handle,
    _stop: oneshot::Sender<()>,
}

impl Engine {
    pub(super) fn start() -> std::io::Result<Self> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("postgres-store")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        // The runtime lives on a thread of its own, which also drops it: a runtime may not be
        // dropped from async code, where the store's last handle may well go.
        std::thread::Builder::new()
            .name("postgres-store".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        Ok(Self {
            handle,
            _stop: stop,
        })
    }

    /// Spawns a long-lived task on the store's runtime (a listener), which runs until the
    /// answer is dropped.
    pub(super) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> Spawned {
        Spawned(self.handle.spawn(task))
    }

    /// Runs `work` on the store's runtime and waits for its answer; a task that panicked is the
    /// backend's failure, `failed`.
    pub(super) async fn run<T, E>(
        &self,
        work: impl Future<Output = Result<T, E>> + Send + 'static,
        failed: fn(BoxError) -> E,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        match self.handle.spawn(work).await {
            Ok(answer) => answer,
            Err(error) => Err(failed(Box::new(error))),
        }
    }
}
