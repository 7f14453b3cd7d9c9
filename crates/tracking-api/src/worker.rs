//! A named OS thread that runs one future on a runtime of its own, so that its work never waits
//! behind the caller's tasks, over a state it shares with its owner; stopped and joined once,
//! when its owner closes or drops it.

use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

/// The state a worker's thread shares with its owner.
pub(crate) trait Stop: Send + Sync + 'static {
    /// Asks the thread to finish what it owes and return, and wakes it.
    fn stop(&self);
}

pub(crate) struct Worker<S: Stop> {
    shared: Arc<S>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl<S: Stop> Worker<S> {
    /// Starts the thread `name`, which runs the future `work` makes over `shared` until it
    /// returns.
    pub(crate) fn spawn<F>(
        name: &str,
        shared: Arc<S>,
        work: impl FnOnce(Arc<S>) -> F + Send + 'static,
    ) -> Self
    where
        F: Future<Output = ()>,
    {
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a worker's runtime starts")
                        .block_on(work(shared));
                })
                .expect("a worker's thread starts")
        };
        Self {
            shared,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Stops the thread and waits for it to return; at once when it was closed before.
    pub(crate) fn close(&self) {
        self.shared.stop();
        let thread = self.thread.lock().take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl<S: Stop> Drop for Worker<S> {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use tokio::sync::Notify;

    use super::*;

    #[derive(Default)]
    struct Flag {
        stopping: AtomicBool,
        wake: Notify,
    }

    impl Stop for Flag {
        fn stop(&self) {
            self.stopping.store(true, Ordering::SeqCst);
            self.wake.notify_one();
        }
    }

    #[test]
    fn runs_its_future_on_its_own_thread_until_stopped_and_joins_once() {
        let done = Arc::new(AtomicBool::new(false));
        let worker = {
            let done = Arc::clone(&done);
            Worker::spawn(
                "worker-test",
                Arc::new(Flag::default()),
                move |flag| async move {
                    assert_eq!(std::thread::current().name(), Some("worker-test"));
                    while !flag.stopping.load(Ordering::SeqCst) {
                        flag.wake.notified().await;
                    }
                    done.store(true, Ordering::SeqCst);
                },
            )
        };
        worker.close();
        assert!(done.load(Ordering::SeqCst));
        worker.close();
    }

    #[test]
    fn dropping_it_stops_and_joins_the_thread() {
        let flag = Arc::new(Flag::default());
        let worker = Worker::spawn("worker-test", Arc::clone(&flag), |flag| async move {
            while !flag.stopping.load(Ordering::SeqCst) {
                flag.wake.notified().await;
            }
        });
        drop(worker);
        assert!(flag.stopping.load(Ordering::SeqCst));
        assert_eq!(Arc::strong_count(&flag), 1, "the thread has returned");
    }
}
