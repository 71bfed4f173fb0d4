//! No fd leak at shutdown: its own test binary, because `/proc/self/fd` counts the whole
//! process and the other net tests open sockets concurrently (the two runtime
//! configurations below take `FD_LOCK`, so they do not overlap either).

#[macro_use]
mod common;

use futures::{AsyncReadExt, AsyncWriteExt};
use spindle::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

static FD_LOCK: Mutex<()> = Mutex::new(());

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// `drop(Runtime)` with 1500 open connections, each with a pending read in a task, plus
/// pending reads on a foreign executor: the tasks are cancelled (their sockets closed), the
/// foreign reads complete with an error, and after everything is dropped no fd is left.
fn drop_runtime_with_many_open_connections(workers: usize) {
    let _fd = FD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    const N: usize = 1500;
    let before = open_fds();
    let rt = common::rt(workers);
    let drops = common::DropCounter::new();
    let accepted = Arc::new(AtomicUsize::new(0));
    let (foreign_stream, foreign_l) = rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let d = drops.clone();
        let acc = accepted.clone();
        spindle::spawn(async move {
            loop {
                let (mut s, _) = l.accept().await.unwrap();
                acc.fetch_add(1, Ordering::SeqCst);
                let token = d.token();
                spindle::spawn(async move {
                    let _token = token;
                    let mut b = [0u8; 1];
                    let _ = s.read(&mut b).await; // pending until shutdown
                });
            }
        });
        // Connect in waves of 64 tasks: more at once overflows the listener's backlog (128)
        // and costs SYN retransmits (1 s each); one at a time serializes the occasional
        // dropped loopback SYN seen on VMs.
        let connected = Arc::new(AtomicUsize::new(0));
        for i in 0..N {
            while i - connected.load(Ordering::SeqCst) >= 64 {
                spindle::sleep(Duration::from_millis(1)).await;
            }
            let token = drops.token();
            let connected = connected.clone();
            spindle::spawn(async move {
                let _token = token;
                let mut c = TcpStream::connect(addr).await.unwrap();
                connected.fetch_add(1, Ordering::SeqCst);
                let mut b = [0u8; 1];
                let _ = c.read(&mut b).await; // pending until shutdown
            });
        }
        while connected.load(Ordering::SeqCst) < N || accepted.load(Ordering::SeqCst) < N {
            spindle::sleep(Duration::from_millis(5)).await;
        }
        let fl = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fs = TcpStream::connect(fl.local_addr().unwrap()).await.unwrap();
        (fs, fl)
    });
    assert!(open_fds() >= before + 2 * N);
    // A read pending on another executor's thread when the runtime goes away.
    let reader = std::thread::spawn(move || {
        let mut s = foreign_stream;
        let mut b = [0u8; 1];
        let r = futures::executor::block_on(s.read(&mut b));
        (r.map_err(|e| e.to_string()), s)
    });
    std::thread::sleep(Duration::from_millis(100));
    drop(rt);
    assert_eq!(
        drops.get(),
        2 * N,
        "every task holding a socket was dropped"
    );
    let (r, s) = reader.join().unwrap();
    let err = r.expect_err("a pending read completes with an error at shutdown");
    assert!(err.contains("shut down"), "{err}");
    // Used after the runtime is gone: errors, no hang, no panic.
    let mut s = s;
    assert!(futures::executor::block_on(s.write_all(b"x")).is_err());
    let mut b = [0u8; 1];
    assert!(futures::executor::block_on(s.read(&mut b)).is_err());
    assert!(futures::executor::block_on(foreign_l.accept()).is_err());
    drop((s, foreign_l));
    let after = open_fds();
    assert!(
        after <= before,
        "fd leak: {before} open before, {after} after"
    );
}

rt_suite!(drop_runtime_with_many_open_connections);
