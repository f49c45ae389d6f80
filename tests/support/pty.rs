//! A program under a real pseudo-terminal, its output fed to a VT emulator (vt100), for the
//! end-to-end tests and the bytes-per-key measurement.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// A running program and the screen it drew.
pub struct Term {
    master: Option<Box<dyn MasterPty + Send>>,
    writer: Option<Box<dyn Write + Send>>,
    child: Box<dyn Child + Send + Sync>,
    rx: Receiver<Vec<u8>>,
    /// The emulated screen.
    pub parser: vt100::Parser,
    /// Every byte the program wrote.
    pub raw: Vec<u8>,
    paused: Arc<AtomicBool>,
    closing: Arc<AtomicBool>,
}

impl Term {
    /// Starts `cmd` on a `cols`×`rows` terminal.
    pub fn spawn(cmd: CommandBuilder, cols: u16, rows: u16) -> Self {
        Self::spawn_sized(cmd, (cols, rows), (cols, rows))
    }

    /// Starts `cmd` on a pty that says it is `pty` (columns, rows), emulated at `screen`
    /// (a huge pty need not cost the test a huge emulator).
    pub fn spawn_sized(cmd: CommandBuilder, pty: (u16, u16), screen: (u16, u16)) -> Self {
        let (cols, rows) = pty;
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let child = pair.slave.spawn_command(cmd).expect("start the program");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let (tx, rx) = channel();
        let paused = Arc::new(AtomicBool::new(false));
        let pause = Arc::clone(&paused);
        let closing = Arc::new(AtomicBool::new(false));
        let close = Arc::clone(&closing);
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            loop {
                while pause.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                if close.load(Ordering::SeqCst) {
                    // Let go of the last handle on the terminal.
                    break;
                }
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Self {
            master: Some(pair.master),
            writer: Some(writer),
            child,
            rx,
            parser: vt100::Parser::new(nonzero(screen.1), nonzero(screen.0), 0),
            raw: Vec::new(),
            paused,
            closing,
        }
    }

    /// Stops (or resumes) reading what the program writes: a client that stalls.
    pub fn pause_reading(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
    }

    /// Types `bytes`.
    pub fn send(&mut self, bytes: &[u8]) {
        let w = self.writer.as_mut().expect("the terminal is open");
        w.write_all(bytes).expect("write to the pty");
        w.flush().expect("flush the pty");
    }

    fn take(&mut self, chunk: &[u8]) {
        self.parser.process(chunk);
        self.raw.extend_from_slice(chunk);
    }

    /// Reads until the program has been quiet for `quiet` (or `max` passed); returns the
    /// number of bytes read.
    pub fn settle(&mut self, quiet: Duration, max: Duration) -> usize {
        let start = Instant::now();
        let mut n = 0;
        while start.elapsed() < max {
            match self.rx.recv_timeout(quiet) {
                Ok(chunk) => {
                    n += chunk.len();
                    self.take(&chunk);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        n
    }

    /// Types `bytes` and reads the answer until the program is quiet for `quiet`: the bytes it
    /// wrote and the time to its first byte.
    pub fn key(&mut self, bytes: &[u8], quiet: Duration) -> (usize, Option<Duration>) {
        let start = Instant::now();
        self.send(bytes);
        let first = match self.rx.recv_timeout(Duration::from_secs(5)) {
            Ok(chunk) => {
                let at = start.elapsed();
                let n = chunk.len();
                self.take(&chunk);
                (n, Some(at))
            }
            Err(_) => return (0, None),
        };
        (
            first.0 + self.settle(quiet, Duration::from_secs(5)),
            first.1,
        )
    }

    /// Reads until the screen shows `text`; false when `max` passed first.
    pub fn wait_for(&mut self, text: &str, max: Duration) -> bool {
        self.wait_until(|screen| screen.contains(text), max)
    }

    /// Reads until the screen no longer shows `text`; false when `max` passed first.
    pub fn wait_while(&mut self, text: &str, max: Duration) -> bool {
        self.wait_until(|screen| !screen.contains(text), max)
    }

    /// Reads until `done` holds of the screen's text; false when `max` passed first.
    fn wait_until(&mut self, done: impl Fn(&str) -> bool, max: Duration) -> bool {
        let start = Instant::now();
        loop {
            if done(&self.screen()) {
                return true;
            }
            let left = max.saturating_sub(start.elapsed());
            if left.is_zero() {
                return false;
            }
            match self.rx.recv_timeout(left.min(Duration::from_millis(50))) {
                Ok(chunk) => self.take(&chunk),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return done(&self.screen()),
            }
        }
    }

    /// Every byte the program wrote so far, as text.
    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// The screen's text, row by row.
    pub fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    /// Resizes the terminal (the program gets SIGWINCH).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.master
            .as_ref()
            .expect("the terminal is open")
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the pty");
        self.parser.set_size(nonzero(rows), nonzero(cols));
    }

    /// Sets the pty's window size, pixels too, and leaves the emulated screen as it is: a
    /// terminal that claims a size it does not have.
    pub fn set_window(&mut self, size: PtySize) {
        self.master
            .as_ref()
            .expect("the terminal is open")
            .resize(size)
            .expect("resize the pty");
    }

    /// Waits for the program to end, reading what it still writes; its exit code.
    pub fn wait_exit(&mut self, max: Duration) -> Option<u32> {
        let start = Instant::now();
        while start.elapsed() < max {
            self.settle(Duration::from_millis(20), Duration::from_millis(100));
            if let Ok(Some(status)) = self.child.try_wait() {
                self.settle(Duration::from_millis(50), Duration::from_millis(500));
                return Some(status.exit_code());
            }
        }
        let _ = self.child.kill();
        None
    }

    /// Closes the terminal under the program, as closing its window does.
    /// The reader thread holds a handle too: it lets go after the answer to one last key
    /// `wake` (which the program must answer with output).
    pub fn hang_up(&mut self, wake: &[u8]) {
        self.closing.store(true, Ordering::SeqCst);
        self.send(wake);
        self.writer = None;
        self.master = None;
    }

    /// Whether the program has ended, without waiting.
    pub fn exited(&mut self) -> Option<u32> {
        self.child.try_wait().ok().flatten().map(|s| s.exit_code())
    }

    /// The program's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }
}

fn nonzero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).unwrap_or(std::num::NonZeroU16::MIN)
}
