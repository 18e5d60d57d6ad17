//! DynamoDB's errors, classified once for both adapters: what the port reports, and what is
//! worth another attempt. Retries wait by the platform's jittered exponential [`Backoff`], a
//! bounded number of times.

use std::time::Duration;

use omnicanal_platform::backoff::Backoff;

use omnicanal_store::StoreError;

/// Attempts per call, the first included.
pub const MAX_ATTEMPTS: u32 = 6;

/// Why a call may succeed if tried again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transient {
    /// Another transaction touched the same items.
    Conflict,
    /// Capacity or request-rate limits.
    Throttled,
    /// A 5xx, a timeout, a dropped connection.
    Unavailable,
}

impl Transient {
    /// What the port reports when retries ran out.
    pub fn exhausted(self, detail: &str) -> StoreError {
        match self {
            Self::Conflict => StoreError::Conflict,
            Self::Throttled => StoreError::Throttled { retry_after_secs: 1 },
            Self::Unavailable => StoreError::unavailable(detail),
        }
    }
}

/// How a failed call ends.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Try again after a backoff.
    Retry(Transient, String),
    /// Report this.
    Fail(StoreError),
}

/// Classifies an error by its DynamoDB code (`__type` without the namespace, or the SDK's
/// error code), its message, and for `TransactionCanceledException` the reason code of each
/// action (`"None"` for the ones that were fine).
pub fn classify(code: &str, message: &str, reasons: &[String]) -> Failure {
    let detail = format!("{code}: {message}");
    match code {
        "ConditionalCheckFailedException" => Failure::Fail(StoreError::ConditionFailed { failed: vec![0] }),
        "TransactionCanceledException" => cancelled(reasons, detail),
        "TransactionConflictException" | "TransactionInProgressException" => {
            Failure::Retry(Transient::Conflict, detail)
        }
        "ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded" => {
            Failure::Retry(Transient::Throttled, detail)
        }
        "InternalServerError" | "ServiceUnavailable" | "InternalFailure" => {
            Failure::Retry(Transient::Unavailable, detail)
        }
        "ValidationException" | "SerializationException" | "ItemCollectionSizeLimitExceededException" => {
            Failure::Fail(StoreError::Invalid(detail))
        }
        _ => Failure::Fail(StoreError::unavailable(detail)),
    }
}

fn cancelled(reasons: &[String], detail: String) -> Failure {
    let failed: Vec<usize> = reasons
        .iter()
        .enumerate()
        .filter(|(_, code)| code.as_str() == "ConditionalCheckFailed")
        .map(|(index, _)| index)
        .collect();
    if !failed.is_empty() {
        return Failure::Fail(StoreError::ConditionFailed { failed });
    }
    let has = |wanted: &[&str]| reasons.iter().any(|code| wanted.contains(&code.as_str()));
    if has(&["TransactionConflict"]) {
        Failure::Retry(Transient::Conflict, detail)
    } else if has(&["ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"]) {
        Failure::Retry(Transient::Throttled, detail)
    } else if has(&["ValidationError", "ItemCollectionSizeLimitExceeded"]) {
        Failure::Fail(StoreError::Invalid(detail))
    } else {
        Failure::Retry(Transient::Unavailable, detail)
    }
}

/// How long to wait between attempts: from 25 ms, doubling, up to a second.
pub const BACKOFF: Backoff = Backoff { base: Duration::from_millis(25), cap: Duration::from_secs(1) };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancellation_reasons_name_the_failed_actions() {
        let reasons = ["None", "ConditionalCheckFailed", "None", "ConditionalCheckFailed"].map(String::from);
        assert_eq!(
            classify("TransactionCanceledException", "", &reasons),
            Failure::Fail(StoreError::ConditionFailed { failed: vec![1, 3] })
        );
        let conflict = ["None", "TransactionConflict"].map(String::from);
        assert!(matches!(
            classify("TransactionCanceledException", "", &conflict),
            Failure::Retry(Transient::Conflict, _)
        ));
        assert!(matches!(classify("ThrottlingException", "", &[]), Failure::Retry(Transient::Throttled, _)));
        assert!(matches!(classify("ValidationException", "bad", &[]), Failure::Fail(StoreError::Invalid(_))));
    }
}
