//! hyper 1.x on spindle (cargo feature `hyper`): its runtime traits, implemented on spindle's
//! timers, tasks and sockets.
//!
//! - [`Timer`]: `hyper::rt::Timer`. `now()` is [`Handle::time`]; `reset` re-arms the existing
//!   [`Sleep`](crate::Sleep) in place (moving a deadline later is one CAS on its entry, from
//!   any worker), which is what hyper does to its header-read timer on every request.
//! - [`Executor`]: `hyper::rt::Executor`, spawning on a [`Handle`].
//! - [`Io`]: `hyper::rt::Read + Write` over any futures-io `AsyncRead + AsyncWrite`
//!   (a [`TcpStream`](crate::net::TcpStream), or another executor's socket).
//!
//! ```
//! use http_body_util::Full;
//! use hyper::{body::Bytes, server::conn::http1, service::service_fn, Response};
//! use spindle::hyper::{Io, Timer};
//! use std::time::Duration;
//!
//! let rt = spindle::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let l = spindle::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = l.local_addr().unwrap();
//!     spindle::spawn(async move {
//!         let (s, _) = l.accept().await.unwrap();
//!         let svc = service_fn(|_req| async {
//!             Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("hi"))))
//!         });
//!         http1::Builder::new()
//!             .timer(Timer::new(spindle::Handle::current()))
//!             .header_read_timeout(Duration::from_secs(5))
//!             .serve_connection(Io::new(s), svc)
//!             .await
//!             .unwrap();
//!     });
//!     // a bare HTTP/1.1 client
//!     use futures::{AsyncReadExt, AsyncWriteExt};
//!     let mut c = spindle::net::TcpStream::connect(addr).await.unwrap();
//!     c.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
//!     let mut resp = String::new();
//!     c.read_to_string(&mut resp).await.unwrap();
//!     assert!(resp.starts_with("HTTP/1.1 200 OK") && resp.ends_with("hi"));
//! });
//! ```

use crate::runtime::handle::Handle;
use ::hyper::rt;
use futures::io::{AsyncRead, AsyncWrite};
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Bounds of the adaptive read size (see [`Io`]'s `poll_read`).
const MIN_READ: usize = 512;
const MAX_READ: usize = 64 * 1024;

/// hyper's timer on spindle's wheels.
///
/// ```
/// use hyper::rt::Timer as _;
/// let rt = spindle::Runtime::new().unwrap();
/// let t = spindle::hyper::Timer::new(rt.handle().clone());
/// assert!(t.now() <= rt.handle().time() + std::time::Duration::from_millis(1));
/// rt.block_on(t.sleep(std::time::Duration::from_millis(1)));
/// ```
#[derive(Clone)]
pub struct Timer {
    handle: Handle,
}

impl Timer {
    /// A timer arming on `handle`'s runtime.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let _t = spindle::hyper::Timer::new(rt.handle().clone());
    /// ```
    pub fn new(handle: Handle) -> Timer {
        Timer { handle }
    }
}

impl rt::Sleep for crate::Sleep {}

impl rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn rt::Sleep>> {
        Box::pin(self.handle.sleep(duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn rt::Sleep>> {
        Box::pin(self.handle.sleep_until(deadline))
    }

    fn now(&self) -> Instant {
        self.handle.time()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<crate::Sleep>() {
            Some(ours) => ours.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer").finish_non_exhaustive()
    }
}

/// hyper's executor: spawns on a spindle runtime (the task is detached).
///
/// ```
/// use hyper::rt::Executor as _;
/// let rt = spindle::Runtime::new().unwrap();
/// let (tx, rx) = std::sync::mpsc::channel();
/// spindle::hyper::Executor::new(rt.handle().clone()).execute(async move { tx.send(1).unwrap() });
/// assert_eq!(rx.recv().unwrap(), 1);
/// ```
#[derive(Clone)]
pub struct Executor {
    handle: Handle,
}

impl Executor {
    /// An executor spawning on `handle`'s runtime.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let _e = spindle::hyper::Executor::new(rt.handle().clone());
    /// ```
    pub fn new(handle: Handle) -> Executor {
        Executor { handle }
    }
}

impl<F> rt::Executor<F> for Executor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        drop(self.handle.spawn(fut));
    }
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor").finish_non_exhaustive()
    }
}

/// A futures-io stream as hyper's `Read + Write`.
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let _g = rt.handle().enter();
/// let s = spindle::net::TcpStream::from_std(std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap()).unwrap();
/// let io = spindle::hyper::Io::new(s);
/// let _s: spindle::net::TcpStream = io.into_inner();
/// ```
#[derive(Debug)]
pub struct Io<T> {
    inner: T,
    /// How many bytes the next read asks for (adaptive, `MIN_READ..=MAX_READ`).
    chunk: usize,
}

impl<T> Io<T> {
    /// Wraps `inner`.
    ///
    /// ```
    /// let io = spindle::hyper::Io::new(futures::io::Cursor::new(vec![1u8]));
    /// # drop(io);
    /// ```
    pub fn new(inner: T) -> Io<T> {
        Io {
            inner,
            chunk: MIN_READ * 2,
        }
    }

    /// The wrapped stream.
    ///
    /// ```
    /// let io = spindle::hyper::Io::new(futures::io::Cursor::new(vec![1u8]));
    /// assert_eq!(io.into_inner().into_inner(), vec![1u8]);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> rt::Read for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // futures-io reads into initialized memory, and hyper's buffer is not: zero the part
        // we read into. Its size adapts like hyper's own read strategy (double after a full
        // read, halve after one under a quarter), so a small request costs a small memset
        // instead of one of hyper's whole (up to hundreds of KiB) buffer.
        let this = self.get_mut();
        let want = buf.remaining().min(this.chunk);
        let dst = buf.initialize_unfilled_to(want);
        match Pin::new(&mut this.inner).poll_read(cx, dst) {
            Poll::Ready(Ok(n)) => {
                if n == want && want == this.chunk {
                    this.chunk = (this.chunk * 2).min(MAX_READ);
                } else if n < this.chunk / 4 {
                    this.chunk = (this.chunk / 2).max(MIN_READ);
                }
                // SAFETY: `poll_read` wrote `n` bytes into `dst`, which is the start of the
                // unfilled part and was initialized above.
                unsafe { buf.advance(n) };
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> rt::Write for Io<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}
