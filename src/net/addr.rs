//! Resolving `ToSocketAddrs` and trying each address in turn.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Calls `f` on each address `addr` resolves to until one succeeds; the last error otherwise.
pub(crate) async fn each_addr<T, F, Fut>(addr: impl ToSocketAddrs, mut f: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for a in addr.to_socket_addrs()? {
        match f(a).await {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}
