use omni_connector::prelude::*;

struct C<T>(T);

#[connector(name = "c", version = "1.0.0")]
impl<T: Send + Sync + 'static> C<T> {
    async fn sync(&self, _: NoConfig, _: NoCredentials, _: Option<()>, _: &SyncContext<()>) -> Result<()> {
        Ok(())
    }
}

fn main() {}
