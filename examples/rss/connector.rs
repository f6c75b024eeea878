//! The RSS and Atom connector: the Python SDK's example, complete.
//!
//! Reads a feed from an http(s) URL or a local path, emits one public
//! document per entry, syncs incrementally by entry time, checkpoints every
//! 50 entries, and reports a bad entry without stopping.

use std::time::Duration;

use omni_connector::prelude::*;
use omni_connector::ActionError;

/// How often the sync saves its state.
const CHECKPOINT_EVERY: usize = 50;

/// The source's configuration.
#[derive(Debug, Clone, Deserialize)]
pub struct RssConfig {
    /// The feed: an `http://` or `https://` URL, or a path to a file.
    pub feed_url: String,
    /// Emit at most this many entries (newest first), when set.
    #[serde(default)]
    pub max_items: Option<usize>,
}

/// What the next incremental sync starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RssState {
    /// Time of the newest entry synced so far.
    pub last_sync_time: DateTime<Utc>,
}

/// What `validate_feed` tells about a feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedInfo {
    /// The feed's title.
    pub title: Option<String>,
    /// RSS 2.0, Atom...
    pub format: String,
    /// How many entries it has.
    pub entries: usize,
    /// When its newest entry was published or updated.
    pub newest_entry: Option<DateTime<Utc>>,
}

/// The connector.
pub struct Rss;

/// Indexes RSS 2.0 and Atom feeds: one public document per entry.
#[connector(
    name = "rss",
    version = "1.0.0",
    display_name = "RSS and Atom feeds",
    sync_modes(full, incremental),
    source_types("web"),
    search_operators(("feed", "feed_title")),
    read_only,
)]
impl Rss {
    async fn sync(
        &self,
        config: RssConfig,
        _credentials: NoCredentials,
        state: Option<RssState>,
        ctx: &SyncContext<RssState>,
    ) -> Result<()> {
        let feed = load_feed(&config.feed_url, Duration::from_secs(30))
            .await
            .context(format!("reading the feed {}", config.feed_url))?;
        let feed_title = feed.title.as_ref().map(|t| t.content.trim().to_owned());
        let since = match ctx.sync_mode() {
            SyncMode::Incremental => state.as_ref().map(|s| s.last_sync_time),
            _ => None,
        };

        // Oldest first: a checkpoint then never moves past an entry that
        // has not been emitted yet.
        let mut entries = feed.entries;
        entries.sort_by_key(entry_time);
        if let Some(max) = config.max_items {
            let skip = entries.len().saturating_sub(max);
            entries.drain(..skip);
        }

        let mut newest = state.map(|s| s.last_sync_time);
        for (n, entry) in entries.iter().enumerate() {
            if ctx.is_cancelled() {
                return Err(ctx.cancelled_error());
            }
            ctx.increment_scanned();
            let time = entry_time(entry);
            if let (Some(since), Some(time)) = (since, time) {
                if time <= since {
                    continue;
                }
            }
            match entry_document(entry, feed_title.as_deref()) {
                Ok((document, text)) => {
                    let content_id = ctx.content_storage.save(&text, "text/plain").await?;
                    ctx.emit(Document {
                        content_id,
                        ..document
                    })
                    .await?;
                }
                Err(why) => ctx.emit_error(&entry.id, why),
            }
            newest = newest.max(time);
            if (n + 1) % CHECKPOINT_EVERY == 0 {
                if let Some(last_sync_time) = newest {
                    ctx.save_state(&RssState { last_sync_time }).await?;
                }
            }
        }
        ctx.complete(newest.map(|last_sync_time| RssState { last_sync_time }))
            .await
    }

    /// Validate that a feed URL is accessible and parses.
    #[action(mode = "read")]
    async fn validate_feed(
        &self,
        #[param(description = "The RSS/Atom feed URL (or local path) to validate")] url: String,
        #[param(description = "Seconds to wait for the feed (default 10)")] timeout_secs: Option<
            u32,
        >,
    ) -> Result<FeedInfo, ActionError> {
        let timeout = Duration::from_secs(u64::from(timeout_secs.unwrap_or(10)));
        let feed = load_feed(&url, timeout)
            .await
            .map_err(|e| ActionError::new(e.chain()))?;
        Ok(FeedInfo {
            title: feed.title.map(|t| t.content.trim().to_owned()),
            format: format_name(&feed.feed_type).to_owned(),
            entries: feed.entries.len(),
            newest_entry: feed.entries.iter().filter_map(entry_time).max(),
        })
    }
}

/// The time an entry is sorted and compared by: updated, else published.
fn entry_time(entry: &feed_rs::model::Entry) -> Option<DateTime<Utc>> {
    entry.updated.or(entry.published)
}

/// The document for an entry, and its text; an error for an entry with
/// nothing to index.
fn entry_document(
    entry: &feed_rs::model::Entry,
    feed_title: Option<&str>,
) -> std::result::Result<(Document, String), String> {
    let title = entry
        .title
        .as_ref()
        .map(|t| plain_text(&t.content))
        .filter(|t| !t.is_empty());
    let body = entry
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .or(entry.summary.as_ref().map(|s| s.content.as_str()))
        .map(plain_text)
        .filter(|b| !b.is_empty());
    let (title, body) = match (title, body) {
        (None, None) => return Err("the entry has neither a title nor any text".into()),
        (Some(title), None) => (title.clone(), title),
        (None, Some(body)) => (body.chars().take(80).collect(), body),
        (Some(title), Some(body)) => (title, body),
    };
    let mut metadata = DocumentMetadata::new().content_type("article");
    if let Some(author) = entry.authors.first() {
        metadata = metadata.author(author.email.clone().unwrap_or_else(|| author.name.clone()));
    }
    if let Some(link) = entry.links.first() {
        metadata = metadata.url(link.href.clone());
    }
    if let Some(published) = entry.published {
        metadata = metadata.created_at(published);
    }
    if let Some(updated) = entry_time(entry) {
        metadata = metadata.updated_at(updated);
    }
    if let Some(feed_title) = feed_title {
        metadata = metadata.extra("feed_title", feed_title);
    }
    let text = format!("{title}\n\n{body}");
    let document = Document::new(entry.id.clone(), title, String::new())
        .with_metadata(metadata.size(text.len() as u64))
        .with_permissions(DocumentPermissions::public());
    Ok((document, text))
}

/// Reads and parses a feed from a URL or a path.
async fn load_feed(location: &str, timeout: Duration) -> Result<feed_rs::model::Feed> {
    let bytes = if location.starts_with("http://") || location.starts_with("https://") {
        let url = location.to_owned();
        tokio::task::spawn_blocking(move || fetch(&url, timeout))
            .await
            .context("the download task failed")??
    } else {
        tokio::fs::read(location)
            .await
            .context(format!("cannot read {location}"))?
    };
    feed_rs::parser::parse(bytes.as_slice()).context("not an RSS or Atom feed")
}

/// Downloads a feed (blocking; run on a blocking thread).
fn fetch(url: &str, timeout: Duration) -> Result<Vec<u8>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .context(format!("cannot fetch {url}"))?;
    response
        .body_mut()
        .with_config()
        .limit(50 * 1024 * 1024)
        .read_to_vec()
        .context(format!("cannot read the answer from {url}"))
}

fn format_name(kind: &feed_rs::model::FeedType) -> &'static str {
    use feed_rs::model::FeedType;
    match kind {
        FeedType::Atom => "Atom",
        FeedType::JSON => "JSON Feed",
        FeedType::RSS0 => "RSS 0.9x",
        FeedType::RSS1 => "RSS 1.0",
        FeedType::RSS2 => "RSS 2.0",
    }
}

/// Text without HTML tags, with the common entities decoded and white
/// space folded.
fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}
