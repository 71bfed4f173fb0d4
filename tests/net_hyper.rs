//! hyper 1.x on spindle (feature `hyper`): real HTTP requests over loopback, keep-alive, and
//! hyper's header-read timeout on spindle's timer.
#![cfg(feature = "hyper")]

#[macro_use]
mod common;

use futures::{AsyncReadExt, AsyncWriteExt};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use spindle::hyper::{Executor, Io, Timer};
use spindle::net::{TcpListener, TcpStream};
use std::convert::Infallible;
use std::time::{Duration, Instant};

/// Serves every connection of `l` with an echo-the-path handler; sends each connection's
/// result (Ok or hyper's error) to `done`.
async fn serve(
    l: TcpListener,
    header_timeout: Duration,
    done: futures::channel::mpsc::UnboundedSender<Result<(), hyper::Error>>,
) {
    loop {
        let Ok((s, _)) = l.accept().await else { return };
        let done = done.clone();
        spindle::spawn(async move {
            let svc = service_fn(|req: Request<hyper::body::Incoming>| async move {
                let body = format!("path={}", req.uri().path());
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body))))
            });
            let r = http1::Builder::new()
                .timer(Timer::new(spindle::Handle::current()))
                .header_read_timeout(header_timeout)
                .serve_connection(Io::new(s), svc)
                .await;
            let _ = done.unbounded_send(r);
        });
    }
}

/// hyper's own client (on spindle's sockets and executor) sends 20 keep-alive requests on each
/// of 10 connections at once; every answer is right.
fn hyper_client_and_server(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let (tx, _rx) = futures::channel::mpsc::unbounded();
        spindle::spawn(serve(l, Duration::from_secs(5), tx));
        let clients: Vec<_> = (0..10)
            .map(|c| {
                spindle::spawn(async move {
                    let s = TcpStream::connect(addr).await.unwrap();
                    let (mut send, conn) = hyper::client::conn::http1::handshake(Io::new(s))
                        .await
                        .unwrap();
                    let exec = Executor::new(spindle::Handle::current());
                    hyper::rt::Executor::execute(&exec, async move {
                        let _ = conn.await;
                    });
                    for i in 0..20 {
                        let req = Request::get(format!("/c{c}/r{i}"))
                            .header("host", "x")
                            .body(Empty::<Bytes>::new())
                            .unwrap();
                        let resp = send.send_request(req).await.unwrap();
                        assert_eq!(resp.status(), 200);
                        let body = resp.into_body().collect().await.unwrap().to_bytes();
                        assert_eq!(body, format!("path=/c{c}/r{i}").as_bytes());
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
}

/// A client that sends half a request header and stalls: hyper's header-read timeout (on
/// spindle's timer) fires, the connection ends with a timeout error and is closed; a client
/// that completes its header in time is answered.
fn header_read_timeout_fires(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        use futures::StreamExt;
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let (tx, mut rx) = futures::channel::mpsc::unbounded();
        let timeout = Duration::from_millis(300);
        spindle::spawn(serve(l, timeout, tx));

        let start = Instant::now();
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        let mut rest = Vec::new();
        let _ = slow.read_to_end(&mut rest).await; // EOF (or a 408) when the server gives up
        let waited = start.elapsed();
        assert!(
            waited >= timeout,
            "closed after {waited:?}, before the timeout"
        );
        assert!(
            waited < Duration::from_secs(5),
            "timeout did not fire: {waited:?}"
        );
        let err = rx
            .next()
            .await
            .unwrap()
            .expect_err("the stalled connection errors");
        assert!(err.is_timeout(), "{err:?}");

        // A request whose header arrives in two parts well within the timeout is answered.
        let mut ok = TcpStream::connect(addr).await.unwrap();
        ok.write_all(b"GET /fine HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        spindle::sleep(Duration::from_millis(50)).await;
        ok.write_all(b"connection: close\r\n\r\n").await.unwrap();
        let mut resp = String::new();
        ok.read_to_string(&mut resp).await.unwrap();
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert!(resp.ends_with("path=/fine"), "{resp}");
    });
}

/// `Timer::now` is the runtime's clock and `reset` moves a hyper sleep in place.
#[test]
fn timer_now_and_reset_in_place() {
    use hyper::rt::Timer as _;
    let rt = common::rt(1);
    let t = Timer::new(rt.handle().clone());
    let now = t.now();
    assert!(now <= rt.handle().time());
    rt.block_on(async {
        let mut s = t.sleep(Duration::from_secs(60));
        // Arm it (first poll), then pull it in: it must fire at the new deadline.
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(s.as_mut().poll(&mut cx).is_pending());
        let addr_before = &*s as *const dyn hyper::rt::Sleep as *const () as usize;
        t.reset(&mut s, Instant::now() + Duration::from_millis(20));
        let addr_after = &*s as *const dyn hyper::rt::Sleep as *const () as usize;
        assert_eq!(addr_before, addr_after, "reset must keep the same Sleep");
        let start = Instant::now();
        spindle::timeout(Duration::from_secs(10), s).await.unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
    });
}

rt_suite!(hyper_client_and_server, header_read_timeout_fires);
