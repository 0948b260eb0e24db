//! The warm Python zygote (ARCHITECTURE.md, "Warm Python"): every run is
//! forked from one interpreter per slot, so these tests make sure nothing of
//! a run reaches the next one in the same slot (one worker, so every run
//! reuses it), whoever's run it was, and that the zygote cannot be hurt by
//! the runs it serves.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{post_as, user_key, Backend, Server};

/// Reports what it finds of earlier runs, then leaves all it can behind.
const POLLUTER: &str = r#"
import builtins, json, os, signal, subprocess, sys, threading, time, random

def is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False

def comms():
    names = []
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            try:
                names.append(open(f'/proc/{pid}/comm').read().strip())
            except OSError:
                pass
    return sorted(names)

seen = {
    'builtin': hasattr(builtins, 'runbox_left'),
    'module': 'runbox_left_module' in sys.modules,
    'preloaded_module': hasattr(json, 'runbox_left'),
    'env': 'RUNBOX_LEFT' in os.environ,
    'tmp': sorted(os.listdir('/tmp')),
    'cwd': sorted(os.listdir('.')),
    'shm': sorted(os.listdir('/dev/shm')),
    'threads': threading.active_count(),
    'processes': comms(),
    'signal_default': signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL,
    'fds': [fd for fd in range(3, 256) if is_open(fd)],
    'recursion': sys.getrecursionlimit(),
    'random': random.random(),
    'cwd_path': os.getcwd(),
}
builtins.runbox_left = True
sys.modules['runbox_left_module'] = sys
json.runbox_left = True
os.environ['RUNBOX_LEFT'] = '1'
open('/tmp/left', 'w').write('x')
os.makedirs('deep/er/est', exist_ok=True)
open('deep/er/est/file', 'w').write('x')
os.chmod('deep/er', 0o500)
open('/dev/shm/left', 'w').write('x')
signal.signal(signal.SIGUSR1, lambda *a: None)
sys.setrecursionlimit(5000)
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
subprocess.Popen(['sleep', '60'], start_new_session=True)
os.dup(1)
return seen
"#;

async fn nothing_of_a_run_reaches_the_next(backend: Backend<'_>) {
    let server = Server::start_with(backend.options().env("RUNBOX_WORKERS", "1"));
    let keys = [
        user_key(&server, "alice").await,
        user_key(&server, "bob").await,
    ];
    let mut randoms = HashSet::new();
    for round in 0..20 {
        let (status, body) = post_as(
            &server,
            &keys[round % 2],
            "/v1/code/execute/python",
            json!({ "code": POLLUTER }),
        )
        .await;
        assert_eq!(status, 200, "round {round}: {body}");
        let seen = &body["response"]["result"];
        let expected_clean = json!({
            "builtin": false, "module": false, "preloaded_module": false, "env": false,
            "tmp": [], "cwd": [], "shm": [], "threads": 1, "signal_default": true,
            "fds": [3], "recursion": 1000, "cwd_path": "/work",
        });
        for (field, value) in expected_clean.as_object().into_iter().flatten() {
            assert_eq!(&seen[field], value, "round {round}, {field}: {seen}");
        }
        let processes: Vec<&str> = seen["processes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            !processes.contains(&"sleep"),
            "round {round}: a process of an earlier run: {processes:?}"
        );
        assert!(processes.len() <= 3, "round {round}: {processes:?}");
        randoms.insert(seen["random"].to_string());
    }
    assert_eq!(randoms.len(), 20, "random is reseeded for every run");
}

/// The zygote's pid, among the server's descendants.
fn zygote_of(server: &Server) -> Option<u32> {
    zygotes_of(server).first().copied()
}

/// Every zygote among the server's descendants.
fn zygotes_of(server: &Server) -> Vec<u32> {
    let mut family = vec![server.pid()];
    let mut found = Vec::new();
    let Ok(proc) = std::fs::read_dir("/proc") else {
        return found;
    };
    let entries: Vec<(u32, u32, String)> = proc
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).ok()?;
            Some((pid, ppid, cmdline))
        })
        .collect();
    let mut index = 0;
    while index < family.len() {
        let parent = family[index];
        for (pid, ppid, cmdline) in &entries {
            if *ppid == parent {
                family.push(*pid);
                if cmdline.contains("--zygote") {
                    found.push(*pid);
                }
            }
        }
        index += 1;
    }
    found
}

async fn the_zygote_is_out_of_a_runs_reach_and_replaced_when_killed(backend: Backend<'_>) {
    let server = Server::start_with(backend.options().env("RUNBOX_WORKERS", "1"));
    let key = user_key(&server, "alice").await;
    let run = |code: &'static str| {
        let (server, key) = (&server, key.clone());
        async move {
            let (status, body) = post_as(
                server,
                &key,
                "/v1/code/execute/python",
                json!({ "code": code }),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body["response"]["result"].clone()
        }
    };
    // A run can neither signal the zygote nor read its memory.
    let attempts = run("import os, signal\nout = []\nfor sig in (signal.SIGKILL, signal.SIGSTOP, 0):\n    try:\n        os.kill(os.getppid(), sig)\n        out.append('sent')\n    except OSError as e:\n        out.append(e.errno)\ntry:\n    open(f'/proc/{os.getppid()}/mem', 'rb').read(1)\n    out.append('read')\nexcept OSError as e:\n    out.append(e.errno)\nreturn out").await;
    assert_eq!(attempts, json!([1, 1, 1, 13]), "EPERM thrice, then EACCES");
    assert_eq!(run("return 'still served'").await, "still served");
    let zygote = zygote_of(&server).expect("a zygote runs");
    assert_eq!(run("return 'same zygote'").await, "same zygote");
    assert_eq!(
        zygote_of(&server),
        Some(zygote),
        "runs are forked from the same zygote"
    );
    // Killed from outside: the next run still succeeds, in a new one.
    let killed = std::process::Command::new("kill")
        .args(["-9", &zygote.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(killed, "kill -9 {zygote}");
    assert_eq!(run("return 'after the kill'").await, "after the kill");
    assert_eq!(run("return 'and again'").await, "and again");
    let replaced = zygote_of(&server).expect("a new zygote");
    assert_ne!(replaced, zygote);
}

/// After a burst every slot holds a zygote; once idle, only one per CPU
/// stays, and the next burst is served again.
async fn idle_slots_give_back_their_zygotes(backend: Backend<'_>) {
    let server = Server::start_with(
        backend
            .options()
            .env("RUNBOX_WORKERS", "4")
            .env("RUNBOX_MAX_CONCURRENT_PER_USER", "8")
            .env("RUNBOX_SANDBOX_IDLE_SECS", "1"),
    );
    let key = user_key(&server, "alice").await;
    let burst = || async {
        let runs = (0..8).map(|i| {
            let (server, key) = (&server, key.clone());
            async move {
                let code = format!("import time\ntime.sleep(0.3)\nreturn {i}");
                let (status, body) = post_as(
                    server,
                    &key,
                    "/v1/code/execute/python",
                    json!({ "code": code }),
                )
                .await;
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["response"]["result"], json!(i), "{body}");
            }
        });
        futures::future::join_all(runs).await;
    };
    burst().await;
    let busy = zygotes_of(&server).len();
    assert_eq!(busy, 4, "every slot keeps a zygote right after the burst");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while zygotes_of(&server).len() > cores.min(4) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let idle = zygotes_of(&server).len();
    assert!(
        idle <= cores.min(4) && idle >= 1,
        "{idle} zygotes left idle, {cores} CPUs"
    );
    burst().await;
}

crate::on_both_backends!(
    nothing_of_a_run_reaches_the_next,
    the_zygote_is_out_of_a_runs_reach_and_replaced_when_killed,
    idle_slots_give_back_their_zygotes,
);
