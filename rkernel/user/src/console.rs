//! print!/println! and getchar on the console (fds 1 and 0).  A print is
//! formatted into a buffer and written with one system call (per 256
//! bytes), so that the lines of processes printing at once do not
//! interleave piece by piece.
use core::fmt::{self, Write};

struct Buffered {
    buf: [u8; 256],
    len: usize,
}

impl Buffered {
    fn flush(&mut self) {
        if self.len > 0 {
            crate::write(1, &self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl Write for Buffered {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

pub fn print(args: fmt::Arguments) {
    let mut out = Buffered { buf: [0; 256], len: 0 };
    out.write_fmt(args).unwrap();
    out.flush();
}

pub fn getchar() -> u8 {
    let mut c = [0u8; 1];
    crate::read(0, &mut c);
    c[0]
}

#[macro_export]
macro_rules! print {
    ($fmt: literal $(, $($arg: tt)+)?) => {
        $crate::console::print(format_args!($fmt $(, $($arg)+)?))
    }
}

#[macro_export]
macro_rules! println {
    ($fmt: literal $(, $($arg: tt)+)?) => {
        $crate::console::print(format_args!(concat!($fmt, "\n") $(, $($arg)+)?))
    }
}
