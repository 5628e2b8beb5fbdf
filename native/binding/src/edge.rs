//! The HTTP edge's crossing to JS: each request `native/edge` reads goes whole to one JS
//! function (a thread-safe function), and JS answers it whole with `EdgeServer.respond(id, …)`.
//! The `Handler` seam of `src/transport/` sits on the JS side (`src/transport/edge.ts`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Buffer, BufferSlice, Either, FnArgs, Function, JsValue, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use parking_lot::Mutex;
use sluice_edge::bytes::Bytes;
use sluice_edge::oneshot;
use sluice_edge::{Dispatch, HeaderMap, HeaderName, Limits, Request, Response, ResponseFuture};

/// Calls waiting for the JS thread at most. One request per connection is in flight (HTTP/1.1
/// answers in order), so the queue never holds more than the connections; a full queue would
/// mean a bug, and is answered 503 rather than blocking an edge thread.
const CALLS_QUEUED_MAX: usize = sluice_edge::CONNECTIONS_MAX;

/// (id, method, path, query, headers, body, peer address, too large). The body is an `Unknown`
/// holding a Buffer created during the call.
type RequestArgs = FnArgs<(u32, String, String, String, HashMap<String, String>, Unknown<'static>, String, bool)>;
/// Weak: a listening edge keeps Node alive through a timer on the JS side, which `close` clears;
/// the functions themselves must never hold the process open.
type RequestFn = ThreadsafeFunction<Call, (), RequestArgs, Status, false, true, CALLS_QUEUED_MAX>;
type AbortFn = ThreadsafeFunction<u32, (), u32, Status, false, true, CALLS_QUEUED_MAX>;

/// Answers JS has not given yet, by request id.
type Pending = Mutex<HashMap<u32, oneshot::Sender<Response>>>;

struct Call {
    id: u32,
    req: Request,
}

struct JsDispatch {
    pending: Arc<Pending>,
    next: AtomicU32,
    on_request: RequestFn,
    on_abort: Arc<AbortFn>,
}

fn plain(status: u16, text: &'static str) -> Response {
    Response {
        status,
        headers: vec![("content-type".to_owned(), "text/plain".to_owned())],
        body: Bytes::from_static(text.as_bytes()),
    }
}

/// Removes a request's entry when its future is dropped unanswered (the client went away, or
/// the server closed), and tells JS so it can stop waiting for it (a parked receive).
struct AbortGuard {
    id: u32,
    pending: Arc<Pending>,
    on_abort: Arc<AbortFn>,
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        if self.pending.lock().remove(&self.id).is_some() {
            self.on_abort.call(self.id, ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

impl Dispatch for JsDispatch {
    fn dispatch(&self, req: Request) -> ResponseFuture {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().insert(id, tx);
        let guard = AbortGuard { id, pending: self.pending.clone(), on_abort: self.on_abort.clone() };
        let pending = self.pending.clone();
        // The return-value variant catches a JS throw (a plain call would make it fatal).
        let status = self.on_request.call_with_return_value(
            Call { id, req },
            ThreadsafeFunctionCallMode::NonBlocking,
            move |r: Result<()>, _| {
                if let Err(e) = r {
                    eprintln!("sluice edge: the request handler threw: {}", e.reason);
                    if let Some(tx) = pending.lock().remove(&id) {
                        let _ = tx.send(plain(500, "internal error"));
                    }
                }
                Ok(())
            },
        );
        if status != Status::Ok {
            self.pending.lock().remove(&id);
            return Box::pin(async { plain(503, "the server is busy or closing") });
        }
        Box::pin(async move {
            let answer = rx.await.unwrap_or_else(|_| plain(500, "no answer"));
            drop(guard);
            answer
        })
    }
}

/// Header values as Node's http gives them: repeated headers joined with ", ", bytes outside
/// ASCII taken as Latin-1.
fn header_value(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let mut out: Option<String> = None;
    for v in headers.get_all(name) {
        let s: String = v.as_bytes().iter().map(|&b| char::from(b)).collect();
        match &mut out {
            Some(o) => {
                o.push_str(", ");
                o.push_str(&s);
            }
            None => out = Some(s),
        }
    }
    out
}

fn request_args(env: &Env, call: Call, wanted: Option<&[HeaderName]>) -> Result<RequestArgs> {
    let Call { id, req } = call;
    let mut headers = HashMap::new();
    match wanted {
        Some(names) => {
            for n in names {
                if let Some(v) = header_value(&req.headers, n) {
                    headers.insert(n.as_str().to_owned(), v);
                }
            }
        }
        None => {
            for n in req.headers.keys() {
                if let Some(v) = header_value(&req.headers, n) {
                    headers.insert(n.as_str().to_owned(), v);
                }
            }
        }
    }
    // Copied onto the JS heap rather than lent as an external buffer: request bodies are small,
    // and an external buffer costs a finalizer and a global handle each, and V8 does not count
    // its bytes when it decides to collect (measured: more CPU and 1.5x the RSS).
    let body = BufferSlice::copy_from(env, &req.body)?;
    // SAFETY: the value is a fresh local handle of this env, passed straight to the call.
    let body = unsafe { Unknown::from_raw_unchecked(env.raw(), body.raw()) };
    // The peer address serves SigV4 and policy conditions only, which read every header.
    let peer = if wanted.is_none() { req.peer.ip().to_string() } else { String::new() };
    Ok(FnArgs::from((id, req.method.as_str().to_owned(), req.path, req.query, headers, body, peer, req.too_large)))
}

/// Limits from JS; unset fields take the edge's defaults (`native/edge`).
#[napi(object)]
pub struct EdgeLimits {
    pub body_bytes: u32,
    pub header_bytes: Option<u32>,
    pub header_read_timeout_ms: Option<u32>,
    pub body_read_timeout_ms: Option<u32>,
    pub connections: Option<u32>,
}

#[napi]
pub struct EdgeServer {
    server: Mutex<Option<sluice_edge::Server>>,
    pending: Arc<Pending>,
    port: u16,
}

#[napi]
impl EdgeServer {
    /// Binds and serves on the edge's threads. `on_request(id, method, path, query, headers,
    /// body, peer, tooLarge)` runs on this thread for each request; `on_abort(id)` when its client
    /// goes away unanswered. `headers`: the names to copy, or null for all.
    #[napi(factory)]
    pub fn start(
        host: String,
        port: u32,
        limits: EdgeLimits,
        // The header names JS reads; null copies every header (SigV4 needs all signed ones).
        headers: Option<Vec<String>>,
        #[napi(
            ts_arg_type = "(id: number, method: string, path: string, query: string, headers: Record<string, string>, body: Buffer, peer: string, tooLarge: boolean) => void"
        )]
        on_request: Function<'_, RequestArgs, ()>,
        #[napi(ts_arg_type = "(id: number) => void")] on_abort: Function<'_, u32, ()>,
    ) -> Result<Self> {
        let port = u16::try_from(port).map_err(|_| Error::new(Status::InvalidArg, "port must be 0 to 65535"))?;
        let wanted = match headers {
            Some(names) => Some(
                names
                    .iter()
                    .map(|n| HeaderName::try_from(n.as_str()))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| Error::new(Status::InvalidArg, format!("header name: {e}")))?,
            ),
            None => None,
        };
        let on_request = on_request
            .build_threadsafe_function::<Call>()
            .weak::<true>()
            .max_queue_size::<CALLS_QUEUED_MAX>()
            .build_callback(move |ctx| request_args(&ctx.env, ctx.value, wanted.as_deref()))?;
        let on_abort = on_abort
            .build_threadsafe_function::<u32>()
            .weak::<true>()
            .max_queue_size::<CALLS_QUEUED_MAX>()
            .build()?;
        let defaults = Limits::default();
        let ms = |v: Option<u32>, d: Duration| v.map_or(d, |v| Duration::from_millis(u64::from(v)));
        let limits = Limits {
            body_bytes: limits.body_bytes as usize,
            header_bytes: limits.header_bytes.map_or(defaults.header_bytes, |v| v as usize),
            header_read_timeout: ms(limits.header_read_timeout_ms, defaults.header_read_timeout),
            body_read_timeout: ms(limits.body_read_timeout_ms, defaults.body_read_timeout),
            connections: limits.connections.map_or(defaults.connections, |v| v as usize),
        };
        let pending: Arc<Pending> = Arc::default();
        let dispatch = JsDispatch {
            pending: pending.clone(),
            next: AtomicU32::new(1),
            on_request,
            on_abort: Arc::new(on_abort),
        };
        let server = sluice_edge::start(&host, port, limits, Arc::new(dispatch))
            .map_err(|e| Error::new(Status::GenericFailure, format!("listen {host}:{port}: {e}")))?;
        let port = server.port();
        Ok(Self { server: Mutex::new(Some(server)), pending, port })
    }

    #[napi(getter)]
    pub fn port(&self) -> u32 {
        u32::from(self.port)
    }

    /// The whole answer to request `id`; ignored when its client has gone. `headers`: names and
    /// values alternating, each followed by a NUL (one string crosses instead of an object; NUL
    /// is in no valid name or value, so a value cannot add a header).
    #[napi]
    pub fn respond(&self, id: u32, status: u32, headers: String, request_id: Option<String>, body: Either<String, Buffer>) {
        let Some(tx) = self.pending.lock().remove(&id) else { return };
        let mut list: Vec<(String, String)> = Vec::new();
        let mut parts = headers.split('\0');
        while let (Some(k), Some(v)) = (parts.next(), parts.next()) {
            list.push((k.to_owned(), v.to_owned()));
        }
        if let Some(r) = request_id {
            list.push(("x-amzn-requestid".to_owned(), r));
        }
        let body = match body {
            Either::A(s) => Bytes::from(s.into_bytes()),
            Either::B(b) => Bytes::copy_from_slice(&b),
        };
        #[allow(clippy::cast_possible_truncation)]
        let _ = tx.send(Response { status: status.min(999) as u16, headers: list, body });
    }

    /// Stops accepting; `on_closed()` runs once the connections are gone (see `CLOSE_GRACE`).
    /// Not weak: Node stays up until it has run.
    #[napi]
    pub fn close(&self, on_closed: Function<'_, (), ()>) -> Result<()> {
        let done: ThreadsafeFunction<(), (), (), Status, false> =
            on_closed.build_threadsafe_function::<()>().build()?;
        match self.server.lock().as_mut() {
            Some(s) => s.close(move || {
                done.call((), ThreadsafeFunctionCallMode::NonBlocking);
            }),
            None => {
                done.call((), ThreadsafeFunctionCallMode::NonBlocking);
            }
        }
        Ok(())
    }
}
