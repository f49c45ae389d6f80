//! A small SSH client on russh, for what no terminal sends on demand (thousands of window
//! changes in a burst) and for many sessions from one process (the benchmark). It talks to
//! 127.0.0.1 only.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use russh::client::{self, Handle, Msg};
use russh::keys::PrivateKeyWithHashAlg;
use russh::{ChannelMsg, ChannelWriteHalf};
use tokio::sync::mpsc;

/// Takes the server's key on trust: the server is the one the test started.
pub struct Trust;

impl client::Handler for Trust {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// A reader session: a pty of the given size and the shell.
pub struct Session {
    /// The connection.
    pub handle: Handle<Trust>,
    writer: ChannelWriteHalf<Msg>,
    output: mpsc::UnboundedReceiver<Vec<u8>>,
    /// Every byte the server sent.
    pub raw: Vec<u8>,
}

impl Session {
    /// Logs in to `127.0.0.1:port` as `read` with the key at `key` and starts the reader.
    pub async fn open(port: u16, key: &Path, cols: u32, rows: u32) -> anyhow::Result<Self> {
        let config = Arc::new(client::Config {
            nodelay: true,
            ..Default::default()
        });
        let mut handle = client::connect(config, ("127.0.0.1", port), Trust).await?;
        let key = russh::keys::load_secret_key(key, None)?;
        let auth = handle
            .authenticate_publickey("read", PrivateKeyWithHashAlg::new(Arc::new(key), None))
            .await?;
        anyhow::ensure!(auth.success(), "the key was refused");
        let channel = handle.channel_open_session().await?;
        channel
            .request_pty(false, "xterm-256color", cols, rows, 0, 0, &[])
            .await?;
        channel.request_shell(false).await?;
        let (mut read, writer) = channel.split();
        let (tx, output) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(msg) = read.wait().await {
                match msg {
                    ChannelMsg::Data { data } if tx.send(data.to_vec()).is_err() => break,
                    ChannelMsg::Eof | ChannelMsg::Close => break,
                    _ => {}
                }
            }
        });
        Ok(Self {
            handle,
            writer,
            output,
            raw: Vec::new(),
        })
    }

    /// Types `bytes`.
    pub async fn send(&self, bytes: &[u8]) -> anyhow::Result<()> {
        self.writer.data_bytes(bytes.to_vec()).await?;
        Ok(())
    }

    /// Says the terminal has a new size.
    pub async fn window_change(
        &self,
        cols: u32,
        rows: u32,
        px: u32,
        py: u32,
    ) -> anyhow::Result<()> {
        self.writer.window_change(cols, rows, px, py).await?;
        Ok(())
    }

    /// The next bytes the server sends, if they come within `max`; `None` also when the
    /// session ended.
    pub async fn next(&mut self, max: Duration) -> Option<Vec<u8>> {
        let chunk = tokio::time::timeout(max, self.output.recv()).await.ok()??;
        self.raw.extend_from_slice(&chunk);
        Some(chunk)
    }

    /// Takes what has already come, without waiting; the bytes taken.
    pub fn drain_now(&mut self) -> usize {
        let mut n = 0;
        while let Ok(chunk) = self.output.try_recv() {
            n += chunk.len();
            self.raw.extend_from_slice(&chunk);
        }
        n
    }

    /// Forgets the bytes kept so far (a long run keeps no history).
    pub fn forget(&mut self) {
        self.raw.clear();
    }

    /// Reads until the server has been quiet for `quiet` (or `max` passed); the bytes read.
    pub async fn settle(&mut self, quiet: Duration, max: Duration) -> usize {
        let start = Instant::now();
        let mut n = 0;
        while start.elapsed() < max {
            match self.next(quiet).await {
                Some(chunk) => n += chunk.len(),
                None => break,
            }
        }
        n
    }

    /// Reads until the bytes so far contain `text`; false when `max` passed first.
    pub async fn wait_for(&mut self, text: &str, max: Duration) -> bool {
        let start = Instant::now();
        loop {
            if String::from_utf8_lossy(&self.raw).contains(text) {
                return true;
            }
            let left = max.saturating_sub(start.elapsed());
            if left.is_zero() || self.next(left).await.is_none() {
                return String::from_utf8_lossy(&self.raw).contains(text);
            }
        }
    }

    /// Types `bytes` and times the first byte of the answer.
    pub async fn key(&mut self, bytes: &[u8], max: Duration) -> Option<Duration> {
        let start = Instant::now();
        self.send(bytes).await.ok()?;
        self.next(max).await?;
        Some(start.elapsed())
    }
}
