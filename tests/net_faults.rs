//! Faults on real sockets: clear errors, nothing hangs (the fd-leak count at shutdown is in
//! `net_fd_leak.rs`, a binary of its own).

#[macro_use]
mod common;

use futures::{AsyncReadExt, AsyncWriteExt};
use spindle::net::{TcpListener, TcpStream, UdpSocket};
use std::io::ErrorKind;
use std::time::Duration;

fn bind_port_in_use(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let a = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let err = TcpListener::bind(a.local_addr().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let err = UdpSocket::bind(u.local_addr().unwrap()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
    });
}

fn connect_refused(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}

/// The peer resets (SO_LINGER 0 then close) while we keep writing: the writer gets an error
/// (reset or broken pipe), it does not hang.
fn peer_reset_mid_write(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let mut c = TcpStream::connect(addr).await.unwrap();
        let (peer, _) = l.accept().unwrap();
        set_linger_zero(&peer);
        let chunk = vec![1u8; 64 * 1024];
        c.write_all(&chunk).await.unwrap();
        drop(peer); // RST
        let mut err = None;
        for _ in 0..1000 {
            if let Err(e) = c.write_all(&chunk).await {
                err = Some(e);
                break;
            }
        }
        let err = err.expect("writes to a reset connection must fail");
        assert!(
            matches!(
                err.kind(),
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
            ),
            "{err:?}"
        );
        // Reads fail or see EOF, never hang.
        let mut b = [0u8; 8];
        let r = c.read(&mut b).await;
        assert!(matches!(r, Ok(0) | Err(_)), "{r:?}");
    });
}

fn set_linger_zero(s: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid fd and a correctly sized `linger` struct.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &l as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
}

/// Half-close: the client shuts its write half; the server reads EOF, still answers on its
/// write half, and the client reads the answer then EOF.
fn half_close(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let server = spindle::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut req = Vec::new();
            s.read_to_end(&mut req).await.unwrap(); // ends at the client's half-close
            s.write_all(&req).await.unwrap();
            s.write_all(b"!").await.unwrap();
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"question").await.unwrap();
        c.shutdown(std::net::Shutdown::Write).unwrap();
        let mut resp = Vec::new();
        c.read_to_end(&mut resp).await.unwrap();
        assert_eq!(resp, b"question!");
        server.await.unwrap();
        // Writing after our own half-close is an error, not a hang.
        assert!(c.write_all(b"late").await.is_err());
    });
}

/// A listener whose accept is pending is dropped (its task aborted): the port is closed
/// (connects are refused) and the accept's task ends cancelled.
fn listener_dropped_while_accepting(workers: usize) {
    let rt = common::rt(workers);
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let t = spindle::spawn(async move {
            let _ = l.accept().await;
        });
        spindle::sleep(Duration::from_millis(20)).await;
        t.abort();
        assert!(t.await.unwrap_err().is_cancelled());
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}

/// Sockets cannot be created once the runtime has shut down; creating one from a thread that
/// entered a dropped runtime's handle fails with an error.
fn socket_after_shutdown(workers: usize) {
    let rt = common::rt(workers);
    let h = rt.handle().clone();
    drop(rt);
    let _g = h.enter();
    let r = futures::executor::block_on(TcpListener::bind("127.0.0.1:0"));
    assert!(r.is_err());
}

/// Outside a runtime, constructors panic with a message that says what to do.
#[test]
fn socket_outside_runtime_panics_clearly() {
    let r = std::panic::catch_unwind(|| {
        futures::executor::block_on(TcpListener::bind("127.0.0.1:0")).ok();
    });
    let msg = common::panic_message(&*r.unwrap_err()).unwrap();
    assert!(msg.contains("Handle::enter"), "{msg}");
}

rt_suite!(
    bind_port_in_use,
    connect_refused,
    peer_reset_mid_write,
    half_close,
    listener_dropped_while_accepting,
    socket_after_shutdown,
);
