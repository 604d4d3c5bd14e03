//! A virtio console (virtio 1.2, 5.3 "Console Device") on a virtio-mmio
//! slot, legacy or modern: probing, initialisation (3.1.1), the MULTIPORT
//! control protocol (5.3.6.2), sending and receiving.  The same design as
//! the C kernel's kernel/virtio_console.c (docs/dbgchan.md), polled.
//!
//! Ports.  The channel is one of two ports:
//!   - port 1, a generic serial port (QEMU: `-device virtserialport,nr=1,
//!     name=org.osdbg.side`, what osdbg's host starts by default), reached
//!     through MULTIPORT's control queues; QEMU throttles it when the host
//!     does not read, so the transmit ring fills instead of bytes being lost;
//!   - port 0, the console port (QEMU: `-device virtconsole`, a profile's
//!     `"debugChannel": "virtconsole"`), the only one without MULTIPORT;
//!     QEMU drops what a full host socket does not take.
//! Port 1 carries the channel when the device announces it, else port 0.
//!
//! Queues (5.3.2): 0/1 receive/transmit for port 0, 2/3 the control
//! receive/transmit queues, 4/5 receive/transmit for port 1.  All receive
//! buffers stay posted; received buffers wait in the used ring until the
//! channel's user takes them (at most QUEUE_SIZE * BUF_SIZE bytes, then QEMU
//! stops reading the socket), so nothing the host sends early is lost.
use super::virtio_mmio::*;
use super::virtqueue::{QueueMem, VirtQueue, BUF_SIZE, QUEUE_SIZE, RING_ALIGN};

// Console feature bits (5.3.3): we accept MULTIPORT only.
const F_MULTIPORT: u32 = 1;
// 5.3.4: max_nr_ports follows cols and rows (u16 each) in the config space.
const CONFIG_MAX_NR_PORTS: usize = 4;

// 5.3.6.2: control messages, { id: u32 (port), event: u16, value: u16 }.
const CONTROL_BYTES: usize = 8;
const DEVICE_READY: u16 = 0;
const DEVICE_ADD: u16 = 1;
const DEVICE_REMOVE: u16 = 2;
const PORT_READY: u16 = 3;
const PORT_OPEN: u16 = 6;
const PORT_NAME: u16 = 7;

/// include/osdbg/dbgchan.h: DBGCHAN_SERIAL_PORT.
const SERIAL_PORT: usize = 1;
const NPORTS: usize = SERIAL_PORT + 1; // ports we drive: 0 (console) and the serial port
const CTRL_RXQ: usize = 2;
const CTRL_TXQ: usize = 3;
pub const NQUEUES: usize = 2 * NPORTS + 2;
fn rxq(port: usize) -> usize {
    if port == 0 {
        0
    } else {
        2 * port + 2
    }
}
fn txq(port: usize) -> usize {
    rxq(port) + 1
}
fn is_receive_queue(q: usize) -> bool {
    q % 2 == 0
}

/// Bound on polling a full control transmit ring, and a modern reset (2.4.1).
const POLL_LIMIT: usize = 1_000_000;
const NAME_MAX: usize = 32;

#[derive(Clone, Copy)]
struct Port {
    added: bool, // the device announced it (DEVICE_ADD)
    name: [u8; NAME_MAX],
    name_len: usize,
}

pub struct Console {
    mmio: Mmio,
    pub slot: usize,
    pub legacy: bool,
    multiport: bool,
    queues: [Option<VirtQueue>; NQUEUES],
    ports: [Port; NPORTS],
    reposted: [bool; NQUEUES], // receive queues posted to since the last notification
    /// Bytes of frames refused for lack of room.
    pub dropped: u64,
}

impl Console {
    /// Initialise the console in slot (its device id already checked);
    /// queue q lives in mem[q].  On failure the device is marked FAILED.
    /// Safety: mem is the statics VirtQueue::new asks for, and no other
    /// Console uses it any more.
    pub unsafe fn probe(slot: usize, mmio: Mmio, mem: *mut [QueueMem; NQUEUES]) -> Result<Console, &'static str> {
        let version = mmio.read(VERSION);
        if version != 1 && version != 2 {
            return Err("unknown virtio-mmio version");
        }
        let mut con = Console {
            mmio,
            slot,
            legacy: version == 1,
            multiport: false,
            queues: Default::default(),
            ports: [Port { added: false, name: [0; NAME_MAX], name_len: 0 }; NPORTS],
            reposted: [false; NQUEUES],
            dropped: 0,
        };
        let result = con.init(mem);
        if result.is_err() {
            mmio.set_status(STATUS_FAILED);
        }
        result.map(|_| con)
    }

    /// 3.1.1 "Driver Requirements: Device Initialization", with the legacy
    /// variations of 3.1.2 and 4.2.4.
    unsafe fn init(&mut self, mem: *mut [QueueMem; NQUEUES]) -> Result<(), &'static str> {
        let m = self.mmio;
        m.write(STATUS, 0); // 1. reset
        if !self.legacy && !(0..POLL_LIMIT).any(|_| m.read(STATUS) == 0) {
            return Err("reset did not complete");
        }
        m.set_status(STATUS_ACKNOWLEDGE); // 2.
        m.set_status(STATUS_DRIVER); // 3.

        // 4. Features (2.2): MULTIPORT if offered, no ring feature; a modern
        // device needs VERSION_1 (6), the legacy interface has no word 1.
        m.write(DEVICE_FEATURES_SEL, 0);
        let low = m.read(DEVICE_FEATURES);
        let mut high = 0;
        if !self.legacy {
            m.write(DEVICE_FEATURES_SEL, 1);
            high = m.read(DEVICE_FEATURES);
            if high & (1 << (F_VERSION_1 - 32)) == 0 {
                return Err("device does not offer VIRTIO_F_VERSION_1");
            }
        }
        let accepted_low = low & (1 << F_MULTIPORT);
        let accepted_high = high & (1 << (F_VERSION_1 - 32));
        m.write(DRIVER_FEATURES_SEL, 0);
        m.write(DRIVER_FEATURES, accepted_low);
        if !self.legacy {
            m.write(DRIVER_FEATURES_SEL, 1);
            m.write(DRIVER_FEATURES, accepted_high);
            m.set_status(STATUS_FEATURES_OK); // 5-6: and check the device kept it
            if m.read(STATUS) & STATUS_FEATURES_OK == 0 {
                return Err("device refused the features");
            }
        } else {
            // 4.2.4: a legacy device computes ring addresses from QueuePFN.
            m.write(GUEST_PAGE_SIZE, 4096);
        }
        self.multiport = accepted_low & (1 << F_MULTIPORT) != 0;

        // 7. Port 0's queues; with MULTIPORT the control queues and port
        // 1's if the device has that many ports (the config field is
        // little-endian, as RISC-V is, in both layouts).
        let mem = mem as *mut QueueMem;
        self.setup_queue(0, mem)?;
        self.setup_queue(1, mem)?;
        if self.multiport {
            let max_ports = m.read(CONFIG + CONFIG_MAX_NR_PORTS) as usize;
            self.setup_queue(CTRL_RXQ, mem)?;
            self.setup_queue(CTRL_TXQ, mem)?;
            for port in 1..NPORTS.min(max_ports) {
                self.setup_queue(rxq(port), mem)?;
                self.setup_queue(txq(port), mem)?;
            }
        }
        // 5.3.5: receive buffers before the device may need them.
        for q in (0..NQUEUES).filter(|&q| is_receive_queue(q)) {
            if let Some(vq) = &mut self.queues[q] {
                vq.post_all_receive();
            }
        }
        m.set_status(STATUS_DRIVER_OK); // 8.
        // Only now may the device be notified (3.1.1).
        for q in (0..NQUEUES).filter(|&q| is_receive_queue(q)) {
            self.notify(q);
        }
        if self.multiport {
            // 5.3.6.2: "the driver MUST send a VIRTIO_CONSOLE_DEVICE_READY";
            // the device then announces its ports.  QEMU answers within the
            // notification, so they are known before init returns; a device
            // that answers later is heard at the next poll.
            self.ctrl_send(0, DEVICE_READY, 1);
            let mut quiet = 0;
            while quiet < 10 {
                quiet = if self.ctrl_drain() { 0 } else { quiet + 1 };
            }
        }
        Ok(())
    }

    /// 4.2.3.2 (modern) and 4.2.4 (legacy): "Virtqueue Configuration".
    unsafe fn setup_queue(&mut self, q: usize, mem: *mut QueueMem) -> Result<(), &'static str> {
        let m = self.mmio;
        m.write(QUEUE_SEL, q as u32);
        let in_use = if self.legacy { m.read(QUEUE_PFN) } else { m.read(QUEUE_READY) };
        let max = m.read(QUEUE_NUM_MAX) as usize;
        if in_use != 0 || max == 0 {
            return Err("queue unavailable");
        }
        // The largest power of 2 within both limits (split rings are 2^n).
        let mut num = QUEUE_SIZE;
        while num > max {
            num /= 2;
        }
        let vq = VirtQueue::new(q as u16, num as u16, mem.add(q));
        m.write(QUEUE_NUM, num as u32);
        if self.legacy {
            m.write(QUEUE_ALIGN, RING_ALIGN as u32);
            m.write(QUEUE_PFN, (vq.desc_addr() >> 12) as u32);
        } else {
            let words = |lo: usize, hi: usize, a: u64| {
                m.write(lo, a as u32);
                m.write(hi, (a >> 32) as u32);
            };
            words(QUEUE_DESC_LOW, QUEUE_DESC_HIGH, vq.desc_addr());
            words(QUEUE_DRIVER_LOW, QUEUE_DRIVER_HIGH, vq.avail_addr());
            words(QUEUE_DEVICE_LOW, QUEUE_DEVICE_HIGH, vq.used_addr());
            m.write(QUEUE_READY, 1);
        }
        self.queues[q] = Some(vq);
        Ok(())
    }

    fn notify(&self, q: usize) {
        // 4.2.3.3: the queue index goes to QueueNotify.
        if let Some(vq) = &self.queues[q] {
            if vq.should_notify() {
                self.mmio.write(QUEUE_NOTIFY, vq.index() as u32);
            }
        }
    }

    /// The port that carries the channel.
    pub fn data_port(&self) -> usize {
        if self.multiport && self.ports[SERIAL_PORT].added {
            SERIAL_PORT
        } else {
            0
        }
    }
    /// The data port's name (PORT_NAME), empty if it has none.
    pub fn port_name(&self) -> &[u8] {
        let p = &self.ports[self.data_port()];
        &p.name[..p.name_len]
    }

    /// Return finished transmit descriptors of queue q to its free list.
    fn tx_reclaim(&mut self, q: usize) {
        if let Some(vq) = &mut self.queues[q] {
            while let Some((id, _)) = vq.pop_used() {
                vq.free(id);
            }
        }
    }

    // ---- control queues (MULTIPORT) ---------------------------------------

    fn ctrl_send(&mut self, port: u32, event: u16, value: u16) {
        let mut msg = [0u8; CONTROL_BYTES];
        msg[0..4].copy_from_slice(&port.to_le_bytes());
        msg[4..6].copy_from_slice(&event.to_le_bytes());
        msg[6..8].copy_from_slice(&value.to_le_bytes());
        let mut id = None;
        for _ in 0..POLL_LIMIT {
            self.tx_reclaim(CTRL_TXQ);
            id = self.queues[CTRL_TXQ].as_mut().and_then(|vq| vq.alloc());
            if id.is_some() {
                break;
            }
        }
        let (id, vq) = match (id, self.queues[CTRL_TXQ].as_mut()) {
            (Some(id), Some(vq)) => (id, vq),
            _ => return, // the device stopped taking control messages
        };
        vq.fill(id, &msg);
        vq.submit(id, CONTROL_BYTES, false);
        self.notify(CTRL_TXQ);
    }

    /// One message from the device (5.3.6.2 "Multiport Device Operation").
    fn ctrl_handle(&mut self, msg: &[u8]) {
        if msg.len() < CONTROL_BYTES {
            return;
        }
        let port = u32::from_le_bytes([msg[0], msg[1], msg[2], msg[3]]);
        let event = u16::from_le_bytes([msg[4], msg[5]]);
        let ours = (port as usize) < NPORTS && self.queues[rxq(port as usize)].is_some();
        match event {
            DEVICE_ADD => {
                // The driver "MUST send a VIRTIO_CONSOLE_PORT_READY": 1 for a
                // port we drive, 0 for one whose queues we have not set up.
                // Ours are opened at once: QEMU sends a port nothing before.
                if ours {
                    self.ports[port as usize].added = true;
                }
                self.ctrl_send(port, PORT_READY, ours as u16);
                if ours {
                    self.ctrl_send(port, PORT_OPEN, 1);
                }
            }
            DEVICE_REMOVE if ours => self.ports[port as usize].added = false,
            PORT_NAME if ours => {
                // QEMU sends the name with its terminating NUL.
                let name = &msg[CONTROL_BYTES..];
                let name = name.split(|&c| c == 0).next().unwrap_or(&[]);
                let n = name.len().min(NAME_MAX);
                let p = &mut self.ports[port as usize];
                p.name[..n].copy_from_slice(&name[..n]);
                p.name_len = n;
            }
            _ => {} // PORT_OPEN (the host end), CONSOLE_PORT, RESIZE: nothing for a byte pipe
        }
    }

    /// Handle every control message the device has sent; true if any.
    fn ctrl_drain(&mut self) -> bool {
        let mut any = false;
        let mut msg = [0u8; BUF_SIZE];
        while let Some(vq) = self.queues[CTRL_RXQ].as_mut() {
            let (id, len) = match vq.pop_used() {
                Some(used) => used,
                None => break,
            };
            vq.copy_out(id, &mut msg[..len]);
            vq.submit(id, BUF_SIZE, true);
            any = true;
            self.ctrl_handle(&msg[..len]);
        }
        if any {
            self.notify(CTRL_RXQ);
        }
        self.tx_reclaim(CTRL_TXQ);
        any
    }

    // ---- the channel ----------------------------------------------------------

    /// What the device did meanwhile: control messages, finished transmits.
    pub fn service(&mut self) {
        if self.multiport {
            self.ctrl_drain();
        }
        for port in 0..NPORTS {
            self.tx_reclaim(txq(port));
        }
    }

    /// Bytes send takes now.
    pub fn room(&mut self) -> usize {
        let q = txq(self.data_port());
        self.tx_reclaim(q);
        self.queues[q].as_ref().map_or(0, |vq| vq.nfree() * BUF_SIZE)
    }

    /// The whole frame into transmit buffers and one notification, or
    /// nothing (false) if it does not fit now.
    pub fn send(&mut self, frame: &[u8]) -> bool {
        if frame.len() > self.room() {
            self.dropped += frame.len() as u64;
            return false;
        }
        let q = txq(self.data_port());
        if let Some(vq) = self.queues[q].as_mut() {
            for chunk in frame.chunks(BUF_SIZE) {
                let id = vq.alloc().expect("room() counted this descriptor");
                vq.fill(id, chunk);
                vq.submit(id, chunk.len(), false);
            }
        }
        self.notify(q);
        true
    }

    /// The next received buffer of the channel's port, copied into out and
    /// posted again (5.3.6): its length, or None.  Bytes on the other port
    /// are dropped.  The caller notifies with `repost_done`.
    pub fn take_received(&mut self, out: &mut [u8; BUF_SIZE]) -> Option<usize> {
        let data = rxq(self.data_port());
        for port in 0..NPORTS {
            let q = rxq(port);
            let vq = match self.queues[q].as_mut() {
                Some(vq) => vq,
                None => continue,
            };
            while let Some((id, len)) = vq.pop_used() {
                if q == data {
                    vq.copy_out(id, &mut out[..len]);
                }
                vq.submit(id, BUF_SIZE, true);
                self.reposted[q] = true;
                if q == data {
                    return Some(len);
                }
            }
        }
        None
    }
    /// Tell the device about the receive buffers take_received posted again.
    pub fn repost_done(&mut self) {
        for q in 0..NQUEUES {
            if self.reposted[q] {
                self.reposted[q] = false;
                self.notify(q);
            }
        }
    }
}
