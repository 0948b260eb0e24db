//! Tests of [`load`](crate::load) as a whole: defaults, precedence between
//! the sources, and the messages of invalid files and variables; the
//! buttons and agents sections in `catalog`, the sandbox's packages,
//! network and runtimes in `sandbox`.

mod catalog;
mod sandbox;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use runbox_domain::{AgentRuntime, Priority, Timeout};

use crate::file::SourceFile;
use crate::{
    load, validate, AgentConfig, ButtonConfig, ConfigError, DatabaseKind, HttpAllowEntry,
    Overrides, Settings,
};

const PATH: &str = "/etc/runbox.toml";

/// Loads `text` as if it were the file at [`PATH`].
fn load_str(text: &str, overrides: Overrides) -> Result<Settings, ConfigError> {
    let file = SourceFile::parse(Path::new(PATH), text.to_owned())?;
    validate::resolve(overrides, Some(&file))
}

fn error_of(text: &str) -> String {
    match load_str(text, Overrides::default()) {
        Ok(settings) => panic!("accepted {text:?}: {settings:?}"),
        Err(error) => error.to_string(),
    }
}

fn temp_config(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn defaults() {
    let settings = load(Overrides::default()).unwrap();
    assert_eq!(settings, Settings::default());
    assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(settings.data_dir, Path::new("./runbox-data"));
    assert_eq!(settings.database_url, "sqlite://./runbox-data/runbox.db");
    assert_eq!(settings.database_kind(), DatabaseKind::Sqlite);
    assert_eq!(settings.config_file, None);
    assert!(settings.api_key.is_none() && settings.webhook_secret.is_none());
    assert!(settings.http_allow.is_empty());
    assert_eq!(settings.limits.max_concurrent_per_user, 5);
    assert_eq!(settings.limits.max_queue_length, 1000);
    assert_eq!(settings.limits.workers, 16);
    assert_eq!(settings.limits.output_limit, 1_048_576);
    assert_eq!(settings.limits.max_body_bytes, 1_048_576);
    assert_eq!(settings.sandbox.memory_mb, 256);
    assert_eq!(settings.sandbox.pids, 64);
    assert_eq!(settings.sandbox.scratch_mb, 64);
    assert_eq!(settings.sandbox.file_size_mb, 64);
    assert_eq!(settings.sandbox.open_files, 256);
    assert_eq!(settings.sandbox.uid_base, 1_000_000);
    assert_eq!(settings.shutdown_grace, Duration::from_secs(10));
    assert_eq!(settings.scenario_min_interval_secs, 1);
    assert!(settings.node_workers);
    assert!(settings.buttons.is_empty() && settings.agents.is_empty());
}

#[test]
fn empty_file_gives_defaults() {
    let file = temp_config("# nothing\n");
    let settings = load(Overrides {
        config: Some(file.path().into()),
        ..Overrides::default()
    })
    .unwrap();
    assert_eq!(settings.config_file.as_deref(), Some(file.path()));
    assert_eq!(
        settings,
        Settings {
            config_file: Some(file.path().into()),
            ..Settings::default()
        }
    );
}

#[test]
fn precedence_flag_over_env_over_file_over_default() {
    let file = temp_config(
        "listen = \"0.0.0.0:9000\"\n\
         data_dir = \"/srv/runbox\"\n\
         http_allow = [\"10.0.0.0/8\"]\n\
         [limits]\n\
         workers = 4\n\
         max_queue_length = 50\n\
         [sandbox]\n\
         scratch_mb = 32\n",
    );
    let flags = Overrides {
        config: Some(file.path().into()),
        listen: Some("127.0.0.1:0".parse().unwrap()),
        workers: Some(2),
        node_workers: Some(false),
        ..Overrides::default()
    };
    let env = Overrides::from_vars([
        ("RUNBOX_WORKERS", "6"),
        ("RUNBOX_MAX_QUEUE_LENGTH", "70"),
        ("RUNBOX_HTTP_ALLOW", "localhost"),
    ])
    .unwrap();
    let settings = load(flags.or(env)).unwrap();
    assert_eq!(settings.listen.to_string(), "127.0.0.1:0", "flag over file");
    assert_eq!(settings.limits.workers, 2, "flag over env and file");
    assert_eq!(settings.limits.max_queue_length, 70, "env over file");
    assert_eq!(
        settings.http_allow,
        [HttpAllowEntry::Host("localhost".into())],
        "env replaces the file's list"
    );
    assert_eq!(
        settings.data_dir,
        Path::new("/srv/runbox"),
        "file over default"
    );
    assert_eq!(
        settings.database_url, "sqlite:///srv/runbox/runbox.db",
        "default follows data_dir"
    );
    assert_eq!(settings.sandbox.scratch_mb, 32);
    assert_eq!(
        settings.sandbox.file_size_mb, 32,
        "file_size_mb defaults to scratch_mb"
    );
    assert_eq!(settings.limits.output_limit, 1_048_576, "default");
    assert!(!settings.node_workers);
}

#[test]
fn database_url_sources() {
    let text = "database_url = \"postgres://runbox@db/runbox\"\n";
    let settings = load_str(text, Overrides::default()).unwrap();
    assert_eq!(settings.database_url, "postgres://runbox@db/runbox");
    assert_eq!(settings.database_kind(), DatabaseKind::Postgres);
    let flag = Overrides {
        database_url: Some("sqlite:///tmp/x.db".into()),
        ..Overrides::default()
    };
    assert_eq!(
        load_str(text, flag).unwrap().database_url,
        "sqlite:///tmp/x.db"
    );
    let data_dir = Overrides {
        data_dir: Some("/var/lib/runbox".into()),
        ..Overrides::default()
    };
    assert_eq!(
        load(data_dir).unwrap().database_url,
        "sqlite:///var/lib/runbox/runbox.db"
    );
}

#[test]
fn database_url_errors_hide_credentials() {
    let message = error_of("\ndatabase_url = \"mysql://root:hunter2@db/x\"\n");
    assert_eq!(
        message,
        "config file /etc/runbox.toml: database_url: must start with sqlite://, postgres:// or \
         postgresql://, got scheme \"mysql\" (line 2)"
    );
    let flag = Overrides {
        database_url: Some("pg:hunter2".into()),
        ..Overrides::default()
    };
    let message = load(flag).unwrap_err().to_string();
    assert_eq!(
        message,
        "--database-url / RUNBOX_DATABASE_URL: must start with sqlite://, postgres:// or postgresql://"
    );
    assert!(error_of("database_url = \"postgresql://\"").contains("names no database"));
}

#[test]
fn missing_file_names_the_path() {
    let overrides = Overrides {
        config: Some("/nonexistent/runbox.toml".into()),
        ..Overrides::default()
    };
    let message = load(overrides).unwrap_err().to_string();
    assert!(
        message.starts_with("config file /nonexistent/runbox.toml: cannot read it: "),
        "{message}"
    );
}

#[test]
fn contract_example() {
    // Section 8 of the contract, verbatim but for a real webhook secret.
    let text = r#"listen = "127.0.0.1:8080"
data_dir = "./runbox-data"
webhook_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"            # optional
[limits]
max_concurrent_per_user = 5
max_queue_length = 1000
workers = 4
output_limit = 1048576
max_body_bytes = 1048576
[sandbox]
memory_mb = 256
pids = 64
scratch_mb = 64
[[buttons]]
id = "hello"
name = "Say hello"
command = "echo Hello World"
timeout = 10
[[agents]]
name = "echo"
runtime = "command"
command = "cat"
"#;
    let settings = load_str(text, Overrides::default()).unwrap();
    assert_eq!(settings.limits.workers, 4);
    assert_eq!(
        settings.webhook_secret.as_ref().map(|s| s.key().len()),
        Some(24)
    );
    assert_eq!(
        settings.buttons,
        [ButtonConfig {
            id: "hello".into(),
            name: "Say hello".into(),
            command: "echo Hello World".into(),
            description: None,
            timeout: Timeout::new(10, 300).unwrap(),
            icon: None,
            env: BTreeMap::new(),
            network: vec![],
            schedule: None,
        }]
    );
    assert_eq!(
        settings.agents,
        [AgentConfig {
            id: None,
            name: "echo".into(),
            description: None,
            runtime: AgentRuntime::Command {
                command: "cat".into()
            },
            priority: Priority::DEFAULT,
            timeout: Timeout::new(600, 3600).unwrap(),
            env: BTreeMap::new(),
            network: vec![],
        }]
    );
}

#[test]
fn example_message_from_the_brief() {
    let text = "listen = \"127.0.0.1:8080\"\n\n# limits\n\n\n[limits]\nworkers = 0\n";
    assert_eq!(
        error_of(text),
        "config file /etc/runbox.toml: limits.workers: must be between 1 and 1024, got 0 (line 7)"
    );
}

#[test]
fn scalar_errors_name_key_and_line() {
    let cases = [
        ("listen = \"localhost\"", "listen: expected an address and port like 127.0.0.1:8080 or [::]:8080, got \"localhost\""),
        ("data_dir = \" \"", "data_dir: must not be empty"),
        ("webhook_secret = \"abc\"", "webhook_secret: must be `whsec_` followed by base64 (a Standard Webhooks secret)"),
        ("webhook_secret = \"whsec_!!\"", "webhook_secret: the part after `whsec_` is not valid standard base64"),
        ("webhook_secret = \"whsec_\"", "webhook_secret: the key after `whsec_` is empty"),
        ("http_allow = [\"localhost\", \"not valid\"]", "http_allow[1]: invalid entry \"not valid\": not an IP address, a CIDR block or a host name"),
        ("shutdown_grace_secs = 3601", "shutdown_grace_secs: must be between 0 and 3600, got 3601"),
        ("[scenarios]\nmin_interval_secs = 0", "scenarios.min_interval_secs: must be between 1 and 86400, got 0"),
        ("[limits]\nmax_concurrent_per_user = 0", "limits.max_concurrent_per_user: must be at least 1, got 0"),
        ("[limits]\nmax_queue_length = -1", "limits.max_queue_length: must be at least 0, got -1"),
        ("[limits]\nmax_queue_length = 4294967296", "limits.max_queue_length: must be at most 4294967295, got 4294967296"),
        ("[limits]\nworkers = 1025", "limits.workers: must be between 1 and 1024, got 1025"),
        ("[limits]\noutput_limit = 0", "limits.output_limit: must be at least 1, got 0"),
        ("[limits]\nmax_body_bytes = 0", "limits.max_body_bytes: must be at least 1, got 0"),
        ("[sandbox]\nmemory_mb = 15", "sandbox.memory_mb: must be between 16 and 65536, got 15"),
        ("[sandbox]\npids = 3", "sandbox.pids: must be between 4 and 65536, got 3"),
        ("[sandbox]\nscratch_mb = 0", "sandbox.scratch_mb: must be between 1 and 65536, got 0"),
        ("[sandbox]\nfile_size_mb = 65537", "sandbox.file_size_mb: must be between 1 and 65536, got 65537"),
        ("[sandbox]\nopen_files = 15", "sandbox.open_files: must be between 16 and 65536, got 15"),
        ("[sandbox]\nuid_base = 999", "sandbox.uid_base: must be between 1000 and 4294967261, got 999"),
    ];
    for (body, expected) in cases {
        // Two lines of padding so the line number is not trivially 1.
        let text = format!("# runbox\n\n{body}\n");
        let line = 2 + body.lines().count();
        assert_eq!(
            error_of(&text),
            format!("config file {PATH}: {expected} (line {line})"),
            "for {body:?}"
        );
    }
}

#[test]
fn uid_base_leaves_room_for_every_worker() {
    let max_ok = u64::from(u32::MAX) - 2 * 1024 - 2;
    let ok = format!("[limits]\nworkers = 1024\n[sandbox]\nuid_base = {max_ok}\n");
    assert_eq!(
        load_str(&ok, Overrides::default())
            .unwrap()
            .sandbox
            .uid_base as u64,
        max_ok
    );
    let too_high = format!(
        "[limits]\nworkers = 1024\n[sandbox]\nuid_base = {}\n",
        max_ok + 1
    );
    assert!(error_of(&too_high)
        .starts_with("config file /etc/runbox.toml: sandbox.uid_base: must be between 1000 and"));
    let env = Overrides {
        sandbox_uid_base: Some(u32::MAX),
        ..Overrides::default()
    };
    assert_eq!(
        load(env).unwrap_err().to_string(),
        "RUNBOX_SANDBOX_UID_BASE: must be between 1000 and 4294967261, got 4294967295"
    );
}

#[test]
fn env_values_are_range_checked_with_their_name() {
    let env =
        Overrides::from_vars([("RUNBOX_WORKERS", "0"), ("RUNBOX_OUTPUT_LIMIT", "0")]).unwrap();
    let error = load(env).unwrap_err();
    assert_eq!(
        error.to_string(),
        "RUNBOX_WORKERS: must be between 1 and 1024, got 0\nRUNBOX_OUTPUT_LIMIT: must be at least 1, got 0"
    );
}

#[test]
fn env_value_replaces_bad_file_value() {
    // The file's value is never used, so it does not block start-up.
    let settings = load_str(
        "[limits]\nworkers = 0\n",
        Overrides {
            workers: Some(3),
            ..Overrides::default()
        },
    );
    assert_eq!(settings.unwrap().limits.workers, 3);
}

#[test]
fn every_problem_is_reported() {
    let text = "[limits]\nworkers = 0\n[sandbox]\npids = 1\n[[buttons]]\nid = \"X\"\nname = \"\"\ncommand = \"true\"\n";
    let error = load_str(text, Overrides::default()).unwrap_err();
    let lines: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "config file /etc/runbox.toml: limits.workers: must be between 1 and 1024, got 0 (line 2)",
            "config file /etc/runbox.toml: sandbox.pids: must be between 4 and 65536, got 1 (line 4)",
            "config file /etc/runbox.toml: buttons[0].id: must be 1 to 64 characters among a-z, 0-9, _ and -, got \"X\" (line 6)",
            "config file /etc/runbox.toml: buttons[0].name: must not be empty (line 7)",
        ]
    );
    assert_eq!(error.to_string(), lines.join("\n"));
}

#[test]
fn file_errors_through_load_use_the_real_path() {
    let file = temp_config("[limits]\nworkerz = 1\n");
    let message = load(Overrides {
        config: Some(file.path().into()),
        ..Overrides::default()
    })
    .unwrap_err()
    .to_string();
    let expected_start = format!(
        "config file {}: limits.workerz: unknown key",
        file.path().display()
    );
    assert!(message.starts_with(&expected_start), "{message}");
    assert!(message.ends_with("(line 2)"), "{message}");
}

#[test]
fn debug_output_hides_secrets() {
    let text = "webhook_secret = \"whsec_aGVsbG8gd29ybGQ=\"\n";
    let overrides = Overrides {
        api_key: Some("my-very-secret-key".parse().unwrap()),
        ..Overrides::default()
    };
    let settings = load_str(text, overrides).unwrap();
    let debug = format!("{settings:?}");
    assert!(
        !debug.contains("my-very-secret-key") && !debug.contains("aGVsbG8"),
        "{debug}"
    );
}
