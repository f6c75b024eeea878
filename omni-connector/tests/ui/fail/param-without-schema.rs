use omni_connector::prelude::*;

struct C;

#[derive(Deserialize)]
struct Client {}

#[connector(name = "c", version = "1.0.0")]
impl C {
    async fn sync(&self, _: NoConfig, _: NoCredentials, _: Option<()>, _: &SyncContext<()>) -> Result<()> {
        Ok(())
    }

    /// Does a thing.
    #[action]
    async fn thing(&self, url: String, client: Client) {
        let _ = (url, client);
    }
}

fn main() {}
