//! `futures::task::Spawn` for `Handle`, so runtime-agnostic crates can spawn on spindle.

use super::handle::Handle;
use futures::task::{FutureObj, Spawn, SpawnError};

/// Spawns the future as a detached task; fails with [`SpawnError::shutdown`] once the
/// runtime has shut down.
///
/// ```
/// use futures::task::SpawnExt;
/// let rt = spindle::Runtime::new().unwrap();
/// let (tx, rx) = std::sync::mpsc::channel();
/// SpawnExt::spawn(rt.handle(), async move { tx.send(7).unwrap() }).unwrap();
/// assert_eq!(rx.recv().unwrap(), 7);
/// ```
impl Spawn for Handle {
    fn spawn_obj(&self, future: FutureObj<'static, ()>) -> Result<(), SpawnError> {
        if self.shared.is_closed() {
            return Err(SpawnError::shutdown());
        }
        drop(Handle::spawn(self, future));
        Ok(())
    }

    fn status(&self) -> Result<(), SpawnError> {
        if self.shared.is_closed() {
            Err(SpawnError::shutdown())
        } else {
            Ok(())
        }
    }
}
