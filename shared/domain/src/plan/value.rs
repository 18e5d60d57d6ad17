//! Plans as values: what to read and, given what was read, what to write with its
//! conditions. A plan touches no store, so a test checks its decision from items it builds,
//! and several domains' plans join into one transaction ([`Joined`]).

use omnicanal_store::{Key, MAX_BATCH_GET_KEYS, Store, StoreError};

use super::{Contended, Reads, Step, run};

/// One change a domain knows how to make.
pub trait Plan {
    /// The answer once the change applied (or needed no write).
    type Answer;
    /// Why the domain refuses the change (its own error, mapped to HTTP elsewhere).
    type Refusal;

    /// The keys the decision needs, read together in one batch.
    fn reads(&self) -> Vec<Key>;

    /// Decides on what was read: an answer without writes, or the writes (each conditioned
    /// on what was read) and the answer once they apply.
    fn decide(&self, read: &Reads) -> Result<Step<Self::Answer>, Self::Refusal>;

    /// This plan and `other` as one: their reads in one batch, their writes in one
    /// transaction that applies entirely or not at all.
    fn join<P: Plan>(self, other: P) -> Joined<Self, P>
    where
        Self: Sized,
    {
        Joined(self, other)
    }
}

/// Two plans made one ([`Plan::join`]). Its refusal is the first part's refusal type; the
/// second part's refusal converts into it.
#[derive(Clone, Debug)]
pub struct Joined<A, B>(pub A, pub B);

impl<A, B> Plan for Joined<A, B>
where
    A: Plan,
    B: Plan,
    B::Refusal: Into<A::Refusal>,
{
    type Answer = (A::Answer, B::Answer);
    type Refusal = A::Refusal;

    fn reads(&self) -> Vec<Key> {
        let mut keys = self.0.reads();
        for key in self.1.reads() {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    fn decide(&self, read: &Reads) -> Result<Step<Self::Answer>, Self::Refusal> {
        let first = self.0.decide(read)?;
        let second = self.1.decide(read).map_err(Into::into)?;
        Ok(first.and(second))
    }
}

impl<T> Step<T> {
    /// Both decisions as one: writes of both in one transaction, both answers; nothing to
    /// write only when neither writes; when either must clear its way first, only that.
    pub fn and<U>(self, other: Step<U>) -> Step<(T, U)> {
        match (self, other) {
            (Step::Clear(mut ops), Step::Clear(more)) => {
                ops.extend(more);
                Step::Clear(ops)
            }
            (Step::Clear(ops), _) | (_, Step::Clear(ops)) => Step::Clear(ops),
            (Step::Done(a), Step::Done(b)) => Step::Done((a, b)),
            (Step::Done(a), Step::Write { ops, then }) => Step::Write { ops, then: (a, then) },
            (Step::Write { ops, then }, Step::Done(b)) => Step::Write { ops, then: (then, b) },
            (Step::Write { mut ops, then: a }, Step::Write { ops: more, then: b }) => {
                ops.extend(more);
                Step::Write { ops, then: (a, b) }
            }
        }
    }

    /// The same decision with its answer changed.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Step<U> {
        match self {
            Step::Done(a) => Step::Done(f(a)),
            Step::Write { ops, then } => Step::Write { ops, then: f(then) },
            Step::Clear(ops) => Step::Clear(ops),
        }
    }
}

/// Runs `plan` against `store`: its keys in batch reads of up to 100 (one round trip for
/// most plans), its decision, one transaction; again from a fresh read when another writer
/// got there first ([`run`]).
pub async fn execute<S, P, E>(store: &S, attempts: u32, plan: &P) -> Result<P::Answer, E>
where
    S: Store,
    P: Plan,
    E: From<StoreError> + From<Contended> + From<P::Refusal>,
{
    let keys = plan.reads();
    let keys = &keys;
    run(store, attempts, |_| async move { Ok(plan.decide(&read(store, keys).await?)?) }).await
}

/// Reads `keys` in batch reads of up to 100: ⌈k/100⌉ requests, issued together, so one
/// sequential round trip however many keys.
pub async fn read<S: Store>(store: &S, keys: &[Key]) -> Result<Reads, StoreError> {
    let chunks = keys.chunks(MAX_BATCH_GET_KEYS).map(|chunk| store.batch_get(chunk));
    let found = futures::future::try_join_all(chunks).await?.into_iter().flatten().collect();
    Ok(Reads::from_batch(keys, found))
}
