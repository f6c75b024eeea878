use omni_connector::prelude::*;

#[sync]
async fn run() {}

fn main() {}
