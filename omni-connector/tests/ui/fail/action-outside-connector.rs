use omni_connector::prelude::*;

struct C;

impl C {
    /// Does a thing.
    #[action]
    async fn thing(&self) {}
}

fn main() {}
