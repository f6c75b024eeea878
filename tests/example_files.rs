//! The `files` example connector (`examples/files`), end to end: syncs over
//! real loopback HTTP against the in-process manager, its action, and its
//! command line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../examples/files/connector.rs"]
mod connector;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use omni_connector::prelude::{DateTime, Utc};
use omni_connector::testing::{run_sync, LocalRun, LocalSync, RunStatus, SyncReport};
use omni_connector::{
    ActionContext, ActionResponse, ActionStatus, Connector, DocumentPermissions, Source, SyncMode,
};
use serde_json::{json, Value};

use connector::{Files, FilesState};

/// 2024-01-02T03:04:05Z: every fixture file gets this modification time.
const T0: u64 = 1_704_164_645;

/// A fresh folder under the system's temp directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "omni-files-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Writes a file (creating its folders) with modification time `mtime`
    /// (seconds since the epoch).
    fn write(&self, rel: &str, contents: impl AsRef<[u8]>, mtime: u64) {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        set_mtime(&path, mtime);
    }

    fn config(&self) -> Value {
        json!({"root": self.0})
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn set_mtime(path: &Path, mtime: u64) {
    let file = File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime))
        .unwrap();
}

fn at(secs: u64) -> DateTime<Utc> {
    DateTime::<Utc>::from(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

const README: &str = "Intro line.\n\n```sh\n# not a title\n```\n\n# The project\n\nHello.\n";
const NOTES: &str = "Monday: ship the example.\n";
const GUIDE: &str = "No heading here.\n";
const DATA: &str = "a,b\n1,2\n";
const PDF: &[u8] = b"%PDF-1.4\nA tiny PDF-like file\n%%EOF\n";
const BLOB: &[u8] = &[0x00, 0x01, b'b', b'l', b'o', b'b', 0xff];

/// A folder with Markdown, text, CSV, a nested folder and two binary files.
fn fixture(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    dir.write("README.md", README, T0);
    dir.write("notes.txt", NOTES, T0);
    dir.write("docs/guide.markdown", GUIDE, T0);
    dir.write("docs/data.csv", DATA, T0);
    dir.write("docs/deep/report.pdf", PDF, T0);
    dir.write("blob.bin", BLOB, T0);
    dir
}

async fn sync(options: LocalSync) -> SyncReport {
    let report = run_sync(Files, options).await.unwrap();
    assert_eq!(report.outcome, RunStatus::Completed, "{:?}", report.error);
    report
}

fn ids(report: &SyncReport) -> Vec<(&str, bool)> {
    report
        .documents
        .iter()
        .map(|d| (d.id.as_str(), d.updated))
        .collect()
}

#[tokio::test]
async fn a_full_sync_emits_every_file_with_content_metadata_and_permissions() {
    let dir = fixture("full");
    let report = sync(LocalSync::new(dir.config())).await;

    // Sorted by relative path, `/`-separated, all created.
    assert_eq!(
        ids(&report),
        [
            ("README.md", false),
            ("blob.bin", false),
            ("docs/data.csv", false),
            ("docs/deep/report.pdf", false),
            ("docs/guide.markdown", false),
            ("notes.txt", false),
        ]
    );
    assert!(report.deleted.is_empty());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.documents_scanned, 6);

    let readme = report.document("README.md").unwrap();
    assert_eq!(readme.content.as_deref(), Some(README));
    let m = &readme.metadata;
    // The first `# ` heading outside code fences.
    assert_eq!(m.title.as_deref(), Some("The project"));
    assert_eq!(m.path.as_deref(), Some("README.md"));
    assert_eq!(m.size.as_deref(), Some(README.len().to_string().as_str()));
    assert_eq!(m.mime_type.as_deref(), Some("text/markdown"));
    assert_eq!(m.updated_at, Some(at(T0)));
    let canonical = dir.path().canonicalize().unwrap();
    let url = m.url.as_deref().unwrap();
    assert!(url.starts_with("file:///"), "{url}");
    assert!(url.ends_with("/README.md"), "{url}");
    assert!(
        url.contains(canonical.file_name().unwrap().to_str().unwrap()),
        "{url}"
    );
    assert_eq!(m.extra.as_ref().unwrap()["extension"], "md");
    assert_eq!(readme.permissions, Some(DocumentPermissions::public()));

    // Markdown without a heading, and text files, are titled by file name.
    let guide = report.document("docs/guide.markdown").unwrap();
    assert_eq!(guide.metadata.title.as_deref(), Some("guide.markdown"));
    assert_eq!(guide.metadata.path.as_deref(), Some("docs/guide.markdown"));
    assert_eq!(guide.content.as_deref(), Some(GUIDE));
    let notes = report.document("notes.txt").unwrap();
    assert_eq!(notes.metadata.title.as_deref(), Some("notes.txt"));
    assert_eq!(notes.metadata.mime_type.as_deref(), Some("text/plain"));
    assert_eq!(notes.content.as_deref(), Some(NOTES));
    let data = report.document("docs/data.csv").unwrap();
    assert_eq!(data.metadata.mime_type.as_deref(), Some("text/csv"));
    assert_eq!(data.content.as_deref(), Some(DATA));
    for doc in &report.documents {
        assert_eq!(
            doc.permissions,
            Some(DocumentPermissions::public()),
            "{}",
            doc.id
        );
        assert_eq!(doc.metadata.updated_at, Some(at(T0)), "{}", doc.id);
    }

    // The state knows every file, by mtime and size.
    let state: FilesState = report.state_as().unwrap().unwrap();
    assert_eq!(state.files.len(), 6);
    let stamp = state.files["docs/data.csv"];
    assert_eq!((stamp.modified, stamp.size), (at(T0), DATA.len() as u64));
}

#[tokio::test]
async fn binary_files_go_through_the_extractor() {
    let dir = fixture("binary");
    let report = sync(LocalSync::new(dir.config())).await;

    let pdf = report.document("docs/deep/report.pdf").unwrap();
    assert_eq!(pdf.metadata.mime_type.as_deref(), Some("application/pdf"));
    assert_eq!(pdf.metadata.title.as_deref(), Some("report.pdf"));
    assert_eq!(
        pdf.metadata.size.as_deref(),
        Some(PDF.len().to_string().as_str())
    );
    // The in-process manager's extractor stores the bytes as (lossy) text.
    assert_eq!(
        pdf.content.as_deref(),
        Some(std::str::from_utf8(PDF).unwrap())
    );

    let blob = report.document("blob.bin").unwrap();
    assert_eq!(
        blob.metadata.mime_type.as_deref(),
        Some("application/octet-stream")
    );
    let stored = String::from_utf8_lossy(BLOB).into_owned();
    assert_eq!(blob.content.as_deref(), Some(stored.as_str()));
}

#[tokio::test]
async fn an_incremental_sync_sends_only_what_changed() {
    let dir = fixture("incremental");
    let first = sync(LocalSync::new(dir.config())).await;
    assert_eq!(first.documents.len(), 6);

    // Change one file, add one, delete one.
    dir.write("notes.txt", "Tuesday: tests are green.\n", T0 + 60);
    dir.write("docs/new.md", "# Fresh\n", T0 + 120);
    std::fs::remove_file(dir.path().join("docs/data.csv")).unwrap();

    let second = sync(
        LocalSync::new(dir.config())
            .mode(SyncMode::Incremental)
            .state(first.state.clone().unwrap()),
    )
    .await;
    assert_eq!(ids(&second), [("docs/new.md", false), ("notes.txt", true)]);
    assert_eq!(second.deleted, ["docs/data.csv"]);
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    // Every file on disk is scanned, changed or not.
    assert_eq!(second.documents_scanned, 6);

    let notes = second.document("notes.txt").unwrap();
    assert_eq!(
        notes.content.as_deref(),
        Some("Tuesday: tests are green.\n")
    );
    assert_eq!(notes.metadata.updated_at, Some(at(T0 + 60)));
    assert_eq!(notes.permissions, Some(DocumentPermissions::public()));
    let new = second.document("docs/new.md").unwrap();
    assert_eq!(new.metadata.title.as_deref(), Some("Fresh"));
    assert_eq!(new.permissions, Some(DocumentPermissions::public()));

    let state: FilesState = second.state_as().unwrap().unwrap();
    assert!(!state.files.contains_key("docs/data.csv"));
    assert_eq!(state.files["notes.txt"].modified, at(T0 + 60));
    assert_eq!(state.files["docs/new.md"].modified, at(T0 + 120));
    assert_eq!(state.files.len(), 6);

    // A file whose mtime changes (size unchanged) counts as changed too.
    set_mtime(&dir.path().join("README.md"), T0 + 180);
    let third = sync(
        LocalSync::new(dir.config())
            .mode(SyncMode::Incremental)
            .state(second.state.clone().unwrap()),
    )
    .await;
    assert_eq!(ids(&third), [("README.md", true)]);
    assert!(third.deleted.is_empty());

    // Nothing changed: nothing sent, and the state stays.
    let fourth = sync(
        LocalSync::new(dir.config())
            .mode(SyncMode::Incremental)
            .state(third.state.clone().unwrap()),
    )
    .await;
    assert!(fourth.documents.is_empty());
    assert!(fourth.deleted.is_empty());
    assert_eq!(fourth.state, third.state);
}

#[tokio::test]
async fn a_full_sync_with_state_emits_everything_and_deletes_what_vanished() {
    let dir = fixture("full-again");
    let first = sync(LocalSync::new(dir.config())).await;
    std::fs::remove_file(dir.path().join("blob.bin")).unwrap();
    let second = sync(LocalSync::new(dir.config()).state(first.state.clone().unwrap())).await;
    assert_eq!(second.documents.len(), 5);
    assert!(second.documents.iter().all(|d| !d.updated));
    assert_eq!(second.deleted, ["blob.bin"]);
}

#[tokio::test]
async fn the_state_is_saved_every_hundred_files() {
    let dir = TempDir::new("many");
    for n in 0..250 {
        dir.write(&format!("f{n:03}.txt"), format!("file {n}\n"), T0);
    }
    let run = LocalRun::start(Files, LocalSync::new(dir.config()))
        .await
        .unwrap();
    let manager = run.manager().clone();
    let report = run.finish().await.unwrap();
    assert!(report.is_completed(), "{:?}", report.error);
    assert_eq!(report.documents.len(), 250);
    assert_eq!(report.documents[0].id, "f000.txt");
    assert_eq!(report.documents[249].id, "f249.txt");
    // Two checkpoints along the way (after 100 and 200 files), one at the end.
    let checkpoints = manager
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/checkpoint"))
        .count();
    assert_eq!(checkpoints, 3);
    let state: FilesState = report.state_as().unwrap().unwrap();
    assert_eq!(state.files.len(), 250);
}

#[tokio::test]
async fn non_utf8_text_is_reported_and_the_sync_goes_on() {
    let dir = TempDir::new("non-utf8");
    dir.write("a.txt", "fine\n", T0);
    dir.write("bad.txt", [b'o', b'k', 0xff, 0xfe, b'\n'], T0);
    dir.write("c.md", "# Also fine\n", T0);
    let report = sync(LocalSync::new(dir.config())).await;

    assert_eq!(ids(&report), [("a.txt", false), ("c.md", false)]);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.errors[0].external_id, "bad.txt");
    assert!(
        report.errors[0].message.contains("UTF-8"),
        "{}",
        report.errors[0].message
    );
    assert_eq!(report.documents_scanned, 3);
    // Not indexed, so not in the state: the next run tries it again.
    let state: FilesState = report.state_as().unwrap().unwrap();
    assert!(!state.files.contains_key("bad.txt"));
}

#[tokio::test]
async fn the_extension_filter_and_the_size_limit() {
    let dir = fixture("filters");
    dir.write("big.txt", "x".repeat(1000), T0);
    let config = json!({
        "root": dir.path(),
        "extensions": [".MD", "txt"],
        "max_file_size": 500,
    });
    let report = sync(LocalSync::new(config)).await;
    assert_eq!(ids(&report), [("README.md", false), ("notes.txt", false)]);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.errors[0].external_id, "big.txt");
    assert!(report.errors[0].message.contains("max_file_size"));
}

#[cfg(unix)]
#[tokio::test]
async fn symbolic_links_are_skipped_unless_followed() {
    let target = TempDir::new("link-target");
    target.write("outside.txt", "from elsewhere\n", T0);
    let dir = TempDir::new("links");
    dir.write("inside.txt", "here\n", T0);
    std::os::unix::fs::symlink(target.path(), dir.path().join("linked")).unwrap();
    // A loop back to the root must not be walked forever.
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();

    let skipped = sync(LocalSync::new(dir.config())).await;
    assert_eq!(ids(&skipped), [("inside.txt", false)]);

    let followed = sync(LocalSync::new(
        json!({"root": dir.path(), "follow_symlinks": true}),
    ))
    .await;
    assert_eq!(
        ids(&followed),
        [("inside.txt", false), ("linked/outside.txt", false)]
    );
}

#[tokio::test]
async fn a_missing_root_fails_the_sync() {
    let dir = TempDir::new("missing");
    let config = json!({"root": dir.path().join("nope")});
    let report = run_sync(Files, LocalSync::new(config)).await.unwrap();
    assert_eq!(report.outcome, RunStatus::Failed);
    let error = report.error.unwrap_or_default();
    assert!(error.contains("nope"), "{error}");
    assert!(report.documents.is_empty() && report.deleted.is_empty());
}

fn source(config: Value) -> Source {
    serde_json::from_value(json!({
        "id": "src-1",
        "name": "files",
        "source_type": "file_system",
        "config": config,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
    }))
    .unwrap()
}

async fn folder_stats(config: Value, params: Value) -> ActionResponse {
    let ctx = ActionContext::new(None, Some(source(config)), None);
    Connector::execute_action(&Files, "folder_stats", params, ctx).await
}

#[tokio::test]
async fn folder_stats_counts_files_and_bytes_per_extension() {
    let dir = fixture("stats");
    let all = folder_stats(dir.config(), json!({})).await;
    assert!(all.is_success(), "{all:?}");
    let result = all.result.unwrap();
    assert_eq!(result["files"], 6);
    let total = README.len() + NOTES.len() + GUIDE.len() + DATA.len() + PDF.len() + BLOB.len();
    assert_eq!(result["bytes"], total);
    assert_eq!(
        result["extensions"]["md"],
        json!({"files": 1, "bytes": README.len()})
    );
    assert_eq!(
        result["extensions"]["pdf"],
        json!({"files": 1, "bytes": PDF.len()})
    );
    assert_eq!(result["extensions"].as_object().unwrap().len(), 6);

    let md = folder_stats(dir.config(), json!({"extension": ".MD"})).await;
    let result = md.result.unwrap();
    assert_eq!(result["files"], 1);
    assert_eq!(
        result["extensions"],
        json!({"md": {"files": 1, "bytes": README.len()}})
    );

    // No such folder.
    let missing = folder_stats(json!({"root": dir.path().join("nope")}), json!({})).await;
    assert_eq!(missing.status, ActionStatus::Error);
    let error = missing.error.unwrap();
    assert!(error.contains("does not exist"), "{error}");

    // A parameter of the wrong type.
    let wrong = folder_stats(dir.config(), json!({"extension": 5})).await;
    assert_eq!(wrong.status, ActionStatus::Error);
    let error = wrong.error.unwrap();
    assert!(error.contains("invalid parameter `extension`"), "{error}");

    // No source config at all.
    let unconfigured =
        Connector::execute_action(&Files, "folder_stats", json!({}), ActionContext::default())
            .await;
    assert_eq!(unconfigured.status, ActionStatus::Error);
    assert!(unconfigured.error.unwrap().contains("root"));
}

#[test]
fn the_manifest() {
    let manifest = Connector::manifest(&Files, "http://files:8000");
    assert_eq!(manifest.name, "files");
    assert_eq!(manifest.source_types, ["file_system"]);
    assert_eq!(manifest.sync_modes, [SyncMode::Full, SyncMode::Incremental]);
    assert!(manifest.read_only);
    let action = manifest.action("folder_stats").unwrap();
    assert_eq!(action.mode, omni_connector::ActionMode::Read);
    assert!(action.description.contains("per extension"));
    assert_eq!(
        action.input_schema["properties"]["extension"]["type"],
        "string"
    );
    assert!(action.input_schema.get("required").is_none());
}

#[tokio::test]
async fn the_command_line_syncs_and_prints_the_documents() {
    let dir = fixture("cli");
    let config = dir.config().to_string();
    let mut out = Vec::new();
    let code = omni_connector::cli::run_with_args(
        Files,
        ["files", "sync", "--config", config.as_str()],
        &mut out,
    )
    .await;
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, ExitCode::SUCCESS, "{out}");
    assert!(out.contains("+ README.md  The project  ["), "{out}");
    assert!(out.contains("+ docs/deep/report.pdf  report.pdf"), "{out}");
    assert!(
        out.contains("sync completed: 6 created, 0 updated, 0 deleted"),
        "{out}"
    );
    assert!(out.contains("state: {\"files\":{"), "{out}");
}
