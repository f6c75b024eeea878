use omni_connector::prelude::*;

struct C;

#[connector(name = "My_Connector", version = "1.0.0")]
impl C {
    async fn sync(&self, _: NoConfig, _: NoCredentials, _: Option<()>, _: &SyncContext<()>) -> Result<()> {
        Ok(())
    }
}

fn main() {}
