//! `template.yaml` declares the same table `omnicanal table create` builds: key attributes,
//! key schema, GSI, projection, billing and TTL all come from one definition in
//! `omnicanal_dynamodb::table`.

use omnicanal_dynamodb::table::{create_table_request, enable_ttl_request};

/// The `Table` resource's lines, trimmed, from `template.yaml`.
fn table_resource() -> Vec<String> {
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml")).expect("template.yaml");
    let mut lines = template.lines().skip_while(|line| line.trim() != "Table:");
    let header = lines.next().expect("a `Table:` resource");
    let indent = header.len() - header.trim_start().len();
    lines
        .take_while(|line| line.trim().is_empty() || line.len() - line.trim_start().len() > indent)
        .map(|line| line.trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

/// Whether `wanted` appears as consecutive lines.
fn has_block(lines: &[String], wanted: &[String]) -> bool {
    lines.windows(wanted.len()).any(|window| window == wanted)
}

#[test]
fn template_declares_the_table_the_code_creates() {
    let lines = table_resource();
    let request = create_table_request("omnicanal");
    for attribute in request["AttributeDefinitions"].as_array().expect("attributes") {
        let block = [
            format!("- AttributeName: {}", attribute["AttributeName"].as_str().expect("name")),
            format!("AttributeType: {}", attribute["AttributeType"].as_str().expect("type")),
        ];
        assert!(has_block(&lines, &block), "template.yaml lacks {block:?}");
    }
    let schema = |keys: &serde_json::Value| -> Vec<String> {
        keys.as_array()
            .expect("key schema")
            .iter()
            .flat_map(|k| {
                [
                    format!("- AttributeName: {}", k["AttributeName"].as_str().expect("name")),
                    format!("KeyType: {}", k["KeyType"].as_str().expect("type")),
                ]
            })
            .collect()
    };
    let table_keys = [vec!["KeySchema:".to_owned()], schema(&request["KeySchema"])].concat();
    assert!(has_block(&lines, &table_keys), "table key schema: {table_keys:?}");
    let gsi = &request["GlobalSecondaryIndexes"][0];
    let gsi_block = [
        vec![format!("- IndexName: {}", gsi["IndexName"].as_str().expect("index")), "KeySchema:".to_owned()],
        schema(&gsi["KeySchema"]),
        vec![
            "Projection:".to_owned(),
            format!("ProjectionType: {}", gsi["Projection"]["ProjectionType"].as_str().expect("p")),
        ],
    ]
    .concat();
    assert!(has_block(&lines, &gsi_block), "GSI: {gsi_block:?}");
    assert!(lines.contains(&format!("BillingMode: {}", request["BillingMode"].as_str().expect("billing"))));
    let ttl = &enable_ttl_request("omnicanal")["TimeToLiveSpecification"];
    let ttl_block = [
        "TimeToLiveSpecification:".to_owned(),
        format!("AttributeName: {}", ttl["AttributeName"].as_str().expect("ttl")),
        "Enabled: true".to_owned(),
    ];
    assert!(has_block(&lines, &ttl_block), "TTL: {ttl_block:?}");
}
