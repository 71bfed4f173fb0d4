//! TCP over real loopback sockets on spindle's own I/O driver.

#[macro_use]
mod common;

use futures::{AsyncReadExt, AsyncWriteExt};
use spindle::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An echo server task: echoes every connection until EOF.
async fn echo_server(l: TcpListener) {
    loop {
        let Ok((mut s, _)) = l.accept().await else {
            return;
        };
        spindle::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if s.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

/// 200 concurrent clients, each does 20 round trips of a distinct message.
fn echo_many_clients(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        spindle::spawn(echo_server(l));
        let clients: Vec<_> = (0..200u32)
            .map(|i| {
                spindle::spawn(async move {
                    let mut c = TcpStream::connect(addr).await.unwrap();
                    c.set_nodelay(true).unwrap();
                    for j in 0..20u32 {
                        let msg = format!("client {i} message {j};");
                        c.write_all(msg.as_bytes()).await.unwrap();
                        let mut back = vec![0u8; msg.len()];
                        c.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg.as_bytes());
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
}

/// 8 MiB each way on one connection, written by one task and read by another at the same
/// time (a reader and a writer on one socket), so both directions fill the kernel buffers.
fn large_transfer_both_ways(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        const N: usize = 8 << 20;
        let data: Arc<Vec<u8>> = Arc::new((0..N).map(|i| (i * 7 % 251) as u8).collect());
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        spindle::spawn(echo_server(l));
        let c = Arc::new(TcpStream::connect(addr).await.unwrap());
        let (w, d) = (c.clone(), data.clone());
        let writer = spindle::spawn(async move {
            let mut w = &*w;
            for chunk in d.chunks(100_000) {
                w.write_all(chunk).await.unwrap();
            }
            w.close().await.unwrap(); // half-close: the server sees EOF and closes too
        });
        let mut got = Vec::with_capacity(N);
        (&*c).read_to_end(&mut got).await.unwrap();
        writer.await.unwrap();
        assert_eq!(got.len(), N);
        assert!(got == *data, "echoed bytes differ");
    });
}

/// A server that sends 4 MiB and a client that sends 4 MiB before reading anything: the
/// kernel buffers fill both ways, so both sides must wait for writability.
fn large_transfer_server_push(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        const N: usize = 4 << 20;
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let server = spindle::spawn(async move {
            let (s, _) = l.accept().await.unwrap();
            let s = Arc::new(s);
            let s2 = s.clone();
            let push = spindle::spawn(async move {
                (&*s2).write_all(&vec![5u8; N]).await.unwrap();
                (&*s2).close().await.unwrap();
            });
            let mut got = Vec::new();
            (&*s).read_to_end(&mut got).await.unwrap();
            push.await.unwrap();
            got.len()
        });
        let c = Arc::new(TcpStream::connect(addr).await.unwrap());
        let c2 = c.clone();
        let up = spindle::spawn(async move {
            (&*c2).write_all(&vec![9u8; N]).await.unwrap();
            (&*c2).close().await.unwrap();
        });
        let mut got = Vec::new();
        (&*c).read_to_end(&mut got).await.unwrap();
        up.await.unwrap();
        assert_eq!(got.len(), N);
        assert!(got.iter().all(|&b| b == 5));
        assert_eq!(server.await.unwrap(), N);
    });
}

/// I/O interleaved with timers (a sleep between writes, a timeout on every read) and with
/// tasks spawned from a foreign thread that talk to the server.
fn io_mixed_with_timers_and_foreign_spawns(workers: usize) {
    let rt = common::rt(workers);
    let addr = rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        spindle::spawn(echo_server(l));
        addr
    });
    let done = Arc::new(AtomicUsize::new(0));
    let h = rt.handle().clone();
    let d = done.clone();
    let foreign = std::thread::spawn(move || {
        let js: Vec<_> = (0..20)
            .map(|i| {
                let d = d.clone();
                h.spawn(async move {
                    let mut c = TcpStream::connect(addr).await.unwrap();
                    for j in 0..5u8 {
                        spindle::sleep(Duration::from_millis(1 + (i % 3))).await;
                        c.write_all(&[j; 3]).await.unwrap();
                        let mut b = [0u8; 3];
                        spindle::timeout(Duration::from_secs(10), c.read_exact(&mut b))
                            .await
                            .expect("echo within the timeout")
                            .unwrap();
                        assert_eq!(b, [j; 3]);
                    }
                    d.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        js
    });
    let js = foreign.join().unwrap();
    rt.block_on(async {
        for j in js {
            j.await.unwrap();
        }
    });
    assert_eq!(done.load(Ordering::SeqCst), 20);
}

/// A task woken by I/O blocks its worker (a "long poll", here until released); connections
/// keep being served by the other workers meanwhile, so the poller must have been handed on
/// by the worker that polled the event (nobody else would poll: the others sleep).
fn stuck_worker_others_serve(workers: usize) {
    if workers < 2 {
        return;
    }
    let rt = common::rt(workers);
    let released = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r2 = released.clone();
    rt.block_on(async move {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let blocker = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let baddr = blocker.local_addr().unwrap();
        spindle::spawn(echo_server(l));
        // The blocking server: on its first byte it blocks its worker until released (or
        // 8 s, which then fails the test below by timing).
        let gave_up = spindle::spawn(async move {
            let (mut s, _) = blocker.accept().await.unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).await.unwrap();
            let start = Instant::now();
            while !r2.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(8) {
                std::thread::sleep(Duration::from_millis(1));
            }
            !r2.load(Ordering::SeqCst)
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut b = [0u8; 1];
        c.write_all(b"x").await.unwrap();
        c.read_exact(&mut b).await.unwrap();
        // Let every idle worker go back to sleep, then wake exactly one by I/O.
        std::thread::sleep(Duration::from_millis(100));
        let mut bc = TcpStream::connect(baddr).await.unwrap();
        std::thread::sleep(Duration::from_millis(100));
        bc.write_all(b"S").await.unwrap();
        std::thread::sleep(Duration::from_millis(100));
        for i in 0..50u8 {
            c.write_all(&[i]).await.unwrap();
            c.read_exact(&mut b).await.unwrap();
            assert_eq!(b[0], i);
        }
        let mut c2 = TcpStream::connect(addr).await.unwrap();
        c2.write_all(b"y").await.unwrap();
        c2.read_exact(&mut b).await.unwrap();
        released.store(true, Ordering::SeqCst);
        assert!(
            !gave_up.await.unwrap(),
            "connections were not served while a worker was stuck"
        );
    });
}

/// `Handle::enter` on a foreign thread: sockets created there, driven by a foreign executor
/// (futures' `block_on`), readiness still coming from spindle's poller.
fn foreign_executor_uses_spindle_sockets(workers: usize) {
    let rt = common::rt(workers);
    let h = rt.handle().clone();
    std::thread::spawn(move || {
        let _g = h.enter();
        futures::executor::block_on(async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            let t = std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut s = std::net::TcpStream::connect(addr).unwrap();
                s.write_all(b"ping").unwrap();
                let mut b = [0u8; 4];
                s.read_exact(&mut b).unwrap();
                b
            });
            let (mut s, _) = l.accept().await.unwrap();
            let mut b = [0u8; 4];
            s.read_exact(&mut b).await.unwrap();
            s.write_all(b"pong").await.unwrap();
            assert_eq!(&t.join().unwrap(), b"pong");
        });
    })
    .join()
    .unwrap();
}

rt_suite!(
    echo_many_clients,
    large_transfer_both_ways,
    large_transfer_server_push,
    io_mixed_with_timers_and_foreign_spawns,
    stuck_worker_others_serve,
    foreign_executor_uses_spindle_sockets,
);
