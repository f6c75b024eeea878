//! `cargo run --example files -- sync --config examples/files/config.json`

mod connector;

fn main() -> std::process::ExitCode {
    omni_connector::run(connector::Files)
}
