//! The base URLs of the servers a test talks to, taken in turn: with two servers on one
//! database, each request goes to the other one than the request before.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Base URLs (`http://127.0.0.1:PORT`) handed out one after the other, round and round.
#[derive(Debug)]
pub struct RoundRobin {
    bases: Vec<String>,
    turn: AtomicUsize,
}

impl RoundRobin {
    /// Panics without a base: there is no server to talk to.
    pub fn new(bases: Vec<String>) -> Self {
        assert!(!bases.is_empty(), "a round robin needs at least one server");
        Self {
            bases,
            turn: AtomicUsize::new(0),
        }
    }

    /// The base whose turn it is; the next call gives the one after it.
    pub fn next(&self) -> &str {
        let turn = self.turn.fetch_add(1, Ordering::Relaxed);
        &self.bases[turn % self.bases.len()]
    }

    /// The first server's base, whatever the turn.
    pub fn first(&self) -> &str {
        &self.bases[0]
    }

    pub fn all(&self) -> &[String] {
        &self.bases
    }
}

#[cfg(test)]
mod tests {
    use super::RoundRobin;

    #[test]
    fn bases_come_in_turn() {
        let bases = RoundRobin::new(vec!["a".into(), "b".into()]);
        let taken: Vec<&str> = (0..5).map(|_| bases.next()).collect();
        assert_eq!(taken, ["a", "b", "a", "b", "a"]);
    }
}
