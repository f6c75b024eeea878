//! The server: binding, the accept loop, connections, pausing and shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::routes::{self, Inner};

/// What the server task should be doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// Listening and answering.
    Serve,
    /// Listener closed and open connections dropped, state kept: as a
    /// manager that went down (connections are refused) and will come back
    /// on the same port.
    Pause,
    /// Gone for good.
    Stop,
}

/// Stops the server when the last handle goes away.
#[derive(Debug)]
pub(crate) struct ServerGuard {
    pub control: watch::Sender<Control>,
    /// Whether the listener is open now (the server task's view).
    pub listening: watch::Receiver<bool>,
    pub task: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = self.control.send(Control::Stop);
    }
}

impl ServerGuard {
    /// Asks for `control` and waits until the listener is open (`Serve`)
    /// or closed (`Pause`). False when the server task has ended or could
    /// not listen again within 10 s.
    pub async fn switch(&self, control: Control) -> bool {
        let _ = self.control.send(control);
        let want = control == Control::Serve;
        let mut listening = self.listening.clone();
        let reached =
            tokio::time::timeout(Duration::from_secs(10), listening.wait_for(|l| *l == want))
                .await
                .is_ok_and(|r| r.is_ok());
        reached
    }
}

/// Binds 127.0.0.1:0 and serves `inner` in a spawned task.
pub(crate) async fn spawn(inner: Arc<Inner>) -> std::io::Result<(SocketAddr, ServerGuard)> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (control, control_rx) = watch::channel(Control::Serve);
    let (listening_tx, listening) = watch::channel(true);
    let task = tokio::spawn(serve(inner, addr, listener, control_rx, listening_tx));
    Ok((
        addr,
        ServerGuard {
            control,
            listening,
            task: std::sync::Mutex::new(Some(task)),
        },
    ))
}

async fn serve(
    inner: Arc<Inner>,
    addr: SocketAddr,
    first: TcpListener,
    mut control: watch::Receiver<Control>,
    listening: watch::Sender<bool>,
) {
    let mut listener = Some(first);
    loop {
        let Some(open) = listener.take() else {
            // Paused: wait to be told to serve again, then listen on the same
            // port (SO_REUSEADDR lets it be taken back at once).
            let wanted = control.wait_for(|c| *c != Control::Pause).await.map(|c| *c);
            match wanted {
                Ok(Control::Serve) => {}
                _ => return,
            }
            match bind_again(addr).await {
                Some(l) => listener = Some(l),
                None => return,
            }
            continue;
        };
        let _ = listening.send(true);
        let next = accept_loop(&inner, open, &mut control).await;
        let _ = listening.send(false);
        if next == Control::Stop {
            return;
        }
    }
}

/// Serves connections until told to pause or stop; then drops the
/// listener and every open connection.
async fn accept_loop(
    inner: &Arc<Inner>,
    listener: TcpListener,
    control: &mut watch::Receiver<Control>,
) -> Control {
    let mut connections = JoinSet::new();
    let next = loop {
        let current = *control.borrow_and_update();
        if current != Control::Serve {
            break current;
        }
        tokio::select! {
            changed = control.changed() => if changed.is_err() { break Control::Stop },
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let inner = inner.clone();
                    connections.spawn(async move {
                        let service = service_fn(move |request| {
                            let inner = inner.clone();
                            async move { routes::handle(&inner, request).await }
                        });
                        // Errors are the client going away or a drop we injected.
                        let _ = http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                // Out of file descriptors and the like: back off a little.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    };
    drop(listener);
    connections.shutdown().await;
    next
}

async fn bind_again(addr: SocketAddr) -> Option<TcpListener> {
    for _ in 0..200 {
        if let Ok(listener) = TcpListener::bind(addr).await {
            return Some(listener);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tracing::error!(%addr, "the in-process manager could not listen on its port again");
    None
}
