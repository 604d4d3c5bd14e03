//! Synchronisation for one hart.
mod up;

pub use up::UPSafeCell;
