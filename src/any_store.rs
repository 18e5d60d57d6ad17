//! The local server picks its Store adapter at start-up (`OMNICANAL_STORE`); this enum lets
//! the handlers stay generic over one concrete type, so their futures stay `Send`.

use omnicanal_dynamodb::sdk::SdkStore;
use omnicanal_pipeline::config::{Config, StoreKind};
use omnicanal_platform::clock::SharedClock;
use omnicanal_store::embedded::EmbeddedStore;
use omnicanal_store::memory::MemoryStore;
use omnicanal_store::{Condition, Item, Key, Page, Query, Store, StoreError, Update, Updated, WriteOp};

/// Opens the store `OMNICANAL_STORE` names.
pub(crate) async fn open(config: &Config, clock: SharedClock) -> Result<AnyStore, String> {
    Ok(match config.store {
        StoreKind::Embedded => {
            AnyStore::Embedded(EmbeddedStore::open(&config.data_dir, clock).map_err(|e| e.to_string())?)
        }
        StoreKind::Memory => AnyStore::Memory(MemoryStore::new(clock)),
        StoreKind::DynamoDb => {
            AnyStore::Dynamo(SdkStore::connect(&config.table, config.dynamodb_endpoint.as_deref(), clock).await)
        }
    })
}

/// One of the adapters the local server can use.
#[derive(Clone)]
pub(crate) enum AnyStore {
    /// The durable file-backed store.
    Embedded(EmbeddedStore),
    /// In memory.
    Memory(MemoryStore),
    /// A DynamoDB table through the AWS SDK.
    Dynamo(SdkStore),
}

impl Store for AnyStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        match self {
            Self::Embedded(store) => store.get(key).await,
            Self::Memory(store) => store.get(key).await,
            Self::Dynamo(store) => store.get(key).await,
        }
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        match self {
            Self::Embedded(store) => store.batch_get(keys).await,
            Self::Memory(store) => store.batch_get(keys).await,
            Self::Dynamo(store) => store.batch_get(keys).await,
        }
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        match self {
            Self::Embedded(store) => store.query(query).await,
            Self::Memory(store) => store.query(query).await,
            Self::Dynamo(store) => store.query(query).await,
        }
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        match self {
            Self::Embedded(store) => store.transact(ops).await,
            Self::Memory(store) => store.transact(ops).await,
            Self::Dynamo(store) => store.transact(ops).await,
        }
    }

    async fn update_returning(
        &self,
        key: &Key,
        updates: Vec<Update>,
        condition: Condition,
    ) -> Result<Updated, StoreError> {
        match self {
            Self::Embedded(store) => store.update_returning(key, updates, condition).await,
            Self::Memory(store) => store.update_returning(key, updates, condition).await,
            Self::Dynamo(store) => store.update_returning(key, updates, condition).await,
        }
    }

    async fn replace(&self, item: Item) -> Result<Option<Item>, StoreError> {
        match self {
            Self::Embedded(store) => store.replace(item).await,
            Self::Memory(store) => store.replace(item).await,
            Self::Dynamo(store) => store.replace(item).await,
        }
    }

    async fn pause(&self, duration: std::time::Duration) {
        match self {
            Self::Embedded(store) => store.pause(duration).await,
            Self::Memory(store) => store.pause(duration).await,
            Self::Dynamo(store) => store.pause(duration).await,
        }
    }
}
