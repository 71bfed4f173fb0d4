//! `TcpListener`: accepts connections on the runtime's I/O driver.

use super::addr::each_addr;
use super::TcpStream;
use crate::io::registration::PollEvented;
use crate::io::scheduled::Direction;
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// A TCP socket server, listening for connections.
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async {
///     let l = spindle::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = l.local_addr().unwrap();
///     let c = spindle::spawn(async move { spindle::net::TcpStream::connect(addr).await });
///     let (s, peer) = l.accept().await.unwrap();
///     assert_eq!(s.peer_addr().unwrap(), peer);
///     c.await.unwrap().unwrap();
/// });
/// ```
pub struct TcpListener {
    io: PollEvented<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (trying each address it resolves to), with `SO_REUSEADDR` and a
    /// backlog of 1024. A port in use gives `ErrorKind::AddrInUse`.
    ///
    /// # Panics
    /// Outside a runtime (see [`net`](crate::net)).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let a = spindle::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let taken = a.local_addr().unwrap();
    ///     let err = spindle::net::TcpListener::bind(taken).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    /// });
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        each_addr(addr, |a| async move {
            let l = mio::net::TcpListener::bind(a)?;
            Ok(TcpListener {
                io: PollEvented::new(l)?,
            })
        })
        .await
    }

    /// Registers an already bound std listener (it is switched to non-blocking mode).
    ///
    /// # Panics
    /// Outside a runtime (see [`net`](crate::net)).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let _guard = rt.handle().enter();
    /// let l = spindle::net::TcpListener::from_std(std_l).unwrap();
    /// assert!(l.local_addr().unwrap().port() != 0);
    /// ```
    pub fn from_std(l: std::net::TcpListener) -> io::Result<TcpListener> {
        l.set_nonblocking(true)?;
        Ok(TcpListener {
            io: PollEvented::new(mio::net::TcpListener::from_std(l))?,
        })
    }

    /// Waits for the next connection. The accepted stream belongs to this listener's
    /// runtime (whatever thread polls the future).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = spindle::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = l.local_addr().unwrap();
    ///     std::thread::spawn(move || std::net::TcpStream::connect(addr).unwrap());
    ///     let (_s, peer) = l.accept().await.unwrap();
    ///     assert!(peer.ip().is_loopback());
    /// });
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (s, addr) = self.io.io(Direction::Read, |l| l.accept()).await?;
        Ok((TcpStream::from_mio(self.io.shared().clone(), s)?, addr))
    }

    /// The address this listener is bound to.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let l = spindle::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     assert!(l.local_addr().unwrap().ip().is_loopback());
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
