//! runbox's integration tests: one binary (linked once), each module a
//! feature, every test against a real `runbox serve` process.

mod harness;
mod hooks;
mod http_limits;
mod javascript;
mod pkgindex;

mod agents;
mod auth;
mod buttons;
mod cli;
mod concurrency;
mod duplicate_keys;
mod make_api;
mod metrics;
mod multinode;
mod network;
mod openapi;
mod package_disk;
mod packages;
mod python_api;
mod resources;
mod restart;
mod sandbox;
mod scenario_runs;
mod scenarios;
mod schedules;
mod secrets;
mod toolkit;
mod warm;
mod webhooks;
