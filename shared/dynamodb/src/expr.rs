//! The one rendering of the port's typed conditions, updates and key conditions into
//! DynamoDB expressions, with placeholder names and values. Both DynamoDB adapters send
//! exactly what this module produces.
//!
//! TTL: DynamoDB deletes expired items only eventually, and until then reads and conditions
//! still see them. The port says an expired item is absent, so every condition that looks at
//! an item is rendered against its *live* view: "exists" also needs `expires_at` not in the
//! past, "does not exist" also accepts an expired item. Queries filter expired items out.

use std::collections::HashMap;

use omnicanal_store::{
    AttributeValue, CompareOp, Condition, EXPIRES_AT, GSI1PK, GSI1SK, Index, Item, PK, Path, Query, SK, Update, num,
};

/// Placeholders for one request: `#n0` for names, `:v0` for values. Only placeholders that
/// an expression uses are created (DynamoDB refuses unused ones).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Placeholders {
    /// `ExpressionAttributeNames`.
    pub names: HashMap<String, String>,
    /// `ExpressionAttributeValues`.
    pub values: HashMap<String, AttributeValue>,
    by_attr: HashMap<String, String>,
    now: Option<String>,
    now_secs: i64,
}

impl Placeholders {
    /// Placeholders for a request made at `now_epoch_secs` (the TTL reference).
    pub fn new(now_epoch_secs: i64) -> Self {
        Self { now_secs: now_epoch_secs, ..Self::default() }
    }

    /// The placeholder for an attribute name (one per name).
    pub fn name(&mut self, attr: &str) -> String {
        if let Some(existing) = self.by_attr.get(attr) {
            return existing.clone();
        }
        let placeholder = format!("#n{}", self.by_attr.len());
        self.by_attr.insert(attr.to_owned(), placeholder.clone());
        self.names.insert(placeholder.clone(), attr.to_owned());
        placeholder
    }

    /// A document path: one name placeholder per segment, joined with dots (so a map key
    /// holding a dot stays one segment).
    pub fn path(&mut self, path: &Path) -> String {
        let parts: Vec<String> = path.segments().iter().map(|segment| self.name(segment)).collect();
        parts.join(".")
    }

    /// A new placeholder for a value.
    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn now(&mut self) -> String {
        if let Some(now) = &self.now {
            return now.clone();
        }
        let placeholder = self.value(num(self.now_secs));
        self.now = Some(placeholder.clone());
        placeholder
    }

    /// `ExpressionAttributeNames`, or `None` when empty (DynamoDB refuses an empty map).
    pub fn names_or_none(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// `ExpressionAttributeValues`, or `None` when empty.
    pub fn values_or_none(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    /// "The item has not expired": no `expires_at`, or one not below now.
    pub fn not_expired(&mut self) -> String {
        let attr = self.name(EXPIRES_AT);
        let now = self.now();
        format!("(attribute_not_exists({attr}) OR NOT {attr} < {now})")
    }

    /// "The item has expired".
    fn expired(&mut self) -> String {
        let attr = self.name(EXPIRES_AT);
        let now = self.now();
        format!("{attr} < {now}")
    }

    /// A `ConditionExpression` with the port's meaning (see the module docs on TTL).
    pub fn condition(&mut self, condition: &Condition) -> String {
        match condition {
            Condition::Exists => {
                let pk = self.name(PK);
                let live = self.not_expired();
                format!("(attribute_exists({pk}) AND {live})")
            }
            Condition::NotExists => {
                let pk = self.name(PK);
                let expired = self.expired();
                format!("(attribute_not_exists({pk}) OR {expired})")
            }
            Condition::AttributeExists(attr) => {
                let attr = self.path(attr);
                let live = self.not_expired();
                format!("(attribute_exists({attr}) AND {live})")
            }
            Condition::AttributeNotExists(attr) => {
                let attr = self.path(attr);
                let expired = self.expired();
                format!("(attribute_not_exists({attr}) OR {expired})")
            }
            Condition::Compare { attr, op, value } => {
                let attr = self.path(attr);
                let value = self.value(value.clone());
                if *op == CompareOp::Ne {
                    // A missing attribute, or an absent item, is "not equal" in the port.
                    let expired = self.expired();
                    format!("(attribute_not_exists({attr}) OR {attr} <> {value} OR {expired})")
                } else {
                    let live = self.not_expired();
                    format!("({attr} {} {value} AND {live})", operator(*op))
                }
            }
            Condition::Size { attr, op, value } => {
                // A missing attribute makes `size` false on DynamoDB; checking it first
                // keeps every compatible server from evaluating `size` of nothing.
                let attr = self.path(attr);
                let value = self.value(num(*value));
                let live = self.not_expired();
                format!("(attribute_exists({attr}) AND size({attr}) {} {value} AND {live})", operator(*op))
            }
            Condition::BeginsWith { attr, prefix } => {
                let attr = self.path(attr);
                let prefix = self.value(AttributeValue::S(prefix.clone()));
                let live = self.not_expired();
                format!("(begins_with({attr}, {prefix}) AND {live})")
            }
            Condition::And(all) if all.is_empty() => self.always(true),
            Condition::Or(any) if any.is_empty() => self.always(false),
            Condition::And(all) => self.join(all, " AND "),
            Condition::Or(any) => self.join(any, " OR "),
            Condition::Not(inner) => format!("(NOT {})", self.condition(inner)),
        }
    }

    fn join(&mut self, parts: &[Condition], separator: &str) -> String {
        let rendered: Vec<String> = parts.iter().map(|c| self.condition(c)).collect();
        format!("({})", rendered.join(separator))
    }

    /// A condition that always (or never) holds, for empty `And` / `Or`.
    fn always(&mut self, holds: bool) -> String {
        let pk = self.name(PK);
        if holds {
            format!("(attribute_exists({pk}) OR attribute_not_exists({pk}))")
        } else {
            format!("(attribute_exists({pk}) AND attribute_not_exists({pk}))")
        }
    }

    /// An `UpdateExpression`: `SET … ADD … REMOVE …`.
    pub fn update(&mut self, updates: &[Update]) -> String {
        let (mut set, mut add, mut remove) = (Vec::new(), Vec::new(), Vec::new());
        for update in updates {
            match update {
                Update::Set { attr, value } => {
                    let (attr, value) = (self.path(attr), self.value(value.clone()));
                    set.push(format!("{attr} = {value}"));
                }
                Update::SetIfNotExists { attr, value } => {
                    let (attr, value) = (self.path(attr), self.value(value.clone()));
                    set.push(format!("{attr} = if_not_exists({attr}, {value})"));
                }
                Update::Add { attr, delta } => {
                    let (attr, value) = (self.path(attr), self.value(num(*delta)));
                    add.push(format!("{attr} {value}"));
                }
                Update::Remove { attr } => remove.push(self.path(attr)),
            }
        }
        let mut clauses = Vec::new();
        for (keyword, parts) in [("SET", set), ("ADD", add), ("REMOVE", remove)] {
            if !parts.is_empty() {
                clauses.push(format!("{keyword} {}", parts.join(", ")));
            }
        }
        clauses.join(" ")
    }

    /// A `KeyConditionExpression` for a query of the table or the GSI.
    pub fn key_condition(&mut self, query: &Query) -> String {
        let (pk_attr, sk_attr) = match query.index {
            Index::Table => (PK, SK),
            Index::Gsi1 => (GSI1PK, GSI1SK),
        };
        let pk = self.name(pk_attr);
        let partition = self.value(AttributeValue::S(query.pk.clone()));
        match &query.sk_prefix {
            Some(prefix) if !prefix.is_empty() => {
                let sk = self.name(sk_attr);
                let prefix = self.value(AttributeValue::S(prefix.clone()));
                format!("{pk} = {partition} AND begins_with({sk}, {prefix})")
            }
            _ => format!("{pk} = {partition}"),
        }
    }
}

fn operator(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "<>",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
    }
}

/// The key attributes of an item as DynamoDB wants them in `Key`.
pub fn key_item(key: &omnicanal_store::Key) -> Item {
    Item::from([(PK.to_owned(), AttributeValue::S(key.pk.clone())), (SK.to_owned(), AttributeValue::S(key.sk.clone()))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnicanal_store::s;

    #[test]
    fn conditions_carry_the_ttl_view() {
        let mut p = Placeholders::new(100);
        let rendered = p.condition(&Condition::NotExists);
        assert_eq!(rendered, "(attribute_not_exists(#n0) OR #n1 < :v0)");
        assert_eq!(p.names.get("#n0").map(String::as_str), Some("pk"));
        assert_eq!(p.names.get("#n1").map(String::as_str), Some("expires_at"));
        assert_eq!(p.values.get(":v0"), Some(&num(100)));

        let mut p = Placeholders::new(100);
        let rendered = p.condition(&Condition::And(vec![
            Condition::version_equals(3),
            Condition::compare("state", CompareOp::Ne, s("closed")),
        ]));
        assert_eq!(
            rendered,
            "((#n0 = :v0 AND (attribute_not_exists(#n1) OR NOT #n1 < :v1)) AND \
             (attribute_not_exists(#n2) OR #n2 <> :v2 OR #n1 < :v1))"
        );
        assert_eq!(p.values.len(), 3, "now is one placeholder however often it is used");
    }

    #[test]
    fn updates_group_clauses() {
        let mut p = Placeholders::new(0);
        let rendered = p.update(&[
            Update::add("qty", -2),
            Update::set("name", s("Mug")),
            Update::remove("old"),
            Update::SetIfNotExists { attr: "created".into(), value: s("t") },
        ]);
        assert_eq!(rendered, "SET #n1 = :v1, #n3 = if_not_exists(#n3, :v2) ADD #n0 :v0 REMOVE #n2");
        assert_eq!(p.values.get(":v0"), Some(&num(-2)));
    }

    #[test]
    fn document_paths_use_a_placeholder_per_segment() {
        let mut p = Placeholders::new(0);
        let line = Path::attr("lines").key("A.1");
        let rendered = p.update(&[Update::set(line.clone(), num(1)), Update::remove(Path::attr("removed").key("A.1"))]);
        assert_eq!(rendered, "SET #n0.#n1 = :v0 REMOVE #n2.#n1");
        assert_eq!(p.names.get("#n1").map(String::as_str), Some("A.1"), "a dotted key stays one name");
        let size = p.condition(&Condition::Size { attr: Path::attr("lines"), op: CompareOp::Lt, value: 100 });
        assert_eq!(
            size,
            "(attribute_exists(#n0) AND size(#n0) < :v1 AND (attribute_not_exists(#n3) OR NOT #n3 < :v2))"
        );
    }

    #[test]
    fn key_conditions_name_the_index_keys() {
        let mut p = Placeholders::new(0);
        let rendered = p.key_condition(&Query::gsi1("OWNER#1", 10).with_prefix("CART#"));
        assert_eq!(rendered, "#n0 = :v0 AND begins_with(#n1, :v1)");
        assert_eq!(p.names.get("#n1").map(String::as_str), Some("gsi1sk"));
        assert!(p.names_or_none().is_some());
        assert!(Placeholders::new(0).values_or_none().is_none());
    }
}
