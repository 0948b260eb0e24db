//! Ending executions: finish, cancel, orphaned runs, and the events each
//! state change announces.

use super::*;

pub async fn finish_only_from_running(store: Arc<dyn Store>) {
    let e = new_exec("alice", 50, python("x"));
    enqueue(&store, &e, at(0)).await;
    let outcome = done("x");
    assert_eq!(
        store
            .finish(&e.id, ExecutionStatus::Succeeded, &outcome, at(1))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.get_execution(&e.id).await.unwrap().unwrap().status,
        ExecutionStatus::Queued
    );
    store
        .claim_next(&claim("n1", 5, at(2)))
        .await
        .unwrap()
        .unwrap();
    let ended = store
        .finish(&e.id, ExecutionStatus::TimedOut, &outcome, at(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.status, ExecutionStatus::TimedOut);
    // A second finish changes nothing.
    assert_eq!(
        store
            .finish(&e.id, ExecutionStatus::Succeeded, &done("y"), at(4))
            .await
            .unwrap(),
        None
    );
    let stored = store.get_execution(&e.id).await.unwrap().unwrap();
    assert_eq!(stored.status, ExecutionStatus::TimedOut);
    assert_eq!(stored.finished_at, Some(at(3)));
    assert_eq!(
        store
            .finish(
                &ExecutionId::from_raw("missing"),
                ExecutionStatus::Failed,
                &outcome,
                at(5)
            )
            .await
            .unwrap(),
        None
    );
}

pub async fn cancel(store: Arc<dyn Store>) {
    let queued = new_exec("alice", 10, python("q"));
    let running = new_exec("alice", 90, python("r"));
    enqueue(&store, &queued, at(0)).await;
    enqueue(&store, &running, at(1)).await;
    assert_eq!(
        store
            .claim_next(&claim("n1", 5, at(2)))
            .await
            .unwrap()
            .unwrap()
            .id,
        running.id
    );

    match store.request_cancel(&queued.id, at(3)).await.unwrap() {
        CancelOutcome::Canceled(e) => {
            assert_eq!(e.status, ExecutionStatus::Canceled);
            assert_eq!(e.finished_at, Some(at(3)));
            let outcome = e.outcome.unwrap();
            assert_eq!(outcome.kind, OutcomeKind::Canceled);
            assert!(outcome.error.unwrap().contains("canceled"));
        }
        other => panic!("expected Canceled, got {other:?}"),
    }
    // Nothing canceled is ever claimed.
    assert_eq!(
        store.claim_next(&claim("n1", 5, at(4))).await.unwrap(),
        None
    );

    match store.request_cancel(&running.id, at(5)).await.unwrap() {
        CancelOutcome::Requested(e) => {
            assert_eq!(e.status, ExecutionStatus::Running);
            assert!(e.cancel_requested);
            assert_eq!(e.finished_at, None);
        }
        other => panic!("expected Requested, got {other:?}"),
    }
    assert!(
        store
            .get_execution(&running.id)
            .await
            .unwrap()
            .unwrap()
            .cancel_requested
    );

    let ended = store
        .finish(
            &running.id,
            ExecutionStatus::Canceled,
            &Outcome::without_output(OutcomeKind::Canceled, "canceled"),
            at(6),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(ended.cancel_requested);
    match store.request_cancel(&running.id, at(7)).await.unwrap() {
        CancelOutcome::AlreadyFinished(e) => assert_eq!(e, ended),
        other => panic!("expected AlreadyFinished, got {other:?}"),
    }
    assert!(matches!(
        store.request_cancel(&queued.id, at(8)).await.unwrap(),
        CancelOutcome::AlreadyFinished(_)
    ));
    assert_eq!(
        store
            .request_cancel(&ExecutionId::from_raw("nope"), at(9))
            .await
            .unwrap(),
        CancelOutcome::NotFound
    );
}

pub async fn fail_orphans(store: Arc<dyn Store>) {
    let old = new_exec("alice", 90, python("old"));
    let fresh = new_exec("alice", 50, python("fresh"));
    let waiting = new_exec("alice", 10, python("waiting"));
    for e in [&old, &fresh, &waiting] {
        enqueue(&store, e, at(0)).await;
    }
    // Leases of 30 s: `old` on n1 from t=0, `fresh` on n2 from t=0.
    store
        .claim_next(&claim("n1", 2, at(0)))
        .await
        .unwrap()
        .unwrap();
    store
        .claim_next(&claim("n2", 2, at(0)))
        .await
        .unwrap()
        .unwrap();
    // n2 heartbeats; n1 does not.
    store.renew_leases(&node("n2"), at(120_000)).await.unwrap();

    assert!(store
        .fail_orphans(at(29_000), false)
        .await
        .unwrap()
        .is_empty());
    let failed = store.fail_orphans(at(60_000), false).await.unwrap();
    assert_eq!(failed, vec![old.id.clone()]);
    let e = store.get_execution(&old.id).await.unwrap().unwrap();
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.finished_at, Some(at(60_000)));
    let outcome = e.outcome.unwrap();
    assert_eq!(outcome.kind, OutcomeKind::Interrupted);
    assert!(outcome.error.unwrap().contains("interrupted"));
    assert_eq!(
        store
            .get_execution(&fresh.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        ExecutionStatus::Running
    );
    // A late finish of the interrupted one is refused.
    assert_eq!(
        store
            .finish(&old.id, ExecutionStatus::Succeeded, &done(""), at(61_000))
            .await
            .unwrap(),
        None
    );

    let failed = store.fail_orphans(at(61_000), true).await.unwrap();
    assert_eq!(failed, vec![fresh.id.clone()]);
    // Queued executions survive.
    assert_eq!(
        store
            .get_execution(&waiting.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        ExecutionStatus::Queued
    );
    assert!(store
        .fail_orphans(at(62_000), true)
        .await
        .unwrap()
        .is_empty());
}

pub async fn events(store: Arc<dyn Store>) {
    let mut rx = store.events();
    let e = new_exec("alice", 50, python("x"));
    let q = new_exec("alice", 10, python("y"));
    enqueue(&store, &e, at(0)).await;
    assert_eq!(
        rx.try_recv().unwrap(),
        StoreEvent::Enqueued { id: e.id.clone() }
    );
    enqueue(&store, &q, at(0)).await;
    assert_eq!(
        rx.try_recv().unwrap(),
        StoreEvent::Enqueued { id: q.id.clone() }
    );

    store
        .claim_next(&claim("n1", 5, at(1)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        rx.try_recv().unwrap(),
        StoreEvent::Changed {
            id: e.id.clone(),
            status: ExecutionStatus::Running,
            cancel_requested: false
        }
    );

    store
        .append_output(&e.id, &[(OutputStream::Stdout, b"x".to_vec())], at(2))
        .await
        .unwrap();
    assert_eq!(
        rx.try_recv().unwrap(),
        StoreEvent::Output {
            id: e.id.clone(),
            seq: 1
        }
    );

    store.request_cancel(&e.id, at(3)).await.unwrap();
    assert_eq!(
        rx.try_recv().unwrap(),
        StoreEvent::Changed {
            id: e.id.clone(),
            status: ExecutionStatus::Running,
            cancel_requested: true
        }
    );
    assert_eq!(
        rx.try_recv().unwrap(),
        StoreEvent::CancelRequested {
            id: e.id.clone(),
            node: Some(node("n1"))
        }
    );

    store
        .finish(&e.id, ExecutionStatus::Canceled, &done(""), at(4))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        rx.try_recv().unwrap(),
        StoreEvent::Changed {
            id: e.id.clone(),
            status: ExecutionStatus::Canceled,
            cancel_requested: true
        }
    );

    store.request_cancel(&q.id, at(5)).await.unwrap();
    assert_eq!(
        rx.try_recv().unwrap(),
        StoreEvent::Changed {
            id: q.id.clone(),
            status: ExecutionStatus::Canceled,
            cancel_requested: false
        }
    );

    // Refused or no-op changes announce nothing.
    assert!(store
        .enqueue(&new_exec("bob", 50, python("z")), at(6), 0)
        .await
        .is_err());
    assert_eq!(
        store
            .finish(&e.id, ExecutionStatus::Failed, &done(""), at(7))
            .await
            .unwrap(),
        None
    );
    store.request_cancel(&e.id, at(8)).await.unwrap();
    assert!(rx.try_recv().is_err());

    // Orphans are announced one by one.
    let r = new_exec("carol", 50, python("r"));
    enqueue(&store, &r, at(9)).await;
    store
        .claim_next(&claim("n1", 5, at(9)))
        .await
        .unwrap()
        .unwrap();
    while rx.try_recv().is_ok() {}
    assert_eq!(
        store.fail_orphans(at(10), true).await.unwrap(),
        vec![r.id.clone()]
    );
    assert_eq!(
        rx.try_recv().unwrap(),
        StoreEvent::Changed {
            id: r.id,
            status: ExecutionStatus::Failed,
            cancel_requested: false
        }
    );
}

/// Job specs and outcomes come back byte for byte, whatever characters a
/// program printed (NUL included: JSONB, for one, would refuse it).
pub async fn text_survives_verbatim(store: Arc<dyn Store>) {
    let job = python("print('\0 é 🦀 \\u0000 \"quoted\"')\n");
    let e = new_exec("alice", 50, job.clone());
    enqueue(&store, &e, at(0)).await;
    store
        .claim_next(&claim("n1", 5, at(1)))
        .await
        .unwrap()
        .unwrap();
    let outcome = Outcome {
        stdout: "nul\0byte é 🦀 \\u0000".into(),
        stderr: "\u{1}\u{7f}\u{fffd}".into(),
        result: Some(serde_json::json!({"text": "a\0b", "big": 12345678901234i64, "f": 1.5})),
        ..done("")
    };
    let ended = store
        .finish(&e.id, ExecutionStatus::Failed, &outcome, at(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.outcome.as_ref(), Some(&outcome));
    let stored = store.get_execution(&e.id).await.unwrap().unwrap();
    assert_eq!(stored.outcome, Some(outcome));
    assert_eq!(stored.job, job);
}
