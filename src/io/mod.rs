//! The runtime's own I/O driver: an OS poller (mio) that idle workers wait on.
//!
//! - [`driver`]: the poller, its registrations, shutdown.
//! - [`scheduled`]: one socket's tick-stamped readiness and its reader/writer wakers.
//! - [`park`]: the driver in the workers' park and maintenance turn (the sleep protocol).
//! - [`registration`]: a socket bound to its runtime's driver (`PollEvented`).
//! - [`vt`]: a paused clock does not move past readiness the OS already has.

#[cfg(not(loom))]
pub(crate) mod driver;
// loom cannot see into the OS poller: a loom-visible stand-in with the same face.
#[cfg(loom)]
#[path = "driver_loom.rs"]
pub(crate) mod driver;
pub(crate) mod park;
pub(crate) mod registration;
pub(crate) mod scheduled;
pub(crate) mod vt;
