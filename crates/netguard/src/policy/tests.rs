//! Unit tests of the policy: addresses and URLs with and without allow
//! entries. Nothing here leaves the machine: only IP literals and
//! `localhost` are used.

use std::net::IpAddr;

use runbox_config::HttpAllowEntry;

use super::*;
use crate::AddressClass;

fn policy(entries: &[&str]) -> OutboundPolicy {
    let allow = entries
        .iter()
        .map(|e| e.parse::<HttpAllowEntry>().unwrap())
        .collect();
    OutboundPolicy::new(allow)
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn allowed(policy: &OutboundPolicy, host: &str, address: &str) -> bool {
    policy.check_address(host, ip(address)).is_ok()
}

#[test]
fn public_addresses_are_allowed_without_entries() {
    let none = policy(&[]);
    for address in [
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
    ] {
        assert!(allowed(&none, address, address), "{address}");
    }
}

#[test]
fn special_addresses_are_refused_without_entries() {
    let none = policy(&[]);
    for address in [
        "127.0.0.1",
        "10.0.0.1",
        "172.20.0.1",
        "192.168.0.10",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.251",
        "::1",
        "::",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
    ] {
        assert!(!allowed(&none, address, address), "{address}");
    }
}

#[test]
fn network_entries_allow_what_they_contain() {
    let some = policy(&["10.0.0.0/8", "127.0.0.1", "fd00::/8"]);
    let table = [
        ("10.1.2.3", true),
        ("10.255.0.1", true),
        ("127.0.0.1", true),
        // A single address, not its whole block.
        ("127.0.0.2", false),
        ("192.168.1.1", false),
        ("fd12::1", true),
        ("fc00::1", false),
        ("::1", false),
        // The IPv4-mapped form of an allowed IPv4 address is that address.
        ("::ffff:127.0.0.1", true),
        ("::ffff:10.9.9.9", true),
        ("::ffff:192.168.1.1", false),
        ("8.8.8.8", true),
    ];
    for (address, expected) in table {
        assert_eq!(allowed(&some, address, address), expected, "{address}");
    }
}

#[test]
fn host_entries_allow_every_address_of_that_name_only() {
    let hosts = policy(&["hooks.internal", "localhost"]);
    assert!(allowed(&hosts, "hooks.internal", "10.0.0.5"));
    assert!(allowed(&hosts, "HOOKS.internal.", "fd00::5"));
    assert!(allowed(&hosts, "localhost", "::1"));
    assert!(!allowed(&hosts, "other.internal", "10.0.0.5"));
    // Subdomains are not included, nor the addresses themselves.
    assert!(!allowed(&hosts, "a.hooks.internal", "10.0.0.5"));
    assert!(!allowed(&hosts, "127.0.0.1", "127.0.0.1"));
}

#[test]
fn refusal_names_host_address_and_class() {
    let err = policy(&[])
        .check_address("metadata", ip("169.254.169.254"))
        .unwrap_err();
    assert_eq!(
        err,
        Refusal::Forbidden {
            host: "metadata".into(),
            address: ip("169.254.169.254"),
            class: AddressClass::LinkLocal,
        }
    );
}

async fn refused(policy: &OutboundPolicy, url: &str) -> Refusal {
    match policy.check_url(url).await {
        Ok(parsed) => panic!("{url} was accepted as {parsed}"),
        Err(refusal) => refusal,
    }
}

#[tokio::test]
async fn check_url_refuses_forbidden_literals_in_every_spelling() {
    let none = policy(&[]);
    let table = [
        (
            "http://127.0.0.1:8080/hook",
            "127.0.0.1",
            AddressClass::Loopback,
        ),
        ("http://2130706433/", "127.0.0.1", AddressClass::Loopback),
        ("http://0x7f.1/", "127.0.0.1", AddressClass::Loopback),
        ("http://[::1]:9000/", "::1", AddressClass::Loopback),
        (
            "http://[::ffff:7f00:1]/",
            "127.0.0.1",
            AddressClass::Loopback,
        ),
        (
            "https://169.254.169.254/latest/meta-data",
            "169.254.169.254",
            AddressClass::LinkLocal,
        ),
        ("http://10.0.0.1/", "10.0.0.1", AddressClass::Private),
        ("http://0.0.0.0:80/", "0.0.0.0", AddressClass::Unspecified),
    ];
    for (url, address, class) in table {
        match refused(&none, url).await {
            Refusal::Forbidden {
                address: got,
                class: got_class,
                ..
            } => {
                assert_eq!(got.to_canonical(), ip(address), "{url}");
                assert_eq!(got_class, class, "{url}");
            }
            other => panic!("{url}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn check_url_accepts_allowed_and_public_literals() {
    let some = policy(&["127.0.0.1/32", "::1"]);
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://[::1]/",
        "https://8.8.8.8/x?y=1",
    ] {
        let parsed = some.check_url(url).await.unwrap();
        assert_eq!(
            parsed.as_str().trim_end_matches('/'),
            url.trim_end_matches('/')
        );
    }
}

#[tokio::test]
async fn check_url_resolves_names() {
    let refusal = refused(&policy(&[]), "http://localhost:1/hook").await;
    assert!(
        refusal
            .to_string()
            .starts_with("host localhost resolves to 127.0.0.1, a loopback address;"),
        "{refusal}"
    );
    // By name, or by every address the name has.
    for allow in ["localhost", "127.0.0.0/8"] {
        let allowed = policy(&[allow]).check_url("http://localhost:1/hook").await;
        assert!(allowed.is_ok(), "{allow}: {allowed:?}");
    }
    // A trailing dot is the same host.
    assert!(policy(&["localhost"])
        .check_url("http://localhost.:1/")
        .await
        .is_ok());
}

#[tokio::test]
async fn check_url_refuses_other_schemes_and_garbage() {
    let none = policy(&[]);
    for url in [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://8.8.8.8/",
    ] {
        assert!(
            matches!(refused(&none, url).await, Refusal::Scheme { .. }),
            "{url}"
        );
    }
    for url in [
        "not a url",
        "http://",
        "/relative/path",
        "http://exa mple.com/",
    ] {
        assert!(
            matches!(refused(&none, url).await, Refusal::InvalidUrl { .. }),
            "{url}"
        );
    }
}

#[test]
fn check_literal_leaves_names_to_the_resolver() {
    let none = policy(&[]);
    let named = Url::parse("http://localhost:1/").unwrap();
    assert!(none.check_literal(&named).is_ok());
    let literal = Url::parse("http://127.0.0.1:1/").unwrap();
    assert!(none.check_literal(&literal).is_err());
    let data = Url::parse("data:text/plain,hi").unwrap();
    assert!(matches!(
        none.check_literal(&data),
        Err(Refusal::Scheme { .. })
    ));
}
