//! `qari serve`: the reader over SSH.

use std::path::PathBuf;
use std::process::ExitCode;

use super::BadValue;

/// Options of `qari serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Files or folders to serve (default: the configured library, else the sample library).
    pub paths: Vec<PathBuf>,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:2222")]
    pub listen: std::net::SocketAddr,
    /// Only the keys in this OpenSSH `authorized_keys` file get in.
    #[arg(long, conflicts_with = "open")]
    pub authorized_keys: Option<PathBuf>,
    /// Anyone gets in (no password, any key or none), and no reading state is stored.
    #[arg(long)]
    pub open: bool,
    /// The host key, Ed25519, ECDSA or RSA, mode 0600 (an Ed25519 one is generated there on
    /// first run; default: in the state directory).
    #[arg(long)]
    pub host_key: Option<PathBuf>,
    /// Sessions at once (logged-in connections).
    #[arg(long, default_value_t = 64, value_parser = at_least_one)]
    pub max_sessions: usize,
    /// New connections a minute from one address.
    #[arg(long, default_value_t = 30, value_parser = at_least_one)]
    pub rate: usize,
    /// Close a session after this long without input (e.g. 30m, 90s, 2h).
    #[arg(long, default_value = "30m", value_parser = longer_than_zero)]
    pub idle_timeout: std::time::Duration,
    /// Time from connecting to logging in (version line, key exchange and authentication).
    #[arg(long, default_value = "30s", value_parser = longer_than_zero)]
    pub login_grace_time: std::time::Duration,
    /// Connections not logged in yet, at once (like sshd's `MaxStartups`).
    #[arg(long, default_value_t = 128, value_parser = at_least_one)]
    pub max_startups: usize,
    /// Connections not logged in yet from one address, at once.
    #[arg(long, default_value_t = 32, value_parser = at_least_one)]
    pub max_startups_per_address: usize,
    /// Where the host key is kept, and the per-user state files of earlier versions (imported
    /// once into the database). Default: the XDG state directory.
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// The library database, holding every key's reading state. Default: `$QARI_DB`, else
    /// `library.db` in the XDG data directory.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Write the log to this file instead of stderr.
    #[arg(long)]
    pub log: Option<PathBuf>,
}

/// A limit of `serve`: 0 would turn everyone away.
fn at_least_one(s: &str) -> Result<usize, BadValue> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err(BadValue(
            "0 would turn everyone away; give at least 1".to_owned(),
        )),
        Ok(n) => Ok(n),
        Err(_) => Err(BadValue(format!(
            "'{}' is not a whole number",
            crate::escape::display(s)
        ))),
    }
}

/// A time limit of `serve`: 0 would turn everyone away.
fn longer_than_zero(s: &str) -> Result<std::time::Duration, BadValue> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err(BadValue(
            "0 would turn everyone away; give a time like 30s or 30m".to_owned(),
        ));
    }
    Ok(d)
}

fn parse_duration(s: &str) -> Result<std::time::Duration, BadValue> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let bad = || {
        BadValue(format!(
            "'{}' is not a duration like 30m, 90s or 2h",
            crate::escape::display(s)
        ))
    };
    let n: u64 = num.parse().map_err(|_| bad())?;
    let unit = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(bad()),
    };
    let secs = n.checked_mul(unit).ok_or_else(bad)?;
    Ok(std::time::Duration::from_secs(secs))
}

/// Serves the library over SSH until SIGINT or SIGTERM.
pub(super) fn run(a: ServeArgs) -> anyhow::Result<ExitCode> {
    // The process's panic hook is the binary's to set: panics go to the server's log.
    crate::ssh::log_panics();
    crate::ssh::serve(
        &a.paths,
        &crate::ssh::ServeOptions {
            listen: a.listen,
            authorized_keys: a.authorized_keys,
            open: a.open,
            host_key: a.host_key,
            max_sessions: a.max_sessions,
            rate_per_minute: a.rate,
            idle_timeout: a.idle_timeout,
            login_grace_time: a.login_grace_time,
            max_startups: a.max_startups,
            max_startups_per_address: a.max_startups_per_address,
            state_dir: a.state_dir,
            db: a.db,
            log: a.log,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}
