//! Keeping the connector registered with the manager (PROTOCOL.md §3:
//! registrations expire after 300 s).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::client::SdkClient;
use crate::models::ConnectorManifest;

/// Registers now and then every `interval` until `stop` fires. A failed
/// registration is logged and tried again sooner (1 s, doubling up to the
/// interval), so a connector started before its manager registers as soon
/// as the manager is up. Never fatal.
pub(crate) async fn keep_registered(
    client: SdkClient,
    manifest: ConnectorManifest,
    interval: Duration,
    stop: CancellationToken,
) {
    let mut retry_in = Duration::from_secs(1).min(interval);
    let mut registered = false;
    loop {
        let wait = match client.register(&manifest).await {
            Ok(()) => {
                if !registered {
                    tracing::info!(connector = %manifest.name, url = %manifest.connector_url, "registered with the manager");
                }
                registered = true;
                retry_in = Duration::from_secs(1).min(interval);
                interval
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = retry_in.as_millis() as u64, "registration failed; will retry");
                registered = false;
                let wait = retry_in;
                retry_in = (retry_in * 2).min(interval);
                wait
            }
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
