//! The server: binding, the accept loop, connections and shutdown.

use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::routes::{self, Inner};

/// Stops the server when the last handle goes away.
#[derive(Debug)]
pub(crate) struct ServerGuard {
    pub shutdown: watch::Sender<bool>,
    pub task: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Binds 127.0.0.1:0 and serves `inner` in a spawned task.
pub(crate) async fn spawn(
    inner: Arc<Inner>,
) -> std::io::Result<(std::net::SocketAddr, ServerGuard)> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (shutdown, mut stop) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = stop.changed() => break,
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
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.shutdown().await;
    });
    Ok((
        addr,
        ServerGuard {
            shutdown,
            task: std::sync::Mutex::new(Some(task)),
        },
    ))
}
