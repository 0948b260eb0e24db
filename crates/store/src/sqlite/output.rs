//! Live output of executions: appending numbered chunks (on the writer, so
//! numbering never races) and reading them back after a sequence number.

use runbox_domain::{ExecutionId, Timestamp};

use super::rows::{self, OUTPUT_COLUMNS};
use super::SqliteStore;
use crate::{OutputChunk, OutputStream, StoreError, StoreEvent};

impl SqliteStore {
    pub(super) async fn append(
        &self,
        id: &ExecutionId,
        chunks: &[(OutputStream, Vec<u8>)],
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut last: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(seq), 0) FROM execution_output WHERE execution_id = ?",
        )
        .bind(id.as_str())
        .fetch_one(&mut *tx)
        .await?;
        for (stream, data) in chunks {
            last += 1;
            sqlx::query(
                "INSERT INTO execution_output (execution_id, seq, stream, data, at) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(id.as_str())
            .bind(last)
            .bind(stream.as_str())
            .bind(data.as_slice())
            .bind(now.as_millis())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        if !chunks.is_empty() {
            self.publish(StoreEvent::Output {
                id: id.clone(),
                seq: last,
            });
        }
        Ok(last)
    }

    pub(super) async fn chunks_after(
        &self,
        id: &ExecutionId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutputChunk>, StoreError> {
        let sql = format!(
            "SELECT {OUTPUT_COLUMNS} FROM execution_output \
             WHERE execution_id = ? AND seq > ? ORDER BY seq LIMIT ?"
        );
        let found = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(after)
            .bind(rows::count(limit))
            .fetch_all(&self.reader)
            .await?;
        found.iter().map(rows::output_chunk).collect()
    }
}
