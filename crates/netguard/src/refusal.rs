//! Why the guard refused a destination, in words a user can act on. Messages
//! are lower-case phrases that read well after the name of the field that
//! held the URL: `format!("webhook_url {refusal}")` gives
//! "webhook_url host 127.0.0.1 is a loopback address; add it to
//! RUNBOX_HTTP_ALLOW to allow it".

use std::error::Error;
use std::net::IpAddr;

use crate::AddressClass;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("is not a valid URL ({reason})")]
    InvalidUrl { reason: String },
    #[error("scheme {scheme:?} is not allowed; use http or https")]
    Scheme { scheme: String },
    #[error("has no host")]
    MissingHost,
    /// `host` is the URL's host as written there (`[::1]` for IPv6);
    /// `address` is the forbidden address it is or resolves to.
    #[error("{}", forbidden_message(host, *address, *class))]
    Forbidden {
        host: String,
        address: IpAddr,
        class: AddressClass,
    },
}

fn forbidden_message(host: &str, address: IpAddr, class: AddressClass) -> String {
    let unbracketed = host.trim_start_matches('[').trim_end_matches(']');
    if unbracketed.parse::<IpAddr>().ok() == Some(address) {
        format!("host {host} is {class}; add it to RUNBOX_HTTP_ALLOW to allow it")
    } else {
        format!(
            "host {host} resolves to {address}, {class}; add {host} or {address} to \
             RUNBOX_HTTP_ALLOW to allow it"
        )
    }
}

/// The [`Refusal`] somewhere in an error's chain of causes, if any: a
/// reqwest error whose resolver or redirect policy refused the destination.
/// Lets callers tell "forbidden, never retry" from "failed, try again".
pub fn find_refusal<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a Refusal> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(refusal) = error.downcast_ref::<Refusal>() {
            return Some(refusal);
        }
        // An `io::Error` reports its inner error's source, not the inner
        // error itself, so look inside it explicitly.
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if let Some(refusal) = inner.downcast_ref::<Refusal>() {
                return Some(refusal);
            }
        }
        current = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_a_field_name() {
        let literal = Refusal::Forbidden {
            host: "127.0.0.1".into(),
            address: "127.0.0.1".parse().unwrap(),
            class: AddressClass::Loopback,
        };
        assert_eq!(
            format!("webhook_url {literal}"),
            "webhook_url host 127.0.0.1 is a loopback address; add it to RUNBOX_HTTP_ALLOW to allow it"
        );
        let v6 = Refusal::Forbidden {
            host: "[::1]".into(),
            address: "::1".parse().unwrap(),
            class: AddressClass::Loopback,
        };
        assert!(v6
            .to_string()
            .starts_with("host [::1] is a loopback address;"));
        let named = Refusal::Forbidden {
            host: "metadata.internal".into(),
            address: "169.254.169.254".parse().unwrap(),
            class: AddressClass::LinkLocal,
        };
        assert_eq!(
            named.to_string(),
            "host metadata.internal resolves to 169.254.169.254, a link-local address; \
             add metadata.internal or 169.254.169.254 to RUNBOX_HTTP_ALLOW to allow it"
        );
        let scheme = Refusal::Scheme {
            scheme: "ftp".into(),
        };
        assert_eq!(
            scheme.to_string(),
            "scheme \"ftp\" is not allowed; use http or https"
        );
    }

    #[test]
    fn finds_a_refusal_among_causes() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] Refusal);
        let outer = Outer(Refusal::MissingHost);
        assert_eq!(find_refusal(&outer), Some(&Refusal::MissingHost));
        let io = std::io::Error::other("plain");
        assert_eq!(find_refusal(&io), None);
        let wrapped = std::io::Error::other(Refusal::MissingHost);
        assert_eq!(find_refusal(&wrapped), Some(&Refusal::MissingHost));
    }
}
