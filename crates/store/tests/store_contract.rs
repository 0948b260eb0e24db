//! The behaviour every `Store` backend must show, written against
//! `Arc<dyn Store>` only. Each test body lives in `contract` and takes a fresh,
//! empty store; `contract_suite!` instantiates the one list of them for a
//! backend: SQLite here, PostgreSQL in `postgres/` (each test in a schema of
//! its own, plus checks with two store instances acting as two nodes). A few
//! SQLite-only checks (file permissions, reopening the file) follow at the end.

mod contract;

/// One `#[tokio::test]` per name, calling `crate::contract::<name>` with the
/// store `$open()` gives; `$open()` returns `None` to skip (backend absent)
/// and otherwise a guard to keep until the test ends, and the store.
macro_rules! backend_suite {
    ($open:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some((_guard, store)) = $open().await else {
                    return;
                };
                crate::contract::$name(store).await;
            }
        )*
    };
}

/// The list of contract tests; every backend runs all of them.
macro_rules! contract_suite {
    ($open:path) => {
        backend_suite!(
            $open;
            enqueue_get_roundtrip,
            seq_increases,
            queue_full,
            idempotency,
            concurrent_idempotent_enqueues,
            claim_order,
            per_user_running_limit,
            claim_kinds,
            concurrent_claims_never_double,
            finish_only_from_running,
            cancel,
            fail_orphans,
            text_survives_verbatim,
            list_filters,
            output,
            concurrent_output_appends,
            webhooks,
            webhook_limit,
            keys,
            events,
            catalog_crud,
            catalog_numbers_are_ids_and_never_reused,
            schedule_ticks_are_claimed_once,
            schedule_ticks_move_only_from_what_was_read,
        );
    };
}

mod postgres;

// --- SQLite -------------------------------------------------------------

mod sqlite {
    use crate::contract::*;

    pub async fn open_at(path: &std::path::Path) -> Arc<dyn Store> {
        runbox_store::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap()
    }

    pub async fn fresh() -> Option<(tempfile::TempDir, Arc<dyn Store>)> {
        let dir = tempfile::TempDir::new().unwrap();
        let store = open_at(&dir.path().join("runbox.db")).await;
        Some((dir, store))
    }

    contract_suite!(fresh);

    #[tokio::test]
    async fn creates_directory_and_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("nested/deeper/runbox.db");
        let store = open_at(&path).await;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let info = store.ping().await.unwrap();
        assert_eq!(info.backend, "sqlite");
        assert!(info.version.starts_with('3'), "{}", info.version);
        assert!(!store.is_shared());
        // WAL journal: a write leaves a -wal file beside it, as private as the file.
        enqueue(&store, &new_exec("alice", 50, python("x")), at(0)).await;
        let wal = dir.path().join("nested/deeper/runbox.db-wal");
        assert_eq!(
            std::fs::metadata(&wal).unwrap().permissions().mode() & 0o777,
            0o600
        );

        // A file made with loose permissions is tightened on open.
        let loose = dir.path().join("loose.db");
        std::fs::write(&loose, b"").unwrap();
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
        open_at(&loose).await;
        let mode = std::fs::metadata(&loose).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[tokio::test]
    async fn survives_reopen() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("runbox.db");
        let mut hooked = new_exec("alice", 50, python("x"));
        hooked.webhook_url = Some("http://127.0.0.1:9/hook".into());
        let queued = new_exec("bob", 50, shell("echo"));
        let first_seq;
        {
            let store = open_at(&path).await;
            first_seq = enqueue(&store, &hooked, at(0)).await.execution.seq;
            enqueue(&store, &queued, at(1)).await;
            store
                .claim_next(&claim("n1", 5, at(2)))
                .await
                .unwrap()
                .unwrap();
            store
                .append_output(&hooked.id, &[(OutputStream::Stdout, b"hi".to_vec())], at(3))
                .await
                .unwrap();
            store
                .insert_key(&ApiKeyRecord {
                    prefix: "rbx_aaaa".into(),
                    hash: vec![9; 32],
                    user: user("alice"),
                    admin: false,
                    created_at: at(0),
                })
                .await
                .unwrap();
        }
        let store = open_at(&path).await;
        // Start-up of a single node: whatever was running is interrupted.
        assert_eq!(
            store.fail_orphans(at(10), true).await.unwrap(),
            vec![hooked.id.clone()]
        );
        let e = store.get_execution(&hooked.id).await.unwrap().unwrap();
        assert_eq!(e.status, ExecutionStatus::Failed);
        assert_eq!(e.seq, first_seq);
        assert_eq!(
            store
                .get_execution(&queued.id)
                .await
                .unwrap()
                .unwrap()
                .status,
            ExecutionStatus::Queued
        );
        assert_eq!(
            store.output_after(&hooked.id, 0, 10).await.unwrap().len(),
            1
        );
        assert_eq!(store.count_keys().await.unwrap(), 1);
        assert_eq!(store.pending_webhook_count().await.unwrap(), 1);
        let due = store
            .take_due_webhooks(&node("n2"), at(11), Duration::from_secs(60), 10)
            .await;
        assert_eq!(due.unwrap().len(), 1);
        // New executions continue the sequence.
        let later = enqueue(&store, &new_exec("alice", 50, python("z")), at(12)).await;
        assert!(later.execution.seq > first_seq + 1);
    }

    #[tokio::test]
    async fn rejects_other_urls() {
        assert!(matches!(
            runbox_store::open("mysql://localhost/x").await,
            Err(StoreError::Unsupported(_))
        ));
    }
}
