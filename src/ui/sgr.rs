//! Colour sequences rewritten for terminals of 16 colours.

/// Writes a terminal stream, sending the 16 ANSI colours as SGR 30–37/90–97 (and 40–47/
/// 100–107) instead of the `38;5;N` (`48;5;N`) crossterm writes for them, which terminals
/// without the 256-colour palette (`TERM=xterm`, `linux`, `screen`) may not understand.
/// Everything else passes unchanged; a sequence split across writes is held until its end.
pub struct SgrWriter<W: std::io::Write> {
    inner: W,
    /// Whether to rewrite (off: a plain pass-through).
    rewrite: bool,
    /// An escape sequence begun and not ended yet.
    pending: Vec<u8>,
}

/// The longest escape sequence held back: past it the bytes go out as they are.
const MAX_PENDING: usize = 64;

impl<W: std::io::Write> SgrWriter<W> {
    /// A writer on `inner`, rewriting the colours when `rewrite` is true.
    pub fn new(inner: W, rewrite: bool) -> Self {
        Self {
            inner,
            rewrite,
            pending: Vec::new(),
        }
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Ends the pending sequence (if it is complete, rewritten) into `out`.
    fn finish(pending: &[u8], out: &mut Vec<u8>) {
        let rewritten = pending
            .strip_prefix(b"\x1b[")
            .and_then(|p| p.strip_suffix(b"m"))
            .and_then(|p| std::str::from_utf8(p).ok())
            .and_then(rewrite_sgr);
        match rewritten {
            Some(params) => {
                out.extend_from_slice(b"\x1b[");
                out.extend_from_slice(params.as_bytes());
                out.push(b'm');
            }
            None => out.extend_from_slice(pending),
        }
    }
}

/// The parameters of an SGR with each `38;5;N`/`48;5;N` of N below 16 made the 16-colour
/// code; none when there is nothing to change.
pub(super) fn rewrite_sgr(params: &str) -> Option<String> {
    let parts: Vec<&str> = params.split(';').collect();
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    let mut changed = false;
    let mut i = 0;
    while i < parts.len() {
        let p = parts[i];
        let n = parts.get(i + 2).and_then(|n| n.parse::<u8>().ok());
        if (p == "38" || p == "48") && parts.get(i + 1) == Some(&"5") && n.is_some_and(|n| n < 16) {
            let n = n.unwrap_or(0);
            let base = match (p, n < 8) {
                ("38", true) => 30,
                ("38", false) => 90 - 8,
                (_, true) => 40,
                (_, false) => 100 - 8,
            };
            out.push((base + u16::from(n)).to_string());
            changed = true;
            i += 3;
        } else if (p == "38" || p == "48" || p == "58") && parts.get(i + 1) == Some(&"2") {
            // An RGB colour: its three values pass as they are.
            out.extend(
                parts[i..(i + 5).min(parts.len())]
                    .iter()
                    .map(|s| (*s).to_owned()),
            );
            i += 5;
        } else if (p == "38" || p == "48" || p == "58") && parts.get(i + 1) == Some(&"5") {
            out.extend(
                parts[i..(i + 3).min(parts.len())]
                    .iter()
                    .map(|s| (*s).to_owned()),
            );
            i += 3;
        } else {
            out.push(p.to_owned());
            i += 1;
        }
    }
    changed.then(|| out.join(";"))
}

impl<W: std::io::Write> std::io::Write for SgrWriter<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if !self.rewrite {
            return self.inner.write(data);
        }
        let mut out = Vec::with_capacity(data.len() + 8);
        for &b in data {
            if self.pending.is_empty() {
                if b == 0x1b {
                    self.pending.push(b);
                } else {
                    out.push(b);
                }
                continue;
            }
            self.pending.push(b);
            let len = self.pending.len();
            let done = if len == 2 {
                // Only a CSI is looked into.
                b != b'['
            } else {
                (0x40..=0x7e).contains(&b)
            };
            if done {
                Self::finish(&self.pending, &mut out);
                self.pending.clear();
            } else if len >= MAX_PENDING {
                out.append(&mut self.pending);
            }
        }
        self.inner.write_all(&out)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
