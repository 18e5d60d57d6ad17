//! The platforms' rate limits are declared where devops deploy from: API Gateway throttling
//! in `template.yaml` (with parameters), and the Workers' rate-limit binding that the Workers
//! host reads, in `wrangler.toml`, for the functions anonymous callers write to.

fn file(name: &str) -> String {
    std::fs::read_to_string(format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))).expect(name)
}

#[test]
fn the_http_api_throttles_every_route_by_parameters() {
    let template = file("template.yaml");
    let lines: Vec<&str> = template.lines().map(str::trim).collect();
    for parameter in ["ThrottlingRateLimit:", "ThrottlingBurstLimit:"] {
        let at = lines.iter().position(|l| *l == parameter).unwrap_or_else(|| panic!("parameter {parameter}"));
        assert!(lines[at..at + 4].iter().any(|l| l.starts_with("Default: ")), "{parameter} has a default");
    }
    let settings = lines.iter().position(|l| *l == "DefaultRouteSettings:").expect("the Api's DefaultRouteSettings");
    assert_eq!(lines[settings + 1], "ThrottlingRateLimit: !Ref ThrottlingRateLimit");
    assert_eq!(lines[settings + 2], "ThrottlingBurstLimit: !Ref ThrottlingBurstLimit");
}

#[test]
fn the_workers_anonymous_callers_write_to_are_bound_to_a_limiter() {
    let wrangler = file("wrangler.toml");
    let lines: Vec<&str> = wrangler.lines().map(str::trim).collect();
    for function in ["cart", "stock", "orders"] {
        let table = format!("[[env.{function}.ratelimits]]");
        let at = lines.iter().position(|l| *l == table).unwrap_or_else(|| panic!("{table} in wrangler.toml"));
        let binding = format!("name = \"{}\"", omnicanal_pipeline::context::ANONYMOUS_WRITES_BINDING);
        assert_eq!(lines[at + 1], binding, "{function}'s binding is the one the host reads");
        assert!(lines[at + 3].starts_with("simple = { limit = "), "{function}: a simple limit");
    }
}
