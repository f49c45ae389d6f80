//! The server's host key: loaded and checked as sshd checks its own, or created (Ed25519, mode
//! 0600) on first run.

use std::path::Path;

use russh::keys::PrivateKey;

use super::keys;

/// Loads the host key at `path`, or creates an Ed25519 one there (mode 0600). Returns it and
/// whether it was created. An existing file is checked as sshd checks its host keys (see
/// [`keys::load_host_key`]).
pub fn host_key(path: &Path) -> anyhow::Result<(PrivateKey, bool)> {
    if path.exists() {
        return Ok((keys::load_host_key(path)?, false));
    }
    let key = PrivateKey::random(&mut rand::rng(), russh::keys::Algorithm::Ed25519)
        .map_err(|e| anyhow::anyhow!("a host key could not be generated ({e})"))?;
    let text = key
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("the host key could not be encoded ({e})"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    write_private(path, text.as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: the host key cannot be written ({e})", path.display()))?;
    Ok((key, true))
}

#[cfg(unix)]
pub(super) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
pub(super) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
