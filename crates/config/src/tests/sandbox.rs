//! The `[packages]`, `[network]` and `[runtimes]` sections: defaults,
//! values, and errors that name the key.

use super::*;

#[test]
fn packages_and_network_sections() {
    let text = "[packages]\nenabled = false\nindex_url = \"http://127.0.0.1:9/simple\"\nfind_links = \"/srv/wheels\"\nno_index = true\nallow_sdist = true\ninstall_timeout = 60\ncache_mb = 100\ninstaller = \"pip\"\n[network]\nallow = [\"api.github.com\", \"*.example.org\", \"127.0.0.1:8080\"]\n[[buttons]]\nid = \"b\"\nname = \"B\"\ncommand = \"true\"\nnetwork = [\"x.example.org\"]\n";
    let settings = load_str(text, Overrides::default()).unwrap();
    let p = &settings.packages;
    assert!(!p.enabled && p.no_index && p.allow_sdist);
    assert_eq!(p.index_url, "http://127.0.0.1:9/simple");
    assert_eq!(p.find_links.as_deref(), Some("/srv/wheels"));
    assert_eq!(p.install_timeout, Duration::from_secs(60));
    assert_eq!(p.cache_mb, 100);
    assert_eq!(p.installer, crate::InstallerChoice::Pip);
    assert_eq!(settings.network.allow.len(), 3);
    assert_eq!(settings.buttons[0].network[0].to_string(), "x.example.org");
}

#[test]
fn packages_defaults_follow_the_installers_variables() {
    let overrides = Overrides::from_vars([
        ("PIP_INDEX_URL", "https://mirror.example/simple"),
        ("PIP_FIND_LINKS", "/opt/wheels"),
        ("RUNBOX_PACKAGES_CACHE_MB", "10"),
        ("RUNBOX_NETWORK_ALLOW", "api.github.com, 10.0.0.0/8:5432"),
    ])
    .unwrap();
    let settings = load_str("", overrides).unwrap();
    assert_eq!(settings.packages.index_url, "https://mirror.example/simple");
    assert_eq!(settings.packages.find_links.as_deref(), Some("/opt/wheels"));
    assert_eq!(settings.packages.cache_mb, 10);
    assert_eq!(settings.network.allow[1].to_string(), "10.0.0.0/8:5432");
    let defaults = load_str("", Overrides::default()).unwrap();
    assert_eq!(defaults.packages.index_url, crate::DEFAULT_INDEX_URL);
    assert!(defaults.network.allow.is_empty());
}

#[test]
fn packages_and_network_errors_name_the_key() {
    let error = error_of("[packages]\nindex_url = \"ftp://x\"\n");
    assert!(
        error.contains("packages.index_url") && error.contains("line 2"),
        "{error}"
    );
    let error = error_of("[network]\nallow = [\"ok.example\", \"http://bad\"]\n");
    assert!(error.contains("network.allow[1]"), "{error}");
    let error = error_of(
        "[network]\nallow = [\"a.example\"]\n[[buttons]]\nid = \"b\"\nname = \"B\"\ncommand = \"true\"\nnetwork = [\"b.example\"]\n",
    );
    assert!(
        error.contains("buttons[0].network[0]") && error.contains("not covered"),
        "{error}"
    );
    let error = Overrides::from_vars([("RUNBOX_PACKAGES_ENABLED", "maybe")]).unwrap_err();
    assert!(error.to_string().contains("RUNBOX_PACKAGES_ENABLED"));
    let error = Overrides::from_vars([("RUNBOX_NETWORK_ALLOW", "a b")]).unwrap_err();
    assert!(error.to_string().contains("RUNBOX_NETWORK_ALLOW"));
}

#[test]
fn runtimes_name_node_and_the_operators_interpreters() {
    let text = "[runtimes]\nnode = \"/opt/node/bin/node\"\n[runtimes.ruby]\ncommand = [\"/usr/bin/ruby\", \"{file}\"]\nextension = \"rb\"\n";
    let settings = load_str(text, Overrides::default()).unwrap();
    assert_eq!(settings.runtimes.node, PathBuf::from("/opt/node/bin/node"));
    let ruby = &settings.runtimes.custom["ruby"];
    assert_eq!(ruby.command, ["/usr/bin/ruby", "{file}"]);
    assert_eq!(ruby.extension, "rb");
    assert!(load_str("", Overrides::default())
        .unwrap()
        .runtimes
        .custom
        .is_empty());

    let cases = [
        ("[runtimes.ruby]\ncommand = [\"ruby\", \"{file}\"]", "runtimes.ruby.command: must be an absolute path, got \"ruby\"", 2),
        ("[runtimes.ruby]\ncommand = [\"/usr/bin/ruby\"]", "runtimes.ruby.command: must have {file} where the code's file goes", 2),
        ("[runtimes.python]\ncommand = [\"/usr/bin/python3\", \"{file}\"]", "runtimes.python: \"python\" is runbox's own runtime", 2),
        ("[runtimes.Ruby]\ncommand = [\"/usr/bin/ruby\", \"{file}\"]", "runtimes.Ruby: runtime name \"Ruby\" must be 1 to 32 characters among a-z, 0-9, _ and -, starting with a letter", 2),
        ("[runtimes.ruby]\ncommand = [\"/usr/bin/ruby\", \"{file}\"]\nextension = \".r.b\"", "runtimes.ruby.extension: must be 1 to 16 letters or digits, got \"r.b\"", 2),
    ];
    for (body, expected, line) in cases {
        let text = format!("\n{body}\n");
        assert_eq!(
            error_of(&text),
            format!("config file {PATH}: {expected} (line {line})"),
            "for {body:?}"
        );
    }
}
