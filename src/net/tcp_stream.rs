//! `TcpStream`: a connection on the runtime's I/O driver, as futures-io `AsyncRead` +
//! `AsyncWrite` (also on `&TcpStream`, so a reader task and a writer task can share one
//! stream through an `Arc`: they wait on separate readiness slots).

use super::addr::each_addr;
use crate::io::registration::PollEvented;
use crate::io::scheduled::Direction;
use crate::loom::sync::Arc;
use crate::scheduler::Shared;
use futures::io::{AsyncRead, AsyncWrite, IoSlice, IoSliceMut};
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A TCP connection.
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async {
///     let l = spindle::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = l.local_addr().unwrap();
///     spindle::spawn(async move {
///         let (mut s, _) = l.accept().await.unwrap();
///         s.write_all(b"hi").await.unwrap();
///     });
///     let mut c = spindle::net::TcpStream::connect(addr).await.unwrap();
///     let mut got = String::new();
///     c.read_to_string(&mut got).await.unwrap();
///     assert_eq!(got, "hi");
/// });
/// ```
pub struct TcpStream {
    io: PollEvented<mio::net::TcpStream>,
}

impl TcpStream {
    pub(crate) fn from_mio(shared: Arc<Shared>, s: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: PollEvented::with_shared(shared, s)?,
        })
    }

    /// Connects to `addr` (trying each address it resolves to). A closed port gives
    /// `ErrorKind::ConnectionRefused`.
    ///
    /// # Panics
    /// Outside a runtime (see [`net`](crate::net)).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     // a port nobody listens on: bind one, then close it
    ///     let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    ///     let err = spindle::net::TcpStream::connect(addr).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// });
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        each_addr(addr, |a| async move {
            let s = TcpStream {
                io: PollEvented::new(mio::net::TcpStream::connect(a)?)?,
            };
            // Writable means the handshake ended; `take_error` says how.
            s.io.io(Direction::Write, |s| {
                if let Some(e) = s.take_error()? {
                    return Err(e);
                }
                match s.peer_addr() {
                    Ok(_) => Ok(()),
                    // Not connected yet (a spurious or early readiness): wait again.
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(e) => Err(e),
                }
            })
            .await?;
            Ok(s)
        })
        .await
    }

    /// Registers an already connected std stream (it is switched to non-blocking mode).
    ///
    /// # Panics
    /// Outside a runtime (see [`net`](crate::net)).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let std_s = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    /// let _guard = rt.handle().enter();
    /// let s = spindle::net::TcpStream::from_std(std_s).unwrap();
    /// assert_eq!(s.peer_addr().unwrap(), l.local_addr().unwrap());
    /// ```
    pub fn from_std(s: std::net::TcpStream) -> io::Result<TcpStream> {
        s.set_nonblocking(true)?;
        Ok(TcpStream {
            io: PollEvented::new(mio::net::TcpStream::from_std(s))?,
        })
    }

    /// The local address of this connection.
    ///
    /// ```
    /// # let rt = spindle::Runtime::new().unwrap();
    /// # let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let _g = rt.handle().enter();
    /// let s = spindle::net::TcpStream::from_std(std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap()).unwrap();
    /// assert!(s.local_addr().unwrap().ip().is_loopback());
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The remote address of this connection.
    ///
    /// ```
    /// # let rt = spindle::Runtime::new().unwrap();
    /// # let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let _g = rt.handle().enter();
    /// let s = spindle::net::TcpStream::from_std(std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap()).unwrap();
    /// assert_eq!(s.peer_addr().unwrap(), l.local_addr().unwrap());
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `TCP_NODELAY` (no Nagle delay for small writes).
    ///
    /// ```
    /// # let rt = spindle::Runtime::new().unwrap();
    /// # let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let _g = rt.handle().enter();
    /// let s = spindle::net::TcpStream::from_std(std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap()).unwrap();
    /// s.set_nodelay(true).unwrap();
    /// ```
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(on)
    }

    /// Shuts down the read half, the write half (the peer reads EOF) or both.
    ///
    /// ```
    /// # let rt = spindle::Runtime::new().unwrap();
    /// # let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let _g = rt.handle().enter();
    /// let s = spindle::net::TcpStream::from_std(std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap()).unwrap();
    /// s.shutdown(std::net::Shutdown::Write).unwrap();
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.io
            .poll_transfer(cx, Direction::Read, len, |mut s| s.read(buf))
    }

    fn poll_read_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Read, |mut s| s.read_vectored(bufs))
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_transfer(cx, Direction::Write, buf.len(), |mut s| s.write(buf))
    }

    fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Write, |mut s| s.write_vectored(bufs))
    }

    fn close_write(&self) -> Poll<io::Result<()>> {
        match self.io.get_ref().shutdown(Shutdown::Write) {
            // Already reset or closed by the peer: nothing is left to close.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
            r => Poll::Ready(r),
        }
    }
}

macro_rules! impl_async_io {
    ($ty:ty) => {
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_read_priv(cx, buf)
            }

            fn poll_read_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_read_vectored_priv(cx, bufs)
            }
        }

        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_vectored_priv(cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                // Writes go straight to the kernel: nothing is buffered here.
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.close_write()
            }
        }
    };
}

impl_async_io!(TcpStream);
impl_async_io!(&TcpStream);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}
