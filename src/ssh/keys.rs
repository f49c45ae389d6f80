//! Who may log in to `qari serve`, and the host key it proves itself with.
//!
//! [`AuthorizedKeys`] reads an OpenSSH `authorized_keys` file with its per-key options and
//! honours them as sshd does where they apply to a reader: `from="pattern-list"` (wildcards `*`
//! and `?`, negation `!`, CIDR networks; host names are not resolved, as sshd's default
//! `UseDNS no`), `expiry-time="YYYYMMDD[HHMM[SS]][Z]"` (local time unless suffixed `Z`),
//! `restrict`, `pty`/`no-pty` (the reader needs a pty: a key without one is let in and its
//! session refused with a message), the forwarding, agent, X11 and `user-rc` flags (qari never
//! forwards nor runs rc files, so a restriction is already met and a permission grants
//! nothing), `permitopen`/`permitlisten`/`tunnel` (restrictions on forwarding, which is never
//! served), `environment` (not applied, as sshd's default `PermitUserEnvironment no`; a warning
//! at start) and `no-touch-required`. `command="…"` lets the key authenticate and refuses its
//! session with a message the client sees (qari serves only the reader, never a command); a
//! warning at start names the line. `cert-authority`, `principals`, `verify-required` and any
//! unknown option refuse the whole file at start with a message naming the file and the line:
//! nothing is silently ignored.
//!
//! [`load_host_key`] refuses, as sshd does, a host key file that group or others may read or
//! write, and a key protected by a passphrase (there is nobody to ask for it).

use std::net::IpAddr;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone as _, Utc};
use russh::keys::{PrivateKey, PublicKey};

mod from;
mod problem;

use from::check_from;
pub use from::from_allows;
#[cfg(test)]
use from::glob;
pub use problem::{LineProblem, NetProblem};

/// The largest `authorized_keys` file read.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// The longest line of an `authorized_keys` file.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Why an `authorized_keys` file or a host key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// The file cannot be opened or read.
    #[error("{path}: {what} cannot be read ({source})")]
    Read {
        /// The file, made printable.
        path: String,
        /// Which file it is.
        what: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// A FIFO, a device, a folder.
    #[error("{path}: {what} is not a regular file")]
    NotAFile {
        /// The file, made printable.
        path: String,
        /// Which file it is.
        what: &'static str,
    },
    /// Over [`MAX_FILE_BYTES`].
    #[error("{path}: the authorized_keys file is larger than {max} bytes")]
    TooLarge {
        /// The file, made printable.
        path: String,
        /// The cap.
        max: u64,
    },
    /// Writable by group or others (sshd's `StrictModes`).
    #[error(
        "{path}: the authorized_keys file is writable by group or others (mode {mode:04o}), so anyone could add a key; run `chmod go-w {path}`"
    )]
    Writable {
        /// The file, made printable.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// One line cannot be honoured.
    #[error("{path}:{line}: {why}")]
    Line {
        /// The file, made printable.
        path: String,
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        why: LineProblem,
    },
    /// The host key may be read by group or others.
    #[error(
        "{path}: the host key is readable or writable by group or others (mode {mode:04o}); run `chmod 600 {path}`"
    )]
    HostKeyOpen {
        /// The file, made printable.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The host key is protected by a passphrase.
    #[error(
        "{path}: the host key is protected by a passphrase, which `qari serve` has no way to ask for; remove it with `ssh-keygen -p -N '' -f {path}` or give another --host-key"
    )]
    HostKeyEncrypted {
        /// The file, made printable.
        path: String,
    },
    /// The host key file is not an OpenSSH private key.
    #[error("{path}: the host key cannot be read ({why})")]
    HostKeyBad {
        /// The file, made printable.
        path: String,
        /// The parser's reason.
        why: String,
    },
}

/// One key line of an `authorized_keys` file, with what its options allow.
#[derive(Debug, Clone)]
pub struct KeyLine {
    /// The key.
    pub key: PublicKey,
    /// Its line number, from 1.
    pub line: usize,
    from: Option<String>,
    expiry: Option<DateTime<Utc>>,
    no_pty: bool,
    command: bool,
}

/// What the options of a key's lines say about one login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No line has this key.
    Unknown,
    /// Lines have the key, and none allows this login: why (of the first such line).
    Denied(String),
    /// A line allows it; `refusal` says why its session must still be refused (`no-pty`,
    /// `command=`), as a sentence for the client.
    Allowed {
        /// The line that let the key in.
        line: usize,
        /// Why the session is refused after authentication, if it is.
        refusal: Option<String>,
    },
}

/// The keys of an `authorized_keys` file.
#[derive(Debug, Clone, Default)]
pub struct AuthorizedKeys {
    path: String,
    lines: Vec<KeyLine>,
}

impl AuthorizedKeys {
    /// Reads `path` (a regular file of at most [`MAX_FILE_BYTES`], not writable by group or
    /// others); returns the keys and the warnings to log.
    pub fn load(path: &Path) -> Result<(Self, Vec<String>), KeysError> {
        use std::io::Read as _;
        let shown = crate::escape::path(path);
        let what = "the authorized_keys file";
        let read_err = |source| KeysError::Read {
            path: shown.clone(),
            what,
            source,
        };
        let file = std::fs::File::open(path).map_err(read_err)?;
        let meta = file.metadata().map_err(read_err)?;
        if !meta.is_file() {
            return Err(KeysError::NotAFile { path: shown, what });
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o022 != 0 {
                return Err(KeysError::Writable { path: shown, mode });
            }
        }
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_err)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(KeysError::TooLarge {
                path: shown,
                max: MAX_FILE_BYTES,
            });
        }
        let text = String::from_utf8_lossy(&bytes);
        Self::parse(&text, &shown)
    }

    /// Parses the text of an `authorized_keys` file; `path` names it in messages.
    pub fn parse(text: &str, path: &str) -> Result<(Self, Vec<String>), KeysError> {
        let mut lines = Vec::new();
        let mut warnings = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let err = |why: LineProblem| KeysError::Line {
                path: path.to_owned(),
                line,
                why,
            };
            if raw.len() > MAX_LINE_BYTES {
                return Err(err(LineProblem::TooLong));
            }
            let s = raw.trim_start_matches([' ', '\t']);
            if s.is_empty() || s.starts_with('#') {
                continue;
            }
            let first = s.split([' ', '\t']).next().unwrap_or_default();
            let (opts, rest) = if is_key_type(first) {
                ("", s)
            } else {
                split_options(s).map_err(err)?
            };
            let key = PublicKey::from_openssh(rest.trim()).map_err(|e| {
                err(LineProblem::NotAKey(crate::escape::log(
                    &e.to_string(),
                    200,
                )))
            })?;
            let parsed = parse_options(opts).map_err(err)?;
            for w in parsed.warnings {
                warnings.push(format!("{path}:{line}: {w}"));
            }
            lines.push(KeyLine {
                key,
                line,
                from: parsed.from,
                expiry: parsed.expiry,
                no_pty: parsed.no_pty,
                command: parsed.command,
            });
        }
        if lines.is_empty() {
            warnings.push(format!("{path}: the file has no key; nobody can log in"));
        }
        Ok((
            Self {
                path: path.to_owned(),
                lines,
            },
            warnings,
        ))
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether `key` may log in from `ip` at `now`: as sshd, every line with the key is tried
    /// and the first whose options allow the login decides.
    pub fn check(&self, key: &PublicKey, ip: IpAddr, now: DateTime<Utc>) -> Verdict {
        let ip = ip.to_canonical();
        let mut denied = None;
        for l in self
            .lines
            .iter()
            .filter(|l| l.key.key_data() == key.key_data())
        {
            if let Some(from) = &l.from
                && !from_allows(from, ip)
            {
                denied.get_or_insert_with(|| {
                    format!(
                        "from= on {}:{} does not allow this address",
                        self.path, l.line
                    )
                });
                continue;
            }
            if let Some(t) = l.expiry
                && now > t
            {
                denied.get_or_insert_with(|| {
                    format!(
                        "the key expired at {} (expiry-time on {}:{})",
                        t.format("%Y-%m-%d %H:%M:%S UTC"),
                        self.path,
                        l.line
                    )
                });
                continue;
            }
            let refusal = if l.command {
                Some(format!(
                    "this key may only run a command (command= on line {} of its authorized_keys file); this server only serves the reader.",
                    l.line
                ))
            } else if l.no_pty {
                Some(format!(
                    "this key may not have a terminal (no-pty or restrict on line {} of its authorized_keys file), and the reader needs one.",
                    l.line
                ))
            } else {
                None
            };
            return Verdict::Allowed {
                line: l.line,
                refusal,
            };
        }
        denied.map_or(Verdict::Unknown, Verdict::Denied)
    }
}

/// Whether `s` names a public key type (so the line has no options).
fn is_key_type(s: &str) -> bool {
    matches!(
        s,
        "ssh-ed25519"
            | "ssh-rsa"
            | "ssh-dss"
            | "ecdsa-sha2-nistp256"
            | "ecdsa-sha2-nistp384"
            | "ecdsa-sha2-nistp521"
            | "sk-ssh-ed25519@openssh.com"
            | "sk-ecdsa-sha2-nistp256@openssh.com"
    ) || s.ends_with("-cert-v01@openssh.com")
}

/// Splits a line into its options and the key after them: the options end at the first space
/// or tab outside double quotes (`\"` inside quotes is a quote).
fn split_options(s: &str) -> Result<(&str, &str), LineProblem> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ' ' | '\t' if !quoted => {
                let (opts, rest) = s.split_at(i);
                return Ok((opts, rest));
            }
            _ => {}
        }
    }
    Err(if quoted {
        LineProblem::NoClosingQuote
    } else {
        LineProblem::NoKey
    })
}

#[derive(Debug, Default)]
struct Parsed {
    from: Option<String>,
    expiry: Option<DateTime<Utc>>,
    no_pty: bool,
    command: bool,
    warnings: Vec<String>,
}

/// Reads one option list (`restrict,from="10.0.0.0/8",pty`).
fn parse_options(mut s: &str) -> Result<Parsed, LineProblem> {
    let mut p = Parsed::default();
    while !s.is_empty() {
        let name_end = s.find(['=', ',']).unwrap_or(s.len());
        let (name, after) = s.split_at(name_end);
        let lname = name.to_ascii_lowercase();
        let (value, after) = if let Some(v) = after.strip_prefix('=') {
            let (value, rest) =
                quoted_value(v).ok_or_else(|| LineProblem::Unquoted(shown(name)))?;
            (Some(value), rest)
        } else {
            (None, after)
        };
        s = match after.strip_prefix(',') {
            Some(rest) if !rest.is_empty() => rest,
            Some(_) => return Err(LineProblem::TrailingComma),
            None if after.is_empty() => "",
            None => return Err(LineProblem::NoComma(shown(name))),
        };
        match (lname.as_str(), value) {
            ("restrict" | "no-pty", None) => p.no_pty = true,
            ("pty", None) => p.no_pty = false,
            (
                "agent-forwarding"
                | "no-agent-forwarding"
                | "port-forwarding"
                | "no-port-forwarding"
                | "x11-forwarding"
                | "no-x11-forwarding"
                | "user-rc"
                | "no-user-rc"
                | "no-touch-required",
                None,
            )
            | ("permitopen" | "permitlisten" | "tunnel", Some(_)) => {}
            ("command", Some(_)) => {
                p.command = true;
                p.warnings.push(
                    "command= limits this key to a command; qari serves only the reader, so the key's sessions are refused with a message".to_owned(),
                );
            }
            ("environment", Some(_)) => p.warnings.push(
                "environment= is not applied (as sshd with PermitUserEnvironment no)".to_owned(),
            ),
            ("from", Some(v)) => {
                check_from(&v, &mut p.warnings)?;
                p.from = Some(v);
            }
            ("expiry-time", Some(v)) => {
                if p.expiry.is_some() {
                    return Err(LineProblem::ExpiryTwice);
                }
                p.expiry = Some(parse_expiry(&v)?);
            }
            ("cert-authority" | "principals", _) => {
                return Err(LineProblem::Certificates(shown(name)));
            }
            ("verify-required", None) => {
                return Err(LineProblem::VerifyRequired);
            }
            (_, None) if KNOWN_WITH_VALUE.contains(&lname.as_str()) => {
                return Err(LineProblem::NeedsValue(shown(name)));
            }
            (_, Some(_)) if KNOWN_FLAGS.contains(&lname.as_str()) => {
                return Err(LineProblem::TakesNoValue(shown(name)));
            }
            _ => {
                return Err(LineProblem::Unknown(shown(name)));
            }
        }
    }
    Ok(p)
}

const KNOWN_FLAGS: &[&str] = &[
    "restrict",
    "no-pty",
    "pty",
    "agent-forwarding",
    "no-agent-forwarding",
    "port-forwarding",
    "no-port-forwarding",
    "x11-forwarding",
    "no-x11-forwarding",
    "user-rc",
    "no-user-rc",
    "no-touch-required",
    "verify-required",
    "cert-authority",
];

const KNOWN_WITH_VALUE: &[&str] = &[
    "command",
    "environment",
    "from",
    "expiry-time",
    "permitopen",
    "permitlisten",
    "tunnel",
    "principals",
];

/// An option name as it can be shown in a message.
fn shown(name: &str) -> String {
    format!("'{}'", crate::escape::log(name, 64))
}

/// `"value"` at the start of `s` (with `\"` for a quote): the value and what follows.
fn quoted_value(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => return None,
            },
            '"' => return Some((out, body.get(i + 1..).unwrap_or_default())),
            _ => out.push(c),
        }
    }
    None
}

/// `YYYYMMDD[Z]` or `YYYYMMDDHHMM[SS][Z]`: local time unless suffixed `Z` (UTC), as sshd.
fn parse_expiry(v: &str) -> Result<DateTime<Utc>, LineProblem> {
    let bad = || LineProblem::BadExpiry(crate::escape::log(v, 64));
    let (digits, utc) = match v.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (v, false),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let naive = match digits.len() {
        8 => NaiveDate::parse_from_str(digits, "%Y%m%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0)),
        12 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M").ok(),
        14 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").ok(),
        _ => None,
    }
    .ok_or_else(bad)?;
    if utc {
        Ok(Utc.from_utc_datetime(&naive))
    } else {
        chrono::Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(bad)
    }
}

/// Checks the host key file at `path` as sshd does and reads it: refused when group or others
/// may read or write it, or when a passphrase protects it.
pub fn load_host_key(path: &Path) -> Result<PrivateKey, KeysError> {
    let shown = crate::escape::path(path);
    let what = "the host key";
    let meta = std::fs::metadata(path).map_err(|source| KeysError::Read {
        path: shown.clone(),
        what,
        source,
    })?;
    if !meta.is_file() {
        return Err(KeysError::NotAFile { path: shown, what });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(KeysError::HostKeyOpen { path: shown, mode });
        }
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(KeysError::HostKeyBad {
            path: shown,
            why: format!("it is larger than {MAX_FILE_BYTES} bytes"),
        });
    }
    let key = PrivateKey::read_openssh_file(path).map_err(|e| KeysError::HostKeyBad {
        path: shown.clone(),
        why: crate::escape::log(&e.to_string(), 200),
    })?;
    if key.is_encrypted() {
        return Err(KeysError::HostKeyEncrypted { path: shown });
    }
    Ok(key)
}

#[cfg(test)]
mod tests;
