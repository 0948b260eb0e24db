//! From a requested `host:port` to a connected socket, or a refusal: the
//! run's list, then resolution by the proxy itself, the SSRF rules on every
//! address, and a connection to one of the addresses that passed. Returning
//! the socket (not an address) is what keeps the check and the connection
//! on the same address.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hyper::StatusCode;
use tokio::net::TcpStream;

use crate::reply::Refused;
use crate::Session;

const RESOLVE_TIMEOUT: Duration = Duration::from_secs(10);
/// Per address: a silent address is left for the next one.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `host` (as written in the request: `example.org`,
/// `10.0.0.1`, `[::1]`) on `port`, if the session allows it.
pub(crate) async fn dial(session: &Session, host: &str, port: u16) -> Result<TcpStream, Refused> {
    // A trailing dot names the same host; without this, `example.org.`
    // would need its own list entry.
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let shown = format!("{host}:{port}");
    if !(session.permits)(&host, port) {
        return Err(Refused::new(
            StatusCode::FORBIDDEN,
            format!("{shown} is not in this run's network list"),
        ));
    }
    let candidates = match runbox_netguard::literal_ip(&host) {
        Some(ip) => vec![ip],
        None => resolve(&host, port).await?,
    };
    let allowed = check(session, &host, candidates)?;
    connect(&shown, port, &allowed).await
}

/// The addresses that pass the SSRF rules, in resolver order; when none
/// does, the first refusal.
fn check(session: &Session, host: &str, candidates: Vec<IpAddr>) -> Result<Vec<IpAddr>, Refused> {
    let Some(policy) = &session.ssrf else {
        return Ok(candidates);
    };
    let mut refusal = None;
    let allowed: Vec<IpAddr> = candidates
        .into_iter()
        .filter(|&ip| match policy.check_address(host, ip) {
            Ok(()) => true,
            Err(refused) => {
                refusal.get_or_insert(refused);
                false
            }
        })
        .collect();
    match refusal {
        Some(refused) if allowed.is_empty() => {
            Err(Refused::new(StatusCode::FORBIDDEN, refused.to_string()))
        }
        _ => Ok(allowed),
    }
}

async fn connect(shown: &str, port: u16, addresses: &[IpAddr]) -> Result<TcpStream, Refused> {
    let mut failure = Refused::new(StatusCode::BAD_GATEWAY, format!("{shown} has no address"));
    for &ip in addresses {
        let address = SocketAddr::new(ip, port);
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                // Requests and TLS handshakes are small writes that wait
                // for an answer: Nagle would only delay them.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(error)) => {
                failure = Refused::new(
                    StatusCode::BAD_GATEWAY,
                    format!("cannot connect to {shown} at {address}: {error}"),
                );
            }
            Err(_) => {
                failure = Refused::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    format!(
                        "connecting to {shown} at {address} timed out after {} s",
                        CONNECT_TIMEOUT.as_secs()
                    ),
                );
            }
        }
    }
    Err(failure)
}

async fn resolve(host: &str, port: u16) -> Result<Vec<IpAddr>, Refused> {
    let lookup = tokio::net::lookup_host((host, port));
    let resolved = match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
        Ok(Ok(resolved)) => resolved,
        Ok(Err(error)) => {
            return Err(Refused::new(
                StatusCode::BAD_GATEWAY,
                format!("cannot resolve {host}: {error}"),
            ))
        }
        Err(_) => {
            return Err(Refused::new(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "resolving {host} timed out after {} s",
                    RESOLVE_TIMEOUT.as_secs()
                ),
            ))
        }
    };
    let mut addresses: Vec<IpAddr> = Vec::new();
    for address in resolved {
        if !addresses.contains(&address.ip()) {
            addresses.push(address.ip());
        }
    }
    if addresses.is_empty() {
        return Err(Refused::new(
            StatusCode::BAD_GATEWAY,
            format!("cannot resolve {host}: no address"),
        ));
    }
    Ok(addresses)
}
