//! The shape of every change to an account, as a plan: read the account and some markers in
//! one batch, change the account in memory, and write the account (conditioned on the
//! version read), its new ledger entries and the markers (each only if absent) in one
//! transaction. The balance thus moves only with its entries, and a marker makes a change
//! happen once.

use omnicanal_store::{Item, Key, StoreError};

use crate::customer::loyalty_account_key;
use crate::loyalty::account::{Account, Entry};
use crate::loyalty::records::{Marker, account_from, change};
use crate::plan::{Plan, Reads, Step};

/// What a change decided after reading.
#[derive(Debug)]
pub enum Decision<T> {
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

/// A change to `customer_id`'s account: `decide` sees the account (a new one when there is
/// none) and the `markers` as read (in their order), and changes the account in place.
pub struct AccountChange<D> {
    /// Whose account.
    pub customer_id: String,
    /// Markers read along with the account.
    pub markers: Vec<Key>,
    /// The time the entries are written at.
    pub now: time::OffsetDateTime,
    /// The decision.
    pub decide: D,
}

impl<T, E, D> Plan for AccountChange<D>
where
    D: Fn(&mut Account, &[Option<&Item>]) -> Result<Decision<T>, E>,
    E: From<StoreError>,
{
    type Answer = T;
    type Refusal = E;

    fn reads(&self) -> Vec<Key> {
        let mut keys = vec![loyalty_account_key(&self.customer_id)];
        keys.extend(self.markers.iter().cloned());
        keys
    }

    fn decide(&self, read: &Reads) -> Result<Step<T>, E> {
        let stored = read.get(&loyalty_account_key(&self.customer_id)).cloned().map(account_from).transpose()?;
        // The version a write must find: the one read, or none when there was no account.
        let read_version = stored.as_ref().map(|account| account.version);
        let mut account = stored.unwrap_or_default();
        let found: Vec<Option<&Item>> = self.markers.iter().map(|key| read.get(key)).collect();
        match (self.decide)(&mut account, &found)? {
            Decision::Answer(answer) => Ok(Step::Done(answer)),
            Decision::Write { entries, markers, answer } => {
                account.version = read_version.unwrap_or(0) + 1;
                let (ops, _) = change(&self.customer_id, &account, read_version, &entries, markers, self.now)?;
                Ok(Step::Write { ops, then: answer })
            }
        }
    }
}
