use omni_connector::prelude::*;

struct C;

#[connector(name = "c", version = "1.0.0")]
impl C {
    async fn sync(&self, _: NoConfig, _: NoCredentials, _: Option<()>, _: &SyncContext<()>) -> Result<()> {
        Ok(())
    }

    /// Does a thing.
    #[action(source_types(jira, "gitlab"))]
    async fn thing(&self) {}
}

fn main() {}
