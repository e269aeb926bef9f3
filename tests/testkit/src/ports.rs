//! Free TCP ports on 127.0.0.1 for the peers.

use std::net::TcpListener;

/// A port nothing listens on right now (the peer that takes it may still lose a race; peers
/// that can fail to bind retry with another).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// `http://127.0.0.1:<port>` of a port nothing listens on: a dead endpoint.
pub fn dead_url() -> String {
    format!("http://127.0.0.1:{}", free_port())
}
