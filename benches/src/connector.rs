//! The connector under test, written with `#[connector]` like any other:
//! it emits synthetic documents of about 2 KB, each with full metadata and
//! permissions, storing their text first.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use omni_connector::prelude::*;
use tokio::task::JoinSet;

/// What one sync does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Documents to emit.
    pub documents: u64,
    /// Content requests in flight at once (1: the seed's sequential style).
    pub concurrency: usize,
    /// Length of each document's text, in bytes (about).
    pub text_bytes: usize,
    /// Whether each document is emitted after its content is stored
    /// (false: contents are stored and counted only).
    pub emit: bool,
}

impl Plan {
    /// `documents` documents of 2 KB, `concurrency` content requests in
    /// flight.
    pub fn new(documents: u64, concurrency: usize) -> Self {
        Self {
            documents,
            concurrency,
            text_bytes: 2048,
            emit: true,
        }
    }
}

/// The source's config: the plan, field by field (missing fields fall back
/// to the connector's fixed plan, then to 1,000 sequential 2 KB documents).
#[derive(Debug, Default, Deserialize)]
pub struct BenchConfig {
    /// Documents to emit.
    #[serde(default)]
    pub documents: Option<u64>,
    /// Content requests in flight at once.
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Length of each text.
    #[serde(default)]
    pub text_bytes: Option<usize>,
    /// Whether documents are emitted.
    #[serde(default)]
    pub emit: Option<bool>,
}

/// What a finished sync leaves for the next.
#[derive(Debug, Serialize, Deserialize)]
pub struct BenchState {
    /// Documents emitted by the run.
    pub documents: u64,
}

/// The benchmark connector. `fixed` overrides the source's config (for an
/// external manager whose sources carry no plan).
#[derive(Debug, Clone, Default)]
pub struct BenchConnector {
    /// The plan every sync follows, whatever the source's config says.
    pub fixed: Option<Plan>,
}

/// Emits synthetic 2 KB documents with full metadata and permissions.
#[connector(name = "bench", version = "0.1.0", source_types("web"))]
impl BenchConnector {
    async fn sync(
        &self,
        config: BenchConfig,
        _credentials: NoCredentials,
        _state: Option<BenchState>,
        ctx: &SyncContext<BenchState>,
    ) -> Result<()> {
        let base = self.fixed.unwrap_or(Plan::new(1000, 1));
        let plan = Plan {
            documents: config.documents.unwrap_or(base.documents),
            concurrency: config.concurrency.unwrap_or(base.concurrency).max(1),
            text_bytes: config.text_bytes.unwrap_or(base.text_bytes),
            emit: config.emit.unwrap_or(base.emit),
        };
        let filler: Arc<str> = filler(plan.text_bytes).into();
        if plan.concurrency == 1 {
            sequential(ctx, plan.documents, &filler, plan.emit).await?;
        } else {
            concurrent(ctx, plan.documents, plan.concurrency, &filler, plan.emit).await?;
        }
        ctx.complete(BenchState {
            documents: plan.documents,
        })
        .await
    }
}

/// The seed's style: store, emit, count, one document after the other.
/// Without `emit` (`store-only`), what the SDK's content path costs next
/// to the bare client of the floor.
async fn sequential(
    ctx: &SyncContext<BenchState>,
    documents: u64,
    filler: &str,
    emit: bool,
) -> Result<()> {
    for n in 0..documents {
        if ctx.is_cancelled() {
            return Err(ctx.cancelled_error());
        }
        store_and_count(ctx, n, filler, emit).await?;
    }
    Ok(())
}

/// `concurrency` tasks share the context, each storing a document's
/// content, emitting it and counting it, then taking the next number: up
/// to `concurrency` content requests in flight, and an emit that waits for
/// its batch holds up only its own task.
async fn concurrent(
    ctx: &SyncContext<BenchState>,
    documents: u64,
    concurrency: usize,
    filler: &Arc<str>,
    emit: bool,
) -> Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency {
        let (ctx, next, filler) = (ctx.clone(), next.clone(), filler.clone());
        tasks.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= documents {
                    return Ok::<_, ConnectorError>(());
                }
                if ctx.is_cancelled() {
                    return Err(ctx.cancelled_error());
                }
                store_and_count(&ctx, n, &filler, emit).await?;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| ConnectorError::msg(format!("sync task: {e}")))??;
    }
    Ok(())
}

/// One document: its content stored, the document emitted (unless
/// `emit` is false), the item counted.
async fn store_and_count(
    ctx: &SyncContext<BenchState>,
    n: u64,
    filler: &str,
    emit: bool,
) -> Result<()> {
    let text = text(n, filler);
    let content_id = ctx.content_storage.save(&text, "text/plain").await?;
    if emit {
        ctx.emit(document(ctx.source_id(), n, content_id, text.len()))
            .await?;
    }
    ctx.increment_scanned();
    Ok(())
}

/// About `bytes` bytes of words.
pub fn filler(bytes: usize) -> String {
    const WORDS: &str = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua ";
    let mut text = String::with_capacity(bytes + WORDS.len());
    while text.len() < bytes {
        text.push_str(WORDS);
    }
    text.truncate(bytes);
    text
}

pub(crate) fn text(n: u64, filler: &str) -> String {
    let mut text = String::with_capacity(filler.len() + 32);
    text.push_str("Document ");
    text.push_str(&n.to_string());
    text.push_str(". ");
    text.push_str(filler);
    text
}

/// Document `n` of a source, with every metadata field and permissions.
fn document(source_id: &str, n: u64, content_id: String, size: usize) -> Document {
    let author = format!("author{}@example.com", n % 50);
    let at = DateTime::from_timestamp(1_767_225_600 + n as i64, 0).unwrap_or_default();
    Document::new(
        format!("{source_id}-doc-{n}"),
        format!("Document {n}"),
        content_id,
    )
    .with_metadata(
        DocumentMetadata::new()
            .author(author.clone())
            .created_at(at)
            .updated_at(at)
            .content_type("article")
            .mime_type("text/plain")
            .size(size as u64)
            .url(format!("https://example.com/docs/{n}"))
            .path(format!("/docs/{}", n / 100))
            .extra("sequence", n),
    )
    .with_permissions(DocumentPermissions::users([author]).with_groups(["staff@example.com"]))
    .with_attribute("priority", n % 5)
}
