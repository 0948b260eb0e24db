//! The webhook outbox and API keys.

use super::*;

pub async fn webhooks(store: Arc<dyn Store>) {
    let hold = Duration::from_secs(60);
    let mut e = new_exec("alice", 50, python("x"));
    e.webhook_url = Some("http://127.0.0.1:9/hook".into());
    let plain = new_exec("alice", 50, python("no hook"));
    enqueue(&store, &e, at(0)).await;
    enqueue(&store, &plain, at(0)).await;
    assert_eq!(store.pending_webhook_count().await.unwrap(), 1);

    // Not due while queued or running.
    assert!(store
        .take_due_webhooks(&node("n1"), at(1), hold, 10)
        .await
        .unwrap()
        .is_empty());
    store
        .claim_next(&claim("n1", 5, at(2)))
        .await
        .unwrap()
        .unwrap();
    assert!(store
        .take_due_webhooks(&node("n1"), at(3), hold, 10)
        .await
        .unwrap()
        .is_empty());
    store
        .finish(&e.id, ExecutionStatus::Succeeded, &done(""), at(4))
        .await
        .unwrap()
        .unwrap();

    let due = store
        .take_due_webhooks(&node("n1"), at(5), hold, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    let d = &due[0];
    assert_eq!(d.execution_id, e.id);
    assert_eq!(d.url, "http://127.0.0.1:9/hook");
    assert_eq!(d.attempts, 0);
    // Held: nobody else takes it until the hold ends.
    assert!(store
        .take_due_webhooks(&node("n2"), at(6), hold, 10)
        .await
        .unwrap()
        .is_empty());
    let retaken = store
        .take_due_webhooks(&node("n2"), at(5 + 61_000), hold, 10)
        .await
        .unwrap();
    assert_eq!(retaken.len(), 1);

    // A failed attempt is retried at its time, not before.
    store
        .webhook_failed(d.id, 1, Some(at(100_000)), "connection refused")
        .await
        .unwrap();
    assert_eq!(store.pending_webhook_count().await.unwrap(), 1);
    assert!(store
        .take_due_webhooks(&node("n1"), at(99_999), hold, 10)
        .await
        .unwrap()
        .is_empty());
    let due = store
        .take_due_webhooks(&node("n1"), at(100_000), hold, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempts, 1);

    store.webhook_delivered(d.id, at(100_001)).await.unwrap();
    assert_eq!(store.pending_webhook_count().await.unwrap(), 0);
    assert!(store
        .take_due_webhooks(&node("n1"), at(999_999), hold, 10)
        .await
        .unwrap()
        .is_empty());

    // Giving up ends it too.
    let mut second = new_exec("bob", 50, python("y"));
    second.webhook_url = Some("http://127.0.0.1:9/other".into());
    enqueue(&store, &second, at(200_000)).await;
    store.request_cancel(&second.id, at(200_001)).await.unwrap();
    let due = store
        .take_due_webhooks(&node("n1"), at(200_002), hold, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].execution_id, second.id);
    store
        .webhook_failed(due[0].id, 5, None, "HTTP 500")
        .await
        .unwrap();
    assert_eq!(store.pending_webhook_count().await.unwrap(), 0);
    assert!(store
        .take_due_webhooks(&node("n1"), at(999_999), hold, 10)
        .await
        .unwrap()
        .is_empty());
}

pub async fn webhook_limit(store: Arc<dyn Store>) {
    for i in 0..3 {
        let mut e = new_exec("alice", 50, python("x"));
        e.webhook_url = Some(format!("http://127.0.0.1:9/{i}"));
        enqueue(&store, &e, at(i)).await;
        store.request_cancel(&e.id, at(10)).await.unwrap();
    }
    let hold = Duration::from_secs(60);
    let first = store
        .take_due_webhooks(&node("n1"), at(20), hold, 2)
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert!(first[0].id < first[1].id);
    let rest = store
        .take_due_webhooks(&node("n2"), at(21), hold, 2)
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert!(rest[0].id > first[1].id);
}

pub async fn keys(store: Arc<dyn Store>) {
    let key = |prefix: &str, who: &str, admin: bool, t: i64| ApiKeyRecord {
        prefix: prefix.into(),
        hash: vec![1, 2, 3, prefix.len() as u8],
        user: user(who),
        admin,
        created_at: at(t),
    };
    assert_eq!(store.count_keys().await.unwrap(), 0);
    let admin = key("rbx_aaaa", "admin", true, 0);
    let alice = key("rbx_bbbb", "alice", false, 1);
    store.insert_key(&admin).await.unwrap();
    store.insert_key(&alice).await.unwrap();
    assert!(matches!(
        store
            .insert_key(&key("rbx_aaaa", "mallory", false, 2))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.key_by_prefix("rbx_aaaa").await.unwrap(),
        Some(admin.clone())
    );
    assert_eq!(store.key_by_prefix("rbx_zzzz").await.unwrap(), None);
    assert_eq!(
        store.list_keys().await.unwrap(),
        vec![admin.clone(), alice.clone()]
    );
    assert_eq!(store.count_keys().await.unwrap(), 2);
    assert!(store.revoke_key("rbx_bbbb").await.unwrap());
    assert!(!store.revoke_key("rbx_bbbb").await.unwrap());
    assert_eq!(store.list_keys().await.unwrap(), vec![admin]);
    assert_eq!(store.count_keys().await.unwrap(), 1);
}
