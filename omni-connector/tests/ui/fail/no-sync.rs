use omni_connector::prelude::*;

struct C;

#[connector(name = "c", version = "1.0.0")]
impl C {
    fn helper(&self) {}
}

fn main() {}
