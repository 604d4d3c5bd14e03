//! rCore's UPSafeCell: a RefCell that may be a static, because this kernel
//! runs on one hart and never touches it from an interrupt handler.  A
//! second borrow panics, as RefCell's does.
use core::cell::{RefCell, RefMut};

pub struct UPSafeCell<T> {
    inner: RefCell<T>,
}

unsafe impl<T> Sync for UPSafeCell<T> {}

impl<T> UPSafeCell<T> {
    /// Safety: only on one hart, never from interrupt context.
    pub const unsafe fn new(value: T) -> Self {
        Self { inner: RefCell::new(value) }
    }
    pub fn exclusive_access(&self) -> RefMut<'_, T> {
        self.inner.borrow_mut()
    }
    /// None instead of a panic when it is borrowed already.
    pub fn try_exclusive_access(&self) -> Option<RefMut<'_, T>> {
        self.inner.try_borrow_mut().ok()
    }
}
