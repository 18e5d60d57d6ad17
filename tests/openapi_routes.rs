//! `docs/openapi.yaml` documents exactly the routes the functions answer: every path and
//! method of the route tables is in the document, and the document has no path or method
//! that no function answers. (The check reads the document's `paths:` section line by line;
//! `&anchor` / `*alias` path items are followed.)

use std::collections::{BTreeMap, BTreeSet};

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// `(path, METHOD)` of every operation in the document.
fn documented() -> BTreeSet<(String, String)> {
    let document =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.yaml")).expect("docs/openapi.yaml");
    let mut anchors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut paths: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<(String, Option<String>)> = None;
    for line in document.lines().skip_while(|line| *line != "paths:").skip(1) {
        if !line.is_empty() && !line.starts_with(' ') {
            break; // the next top-level key
        }
        if let Some(rest) = line.strip_prefix("  /") {
            let (path, value) = rest.split_once(':').expect("a path item");
            let path = format!("/{path}");
            let value = value.trim();
            if let Some(alias) = value.strip_prefix('*') {
                paths.insert(path, anchors.get(alias).cloned().expect("an alias of an earlier anchor"));
                current = None;
            } else {
                paths.insert(path.clone(), Vec::new());
                current = Some((path, value.strip_prefix('&').map(str::to_owned)));
            }
        } else if let (Some((path, anchor)), Some(method)) = (&current, line.strip_prefix("    "))
            && let Some(method) = method.strip_suffix(':').filter(|m| METHODS.contains(m))
        {
            paths.get_mut(path).expect("the current path").push(method.to_uppercase());
            if let Some(anchor) = anchor {
                anchors.entry(anchor.clone()).or_default().push(method.to_uppercase());
            }
        }
    }
    paths.into_iter().flat_map(|(path, methods)| methods.into_iter().map(move |m| (path.clone(), m))).collect()
}

/// `(path, METHOD)` of every route the five functions answer.
fn routed() -> BTreeSet<(String, String)> {
    [
        omnicanal_cart::operations(),
        omnicanal_stock::operations(),
        omnicanal_offers::operations(),
        omnicanal_loyalty::operations(),
        omnicanal_orders::operations(),
    ]
    .into_iter()
    .flatten()
    .map(|(path, method)| (path.clone(), method.as_str().to_owned()))
    .collect()
}

#[test]
fn every_route_is_documented_and_every_documented_operation_is_routed() {
    let documented = documented();
    let routed = routed();
    assert!(routed.len() > 20, "the route tables were read: {routed:?}");
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty(), "routes missing from docs/openapi.yaml: {undocumented:?}");
    assert!(unrouted.is_empty(), "docs/openapi.yaml documents operations no function answers: {unrouted:?}");
}
