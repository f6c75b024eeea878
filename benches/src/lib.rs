//! The omni-connector benchmark: a connector written with `#[connector]`
//! syncs synthetic documents against the in-process manager over real
//! loopback HTTP, and the driver measures time, requests, CPU and memory.
//! `src/main.rs` is the command line; `BENCHMARKS.md` has the figures.

pub mod connector;
mod floor;
mod http;
pub mod measure;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use omni_connector::testing::{Faults, ManagerOptions, MockManager, RunStatus, SourceSeed};
use omni_connector::{SdkClient, Server, ServerConfig, ServerHandle, SyncMode, SyncRequest};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

pub use connector::{BenchConnector, Plan};

/// Name prefix of the in-process manager's threads, by which its CPU time
/// is told apart from the connector's.
pub const MANAGER_THREADS: &str = "bench-manager";

/// How long one sync may take before the benchmark gives up.
const SYNC_TIMEOUT: Duration = Duration::from_secs(600);

/// A workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// A bare hyper client sending the content requests over one
    /// keep-alive connection: the protocol's floor.
    Floor,
    /// The same bare client with `concurrency` connections sending at
    /// once: the protocol's floor for `concurrent`.
    FloorConcurrent,
    /// Store, emit, count, one document after the other.
    Sequential,
    /// `Sequential` without the emit: store and count only, to set the
    /// SDK's content path against the floor.
    StoreOnly,
    /// Contents stored with up to `concurrency` requests in flight.
    Concurrent,
    /// `sources` sources syncing at once in one connector process.
    ManySyncs,
    /// Spawn a served connector: time to the first healthy `/health`, and
    /// its idle RSS.
    Startup,
}

impl Scenario {
    /// Every workload, in the order a run goes through them.
    pub const ALL: [Scenario; 7] = [
        Scenario::Startup,
        Scenario::Floor,
        Scenario::FloorConcurrent,
        Scenario::StoreOnly,
        Scenario::Sequential,
        Scenario::Concurrent,
        Scenario::ManySyncs,
    ];

    /// Its name on the command line and in the output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Floor => "floor",
            Self::FloorConcurrent => "floor-concurrent",
            Self::Sequential => "sequential",
            Self::StoreOnly => "store-only",
            Self::Concurrent => "concurrent",
            Self::ManySyncs => "many-syncs",
            Self::Startup => "startup",
        }
    }

    /// The workload of a name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// How the benchmark runs.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Run the connector as a process of its own (`exe serve-connector`).
    pub separate_process: bool,
    /// An external manager instead of the in-process one. It must know the
    /// sources `bench-0`, `bench-1`... (`bench serve-manager` does).
    pub manager_url: Option<String>,
    /// Have the in-process manager wait this long before answering each
    /// `/sdk/*` request ([`Faults::delay`]), as a manager across a network
    /// and in front of a database does. tokio's timer counts whole
    /// milliseconds, so this is at least 1 ms when set.
    #[serde(rename = "manager_delay_ms", serialize_with = "as_millis")]
    pub manager_delay: Option<Duration>,
    /// Content requests in flight in `concurrent`.
    pub concurrency: usize,
    /// Sources in `many-syncs`.
    pub sources: usize,
    /// Bytes of text per document.
    pub text_bytes: usize,
    /// Serve the separate-process connector on a current-thread runtime
    /// instead of `omni_connector::run`'s multi-threaded one.
    pub current_thread: bool,
    /// The bench binary, for `serve-connector`.
    pub exe: PathBuf,
}

fn as_millis<S: serde::Serializer>(delay: &Option<Duration>, to: S) -> Result<S::Ok, S::Error> {
    delay.map(|d| d.as_millis() as u64).serialize(to)
}

impl Settings {
    /// In-process, K = 16, 64 sources, 2 KB texts.
    pub fn new(exe: PathBuf) -> Self {
        Self {
            separate_process: false,
            manager_url: None,
            manager_delay: None,
            concurrency: 16,
            sources: 64,
            text_bytes: 2048,
            current_thread: false,
            exe,
        }
    }
}

/// What one scenario measured. Absent figures are `null` in the JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    /// The workload.
    pub scenario: &'static str,
    /// `in-process` or `separate-process` (where the connector ran).
    pub mode: &'static str,
    /// Documents in all.
    pub documents: u64,
    /// Sources synced at once.
    pub sources: usize,
    /// Content requests in flight per sync.
    pub concurrency: usize,
    /// From the trigger to the last run's completion.
    pub wall_s: f64,
    /// `documents / wall_s`.
    pub docs_per_s: f64,
    /// Requests the manager answered during the scenario.
    pub requests: Option<u64>,
    /// `requests / documents`.
    pub requests_per_doc: Option<f64>,
    /// CPU time of the connector (the floor's client for `floor`).
    pub connector_cpu_s: Option<f64>,
    /// CPU time of the in-process manager's threads.
    pub manager_cpu_s: Option<f64>,
    /// `manager / (manager + connector)` CPU.
    pub manager_cpu_share: Option<f64>,
    /// The manager's CPU per wall second: 1.0 is one core saturated.
    pub manager_cores: Option<f64>,
    /// Peak RSS of the connector's process (in-process: of the bench
    /// process, the manager included), KiB.
    pub peak_rss_kib: Option<u64>,
    /// RSS of a served connector at rest, KiB (`startup`).
    pub idle_rss_kib: Option<u64>,
    /// From spawning the connector to its first 200 on `/health`, ms.
    pub startup_ms: Option<f64>,
    /// The 1-minute load average at the end of the scenario.
    pub load_avg: f64,
}

impl Measurement {
    fn new(scenario: Scenario, mode: &'static str) -> Self {
        Self {
            scenario: scenario.name(),
            mode,
            documents: 0,
            sources: 0,
            concurrency: 0,
            wall_s: 0.0,
            docs_per_s: 0.0,
            requests: None,
            requests_per_doc: None,
            connector_cpu_s: None,
            manager_cpu_s: None,
            manager_cpu_share: None,
            manager_cores: None,
            peak_rss_kib: None,
            idle_rss_kib: None,
            startup_ms: None,
            load_avg: 0.0,
        }
    }

    fn finish(&mut self, wall: Duration, requests: Option<u64>, cpu: CpuDelta) {
        self.wall_s = wall.as_secs_f64();
        self.docs_per_s = self.documents as f64 / self.wall_s.max(1e-9);
        self.requests = requests;
        self.requests_per_doc = requests.map(|r| r as f64 / self.documents.max(1) as f64);
        self.connector_cpu_s = cpu.connector.map(|d| d.as_secs_f64());
        self.manager_cpu_s = cpu.manager.map(|d| d.as_secs_f64());
        if let (Some(c), Some(m)) = (self.connector_cpu_s, self.manager_cpu_s) {
            self.manager_cpu_share = Some(m / (m + c).max(1e-9));
            self.manager_cores = Some(m / self.wall_s.max(1e-9));
        }
        self.load_avg = measure::load_average();
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct CpuDelta {
    connector: Option<Duration>,
    manager: Option<Duration>,
}

/// The manager the connector talks to.
enum Manager {
    Local(MockManager),
    External { url: String, sdk: SdkClient },
}

/// A running connector.
enum Connector {
    InProcess(ServerHandle),
    Child {
        child: Child,
        url: String,
        startup: Duration,
    },
}

impl Connector {
    fn url(&self) -> String {
        match self {
            Self::InProcess(handle) => handle.local_url(),
            Self::Child { url, .. } => url.clone(),
        }
    }

    fn pid(&self) -> Option<u32> {
        match self {
            Self::InProcess(_) => None,
            Self::Child { child, .. } => Some(child.id()),
        }
    }

    async fn stop(self) {
        match self {
            Self::InProcess(handle) => handle.shutdown().await,
            Self::Child { mut child, .. } => {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// The benchmark: its runtimes, its manager and its settings.
pub struct Bench {
    // Dropped first: stops the in-process manager's server.
    manager: Manager,
    settings: Settings,
    main: Runtime,
    // The in-process manager runs on threads of its own, so that its CPU
    // time can be told apart; `None` with an external manager.
    _manager_runtime: Option<Runtime>,
}

impl Bench {
    /// Starts the runtimes and, unless `manager_url` is set, the
    /// in-process manager (keeping nothing, counting everything).
    pub fn new(settings: Settings) -> Result<Self, String> {
        let main = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        if settings.manager_url.is_some() && settings.manager_delay.is_some() {
            return Err(
                "a manager delay applies to the in-process manager only, not with a manager URL"
                    .into(),
            );
        }
        let (manager, runtime) = match &settings.manager_url {
            Some(url) => {
                let sdk = SdkClient::new(url).map_err(|e| e.to_string())?;
                let url = url.trim_end_matches('/').to_owned();
                (Manager::External { url, sdk }, None)
            }
            None => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name(MANAGER_THREADS)
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                let manager = runtime
                    .block_on(MockManager::start_with(ManagerOptions::counting_only()))
                    .map_err(|e| format!("could not start the manager: {e}"))?;
                if let Some(delay) = settings.manager_delay {
                    manager.set_faults(Faults {
                        delay: Some(delay),
                        ..Faults::default()
                    });
                }
                (Manager::Local(manager), Some(runtime))
            }
        };
        Ok(Self {
            manager,
            settings,
            main,
            _manager_runtime: runtime,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Runs one scenario with `documents` documents in all.
    pub fn run(&self, scenario: Scenario, documents: u64) -> Result<Measurement, String> {
        self.main.block_on(async {
            match scenario {
                Scenario::Floor => self.floor(documents, 1).await,
                Scenario::FloorConcurrent => self.floor(documents, self.settings.concurrency).await,
                Scenario::Startup => self.startup().await,
                Scenario::Sequential | Scenario::StoreOnly => {
                    self.syncs(scenario, documents, 1, 1).await
                }
                Scenario::Concurrent => {
                    self.syncs(scenario, documents, self.settings.concurrency, 1)
                        .await
                }
                Scenario::ManySyncs => {
                    self.syncs(scenario, documents, 1, self.settings.sources)
                        .await
                }
            }
        })
    }

    fn mode(&self) -> &'static str {
        if self.settings.separate_process {
            "separate-process"
        } else {
            "in-process"
        }
    }

    fn manager_url(&self) -> String {
        match &self.manager {
            Manager::Local(m) => m.url(),
            Manager::External { url, .. } => url.clone(),
        }
    }

    fn request_count(&self) -> Option<u64> {
        match &self.manager {
            Manager::Local(m) => Some(m.request_count() as u64),
            Manager::External { .. } => None,
        }
    }

    fn manager_cpu(&self) -> Option<Duration> {
        match &self.manager {
            Manager::Local(_) => Some(measure::threads_cpu(MANAGER_THREADS)),
            Manager::External { .. } => None,
        }
    }

    /// CPU of the connector so far: its process's, or (in-process) this
    /// process's less the manager's threads.
    fn connector_cpu(&self, connector: Option<&Connector>) -> Option<Duration> {
        match connector.and_then(Connector::pid) {
            Some(pid) => measure::pid_cpu(pid),
            None => Some(
                measure::process_cpu().saturating_sub(self.manager_cpu().unwrap_or(Duration::ZERO)),
            ),
        }
    }

    fn cpu_since(&self, connector: Option<&Connector>, before: CpuDelta) -> CpuDelta {
        let sub = |now: Option<Duration>, then: Option<Duration>| match (now, then) {
            (Some(now), Some(then)) => Some(now.saturating_sub(then)),
            _ => None,
        };
        CpuDelta {
            connector: sub(self.connector_cpu(connector), before.connector),
            manager: sub(self.manager_cpu(), before.manager),
        }
    }

    fn cpu_now(&self, connector: Option<&Connector>) -> CpuDelta {
        CpuDelta {
            connector: self.connector_cpu(connector),
            manager: self.manager_cpu(),
        }
    }

    /// Starts the connector, in this process or as `serve-connector`.
    async fn start_connector(
        &self,
        fixed: Option<Plan>,
        separate: bool,
    ) -> Result<Connector, String> {
        if !separate {
            let mut config = ServerConfig::new(self.manager_url(), "127.0.0.1", 0);
            config.bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
            config.register_interval = Duration::from_secs(3600);
            let client = SdkClient::new(&self.manager_url()).map_err(|e| e.to_string())?;
            let handle = Server::new(BenchConnector { fixed }, config)
                .client(client)
                .start()
                .await
                .map_err(|e| e.to_string())?;
            return Ok(Connector::InProcess(handle));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let mut command = Command::new(&self.settings.exe);
        command
            .arg("serve-connector")
            .env("CONNECTOR_MANAGER_URL", self.manager_url())
            .env("CONNECTOR_HOST_NAME", "127.0.0.1")
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if self.settings.current_thread {
            command.arg("--current-thread");
        }
        if let Some(plan) = fixed {
            command
                .arg("--plan")
                .arg(serde_json::to_string(&plan).map_err(|e| e.to_string())?);
        }
        let started = Instant::now();
        let mut child = command
            .spawn()
            .map_err(|e| format!("could not run {}: {e}", self.settings.exe.display()))?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while !http::health_ok(addr).await {
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                return Err("the connector was not healthy within 10 s".into());
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("the connector exited: {status}"));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let startup = started.elapsed();
        // Let registration (and its health check) finish before measuring.
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(Connector::Child {
            child,
            url: format!("http://127.0.0.1:{port}"),
            startup,
        })
    }

    /// Spawns a served connector: start-up time and idle RSS.
    async fn startup(&self) -> Result<Measurement, String> {
        let mut m = Measurement::new(Scenario::Startup, "separate-process");
        let connector = self.start_connector(None, true).await?;
        tokio::time::sleep(Duration::from_millis(800)).await;
        if let Connector::Child { startup, .. } = &connector {
            m.startup_ms = Some(startup.as_secs_f64() * 1000.0);
        }
        m.idle_rss_kib = measure::status_kib(connector.pid(), "VmRSS");
        m.peak_rss_kib = measure::status_kib(connector.pid(), "VmHWM");
        m.connector_cpu_s = self
            .connector_cpu(Some(&connector))
            .map(|d| d.as_secs_f64());
        m.load_avg = measure::load_average();
        connector.stop().await;
        Ok(m)
    }

    /// `sources` syncs of `documents / sources` documents each, at once.
    async fn syncs(
        &self,
        scenario: Scenario,
        documents: u64,
        concurrency: usize,
        sources: usize,
    ) -> Result<Measurement, String> {
        let sources = sources.max(1);
        let per_source = documents.div_ceil(sources as u64);
        let plan = Plan {
            documents: per_source,
            concurrency,
            text_bytes: self.settings.text_bytes,
            emit: scenario != Scenario::StoreOnly,
        };
        let source_ids: Vec<String> = match &self.manager {
            Manager::Local(manager) => (0..sources)
                .map(|_| {
                    let config = serde_json::to_value(plan).unwrap_or_default();
                    manager.add_source(SourceSeed::new("web").config(config))
                })
                .collect(),
            Manager::External { .. } => (0..sources).map(|i| format!("bench-{i}")).collect(),
        };
        let fixed = matches!(self.manager, Manager::External { .. }).then_some(plan);
        let connector = self
            .start_connector(fixed, self.settings.separate_process)
            .await?;
        if connector.pid().is_none() {
            measure::reset_peak_rss(None);
        }
        let mut m = Measurement::new(scenario, self.mode());
        m.documents = per_source * sources as u64;
        m.sources = sources;
        m.concurrency = concurrency;

        let cpu = self.cpu_now(Some(&connector));
        let requests = self.request_count();
        let started = Instant::now();
        let events = if plan.emit { per_source } else { 0 };
        let outcome = self
            .sync_all(&connector, &source_ids, per_source, events)
            .await;
        let wall = started.elapsed();
        let requests = self
            .request_count()
            .zip(requests)
            .map(|(after, before)| after - before);
        let cpu = self.cpu_since(Some(&connector), cpu);
        m.peak_rss_kib = measure::status_kib(connector.pid(), "VmHWM");
        connector.stop().await;
        outcome?;
        m.finish(wall, requests, cpu);
        Ok(m)
    }

    /// Triggers one sync per source, and waits until all have completed
    /// with every document counted and `events` events each delivered.
    async fn sync_all(
        &self,
        connector: &Connector,
        source_ids: &[String],
        per_source: u64,
        events: u64,
    ) -> Result<(), String> {
        let url = connector.url();
        let mut runs = JoinSet::new();
        for source_id in source_ids {
            let url = url.clone();
            let source_id = source_id.clone();
            match &self.manager {
                Manager::Local(manager) => {
                    let manager = manager.clone();
                    runs.spawn(async move {
                        let run = manager
                            .trigger_sync(&url, &source_id, SyncMode::Full)
                            .await
                            .map_err(|e| e.to_string())?;
                        let snapshot = manager
                            .wait_for_run(&run, SYNC_TIMEOUT)
                            .await
                            .ok_or("the sync did not finish in time")?;
                        if snapshot.status != RunStatus::Completed {
                            return Err(format!("the run ended {:?}: {:?}", snapshot.status, snapshot.error));
                        }
                        if snapshot.documents_scanned != per_source
                            || snapshot.events as u64 != events
                        {
                            return Err(format!(
                                "expected {per_source} documents and {events} events, the manager got {} events and {} scanned",
                                snapshot.events, snapshot.documents_scanned
                            ));
                        }
                        Ok(())
                    });
                }
                Manager::External { sdk, .. } => {
                    let sdk = sdk.clone();
                    runs.spawn(async move {
                        let run = sdk
                            .create_sync(&source_id, "full")
                            .await
                            .map_err(|e| e.to_string())?;
                        trigger_and_wait(&url, &source_id, &run).await
                    });
                }
            }
        }
        while let Some(done) = runs.join_next().await {
            done.map_err(|e| e.to_string())??;
        }
        Ok(())
    }

    /// Runs the floor client as `bench floor-client`, which reports its
    /// own wall time, CPU time and peak RSS.
    async fn floor_client(&self, job: &FloorJob) -> Result<FloorReport, String> {
        let output = tokio::process::Command::new(&self.settings.exe)
            .arg("floor-client")
            .arg(serde_json::to_string(job).map_err(|e| e.to_string())?)
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|e| format!("could not run {}: {e}", self.settings.exe.display()))?;
        if !output.status.success() {
            return Err(format!(
                "the floor client failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("the floor client's report: {e}"))
    }

    /// The protocol's floor: the same content requests from a bare hyper
    /// client over `connections` keep-alive connections.
    async fn floor(&self, documents: u64, connections: usize) -> Result<Measurement, String> {
        let (addr, sync_run_id) = match &self.manager {
            Manager::Local(manager) => {
                let source = manager.add_source(SourceSeed::new("web"));
                (manager.addr(), manager.create_run(&source, SyncMode::Full))
            }
            Manager::External { url, sdk } => {
                let host = url.trim_start_matches("http://");
                let host = host.split('/').next().unwrap_or(host);
                let addr = tokio::net::lookup_host(host)
                    .await
                    .map_err(|e| e.to_string())?
                    .next()
                    .ok_or("the manager URL resolves to nothing")?;
                let run = sdk
                    .create_sync("bench-0", "full")
                    .await
                    .map_err(|e| e.to_string())?;
                (addr, run)
            }
        };
        let scenario = if connections == 1 {
            Scenario::Floor
        } else {
            Scenario::FloorConcurrent
        };
        let mut m = Measurement::new(scenario, self.mode());
        m.documents = documents;
        m.sources = 1;
        m.concurrency = connections;
        let requests = self.request_count();
        let job = FloorJob {
            addr,
            sync_run_id,
            documents,
            text_bytes: self.settings.text_bytes,
            connections,
        };
        let (wall, cpu) = if self.settings.separate_process {
            // Like the connector: in a process of its own, so that both pay
            // the same for crossing between processes.
            let manager = self.manager_cpu();
            let report = self.floor_client(&job).await?;
            let manager = self
                .manager_cpu()
                .zip(manager)
                .map(|(a, b)| a.saturating_sub(b));
            m.peak_rss_kib = report.peak_rss_kib;
            let cpu = CpuDelta {
                connector: Some(Duration::from_secs_f64(report.cpu_s)),
                manager,
            };
            (Duration::from_secs_f64(report.wall_s), cpu)
        } else {
            measure::reset_peak_rss(None);
            let cpu = self.cpu_now(None);
            let started = Instant::now();
            job.run().await?;
            let wall = started.elapsed();
            m.peak_rss_kib = measure::status_kib(None, "VmHWM");
            (wall, self.cpu_since(None, cpu))
        };
        let requests = self
            .request_count()
            .zip(requests)
            .map(|(after, before)| after - before);
        m.finish(wall, requests, cpu);
        Ok(m)
    }
}

/// What the floor client sends, and where.
#[derive(Debug, Serialize, Deserialize)]
pub struct FloorJob {
    addr: SocketAddr,
    sync_run_id: String,
    documents: u64,
    text_bytes: usize,
    connections: usize,
}

impl FloorJob {
    async fn run(&self) -> Result<(), String> {
        floor::run(
            self.addr,
            &self.sync_run_id,
            self.documents,
            self.text_bytes,
            self.connections,
        )
        .await
    }

    /// Sends the requests in this process and reports what they cost it:
    /// the `floor-client` subcommand.
    pub async fn run_and_report(&self) -> Result<FloorReport, String> {
        measure::reset_peak_rss(None);
        let cpu = measure::process_cpu();
        let started = Instant::now();
        self.run().await?;
        Ok(FloorReport {
            wall_s: started.elapsed().as_secs_f64(),
            cpu_s: measure::process_cpu().saturating_sub(cpu).as_secs_f64(),
            peak_rss_kib: measure::status_kib(None, "VmHWM"),
        })
    }
}

/// What a floor client process measured of itself.
#[derive(Debug, Serialize, Deserialize)]
pub struct FloorReport {
    /// Time to send every request and read every answer.
    pub wall_s: f64,
    /// Its CPU time (user + system) meanwhile.
    pub cpu_s: f64,
    /// Its peak RSS at the end.
    pub peak_rss_kib: Option<u64>,
}

/// For an external manager: asks the connector to sync the run, as the
/// manager would, and polls `GET /sync/{id}` until it stops.
async fn trigger_and_wait(url: &str, source_id: &str, run: &str) -> Result<(), String> {
    let client = http::client();
    let request = SyncRequest {
        sync_run_id: run.to_owned(),
        source_id: source_id.to_owned(),
        sync_mode: SyncMode::Full,
        last_sync_at: None,
        checkpoint: None,
        is_resume: false,
    };
    let body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
    let (status, answer) = http::send(
        &client,
        hyper::Method::POST,
        &format!("{url}/sync"),
        Some(body),
    )
    .await?;
    if status != 200 {
        return Err(format!(
            "the connector refused the sync ({status}): {}",
            String::from_utf8_lossy(&answer)
        ));
    }
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (_, answer) = http::send(
            &client,
            hyper::Method::GET,
            &format!("{url}/sync/{run}"),
            None,
        )
        .await?;
        let running = serde_json::from_slice::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| v.get("running")?.as_bool());
        if running == Some(false) {
            return Ok(());
        }
        if started.elapsed() > SYNC_TIMEOUT {
            return Err("the sync did not finish in time".into());
        }
    }
}

/// Serves the benchmark connector until SIGTERM: the `serve-connector`
/// subcommand. `CONNECTOR_MANAGER_URL`, `CONNECTOR_HOST_NAME` and `PORT`
/// come from the environment; registration every hour, so that it does
/// not count in the requests of a measured sync.
pub async fn serve_connector(fixed: Option<Plan>) -> Result<(), String> {
    let mut config = ServerConfig::from_env().map_err(|e| e.to_string())?;
    config.bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
    config.register_interval = Duration::from_secs(3600);
    Server::new(BenchConnector { fixed }, config)
        .serve()
        .await
        .map_err(|e| e.to_string())
}

/// Serves an in-process manager that keeps nothing, with the sources
/// `bench-0` to `bench-{sources - 1}`, until Ctrl-C: the `serve-manager`
/// subcommand, an external manager for `--manager-url`. Prints its URL.
pub async fn serve_manager(sources: usize) -> Result<(), String> {
    let manager = MockManager::start_with(ManagerOptions::counting_only())
        .await
        .map_err(|e| e.to_string())?;
    for i in 0..sources.max(1) {
        manager.add_source(SourceSeed::new("web").id(format!("bench-{i}")));
    }
    println!("{}", manager.url());
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("{} requests answered", manager.request_count());
    manager.shutdown().await;
    Ok(())
}
