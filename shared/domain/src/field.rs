//! Field errors: what a domain check says about one field of a command, so a 422 can name
//! every field at fault. The pipeline turns a list of them into problem JSON.

use serde::Serialize;

/// One problem with one field of the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Path of the field, e.g. `lines[2].qty` (empty for the whole body).
    pub field: String,
    /// What is wrong, for humans.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}
