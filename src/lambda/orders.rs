//! The orders function on AWS Lambda: `lambda_http` around [`omnicanal_orders::handle`], over the
//! DynamoDB SDK adapter. Everything but the conversion is built once per cold start.
// The handler future nests the pipeline, the route and the read-decide-write loop of
// omnicanal_domain::plan; computing its layout takes more than the default 128 levels of
// the compiler's query depth.
#![recursion_limit = "256"]

#[tokio::main]
async fn main() -> Result<(), omnicanal_hosts::lambda::Error> {
    omnicanal_hosts::lambda::run(|request, env| async move { omnicanal_orders::handle(request, &env).await }).await
}
