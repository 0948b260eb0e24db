//! The proxy service of one run, from the moment the launcher hands over
//! the run's listener until the run has ended.

use std::os::fd::OwnedFd;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::ProxyService;

/// The caller's proxy for one run: started when the launcher hands over
/// the listener, stopped (every connection closed) when the run has ended.
pub(super) struct ProxyRun {
    service: Option<ProxyService>,
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl ProxyRun {
    pub(super) fn new(service: Option<ProxyService>) -> Self {
        Self {
            service,
            stop: CancellationToken::new(),
            task: None,
        }
    }

    pub(super) fn start(&mut self, fds: Vec<OwnedFd>) {
        let (Some(service), Some(fd)) = (self.service.take(), fds.into_iter().next()) else {
            return;
        };
        let listener = std::net::TcpListener::from(fd);
        let listener = listener
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpListener::from_std(listener));
        match listener {
            Ok(listener) => {
                self.task = Some(tokio::spawn(service(listener, self.stop.clone())));
            }
            Err(error) => tracing::error!(%error, "cannot serve the run's proxy listener"),
        }
    }

    pub(super) async fn stop(&mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}
