//! The server's own functions, and (in `faults`) whole servers started in this process with
//! faults injected, driven by the real OpenSSH client.

mod faults;

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use super::ServeOptions;
use super::gate::{Rate, RateLimit};
use super::handler::{clean_term, peer_size};
use super::hostkey::host_key;
use super::server::check_limits;

#[test]
fn peer_sizes_are_capped_and_zero_is_no_size() {
    use crate::screen::{MAX_COLS, MAX_ROWS};
    assert_eq!(peer_size(65535, 65535, (80, 24)), (MAX_COLS, MAX_ROWS));
    assert_eq!(peer_size(u32::MAX, 7, (80, 24)), (MAX_COLS, 7));
    assert_eq!(peer_size(0, 0, (80, 24)), (80, 24));
    assert_eq!(peer_size(0, 40, (120, 24)), (120, 40));
    assert_eq!(peer_size(100, 30, (80, 24)), (100, 30));
}

#[test]
fn host_key_is_created_private_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys/host");
    let (a, created) = host_key(&path).unwrap();
    assert!(created);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (b, created) = host_key(&path).unwrap();
    assert!(!created);
    assert_eq!(a.public_key(), b.public_key());
    assert_eq!(a.algorithm(), russh::keys::Algorithm::Ed25519);
}

#[test]
fn a_term_is_a_short_name_or_escaped() {
    assert_eq!(clean_term("xterm-256color".to_owned()), "xterm-256color");
    assert_eq!(
        clean_term("screen.xterm+x_y".to_owned()),
        "screen.xterm+x_y"
    );
    assert_eq!(
        clean_term("x\u{1b}]52;c;eA==\u{7}".to_owned()),
        "x\\u{1b}]52;c;eA==\\u{7}"
    );
    let long = clean_term("A".repeat(30_000));
    assert!(
        long.len() < 100 && long.ends_with("…(30000 bytes)"),
        "{long}"
    );
}

#[test]
fn zero_limits_are_refused() {
    let opts = ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        authorized_keys: None,
        open: true,
        host_key: None,
        max_sessions: 1,
        rate_per_minute: 1,
        idle_timeout: Duration::from_secs(1),
        state_dir: None,
        db: None,
        log: None,
        login_grace_time: Duration::from_secs(1),
        max_startups: 1,
        max_startups_per_address: 1,
    };
    assert!(check_limits(&opts).is_ok());
    let e = check_limits(&ServeOptions {
        max_startups: 0,
        ..opts.clone()
    })
    .unwrap_err();
    assert_eq!(e.to_string(), "--max-startups must be at least 1");
    let e = check_limits(&ServeOptions {
        login_grace_time: Duration::ZERO,
        ..opts
    })
    .unwrap_err();
    assert_eq!(e.to_string(), "--login-grace-time must be longer than 0");
}

#[test]
fn rate_limit_per_address() {
    let mut r = RateLimit {
        per_minute: 3,
        seen: HashMap::new(),
    };
    let a: IpAddr = "10.0.0.1".parse().unwrap();
    let b: IpAddr = "10.0.0.2".parse().unwrap();
    for _ in 0..3 {
        assert_eq!(r.check(a), Rate::Allow);
    }
    // Over the limit: turned away with a message, as many times again; then dropped.
    for _ in 0..3 {
        assert_eq!(r.check(a), Rate::Refuse);
    }
    assert_eq!(r.check(a), Rate::Drop);
    assert_eq!(r.check(a), Rate::Drop);
    assert_eq!(r.seen[&a].len(), 6, "drops are not remembered");
    assert_eq!(r.check(b), Rate::Allow);
}
