//! Simulated controllers.

use crate::server::Shared;
use std::sync::Arc;
use std::time::Duration;

pub async fn run(shared: Arc<Shared>, _ready_after: Duration) {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        shared.lock().reap_terminating_pods(0);
    }
}
