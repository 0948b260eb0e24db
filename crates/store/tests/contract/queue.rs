//! Creating and claiming: round trips, the queue-length limit, idempotency
//! keys, claim order, the per-user running limit, kinds, concurrent claims.

use super::*;

pub async fn enqueue_get_roundtrip(store: Arc<dyn Store>) {
    let mut env = BTreeMap::new();
    env.insert("GREETING".to_owned(), "hello".into());
    let job = JobSpec::Agent(AgentJob {
        agent_id: "a1".into(),
        runtime: AgentRuntime::Python {
            code: "def run(i): return i".into(),
        },
        input: serde_json::json!({"x": [1, 2, 3]}),
        env,
        network: vec!["api.github.com".parse().unwrap()],
    });
    let mut new = new_exec("alice", 77, job.clone());
    new.timeout = Timeout::new(86_400, 86_400).unwrap();
    new.subject = Some("agent-a1".into());
    new.idempotency = Some(Idempotency {
        key: "key-1".into(),
        fingerprint: "fp-1".into(),
    });

    let made = enqueue(&store, &new, at(0)).await;
    assert!(made.created);
    let e = made.execution;
    assert_eq!(e.id, new.id);
    assert!(e.seq > 0);
    assert_eq!(e.kind, ExecutionKind::Agent);
    assert_eq!(e.user, user("alice"));
    assert_eq!(e.status, ExecutionStatus::Queued);
    assert!(!e.cancel_requested);
    assert_eq!(e.priority.value(), 77);
    assert_eq!(e.timeout.secs(), 86_400);
    assert_eq!(e.job, job);
    assert_eq!(e.outcome, None);
    assert_eq!(e.created_at, at(0));
    assert_eq!(e.started_at, None);
    assert_eq!(e.finished_at, None);
    assert_eq!(e.node, None);
    assert_eq!(e.subject.as_deref(), Some("agent-a1"));
    assert_eq!(e.idempotency_key.as_deref(), Some("key-1"));
    assert_eq!(store.get_execution(&new.id).await.unwrap(), Some(e.clone()));

    let running = store
        .claim_next(&claim("n1", 5, at(10)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(running.id, new.id);
    assert_eq!(running.status, ExecutionStatus::Running);
    assert_eq!(running.started_at, Some(at(10)));
    assert_eq!(running.node, Some(node("n1")));
    assert_eq!(store.get_execution(&new.id).await.unwrap(), Some(running));

    let outcome = done("out");
    let ended = store
        .finish(&new.id, ExecutionStatus::Succeeded, &outcome, at(20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.status, ExecutionStatus::Succeeded);
    assert_eq!(ended.outcome, Some(outcome));
    assert_eq!(ended.finished_at, Some(at(20)));
    assert_eq!(ended.started_at, Some(at(10)));
    assert_eq!(store.get_execution(&new.id).await.unwrap(), Some(ended));

    // Every job kind survives the JSON round trip.
    for job in [
        python("print(1)"),
        shell("echo hi"),
        JobSpec::Scenario(serde_json::json!({"steps": [{"code": "x"}]})),
        JobSpec::Agent(AgentJob {
            agent_id: "a2".into(),
            runtime: AgentRuntime::Command {
                command: "cat".into(),
            },
            input: serde_json::json!(null),
            env: BTreeMap::new(),
            network: vec![],
        }),
    ] {
        let new = new_exec("bob", 50, job.clone());
        enqueue(&store, &new, at(30)).await;
        let got = store.get_execution(&new.id).await.unwrap().unwrap();
        assert_eq!(got.job, job);
        assert_eq!(got.kind, job.kind());
        assert_eq!(got.subject, None);
        assert_eq!(got.idempotency_key, None);
    }
    assert_eq!(
        store
            .get_execution(&ExecutionId::from_raw("nope"))
            .await
            .unwrap(),
        None
    );
}

pub async fn seq_increases(store: Arc<dyn Store>) {
    let a = enqueue(&store, &new_exec("alice", 50, python("a")), at(0))
        .await
        .execution;
    let b = enqueue(&store, &new_exec("alice", 50, python("b")), at(0))
        .await
        .execution;
    assert!(b.seq > a.seq);
}

pub async fn queue_full(store: Arc<dyn Store>) {
    store
        .enqueue(&new_exec("alice", 50, python("1")), at(0), 2)
        .await
        .unwrap();
    store
        .enqueue(&new_exec("bob", 50, python("2")), at(1), 2)
        .await
        .unwrap();
    let mut third = new_exec("carol", 50, python("3"));
    third.webhook_url = Some("http://127.0.0.1:9/hook".into());
    match store.enqueue(&third, at(2), 2).await {
        Err(EnqueueError::QueueFull { max: 2 }) => {}
        other => panic!("expected QueueFull, got {other:?}"),
    }
    assert_eq!(store.get_execution(&third.id).await.unwrap(), None);
    assert_eq!(store.count_executions(&filter()).await.unwrap(), 2);
    assert_eq!(store.pending_webhook_count().await.unwrap(), 0);

    // Running executions do not count against the queue length.
    store
        .claim_next(&claim("n1", 5, at(3)))
        .await
        .unwrap()
        .unwrap();
    store.enqueue(&third, at(4), 2).await.unwrap();
}

pub async fn idempotency(store: Arc<dyn Store>) {
    let key = Idempotency {
        key: "k".into(),
        fingerprint: "same".into(),
    };
    let mut first = new_exec("alice", 50, python("x"));
    first.idempotency = Some(key.clone());
    let made = enqueue(&store, &first, at(0)).await;
    assert!(made.created);

    let mut again = new_exec("alice", 50, python("x"));
    again.idempotency = Some(key.clone());
    let repeat = store.enqueue(&again, at(5), BIG_QUEUE).await.unwrap();
    assert!(!repeat.created);
    assert_eq!(repeat.execution, made.execution);
    assert_eq!(store.get_execution(&again.id).await.unwrap(), None);

    // A repeat is answered even when the queue is full now.
    let repeat = store.enqueue(&again, at(6), 1).await.unwrap();
    assert!(!repeat.created);

    let mut other = new_exec("alice", 50, python("y"));
    other.idempotency = Some(Idempotency {
        key: "k".into(),
        fingerprint: "other".into(),
    });
    assert!(matches!(
        store.enqueue(&other, at(7), BIG_QUEUE).await,
        Err(EnqueueError::IdempotencyConflict)
    ));
    assert_eq!(store.get_execution(&other.id).await.unwrap(), None);

    // Keys are scoped to the user.
    let mut bobs = new_exec("bob", 50, python("x"));
    bobs.idempotency = Some(key);
    assert!(enqueue(&store, &bobs, at(8)).await.created);
    assert_eq!(store.count_executions(&filter()).await.unwrap(), 2);
}

pub async fn concurrent_idempotent_enqueues(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
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
        let result = task.await.unwrap();
        created += usize::from(result.created);
        ids.push(result.execution.id);
    }
    assert_eq!(created, 1);
    ids.dedup();
    assert_eq!(ids.len(), 1);
}

pub async fn claim_order(store: Arc<dyn Store>) {
    let low = new_exec("a", 10, python("low"));
    let high_old = new_exec("b", 90, python("high old"));
    let mid = new_exec("c", 50, python("mid"));
    let high_new = new_exec("d", 90, python("high new"));
    for (i, e) in [&low, &high_old, &mid, &high_new].into_iter().enumerate() {
        enqueue(&store, e, at(i as i64)).await;
    }
    let mut order = Vec::new();
    while let Some(e) = store.claim_next(&claim("n1", 5, at(100))).await.unwrap() {
        assert_eq!(e.status, ExecutionStatus::Running);
        assert_eq!(e.node, Some(node("n1")));
        order.push(e.id);
    }
    assert_eq!(order, vec![high_old.id, high_new.id, mid.id, low.id]);
}

pub async fn per_user_running_limit(store: Arc<dyn Store>) {
    for i in 0..7 {
        enqueue(&store, &new_exec("alice", 50, python("a")), at(i)).await;
    }
    for _ in 0..5 {
        let e = store
            .claim_next(&claim("n1", 5, at(10)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(e.user, user("alice"));
    }
    assert_eq!(
        store.claim_next(&claim("n1", 5, at(11))).await.unwrap(),
        None
    );
    // The limit counts across nodes.
    assert_eq!(
        store.claim_next(&claim("n2", 5, at(11))).await.unwrap(),
        None
    );

    let bobs = new_exec("bob", 1, python("b"));
    enqueue(&store, &bobs, at(12)).await;
    let e = store
        .claim_next(&claim("n1", 5, at(13)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.id, bobs.id);

    // Once one of alice's ends, the next of hers may run.
    let running = store
        .list_executions(&ExecutionFilter {
            user: Some(user("alice")),
            statuses: vec![ExecutionStatus::Running],
            ..filter()
        })
        .await
        .unwrap();
    assert_eq!(running.len(), 5);
    store
        .finish(&running[0].id, ExecutionStatus::Failed, &done(""), at(14))
        .await
        .unwrap();
    let e = store
        .claim_next(&claim("n1", 5, at(15)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.user, user("alice"));
    assert_eq!(
        store.claim_next(&claim("n1", 5, at(16))).await.unwrap(),
        None
    );
    let counts = store.queue_counts().await.unwrap();
    assert_eq!((counts.queued, counts.running), (1, 6));
}

pub async fn claim_kinds(store: Arc<dyn Store>) {
    let py = new_exec("alice", 90, python("p"));
    let sh = new_exec("alice", 10, shell("s"));
    enqueue(&store, &py, at(0)).await;
    enqueue(&store, &sh, at(1)).await;
    let only_shell = ClaimRequest {
        kinds: vec![ExecutionKind::Shell],
        ..claim("n", 5, at(2))
    };
    assert_eq!(
        store.claim_next(&only_shell).await.unwrap().unwrap().id,
        sh.id
    );
    assert_eq!(store.claim_next(&only_shell).await.unwrap(), None);
    let agents = ClaimRequest {
        kinds: vec![ExecutionKind::Agent, ExecutionKind::Scenario],
        ..claim("n", 5, at(3))
    };
    assert_eq!(store.claim_next(&agents).await.unwrap(), None);
    let any = claim("n", 5, at(4));
    assert_eq!(store.claim_next(&any).await.unwrap().unwrap().id, py.id);
}

pub async fn concurrent_claims_never_double(store: Arc<dyn Store>) {
    for i in 0..30 {
        enqueue(
            &store,
            &new_exec(&format!("u{}", i % 3), 50, python("x")),
            at(i),
        )
        .await;
    }
    let mut tasks = Vec::new();
    for n in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(e) = store
                .claim_next(&claim(&format!("n{n}"), 100, at(100)))
                .await
                .unwrap()
            {
                got.push(e.id);
            }
            got
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort();
    let total = all.len();
    all.dedup();
    assert_eq!((total, all.len()), (30, 30));
}
