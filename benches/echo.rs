//! TCP echo throughput over loopback: spindle's own sockets vs tokio vs async-executor +
//! async-io, side by side in one run. Each iteration: 16 connections, each doing 50 round
//! trips of a 64-byte message through an echo server on the same runtime (2 workers).
//!
//! ```text
//! cargo bench --bench echo
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use futures::{AsyncReadExt, AsyncWriteExt};
use std::net::SocketAddr;
use std::sync::Arc;

const CONNS: usize = 16;
const ROUNDS: usize = 50;
const MSG: usize = 64;

fn spindle_bench(c: &mut Criterion) {
    let rt = spindle::Builder::new().worker_threads(2).build().unwrap();
    let addr = rt.block_on(async {
        let l = spindle::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = l.local_addr().unwrap();
        spindle::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                spindle::spawn(async move {
                    let mut buf = [0u8; MSG];
                    while s.read_exact(&mut buf).await.is_ok() {
                        if s.write_all(&buf).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    });
    let conns: Vec<_> = rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..CONNS {
            let s = spindle::net::TcpStream::connect(addr).await.unwrap();
            s.set_nodelay(true).unwrap();
            v.push(Arc::new(s));
        }
        v
    });
    c.bench_function("tcp_echo/spindle", |b| {
        b.iter(|| {
            rt.block_on(async {
                let js: Vec<_> = conns
                    .iter()
                    .cloned()
                    .map(|s| {
                        spindle::spawn(async move {
                            let mut s = &*s;
                            let mut buf = [7u8; MSG];
                            for _ in 0..ROUNDS {
                                s.write_all(&buf).await.unwrap();
                                s.read_exact(&mut buf).await.unwrap();
                            }
                        })
                    })
                    .collect();
                for j in js {
                    j.await.unwrap();
                }
            })
        })
    });
}

fn tokio_bench(c: &mut Criterion) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr: SocketAddr = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; MSG];
                    while s.read_exact(&mut buf).await.is_ok() {
                        if s.write_all(&buf).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    });
    let conns: Vec<_> = rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..CONNS {
            let s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.set_nodelay(true).unwrap();
            v.push(Arc::new(tokio::sync::Mutex::new(s)));
        }
        v
    });
    c.bench_function("tcp_echo/tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let js: Vec<_> = conns
                    .iter()
                    .cloned()
                    .map(|s| {
                        tokio::spawn(async move {
                            let mut s = s.lock().await;
                            let mut buf = [7u8; MSG];
                            for _ in 0..ROUNDS {
                                s.write_all(&buf).await.unwrap();
                                s.read_exact(&mut buf).await.unwrap();
                            }
                        })
                    })
                    .collect();
                for j in js {
                    j.await.unwrap();
                }
            })
        })
    });
}

fn async_executor_bench(c: &mut Criterion) {
    use async_io::Async;
    let ex = Arc::new(async_executor::Executor::new());
    let (stop, stopped) = async_channel_pair();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let ex = ex.clone();
            let stopped = stopped.clone();
            std::thread::spawn(move || async_io::block_on(ex.run(stopped.recv_async())))
        })
        .collect();
    let addr = async_io::block_on(async {
        let l = Async::<std::net::TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
        let addr = l.get_ref().local_addr().unwrap();
        let ex2 = ex.clone();
        ex.spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                ex2.spawn(async move {
                    let mut buf = [0u8; MSG];
                    while s.read_exact(&mut buf).await.is_ok() {
                        if s.write_all(&buf).await.is_err() {
                            return;
                        }
                    }
                })
                .detach();
            }
        })
        .detach();
        addr
    });
    let conns: Vec<_> = async_io::block_on(async {
        let mut v = Vec::new();
        for _ in 0..CONNS {
            let s = Async::<std::net::TcpStream>::connect(addr).await.unwrap();
            s.get_ref().set_nodelay(true).unwrap();
            v.push(Arc::new(s));
        }
        v
    });
    c.bench_function("tcp_echo/async_executor", |b| {
        b.iter(|| {
            async_io::block_on(async {
                let js: Vec<_> = conns
                    .iter()
                    .cloned()
                    .map(|s| {
                        ex.spawn(async move {
                            let mut s = &*s;
                            let mut buf = [7u8; MSG];
                            for _ in 0..ROUNDS {
                                s.write_all(&buf).await.unwrap();
                                s.read_exact(&mut buf).await.unwrap();
                            }
                        })
                    })
                    .collect();
                for j in js {
                    j.await;
                }
            })
        })
    });
    drop(stop);
    for t in threads {
        let _ = t.join();
    }
}

/// A one-shot "stop" signal for the executor threads, from std's channel.
fn async_channel_pair() -> (std::sync::mpsc::Sender<()>, Stopped) {
    let (tx, rx) = std::sync::mpsc::channel();
    (tx, Stopped(Arc::new(std::sync::Mutex::new(rx))))
}

#[derive(Clone)]
struct Stopped(Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>);

impl Stopped {
    /// Resolves once the sender is dropped (polled with async-io's timer, 10 ms).
    async fn recv_async(self) {
        loop {
            if matches!(
                self.0.lock().unwrap().try_recv(),
                Err(std::sync::mpsc::TryRecvError::Disconnected)
            ) {
                return;
            }
            async_io::Timer::after(std::time::Duration::from_millis(10)).await;
        }
    }
}

criterion_group!(benches, spindle_bench, tokio_bench, async_executor_bench);
criterion_main!(benches);
