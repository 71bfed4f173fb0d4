//! Unit tests of `panic` (a sibling file, so `panic.rs` holds only the code; `super` is `panic`).

use super::*;

struct Nasty;
impl Drop for Nasty {
    fn drop(&mut self) {
        panic!("payload drop");
    }
}

#[test]
fn contains_a_panic_whose_payload_panics_on_drop() {
    contain(|| std::panic::panic_any(Nasty));
    dispose(Box::new(Nasty));
    assert_eq!(catch(|| 3).unwrap(), 3);
}
