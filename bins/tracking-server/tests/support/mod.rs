//! What the process-level tests share: the built `tracking-server` binary run as operators run
//! it, on a free port with its own temporary directories, and an HTTP client that speaks JSON.

#![allow(dead_code, unused_imports)]

mod client;
mod round_robin;
mod server;

pub use client::{Client, NoAnswer};
pub use round_robin::RoundRobin;
pub use server::{Dirs, Server};

/// The admin token every process-level test starts the server with.
pub const ADMIN: &str = "process-test-admin-token-0123456789abcdef";
