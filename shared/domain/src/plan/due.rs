//! Walking a sweep's index: sparse GSI partitions `<prefix>#<shard>`, each sorted by the time
//! its entries fall due (`<epoch seconds, 12 digits>#…`), so a sweep reads only what is due.
//! The stock holds, the loyalty lots and the placed orders are swept this way.

use omnicanal_store::{AttributeValue, GSI1SK, Query, Store, StoreError};

/// One sweep index.
#[derive(Clone, Copy, Debug)]
pub struct DueIndex<'a> {
    /// The partitions' prefix (`HELD`, `LOYALTY_EXPIRY`, `ORDERS_DUE`).
    pub prefix: &'a str,
    /// How many shards it spreads over.
    pub shards: u32,
    /// The attribute of an entry naming what to sweep.
    pub id_attr: &'a str,
}

impl DueIndex<'_> {
    /// The partition an entry for `id` goes to: a stable hash of the id over the shards.
    pub fn partition(&self, id: &str) -> String {
        let hash = id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        format!("{}#{}", self.prefix, hash % self.shards)
    }

    /// The ids of up to `limit` entries whose sort key `is_due`, shard by shard, earliest
    /// first: one query per shard and page, stopping at the first entry not due yet.
    pub async fn due<S: Store>(
        &self,
        store: &S,
        is_due: impl Fn(&str) -> bool,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::new();
        for shard in 0..self.shards {
            let mut query = Query::gsi1(format!("{}#{shard}", self.prefix), 100);
            'pages: loop {
                let page = store.query(&query).await?;
                for item in &page.items {
                    let Some(AttributeValue::S(sort_key)) = item.get(GSI1SK) else { continue };
                    if !is_due(sort_key) {
                        break 'pages;
                    }
                    if let Some(AttributeValue::S(id)) = item.get(self.id_attr) {
                        ids.push(id.clone());
                    }
                    if ids.len() >= limit {
                        return Ok(ids);
                    }
                }
                match page.cursor {
                    Some(cursor) => query = query.after(Some(cursor)),
                    None => break,
                }
            }
        }
        Ok(ids)
    }
}
