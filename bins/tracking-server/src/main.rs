//! The tracking server binary: reads its configuration, composes the crates and serves the HTTP contract.

fn main() {
    eprintln!("tracking-server: not wired up yet; see the open issues");
    std::process::exit(2);
}
