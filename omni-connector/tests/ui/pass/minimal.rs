//! The least a connector needs: name, version and a sync. The description
//! comes from the impl's doc comment; display_name defaults to the name.

use omni_connector::prelude::*;

#[derive(Deserialize)]
struct Config {
    #[allow(dead_code)]
    root: String,
}

#[derive(Serialize, Deserialize)]
struct State {
    cursor: u64,
}

struct Minimal;

/// Syncs nothing, well.
#[connector(name = "minimal", version = "1.0.0")]
impl Minimal {
    async fn sync(
        &self,
        _config: Config,
        _credentials: NoCredentials,
        state: Option<State>,
        ctx: &SyncContext<State>,
    ) -> Result<()> {
        let cursor = state.map_or(0, |s| s.cursor);
        ctx.complete(State { cursor: cursor + 1 }).await
    }
}

fn main() {
    let m = Minimal.manifest();
    assert_eq!(m.display_name, "minimal");
    assert_eq!(m.description.as_deref(), Some("Syncs nothing, well."));
    assert_eq!(m.sync_modes, [SyncMode::Full]);
}
