//! The command line of a connector binary: [`run`] is the whole `main`.
//!
//! ```no_run
//! # struct Rss;
//! # impl omni_connector::Connector for Rss {
//! #     type Config = omni_connector::NoConfig; type Credentials = omni_connector::NoCredentials; type State = ();
//! #     fn name(&self) -> &str { "rss" } fn version(&self) -> &str { "1.0.0" }
//! #     async fn sync(&self, _: Self::Config, _: Self::Credentials, _: Option<()>, _: &omni_connector::SyncContext<()>) -> omni_connector::Result<()> { Ok(()) }
//! # }
//! fn main() -> std::process::ExitCode {
//!     omni_connector::run(Rss)
//! }
//! ```

mod action;
mod input;
mod sync;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;

use crate::client::MANAGER_URL_ENV;
use crate::connector::Connector;
use crate::models::SyncMode;
use crate::server::Server;

const EXAMPLES: &str = "\
Examples:
  Serve for Omni (also the default when CONNECTOR_MANAGER_URL is set):
    CONNECTOR_MANAGER_URL=http://connector-manager:3004 CONNECTOR_HOST_NAME=rss PORT=8000 my-connector serve
  Print the manifest:
    my-connector manifest
  Sync locally, then again incrementally from the state it ended with:
    my-connector sync --config config.json --state-out state.json
    my-connector sync --config config.json --state state.json --mode incremental
  Call an action:
    my-connector action validate_feed --params '{\"url\": \"https://example.com/feed.xml\"}'";

#[derive(Debug, Parser)]
#[command(disable_version_flag = true, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the connector for Omni's connector-manager.
    ///
    /// Reads CONNECTOR_MANAGER_URL, CONNECTOR_HOST_NAME and PORT, registers
    /// with the manager, and runs until SIGTERM or Ctrl-C.
    #[command(
        after_help = "Example:\n  CONNECTOR_MANAGER_URL=http://connector-manager:3004 CONNECTOR_HOST_NAME=rss PORT=8000 my-connector serve"
    )]
    Serve,
    /// Print the connector's manifest as JSON.
    #[command(after_help = "Example:\n  my-connector manifest > manifest.json")]
    Manifest,
    /// Run one sync locally, against an embedded manager, and show what it emits.
    ///
    /// The connector is served on loopback and an in-process manager
    /// triggers the sync over HTTP, as Omni would. Documents are printed as
    /// they arrive; the summary ends with the new state, which the next run
    /// takes with --state.
    #[command(
        after_help = "Examples:\n  my-connector sync --config config.json\n  my-connector sync --config '{\"feed_url\": \"feed.xml\"}' --events events.jsonl --state-out state.json\n  my-connector sync --config config.json --state state.json --mode incremental"
    )]
    Sync {
        /// The source's config: a JSON file, or inline JSON.
        #[arg(long, value_name = "FILE|JSON", default_value = "{}")]
        config: String,
        /// The credential secrets: a JSON file, or inline JSON.
        #[arg(long, value_name = "FILE|JSON")]
        credentials: Option<String>,
        /// The state to start from (a previous run's state).
        #[arg(long, value_name = "FILE|JSON")]
        state: Option<String>,
        /// The sync mode.
        #[arg(long, value_enum, default_value_t = Mode::Full)]
        mode: Mode,
        /// Also write every event, one JSON object per line, to this file.
        #[arg(long, value_name = "FILE.jsonl")]
        events: Option<String>,
        /// Write the final state to this file, ready for --state.
        #[arg(long, value_name = "FILE")]
        state_out: Option<String>,
        /// Print only the summary, not each document.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Invoke one of the connector's actions and print its response.
    #[command(
        after_help = "Example:\n  my-connector action validate_feed --params '{\"url\": \"https://example.com/feed.xml\"}'"
    )]
    Action {
        /// The action's name.
        name: String,
        /// Its parameters: a JSON object, inline or in a file.
        #[arg(long, value_name = "FILE|JSON", default_value = "{}")]
        params: String,
        /// The credential secrets: a JSON file, or inline JSON.
        #[arg(long, value_name = "FILE|JSON")]
        credentials: Option<String>,
        /// The source's config: a JSON file, or inline JSON.
        #[arg(long, value_name = "FILE|JSON")]
        config: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Full,
    Incremental,
    Realtime,
}

impl From<Mode> for SyncMode {
    fn from(mode: Mode) -> Self {
        match mode {
            Mode::Full => SyncMode::Full,
            Mode::Incremental => SyncMode::Incremental,
            Mode::Realtime => SyncMode::Realtime,
        }
    }
}

/// The `main` of a connector binary: parses the command line, sets up
/// logging (`RUST_LOG`, e.g. `info,omni_connector=debug`), and runs
/// `serve`, `manifest`, `sync` or `action`. Exits non-zero, with the
/// error, when a sync or action fails.
pub fn run<C: Connector>(connector: C) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    runtime.block_on(run_with_args(connector, std::env::args_os(), &mut stdout))
}

/// [`run`] with explicit arguments (the first is the program name) and
/// output, inside an existing runtime; for tests and custom `main`s.
pub async fn run_with_args<C, I, T>(connector: C, args: I, out: &mut (dyn Write + Send)) -> ExitCode
where
    C: Connector,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let command = match cli.command {
        Some(command) => command,
        None if std::env::var_os(MANAGER_URL_ENV).is_some() => Command::Serve,
        None => {
            eprintln!(
                "error: no command given, and {MANAGER_URL_ENV} is not set to serve for Omni.\n\
                 Try `sync --config ...` to run a sync locally, or `--help`."
            );
            return ExitCode::from(2);
        }
    };
    init_logging(matches!(command, Command::Serve));
    match execute(connector, command, out).await {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn execute<C: Connector>(
    connector: C,
    command: Command,
    out: &mut (dyn Write + Send),
) -> Result<u8, String> {
    match command {
        Command::Serve => {
            let server = Server::from_env(connector).map_err(|e| e.chain())?;
            server.serve().await.map_err(|e| e.chain())?;
            Ok(0)
        }
        Command::Manifest => {
            let host = std::env::var("CONNECTOR_HOST_NAME").unwrap_or_else(|_| "localhost".into());
            let port = std::env::var("PORT").unwrap_or_else(|_| "8000".into());
            let manifest = connector.manifest(&format!("http://{host}:{port}"));
            let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
            writeln!(out, "{text}").map_err(|e| e.to_string())?;
            Ok(0)
        }
        Command::Sync {
            config,
            credentials,
            state,
            mode,
            events,
            state_out,
            quiet,
        } => {
            let args = sync::SyncArgs {
                config: input::json_arg("--config", &config)?,
                credentials: optional_json("--credentials", credentials)?,
                state: optional_json("--state", state)?,
                mode: mode.into(),
                events,
                state_out,
                quiet,
            };
            let completed = sync::run(connector, args, out).await?;
            Ok(if completed { 0 } else { 1 })
        }
        Command::Action {
            name,
            params,
            credentials,
            config,
        } => {
            let params = input::json_arg("--params", &params)?;
            let credentials = optional_json("--credentials", credentials)?;
            let config = optional_json("--config", config)?;
            action::run(connector, &name, params, credentials, config, out).await
        }
    }
}

fn optional_json(flag: &str, text: Option<String>) -> Result<Option<Value>, String> {
    text.map(|t| input::json_arg(flag, &t)).transpose()
}

/// Logs to stderr; `RUST_LOG` picks the levels (default `info` when
/// serving, `warn` otherwise, so skipped items show during a local sync).
fn init_logging(serving: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let default = if serving { "info" } else { "warn" };
    let filter: tracing_subscriber::filter::Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| default.parse().unwrap_or_default());
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    // A subscriber may already be set (tests, embedding): keep it.
    let _ = tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_command_shows_an_example() {
        let mut cli = Cli::command();
        let top = cli.render_long_help().to_string();
        assert!(top.contains("Examples:"), "{top}");
        for name in ["serve", "manifest", "sync", "action"] {
            let command = cli.find_subcommand_mut(name).unwrap();
            let help = command.render_long_help().to_string();
            assert!(help.contains("Example"), "{name}: {help}");
        }
    }
}
