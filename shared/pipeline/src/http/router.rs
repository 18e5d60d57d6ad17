//! Routing: a path table per function, matched with `matchit` (the router under axum).
//!
//! A function crate lists its paths once, each with the methods it answers and a route value
//! (usually a small `enum`); the pipeline turns a miss into `404 route_not_found` and a known
//! path with another method into `405` with `Allow`. Every table also gets
//! `GET <prefix>/health`, answered by the pipeline itself.

use http::Method;
use percent_encoding::percent_decode_str;

use crate::error::{ApiError, FieldError};

/// A function's routes: path patterns (`/cart/carts/{cart_id}`) to methods to route values.
#[derive(Debug)]
pub struct Routes<R> {
    router: matchit::Router<Vec<(Method, Target<R>)>>,
    operations: Vec<(String, Method)>,
}

/// What a path and method lead to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<R> {
    /// `GET <prefix>/health`.
    Health,
    /// One of the function's routes.
    Route(R),
}

/// Path parameters of a matched route, percent-decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The value of parameter `name`, if the route has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl<R: Copy> Routes<R> {
    /// Builds the table. Fails on a malformed or conflicting pattern (a programming error,
    /// caught by each function's tests).
    pub fn new(prefix: &str, table: &[(&str, &[(Method, R)])]) -> Result<Self, matchit::InsertError> {
        let mut router = matchit::Router::new();
        let health = format!("{prefix}/health");
        router.insert(health.clone(), vec![(Method::GET, Target::Health)])?;
        let mut operations = vec![(health, Method::GET)];
        for (pattern, methods) in table {
            let targets = methods.iter().map(|(m, r)| (m.clone(), Target::Route(*r))).collect();
            router.insert(*pattern, targets)?;
            operations.extend(methods.iter().map(|(method, _)| ((*pattern).to_owned(), method.clone())));
        }
        Ok(Self { router, operations })
    }

    /// A table with no routes at all, not even health.
    pub fn empty() -> Self {
        Self { router: matchit::Router::new(), operations: Vec::new() }
    }

    /// Every path pattern and method the table answers, health included, in table order
    /// (the OpenAPI document is checked against them).
    pub fn operations(&self) -> &[(String, Method)] {
        &self.operations
    }

    /// The route for `method` and `path`, with its parameters.
    pub fn find(&self, method: &Method, path: &str) -> Result<(Target<R>, Params), ApiError> {
        let matched = self.router.at(path).map_err(|_| ApiError::RouteNotFound(truncate(path)))?;
        let Some((_, route)) = matched.value.iter().find(|(m, _)| m == method) else {
            return Err(ApiError::MethodNotAllowed {
                method: method.to_string(),
                allow: matched.value.iter().map(|(m, _)| m.clone()).collect(),
            });
        };
        let mut params = Vec::new();
        for (name, raw) in matched.params.iter() {
            let value = percent_decode_str(raw).decode_utf8().map_err(|_| ApiError::BadRequest {
                code: "invalid_path",
                detail: format!("path parameter `{name}` is not UTF-8"),
                errors: vec![FieldError::new(name, "not valid percent-encoded UTF-8")],
            })?;
            params.push((name.to_owned(), value.into_owned()));
        }
        Ok((*route, Params(params)))
    }
}

fn truncate(path: &str) -> String {
    path.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum R {
        Line,
    }

    fn routes() -> Routes<R> {
        Routes::new(
            "/cart",
            &[("/cart/carts/{cart_id}/lines/{sku}", &[(Method::PUT, R::Line), (Method::DELETE, R::Line)])],
        )
        .expect("valid table")
    }

    #[test]
    fn matches_and_decodes_params() {
        let (route, params) = routes().find(&Method::PUT, "/cart/carts/c1/lines/SKU%201").expect("match");
        assert_eq!(route, Target::Route(R::Line));
        assert_eq!(params.get("cart_id"), Some("c1"));
        assert_eq!(params.get("sku"), Some("SKU 1"));
        assert_eq!(routes().find(&Method::GET, "/cart/health").map(|r| r.0).ok(), Some(Target::Health));
    }

    #[test]
    fn misses_are_404_and_wrong_methods_405() {
        let err = routes().find(&Method::GET, "/cart/nothing").expect_err("no route");
        assert_eq!(err.status(), 404);
        let err = routes().find(&Method::POST, "/cart/carts/c1/lines/A").expect_err("wrong method");
        assert_eq!(err.status(), 405);
        match err {
            ApiError::MethodNotAllowed { allow, .. } => assert_eq!(allow, vec![Method::PUT, Method::DELETE]),
            other => panic!("unexpected {other:?}"),
        }
    }
}
