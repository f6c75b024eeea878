//! `ctx.content_storage`: storing document text with the manager.

use std::sync::Arc;

use base64::Engine;

use super::run::Run;
use crate::client::{ExtractFile, Extraction};
use crate::error::{ConnectorError, Result};

/// Stores document content with the manager and returns the ids that
/// documents point at (PROTOCOL.md §3 `/sdk/content`).
///
/// Reached as `ctx.content_storage`, like the Python SDK's; cheap to clone,
/// so many contents can be stored concurrently.
#[derive(Clone)]
pub struct ContentStorage {
    run: Arc<Run>,
}

impl std::fmt::Debug for ContentStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentStorage")
            .field("sync_run_id", &self.run.sync_run_id)
            .finish()
    }
}

impl ContentStorage {
    pub(crate) fn new(run: Arc<Run>) -> Self {
        Self { run }
    }

    /// Stores text and returns its content id.
    ///
    /// ```no_run
    /// # async fn demo(ctx: &omni_connector::SyncContext) -> omni_connector::Result<()> {
    /// let content_id = ctx.content_storage.save("# Release notes\n...", "text/markdown").await?;
    /// # Ok(()) }
    /// ```
    pub async fn save(&self, content: &str, content_type: &str) -> Result<String> {
        self.run.check_open()?;
        let id = self
            .run
            .client
            .store_content(&self.run.sync_run_id, content, Some(content_type))
            .await?;
        Ok(id)
    }

    /// Stores bytes, base64-encoded, and returns the content id.
    pub async fn save_binary(&self, content: &[u8], content_type: &str) -> Result<String> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(content);
        self.save(&encoded, content_type).await
    }

    /// Sends a binary file (PDF, office document...) to the manager, which
    /// extracts its text and stores it; returns the content id. A busy
    /// extractor (429) is waited for, honouring its `Retry-After`.
    pub async fn extract_and_store_content(
        &self,
        data: &[u8],
        mime_type: &str,
        filename: Option<&str>,
    ) -> Result<String> {
        self.extract(Extraction::Store, data, mime_type, filename)
            .await
    }

    /// Extracts the text of a binary file without storing it.
    pub async fn extract_text(
        &self,
        data: &[u8],
        mime_type: &str,
        filename: Option<&str>,
    ) -> Result<String> {
        self.extract(Extraction::Text, data, mime_type, filename)
            .await
    }

    async fn extract(
        &self,
        kind: Extraction,
        data: &[u8],
        mime_type: &str,
        filename: Option<&str>,
    ) -> Result<String> {
        self.run.check_open()?;
        let file = ExtractFile {
            data,
            mime_type,
            filename,
        };
        self.run
            .client
            .extract(
                kind,
                &self.run.sync_run_id,
                file,
                Some(&self.run.extract_retry),
            )
            .await
            .map_err(ConnectorError::from)
    }
}
