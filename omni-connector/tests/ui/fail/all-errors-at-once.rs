use omni_connector::prelude::*;

struct C;

#[connector(name = "Bad Name", version = "one", sync_modes(fast), colour = "red")]
impl C {

    /// Does a thing.
    #[action]
    fn thing() {}
}

fn main() {}
