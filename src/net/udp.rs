//! `UdpSocket`: datagrams on the runtime's I/O driver.

use super::addr::each_addr;
use crate::io::registration::PollEvented;
use crate::io::scheduled::Direction;
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// A UDP socket. `send_to` and `recv_from` can run in two tasks at once (they wait on
/// separate readiness slots).
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async {
///     let a = spindle::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let b = spindle::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0u8; 16];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
/// });
/// ```
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (trying each address it resolves to).
    ///
    /// # Panics
    /// Outside a runtime (see [`net`](crate::net)).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let s = spindle::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     assert!(s.local_addr().unwrap().port() != 0);
    /// });
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        each_addr(addr, |a| async move {
            Ok(UdpSocket {
                io: PollEvented::new(mio::net::UdpSocket::bind(a)?)?,
            })
        })
        .await
    }

    /// Sends one datagram to `target`; returns the bytes sent.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let s = spindle::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let me = s.local_addr().unwrap();
    ///     assert_eq!(s.send_to(b"x", me).await.unwrap(), 1);
    /// });
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .io(Direction::Write, |s| s.send_to(buf, target))
            .await
    }

    /// Receives one datagram into `buf` (a longer one is truncated); returns its length and
    /// sender.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let s = spindle::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let me = s.local_addr().unwrap();
    ///     s.send_to(b"hi", me).await.unwrap();
    ///     let mut buf = [0u8; 8];
    ///     assert_eq!(s.recv_from(&mut buf).await.unwrap(), (2, me));
    /// });
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(Direction::Read, |s| s.recv_from(buf)).await
    }

    /// The address this socket is bound to.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let s = spindle::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     assert!(s.local_addr().unwrap().ip().is_loopback());
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
