//! Sockets on the runtime's own I/O driver: readiness comes from the OS poller that idle
//! workers wait on, so an event wakes its task on the worker that polled it.
//!
//! Constructors register with the current runtime (a worker, `block_on`, or a thread inside
//! [`Handle::enter`](crate::Handle::enter)) and panic with a clear message outside one. Once
//! registered, a socket can be used from any executor. After its runtime has shut down,
//! every operation that would wait fails with an error (it never hangs).
//!
//! ```
//! use futures::{AsyncReadExt, AsyncWriteExt};
//! use spindle::net::{TcpListener, TcpStream};
//!
//! let rt = spindle::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     let server = spindle::spawn(async move {
//!         let (mut s, _) = listener.accept().await.unwrap();
//!         let mut buf = [0u8; 5];
//!         s.read_exact(&mut buf).await.unwrap();
//!         s.write_all(&buf).await.unwrap();
//!     });
//!     let mut c = TcpStream::connect(addr).await.unwrap();
//!     c.write_all(b"hello").await.unwrap();
//!     let mut back = [0u8; 5];
//!     c.read_exact(&mut back).await.unwrap();
//!     assert_eq!(&back, b"hello");
//!     server.await.unwrap();
//! });
//! ```

mod addr;
mod tcp_listener;
mod tcp_stream;
mod udp;

pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
