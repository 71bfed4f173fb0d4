//! Internals exposed to the `loom-tests` crate. Compiled only under `cfg(loom)`; not part of
//! the public API (`#[doc(hidden)]`). Each item wraps the real code the runtime uses.
#![allow(missing_docs, missing_debug_implementations, unreachable_pub)]
