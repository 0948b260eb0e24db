//! Benchmarks of section 10 and 11: installing a new set of packages, a
//! run with a cached environment next to one without dependencies
//! (interleaved), and a 50 MiB download through a run's proxy next to
//! `curl` on the host (interleaved). Everything is local: wheels built here,
//! a find-links directory, a file server on 127.0.0.1.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::server::{BenchServer, Nodes};
use crate::stats::Summary;

const MAKE_WHEEL: &str = include_str!("make_wheel.py");
const SET: [&str; 3] = ["benchpkg-a", "benchpkg-b", "benchpkg-c"];

fn make_wheels(dir: &Path) -> anyhow::Result<()> {
    for name in SET {
        let spec = serde_json::json!({
            "name": name, "version": "1.0.0", "requires": [], "source": "VALUE = 1\n", "dir": dir,
        });
        let out = std::process::Command::new("/usr/bin/python3")
            .args(["-c", MAKE_WHEEL, &spec.to_string()])
            .output()
            .context("python3 builds the wheels")?;
        anyhow::ensure!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn block(requirements: &[String]) -> String {
    let quoted: Vec<String> = requirements.iter().map(|r| format!("{r:?}")).collect();
    format!(
        "# /// script\n# dependencies = [{}]\n# ///\n",
        quoted.join(", ")
    )
}

pub async fn packages(nodes: &Nodes<'_>, uv: Option<&Path>, runs: usize) -> anyhow::Result<()> {
    let wheels = tempfile::tempdir()?;
    make_wheels(wheels.path())?;
    let mut env = nodes.env.to_vec();
    env.push("RUNBOX_PACKAGES_NO_INDEX=true".into());
    env.push(format!(
        "RUNBOX_PACKAGES_FIND_LINKS={}",
        wheels.path().display()
    ));
    if let Some(uv) = uv {
        env.push(format!("RUNBOX_PACKAGES_UV={}", uv.display()));
    }
    let server = BenchServer::start(&Nodes {
        env: &env,
        ..*nodes
    })?;
    let client = reqwest::Client::new();

    // A new set each time (a different lower bound), so each run installs.
    let installs = runs.clamp(1, 20);
    let mut first = Vec::new();
    for round in 0..installs {
        let mut set: Vec<String> = SET.iter().map(|s| s.to_string()).collect();
        set[0] = format!("benchpkg-a>=0.0.{round}");
        let code = format!(
            "{}import benchpkg_a, benchpkg_b, benchpkg_c\nprint('hi')",
            block(&set)
        );
        let started = Instant::now();
        let body = server.python(&client, &code).await?;
        first.push(started.elapsed());
        anyhow::ensure!(
            body["response"]["stdout"] == "hi\n",
            "unexpected reply {body}"
        );
    }

    let cached_code = format!(
        "{}import benchpkg_a, benchpkg_b, benchpkg_c\nprint('hi')",
        block(&SET.map(str::to_owned))
    );
    for _ in 0..10 {
        server.python(&client, &cached_code).await?;
        server.python(&client, "print('hi')").await?;
    }
    let (mut cached, mut plain) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        for (code, samples) in [(&cached_code[..], &mut cached), ("print('hi')", &mut plain)] {
            let started = Instant::now();
            let body = server.python(&client, code).await?;
            samples.push(started.elapsed());
            anyhow::ensure!(
                body["response"]["stdout"] == "hi\n",
                "unexpected reply {body}"
            );
        }
    }
    println!(
        "3 small wheels ({}), find-links, {}",
        SET.join(", "),
        if uv.is_some() { "uv" } else { "pip" }
    );
    println!("{}", Summary::header());
    println!(
        "{}",
        Summary::of("first run of a new set (installs)", &mut first).row()
    );
    let cached = Summary::of("repeat run, cached environment", &mut cached);
    let plain = Summary::of("run without dependencies", &mut plain);
    println!("{}\n{}", cached.row(), plain.row());
    println!(
        "cached / no dependencies: median {:.2}x, p99 {:.2}x (goal: within 1.20x)",
        cached.p50.as_secs_f64() / plain.p50.as_secs_f64(),
        cached.p99.as_secs_f64() / plain.p99.as_secs_f64()
    );
    Ok(())
}

const MIB: usize = 1024 * 1024;

/// A local server answering every request with `size` bytes.
async fn file_server(size: usize) -> anyhow::Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let body = std::sync::Arc::new(vec![b'x'; size]);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    });
    Ok(port)
}

fn curl_seconds(output: &str) -> anyhow::Result<Duration> {
    let secs: f64 = output
        .trim()
        .parse()
        .with_context(|| format!("curl said {output:?}"))?;
    Ok(Duration::from_secs_f64(secs))
}

pub async fn proxy(nodes: &Nodes<'_>, rounds: usize, mib: usize) -> anyhow::Result<()> {
    let port = file_server(mib * MIB).await?;
    let url = format!("http://127.0.0.1:{port}/file");
    let mut env = nodes.env.to_vec();
    env.push(format!("RUNBOX_NETWORK_ALLOW=127.0.0.1:{port}"));
    env.push("RUNBOX_HTTP_ALLOW=127.0.0.1".into());
    let server = BenchServer::start(&Nodes {
        env: &env,
        ..*nodes
    })?;
    let client = reqwest::Client::new();
    // curl inside the sandbox, through the run's proxy; it times itself.
    let code = format!(
        "# /// script\n# [tool.runbox]\n# network = [\"127.0.0.1:{port}\"]\n# ///\nimport subprocess\nprint(subprocess.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{{time_total}}', '{url}'], capture_output=True, text=True, check=True).stdout)"
    );
    let (mut proxied, mut direct) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let body = server.python(&client, &code).await?;
        let stdout = body["response"]["stdout"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        proxied.push(curl_seconds(&stdout).with_context(|| format!("{body}"))?);
        let out = std::process::Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "-w", "%{time_total}", &url])
            .output()
            .context("curl")?;
        direct.push(curl_seconds(&String::from_utf8_lossy(&out.stdout))?);
    }
    println!("{mib} MiB download from 127.0.0.1, {rounds} rounds, interleaved");
    println!("{}", Summary::header());
    let proxied = Summary::of("curl in a run, through the proxy", &mut proxied);
    let direct = Summary::of("curl on the host, direct", &mut direct);
    println!("{}\n{}", proxied.row(), direct.row());
    let rate = |d: Duration| mib as f64 / d.as_secs_f64();
    println!(
        "throughput: proxied {:.0} MiB/s, direct {:.0} MiB/s: {:.0}% of direct (goal: at least 50%)",
        rate(proxied.p50),
        rate(direct.p50),
        100.0 * direct.p50.as_secs_f64() / proxied.p50.as_secs_f64()
    );
    Ok(())
}
