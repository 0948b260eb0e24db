//! The outbound HTTP guard: the one place that decides which addresses
//! runbox's own HTTP requests (webhook deliveries, scenario HTTP modules) may
//! reach. This is runbox's SSRF protection.
//!
//! Public addresses are allowed. Private, loopback, link-local, CGNAT,
//! multicast, broadcast, documentation, benchmarking and reserved addresses
//! (and IPv6 forms that embed them) are refused unless `RUNBOX_HTTP_ALLOW`
//! lists them, by network or by host name.
//!
//! The guard works at two moments:
//! - before accepting a URL ([`OutboundPolicy::check_url`]): parse it,
//!   check its scheme, and resolve its host, so a request can be refused with
//!   a clear message before anything runs;
//! - when connecting ([`OutboundPolicy::client`]): the client's resolver
//!   drops forbidden addresses, so a name that resolved to a public address
//!   at submission time and to a private one later (DNS rebinding) is still
//!   refused; its redirect policy refuses redirects to forbidden IP literals.
//!   reqwest never calls the resolver for an IP-literal host, so callers must
//!   also call [`OutboundPolicy::check_literal`] on each URL they send to.
//!
//! Layout:
//! - `classify`: [`AddressClass`] and [`classify`], the pure address table;
//! - `policy`: [`OutboundPolicy`], the allow-list applied to hosts and URLs;
//! - `refusal`: [`Refusal`], the user-facing reasons, and [`find_refusal`];
//! - `client`: the guarded resolver, redirect policy and client builder.
//!
//! Architecture invariant: runbox's own outbound HTTP is made only with a
//! client from [`OutboundPolicy::client`].

mod classify;
mod client;
mod policy;
mod refusal;

pub use classify::{classify, AddressClass};
pub use client::{MAX_REDIRECTS, USER_AGENT};
pub use policy::{literal_ip, OutboundPolicy};
pub use refusal::{find_refusal, Refusal};

/// The URL type the guard checks and hands back (reqwest's, i.e. `url::Url`).
pub use reqwest::Url;
