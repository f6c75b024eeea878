//! Every `#[connector]` key, `#[sync]` on a method with another name, and
//! `cancel`; the runtime reached through a renamed crate (`crate = ".."`).

extern crate omni_connector as sdk;

use sdk::prelude::*;
use sdk::Connector;

fn extra() -> serde_json::Value {
    serde_json::json!({"type": "object"})
}

mod schemas {
    pub fn attributes() -> serde_json::Value {
        serde_json::json!({"type": "object", "properties": {}})
    }
}

struct Everything;

/// Not used: `description` wins over the doc comment.
#[connector(
    crate = "sdk",
    name = "every-key-2",
    version = "0.1.0-rc.1+build.5",
    display_name = "Every key",
    description = "Uses every key",
    sync_modes(full, "incremental", realtime),
    source_types(github, "jira"),
    search_operators(("status", "status"), ("from", "author", person), ("on", "date", "datetime"),),
    read_only = false,
    extra_schema = extra,
    attributes_schema = "schemas::attributes",
)]
impl Everything {
    #[sync]
    async fn run(
        &self,
        _config: NoConfig,
        _credentials: NoCredentials,
        _state: Option<u64>,
        _ctx: &SyncContext<u64>,
    ) -> Result<()> {
        Ok(())
    }

    fn cancel(&self, sync_run_id: &str) {
        let _ = sync_run_id;
    }

    /// A helper that is neither sync, cancel nor an action stays as it is.
    fn helper(&self) -> u8 {
        1
    }
}

fn main() {
    let m = Everything.manifest();
    assert_eq!(m.name, "every-key-2");
    assert_eq!(m.description.as_deref(), Some("Uses every key"));
    assert_eq!(m.sync_modes.len(), 3);
    assert_eq!(m.source_types, ["github", "jira"]);
    assert_eq!(m.search_operators.len(), 3);
    assert!(m.extra_schema.is_some() && m.attributes_schema.is_some());
    assert!(Everything::ACTIONS.is_empty());
    assert_eq!(Everything.helper(), 1);
    Everything.cancel("run");
    Connector::cancel(&Everything, "run");
}
