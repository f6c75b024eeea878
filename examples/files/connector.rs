//! A local-folder connector: indexes the files under a folder. Text files
//! (plain text, Markdown, CSV, JSON...) are stored as they are; other files
//! go to the manager's extractor.
//!
//! The state remembers each indexed file's modification time and size, so
//! an incremental sync sends only what changed: new files, changed files,
//! and the deletion of files that are gone.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use omni_connector::prelude::*;

/// How often (in files) the sync saves a checkpoint.
const SAVE_EVERY: u64 = 100;

/// The source's configuration.
#[derive(Debug, Clone, Deserialize)]
pub struct FilesConfig {
    /// The folder to index.
    pub root: PathBuf,
    /// Only index files with these extensions (`md`, `.txt`...; any case).
    #[serde(default)]
    pub extensions: Option<Vec<String>>,
    /// Skip (and report) files bigger than this many bytes.
    #[serde(default)]
    pub max_file_size: Option<u64>,
    /// Follow symbolic links (default: skip them).
    #[serde(default)]
    pub follow_symlinks: bool,
}

/// The checkpoint: what each indexed file looked like when it was indexed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FilesState {
    /// Relative path (with `/` separators) → its stamp.
    pub files: BTreeMap<String, FileStamp>,
}

/// A file's modification time and size: when either changes, the file is
/// indexed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// Last modification time.
    pub modified: DateTime<Utc>,
    /// Size in bytes.
    pub size: u64,
}

/// What `folder_stats` answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FolderStats {
    /// The folder counted.
    pub root: String,
    /// Files counted.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Counts per lowercase extension (`(none)` for files without one).
    pub extensions: BTreeMap<String, ExtensionStats>,
    /// Folders or files that could not be read.
    pub errors: Vec<String>,
}

/// Files and bytes of one extension.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ExtensionStats {
    /// Files counted.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// The connector.
pub struct Files;

/// Indexes the files of a local folder.
#[connector(
    name = "files",
    version = "0.1.0",
    display_name = "Local files",
    sync_modes(full, incremental),
    source_types("file_system"),
    read_only
)]
impl Files {
    async fn sync(
        &self,
        config: FilesConfig,
        _credentials: NoCredentials,
        state: Option<FilesState>,
        ctx: &SyncContext<FilesState>,
    ) -> Result<()> {
        let root = std::fs::canonicalize(&config.root)
            .map_err(|e| ConnectorError::msg(format!("root `{}`: {e}", config.root.display())))?;
        // A root that cannot be listed fails the sync rather than looking
        // empty, which would delete every document.
        std::fs::read_dir(&root).map_err(|e| {
            ConnectorError::msg(format!(
                "root `{}` is not a readable folder: {e}",
                config.root.display()
            ))
        })?;
        let options = WalkOptions {
            follow_symlinks: config.follow_symlinks,
            extensions: config
                .extensions
                .as_ref()
                .map(|list| list.iter().map(|e| normalize_extension(e)).collect()),
        };
        let walked = {
            let root = root.clone();
            tokio::task::spawn_blocking(move || walk(&root, &options))
                .await
                .map_err(ConnectorError::other)?
        };
        for (id, problem) in &walked.problems {
            ctx.emit_error(id, problem);
        }

        let incremental = *ctx.sync_mode() == SyncMode::Incremental;
        let previous = state.unwrap_or_default();
        // Starts as the previous state and is updated file by file, so a
        // checkpoint saved mid-run still knows the files not reached yet.
        let mut current = previous.clone();
        let mut seen = HashSet::new();
        let mut since_save = 0;
        for file in &walked.files {
            if ctx.is_cancelled() {
                return Err(ctx.cancelled_error());
            }
            ctx.increment_scanned();
            seen.insert(file.rel.as_str());
            let before = previous.files.get(&file.rel);
            if !(incremental && before == Some(&file.stamp)) {
                // A file that fails keeps its previous entry (if any): its
                // indexed version stays, and the next run tries again.
                if let Some(document) = index(file, config.max_file_size, ctx).await? {
                    if incremental && before.is_some() {
                        ctx.emit_updated(document).await?;
                    } else {
                        ctx.emit(document).await?;
                    }
                    current.files.insert(file.rel.clone(), file.stamp);
                }
            }
            since_save += 1;
            if since_save == SAVE_EVERY {
                since_save = 0;
                ctx.save_state(&current).await?;
            }
        }

        let vanished: Vec<String> = previous
            .files
            .keys()
            .filter(|id| !seen.contains(id.as_str()) && !walked.is_unsure(id))
            .cloned()
            .collect();
        for id in vanished {
            if ctx.is_cancelled() {
                return Err(ctx.cancelled_error());
            }
            ctx.emit_deleted(id.as_str()).await?;
            current.files.remove(&id);
        }
        ctx.complete(current).await
    }

    /// Count the files under the source's folder, and their bytes, per extension.
    #[action(mode = "read")]
    async fn folder_stats(
        &self,
        ctx: &ActionContext,
        #[param(description = "Count only the files with this extension, e.g. `md`")]
        extension: Option<String>,
    ) -> Result<FolderStats, ActionError> {
        let config: FilesConfig = ctx.config_as()?;
        let root = config.root;
        match std::fs::metadata(&root) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(ActionError::new(format!(
                    "`{}` is not a folder",
                    root.display()
                )))
            }
            Err(e) => {
                return Err(ActionError::new(format!(
                    "folder `{}` does not exist or cannot be read: {e}",
                    root.display()
                )))
            }
        }
        let options = WalkOptions {
            follow_symlinks: config.follow_symlinks,
            extensions: extension.map(|e| BTreeSet::from([normalize_extension(&e)])),
        };
        let display = root.display().to_string();
        let walked = tokio::task::spawn_blocking(move || walk(&root, &options))
            .await
            .map_err(ActionError::new)?;
        let mut stats = FolderStats {
            root: display,
            ..FolderStats::default()
        };
        for file in &walked.files {
            let key = extension_of(&file.rel).unwrap_or_else(|| "(none)".to_owned());
            let entry = stats.extensions.entry(key).or_default();
            entry.files += 1;
            entry.bytes += file.stamp.size;
            stats.files += 1;
            stats.bytes += file.stamp.size;
        }
        stats.errors = walked
            .problems
            .into_iter()
            .map(|(id, problem)| format!("{id}: {problem}"))
            .collect();
        Ok(stats)
    }
}

/// Reads one file and stores its content; `None` when the file was
/// reported as an item error instead.
async fn index(
    file: &FileEntry,
    max_file_size: Option<u64>,
    ctx: &SyncContext<FilesState>,
) -> Result<Option<Document>> {
    if let Some(max) = max_file_size {
        if file.stamp.size > max {
            ctx.emit_error(
                &file.rel,
                format!(
                    "file is {} bytes, over max_file_size ({max})",
                    file.stamp.size
                ),
            );
            return Ok(None);
        }
    }
    let bytes = match tokio::fs::read(&file.path).await {
        Ok(bytes) => bytes,
        Err(e) => {
            ctx.emit_error(&file.rel, format!("cannot read the file: {e}"));
            return Ok(None);
        }
    };
    let size = bytes.len() as u64;
    let kind = file_kind(&file.rel);
    let name = file.rel.rsplit('/').next().unwrap_or(&file.rel);
    let (content_id, title) = if kind.text {
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                ctx.emit_error(&file.rel, format!("not valid UTF-8 text: {e}"));
                return Ok(None);
            }
        };
        let title = kind
            .markdown
            .then(|| markdown_title(&text))
            .flatten()
            .unwrap_or_else(|| name.to_owned());
        (ctx.content_storage.save(&text, kind.mime).await?, title)
    } else {
        let content_id = ctx
            .content_storage
            .extract_and_store_content(&bytes, kind.mime, Some(name))
            .await?;
        (content_id, name.to_owned())
    };

    let mut metadata = DocumentMetadata::new()
        .title(title.clone())
        .path(file.rel.clone())
        .size(size)
        .mime_type(kind.mime)
        .updated_at(file.stamp.modified)
        .url(file_url(&file.path));
    if let Some(created) = file.created {
        metadata = metadata.created_at(created);
    }
    if let Some(extension) = extension_of(&file.rel) {
        metadata = metadata.extra("extension", extension);
    }
    Ok(Some(
        Document::new(file.rel.clone(), title, content_id)
            .with_metadata(metadata)
            .with_permissions(DocumentPermissions::public()),
    ))
}

// ---- the file types ----------------------------------------------------------

/// How a file is handled.
struct FileKind {
    mime: &'static str,
    /// Stored as text (must be UTF-8); otherwise sent to the extractor.
    text: bool,
    /// Titled by its first `# ` heading.
    markdown: bool,
}

/// Extension → (MIME type, is text).
const FILE_TYPES: &[(&str, &str, bool)] = &[
    ("txt", "text/plain", true),
    ("text", "text/plain", true),
    ("log", "text/plain", true),
    ("md", "text/markdown", true),
    ("markdown", "text/markdown", true),
    ("rst", "text/x-rst", true),
    ("adoc", "text/asciidoc", true),
    ("csv", "text/csv", true),
    ("tsv", "text/tab-separated-values", true),
    ("json", "application/json", true),
    ("jsonl", "application/jsonl", true),
    ("xml", "application/xml", true),
    ("yaml", "application/yaml", true),
    ("yml", "application/yaml", true),
    ("toml", "application/toml", true),
    ("ini", "text/plain", true),
    ("html", "text/html", true),
    ("htm", "text/html", true),
    ("pdf", "application/pdf", false),
    ("doc", "application/msword", false),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        false,
    ),
    ("xls", "application/vnd.ms-excel", false),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        false,
    ),
    ("ppt", "application/vnd.ms-powerpoint", false),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        false,
    ),
    ("odt", "application/vnd.oasis.opendocument.text", false),
    ("rtf", "application/rtf", false),
    ("png", "image/png", false),
    ("jpg", "image/jpeg", false),
    ("jpeg", "image/jpeg", false),
    ("gif", "image/gif", false),
    ("zip", "application/zip", false),
];

fn file_kind(rel: &str) -> FileKind {
    let extension = extension_of(rel);
    let found = extension
        .as_deref()
        .and_then(|ext| FILE_TYPES.iter().find(|(e, _, _)| *e == ext));
    match found {
        Some((ext, mime, text)) => FileKind {
            mime,
            text: *text,
            markdown: matches!(*ext, "md" | "markdown"),
        },
        None => FileKind {
            mime: "application/octet-stream",
            text: false,
            markdown: false,
        },
    }
}

/// The lowercase extension of a path's file name, without the dot.
fn extension_of(rel: &str) -> Option<String> {
    Path::new(rel)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// `.MD` → `md`.
fn normalize_extension(extension: &str) -> String {
    extension
        .trim()
        .trim_start_matches('.')
        .to_ascii_lowercase()
}

/// The text of the first `# ` heading, outside code fences.
fn markdown_title(text: &str) -> Option<String> {
    let mut in_fence = false;
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with("```") || line.starts_with("~~~") {
            in_fence = !in_fence;
        } else if !in_fence {
            if let Some(title) = line.strip_prefix("# ") {
                let title = title.trim().trim_end_matches('#').trim();
                if !title.is_empty() {
                    return Some(title.to_owned());
                }
            }
        }
    }
    None
}

/// `file://` URL of an absolute path, percent-encoded.
fn file_url(path: &Path) -> String {
    let path = path.to_string_lossy().replace('\\', "/");
    let mut url = String::from("file://");
    if !path.starts_with('/') {
        url.push('/');
    }
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~:".contains(&byte) {
            url.push(byte as char);
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

// ---- walking the folder --------------------------------------------------------

/// A file found by the walk.
struct FileEntry {
    /// Path relative to the root, with `/` separators: the document id.
    rel: String,
    path: PathBuf,
    stamp: FileStamp,
    created: Option<DateTime<Utc>>,
}

struct WalkOptions {
    follow_symlinks: bool,
    /// Normalized extensions to keep; all when `None`.
    extensions: Option<BTreeSet<String>>,
}

impl WalkOptions {
    fn accepts(&self, rel: &str) -> bool {
        match &self.extensions {
            None => true,
            Some(wanted) => extension_of(rel).is_some_and(|e| wanted.contains(&e)),
        }
    }
}

#[derive(Default)]
struct Walk {
    /// Files, sorted by relative path.
    files: Vec<FileEntry>,
    /// (relative path, what went wrong) for what could not be read.
    problems: Vec<(String, String)>,
    /// Files and folders whose content is unknown this time: documents
    /// under them are not deleted.
    unsure: Vec<String>,
}

impl Walk {
    fn is_unsure(&self, id: &str) -> bool {
        self.unsure.iter().any(|prefix| {
            id == prefix
                || id
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    fn problem(&mut self, rel: &str, problem: String) {
        self.problems.push((rel.to_owned(), problem));
        self.unsure.push(rel.to_owned());
    }
}

/// Walks `root` recursively (blocking), in a deterministic order.
fn walk(root: &Path, options: &WalkOptions) -> Walk {
    let mut walked = Walk::default();
    let mut visited = HashSet::new();
    if options.follow_symlinks {
        if let Ok(canonical) = root.canonicalize() {
            visited.insert(canonical);
        }
    }
    walk_dir(root, "", options, &mut visited, &mut walked);
    walked.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    walked
}

fn walk_dir(
    dir: &Path,
    rel_dir: &str,
    options: &WalkOptions,
    visited: &mut HashSet<PathBuf>,
    walked: &mut Walk,
) {
    let join = |name: &str| {
        if rel_dir.is_empty() {
            name.to_owned()
        } else {
            format!("{rel_dir}/{name}")
        }
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            walked.problem(rel_dir, format!("cannot list the folder: {e}"));
            return;
        }
    };
    let mut names: Vec<OsString> = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => names.push(entry.file_name()),
            Err(e) => walked.problem(rel_dir, format!("cannot list the folder: {e}")),
        }
    }
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let Some(name) = name.to_str() else {
            let rel = join(&name.to_string_lossy());
            walked
                .problems
                .push((rel, "the name is not valid UTF-8".into()));
            continue;
        };
        let rel = join(name);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                if !options.follow_symlinks {
                    continue;
                }
                match std::fs::metadata(&path) {
                    Ok(meta) => meta,
                    Err(e) => {
                        walked.problem(&rel, format!("broken symbolic link: {e}"));
                        continue;
                    }
                }
            }
            Ok(meta) => meta,
            Err(e) => {
                walked.problem(&rel, format!("cannot read: {e}"));
                continue;
            }
        };
        if meta.is_dir() {
            if options.follow_symlinks {
                // Symbolic links can make loops: visit each folder once.
                match path.canonicalize() {
                    Ok(canonical) => {
                        if !visited.insert(canonical) {
                            continue;
                        }
                    }
                    Err(e) => {
                        walked.problem(&rel, format!("cannot resolve: {e}"));
                        continue;
                    }
                }
            }
            walk_dir(&path, &rel, options, visited, walked);
        } else if meta.is_file() && options.accepts(&rel) {
            let modified = match meta.modified() {
                Ok(modified) => DateTime::<Utc>::from(modified),
                Err(e) => {
                    walked.problem(&rel, format!("no modification time: {e}"));
                    continue;
                }
            };
            walked.files.push(FileEntry {
                rel,
                path,
                stamp: FileStamp {
                    modified,
                    size: meta.len(),
                },
                created: meta.created().ok().map(DateTime::<Utc>::from),
            });
        }
    }
}
