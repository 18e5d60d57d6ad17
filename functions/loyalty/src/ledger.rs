//! The shared shape of every loyalty change: read the account (and markers), change it in
//! memory, write account, entries and markers in one transaction, retry a lost race.

use omnicanal_domain::customer::loyalty_account_key;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Call;
use std::sync::{Mutex, PoisonError};

use omnicanal_domain::plan::{self, Step};
use omnicanal_store::{Item, Key, Store};

use omnicanal_domain::loyalty::account::{Account, Entry};
use omnicanal_domain::loyalty::records::{Marker, account_from, change};

/// Attempts before giving up under contention.
pub(crate) const MAX_ATTEMPTS: u32 = 32;

/// What a change decided after reading.
pub(crate) enum Decision<T> {
    /// Answer this without writing (a replay, or nothing to do).
    Answer(T),
    /// Write these entries and markers, then answer.
    Write {
        /// New ledger entries.
        entries: Vec<Entry>,
        /// Markers put only if absent.
        markers: Vec<Marker>,
        /// The answer after a successful write.
        answer: T,
    },
}

/// Reads the account and `extra` keys in one batch, lets `decide` change the account, and
/// writes the outcome in one transaction; repeats from a fresh read when another writer won
/// (`omnicanal_domain::plan`).
pub(crate) async fn run<S, T, F>(call: &Call<'_, S>, customer: &str, extra: &[Key], decide: F) -> Result<T, ApiError>
where
    S: Store,
    F: FnMut(&mut Account, &[Option<Item>]) -> Result<Decision<T>, ApiError>,
{
    let mut keys = vec![loyalty_account_key(customer)];
    keys.extend_from_slice(extra);
    let (keys, store, now) = (&keys, &call.env.store, call.now());
    // Called between the attempt's read and its write, never across an await.
    let decide = &Mutex::new(decide);
    plan::run(store, MAX_ATTEMPTS, |_| async move {
        let mut found = store.batch_get(keys).await?;
        let stored = found.remove(0);
        let read_version = stored.as_ref().map(|_| ());
        let mut account = stored.map(account_from).transpose()?.unwrap_or_default();
        let version = read_version.map(|()| account.version);
        let decision = (decide.lock().unwrap_or_else(PoisonError::into_inner))(&mut account, &found)?;
        match decision {
            Decision::Answer(answer) => Ok(Step::Done(answer)),
            Decision::Write { entries, markers, answer } => {
                account.version = version.unwrap_or(0) + 1;
                let (ops, _) = change(customer, &account, version, &entries, markers, now)?;
                Ok(Step::Write { ops, then: answer })
            }
        }
    })
    .await
}
