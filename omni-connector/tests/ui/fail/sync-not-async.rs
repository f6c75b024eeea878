use omni_connector::prelude::*;

struct C;

#[connector(name = "c", version = "1.0.0")]
impl C {
    fn sync(&self, _: NoConfig, _: NoCredentials, _: Option<()>, _: &SyncContext<()>) -> Result<()> {
        Ok(())
    }
}

fn main() {}
