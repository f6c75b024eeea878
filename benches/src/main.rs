//! `bench`: runs the omni-connector benchmark and prints one JSON line per
//! scenario, then a table of medians and the targets met or missed.
//!
//! ```text
//! cargo run --release -p omni-connector-bench -- --runs 5 --separate-process
//! ```

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use omni_connector_bench::{measure, Bench, Measurement, Plan, Scenario, Settings};

const USAGE: &str = "\
usage: bench [--runs R] [--sizes 1000,10000,100000] [--scenarios startup,floor,floor-concurrent,store-only,sequential,concurrent,many-syncs]
             [--concurrency 16] [--sources 64] [--text-bytes 2048] [--separate-process] [--current-thread]
             [--manager-url URL | --manager-delay-ms D]
       bench serve-manager [--sources 64]     an external manager for --manager-url (prints its URL)

  --separate-process  run the connector as its own process (`bench serve-connector`), so that
                      its CPU time and RSS are its own; the manager stays in this process
  --current-thread    serve that connector on a current-thread runtime (default: multi-threaded,
                      as omni_connector::run does)
  --manager-url URL   use an external manager; it must know the sources bench-0, bench-1, ...
                      (as `bench serve-manager` does); request counts are then not reported
  --manager-delay-ms D
                      the in-process manager waits D ms (at least 1) before answering each
                      /sdk/* request, as a manager across a network does";

struct Args {
    runs: usize,
    sizes: Vec<u64>,
    scenarios: Vec<Scenario>,
    settings: Settings,
}

fn value<T: std::str::FromStr>(name: &str, value: Option<String>) -> Result<T, String> {
    let value = value.ok_or(format!("{name} needs a value"))?;
    value
        .parse()
        .map_err(|_| format!("{name}: cannot read {value:?}"))
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut parsed = Args {
        runs: 1,
        sizes: vec![1_000, 10_000, 100_000],
        scenarios: Scenario::ALL.to_vec(),
        settings: Settings::new(exe),
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => parsed.runs = value("--runs", args.next())?,
            "--sizes" => {
                parsed.sizes = value::<String>("--sizes", args.next())?
                    .split(',')
                    .map(|s| value("--sizes", Some(s.trim().replace('_', ""))))
                    .collect::<Result<_, _>>()?
            }
            "--scenarios" => {
                parsed.scenarios = value::<String>("--scenarios", args.next())?
                    .split(',')
                    .map(|s| Scenario::parse(s.trim()).ok_or(format!("unknown scenario {s:?}")))
                    .collect::<Result<_, _>>()?
            }
            "--concurrency" => parsed.settings.concurrency = value("--concurrency", args.next())?,
            "--sources" => parsed.settings.sources = value("--sources", args.next())?,
            "--text-bytes" => parsed.settings.text_bytes = value("--text-bytes", args.next())?,
            "--separate-process" => parsed.settings.separate_process = true,
            "--current-thread" => parsed.settings.current_thread = true,
            "--manager-delay-ms" => {
                let ms: u64 = value("--manager-delay-ms", args.next())?;
                parsed.settings.manager_delay = Some(Duration::from_millis(ms.max(1)));
            }
            "--manager-url" => {
                parsed.settings.manager_url = Some(value("--manager-url", args.next())?)
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    let outcome = match args.peek().map(String::as_str) {
        Some("serve-connector") => serve_connector(args.skip(1)),
        Some("serve-manager") => serve_manager(args.skip(1)),
        Some("floor-client") => floor_client(args.nth(1)),
        _ => parse(args).and_then(bench),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The hidden subcommand the benchmark runs the connector with, as
/// `omni_connector::run` does: a multi-threaded runtime.
fn serve_connector(mut args: impl Iterator<Item = String>) -> Result<(), String> {
    let mut fixed: Option<Plan> = None;
    let mut current_thread = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--plan" => {
                let plan: String = value("--plan", args.next())?;
                fixed = Some(serde_json::from_str(&plan).map_err(|e| e.to_string())?);
            }
            "--current-thread" => current_thread = true,
            other => return Err(format!("serve-connector: unknown argument {other:?}")),
        }
    }
    let runtime = if current_thread {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    }
    .map_err(|e| e.to_string())?;
    runtime.block_on(omni_connector_bench::serve_connector(fixed))
}

/// The hidden subcommand the floor runs as with `--separate-process`, on
/// the same runtime as the connector; prints its report as JSON.
fn floor_client(job: Option<String>) -> Result<(), String> {
    let job: omni_connector_bench::FloorJob =
        serde_json::from_str(&job.ok_or("floor-client needs a job")?).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let report = runtime.block_on(job.run_and_report())?;
    println!(
        "{}",
        serde_json::to_string(&report).map_err(|e| e.to_string())?
    );
    Ok(())
}

fn serve_manager(mut args: impl Iterator<Item = String>) -> Result<(), String> {
    let mut sources = 64;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sources" => sources = value("--sources", args.next())?,
            other => return Err(format!("serve-manager: unknown argument {other:?}")),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(omni_connector_bench::serve_manager(sources))
}

fn bench(args: Args) -> Result<(), String> {
    let mut first = machine();
    first["settings"] = serde_json::to_value(&args.settings).map_err(|e| e.to_string())?;
    println!("{first}");
    let bench = Bench::new(args.settings)?;
    let mut all = Vec::new();
    let mut out = std::io::stdout();
    for run in 1..=args.runs {
        for scenario in &args.scenarios {
            let sizes: &[u64] = if *scenario == Scenario::Startup {
                &[0]
            } else {
                &args.sizes
            };
            for &n in sizes {
                let m = bench.run(*scenario, n)?;
                let mut line = serde_json::to_value(&m).map_err(|e| e.to_string())?;
                line["run"] = run.into();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
                all.push(m);
            }
        }
    }
    println!();
    print_table(&all, args.runs, bench.settings().manager_delay);
    println!();
    print_targets(&all, bench.settings().concurrency);
    Ok(())
}

/// nproc, CPU model, memory, kernel, rustc version and load, as JSON.
fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split(':').nth(1))
        .unwrap_or("")
        .trim()
        .to_owned();
    let memory_kib = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:")?
                .split_whitespace()
                .next()?
                .parse::<u64>()
                .ok()
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    serde_json::json!({"machine": {
        "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": model,
        "memory_kib": memory_kib,
        "kernel": kernel,
        "rustc": rustc,
        "load_avg": measure::load_average(),
    }})
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// The medians of one scenario and size.
struct Medians {
    scenario: &'static str,
    documents: u64,
    wall_s: Option<f64>,
    docs_per_s: Option<f64>,
    requests_per_doc: Option<f64>,
    connector_cpu_s: Option<f64>,
    manager_cpu_share: Option<f64>,
    manager_cores: Option<f64>,
    peak_rss_mib: Option<f64>,
    idle_rss_mib: Option<f64>,
    startup_ms: Option<f64>,
    load_avg: Option<f64>,
}

fn medians(all: &[Measurement]) -> Vec<Medians> {
    let mut keys: Vec<(&'static str, u64)> = Vec::new();
    for m in all {
        if !keys.contains(&(m.scenario, m.documents)) {
            keys.push((m.scenario, m.documents));
        }
    }
    keys.into_iter()
        .map(|(scenario, documents)| {
            let of = |f: &dyn Fn(&Measurement) -> Option<f64>| {
                median(
                    all.iter()
                        .filter(|m| m.scenario == scenario && m.documents == documents)
                        .filter_map(f)
                        .collect(),
                )
            };
            Medians {
                scenario,
                documents,
                wall_s: of(&|m| Some(m.wall_s)),
                docs_per_s: of(&|m| Some(m.docs_per_s)),
                requests_per_doc: of(&|m| m.requests_per_doc),
                connector_cpu_s: of(&|m| m.connector_cpu_s),
                manager_cpu_share: of(&|m| m.manager_cpu_share),
                manager_cores: of(&|m| m.manager_cores),
                peak_rss_mib: of(&|m| m.peak_rss_kib.map(|k| k as f64 / 1024.0)),
                idle_rss_mib: of(&|m| m.idle_rss_kib.map(|k| k as f64 / 1024.0)),
                startup_ms: of(&|m| m.startup_ms),
                load_avg: of(&|m| Some(m.load_avg)),
            }
        })
        .collect()
}

fn cell(value: Option<f64>, decimals: usize) -> String {
    value.map_or("-".into(), |v| format!("{v:.decimals$}"))
}

fn print_table(all: &[Measurement], runs: usize, manager_delay: Option<Duration>) {
    let mode = all
        .iter()
        .find(|m| m.scenario != "startup")
        .map_or("", |m| m.mode);
    let delay = manager_delay.map_or(String::new(), |d| {
        format!(
            "; the manager waits {} ms before each answer",
            d.as_millis()
        )
    });
    println!("medians of {runs} run(s); connector {mode}{delay}");
    println!(
        "| scenario | N | wall s | docs/s | req/doc | connector CPU s | manager CPU share | manager cores | peak RSS MiB | idle RSS MiB | start-up ms | load |"
    );
    println!(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for m in medians(all) {
        let n = if m.scenario == "startup" {
            "-".to_owned()
        } else {
            m.documents.to_string()
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            m.scenario,
            n,
            cell(m.wall_s.filter(|_| m.scenario != "startup"), 3),
            cell(m.docs_per_s.filter(|_| m.scenario != "startup"), 0),
            cell(m.requests_per_doc, 4),
            cell(m.connector_cpu_s, 3),
            cell(m.manager_cpu_share, 2),
            cell(m.manager_cores, 2),
            cell(m.peak_rss_mib, 1),
            cell(m.idle_rss_mib, 1),
            cell(m.startup_ms, 1),
            cell(m.load_avg, 2),
        );
    }
}

fn print_targets(all: &[Measurement], concurrency: usize) {
    let medians = medians(all);
    let get = |scenario: &str, n: u64| {
        medians
            .iter()
            .find(|m| m.scenario == scenario && (n == 0 || m.documents == n))
    };
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let mut sizes: Vec<u64> = medians
        .iter()
        .filter(|m| m.scenario == "sequential")
        .map(|m| m.documents)
        .collect();
    sizes.sort_unstable();
    println!("targets (medians):");
    for &n in &sizes {
        let Some(seq) = get("sequential", n) else {
            continue;
        };
        if let Some(rpd) = seq.requests_per_doc {
            println!(
                "  sequential N={n}: {rpd:.4} requests/doc <= 1.02: {}",
                verdict(rpd <= 1.02)
            );
        }
        if let (Some(s), Some(f)) = (seq.docs_per_s, get("floor", n).and_then(|f| f.docs_per_s)) {
            let ratio = s / f;
            println!(
                "  sequential N={n}: {ratio:.3} x floor >= 0.85: {}",
                verdict(ratio >= 0.85)
            );
        }
        if let (Some(s), Some(c)) = (
            seq.docs_per_s,
            get("concurrent", n).and_then(|c| c.docs_per_s),
        ) {
            let ratio = c / s;
            println!(
                "  concurrent (K={concurrency}) N={n}: {ratio:.2} x sequential >= 3: {}",
                verdict(ratio >= 3.0)
            );
        }
        // The SDK's content path alone against the bare client, and what
        // emitting adds on top: where `sequential`'s distance to the floor
        // comes from.
        if let (Some(so), Some(f)) = (
            get("store-only", n).and_then(|m| m.docs_per_s),
            get("floor", n).and_then(|f| f.docs_per_s),
        ) {
            println!("  store-only N={n}: {:.3} x floor (for reference)", so / f);
            if let Some(s) = seq.docs_per_s {
                println!(
                    "  sequential N={n}: {:.3} x store-only (for reference)",
                    s / so
                );
            }
        }
        // What the bare client itself reaches with the same concurrency:
        // the ceiling this machine and manager put on that ratio.
        if let (Some(f), Some(fc)) = (
            get("floor", n).and_then(|f| f.docs_per_s),
            get("floor-concurrent", n).and_then(|f| f.docs_per_s),
        ) {
            println!(
                "  floor-concurrent (K={concurrency}) N={n}: {:.2} x floor (for reference)",
                fc / f
            );
        }
        if let (Some(c), Some(fc)) = (
            get("concurrent", n).and_then(|c| c.docs_per_s),
            get("floor-concurrent", n).and_then(|f| f.docs_per_s),
        ) {
            println!(
                "  concurrent N={n}: {:.3} x floor-concurrent (for reference)",
                c / fc
            );
        }
        for scenario in [
            "store-only",
            "sequential",
            "concurrent",
            "many-syncs",
            "floor",
            "floor-concurrent",
        ] {
            if let Some(share) = get(scenario, n).and_then(|m| m.manager_cores) {
                println!("  {scenario} N={n}: manager uses {share:.2} of a core");
            }
        }
    }
    if let (Some(big), Some(mid)) = (
        get("sequential", 100_000).and_then(|m| m.peak_rss_mib),
        get("sequential", 10_000).and_then(|m| m.peak_rss_mib),
    ) {
        println!(
            "  sequential N=100000: peak RSS {big:.1} MiB <= 32: {}",
            verdict(big <= 32.0)
        );
        println!(
            "  sequential N=100000: peak RSS {:.2} x N=10000 <= 1.2: {}",
            big / mid,
            verdict(big / mid <= 1.2)
        );
    }
    if let Some(startup) = get("startup", 0) {
        if let Some(idle) = startup.idle_rss_mib {
            println!("  idle RSS {idle:.1} MiB <= 8: {}", verdict(idle <= 8.0));
        }
        if let Some(ms) = startup.startup_ms {
            println!("  start-up {ms:.1} ms <= 50: {}", verdict(ms <= 50.0));
        }
    }
}
