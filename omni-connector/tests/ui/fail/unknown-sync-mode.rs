use omni_connector::prelude::*;

struct C;

#[connector(name = "c", version = "1.0.0", sync_modes(full, incremntal))]
impl C {
    async fn sync(&self, _: NoConfig, _: NoCredentials, _: Option<()>, _: &SyncContext<()>) -> Result<()> {
        Ok(())
    }
}

fn main() {}
