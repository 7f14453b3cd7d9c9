//! A named OS thread that runs one future on a runtime of its own, so that its work never waits
//! behind the caller's tasks; joined once, when its owner closes it.

use std::future::Future;
use std::thread::JoinHandle;

use parking_lot::Mutex;

pub(crate) struct Worker {
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Worker {
    /// Starts the thread `name`, which runs the future `work` makes until it returns.
    pub(crate) fn spawn<F>(name: &str, work: impl FnOnce() -> F + Send + 'static) -> Self
    where
        F: Future<Output = ()>,
    {
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a worker's runtime starts")
                    .block_on(work());
            })
            .expect("a worker's thread starts");
        Self {
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Waits for the thread to return; at once when it was joined before.
    pub(crate) fn join(&self) {
        let thread = self.thread.lock().take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[test]
    fn runs_its_future_on_its_own_thread_and_joins_once() {
        let done = Arc::new(AtomicBool::new(false));
        let worker = {
            let done = Arc::clone(&done);
            Worker::spawn("worker-test", move || async move {
                tokio::task::yield_now().await;
                assert_eq!(std::thread::current().name(), Some("worker-test"));
                done.store(true, Ordering::SeqCst);
            })
        };
        worker.join();
        assert!(done.load(Ordering::SeqCst));
        worker.join();
    }
}
