//! The cart function on AWS Lambda: `lambda_http` around [`omnicanal_cart::handle`], over the
//! DynamoDB SDK adapter. Everything but the conversion is built once per cold start.

#[tokio::main]
async fn main() -> Result<(), omnicanal_hosts::lambda::Error> {
    omnicanal_hosts::lambda::run(|request, env| async move { omnicanal_cart::handle(request, &env).await }).await
}
