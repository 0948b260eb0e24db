//! Real escape attempts from inside the sandbox; each must fail.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{client, post, python, Server, ADMIN_KEY};

async fn stdout_of(server: &Server, code: &str) -> String {
    let (status, body) = python(server, code).await;
    assert_eq!(status, 200, "{code}\n{body}");
    body["response"]["stdout"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn health_answers_quickly(server: &Server) {
    let started = Instant::now();
    let response = client()
        .get(server.url("/admin/health"))
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .expect("health");
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "health took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn cannot_reach_the_servers_own_port_or_any_network() {
    let server = Server::start();
    let port = server
        .base
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let code = format!(
        "import socket\nfor host in ['127.0.0.1', '10.0.2.2', '8.8.8.8']:\n    try:\n        socket.create_connection((host, {port}), timeout=2)\n        print('connected', host)\n    except OSError as e:\n        print('blocked', host)\ntry:\n    socket.getaddrinfo('example.com', 80)\n    print('resolved')\nexcept OSError:\n    print('no dns')"
    );
    let out = stdout_of(&server, &code).await;
    assert_eq!(
        out,
        "blocked 127.0.0.1\nblocked 10.0.2.2\nblocked 8.8.8.8\nno dns\n"
    );
}

#[tokio::test]
async fn cannot_read_the_database_or_see_the_data_directory() {
    let server = Server::start();
    let db = server.data_path().join("runbox.db");
    assert!(db.exists());
    let code = format!(
        "import os\nfor p in [{db:?}, {dir:?}]:\n    print(p, os.path.exists(p))\ntry:\n    open({db:?}, 'rb').read()\n    print('READ')\nexcept OSError as e:\n    print(type(e).__name__)",
        db = db.display().to_string(),
        dir = server.data_path().display().to_string()
    );
    let out = stdout_of(&server, &code).await;
    assert!(out.ends_with("FileNotFoundError\n"), "{out}");
    assert!(!out.contains("True"), "{out}");
}

#[tokio::test]
async fn sees_only_its_own_processes_and_a_clean_environment() {
    let server = Server::start();
    let code = "import os\npids = [p for p in os.listdir('/proc') if p.isdigit()]\nprint(len(pids))\nfound = False\nfor p in pids:\n    try:\n        data = open(f'/proc/{p}/environ', 'rb').read() + open(f'/proc/{p}/cmdline', 'rb').read()\n        found = found or b'RUNBOX_API_KEY' in data or b'rbx_test' in data or b'serve' in data\n    except OSError:\n        pass\nprint(found)\nprint(sorted(os.environ))\nprint(os.uname().nodename, os.getuid())";
    let out = stdout_of(&server, code).await;
    let lines: Vec<&str> = out.lines().collect();
    let count: usize = lines[0].parse().unwrap_or(999);
    assert!(count <= 3, "sees {count} processes: {out}");
    assert_eq!(lines[1], "False", "server secrets visible: {out}");
    assert_eq!(lines[2], "['HOME', 'LANG', 'PATH', 'RUNBOX_EXECUTION_ID']");
    assert_eq!(lines[3], "runbox 1000");
    assert!(!out.contains(&server.pid().to_string()) || count <= 3);
}

#[tokio::test]
async fn the_init_process_does_not_show_the_hosts_paths() {
    let server = Server::start();
    let out = stdout_of(&server, "print(open('/proc/1/cmdline', 'rb').read())").await;
    assert_eq!(out.trim(), "b'runbox-sandbox\\x00__launcher\\x00'", "{out}");
}

#[tokio::test]
async fn system_directories_are_read_only() {
    let server = Server::start();
    let code = "import os\nfor p in ['/usr/evil', '/etc/evil', '/evil', '/runbox/evil']:\n    try:\n        open(p, 'w').write('x')\n        print('WROTE', p)\n    except OSError as e:\n        print('refused', p)\nopen('scratch.txt', 'w').write('ok')\nopen('/tmp/t.txt', 'w').write('ok')\nprint(os.getcwd(), os.environ['HOME'])";
    let out = stdout_of(&server, code).await;
    assert_eq!(
        out,
        "refused /usr/evil\nrefused /etc/evil\nrefused /evil\nrefused /runbox/evil\n/work /work\n"
    );
}

#[tokio::test]
async fn mount_ptrace_and_new_namespaces_are_refused() {
    let server = Server::start();
    let code = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nprint('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None), ctypes.get_errno())\nprint('ptrace', libc.ptrace(16, 1, 0, 0), ctypes.get_errno())\nprint('unshare', libc.unshare(0x10000000), ctypes.get_errno())\nprint('setuid', libc.setuid(0), ctypes.get_errno())";
    let out = stdout_of(&server, code).await;
    assert_eq!(out, "mount -1 1\nptrace -1 1\nunshare -1 1\nsetuid -1 1\n");
}

#[tokio::test]
async fn a_fork_bomb_is_contained() {
    let server = Server::start();
    let started = Instant::now();
    let (status, body) = post(&server, "/v1/code/execute/python", json!({"code": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass", "timeout": 3})).await;
    assert!(status == 408 || status == 400, "{status} {body}");
    assert!(started.elapsed() < Duration::from_secs(15));
    health_answers_quickly(&server).await;
    let out = stdout_of(&server, "print('after the bomb')").await;
    assert_eq!(out, "after the bomb\n");
}

#[tokio::test]
async fn memory_and_disk_limits_hold() {
    let server = Server::start();
    let (status, body) = python(
        &server,
        "b = bytearray(2 * 1024 ** 3)\nprint('allocated', len(b))",
    )
    .await;
    assert_eq!(status, 400, "2 GiB must not be allocated: {body}");
    assert!(!body["stdout"]
        .as_str()
        .unwrap_or_default()
        .contains("allocated"));
    health_answers_quickly(&server).await;

    let (status, body) = python(&server, "with open('big.bin', 'wb') as f:\n    for _ in range(200):\n        f.write(b'x' * 1024 * 1024)\nprint('wrote 200 MiB')").await;
    assert_eq!(status, 400, "a 200 MiB file must not fit: {body}");
    assert!(!body["stdout"]
        .as_str()
        .unwrap_or_default()
        .contains("wrote"));
    health_answers_quickly(&server).await;
}

#[tokio::test]
async fn nothing_outlives_its_execution() {
    let server = Server::start();
    let marker = "31337.25";
    let code = format!(
        "import subprocess, os\nsubprocess.Popen(['sleep', '{marker}'], start_new_session=True)\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        os.execvp('sleep', ['sleep', '{marker}'])\n    os._exit(0)\nprint('spawned')"
    );
    let out = stdout_of(&server, &code).await;
    assert_eq!(out, "spawned\n");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let survivors = std::process::Command::new("pgrep")
        .arg("-f")
        .arg(format!("sleep {marker}"))
        .output()
        .expect("pgrep");
    assert!(
        String::from_utf8_lossy(&survivors.stdout).trim().is_empty(),
        "sleep outlived its execution"
    );
}

#[tokio::test]
async fn every_execution_gets_a_fresh_scratch_directory() {
    let server = Server::start();
    let first = stdout_of(
        &server,
        "open('left.txt', 'w').write('x')\nopen('/tmp/left.txt', 'w').write('x')\nprint('ok')",
    )
    .await;
    assert_eq!(first, "ok\n");
    let second = stdout_of(
        &server,
        "import os\nprint(os.listdir('.'), os.listdir('/tmp'))",
    )
    .await;
    assert_eq!(second, "[] []\n");
    let (_, health) = crate::harness::get_as(&server, ADMIN_KEY, "/admin/health").await;
    assert_eq!(health["status"], Value::from("ok"));
}

/// The processes under `root` (itself included) that are zombies.
fn zombies_under(root: u32) -> Vec<String> {
    let mut parents = std::collections::HashMap::new();
    let mut states = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid …; comm may hold spaces, so split after ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest.to_owned()) else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or_default().to_owned();
        let ppid: u32 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        parents.insert(pid, ppid);
        states.push((pid, state));
    }
    let descends = |mut pid: u32| {
        for _ in 0..64 {
            if pid == root {
                return true;
            }
            match parents.get(&pid) {
                Some(&parent) if parent != 0 => pid = parent,
                _ => return false,
            }
        }
        false
    };
    states
        .into_iter()
        .filter(|(pid, state)| state == "Z" && descends(*pid))
        .map(|(pid, _)| pid.to_string())
        .collect()
}

#[tokio::test]
async fn finished_runs_leave_no_zombies() {
    let server = Server::start_with(
        crate::harness::Options::default().env("RUNBOX_SANDBOX_IDLE_SECS", "3600"),
    );
    for _ in 0..4 {
        assert_eq!(stdout_of(&server, "print(1)").await, "1\n");
    }
    let (status, body) = post(
        &server,
        "/api/v1/buttons",
        json!({"id": "z", "name": "Z", "command": "echo hi"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    for _ in 0..4 {
        let (status, body) = post(&server, "/api/v1/execute/z?wait=30", Value::Null).await;
        assert_eq!(status, 200, "{body}");
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut left = zombies_under(server.pid());
    while !left.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = zombies_under(server.pid());
    }
    assert!(left.is_empty(), "zombies under the server: {left:?}");
}
