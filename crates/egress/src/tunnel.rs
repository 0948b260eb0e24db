//! `CONNECT host:port`: check and connect, answer 200, then copy bytes both
//! ways between the run and the destination. What flows inside (TLS,
//! usually) is not looked at.

use std::sync::{Arc, Mutex};

use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::dial::dial;
use crate::reply::{empty, Body, Refused};
use crate::Session;

/// Large enough that a bulk download moves in few system calls.
const COPY_BUFFER: usize = 256 * 1024;

/// A tunnel accepted on a connection, waiting for hyper to hand the
/// connection over after the 200 was written.
#[derive(Clone, Default)]
pub(crate) struct PendingTunnel(Arc<Mutex<Option<Tunnel>>>);

impl PendingTunnel {
    fn put(&self, tunnel: Tunnel) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(tunnel);
        }
    }

    pub(crate) fn take(&self) -> Option<Tunnel> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

pub(crate) struct Tunnel {
    upgrade: OnUpgrade,
    target: TcpStream,
}

/// Answers a `CONNECT`: 200 with the tunnel left in `pending`, or the
/// refusal.
pub(crate) async fn open(
    request: Request<Incoming>,
    session: &Session,
    pending: &PendingTunnel,
) -> Result<Response<Body>, Refused> {
    let authority = request.uri().authority().cloned();
    let Some((authority, port)) = authority.and_then(|a| a.port_u16().map(|port| (a, port))) else {
        return Err(Refused::new(
            StatusCode::BAD_REQUEST,
            "CONNECT needs host:port",
        ));
    };
    let target = dial(session, authority.host(), port).await?;
    pending.put(Tunnel {
        upgrade: hyper::upgrade::on(request),
        target,
    });
    Ok(Response::new(empty()))
}

impl Tunnel {
    pub(crate) async fn run(mut self) {
        let upgraded = match self.upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => {
                tracing::debug!(%error, "CONNECT client left before the tunnel opened");
                return;
            }
        };
        let mut client = TokioIo::new(upgraded);
        let copied = tokio::io::copy_bidirectional_with_sizes(
            &mut client,
            &mut self.target,
            COPY_BUFFER,
            COPY_BUFFER,
        )
        .await;
        if let Err(error) = copied {
            tracing::debug!(%error, "tunnel ended with an error");
        }
    }
}
