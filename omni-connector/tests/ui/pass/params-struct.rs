//! `#[params]` structs and `#[derive(Schema)]`: doc comments, serde renames,
//! defaults, skipped fields, enums, newtypes, generics, recursion.

use omni_connector::prelude::*;

/// A label.
#[derive(Deserialize, Schema)]
struct Label(String);

/// Priority.
#[derive(Deserialize, Schema)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
enum Priority {
    Low,
    #[serde(rename = "urgent")]
    VeryHigh,
    #[serde(skip)]
    #[allow(dead_code)]
    Unused,
}

#[derive(Deserialize, Schema)]
struct Page<T> {
    items: Vec<T>,
    next: Option<String>,
}

/// A comment thread: recursive, so cut off at some depth.
#[derive(Deserialize, Schema)]
struct Thread {
    text: String,
    replies: Vec<Thread>,
}

/// Create an issue.
#[derive(Deserialize, Schema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
struct NewIssue {
    /// The title.
    issue_title: String,
    #[serde(rename = "body")]
    text: Option<String>,
    #[serde(default = "default_labels")]
    labels: Vec<Label>,
    priority: Priority,
    #[serde(skip)]
    internal: u8,
    page: Page<u32>,
    thread: Option<Thread>,
}

fn default_labels() -> Vec<Label> {
    Vec::new()
}

struct Tracker;

#[connector(name = "tracker", version = "1.0.0")]
impl Tracker {
    async fn sync(&self, _: NoConfig, _: NoCredentials, _: Option<()>, _: &SyncContext<()>) -> Result<()> {
        Ok(())
    }

    /// Create an issue.
    #[action]
    async fn create_issue(&self, ctx: &ActionContext, #[params] issue: NewIssue) -> Result<String> {
        let _ = ctx;
        Ok(issue.issue_title)
    }

    /// Set many labels at once.
    #[action]
    async fn set_labels(&self, #[params] labels: std::collections::BTreeMap<String, String>) -> usize {
        labels.len()
    }
}

fn main() {
    let schema = NewIssue::schema();
    assert_eq!(schema["properties"]["issueTitle"]["description"], "The title.");
    assert!(schema["properties"]["body"].is_object());
    assert!(schema["properties"].get("internal").is_none());
    assert_eq!(schema["required"], serde_json::json!(["issueTitle", "priority", "page"]));
    assert_eq!(Priority::schema()["enum"], serde_json::json!(["LOW", "urgent"]));
    assert_eq!(Label::schema(), serde_json::json!({"type": "string", "description": "A label."}));
    assert!(!serde_json::to_string(&Thread::schema()).unwrap().contains("$ref"));
    let m = Tracker.manifest();
    assert_eq!(m.action("create_issue").unwrap().input_schema, schema);
}
