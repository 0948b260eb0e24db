//! Runs one command in the sandbox and prints what happened; with `--bench N`
//! runs it N times and prints latency percentiles; `--bind HOST:TARGET[:rw]`
//! shows a host path inside. The same binary serves as
//! its own launcher (`__launcher`), as the runbox binary does.
//!
//! ```text
//! cargo run -p runbox-sandbox --example sandbox_run -- /usr/bin/python3 -c 'print(1)'
//! cargo run --release -p runbox-sandbox --example sandbox_run -- --bench 200 /bin/true
//! ```

use std::time::{Duration, Instant};

use runbox_sandbox::{Limits, RunControl, RunSpec, Sandbox, SandboxConfig};
use tokio_util::sync::CancellationToken;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("__launcher") {
        std::process::exit(runbox_sandbox::launcher::main());
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(drive(args));
}

async fn drive(mut args: Vec<String>) {
    let mut bench = 0usize;
    let mut binds = Vec::new();
    loop {
        match args.first().map(String::as_str) {
            Some("--bench") => {
                bench = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100);
                args.drain(..2);
            }
            // --bind HOST_PATH:TARGET[:rw]
            Some("--bind") => {
                let value = args.get(1).cloned().unwrap_or_default();
                let mut parts = value.splitn(3, ':');
                binds.push(runbox_sandbox::Bind {
                    source: parts.next().unwrap_or_default().into(),
                    target: parts.next().unwrap_or_default().to_owned(),
                    writable: parts.next() == Some("rw"),
                });
                args.drain(..2);
            }
            _ => break,
        }
    }
    let sandbox = Sandbox::new(SandboxConfig {
        slots: 2,
        launcher_program: std::env::current_exe().expect("exe"),
        launcher_args: vec!["__launcher".into()],
        uid_base: 1_000_000,
        read_only: SandboxConfig::default_read_only(),
        hidden: vec![],
        default_limits: Limits::default(),
        output_limit: 1 << 20,
        kill_grace: Duration::from_secs(2),
        idle: runbox_sandbox::IdlePolicy::default(),
    });
    let spec = RunSpec {
        argv: args,
        env: vec![
            ("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()),
            ("HOME".into(), "/work".into()),
        ],
        files: vec![],
        stdin_file: None,
        limits: Limits::default(),
        combined_output: false,
        result_channel: false,
        payload: None,
        binds,
        ..Default::default()
    };
    let control = || RunControl {
        timeout: Duration::from_secs(30),
        cancel: CancellationToken::new(),
        on_output: None,
        proxy: None,
    };
    match sandbox.warm_up().await {
        Ok(report) => eprintln!(
            "layers: {:?}\nwarnings: {:?}",
            report.layers, report.warnings
        ),
        Err(e) => eprintln!("warm-up failed: {e}"),
    }
    if bench == 0 {
        match sandbox.run(spec, control()).await {
            Ok(out) => {
                print!("{}", out.stdout.text());
                eprint!("{}", out.stderr.text());
                eprintln!(
                    "status={:?} oom={} timed_out={} wall={:?}",
                    out.status, out.oom_killed, out.timed_out, out.wall_time
                );
            }
            Err(e) => eprintln!("error: {e}"),
        }
    } else {
        let mut times = Vec::with_capacity(bench);
        for _ in 0..bench {
            let t = Instant::now();
            let out = sandbox.run(spec.clone(), control()).await;
            times.push(t.elapsed());
            if let Err(e) = out {
                eprintln!("error: {e}");
                break;
            }
        }
        times.sort();
        let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
        println!(
            "runs={} p50={:?} p90={:?} p99={:?}",
            times.len(),
            pct(50),
            pct(90),
            pct(99)
        );
    }
    sandbox.shutdown().await;
}
