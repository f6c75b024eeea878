//! Keep-alive HTTP/1.1 connections to the manager, on hyper's connection
//! API.
//!
//! The SDK talks to one host only, so the pool is one stack of idle
//! connections: a request takes the most recently used one (or opens a
//! new one), and gives it back once its answer has been read to the end.
//! Compared with hyper-util's general-purpose client this skips the
//! per-request URI parsing, pool-key hashing and connect/checkout race,
//! which was about a sixth of the connector's CPU per content request in
//! the benchmark.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderValue, HOST};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use crate::error::error_chain;
use crate::http::FullBody;

/// Idle connections kept at most; more are closed when given back.
const MAX_IDLE: usize = 256;

/// Where the manager is and how long connections live.
#[derive(Debug)]
pub(crate) struct PoolConfig {
    /// Host to connect to (a name, or an IP address without brackets).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The `Host` header of every request.
    pub host_header: HeaderValue,
    /// Time to open a connection.
    pub connect_timeout: Duration,
    /// An idle connection older than this is closed instead of reused.
    pub idle_timeout: Duration,
}

/// The connections to the manager.
#[derive(Debug)]
pub(crate) struct Pool {
    config: PoolConfig,
    /// Idle connections, the most recently used at the back.
    idle: Mutex<VecDeque<Idle>>,
}

#[derive(Debug)]
struct Idle {
    sender: SendRequest<FullBody>,
    since: Instant,
}

/// A connection taken from the pool for one exchange. Dropped, it is
/// closed; [`released`](Conn::release) after its answer was read, it goes
/// back to the pool.
#[derive(Debug)]
pub(crate) struct Conn<'p> {
    pool: &'p Pool,
    sender: SendRequest<FullBody>,
}

impl Conn<'_> {
    /// Gives the connection back for the next request. Call it only once
    /// the answer's body has been read whole: an HTTP/1.1 connection
    /// carries one exchange at a time.
    pub(crate) fn release(self) {
        if self.sender.is_closed() {
            return;
        }
        let mut idle = lock(&self.pool.idle);
        let now = Instant::now();
        // The oldest are at the front: close the ones that waited too long.
        while idle
            .front()
            .is_some_and(|c| now.duration_since(c.since) > self.pool.config.idle_timeout)
        {
            idle.pop_front();
        }
        if idle.len() < MAX_IDLE {
            idle.push_back(Idle {
                sender: self.sender,
                since: now,
            });
        }
    }
}

impl Pool {
    pub(crate) fn new(config: PoolConfig) -> Self {
        Self {
            config,
            idle: Mutex::new(VecDeque::new()),
        }
    }

    /// Sends a request (origin-form URI; the `Host` header is added) and
    /// returns its answer with the connection it came on. A kept
    /// connection the manager closed meanwhile is skipped, and the request,
    /// which never left, goes on another; every other failure is the
    /// caller's, as a message.
    pub(crate) async fn send(
        &self,
        mut request: Request<FullBody>,
    ) -> Result<(Response<Incoming>, Conn<'_>), String> {
        request
            .headers_mut()
            .insert(HOST, self.config.host_header.clone());
        loop {
            let (mut sender, reused) = match self.take_idle().await {
                Some(sender) => (sender, true),
                None => (self.connect().await?, false),
            };
            match sender.try_send_request(request).await {
                Ok(response) => return Ok((response, Conn { pool: self, sender })),
                Err(mut e) => match e.take_message() {
                    Some(unsent) if reused => request = unsent,
                    _ => return Err(error_chain(&e.into_error())),
                },
            }
        }
    }

    /// The most recently used idle connection that is still open and
    /// ready, if any.
    async fn take_idle(&self) -> Option<SendRequest<FullBody>> {
        loop {
            let Idle { mut sender, since } = lock(&self.idle).pop_back()?;
            if sender.is_closed() || since.elapsed() > self.config.idle_timeout {
                continue;
            }
            // Given back right after its answer was read, a connection may
            // not have noticed yet that it is free again: that takes one
            // turn of its task.
            if sender.is_ready() || sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    async fn connect(&self) -> Result<SendRequest<FullBody>, String> {
        let PoolConfig {
            host,
            port,
            connect_timeout,
            ..
        } = &self.config;
        let stream = match tokio::time::timeout(
            *connect_timeout,
            tokio::net::TcpStream::connect((host.as_str(), *port)),
        )
        .await
        {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(format!("could not connect to {host}:{port}: {e}")),
            Err(_) => {
                return Err(format!(
                    "could not connect to {host}:{port} within {connect_timeout:?}"
                ))
            }
        };
        // Requests are small and answered at once: don't let Nagle hold
        // them back.
        stream
            .set_nodelay(true)
            .map_err(|e| format!("could not set TCP_NODELAY: {e}"))?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| error_chain(&e))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %error_chain(&e), "connection to the manager ended");
            }
        });
        Ok(sender)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A manager stand-in answering `{}` to every request; it counts the
    /// connections it accepted and, with `close_after_one`, closes each
    /// after its first answer.
    async fn server(close_after_one: bool) -> (u16, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 4096];
                    loop {
                        let Ok(n) = socket.read(&mut buf).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        seen.extend_from_slice(&buf[..n]);
                        // Requests here carry no body: one per blank line.
                        while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                            seen.drain(..end + 4);
                            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
                            if socket.write_all(answer).await.is_err() || close_after_one {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (port, accepted)
    }

    fn pool(port: u16) -> Pool {
        Pool::new(PoolConfig {
            host: "127.0.0.1".into(),
            port,
            host_header: HeaderValue::from_static("manager"),
            connect_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(30),
        })
    }

    async fn get(pool: &Pool) -> Result<Bytes, String> {
        let request = Request::get("/health")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (response, conn) = pool.send(request).await?;
        let body = response.into_body().collect().await.unwrap().to_bytes();
        conn.release();
        Ok(body)
    }

    #[tokio::test]
    async fn one_connection_carries_sequential_requests() {
        let (port, accepted) = server(false).await;
        let pool = pool(port);
        for _ in 0..20 {
            assert_eq!(get(&pool).await.unwrap(), "{}");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn concurrent_requests_open_no_more_connections_than_in_flight() {
        let (port, accepted) = server(false).await;
        let pool = Arc::new(pool(port));
        for _ in 0..5 {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..4 {
                let pool = pool.clone();
                tasks.spawn(async move { get(&pool).await });
            }
            while let Some(done) = tasks.join_next().await {
                assert_eq!(done.unwrap().unwrap(), "{}");
            }
        }
        let opened = accepted.load(Ordering::SeqCst);
        assert!((1..=4).contains(&opened), "{opened} connections");
    }

    #[tokio::test]
    async fn a_connection_the_manager_closed_is_not_reused() {
        let (port, accepted) = server(true).await;
        let pool = pool(port);
        for _ in 0..3 {
            assert_eq!(get(&pool).await.unwrap(), "{}");
            // Time for the connection to see the close.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_unreleased_connection_is_closed_and_replaced() {
        let (port, accepted) = server(false).await;
        let pool = pool(port);
        let request = Request::get("/").body(Full::new(Bytes::new())).unwrap();
        // Dropped without reading the answer: its connection cannot carry
        // another exchange, so it must not go back.
        drop(pool.send(request).await.unwrap());
        assert_eq!(get(&pool).await.unwrap(), "{}");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn refused_and_expired() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = get(&pool(port)).await.unwrap_err();
        assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");

        let (port, accepted) = server(false).await;
        let mut pool = pool(port);
        pool.config.idle_timeout = Duration::from_millis(10);
        get(&pool).await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        get(&pool).await.unwrap();
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }
}
