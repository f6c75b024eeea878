//! Shared helpers for the workspace's integration tests.
#![allow(missing_docs)]

pub mod http;
pub mod probe;

use std::time::Duration;

use omni_connector::testing::MockManager;
use omni_connector::{Document, DocumentMetadata, DocumentPermissions, RetryPolicy, SdkClient};

/// Retries quickly, so fault tests take milliseconds, not seconds.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(20),
    }
}

/// A client of the manager with fast retries.
pub fn client(manager: &MockManager) -> SdkClient {
    client_with(manager, fast_retry())
}

/// A client of the manager with the given retry policy.
pub fn client_with(manager: &MockManager, retry: RetryPolicy) -> SdkClient {
    match SdkClient::builder(&manager.url())
        .retry(retry)
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(client) => client,
        Err(e) => panic!("client for {}: {e}", manager.url()),
    }
}

/// A public document number `n` pointing at `content_id`.
pub fn doc(n: usize, content_id: &str) -> Document {
    Document::new(format!("doc-{n}"), format!("Document {n}"), content_id)
        .with_metadata(
            DocumentMetadata::new()
                .url(format!("https://example.com/{n}"))
                .size(2048),
        )
        .with_permissions(DocumentPermissions::public())
}

/// The external ids of a run's document events, in order.
pub fn document_ids(manager: &MockManager, sync_run_id: &str) -> Vec<String> {
    manager
        .events(sync_run_id)
        .iter()
        .filter_map(|e| e.document_id().map(str::to_owned))
        .collect()
}
