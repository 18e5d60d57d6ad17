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

/// A decision over an account and the markers read with it (what [`AccountChange`] runs).
pub trait DecideOn<T, E>: Fn(&mut Account, &[Option<&Item>]) -> Result<Decision<T>, E> {}
impl<T, E, F: Fn(&mut Account, &[Option<&Item>]) -> Result<Decision<T>, E>> DecideOn<T, E> for F {}

/// Two changes to one account as one: the second decides on the account as the first left
/// it, and both write in a single account write (a transaction may touch an item only once).
/// Cancelling a confirmed order both reverses what it earned and restores what it spent.
pub fn together<A, B, T, U, E>(
    first: AccountChange<A>,
    second: AccountChange<B>,
) -> AccountChange<impl DecideOn<(T, U), E>>
where
    A: DecideOn<T, E>,
    B: DecideOn<U, E>,
{
    let split = first.markers.len();
    let mut markers = first.markers;
    markers.extend(second.markers);
    let (a, b) = (first.decide, second.decide);
    AccountChange {
        customer_id: first.customer_id,
        markers,
        now: first.now,
        decide: move |account: &mut Account, found: &[Option<&Item>]| {
            let (mine, theirs) = found.split_at(split.min(found.len()));
            Ok(match (a(account, mine)?, b(account, theirs)?) {
                (Decision::Answer(x), Decision::Answer(y)) => Decision::Answer((x, y)),
                (Decision::Answer(x), Decision::Write { entries, markers, answer })
                | (Decision::Write { entries, markers, answer: x }, Decision::Answer(answer)) => {
                    // Whichever of the two wrote: its entries and markers, both answers.
                    Decision::Write { entries, markers, answer: (x, answer) }
                }
                (
                    Decision::Write { mut entries, mut markers, answer: x },
                    Decision::Write { entries: more, markers: more_markers, answer: y },
                ) => {
                    entries.extend(more);
                    markers.extend(more_markers);
                    Decision::Write { entries, markers, answer: (x, y) }
                }
            })
        },
    }
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
