//! Opening files safely: regular files only, never waiting on a FIFO or a device, every read
//! held to a size limit; the reasons a file was not read, as message text.

use std::io::Read;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A FIFO, a device, a socket or a folder where a file was expected.
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    /// Larger than the limit for its kind of file.
    #[error("it is {}, over the limit of {}", size_text(*size), size_text(*max))]
    TooLarge {
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        max: u64,
    },
    /// The system refused.
    #[error("{}", io_reason(.0))]
    Io(#[from] std::io::Error),
}

/// A size in bytes for a message: `300.5 MiB`, `12 KiB`, `100 bytes`.
pub fn size_text(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    let f = bytes as f64;
    match bytes {
        b if b >= GIB => format!("{:.1} GiB", f / GIB as f64),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= MIB => format!("{:.1} MiB", f / MIB as f64),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b if b >= KIB => format!("{:.1} KiB", f / KIB as f64),
        b => format!("{b} bytes"),
    }
}

/// What a file that is not a regular file is, for a message.
pub(super) fn kind_of(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() { "a folder" } else { "something" }
}

/// Opens `path` for reading if it is a regular file (links followed), with its metadata.
///
/// The file is opened without blocking (`O_NONBLOCK`, so opening a FIFO never waits for a
/// writer) and without becoming a controlling terminal (`O_NOCTTY`), and the type is checked on
/// the opened file (`fstat`), so a file swapped for a FIFO or a device between a check and the
/// read is refused, never read.
pub fn open_regular(path: &Path) -> Result<(std::fs::File, std::fs::Metadata), ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        // Opening a socket fails with ENXIO: say what it is.
        Err(e) => {
            return Err(match std::fs::metadata(path) {
                Ok(m) if !m.is_file() => ReadError::NotRegular(kind_of(m.file_type())),
                _ => ReadError::Io(e),
            });
        }
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind_of(meta.file_type())));
    }
    Ok((file, meta))
}

/// Reads the whole of `path` if it is a regular file of at most `max` bytes (see
/// [`open_regular`]); a file that grows past `max` while it is read is refused too.
pub fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let (file, meta) = open_regular(path)?;
    if meta.len() > max {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            max,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            max,
        });
    }
    Ok(bytes)
}

/// The reason an I/O error gives, as the end of a sentence about the file.
pub(super) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        std::io::ErrorKind::PermissionDenied => "it cannot be read (permission denied)".to_owned(),
        _ => format!("it cannot be read ({e})"),
    }
}
