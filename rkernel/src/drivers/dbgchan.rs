//! The debug channel (docs/dbgchan.md): the one virtio console the kernel
//! drives, behind a lock, and the API the side-stub uses (from C, through
//! ktrace's port, later).  Polled: see drivers/mod.rs.
//!
//! The lock is never held while a caller's code runs (poll copies each
//! received buffer out first), so a receiver may call send (the echo does).
use super::virtio_console::{Console, NQUEUES};
use super::virtio_mmio::{Mmio, DEVICE_ID, ID_CONSOLE, MAGIC, MAGIC_VALUE, MMIO_SLOTS};
use super::virtqueue::{QueueMem, BUF_SIZE};
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Mutex;

static CHANNEL: Mutex<Option<Console>> = Mutex::new(None);
/// Queue memory, in .bss: identity mapped, so its addresses are the
/// guest-physical ones the device needs.  Only `init` takes it, once.
static mut QUEUE_MEM: [QueueMem; NQUEUES] = [QueueMem::ZERO; NQUEUES];
static INITIALISED: AtomicBool = AtomicBool::new(false);
static ECHO: AtomicBool = AtomicBool::new(false);

/// Probe the virtio-mmio slots for a console and make the first that
/// initialises the channel; prints the boot line docs/dbgchan.md shows.
/// Needs the kernel's address space (the MMIO region mapped).  Once.
pub fn init() {
    assert!(!INITIALISED.swap(true, Ordering::SeqCst), "dbgchan::init twice");
    for slot in 0..MMIO_SLOTS {
        let mmio = Mmio::slot(slot).unwrap();
        if mmio.read(MAGIC_VALUE) != MAGIC || mmio.read(DEVICE_ID) != ID_CONSOLE {
            continue;
        }
        // Safety: QUEUE_MEM is taken here only, guarded by INITIALISED; a
        // slot that failed gave it up (its device is marked FAILED).
        match unsafe { Console::probe(slot, mmio, core::ptr::addr_of_mut!(QUEUE_MEM)) } {
            Ok(con) => {
                let port = con.data_port();
                let name = core::str::from_utf8(con.port_name()).unwrap_or("?");
                println!(
                    "[kernel] debug channel: virtio console at slot {} ({}), port {}{}{}{}",
                    slot,
                    if con.legacy { "legacy" } else { "modern" },
                    port,
                    if port != 0 { " (serial port, flow-controlled)" } else { " (console)" },
                    if name.is_empty() { "" } else { " " },
                    name
                );
                *CHANNEL.lock() = Some(con);
                return;
            }
            Err(why) => println!("[kernel] debug channel: slot {}: {}", slot, why),
        }
    }
    println!("[kernel] debug channel: none");
}

/// Whether a device was found (without one, every call below is a no-op).
#[allow(dead_code)] // for the side-stub, through the port (issue 19)
pub fn available() -> bool {
    CHANNEL.lock().is_some()
}

/// One whole frame, or false (and nothing sent, the bytes counted in
/// dropped) if the transmit ring has no room for it now.
pub fn send(frame: &[u8]) -> bool {
    CHANNEL.lock().as_mut().map_or(false, |c| c.send(frame))
}

/// Bytes `send` takes now (0 without a device).  On the serial port this
/// stays 0 while the host does not read.
#[allow(dead_code)] // for the side-stub, through the port (issue 19)
pub fn room() -> usize {
    CHANNEL.lock().as_mut().map_or(0, |c| c.room())
}

/// Bytes of frames `send` refused.
#[allow(dead_code)] // for the side-stub's statistics (issue 19)
pub fn dropped() -> u64 {
    CHANNEL.lock().as_ref().map_or(0, |c| c.dropped)
}

/// Hand every byte received so far to f, a buffer at a time (at most BUF_SIZE
/// bytes each, in order), and give the buffers back to the device.  Until
/// someone polls, received bytes wait in the device's ring.
pub fn poll(mut f: impl FnMut(&[u8])) {
    let mut buf = [0u8; BUF_SIZE];
    // At most one ring's worth per call, so a host that keeps sending
    // cannot keep the kernel here.
    for _ in 0..super::virtqueue::QUEUE_SIZE {
        let n = match CHANNEL.lock().as_mut().and_then(|c| c.take_received(&mut buf)) {
            Some(n) => n,
            None => break,
        };
        f(&buf[..n]);
    }
    if let Some(c) = CHANNEL.lock().as_mut() {
        c.repost_done();
    }
}

/// Control messages and finished transmits; the echo when it is on.
pub fn service() {
    if let Some(c) = CHANNEL.lock().as_mut() {
        c.service();
    } else {
        return;
    }
    if ECHO.load(Ordering::Relaxed) {
        poll(echo);
    }
}

/// The boot argument `dbgchan=echo`: every received byte goes back (the
/// channel's self-test, tests/kernel/rdbgchan.test.mjs).
pub fn set_echo(on: bool) {
    ECHO.store(on, Ordering::Relaxed);
}

fn echo(bytes: &[u8]) {
    // The host may be slow to take what we send: wait a little for room,
    // then drop (send counts it).
    for _ in 0..10_000 {
        if room() >= bytes.len() {
            break;
        }
    }
    send(bytes);
}
