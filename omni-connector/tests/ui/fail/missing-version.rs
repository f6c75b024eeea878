use omni_connector::prelude::*;

struct C;

#[connector(name = "c")]
impl C {
    async fn sync(&self, _: NoConfig, _: NoCredentials, _: Option<()>, _: &SyncContext<()>) -> Result<()> {
        Ok(())
    }
}

fn main() {}
