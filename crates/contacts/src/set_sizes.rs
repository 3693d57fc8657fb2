//! Upkeep of `contact_set_sizes`, the sizes of the sets of contacts that segments are
//! counted from (kept by triggers; see their migration).
//!
//! On PostgreSQL each statement appends its change to a set as a row of its own, so the
//! rows of a busy set pile up; folding them into one row per value keeps a count's read
//! short. Rows appended while this runs are left for next time, so nothing is lost to a
//! write in between. SQLite updates its one row per value in place and only needs the
//! values no contact holds any more removed.

use msgbuddy_core::{Db, Result};

/// Folds the sizes' rows: how many values it folded (PostgreSQL) or removed (SQLite).
pub async fn compact(db: &Db) -> Result<u64> {
    let mut tx = db.begin_write().await?;
    let postgres = tx.backend_name() == "PostgreSQL";
    let touched = if postgres {
        let done = sqlx::query(
            "WITH folded AS ( \
                 SELECT set_id, value_text, value_number FROM contact_set_sizes \
                 GROUP BY set_id, value_text, value_number HAVING COUNT(*) > 1 OR SUM(n) = 0 \
             ), gone AS ( \
                 DELETE FROM contact_set_sizes s USING folded f \
                 WHERE s.set_id = f.set_id AND s.value_text = f.value_text \
                     AND s.value_number = f.value_number \
                 RETURNING s.set_id, s.value_text, s.value_number, s.n \
             ) \
             INSERT INTO contact_set_sizes (set_id, value_text, value_number, n) \
             SELECT set_id, value_text, value_number, SUM(n) FROM gone \
             GROUP BY set_id, value_text, value_number HAVING SUM(n) <> 0 \
             RETURNING 1",
        )
        .fetch_all(&mut *tx)
        .await?;
        done.len() as u64
    } else {
        sqlx::query("DELETE FROM contact_set_sizes WHERE n = 0")
            .execute(&mut *tx)
            .await?
            .rows_affected()
    };
    tx.commit().await?;
    Ok(touched)
}
