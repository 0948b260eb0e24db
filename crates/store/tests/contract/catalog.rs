//! Catalog items (buttons, agents, scenarios) and schedule ticks.

use super::*;

fn body(name: &str) -> serde_json::Value {
    serde_json::json!({ "name": name, "nested": { "list": [1, 2, 3] } })
}

pub async fn catalog_crud(store: Arc<dyn Store>) {
    let alice = user("alice");
    let first = store
        .insert_item(runbox_store::NewCatalogItem {
            kind: "button",
            id: Some("hello"),
            owner: &alice,
            body: &body("Hello"),
            now: at(0),
        })
        .await
        .unwrap();
    assert_eq!(first.id, "hello");
    assert_eq!(first.kind, "button");
    assert_eq!(first.owner, alice);
    assert_eq!(first.body, body("Hello"));
    assert_eq!(first.created_at, at(0));
    let duplicate = store
        .insert_item(runbox_store::NewCatalogItem {
            kind: "button",
            id: Some("hello"),
            owner: &alice,
            body: &body("Again"),
            now: at(1),
        })
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    // Same id under another kind is a different item.
    store
        .insert_item(runbox_store::NewCatalogItem {
            kind: "agent",
            id: Some("hello"),
            owner: &alice,
            body: &body("Agent"),
            now: at(2),
        })
        .await
        .unwrap();
    let second = store
        .insert_item(runbox_store::NewCatalogItem {
            kind: "button",
            id: Some("bye"),
            owner: &alice,
            body: &body("Bye"),
            now: at(3),
        })
        .await
        .unwrap();
    assert!(second.number > first.number);

    let listed = store.list_items("button").await.unwrap();
    assert_eq!(
        listed.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        vec!["hello", "bye"]
    );
    assert_eq!(
        store
            .get_item("button", "hello")
            .await
            .unwrap()
            .map(|i| i.body),
        Some(body("Hello"))
    );
    assert_eq!(store.get_item("button", "nope").await.unwrap(), None);

    let updated = store
        .update_item("button", "hello", &body("Hi"), at(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.body, body("Hi"));
    assert_eq!(updated.created_at, at(0));
    assert_eq!(updated.updated_at, at(10));
    assert_eq!(
        store
            .update_item("button", "nope", &body("x"), at(11))
            .await
            .unwrap(),
        None
    );

    assert!(store.delete_item("button", "hello").await.unwrap());
    assert!(!store.delete_item("button", "hello").await.unwrap());
    assert_eq!(
        store
            .get_item("agent", "hello")
            .await
            .unwrap()
            .map(|i| i.id),
        Some("hello".to_owned())
    );
}

pub async fn catalog_numbers_are_ids_and_never_reused(store: Arc<dyn Store>) {
    let bob = user("bob");
    let new = |now| runbox_store::NewCatalogItem {
        kind: "scenario",
        id: None,
        owner: &bob,
        body: &serde_json::Value::Null,
        now,
    };
    let a = store.insert_item(new(at(0))).await.unwrap();
    let b = store.insert_item(new(at(1))).await.unwrap();
    assert_eq!(a.id, a.number.to_string());
    assert_eq!(b.number, a.number + 1);
    assert!(store.delete_item("scenario", &b.id).await.unwrap());
    let c = store.insert_item(new(at(2))).await.unwrap();
    assert!(c.number > b.number, "deleted numbers are not reused");
}

pub async fn schedule_ticks_are_claimed_once(store: Arc<dyn Store>) {
    let bob = user("bob");
    store
        .insert_item(runbox_store::NewCatalogItem {
            kind: "scenario",
            id: Some("s1"),
            owner: &bob,
            body: &serde_json::Value::Null,
            now: at(0),
        })
        .await
        .unwrap();
    assert!(
        store
            .claim_tick("scenario", "s1", at(0), at(1000))
            .await
            .unwrap(),
        "first tick is due"
    );
    assert!(
        !store
            .claim_tick("scenario", "s1", at(500), at(1500))
            .await
            .unwrap(),
        "not due before next"
    );
    // Many claimers of the same tick: exactly one wins.
    let mut wins = 0;
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .claim_tick("scenario", "s1", at(1000), at(2000))
                    .await
                    .unwrap()
            })
        })
        .collect();
    for h in handles {
        if h.await.unwrap() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
    store.reset_tick("scenario", "s1").await.unwrap();
    assert!(
        store
            .claim_tick("scenario", "s1", at(1001), at(3000))
            .await
            .unwrap(),
        "due again after reset"
    );
    assert!(!store
        .claim_tick("scenario", "missing", at(0), at(1))
        .await
        .unwrap());
}

pub async fn schedule_ticks_move_only_from_what_was_read(store: Arc<dyn Store>) {
    let bob = user("bob");
    let created = store
        .insert_item(runbox_store::NewCatalogItem {
            kind: "button",
            id: Some("cron"),
            owner: &bob,
            body: &serde_json::Value::Null,
            now: at(0),
        })
        .await
        .unwrap();
    assert_eq!(created.next_tick, None, "a new item has no tick");
    assert!(
        !store
            .move_tick("button", "cron", Some(at(5)), at(10))
            .await
            .unwrap(),
        "the tick is unset, not 5"
    );
    assert!(store
        .move_tick("button", "cron", None, at(10))
        .await
        .unwrap());
    let read = store.get_item("button", "cron").await.unwrap().unwrap();
    assert_eq!(read.next_tick, Some(at(10)));
    // Many nodes moving the tick they all read: exactly one wins.
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .move_tick("button", "cron", Some(at(10)), at(20))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut wins = 0;
    for h in handles {
        if h.await.unwrap() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
    let listed = store.list_items("button").await.unwrap();
    assert_eq!(listed[0].next_tick, Some(at(20)));
    store.reset_tick("button", "cron").await.unwrap();
    assert_eq!(
        store
            .get_item("button", "cron")
            .await
            .unwrap()
            .unwrap()
            .next_tick,
        None
    );
    assert!(!store
        .move_tick("button", "missing", None, at(1))
        .await
        .unwrap());
}
