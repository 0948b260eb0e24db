//! Reading executions back: list and count filters, and live output.

use super::*;

pub async fn list_filters(store: Arc<dyn Store>) {
    let mut made = Vec::new();
    for i in 0..6i64 {
        let who = if i % 2 == 0 { "alice" } else { "bob" };
        let job = if i < 4 { python("p") } else { shell("s") };
        let mut new = new_exec(who, 50, job);
        new.subject = Some(if i < 3 { "s1" } else { "s2" }.into());
        enqueue(&store, &new, at(i * 1000)).await;
        made.push(new.id);
    }
    let ids =
        |list: Vec<runbox_domain::Execution>| list.into_iter().map(|e| e.id).collect::<Vec<_>>();
    // Everything, newest first.
    let all = store.list_executions(&filter()).await.unwrap();
    assert_eq!(ids(all), made.iter().rev().cloned().collect::<Vec<_>>());

    let alice = ExecutionFilter {
        user: Some(user("alice")),
        ..filter()
    };
    assert_eq!(
        ids(store.list_executions(&alice).await.unwrap()),
        vec![made[4].clone(), made[2].clone(), made[0].clone()]
    );
    assert_eq!(store.count_executions(&alice).await.unwrap(), 3);

    let s2 = ExecutionFilter {
        subject: Some("s2".into()),
        ..filter()
    };
    assert_eq!(store.count_executions(&s2).await.unwrap(), 3);
    let shell_kind = ExecutionFilter {
        kind: Some(ExecutionKind::Shell),
        ..filter()
    };
    assert_eq!(
        ids(store.list_executions(&shell_kind).await.unwrap()),
        vec![made[5].clone(), made[4].clone()]
    );

    // Created range, both ends inclusive.
    let range = ExecutionFilter {
        created_from: Some(at(1000)),
        created_to: Some(at(3000)),
        ..filter()
    };
    assert_eq!(
        ids(store.list_executions(&range).await.unwrap()),
        vec![made[3].clone(), made[2].clone(), made[1].clone()]
    );

    // Limit and offset page; count ignores them.
    let page = ExecutionFilter {
        limit: 2,
        offset: 1,
        ..filter()
    };
    assert_eq!(
        ids(store.list_executions(&page).await.unwrap()),
        vec![made[4].clone(), made[3].clone()]
    );
    assert_eq!(store.count_executions(&page).await.unwrap(), 6);

    // Status and cancel_requested.
    let first = store
        .claim_next(&claim("n", 5, at(9000)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.id, made[0]);
    store
        .claim_next(&claim("n", 5, at(9000)))
        .await
        .unwrap()
        .unwrap();
    store.request_cancel(&made[0], at(9500)).await.unwrap();
    store.request_cancel(&made[5], at(9500)).await.unwrap();
    let running = ExecutionFilter {
        statuses: vec![ExecutionStatus::Running],
        ..filter()
    };
    assert_eq!(
        ids(store.list_executions(&running).await.unwrap()),
        vec![made[1].clone(), made[0].clone()]
    );
    let ended_or_queued = ExecutionFilter {
        statuses: vec![ExecutionStatus::Canceled, ExecutionStatus::Queued],
        ..filter()
    };
    assert_eq!(store.count_executions(&ended_or_queued).await.unwrap(), 4);
    let flagged = ExecutionFilter {
        cancel_requested: Some(true),
        ..filter()
    };
    assert_eq!(
        ids(store.list_executions(&flagged).await.unwrap()),
        vec![made[0].clone()]
    );
    let unflagged = ExecutionFilter {
        cancel_requested: Some(false),
        ..filter()
    };
    assert_eq!(store.count_executions(&unflagged).await.unwrap(), 5);

    // Everything combined.
    let combined = ExecutionFilter {
        user: Some(user("alice")),
        subject: Some("s1".into()),
        statuses: vec![ExecutionStatus::Running],
        created_from: Some(at(0)),
        created_to: Some(at(0)),
        kind: Some(ExecutionKind::Python),
        cancel_requested: Some(true),
        ..filter()
    };
    assert_eq!(
        ids(store.list_executions(&combined).await.unwrap()),
        vec![made[0].clone()]
    );
    let nobody = ExecutionFilter {
        user: Some(user("carol")),
        ..filter()
    };
    assert!(store.list_executions(&nobody).await.unwrap().is_empty());
    assert_eq!(store.count_executions(&nobody).await.unwrap(), 0);
}

pub async fn output(store: Arc<dyn Store>) {
    let e = new_exec("alice", 50, python("x"));
    let other = new_exec("alice", 50, python("y"));
    enqueue(&store, &e, at(0)).await;
    enqueue(&store, &other, at(0)).await;
    let last = store
        .append_output(
            &e.id,
            &[
                (OutputStream::Stdout, b"one\n".to_vec()),
                (OutputStream::Stderr, vec![0, 255]),
            ],
            at(1),
        )
        .await
        .unwrap();
    assert_eq!(last, 2);
    assert_eq!(
        store
            .append_output(&other.id, &[(OutputStream::Log, b"x".to_vec())], at(1))
            .await
            .unwrap(),
        1
    );
    let last = store
        .append_output(&e.id, &[(OutputStream::Combined, b"three".to_vec())], at(2))
        .await
        .unwrap();
    assert_eq!(last, 3);
    assert_eq!(store.append_output(&e.id, &[], at(3)).await.unwrap(), 3);

    let all = store.output_after(&e.id, 0, 100).await.unwrap();
    assert_eq!(all.iter().map(|c| c.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(all[0].stream, OutputStream::Stdout);
    assert_eq!(all[0].data, b"one\n");
    assert_eq!(all[0].at, at(1));
    assert_eq!(all[1].stream, OutputStream::Stderr);
    assert_eq!(all[1].data, vec![0, 255]);
    assert_eq!(all[2].stream, OutputStream::Combined);
    assert_eq!(all[2].at, at(2));

    let tail = store.output_after(&e.id, 1, 1).await.unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].seq, 2);
    assert!(store.output_after(&e.id, 3, 100).await.unwrap().is_empty());
    assert!(store
        .output_after(&ExecutionId::from_raw("x"), 0, 10)
        .await
        .unwrap()
        .is_empty());
}

/// Appends racing on one execution get distinct, gapless numbers.
pub async fn concurrent_output_appends(store: Arc<dyn Store>) {
    let e = new_exec("alice", 50, python("x"));
    enqueue(&store, &e, at(0)).await;
    let mut tasks = Vec::new();
    for t in 0..8u8 {
        let store = store.clone();
        let id = e.id.clone();
        tasks.push(tokio::spawn(async move {
            let mut lasts = Vec::new();
            for i in 0..10u8 {
                let chunks = [
                    (OutputStream::Stdout, vec![t, i, 0]),
                    (OutputStream::Stderr, vec![t, i, 1]),
                ];
                lasts.push(store.append_output(&id, &chunks, at(1)).await.unwrap());
            }
            lasts
        }));
    }
    let mut lasts = Vec::new();
    for task in tasks {
        lasts.extend(task.await.unwrap());
    }
    lasts.sort();
    assert_eq!(lasts, (1..=80).map(|n| n * 2).collect::<Vec<i64>>());
    let all = store.output_after(&e.id, 0, 1000).await.unwrap();
    assert_eq!(
        all.iter().map(|c| c.seq).collect::<Vec<_>>(),
        (1..=160).collect::<Vec<i64>>()
    );
    // Each append's two chunks stay together and in order.
    for pair in all.chunks(2) {
        assert_eq!(pair[0].stream, OutputStream::Stdout);
        assert_eq!(pair[1].stream, OutputStream::Stderr);
        assert_eq!(pair[0].data[..2], pair[1].data[..2]);
    }
}
