//! Python dependencies (contract section 10), offline: wheels built by the
//! test, served by a local PEP 503 index (or a find-links directory);
//! installed by uv and by the sandbox Python's pip.

use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{
    client, get_as, post, python, run_agent_to_end, user_key, Backend, Options, Server, ADMIN_KEY,
};
use crate::pkgindex::{uv_binary, wheel_dir, PackageIndex};

/// `tinyalpha` needs `tinybeta`; `tinygamma` has two versions.
fn wheels() -> tempfile::TempDir {
    wheel_dir(&[
        ("tinyalpha", "1.2.0", &["tinybeta>=0.5"]),
        ("tinybeta", "0.5.1", &[]),
        ("tinygamma", "1.0.0", &[]),
        ("tinygamma", "2.0.0", &[]),
    ])
}

pub(crate) fn with_index(options: Options, index: &PackageIndex, uv: &std::path::Path) -> Options {
    options
        .env("RUNBOX_PACKAGES_INDEX_URL", index.url.clone())
        .env("RUNBOX_PACKAGES_UV", uv.to_string_lossy())
        .env("RUNBOX_PACKAGES_INSTALLER", "uv")
}

pub(crate) fn block(deps: &[&str]) -> String {
    let list: Vec<String> = deps.iter().map(|d| format!("{d:?}")).collect();
    format!(
        "# /// script\n# dependencies = [{}]\n# ///\n",
        list.join(", ")
    )
}

/// How many environments the server installed, from its log.
pub(crate) fn installations(server: &Server) -> usize {
    server.log().matches("environment installed").count()
}

pub(crate) async fn environments(server: &Server) -> Vec<Value> {
    let (status, body) = get_as(server, ADMIN_KEY, "/admin/environments").await;
    assert_eq!(status, 200, "{body}");
    body.as_array().cloned().unwrap_or_default()
}

async fn installs_once_and_imports_read_only(backend: Backend<'_>) {
    let Some(uv) = uv_binary() else { return };
    let wheels = wheels();
    let index = PackageIndex::start(wheels.path()).await;
    let server = Server::start_with(with_index(backend.options(), &index, &uv));
    let code = format!(
        "{}import tinyalpha, tinybeta\nprint(tinyalpha.__file__)\ntry:\n    open('/packages/x', 'w')\nexcept OSError as e:\n    print('write refused', e.errno)\nreturn [tinyalpha.VERSION, tinybeta.VERSION]",
        block(&["TinyAlpha"])
    );
    let (status, body) = python(&server, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"]["result"], json!(["1.2.0", "0.5.1"]));
    let stdout = body["response"]["stdout"].as_str().unwrap_or_default();
    assert!(stdout.starts_with("/packages/tinyalpha.py"), "{stdout}");
    assert!(stdout.contains("write refused 30"), "read-only: {stdout}");
    let requests = index.requests();
    assert!(requests > 0);

    // The same set, spelled differently: the same environment, no download.
    let again = format!(
        "{}import tinyalpha\nreturn tinyalpha.VERSION",
        block(&["tinyalpha"])
    );
    let (status, body) = python(&server, &again).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"]["result"], "1.2.0");
    assert_eq!(index.requests(), requests, "the environment is reused");
    assert_eq!(installations(&server), 1);

    let envs = environments(&server).await;
    assert_eq!(envs.len(), 1, "{envs:?}");
    assert_eq!(envs[0]["requirements"], json!(["tinyalpha"]));
    assert_eq!(
        envs[0]["resolved"],
        json!(["tinyalpha==1.2.0", "tinybeta==0.5.1"])
    );
    assert!(envs[0]["size_bytes"].as_u64().unwrap_or(0) > 0);
    assert_eq!(envs[0]["id"].as_str().map(str::len), Some(32));

    // A run without dependencies never sees it.
    let (status, body) = python(
        &server,
        "import os\nprint(os.path.exists('/packages'))\nimport tinyalpha",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["stdout"], "False\n");
    assert_eq!(
        body["error"],
        "ModuleNotFoundError: No module named 'tinyalpha'"
    );
}

async fn concurrent_runs_wait_for_one_installation(backend: Backend<'_>) {
    let Some(uv) = uv_binary() else { return };
    let wheels = wheels();
    let index = PackageIndex::start(wheels.path()).await;
    let server = Server::start_with(with_index(backend.options(), &index, &uv));
    let code = format!(
        "{}import tinygamma\nreturn tinygamma.VERSION",
        block(&["tinygamma<2"])
    );
    let runs = (0..4).map(|_| python(&server, &code));
    for (status, body) in futures::future::join_all(runs).await {
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["result"], "1.0.0");
    }
    assert_eq!(installations(&server), 1, "one installation for all");
    assert_eq!(environments(&server).await.len(), 1);
}

async fn bad_blocks_and_failed_installations_are_clear(backend: Backend<'_>) {
    let Some(uv) = uv_binary() else { return };
    let wheels = wheels();
    let index = PackageIndex::start(wheels.path()).await;
    let server = Server::start_with(with_index(backend.options(), &index, &uv));
    // Refused before anything runs: 400 with "Invalid dependencies: …".
    for (code, expected) in [
        ("# /// script\n# dependencies = \"tinyalpha\"\n# ///\n", "list of PEP 508"),
        ("# /// script\n# dependencies = [\"tiny alpha !!\"]\n# ///\n", "not a PEP 508"),
        ("# /// script\n# dependencies = [\n", "never closed"),
        ("# /// script\n# requires-python = \">=4\"\n# ///\n", "requires-python"),
        (
            "# /// script\n# dependencies = []\n# ///\nx = 1\n# /// script\n# dependencies = []\n# ///\n",
            "more than one",
        ),
    ] {
        let (status, body) = python(&server, code).await;
        assert_eq!(status, 400, "{code}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.starts_with("Invalid dependencies: "), "{error}");
        assert!(error.contains(expected), "{code}: {error}");
        assert!(body["job_id"].is_null(), "nothing was created: {body}");
    }
    // Accepted, then failed by the installer with its reason.
    let (status, body) = python(&server, &block(&["tinygamma>5"])).await;
    assert_eq!(status, 400, "{body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("Dependencies could not be installed: ") && error.contains("tinygamma"),
        "{error}"
    );
    assert_eq!(
        body["stdout"], "",
        "installer output stays out of the run's"
    );
    let (status, body) = python(&server, &block(&["no-such-package"])).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("Dependencies could not be installed: ")));
    // Nothing half-built is left or listed; the server is healthy.
    assert!(environments(&server).await.is_empty());
    let (status, _) = get_as(&server, ADMIN_KEY, "/admin/health").await;
    assert_eq!(status, 200);
}

crate::on_both_backends!(
    installs_once_and_imports_read_only,
    concurrent_runs_wait_for_one_installation,
    bad_blocks_and_failed_installations_are_clear,
);

#[tokio::test]
async fn an_index_that_is_down_fails_the_run_not_the_server() {
    let Some(uv) = uv_binary() else { return };
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let url = format!("http://{}/simple", closed.local_addr().expect("addr"));
    drop(closed);
    let server = Server::start_with(
        Options::default()
            .env("RUNBOX_PACKAGES_INDEX_URL", url)
            .env("RUNBOX_PACKAGES_UV", uv.to_string_lossy()),
    );
    let (status, body) = python(&server, &block(&["tinyalpha"])).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("Dependencies could not be installed: ")));
    let (status, body) = python(&server, "return 1").await;
    assert_eq!((status, &body["response"]["result"]), (200, &json!(1)));
}

#[tokio::test]
async fn pip_installs_from_find_links_without_network() {
    let wheels = wheels();
    let server = Server::start_with(
        Options::default()
            .env("RUNBOX_PACKAGES_INSTALLER", "pip")
            .env("RUNBOX_PACKAGES_NO_INDEX", "true")
            .env(
                "RUNBOX_PACKAGES_FIND_LINKS",
                wheels.path().to_string_lossy(),
            ),
    );
    let code = format!(
        "{}import tinyalpha\nreturn tinyalpha.VERSION",
        block(&["tinyalpha==1.2.0"])
    );
    let (status, body) = python(&server, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"]["result"], "1.2.0");
    let envs = environments(&server).await;
    assert_eq!(
        envs[0]["resolved"],
        json!(["tinyalpha==1.2.0", "tinybeta==0.5.1"])
    );
}

#[tokio::test]
async fn source_distributions_are_refused_by_default() {
    let Some(uv) = uv_binary() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    // An sdist whose build would run code: it must never be built.
    let sdist = dir.path().join("tinysdist-1.0.tar.gz");
    let status = std::process::Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import io, sys, tarfile\nt = tarfile.open(sys.argv[1], 'w:gz')\ndata = b'raise SystemExit(\"build code ran\")'\ni = tarfile.TarInfo('tinysdist-1.0/setup.py'); i.size = len(data)\nt.addfile(i, io.BytesIO(data)); t.close()",
            &sdist.to_string_lossy(),
        ])
        .status()
        .expect("python3");
    assert!(status.success());
    let server = Server::start_with(
        Options::default()
            .env("RUNBOX_PACKAGES_NO_INDEX", "true")
            .env("RUNBOX_PACKAGES_FIND_LINKS", dir.path().to_string_lossy())
            .env("RUNBOX_PACKAGES_UV", uv.to_string_lossy()),
    );
    let (status, body) = python(&server, &block(&["tinysdist"])).await;
    assert_eq!(status, 400, "{body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("Dependencies could not be installed: "),
        "{error}"
    );
    assert!(!error.contains("build code ran"), "{error}");
}

#[tokio::test]
async fn disabled_packages_fail_runs_that_declare_them() {
    let server = Server::start_with(Options::default().env("RUNBOX_PACKAGES_ENABLED", "false"));
    let (status, body) = python(&server, &block(&["tinyalpha"])).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "Dependencies are disabled on this server");
    let (status, _) = python(&server, &format!("{}return 1", block(&[]))).await;
    assert_eq!(status, 200, "an empty list changes nothing");
}

#[tokio::test]
async fn environments_are_listed_and_deleted_by_admins_only() {
    let Some(uv) = uv_binary() else { return };
    let wheels = wheels();
    let index = PackageIndex::start(wheels.path()).await;
    let server = Server::start_with(with_index(Options::default(), &index, &uv));
    // A run holds its environment: deleting it meanwhile is refused.
    let slow = format!(
        "{}import time\ntime.sleep(3)\nreturn 1",
        block(&["tinybeta"])
    );
    let request = {
        let url = server.url("/v1/code/execute/python");
        tokio::spawn(async move {
            client()
                .post(url)
                .header("x-api-key", ADMIN_KEY)
                .json(&json!({ "code": slow }))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    let mut id = String::new();
    for _ in 0..100 {
        if let Some(env) = environments(&server).await.first() {
            id = env["id"].as_str().unwrap_or_default().to_owned();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!id.is_empty(), "the environment appeared");
    let delete = |key: String, id: String| {
        let url = server.url(&format!("/admin/environments/{id}"));
        async move {
            client()
                .delete(url)
                .header("x-api-key", key)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    assert_eq!(delete(ADMIN_KEY.into(), id.clone()).await, 409);
    assert_eq!(request.await.ok().and_then(Result::ok), Some(200));
    let alice = user_key(&server, "alice").await;
    assert_eq!(get_as(&server, &alice, "/admin/environments").await.0, 403);
    assert_eq!(delete(alice, id.clone()).await, 403);
    assert_eq!(delete(ADMIN_KEY.into(), id.clone()).await, 204);
    assert_eq!(delete(ADMIN_KEY.into(), id).await, 404);
    assert!(environments(&server).await.is_empty());
    // The next run builds it again.
    let (status, body) = python(
        &server,
        &format!("{}import tinybeta\nreturn 2", block(&["tinybeta"])),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(installations(&server), 2);
}

#[tokio::test]
async fn a_build_killed_half_way_is_removed_at_start() {
    let mut server = Server::start();
    let leftover = server
        .data_path()
        .join("environments/.building-0123456789abcdef0123456789abcdef-1");
    std::fs::create_dir_all(leftover.join("site-1")).expect("leftover");
    server.restart();
    assert!(!leftover.exists(), "the half-built environment is gone");
    assert!(environments(&server).await.is_empty());
}

#[tokio::test]
async fn agents_and_scenario_steps_declare_dependencies_too() {
    let Some(uv) = uv_binary() else { return };
    let wheels = wheels();
    let index = PackageIndex::start(wheels.path()).await;
    let server = Server::start_with(with_index(Options::default(), &index, &uv));
    let (status, body) = post(
        &server,
        "/agents",
        json!({"name": "bad", "runtime": "python", "code": "# /// script\n# dependencies = 1\n# ///\ndef run(input):\n    return {}"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["detail"]
        .as_str()
        .is_some_and(|d| d.starts_with("Invalid dependencies: ")));
    let code = format!(
        "{}import tinyalpha\ndef run(input):\n    return {{'version': tinyalpha.VERSION}}",
        block(&["tinyalpha"])
    );
    let (status, agent) = post(
        &server,
        "/agents",
        json!({"name": "versions", "runtime": "python", "code": code}),
    )
    .await;
    assert_eq!(status, 201, "{agent}");
    let execution = run_agent_to_end(&server, &agent["agent_id"]).await;
    assert_eq!(execution["status"], "COMPLETED", "{execution}");
    assert_eq!(execution["final_result"], json!({"version": "1.2.0"}));
    assert_eq!(
        execution["packages"],
        json!(["tinyalpha==1.2.0", "tinybeta==0.5.1"])
    );

    let blueprint = |code: &str| {
        json!({"name": "s", "scheduling": {"type": "on-demand"}, "blueprint": {"name": "s", "flow": [
            {"id": 1, "module": "scenario-service:StartSubscenario"},
            {"id": 2, "module": "code:ExecutePython", "mapper": {"code": code}},
            {"id": 3, "module": "scenario-service:ReturnData", "mapper": {"v": "{{2.result}}"}}]}})
    };
    let (status, body) = post(
        &server,
        "/scenarios?teamId=1",
        blueprint("# /// script\n# dependencies = [\n"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_INPUT");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains('2') && message.contains("Invalid dependencies"),
        "{message}"
    );
    let step = format!(
        "{}import tinygamma\nreturn tinygamma.VERSION",
        block(&["tinygamma"])
    );
    let (status, created) = post(&server, "/scenarios?teamId=1", blueprint(&step)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["scenario"]["id"].as_i64().unwrap_or_default();
    assert_eq!(
        post(&server, &format!("/scenarios/{id}/start"), json!({}))
            .await
            .0,
        200
    );
    let (status, body) = post(
        &server,
        &format!("/scenarios/{id}/run"),
        json!({"responsive": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outputs"], json!({"v": "2.0.0"}));
}

/// Installs a real small package from the configured index (PyPI or the
/// installer's own settings). Needs network: run with RUNBOX_TEST_REAL_INDEX=1.
#[tokio::test]
async fn a_real_package_from_the_configured_index() {
    if std::env::var("RUNBOX_TEST_REAL_INDEX").is_err() {
        eprintln!("skipped: set RUNBOX_TEST_REAL_INDEX=1 to install from the real index");
        return;
    }
    let mut options = Options::default();
    if let Some(uv) = uv_binary() {
        options = options.env("RUNBOX_PACKAGES_UV", uv.to_string_lossy());
    }
    let server = Server::start_with(options);
    let code = format!(
        "{}import six\nreturn six.__version__",
        block(&["six==1.16.0"])
    );
    let (status, body) = python(&server, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"]["result"], "1.16.0");
}
