//! Live output of executions: appending numbered chunks and reading them
//! back after a sequence number. Appends to one execution are serialized by
//! a two-key advisory lock (the schema's output key, a hash of the id), so
//! numbering stays gapless and unique even when several tasks or nodes write
//! at once; appends to different executions do not wait for each other.

use runbox_domain::{ExecutionId, Timestamp};

use super::rows::{self, OUTPUT_COLUMNS};
use super::{fnv1a, unstorable, PgStore};
use crate::{OutputChunk, OutputStream, StoreError, StoreEvent};

impl PgStore {
    pub(super) async fn append(
        &self,
        id: &ExecutionId,
        chunks: &[(OutputStream, Vec<u8>)],
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(self.locks.output)
            .bind(fnv1a(id.as_str().as_bytes()) as i32)
            .execute(&mut *tx)
            .await?;
        let mut last: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(seq), 0) FROM execution_output WHERE execution_id = $1",
        )
        .bind(id.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if chunks.is_empty() {
            tx.rollback().await?;
            return Ok(last);
        }

        let mut seqs = Vec::with_capacity(chunks.len());
        let mut streams = Vec::with_capacity(chunks.len());
        let mut data = Vec::with_capacity(chunks.len());
        for (stream, bytes) in chunks {
            last += 1;
            seqs.push(last);
            streams.push(stream.as_str());
            data.push(bytes.as_slice());
        }
        // One statement for the whole batch.
        sqlx::query(
            "INSERT INTO execution_output (execution_id, seq, stream, data, at) \
             SELECT $1, c.seq, c.stream, c.data, $2 \
             FROM UNNEST($3::bigint[], $4::text[], $5::bytea[]) AS c (seq, stream, data)",
        )
        .bind(id.as_str())
        .bind(now.as_millis())
        .bind(&seqs)
        .bind(&streams)
        .bind(&data)
        .execute(&mut *tx)
        .await?;

        let delivery = self
            .announce(
                &mut tx,
                vec![StoreEvent::Output {
                    id: id.clone(),
                    seq: last,
                }],
            )
            .await?;
        tx.commit().await?;
        delivery.wait().await;
        Ok(last)
    }

    pub(super) async fn chunks_after(
        &self,
        id: &ExecutionId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutputChunk>, StoreError> {
        if unstorable(id.as_str()) {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {OUTPUT_COLUMNS} FROM execution_output \
             WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        );
        let found = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(after)
            .bind(rows::count(limit))
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::output_chunk).collect()
    }
}
