use omni_connector::prelude::*;

struct C;

#[connector(name = "c", version = "1.0.0")]
impl C {
    async fn sync(&self, _: NoConfig, _: Option<()>, _: &SyncContext<()>) -> Result<()> {
        Ok(())
    }
}

fn main() {}
