//! A server among others on one PostgreSQL store: it hears the others' commits (and wakes its
//! streams and audit follower with them), and competes for the audit writer's role. On the file
//! store a server is alone, and none of this runs.

use std::sync::Arc;

use tracking_api::Tracker;

use crate::storage::Store;

/// The tasks that keep a server in step with the others; they stop when this is dropped.
#[derive(Debug, Default)]
pub struct Cluster {
    #[cfg(feature = "postgres")]
    commits: Option<tracking_store::CommitListener>,
    #[cfg(feature = "postgres")]
    writer: Option<tracking_store::WriterLock>,
    #[cfg(feature = "postgres")]
    sweep: Option<tokio::task::JoinHandle<()>>,
}

/// How often every family is checked for commits whose notice went unheard (a notice is sent
/// after its commit, so a server or connection lost in between loses it).
#[cfg(feature = "postgres")]
const SWEEP: std::time::Duration = std::time::Duration::from_secs(5);

impl Cluster {
    /// Stops hearing the others, and hands the audit writer's role on if this server has it.
    pub fn leave(self) {
        #[cfg(feature = "postgres")]
        {
            if let Some(sweep) = self.sweep {
                sweep.abort();
            }
            drop(self.commits);
            drop(self.writer);
        }
    }
}

/// Whether this server's tracker starts with its audit follower standing by: on a store that
/// other servers may share, the audit writer is elected.
pub fn audit_elected(store: &Store) -> bool {
    match store {
        Store::Files(_) => false,
        #[cfg(feature = "postgres")]
        Store::Postgres(_) => true,
    }
}

/// Joins the other servers of `store`, if it is shared.
#[cfg_attr(not(feature = "postgres"), expect(unused_variables))]
pub fn join(store: &Store, tracker: &Arc<Tracker>) -> Cluster {
    match store {
        Store::Files(_) => Cluster::default(),
        #[cfg(feature = "postgres")]
        Store::Postgres(store) => {
            use tracking_store::CommitNotice;
            let heard: std::sync::Weak<Tracker> = Arc::downgrade(tracker);
            let commits = store.listen_for_commits(move |notice| {
                let Some(tracker) = heard.upgrade() else {
                    return;
                };
                match notice {
                    CommitNotice::Family(family) => tracker.committed_elsewhere(family),
                    CommitNotice::Deleted(user) => tracker.deleted_elsewhere(user),
                    CommitNotice::Missed => tracker.missed_commits(),
                }
            });
            let elected: std::sync::Weak<Tracker> = Arc::downgrade(tracker);
            let writer = store.compete_for_audit_writer(move |holding| {
                let Some(tracker) = elected.upgrade() else {
                    return;
                };
                if holding {
                    tracker.take_over_audit();
                } else {
                    tracker.stand_by_audit();
                }
            });
            let swept: std::sync::Weak<Tracker> = Arc::downgrade(tracker);
            let sweep = tokio::spawn(async move {
                let mut ticks = tokio::time::interval(SWEEP);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    let Some(tracker) = swept.upgrade() else {
                        return;
                    };
                    tracker.missed_commits();
                }
            });
            Cluster {
                commits: Some(commits),
                writer: Some(writer),
                sweep: Some(sweep),
            }
        }
    }
}
