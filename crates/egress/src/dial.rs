//! From a requested `host:port` to a connected socket, or a refusal: the
//! run's list, then resolution by the proxy itself, the SSRF rules on every
//! address, and a connection to one of the addresses that passed.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hyper::StatusCode;
use tokio::net::TcpStream;

use crate::Session;

const RESOLVE_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a destination was not reached: the status to answer and the reason.
pub(crate) struct Refused {
    pub status: StatusCode,
    pub reason: String,
}

fn refused(status: StatusCode, reason: String) -> Refused {
    Refused { status, reason }
}

/// `host` as written (`example.org`, `10.0.0.1`, `[::1]`), lower case.
pub(crate) async fn dial(session: &Session, host: &str, port: u16) -> Result<TcpStream, Refused> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let shown = format!("{host}:{port}");
    if !(session.permits)(&host, port) {
        return Err(refused(
            StatusCode::FORBIDDEN,
            format!("{shown} is not in this run's network list"),
        ));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let candidates: Vec<IpAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => resolve(bare, port).await?,
    };
    let mut allowed = Vec::new();
    let mut refusal = None;
    for ip in candidates {
        match &session.ssrf {
            Some(policy) => match policy.check_address(bare, ip) {
                Ok(()) => allowed.push(SocketAddr::new(ip, port)),
                Err(why) => {
                    refusal.get_or_insert(why.to_string());
                }
            },
            None => allowed.push(SocketAddr::new(ip, port)),
        }
    }
    if allowed.is_empty() {
        return Err(refused(
            StatusCode::FORBIDDEN,
            refusal.unwrap_or_else(|| format!("host {bare} has no address")),
        ));
    }
    let mut last_error = String::new();
    for address in allowed {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(error)) => {
                last_error = format!("cannot connect to {shown} ({address}): {error}")
            }
            Err(_) => {
                return Err(refused(
                    StatusCode::GATEWAY_TIMEOUT,
                    format!("connecting to {shown} ({address}) timed out"),
                ))
            }
        }
    }
    Err(refused(StatusCode::BAD_GATEWAY, last_error))
}

async fn resolve(host: &str, port: u16) -> Result<Vec<IpAddr>, Refused> {
    match tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port))).await {
        Ok(Ok(addresses)) => Ok(addresses.map(|a| a.ip()).collect()),
        Ok(Err(error)) => Err(refused(
            StatusCode::BAD_GATEWAY,
            format!("cannot resolve {host}: {error}"),
        )),
        Err(_) => Err(refused(
            StatusCode::GATEWAY_TIMEOUT,
            format!("resolving {host} timed out"),
        )),
    }
}
