//! Network destinations a run may reach through runbox's proxy (contract
//! section 11): the operator's allow list and each run's own request are
//! lists of [`Destination`]s. This module owns their syntax, which request
//! an operator entry covers, and which connection an entry permits.
//!
//! Forms: `api.github.com` (that name), `*.example.org` (any subdomain,
//! not the apex), `203.0.113.7` (that address), `10.0.0.0/8` (a block),
//! each with an optional `:port` (`[2001:db8::1]:8443` for IPv6); without a
//! port an entry means ports 80 and 443.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// Ports an entry without `:port` stands for.
pub const DEFAULT_PORTS: [u16; 2] = [80, 443];

/// The host part of a [`Destination`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HostPattern {
    /// Exactly this name (lower case, no trailing dot).
    Name(String),
    /// Any name ending in `.` + this suffix (`*.example.org`).
    Subdomains(String),
    /// An address or block; matches destinations written as addresses.
    Network(IpNet),
}

/// One allow-list entry: a host pattern and its port (None: 80 and 443).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Destination {
    pub host: HostPattern,
    pub port: Option<u16>,
}

impl Destination {
    fn ports(&self) -> Vec<u16> {
        match self.port {
            Some(port) => vec![port],
            None => DEFAULT_PORTS.to_vec(),
        }
    }

    /// Whether every connection `requested` permits, this entry permits too:
    /// a run may ask for `requested` when the operator listed `self`.
    pub fn covers(&self, requested: &Destination) -> bool {
        let ours = self.ports();
        if !requested.ports().iter().all(|port| ours.contains(port)) {
            return false;
        }
        match (&self.host, &requested.host) {
            (HostPattern::Name(a), HostPattern::Name(b)) => a == b,
            (HostPattern::Subdomains(suffix), HostPattern::Name(name)) => {
                is_subdomain(name, suffix)
            }
            (HostPattern::Subdomains(a), HostPattern::Subdomains(b)) => {
                a == b || is_subdomain(b, a)
            }
            (HostPattern::Network(a), HostPattern::Network(b)) => {
                a.prefix_len() <= b.prefix_len() && a.contains(&b.network())
            }
            _ => false,
        }
    }

    /// Whether a connection to `host` (as the client wrote it: a name or an
    /// address literal, `[…]` allowed) on `port` is permitted by this entry.
    /// Names are compared without case and trailing dot; an address entry
    /// permits only destinations written as addresses, so a name that
    /// happens to resolve into a block is not let through by it.
    pub fn permits(&self, host: &str, port: u16) -> bool {
        if !self.ports().contains(&port) {
            return false;
        }
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            return match &self.host {
                HostPattern::Network(net) => net.contains(&ip) || net.contains(&ip.to_canonical()),
                _ => false,
            };
        }
        let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        match &self.host {
            HostPattern::Name(ours) => *ours == name,
            HostPattern::Subdomains(suffix) => is_subdomain(&name, suffix),
            HostPattern::Network(_) => false,
        }
    }
}

fn is_subdomain(name: &str, suffix: &str) -> bool {
    name.len() > suffix.len() + 1
        && name.ends_with(suffix)
        && name.as_bytes()[name.len() - suffix.len() - 1] == b'.'
}

/// Whether `list` permits a connection to `host:port`.
pub fn permits_any(list: &[Destination], host: &str, port: u16) -> bool {
    list.iter().any(|entry| entry.permits(host, port))
}

/// The first entry of `requested` that no entry of `allowed` covers.
pub fn first_uncovered<'a>(
    allowed: &[Destination],
    requested: &'a [Destination],
) -> Option<&'a Destination> {
    requested
        .iter()
        .find(|wanted| !allowed.iter().any(|entry| entry.covers(wanted)))
}

/// Why a destination could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid destination {entry:?}: {reason}")]
pub struct InvalidDestination {
    pub entry: String,
    pub reason: String,
}

impl FromStr for Destination {
    type Err = InvalidDestination;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let entry = text.trim();
        let invalid = |reason: &str| InvalidDestination {
            entry: entry.to_owned(),
            reason: reason.to_owned(),
        };
        if entry.is_empty() {
            return Err(invalid("empty"));
        }
        if entry.contains("://") || entry.contains('@') {
            return Err(invalid(
                "give a host, an address or a block with an optional :port, without scheme or path",
            ));
        }
        let (host, port) = split_port(entry).map_err(|reason| invalid(&reason))?;
        let host = parse_host(host).map_err(|reason| invalid(&reason))?;
        Ok(Destination { host, port })
    }
}

/// `host[:port]`, `[v6][:port]`, or a bare IPv6 address or block (several
/// colons and no brackets: no port).
fn split_port(entry: &str) -> Result<(&str, Option<u16>), String> {
    if let Some(rest) = entry.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| "unclosed `[`".to_owned())?;
        return match after {
            "" => Ok((inside, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((inside, Some(parse_port(port)?))),
                None => Err("unexpected text after `]`".to_owned()),
            },
        };
    }
    match entry.matches(':').count() {
        0 => Ok((entry, None)),
        1 => {
            let (host, port) = entry.split_once(':').unwrap_or((entry, ""));
            Ok((host, Some(parse_port(port)?)))
        }
        _ => Ok((entry, None)),
    }
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("port {text:?} is not a number from 1 to 65535")),
    }
}

fn parse_host(host: &str) -> Result<HostPattern, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(HostPattern::Network(IpNet::from(ip)));
    }
    if host.contains('/') {
        return host
            .parse::<IpNet>()
            .map(|net| HostPattern::Network(net.trunc()))
            .map_err(|_| "not a valid CIDR block (like 10.0.0.0/8)".to_owned());
    }
    let lower = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if let Some(suffix) = lower.strip_prefix("*.") {
        check_host_name(suffix).map_err(str::to_owned)?;
        return Ok(HostPattern::Subdomains(suffix.to_owned()));
    }
    check_host_name(&lower).map_err(str::to_owned)?;
    Ok(HostPattern::Name(lower))
}

/// DNS host name rules (letters, digits, `-`, plus `_` which container
/// service names use), and not something that only looks like a broken IP
/// address such as `10.0.0.256`. Expects lower case without trailing dot.
pub fn check_host_name(host: &str) -> Result<(), &'static str> {
    const NOT_A_HOST: &str = "not an IP address, a CIDR block or a host name";
    if host.len() > 253 {
        return Err("host name longer than 253 characters");
    }
    let mut last = "";
    for label in host.split('.') {
        let ok_chars = label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if label.is_empty() || label.len() > 63 || !ok_chars {
            return Err(NOT_A_HOST);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(NOT_A_HOST);
        }
        last = label;
    }
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NOT_A_HOST);
    }
    Ok(())
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match &self.host {
            HostPattern::Name(name) => name.clone(),
            HostPattern::Subdomains(suffix) => format!("*.{suffix}"),
            HostPattern::Network(net) if net.prefix_len() == net.max_prefix_len() => {
                net.addr().to_string()
            }
            HostPattern::Network(net) => net.to_string(),
        };
        let v6 = matches!(&self.host, HostPattern::Network(IpNet::V6(_)));
        match (self.port, v6) {
            (Some(port), true) => write!(f, "[{host}]:{port}"),
            (Some(port), false) => write!(f, "{host}:{port}"),
            (None, _) => f.write_str(&host),
        }
    }
}

impl TryFrom<String> for Destination {
    type Error = InvalidDestination;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Destination> for String {
    fn from(destination: Destination) -> String {
        destination.to_string()
    }
}

/// Parses a list of entries, naming the first bad one.
pub fn parse_destinations<S: AsRef<str>>(
    entries: &[S],
) -> Result<Vec<Destination>, InvalidDestination> {
    entries.iter().map(|entry| entry.as_ref().parse()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Destination {
        text.parse().unwrap()
    }

    #[test]
    fn forms_parse_and_print_back() {
        for text in [
            "api.github.com",
            "*.example.org",
            "203.0.113.7:8443",
            "10.0.0.0/8",
            "[2001:db8::1]:443",
            "2001:db8::/32",
            "localhost:8080",
        ] {
            assert_eq!(d(text).to_string(), text);
        }
        assert_eq!(d("API.GitHub.com.").to_string(), "api.github.com");
        assert_eq!(d("10.1.2.3/8").to_string(), "10.0.0.0/8");
    }

    #[test]
    fn bad_entries_are_named() {
        for bad in [
            "",
            "http://x.org",
            "x.org:0",
            "x.org:70000",
            "exa mple.org",
            "10.0.0.256",
            "[::1",
            "*.",
            "a..b",
            "user@host",
        ] {
            let error = bad.parse::<Destination>().unwrap_err();
            assert!(error.to_string().contains("invalid destination"), "{bad}");
        }
    }

    #[test]
    fn coverage() {
        assert!(d("api.github.com").covers(&d("api.github.com")));
        assert!(d("api.github.com").covers(&d("api.github.com:443")));
        assert!(!d("api.github.com:443").covers(&d("api.github.com")));
        assert!(!d("api.github.com").covers(&d("api.github.com:8443")));
        assert!(d("*.example.org").covers(&d("a.b.example.org")));
        assert!(d("*.example.org").covers(&d("*.b.example.org")));
        assert!(!d("*.example.org").covers(&d("example.org")));
        assert!(!d("*.example.org").covers(&d("badexample.org")));
        assert!(d("10.0.0.0/8").covers(&d("10.1.0.0/16")));
        assert!(d("10.0.0.0/8").covers(&d("10.1.2.3")));
        assert!(!d("10.1.0.0/16").covers(&d("10.0.0.0/8")));
        assert!(!d("10.0.0.0/8").covers(&d("example.org")));
        assert_eq!(
            first_uncovered(&[d("*.github.com")], &[d("api.github.com"), d("x.org")]),
            Some(&d("x.org"))
        );
    }

    #[test]
    fn connections() {
        assert!(d("api.github.com").permits("API.github.com.", 443));
        assert!(!d("api.github.com").permits("api.github.com", 22));
        assert!(d("*.example.org").permits("a.example.org", 80));
        assert!(!d("*.example.org").permits("example.org", 80));
        assert!(d("127.0.0.1:9000").permits("127.0.0.1", 9000));
        assert!(d("[::1]:9000").permits("[::1]", 9000));
        assert!(d("10.0.0.0/8").permits("10.2.3.4", 443));
        assert!(!d("10.0.0.0/8").permits("ten.example", 443));
        assert!(!d("example.org").permits("93.184.216.34", 443));
    }
}
