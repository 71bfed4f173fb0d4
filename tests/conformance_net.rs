//! Conformance: networking, shaped after tokio's `rt_common.rs` (block_on_socket,
//! client_server_block_on, socket_from_blocking, io_driver_called_when_under_load,
//! io_notify_while_shutting_down, enter_and_spawn), `tcp_accept.rs`, `tcp_connect.rs`,
//! `tcp_echo.rs`, `tcp_shutdown.rs`, `udp.rs` and `rt_handle.rs` (enter), plus hyper 1.x
//! client/server basics over `spindle::hyper`. Every test runs on 1 and 4 workers.

#[macro_use]
mod common;

use futures::{AsyncReadExt, AsyncWriteExt};
use spindle::net::{TcpListener, TcpStream, UdpSocket};
use spindle::Handle;
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

const SLACK: Duration = Duration::from_secs(10);

/// Polls `f` once with the current task's waker.
async fn poll_once<F: std::future::Future>(mut f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await
}

/// tokio `block_on_socket`: connect from `block_on` to a listener accepting in a task.
fn block_on_socket(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let (p, d) = Handle::current().create_future::<()>();
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        spindle::spawn(async move {
            let _ = l.accept().await.unwrap();
            p.set_result(()).unwrap();
        });
        TcpStream::connect(&addr).await.unwrap();
        d.await.unwrap();
    });
}

/// tokio `client_server` / `client_server_block_on`: a server task writes "hello" and
/// closes; the client in `block_on` reads exactly that, then EOF.
fn client_server_block_on(workers: usize) {
    let rt = common::rt(workers);
    let got = rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let server = spindle::spawn(async move {
            let (mut s, peer) = l.accept().await.unwrap();
            assert_eq!(s.peer_addr().unwrap(), peer);
            s.write_all(b"hello").await.unwrap();
            s.close().await.unwrap();
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut buf = Vec::new();
        c.read_to_end(&mut buf).await.unwrap();
        server.await.unwrap();
        let mut more = [0u8; 8];
        assert_eq!(c.read(&mut more).await.unwrap(), 0, "EOF stays EOF");
        buf
    });
    assert_eq!(got, b"hello");
}

/// tokio `socket_from_blocking`: a blocking-pool thread (inside the runtime) connects
/// through a plain executor (`futures::executor::block_on`); so does a foreign thread inside
/// `Handle::enter`.
fn socket_from_blocking(workers: usize) {
    let rt = common::rt(workers);
    let h = rt.handle().clone();
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let peer = spindle::spawn_blocking(move || {
            futures::executor::block_on(async {
                let mut s = TcpStream::connect(addr).await.unwrap();
                s.write_all(b"from blocking").await.unwrap();
            })
        });
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        assert_eq!(buf, b"from blocking");
        peer.await.unwrap();

        let foreign = std::thread::spawn(move || {
            let _g = h.enter();
            futures::executor::block_on(async {
                let mut s = TcpStream::connect(addr).await.unwrap();
                s.write_all(b"from enter").await.unwrap();
            })
        });
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        assert_eq!(buf, b"from enter");
        foreign.join().unwrap();
    });
}

/// tokio `io_driver_called_when_under_load`: 100 tasks that wake themselves forever keep
/// every worker busy; socket readiness must still be delivered.
fn io_driver_called_when_under_load(workers: usize) {
    let rt = common::rt(workers);
    let stop = Arc::new(AtomicBool::new(false));
    for _ in 0..100 {
        let stop = stop.clone();
        rt.handle().spawn(std::future::poll_fn(move |cx| {
            if stop.load(SeqCst) {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }));
    }
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let srv = spindle::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            s.write_all(b"hello world").await.unwrap();
        });
        let cli = spindle::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let mut dst = vec![0; 11];
            s.read_exact(&mut dst).await.unwrap();
            assert_eq!(dst, b"hello world");
        });
        srv.await.unwrap();
        cli.await.unwrap();
    });
    stop.store(true, SeqCst);
}

/// tokio `io_notify_while_shutting_down`: UDP traffic in flight (a receiver that blocks its
/// worker between datagrams, a sender on a timer) while the runtime is dropped, ten times.
/// Nothing hangs or panics outside the tasks; the sockets' fds are released.
fn io_notify_while_shutting_down(workers: usize) {
    for _ in 0..10 {
        let rt = common::rt(workers);
        let ended = common::DropCounter::new();
        rt.block_on(async {
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let addr = socket.local_addr().unwrap();
            let send_half = Arc::new(socket);
            let recv_half = send_half.clone();
            let t1 = ended.token();
            spindle::spawn(async move {
                let _t = t1;
                let mut buf = [0];
                while recv_half.recv_from(&mut buf).await.is_ok() {
                    std::thread::sleep(Duration::from_millis(2));
                }
            });
            let t2 = ended.token();
            spindle::spawn(async move {
                let _t = t2;
                let buf = [0];
                while send_half.send_to(&buf, addr).await.is_ok() {
                    spindle::sleep(Duration::from_millis(1)).await;
                }
            });
            spindle::sleep(Duration::from_millis(5)).await;
        });
        drop(rt);
        assert_eq!(ended.get(), 2, "both tasks dropped (or ended) at shutdown");
    }
}

/// tokio `rt_common::enter_and_spawn`, `rt_handle::basic_enter`: spawn through the free
/// function inside `enter`; nested enters of two runtimes restore in order.
fn enter_and_spawn(workers: usize) {
    let rt = common::rt(workers);
    let handle = {
        let _enter = rt.handle().enter();
        spindle::spawn(async { 5 })
    };
    assert_eq!(rt.block_on(handle).unwrap(), 5);

    let rt2 = common::rt(workers);
    assert!(Handle::try_current().is_none());
    let g1 = rt.handle().enter();
    let t1 = Handle::current().time();
    let g2 = rt2.handle().enter();
    // The inner enter is current: its spawn runs on rt2.
    let j = spindle::spawn(async { spindle::worker_index().is_some() });
    drop(g2);
    drop(g1);
    assert!(Handle::try_current().is_none(), "all guards dropped");
    assert!(
        rt2.block_on(j).unwrap(),
        "spawned inside rt2's enter, ran on rt2's workers"
    );
    assert!(rt.handle().time() >= t1);
}

/// tokio `rt_handle::{interleave_enter_different_rt, interleave_enter_same_rt,
/// interleave_then_enter}`: dropping enter guards out of order panics with a clear message
/// (it used to restore silently, leaving a runtime current after every guard was gone), a
/// panic unwinding through live guards does not abort, and the thread can enter again.
fn enter_guards_dropped_out_of_order_panic(workers: usize) {
    let rt1 = common::rt(workers);
    let rt2 = common::rt(workers);
    let msg = |r: std::thread::Result<()>| {
        let e = r.expect_err("out-of-order drop must panic");
        common::panic_message(&*e).unwrap()
    };
    let m = msg(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || {
            let g1 = rt1.handle().enter();
            let g2 = rt2.handle().enter();
            drop(g1);
            drop(g2);
        },
    )));
    assert!(m.contains("out of order"), "message: {m}");
    let m = msg(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || {
            let _g1 = rt1.handle().enter();
            let g2 = rt1.handle().enter();
            let g3 = rt1.handle().enter();
            drop(g2);
            drop(g3);
        },
    )));
    assert!(m.contains("out of order"), "message: {m}");
    // A panic unwinding through live guards (dropped in order by the unwind) is the user's.
    let m = msg(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || {
            let _g1 = rt1.handle().enter();
            let _g2 = rt2.handle().enter();
            panic!("user panic");
        },
    )));
    assert_eq!(m, "user panic");
    // Can still enter, and in-order guards work as before.
    let rt3 = common::rt(workers);
    {
        let _g = rt3.handle().enter();
        let j = spindle::spawn(async { 3 });
        assert_eq!(rt3.block_on(j).unwrap(), 3);
        {
            let _inner = rt1.handle().enter();
            let j = spindle::spawn(async { 1 });
            assert_eq!(rt1.block_on(j).unwrap(), 1);
        }
        let j = spindle::spawn(async { 33 });
        assert_eq!(
            rt3.block_on(j).unwrap(),
            33,
            "the outer guard is current again"
        );
    }
}

/// Entering another runtime from a task on a worker: sockets and spawns inside the guard go
/// to the entered runtime; dropping the guard gives the worker its own context back.
fn enter_other_runtime_on_a_worker(workers: usize) {
    let rt = common::rt(workers);
    let rt2 = common::rt(workers);
    let h2 = rt2.handle().clone();
    let (addr, j) = rt
        .block_on(rt.handle().spawn(async move {
            let before = spindle::worker_index();
            assert!(before.is_some());
            let (l, j) = {
                let _g = h2.enter();
                let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let l = TcpListener::from_std(std_l).unwrap();
                (l, spindle::spawn(async { 7 }))
            };
            assert_eq!(
                spindle::worker_index(),
                before,
                "own worker context restored"
            );
            let addr = l.local_addr().unwrap();
            // The listener lives on rt2: accept there while rt1 connects to it.
            h2.spawn(async move {
                let (mut s, _) = l.accept().await.unwrap();
                s.write_all(b"rt2").await.unwrap();
            });
            (addr, j)
        }))
        .unwrap();
    let got = rt.block_on(async move {
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut buf = Vec::new();
        c.read_to_end(&mut buf).await.unwrap();
        buf
    });
    assert_eq!(got, b"rt2");
    assert_eq!(rt2.block_on(j).unwrap(), 7);
}

/// tokio `tcp_accept`: accept through each way of binding (a `&str`, a `SocketAddr`, an
/// `(IpAddr, port)` tuple, `from_std`); the accepted peer address is the client's local
/// address and vice versa.
fn accept_every_binding(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let listeners = vec![
            TcpListener::bind("127.0.0.1:0").await.unwrap(),
            TcpListener::bind(SocketAddr::new(v4, 0)).await.unwrap(),
            TcpListener::bind((v4, 0)).await.unwrap(),
            TcpListener::from_std(std::net::TcpListener::bind("127.0.0.1:0").unwrap()).unwrap(),
        ];
        for l in listeners {
            let addr = l.local_addr().unwrap();
            assert_ne!(addr.port(), 0);
            let srv = spindle::spawn(async move {
                let (s, peer) = l.accept().await.unwrap();
                assert_eq!(s.local_addr().unwrap(), addr);
                peer
            });
            let c = TcpStream::connect(addr).await.unwrap();
            assert_eq!(c.peer_addr().unwrap(), addr);
            assert_eq!(srv.await.unwrap(), c.local_addr().unwrap());
        }
    });
}

/// tokio `tcp_accept::accept_many`-like: 64 clients connect at once (from tasks, from
/// std threads); every one is accepted exactly once, and their streams work.
fn accept_many_concurrent(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let srv = spindle::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..64 {
                let (mut s, _) = l.accept().await.unwrap();
                let mut b = [0u8; 1];
                s.read_exact(&mut b).await.unwrap();
                s.write_all(&b).await.unwrap();
                seen.push(b[0]);
            }
            seen.sort_unstable();
            seen
        });
        let mut tasks = Vec::new();
        for i in 0..32u8 {
            tasks.push(spindle::spawn(async move {
                let mut c = TcpStream::connect(addr).await.unwrap();
                c.write_all(&[i]).await.unwrap();
                let mut b = [0u8; 1];
                c.read_exact(&mut b).await.unwrap();
                assert_eq!(b[0], i);
            }));
        }
        let threads: Vec<_> = (32..64u8)
            .map(|i| {
                std::thread::spawn(move || {
                    use std::io::{Read, Write};
                    let mut c = std::net::TcpStream::connect(addr).unwrap();
                    c.write_all(&[i]).unwrap();
                    let mut b = [0u8; 1];
                    c.read_exact(&mut b).unwrap();
                    assert_eq!(b[0], i);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(srv.await.unwrap(), (0..64).collect::<Vec<u8>>());
        for t in threads {
            t.join().unwrap();
        }
    });
}

/// tokio `tcp_connect::connect_v6` (when the host has IPv6 loopback), and connecting to a
/// host name.
fn connect_v6_and_hostname(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        if let Ok(l) = TcpListener::bind("[::1]:0").await {
            let addr = l.local_addr().unwrap();
            assert!(addr.is_ipv6());
            let srv = spindle::spawn(async move { l.accept().await.unwrap().1 });
            let c = TcpStream::connect(addr).await.unwrap();
            assert_eq!(srv.await.unwrap(), c.local_addr().unwrap());
        }
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let srv = spindle::spawn(async move { l.accept().await.unwrap().1 });
        let c = TcpStream::connect(("localhost", port)).await;
        match c {
            Ok(c) => assert_eq!(srv.await.unwrap(), c.local_addr().unwrap()),
            // "localhost" may resolve to ::1 only; then the v4 listener refuses.
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused),
        }
    });
}

/// tokio `tcp_echo`: the two directions of one stream used from two tasks at once
/// (`&TcpStream` is `AsyncRead + AsyncWrite`), 1 MiB each way against a std echo thread.
fn echo_split_halves(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_l.local_addr().unwrap();
        let echo = std::thread::spawn(move || {
            let (mut s, _) = std_l.accept().unwrap();
            let mut r = s.try_clone().unwrap();
            std::io::copy(&mut r, &mut s).unwrap();
        });
        let c = Arc::new(TcpStream::connect(addr).await.unwrap());
        const N: usize = 1 << 20;
        let w = c.clone();
        let writer = spindle::spawn(async move {
            let data: Vec<u8> = (0..N).map(|i| (i % 251) as u8).collect();
            for chunk in data.chunks(7919) {
                (&*w).write_all(chunk).await.unwrap();
            }
            w.shutdown(Shutdown::Write).unwrap();
        });
        let r = c.clone();
        let reader = spindle::spawn(async move {
            let mut got = Vec::new();
            (&*r).read_to_end(&mut got).await.unwrap();
            got
        });
        writer.await.unwrap();
        let got = reader.await.unwrap();
        assert_eq!(got.len(), N);
        assert!(got.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
        echo.join().unwrap();
    });
}

/// tokio `tcp_shutdown`: after `shutdown(Write)` the peer reads EOF and can still answer;
/// `shutdown(Both)` ends our reads too; shutting down twice is not a panic.
fn shutdown_directions(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let srv = spindle::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).await.unwrap();
            assert!(buf.is_empty());
            s.write_all(b"after eof").await.unwrap();
            // Second connection: the client shuts down both directions.
            let (mut s2, _) = l.accept().await.unwrap();
            let mut b = Vec::new();
            s2.read_to_end(&mut b).await.unwrap();
            b
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let _ = c.shutdown(Shutdown::Write); // again: Ok or an error, never a panic
        let mut buf = vec![0u8; 9];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, b"after eof");

        let mut c2 = TcpStream::connect(addr).await.unwrap();
        c2.write_all(b"bye").await.unwrap();
        c2.shutdown(Shutdown::Both).unwrap();
        let mut rest = [0u8; 4];
        assert_eq!(
            c2.read(&mut rest).await.unwrap(),
            0,
            "read after Both is EOF"
        );
        assert_eq!(srv.await.unwrap(), b"bye");
    });
}

/// A pending read is woken by data written from a plain thread, and an accept by a connect
/// from one (readiness crosses threads; the waiting task is on any worker).
fn pending_read_woken_from_foreign_thread(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let mut accept = Box::pin(l.accept());
        assert!(poll_once(accept.as_mut()).await.is_pending());
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            use std::io::Write;
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            rx.recv().unwrap();
            std::thread::sleep(Duration::from_millis(20));
            s.write_all(b"late data").unwrap();
        });
        let (mut s, _) = accept.await.unwrap();
        let mut buf = [0u8; 9];
        {
            let mut read = Box::pin(s.read_exact(&mut buf));
            assert!(poll_once(read.as_mut()).await.is_pending(), "no data yet");
            tx.send(()).unwrap();
            read.await.unwrap();
        }
        assert_eq!(&buf, b"late data");
        t.join().unwrap();
    });
}

/// An accepted connection whose client already wrote and closed: the data and the EOF are
/// both there.
fn accept_after_peer_closed(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        {
            use std::io::Write;
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.write_all(b"gone").unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        assert_eq!(buf, b"gone");
    });
}

/// tokio `udp.rs` `send_recv_from` / `send_to_recv_from`: datagrams between two sockets
/// carry the sender's address; a zero-length datagram is one; a pending `recv_from` is
/// woken by a send from another thread.
fn udp_send_to_recv_from(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        assert_eq!(a.send_to(b"hello", ba).await.unwrap(), 5);
        let mut buf = [0u8; 32];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"hello"[..], aa));
        assert_eq!(b.send_to(b"", aa).await.unwrap(), 0);
        let (n, from) = a.recv_from(&mut buf).await.unwrap();
        assert_eq!((n, from), (0, ba));

        let mut recv = Box::pin(a.recv_from(&mut buf));
        assert!(poll_once(recv.as_mut()).await.is_pending());
        let t = std::thread::spawn(move || {
            let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            std::thread::sleep(Duration::from_millis(10));
            s.send_to(b"foreign", aa).unwrap();
            s.local_addr().unwrap()
        });
        let (n, from) = recv.await.unwrap();
        let foreign = t.join().unwrap();
        assert_eq!((&buf[..n], from), (&b"foreign"[..], foreign));
    });
}

/// tokio `udp.rs` `split` / shared socket: one socket shared by two receiving tasks and a
/// sender; every datagram is received exactly once, none lost on loopback.
fn udp_shared_socket_many_datagrams(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let rx = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = rx.local_addr().unwrap();
        let got = Arc::new(AtomicUsize::new(0));
        let mut receivers = Vec::new();
        for _ in 0..2 {
            let (rx, got) = (rx.clone(), got.clone());
            receivers.push(spindle::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 8];
                while got.load(SeqCst) < 200 {
                    let r = Handle::current()
                        .timeout(Duration::from_millis(200), rx.recv_from(&mut buf))
                        .await;
                    if let Ok(Ok((n, _))) = r {
                        assert_eq!(n, 4);
                        seen.push(u32::from_le_bytes(buf[..4].try_into().unwrap()));
                        got.fetch_add(1, SeqCst);
                    }
                }
                seen
            }));
        }
        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        for i in 0..200u32 {
            tx.send_to(&i.to_le_bytes(), addr).await.unwrap();
            if i % 16 == 0 {
                spindle::yield_now().await; // loopback drops only when the buffer overflows
            }
        }
        let mut all = Vec::new();
        for r in receivers {
            all.extend(Handle::current().timeout(SLACK, r).await.unwrap().unwrap());
        }
        all.sort_unstable();
        assert_eq!(all, (0..200).collect::<Vec<u32>>(), "each exactly once");
    });
}

/// A socket created on one runtime, awaited on another runtime's worker: readiness comes
/// from its own runtime's driver.
fn socket_polled_on_other_runtime(workers: usize) {
    let rt1 = common::rt(workers);
    let rt2 = common::rt(workers);
    let l = rt1.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = l.local_addr().unwrap();
    let srv = rt2.handle().spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        buf
    });
    rt1.block_on(async move {
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"cross runtime").await.unwrap();
    });
    assert_eq!(rt2.block_on(srv).unwrap(), b"cross runtime");
}

/// API.md: "When the runtime shuts down, every one of them that is being awaited completes
/// (I/O with an error)". Accept, read, UDP receive and a write stuck on a full send buffer,
/// each awaited by a foreign executor on its own thread, all end with an error when the
/// runtime is dropped; none hangs.
fn io_awaited_elsewhere_errors_at_shutdown(workers: usize) {
    let rt = common::rt(workers);
    let (l, reader, udp, writer, _peers) = rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = std_l.local_addr().unwrap();
        let reader = TcpStream::connect(a).await.unwrap();
        let writer = TcpStream::connect(a).await.unwrap();
        let p1 = std_l.accept().unwrap().0; // keeps the connections open, reads nothing
        let p2 = std_l.accept().unwrap().0;
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        (l, reader, udp, writer, (std_l, p1, p2))
    });
    let (tx, rx) = std::sync::mpsc::channel::<&'static str>();
    let mut threads = Vec::new();
    let t = tx.clone();
    threads.push(std::thread::spawn(move || {
        assert!(futures::executor::block_on(l.accept()).is_err());
        t.send("accept").unwrap();
    }));
    let t = tx.clone();
    threads.push(std::thread::spawn(move || {
        let mut r = reader;
        let mut buf = [0u8; 16];
        assert!(futures::executor::block_on(r.read(&mut buf)).is_err());
        t.send("read").unwrap();
    }));
    let t = tx.clone();
    threads.push(std::thread::spawn(move || {
        let mut buf = [0u8; 16];
        assert!(futures::executor::block_on(udp.recv_from(&mut buf)).is_err());
        t.send("recv_from").unwrap();
    }));
    let t = tx;
    threads.push(std::thread::spawn(move || {
        let mut w = writer;
        let chunk = vec![7u8; 1 << 16];
        // The peer never reads: the write blocks once the buffers are full, until shutdown.
        let r: std::io::Result<()> = futures::executor::block_on(async {
            loop {
                w.write_all(&chunk).await?;
            }
        });
        assert!(r.is_err());
        t.send("write").unwrap();
    }));
    std::thread::sleep(Duration::from_millis(100)); // all four are waiting
    assert!(rx.try_recv().is_err(), "nothing ended before shutdown");
    drop(rt);
    let mut ended: Vec<_> = (0..4)
        .map(|_| rx.recv_timeout(SLACK).expect("hung"))
        .collect();
    ended.sort_unstable();
    assert_eq!(ended, ["accept", "read", "recv_from", "write"]);
    for t in threads {
        t.join().unwrap();
    }
}

/// Virtual time: socket readiness that the OS already has is work, so a paused clock does not
/// jump past it (tokio's time driver polls I/O before it auto-advances). Two shapes, 200
/// rounds each: data written into a pending read's socket while the runtime is still busy
/// (the writer is the `block_on` thread), and request/response rounds whose server reads
/// under a 30 s timeout. Before the fix (`io::vt`), the quiet decision could commit the
/// move while the worker waiting in the poller had not yet returned with the event: under
/// load, 5-15% of those reads timed out at once on 4 workers.
fn io_ready_before_the_clock_moves(workers: usize) {
    use std::io::Write;
    let rt = spindle::Builder::new()
        .worker_threads(workers)
        .start_paused(true)
        .build()
        .unwrap();
    let h = rt.handle().clone();
    let h1 = h.clone();
    let late = rt.block_on(async move {
        let h = h1;
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let mut late = 0;
        for _ in 0..200 {
            let mut peer = std::net::TcpStream::connect(addr).unwrap();
            let (mut s, _) = l.accept().await.unwrap();
            let started = Arc::new(AtomicBool::new(false));
            let st = started.clone();
            let h2 = h.clone();
            let t = h.spawn(async move {
                let mut b = [0u8; 1];
                st.store(true, SeqCst);
                h2.timeout(Duration::from_secs(30), s.read(&mut b)).await
            });
            // block_on counts as running until it waits: the clock cannot move before.
            while !started.load(SeqCst) {
                std::thread::yield_now();
            }
            std::thread::sleep(Duration::from_millis(1)); // the read is pending by now
            peer.write_all(b"x").unwrap();
            if t.await.unwrap().is_err() {
                late += 1;
            }
        }
        late
    });
    assert_eq!(
        late, 0,
        "{late} of 200 reads timed out with their data in the socket"
    );

    let h1 = h.clone();
    let late = rt.block_on(async move {
        let h = h1;
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let h2 = h.clone();
        h.spawn(async move {
            loop {
                let Ok((mut s, _)) = l.accept().await else {
                    return;
                };
                let h3 = h2.clone();
                h2.spawn(async move {
                    let mut b = [0u8; 4];
                    let r = h3
                        .timeout(Duration::from_secs(30), s.read_exact(&mut b))
                        .await;
                    let answer: &[u8] = if matches!(r, Ok(Ok(()))) {
                        b"ok"
                    } else {
                        b"TO"
                    };
                    let _ = s.write_all(answer).await;
                });
            }
        });
        let mut late = 0;
        for _ in 0..200 {
            let mut c = TcpStream::connect(addr).await.unwrap();
            c.write_all(b"ping").await.unwrap();
            let mut resp = [0u8; 2];
            c.read_exact(&mut resp).await.unwrap();
            if &resp != b"ok" {
                late += 1;
            }
        }
        late
    });
    assert_eq!(
        late, 0,
        "{late} of 200 requests timed out with their data sent"
    );
}

#[cfg(feature = "hyper")]
mod hyper_basics {
    use super::*;
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::body::Incoming;
    use hyper::{Request, Response};

    async fn echo(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
        let path = req.uri().path().to_string();
        let body = req.into_body().collect().await?.to_bytes();
        let mut out = path.into_bytes();
        out.extend_from_slice(b":");
        out.extend_from_slice(&body);
        Ok(Response::new(Full::new(Bytes::from(out))))
    }

    /// A hyper server on `spindle::hyper::{Io, Timer, Executor}` and a hyper client on one
    /// keep-alive connection: ten POSTs with bodies answered in order, then the connection
    /// ends cleanly when the client drops.
    pub(super) fn hyper_keep_alive_posts(workers: usize) {
        let rt = common::rt(workers);
        let h = rt.handle().clone();
        rt.block_on(async move {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            let h2 = h.clone();
            let server = h.spawn(async move {
                let (s, _) = l.accept().await.unwrap();
                hyper::server::conn::http1::Builder::new()
                    .timer(spindle::hyper::Timer::new(h2))
                    .serve_connection(spindle::hyper::Io::new(s), hyper::service::service_fn(echo))
                    .await
            });
            let s = TcpStream::connect(addr).await.unwrap();
            let (mut send, conn) =
                hyper::client::conn::http1::handshake(spindle::hyper::Io::new(s))
                    .await
                    .unwrap();
            let conn = h.spawn(conn);
            for i in 0..10 {
                let req = Request::post(format!("/r{i}"))
                    .header("host", "localhost")
                    .body(Full::new(Bytes::from(format!("body {i}"))))
                    .unwrap();
                // hyper's contract: wait until the connection can take the next request.
                send.ready().await.unwrap();
                let resp = send.send_request(req).await.unwrap();
                assert_eq!(resp.status(), 200);
                let body = resp.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(&body[..], format!("/r{i}:body {i}").as_bytes());
            }
            drop(send);
            conn.await.unwrap().unwrap();
            h.timeout(SLACK, server).await.unwrap().unwrap().unwrap();
        });
    }

    /// hyper's `header_read_timeout` through `spindle::hyper::Timer` on a paused clock with
    /// auto-advance: a client that sends half a header and waits (an I/O wait is not work)
    /// is cut off after exactly the virtual timeout, at once in real time; a complete
    /// request on a second connection is answered.
    pub(super) fn hyper_header_timeout_on_paused_clock(workers: usize) {
        let rt = spindle::Builder::new()
            .worker_threads(workers)
            .start_paused(true)
            .build()
            .unwrap();
        let h = rt.handle().clone();
        let wall = std::time::Instant::now();
        rt.block_on(async move {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            let h2 = h.clone();
            h.spawn(async move {
                loop {
                    let Ok((s, _)) = l.accept().await else { return };
                    let h3 = h2.clone();
                    h2.spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .timer(spindle::hyper::Timer::new(h3))
                            .header_read_timeout(Duration::from_secs(30))
                            .serve_connection(
                                spindle::hyper::Io::new(s),
                                hyper::service::service_fn(echo),
                            )
                            .await;
                    });
                }
            });
            let start = h.time();
            let mut slow = TcpStream::connect(addr).await.unwrap();
            slow.write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n")
                .await
                .unwrap();
            let mut rest = Vec::new();
            let _ = slow.read_to_end(&mut rest).await; // EOF (or a 408) at the timeout
            let waited = h.time() - start;
            assert!(
                waited >= Duration::from_secs(30) && waited < Duration::from_secs(31),
                "cut off after {waited:?} of virtual time"
            );
            let mut ok = TcpStream::connect(addr).await.unwrap();
            ok.write_all(b"GET /fine HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            let mut resp = Vec::new();
            ok.read_to_end(&mut resp).await.unwrap();
            let resp = String::from_utf8_lossy(&resp);
            assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
            assert!(resp.ends_with("/fine:"), "{resp}");
        });
        assert!(
            wall.elapsed() < Duration::from_secs(10),
            "{:?}",
            wall.elapsed()
        );
    }

    /// The hyper client's executor is `spindle::hyper::Executor`: an HTTP/1 connection
    /// driven by hyper-spawned work on spindle (hyper calls `execute` for the server's
    /// graceful parts); here we check it runs a future to completion on the runtime.
    pub(super) fn hyper_executor_runs_on_runtime(workers: usize) {
        use hyper::rt::Executor as _;
        let rt = common::rt(workers);
        let ex = spindle::hyper::Executor::new(rt.handle().clone());
        let (p, d) = rt.handle().create_future::<Option<usize>>();
        ex.execute(async move {
            let _ = p.set_result(spindle::worker_index());
        });
        let on = rt.block_on(d).unwrap();
        assert!(on.is_some_and(|i| i < workers), "ran on a worker: {on:?}");
    }
}

#[cfg(feature = "hyper")]
use hyper_basics::{
    hyper_executor_runs_on_runtime, hyper_header_timeout_on_paused_clock, hyper_keep_alive_posts,
};

#[cfg(feature = "hyper")]
mod hyper_suite {
    use super::{
        hyper_executor_runs_on_runtime, hyper_header_timeout_on_paused_clock,
        hyper_keep_alive_posts,
    };
    rt_suite!(
        hyper_keep_alive_posts,
        hyper_executor_runs_on_runtime,
        hyper_header_timeout_on_paused_clock
    );
}

rt_suite!(
    block_on_socket,
    client_server_block_on,
    socket_from_blocking,
    io_driver_called_when_under_load,
    io_notify_while_shutting_down,
    enter_and_spawn,
    enter_other_runtime_on_a_worker,
    enter_guards_dropped_out_of_order_panic,
    accept_every_binding,
    accept_many_concurrent,
    connect_v6_and_hostname,
    echo_split_halves,
    shutdown_directions,
    pending_read_woken_from_foreign_thread,
    accept_after_peer_closed,
    udp_send_to_recv_from,
    udp_shared_socket_many_datagrams,
    socket_polled_on_other_runtime,
    io_awaited_elsewhere_errors_at_shutdown,
    io_ready_before_the_clock_moves,
);
