//! Sluice's HTTP/1.1 edge: hyper on a small tokio runtime. It reads whole requests within the
//! limits below and hands each to a [`Dispatch`], which answers with a whole response. It knows
//! nothing of SQS or of Node: the binding's dispatcher crosses to the TypeScript control plane.
//!
//! hyper itself answers what it cannot parse (400, 431 for headers too large, 414 for a long
//! URI) and closes the connection; pipelined requests are served one after another, in order.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::header::{HeaderValue, CONNECTION};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// Threads of the edge's runtime. In this slice every request crosses to the one JS thread, so
/// parsing is not the bound; a second edge thread would only compete with JS and the log's
/// writer for the cores.
pub const EDGE_THREADS: usize = 1;

/// Header section of a request, request line included; larger gets 431 from hyper. Twice
/// Node's default: the Query protocol may carry a whole request in a GET's URL, and node:http
/// counts its 16 KiB without the request line.
pub const HEADER_BYTES_MAX: usize = 32 * 1024;

/// A client that has not sent a whole header section by then is closed (slowloris). Since
/// hyper 1.6 the timer restarts when a kept-alive connection goes idle, so this is also the
/// idle keep-alive timeout; 65 s as the node:http transport keeps idle connections (longer than
/// the SDKs' and load balancers' usual 60 s, so the client closes first).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(65);

/// A body that has not arrived whole by then gets 408 and a close, so a slow body cannot hold
/// a connection and its buffer forever; generous for 1 MiB on a slow link.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Open connections at most: each holds a socket, a task and buffers. Past it, new clients wait
/// in the kernel's accept backlog instead of taking file descriptors the log needs.
pub const CONNECTIONS_MAX: usize = 10_000;

/// After close, connections still answering get this long before they are dropped (the control
/// plane has already waited for its pending answers).
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// After an accept error other than a peer's reset (EMFILE, ENFILE), wait this long instead of
/// spinning on it.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Per-server limits (the body cap comes from spec/limits.json through the caller).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_bytes: usize,
    pub body_bytes: usize,
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_bytes: HEADER_BYTES_MAX,
            body_bytes: 1024 * 1024,
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
            connections: CONNECTIONS_MAX,
        }
    }
}

/// A whole request.
pub struct Request {
    pub method: Method,
    pub path: String,
    /// Without the '?'; empty when there is none.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub peer: SocketAddr,
    /// The body was over `Limits::body_bytes` and was not read; the answer closes the connection.
    pub too_large: bool,
}

/// A whole response.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

pub type ResponseFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

/// Answers requests. Dropping the returned future means the client went away.
pub trait Dispatch: Send + Sync + 'static {
    fn dispatch(&self, req: Request) -> ResponseFuture;
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(EDGE_THREADS)
            .thread_name("sluice-edge")
            .enable_all()
            .build()
            .expect("the edge's runtime starts")
    })
}

/// A listening server. Dropping it without `close` leaves it serving until the process ends.
pub struct Server {
    port: u16,
    stop: watch::Sender<bool>,
    done: Option<tokio::sync::oneshot::Receiver<()>>,
}

impl Server {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops accepting at once; connections finish their current answer (idle ones close), and
    /// after `CLOSE_GRACE` the rest are dropped. `on_closed` runs when all are gone.
    pub fn close(&mut self, on_closed: impl FnOnce() + Send + 'static) {
        let _ = self.stop.send(true);
        match self.done.take() {
            Some(done) => {
                runtime().spawn(async move {
                    let _ = done.await;
                    on_closed();
                });
            }
            None => on_closed(),
        }
    }
}

/// Binds `host:port` (port 0: an ephemeral port) and serves on the edge's runtime.
pub fn start(host: &str, port: u16, limits: Limits, dispatch: Arc<dyn Dispatch>) -> io::Result<Server> {
    let rt = runtime();
    // A (host, port) pair, not "host:port": an IPv6 literal needs no brackets.
    let listener = rt.block_on(async { TcpListener::bind((host, port)).await })?;
    let port = listener.local_addr()?.port();
    let (stop, stopped) = watch::channel(false);
    let (done_tx, done) = tokio::sync::oneshot::channel();
    rt.spawn(async move {
        serve(listener, limits, dispatch, stopped).await;
        let _ = done_tx.send(());
    });
    Ok(Server { port, stop, done: Some(done) })
}

async fn serve(listener: TcpListener, limits: Limits, dispatch: Arc<dyn Dispatch>, mut stopped: watch::Receiver<bool>) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.header_bytes)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    // Dropped connections (after CLOSE_GRACE) see this turn true.
    let (kill, killed) = watch::channel(false);
    let permits = Arc::new(Semaphore::new(limits.connections));
    loop {
        // A permit before accept: at the limit, clients wait in the backlog, not in our memory.
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            () = until_set(&mut stopped) => break,
        };
        let (stream, peer) = tokio::select! {
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    if !matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionRefused
                    ) {
                        eprintln!("sluice edge: accept failed: {e}");
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    }
                    continue;
                }
            },
            () = until_set(&mut stopped) => break,
        };
        let _ = stream.set_nodelay(true);
        let dispatch = dispatch.clone();
        let service = service_fn(move |req| answer(req, peer, limits, dispatch.clone()));
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let mut killed = killed.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = conn => {}
                () = until_set(&mut killed) => {}
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(CLOSE_GRACE) => {}
    }
    let _ = kill.send(true);
}

/// Resolves once the flag is (or has been) set; the sender is never dropped before.
async fn until_set(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|set| *set).await;
}

fn close_after(mut res: hyper::Response<Full<Bytes>>) -> hyper::Response<Full<Bytes>> {
    res.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    res
}

async fn answer(
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    limits: Limits,
    dispatch: Arc<dyn Dispatch>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let (body, too_large) = match read_body(body, limits).await {
        Ok(Some(b)) => (b, false),
        Ok(None) => (Bytes::new(), true),
        Err(status) => {
            let mut res = hyper::Response::new(Full::new(Bytes::new()));
            *res.status_mut() = status;
            return Ok(close_after(res));
        }
    };
    let (path, query) = match parts.uri.path_and_query() {
        Some(pq) => (pq.path().to_owned(), pq.query().unwrap_or("").to_owned()),
        None => ("/".to_owned(), String::new()),
    };
    let request = Request { method: parts.method, path, query, headers: parts.headers, body, peer, too_large };
    let r = dispatch.dispatch(request).await;
    let mut res = hyper::Response::new(Full::new(r.body));
    *res.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = res.headers_mut();
    for (k, v) in r.headers {
        // A header the control plane got wrong is left out rather than failing the answer.
        if let (Ok(k), Ok(v)) = (hyper::header::HeaderName::try_from(k), HeaderValue::try_from(v)) {
            headers.append(k, v);
        }
    }
    // The unread rest of a too-large body would be taken for the next request.
    Ok(if too_large { close_after(res) } else { res })
}

/// The whole body, `None` when it is over the cap (declared or as it arrives), or the status
/// to close with when it does not arrive in time or the connection breaks mid-body.
async fn read_body(mut body: Incoming, limits: Limits) -> Result<Option<Bytes>, StatusCode> {
    let cap = limits.body_bytes as u64;
    let hint = body.size_hint();
    if hint.lower() > cap {
        return Ok(None);
    }
    if hint.upper() == Some(0) {
        return Ok(Some(Bytes::new()));
    }
    let read = async {
        #[allow(clippy::cast_possible_truncation)]
        let mut buf = BytesMut::with_capacity(hint.upper().unwrap_or(0).min(cap) as usize);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| StatusCode::BAD_REQUEST)?;
            if let Ok(data) = frame.into_data() {
                if (buf.len() + data.len()) as u64 > cap {
                    return Ok(None);
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(Some(buf.freeze()))
    };
    match tokio::time::timeout(limits.body_read_timeout, read).await {
        Ok(r) => r,
        Err(_) => Err(StatusCode::REQUEST_TIMEOUT),
    }
}

// What a dispatcher outside this crate needs to build answers and read requests.
pub use bytes;
pub use hyper::header::{HeaderMap, HeaderName};
pub use tokio::sync::oneshot;
