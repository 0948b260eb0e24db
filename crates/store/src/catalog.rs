//! The catalog: things users define and others run — buttons, agents,
//! scenarios. Each is stored as a JSON body the owning dialect shapes; the
//! store adds identity, ownership, timestamps, a per-kind number (scenario
//! ids are these numbers) and a schedule tick for recurring runs.

use runbox_domain::{Timestamp, UserName};
use serde_json::Value;

use crate::StoreError;

/// One catalog entry.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogItem {
    /// `button`, `agent`, `scenario`, …
    pub kind: String,
    pub id: String,
    /// Assigned by the store, increasing per kind, never reused.
    pub number: i64,
    pub owner: UserName,
    pub body: Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When the item's schedule is next due, as its last claim set it;
    /// `None` when never claimed or reset.
    pub next_tick: Option<Timestamp>,
}

/// What to create.
#[derive(Clone, Debug)]
pub struct NewCatalogItem<'a> {
    pub kind: &'a str,
    /// The id to use; `None` makes the item's number (as text) its id.
    pub id: Option<&'a str>,
    pub owner: &'a UserName,
    pub body: &'a Value,
    pub now: Timestamp,
}

#[async_trait::async_trait]
pub trait CatalogStore {
    /// Creates an item. [`StoreError::Conflict`] if the id is taken.
    async fn insert_item(&self, item: NewCatalogItem<'_>) -> Result<CatalogItem, StoreError>;

    async fn get_item(&self, kind: &str, id: &str) -> Result<Option<CatalogItem>, StoreError>;

    /// All items of a kind, in creation order.
    async fn list_items(&self, kind: &str) -> Result<Vec<CatalogItem>, StoreError>;

    /// Replaces an item's body; `None` if it does not exist.
    async fn update_item(
        &self,
        kind: &str,
        id: &str,
        body: &Value,
        now: Timestamp,
    ) -> Result<Option<CatalogItem>, StoreError>;

    /// Deletes an item; false if it did not exist.
    async fn delete_item(&self, kind: &str, id: &str) -> Result<bool, StoreError>;

    /// Claims the item's next scheduled tick: when its tick time is unset or
    /// at or before `now`, moves it to `next` and returns true. Of several
    /// nodes calling this for the same tick, exactly one gets true.
    async fn claim_tick(
        &self,
        kind: &str,
        id: &str,
        now: Timestamp,
        next: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Moves the item's tick from `from` (what the caller read; `None`:
    /// unset) to `to`, only if it is still `from`. Of several nodes moving
    /// the same tick, exactly one gets true.
    async fn move_tick(
        &self,
        kind: &str,
        id: &str,
        from: Option<Timestamp>,
        to: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Forgets the item's tick (it becomes due at once when next claimed).
    async fn reset_tick(&self, kind: &str, id: &str) -> Result<(), StoreError>;
}
