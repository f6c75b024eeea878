//! The smallest complete Omni connector: one document per name in its
//! config, and an action.
//!
//! ```sh
//! cargo run --example hello -- sync --config '{"names": ["Ada", "Grace"]}'
//! ```

use omni_connector::prelude::*;

/// The source's configuration: who to greet.
#[derive(Deserialize)]
pub struct Config {
    names: Vec<String>,
}

/// What a sync remembers for the next: how many runs there were.
#[derive(Serialize, Deserialize)]
pub struct State {
    runs: u32,
}

/// The connector.
pub struct Hello;

/// Greets everyone named in its config.
#[connector(name = "hello", version = "0.1.0", source_types("web"))]
impl Hello {
    async fn sync(
        &self,
        config: Config,
        _credentials: NoCredentials,
        state: Option<State>,
        ctx: &SyncContext<State>,
    ) -> Result<()> {
        for name in &config.names {
            let text = format!("Hello, {name}!");
            let content_id = ctx.content_storage.save(&text, "text/plain").await?;
            let document = Document::new(format!("greeting-{name}"), text, content_id)
                .with_permissions(DocumentPermissions::public());
            ctx.emit(document).await?;
            ctx.increment_scanned();
        }
        let runs = state.map_or(1, |s| s.runs + 1);
        ctx.complete(State { runs }).await
    }

    /// Say hello to someone.
    #[action(mode = "read")]
    async fn greet(&self, #[param(description = "Who to greet")] name: String) -> String {
        format!("Hello, {name}!")
    }
}

fn main() -> std::process::ExitCode {
    omni_connector::run(Hello)
}
