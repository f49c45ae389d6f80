//! A session's output: the bytes of its frames gathered per frame and queued for the channel
//! (a client that stops reading only holds up its own frames), and the ratatui backend that
//! writes them with the size the client gave.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use russh::ChannelId;
use russh::server::Handle;
use tokio::sync::mpsc;

use crate::app::App;

use super::OUTPUT_LIMIT;

/// Bytes for a session's channel: gathered per frame, sent on flush.
pub(super) struct ChannelWriter {
    pub(super) buf: Vec<u8>,
    pub(super) tx: mpsc::UnboundedSender<Vec<u8>>,
    pub(super) queued: Arc<AtomicUsize>,
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.buf);
        self.queued.fetch_add(bytes.len(), Ordering::SeqCst);
        self.tx
            .send(bytes)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "session closed"))
    }
}

/// A crossterm backend writing to an SSH channel, with the size the client gave: it never
/// asks the server's own terminal anything.
pub struct SessionBackend {
    inner: crate::terminal::Directed<CrosstermBackend<ChannelWriter>>,
    size: Size,
    /// The session's output not sent yet, in bytes.
    queued: Arc<AtomicUsize>,
}

impl SessionBackend {
    /// A backend writing to `writer`, in the bidi `mode`, for a client of `size`.
    pub(super) fn new(writer: ChannelWriter, mode: crate::layout::BidiMode, size: Size) -> Self {
        let queued = Arc::clone(&writer.queued);
        Self {
            inner: crate::terminal::Directed::new(CrosstermBackend::new(writer), mode),
            size,
            queued,
        }
    }
}

impl crate::frontend::event_loop::Output for SessionBackend {
    fn follow(&mut self, app: &App) {
        self.inner.follow(app);
    }

    fn set_size(&mut self, width: u16, height: u16) {
        self.size = Size::new(width, height);
    }

    /// Frames wait while the client has [`OUTPUT_LIMIT`] bytes or more still to read.
    fn ready(&self) -> bool {
        self.queued.load(Ordering::SeqCst) < OUTPUT_LIMIT
    }

    fn write_extra(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        std::io::Write::write_all(self.inner.inner_mut(), bytes)?;
        Backend::flush(self)
    }

    /// Never asked: only a local front end opens addresses (see `App::set_local`).
    fn open(&mut self, _url: &str) -> Option<String> {
        Some("opening a browser is for a local terminal; y copies the address".to_owned())
    }
}

impl Backend for SessionBackend {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> std::io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> std::io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> std::io::Result<Position> {
        Ok(Position::ORIGIN)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> std::io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> std::io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> std::io::Result<Size> {
        Ok(self.size)
    }

    fn window_size(&mut self) -> std::io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size,
            pixels: Size::default(),
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Backend::flush(&mut self.inner)
    }

    fn scroll_region_up(&mut self, region: std::ops::Range<u16>, n: u16) -> std::io::Result<()> {
        self.inner.scroll_region_up(region, n)
    }

    fn scroll_region_down(&mut self, region: std::ops::Range<u16>, n: u16) -> std::io::Result<()> {
        self.inner.scroll_region_down(region, n)
    }
}

pub(super) type Writer = (
    tokio::task::JoinHandle<()>,
    mpsc::UnboundedSender<Vec<u8>>,
    Arc<AtomicUsize>,
);

/// The task that sends a session's frames: `queued` counts the bytes not sent yet; `sent` is
/// called when some went out (the session's mailbox hears it).
pub(super) fn spawn_writer(
    handle: Handle,
    channel: ChannelId,
    sent: impl Fn() + Send + 'static,
) -> Writer {
    let queued = Arc::new(AtomicUsize::new(0));
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let q = Arc::clone(&queued);
    let writer = tokio::spawn(async move {
        while let Some(bytes) = out_rx.recv().await {
            let len = bytes.len();
            let ok = handle.data(channel, bytes).await.is_ok();
            q.fetch_sub(len, Ordering::SeqCst);
            sent();
            if !ok {
                break;
            }
        }
    });
    (writer, out_tx, queued)
}

pub(super) fn send_raw(tx: &mpsc::UnboundedSender<Vec<u8>>, queued: &AtomicUsize, bytes: Vec<u8>) {
    queued.fetch_add(bytes.len(), Ordering::SeqCst);
    let _ = tx.send(bytes);
}
