use omni_connector::prelude::*;

#[param(description = "x")]
fn helper(x: u8) -> u8 {
    x
}

fn main() {}
