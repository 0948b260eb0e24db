//! The architecture's invariants, checked on the sources (ARCHITECTURE.md,
//! "Invariants"): only `crates/store` names sqlx; only `crates/api` names
//! the HTTP server's types (axum, hyper, tower-http; `crates/egress`, the
//! runs' HTTP proxy, is HTTP by nature); only `crates/sandbox` creates
//! processes or namespaces (clone, fork, exec, mount, unshare); every
//! module says what it owns in a `//!` doc. `crates/bench` is a tool next
//! to runbox, not a part of it, and is left out, as are tests.

use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `crates/*/src`, with its crate's name.
fn sources() -> Vec<(String, PathBuf, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(crates_dir()).expect("crates").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let src = entry.path().join("src");
        if name == "bench" || !src.is_dir() {
            continue;
        }
        visit(&src, &mut |path| {
            let text = std::fs::read_to_string(path).expect("read");
            found.push((name.clone(), path.to_owned(), text));
        });
    }
    assert!(found.len() > 100, "only {} source files found", found.len());
    found
}

fn visit(dir: &Path, each: &mut dyn FnMut(&Path)) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            visit(&path, each);
        } else if path.extension().is_some_and(|e| e == "rs") {
            each(&path);
        }
    }
}

/// The code of a line: without its comment and without string literals
/// (a log filter may say "sqlx=warn" without using sqlx).
fn code_of(line: &str) -> String {
    let mut code = String::new();
    let mut in_string = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            '/' if !in_string && chars.peek() == Some(&'/') => break,
            _ if !in_string => code.push(c),
            _ => {}
        }
    }
    code
}

/// The lines of the crates not in `allowed` that use any of `needles`.
fn offenders(allowed: &[&str], needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (krate, path, text) in sources() {
        if allowed.contains(&krate.as_str()) {
            continue;
        }
        // Unit tests of a module may stand up what they test against.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            let code = code_of(line);
            if needles.iter().any(|needle| code.contains(needle)) {
                found.push(format!(
                    "{}:{}: {}",
                    path.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    found
}

#[test]
fn only_the_store_names_sqlx() {
    let found = offenders(&["store"], &["sqlx::", "use sqlx"]);
    assert!(
        found.is_empty(),
        "SQL outside crates/store:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_api_names_http_server_types() {
    let found = offenders(
        &["api", "egress"],
        &[
            "axum::",
            "use axum",
            "hyper::",
            "use hyper",
            "tower_http::",
            "hyper_util::",
        ],
    );
    assert!(
        found.is_empty(),
        "HTTP server types outside crates/api:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_sandbox_creates_processes() {
    let found = offenders(
        &["sandbox"],
        &[
            "Command::new",
            "process::Command",
            "fork(",
            "execv",
            "execve",
            "unshare(",
            "mount(",
            "sched::clone",
            "libc::clone",
            "clone3",
        ],
    );
    assert!(
        found.is_empty(),
        "processes made outside crates/sandbox:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_module_says_what_it_owns() {
    let undocumented: Vec<String> = sources()
        .into_iter()
        .filter(|(_, _, text)| !text.lines().next().is_some_and(|l| l.starts_with("//!")))
        .map(|(_, path, _)| path.display().to_string())
        .collect();
    assert!(
        undocumented.is_empty(),
        "modules without a `//!` doc on their first line:\n{}",
        undocumented.join("\n")
    );
}

/// The checks find what they look for (a check that cannot fail proves
/// nothing).
#[test]
fn the_checks_see_through_comments_and_strings_only() {
    assert_eq!(
        code_of(r#"let f = "info,sqlx=warn"; // sqlx::query"#),
        "let f = ; "
    );
    assert!(code_of("use sqlx::Row;").contains("use sqlx"));
    assert!(code_of(r#"x("\" sqlx::"); sqlx::query("")"#).contains("sqlx::query"));
}
