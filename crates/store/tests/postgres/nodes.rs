//! Two store instances on one schema behave like two runbox nodes: separate
//! pools, separate listeners. What one does, the other must respect and hear.

use std::time::Duration;

use tokio::sync::broadcast;

use super::Schema;
use crate::contract::*;

const HEAR_WITHIN: Duration = Duration::from_secs(5);

async fn two_nodes() -> Option<(Schema, Arc<dyn Store>, Arc<dyn Store>)> {
    let schema = Schema::create().await?;
    let a = schema.open().await;
    let b = schema.open().await;
    Some((schema, a, b))
}

/// Claims on `store` as `node_name` until nothing more may run.
async fn claim_all(store: Arc<dyn Store>, node_name: String, limit: u32) -> Vec<ExecutionId> {
    let mut got = Vec::new();
    while let Some(e) = store
        .claim_next(&claim(&node_name, limit, at(1_000)))
        .await
        .unwrap()
    {
        assert_eq!(e.node, Some(node(&node_name)));
        got.push(e.id);
    }
    got
}

/// Runs `claim_all` in four tasks per node, all at once.
async fn race_claims(a: &Arc<dyn Store>, b: &Arc<dyn Store>, limit: u32) -> Vec<ExecutionId> {
    let mut tasks = Vec::new();
    for (n, store) in [a, b].into_iter().enumerate() {
        for t in 0..4 {
            tasks.push(tokio::spawn(claim_all(
                store.clone(),
                format!("node{n}-task{t}"),
                limit,
            )));
        }
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

async fn next_event(rx: &mut broadcast::Receiver<StoreEvent>) -> StoreEvent {
    tokio::time::timeout(HEAR_WITHIN, rx.recv())
        .await
        .expect("no event heard in time")
        .expect("event channel failed")
}

#[tokio::test]
async fn every_execution_is_claimed_exactly_once() {
    let Some((_schema, a, b)) = two_nodes().await else {
        return;
    };
    let mut made = Vec::new();
    for i in 0..200 {
        let store = if i % 2 == 0 { &a } else { &b };
        let new = new_exec(&format!("u{}", i % 10), (i % 3) * 40, python("x"));
        enqueue(store, &new, at(i)).await;
        made.push(new.id);
    }
    let mut claimed = race_claims(&a, &b, 1_000).await;
    claimed.sort();
    let total = claimed.len();
    claimed.dedup();
    assert_eq!((total, claimed.len()), (200, 200));
    made.sort();
    assert_eq!(claimed, made);
    let counts = b.queue_counts().await.unwrap();
    assert_eq!((counts.queued, counts.running), (0, 200));
}

#[tokio::test]
async fn per_user_limit_holds_across_nodes() {
    let Some((_schema, a, b)) = two_nodes().await else {
        return;
    };
    for round in 0..3 {
        let who = format!("alice{round}");
        for i in 0..7 {
            enqueue(&a, &new_exec(&who, 50, python("a")), at(i)).await;
        }
        let claimed = race_claims(&a, &b, 5).await;
        assert_eq!(claimed.len(), 5, "round {round}");
        let running = a
            .count_executions(&ExecutionFilter {
                user: Some(user(&who)),
                statuses: vec![ExecutionStatus::Running],
                ..filter()
            })
            .await
            .unwrap();
        assert_eq!(running, 5, "round {round}");
    }
    let counts = a.queue_counts().await.unwrap();
    assert_eq!((counts.queued, counts.running), (6, 15));
}

#[tokio::test]
async fn events_reach_the_other_node_once() {
    let Some((_schema, a, b)) = two_nodes().await else {
        return;
    };
    let mut on_a = a.events();
    let mut on_b = b.events();
    let e = new_exec("alice", 50, python("x"));
    let queued = new_exec("bob", 10, python("y"));

    let mut expected = Vec::new();
    enqueue(&a, &e, at(0)).await;
    expected.push(StoreEvent::Enqueued { id: e.id.clone() });
    a.claim_next(&claim("node-a", 5, at(1)))
        .await
        .unwrap()
        .unwrap();
    expected.push(StoreEvent::Changed {
        id: e.id.clone(),
        status: ExecutionStatus::Running,
        cancel_requested: false,
    });
    // Output written by the node that runs it, heard by the node streaming it.
    a.append_output(&e.id, &[(OutputStream::Stdout, b"hi".to_vec())], at(2))
        .await
        .unwrap();
    expected.push(StoreEvent::Output {
        id: e.id.clone(),
        seq: 1,
    });
    // A cancel asked on one node names the node that must stop the run.
    b.request_cancel(&e.id, at(3)).await.unwrap();
    expected.push(StoreEvent::Changed {
        id: e.id.clone(),
        status: ExecutionStatus::Running,
        cancel_requested: true,
    });
    expected.push(StoreEvent::CancelRequested {
        id: e.id.clone(),
        node: Some(node("node-a")),
    });
    a.finish(&e.id, ExecutionStatus::Canceled, &done(""), at(4))
        .await
        .unwrap()
        .unwrap();
    expected.push(StoreEvent::Changed {
        id: e.id.clone(),
        status: ExecutionStatus::Canceled,
        cancel_requested: true,
    });
    enqueue(&b, &queued, at(5)).await;
    a.request_cancel(&queued.id, at(6)).await.unwrap();
    expected.push(StoreEvent::Enqueued {
        id: queued.id.clone(),
    });
    expected.push(StoreEvent::Changed {
        id: queued.id.clone(),
        status: ExecutionStatus::Canceled,
        cancel_requested: false,
    });

    // Both nodes hear everything, in commit order, exactly once.
    for rx in [&mut on_a, &mut on_b] {
        let mut heard = Vec::new();
        for _ in 0..expected.len() {
            heard.push(next_event(rx).await);
        }
        assert_eq!(heard, expected);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(rx.try_recv().is_err(), "an event was heard twice");
    }
}

#[tokio::test]
async fn a_held_webhook_is_with_one_node() {
    let Some((_schema, a, b)) = two_nodes().await else {
        return;
    };
    let mut e = new_exec("alice", 50, python("x"));
    e.webhook_url = Some("http://127.0.0.1:9/hook".into());
    enqueue(&a, &e, at(0)).await;
    b.request_cancel(&e.id, at(1)).await.unwrap();

    let hold = Duration::from_secs(60);
    let mut tasks = Vec::new();
    for (n, store) in [&a, &b].into_iter().enumerate() {
        for t in 0..4 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .take_due_webhooks(&node(&format!("n{n}-{t}")), at(2), hold, 10)
                    .await
                    .unwrap()
            }));
        }
    }
    let mut taken = Vec::new();
    for task in tasks {
        taken.extend(task.await.unwrap());
    }
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert_eq!(taken[0].execution_id, e.id);
    // Still held a moment later, from either node.
    for store in [&a, &b] {
        assert!(store
            .take_due_webhooks(&node("late"), at(30_000), hold, 10)
            .await
            .unwrap()
            .is_empty());
    }
    // Once the hold ends (the holder vanished), another node takes it over.
    let retaken = b
        .take_due_webhooks(&node("heir"), at(62_003), hold, 10)
        .await
        .unwrap();
    assert_eq!(retaken.len(), 1);
    a.webhook_delivered(retaken[0].id, at(62_004))
        .await
        .unwrap();
    assert_eq!(b.pending_webhook_count().await.unwrap(), 0);
}

#[tokio::test]
async fn queue_length_holds_across_nodes() {
    let Some((_schema, a, b)) = two_nodes().await else {
        return;
    };
    let mut tasks = Vec::new();
    for i in 0..30 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            store
                .enqueue(
                    &new_exec(&format!("u{}", i % 4), 50, python("x")),
                    at(i),
                    10,
                )
                .await
        }));
    }
    let (mut created, mut full) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(made) => {
                assert!(made.created);
                created += 1;
            }
            Err(EnqueueError::QueueFull { max: 10 }) => full += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((created, full), (10, 20));
    assert_eq!(a.count_executions(&filter()).await.unwrap(), 10);
    assert_eq!(b.queue_counts().await.unwrap().queued, 10);
}

#[tokio::test]
async fn idempotency_holds_across_nodes() {
    let Some((_schema, a, b)) = two_nodes().await else {
        return;
    };
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let mut new = new_exec("alice", 50, python("x"));
            new.idempotency = Some(Idempotency {
                key: "k".into(),
                fingerprint: "f".into(),
            });
            store.enqueue(&new, at(0), BIG_QUEUE).await.unwrap()
        }));
    }
    let mut created = 0;
    let mut ids = Vec::new();
    for task in tasks {
        let made = task.await.unwrap();
        created += usize::from(made.created);
        ids.push(made.execution.id);
    }
    assert_eq!(created, 1);
    ids.dedup();
    assert_eq!(ids.len(), 1);
}

/// Kills the listening connections of this schema's store instances.
async fn kill_listeners(schema: &Schema) -> i64 {
    let mut admin = schema.admin().await;
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'runbox-listener' AND query = $1) AS killed",
    )
    .bind(format!("LISTEN \"runbox_events:{}\"", schema.name()))
    .fetch_one(&mut admin)
    .await
    .unwrap()
}

#[tokio::test]
async fn listener_reconnects_and_catches_up() {
    let Some((schema, a, b)) = two_nodes().await else {
        return;
    };
    let e = new_exec("alice", 50, python("x"));
    enqueue(&a, &e, at(0)).await;
    b.claim_next(&claim("node-b", 5, at(1)))
        .await
        .unwrap()
        .unwrap();
    let mut on_b = b.events();

    assert_eq!(kill_listeners(&schema).await, 2);
    // Asked while the listeners are (probably) down: the notification may be
    // lost, but node-b must still learn that it has to stop the run.
    a.request_cancel(&e.id, at(2)).await.unwrap();
    let wanted = StoreEvent::CancelRequested {
        id: e.id.clone(),
        node: Some(node("node-b")),
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(deadline, on_b.recv()).await {
            Ok(Ok(event)) if event == wanted => break,
            Ok(Ok(_)) => continue,
            Ok(Err(error)) => panic!("{error}"),
            Err(_) => panic!("node-b never heard of the cancel"),
        }
    }

    // And live events flow again, in both directions.
    for (from, to) in [(&a, &b), (&b, &a)] {
        let mut rx = to.events();
        let mut heard = false;
        for i in 0..50 {
            let new = new_exec("carol", 50, python("z"));
            enqueue(from, &new, at(10 + i)).await;
            let got = tokio::time::timeout(Duration::from_millis(300), async {
                loop {
                    match rx.recv().await {
                        Ok(StoreEvent::Enqueued { id }) if id == new.id => return,
                        Ok(_) => continue,
                        Err(error) => panic!("{error}"),
                    }
                }
            })
            .await;
            if got.is_ok() {
                heard = true;
                break;
            }
        }
        assert!(heard, "events did not flow again after reconnecting");
    }
}
