//! A hyper 1.x HTTP/1.1 server on spindle: keep-alive, a per-request deadline, and hyper's
//! header-read timeout on every connection.
//!
//! ```text
//! cargo run --release --features hyper --example http_server -- --port 8080 --workers 2
//! wrk -t1 -c50 -d5s http://127.0.0.1:8080/
//! ```
//!
//! `--runtime tokio|smol` serves the same thing on tokio (hyper-util's `TokioIo` and
//! `TokioTimer`) or on smol's pieces (async-executor + async-io), for
//! `scripts/http_bench.sh`.

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_DEADLINE: Duration = Duration::from_secs(10);

struct Args {
    port: u16,
    workers: usize,
    runtime: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 8080,
        workers: num_cpus::get(),
        runtime: "spindle".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--port" => {
                args.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--workers" => {
                args.workers = value("--workers")?
                    .parse()
                    .map_err(|e| format!("--workers: {e}"))?
            }
            "--runtime" => args.runtime = value("--runtime")?,
            "--help" | "-h" => {
                println!(
                    "usage: http_server [--port N (8080; 0 picks one)] [--workers N (cores)] \
                     [--runtime spindle|tokio|smol]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    if args.workers == 0 {
        return Err("--workers must be at least 1".into());
    }
    Ok(args)
}

/// The handler: a fixed body, as in the usual "hello world" server benchmarks.
async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, world!",
    ))))
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("http_server: {e}");
            std::process::exit(2);
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    match args.runtime.as_str() {
        "spindle" => spindle_main(addr, args.workers),
        "tokio" => tokio_main(addr, args.workers),
        "smol" => smol_main(addr, args.workers),
        other => {
            eprintln!("http_server: unknown runtime `{other}`");
            std::process::exit(2);
        }
    }
}

fn spindle_main(addr: SocketAddr, workers: usize) {
    use spindle::hyper::{Io, Timer};
    let rt = spindle::Builder::new()
        .worker_threads(workers)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let l = spindle::net::TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| fail(addr, e));
        println!(
            "listening on http://{} (spindle, {workers} workers)",
            l.local_addr().unwrap()
        );
        let timer = Timer::new(spindle::Handle::current());
        loop {
            let (s, _) = match l.accept().await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("accept: {e}");
                    continue;
                }
            };
            let _ = s.set_nodelay(true);
            let timer = timer.clone();
            spindle::spawn(async move {
                let svc = service_fn(|req| async move {
                    match spindle::timeout(REQUEST_DEADLINE, hello(req)).await {
                        Ok(r) => r,
                        Err(_elapsed) => Ok(timed_out()),
                    }
                });
                let _ = http1::Builder::new()
                    .timer(timer)
                    .header_read_timeout(HEADER_READ_TIMEOUT)
                    .serve_connection(Io::new(s), svc)
                    .await;
            });
        }
    });
}

fn tokio_main(addr: SocketAddr, workers: usize) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| fail(addr, e));
        println!(
            "listening on http://{} (tokio, {workers} workers)",
            l.local_addr().unwrap()
        );
        loop {
            let Ok((s, _)) = l.accept().await else {
                continue;
            };
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|req| async move {
                    match tokio::time::timeout(REQUEST_DEADLINE, hello(req)).await {
                        Ok(r) => r,
                        Err(_) => Ok(timed_out()),
                    }
                });
                let _ = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_READ_TIMEOUT)
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
}

fn smol_main(addr: SocketAddr, workers: usize) {
    use async_io::{Async, Timer};
    use futures::FutureExt;
    use std::sync::Arc;
    let ex = Arc::new(async_executor::Executor::new());
    for _ in 1..workers {
        let ex = ex.clone();
        std::thread::spawn(move || async_io::block_on(ex.run(futures::future::pending::<()>())));
    }
    let ex2 = ex.clone();
    async_io::block_on(ex.run(async move {
        let l = Async::<std::net::TcpListener>::bind(addr).unwrap_or_else(|e| fail(addr, e));
        println!(
            "listening on http://{} (smol, {workers} workers)",
            l.get_ref().local_addr().unwrap()
        );
        loop {
            let Ok((s, _)) = l.accept().await else {
                continue;
            };
            let _ = s.get_ref().set_nodelay(true);
            ex2.spawn(async move {
                let svc = service_fn(|req| async move {
                    let deadline = Timer::after(REQUEST_DEADLINE).map(|_| Ok(timed_out()));
                    futures::future::select(Box::pin(hello(req)), deadline)
                        .await
                        .factor_first()
                        .0
                });
                let _ = http1::Builder::new()
                    .timer(SmolTimer)
                    .header_read_timeout(HEADER_READ_TIMEOUT)
                    .serve_connection(spindle::hyper::Io::new(s), svc)
                    .await;
            })
            .detach();
        }
    }));
}

/// hyper's timer on async-io's `Timer`, for the smol variant.
#[derive(Clone)]
struct SmolTimer;

struct SmolSleep(async_io::Timer);

impl std::future::Future for SmolSleep {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        std::pin::Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

impl hyper::rt::Sleep for SmolSleep {}

impl hyper::rt::Timer for SmolTimer {
    fn sleep(&self, d: Duration) -> std::pin::Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(SmolSleep(async_io::Timer::after(d)))
    }
    fn sleep_until(&self, at: std::time::Instant) -> std::pin::Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(SmolSleep(async_io::Timer::at(at)))
    }
}

fn timed_out() -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(b"deadline exceeded")));
    *r.status_mut() = hyper::StatusCode::SERVICE_UNAVAILABLE;
    r
}

fn fail(addr: SocketAddr, e: std::io::Error) -> ! {
    eprintln!("http_server: cannot listen on {addr}: {e}");
    std::process::exit(1);
}
