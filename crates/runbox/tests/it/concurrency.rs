//! Per-user concurrency: one user's 7 slow runs never exceed 5 at once.

use serde_json::{json, Value};

use crate::harness::{client, python, Server, ADMIN_KEY};

#[tokio::test]
async fn seven_slow_runs_of_one_user_run_at_most_five_at_a_time() {
    let server = Server::start();
    let code = "import time\nstart = time.time()\ntime.sleep(1.5)\nprint(start, time.time())";
    let url = server.url("/v1/code/execute/python");
    let runs: Vec<_> = (0..7)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let response = client()
                    .post(url)
                    .header("x-api-key", ADMIN_KEY)
                    .json(&json!({"code": code}))
                    .send()
                    .await
                    .expect("send");
                assert_eq!(response.status().as_u16(), 200);
                response.json::<Value>().await.expect("json")
            })
        })
        .collect();
    let mut intervals = Vec::new();
    for run in runs {
        let body = run.await.expect("join");
        let out = body["response"]["stdout"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut parts = out
            .split_whitespace()
            .map(|p| p.parse::<f64>().unwrap_or(f64::NAN));
        intervals.push((
            parts.next().unwrap_or(f64::NAN),
            parts.next().unwrap_or(f64::NAN),
        ));
    }
    assert_eq!(intervals.len(), 7, "all complete");
    let max_overlap = intervals
        .iter()
        .map(|(start, _)| {
            intervals
                .iter()
                .filter(|(s, e)| s <= start && start < e)
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(max_overlap <= 5, "{max_overlap} ran at once: {intervals:?}");
    assert!(max_overlap >= 2, "runs should overlap: {intervals:?}");
    // Another user is not blocked by the first user's queue.
    let (status, _) = python(&server, "print(1)").await;
    assert_eq!(status, 200);
}
