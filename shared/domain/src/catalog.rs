//! Product records: written by the stock function, read by offers (prices, categories) and
//! loyalty from the same table, so their mapping lives here, once.
//!
//! | access pattern | key | cost |
//! |---|---|---|
//! | one product by SKU | `pk = SKU#<sku>`, `sk = PRODUCT` | 1 read |
//! | many products (cart pricing) | batch get of the keys above | 1 batch read per 100 SKUs |
//! | put a product | same key | 1 conditional write (create) or 2 (replace) |

use crate::keys::part;
use serde::{Deserialize, Serialize};

use crate::values::{Money, Sku};
use omnicanal_store::{Item, Key, StoreError};

/// The sort key of a product record.
pub const PRODUCT_SK: &str = "PRODUCT";

/// The table key of the product record of `sku`.
pub fn product_key(sku: &Sku) -> Key {
    Key::new(format!("SKU#{}", part(sku.as_str())), PRODUCT_SK)
}

/// A product as the catalog knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// SKU.
    pub sku: Sku,
    /// Display name.
    pub name: String,
    /// Category, used by offers and affinity.
    pub category: String,
    /// Unit price.
    pub price: Money,
    /// Units kept back at every location.
    pub safety_stock: u32,
    /// A location whose on-hand count is at or under this needs reordering.
    pub reorder_point: u32,
    /// Last change, RFC 3339.
    pub updated_at: String,
}

/// The stored form: the product plus its key attributes.
#[derive(Serialize, Deserialize)]
struct ProductItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    product: Product,
}

impl Product {
    /// The item to store.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let key = product_key(&self.sku);
        let stored = ProductItem { pk: key.pk, sk: key.sk, product: self.clone() };
        serde_dynamo::to_item(stored).map_err(|e| StoreError::Invalid(format!("product mapping: {e}")))
    }

    /// The product in a stored item.
    pub fn from_item(item: Item) -> Result<Self, StoreError> {
        serde_dynamo::from_item::<_, ProductItem>(item)
            .map(|stored| stored.product)
            .map_err(|e| StoreError::because("corrupt product record", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::Currency;
    use omnicanal_store::AttributeValue;

    #[test]
    fn maps_to_and_from_an_item() {
        let product = Product {
            sku: Sku::parse("SHOE-1").expect("sku"),
            name: "Trail shoe".into(),
            category: "shoes".into(),
            price: Money { amount: 8999, currency: Currency::parse("EUR").expect("currency") },
            safety_stock: 2,
            reorder_point: 5,
            updated_at: "2026-11-22T10:00:00Z".into(),
        };
        let item = product.to_item().expect("maps");
        assert_eq!(item.get("pk"), Some(&AttributeValue::S("SKU#SHOE-1".into())));
        assert_eq!(item.get("sk"), Some(&AttributeValue::S("PRODUCT".into())));
        assert_eq!(Product::from_item(item).expect("reads back"), product);
    }
}
