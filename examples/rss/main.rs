//! An Omni connector for RSS and Atom feeds.
//!
//! Try it on the bundled sample feed, without Omni:
//!
//! ```sh
//! cargo run --example rss -- sync --config examples/rss/config.json
//! ```

mod connector;

fn main() -> std::process::ExitCode {
    omni_connector::run(connector::Rss)
}
