use super::*;

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDb2hWCa4cUfwpTYmB5wxzCWtTkhfgl7ILC8NexIi/nc me@here";
const OTHER: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHHx2/LbAtDOhKAQtQvuf3Xx7Mx+wVfYP8cNmkrT0xJ0 you@there";

fn key(line: &str) -> PublicKey {
    PublicKey::from_openssh(line).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn parse(text: &str) -> Result<(AuthorizedKeys, Vec<String>), KeysError> {
    AuthorizedKeys::parse(text, "keys")
}

#[test]
fn plain_lines_comments_and_blank_lines() {
    let (k, w) = parse(&format!("# mine\n\n   {KEY}\n{OTHER}\n")).unwrap();
    assert_eq!(k.len(), 2);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(k.lines[0].line, 3);
    let now = Utc::now();
    assert_eq!(
        k.check(&key(KEY), ip("127.0.0.1"), now),
        Verdict::Allowed {
            line: 3,
            refusal: None
        }
    );
    let (k, _) = parse(KEY).unwrap();
    assert_eq!(k.check(&key(OTHER), ip("127.0.0.1"), now), Verdict::Unknown);
}

#[test]
fn from_patterns_like_sshd() {
    let ok = |list: &str, addr: &str| from_allows(list, ip(addr));
    assert!(ok("127.0.0.1", "127.0.0.1"));
    assert!(!ok("10.9.9.9", "127.0.0.1"));
    assert!(ok("10.0.0.0/8", "10.200.3.4"));
    assert!(!ok("10.0.0.0/8", "11.0.0.1"));
    assert!(ok("10.*", "10.1.2.3"));
    assert!(ok("10.1.2.?", "10.1.2.7"));
    assert!(!ok("10.1.2.?", "10.1.2.77"));
    assert!(ok("*,!10.0.0.1", "10.0.0.2"));
    assert!(!ok("*,!10.0.0.1", "10.0.0.1"));
    assert!(
        !ok("!10.0.0.0/8,*", "10.0.0.1"),
        "a negation wins wherever it is"
    );
    assert!(
        !ok("!10.0.0.1", "10.0.0.2"),
        "a negation alone allows nothing"
    );
    assert!(ok("2001:db8::/32", "2001:db8::1"));
    assert!(ok("::1", "::1"));
    assert!(
        ok("127.0.0.1", "::ffff:127.0.0.1"),
        "mapped addresses are v4"
    );
    assert!(!ok("*.example.com", "127.0.0.1"), "names are not resolved");
    assert!(ok("0.0.0.0/0", "8.8.8.8"));
}

#[test]
fn bad_networks_refuse_the_line() {
    for bad in [
        "from=\"10.0.0.1/8\"",
        "from=\"10.0.0.0/33\"",
        "from=\"10.0.0.0/x\"",
        "from=\"nonsense/8\"",
        "from=\"10.0.0.1,,10.0.0.2\"",
        "from=\"!\"",
    ] {
        let e = parse(&format!("{bad} {KEY}")).unwrap_err().to_string();
        assert!(e.starts_with("keys:1: from="), "{bad}: {e}");
    }
    let (_, w) = parse(&format!("from=\"*.example.com\" {KEY}")).unwrap();
    assert!(w[0].contains("names hosts"), "{w:?}");
}

#[test]
fn expiry_time() {
    let (k, _) = parse(&format!("expiry-time=\"20200101Z\" {KEY}")).unwrap();
    let v = k.check(&key(KEY), ip("127.0.0.1"), Utc::now());
    assert!(
        matches!(&v, Verdict::Denied(why) if why.contains("expired at 2020-01-01 00:00:00 UTC")),
        "{v:?}"
    );
    let (k, _) = parse(&format!("expiry-time=\"209912312359Z\" {KEY}")).unwrap();
    assert!(matches!(
        k.check(&key(KEY), ip("127.0.0.1"), Utc::now()),
        Verdict::Allowed { .. }
    ));
    let (k, _) = parse(&format!("expiry-time=\"20300102030405Z\" {KEY}")).unwrap();
    assert_eq!(
        k.lines[0].expiry.unwrap().to_rfc3339(),
        "2030-01-02T03:04:05+00:00"
    );
    // No Z: local time; it parses whatever the zone.
    assert!(parse(&format!("expiry-time=\"20300102\" {KEY}")).is_ok());
    for bad in ["2030", "20301301Z", "2030010203Z", "x0300102", "20300102ZZ"] {
        let e = parse(&format!("expiry-time=\"{bad}\" {KEY}"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not YYYYMMDD"), "{bad}: {e}");
    }
}

#[test]
fn a_later_line_can_allow_what_an_earlier_one_denies() {
    let text = format!("from=\"10.9.9.9\" {KEY}\nfrom=\"127.0.0.0/8\" {KEY}\n");
    let (k, _) = parse(&text).unwrap();
    assert_eq!(
        k.check(&key(KEY), ip("127.0.0.1"), Utc::now()),
        Verdict::Allowed {
            line: 2,
            refusal: None
        }
    );
    let v = k.check(&key(KEY), ip("192.168.1.1"), Utc::now());
    assert_eq!(
        v,
        Verdict::Denied("from= on keys:1 does not allow this address".to_owned())
    );
}

#[test]
fn restrict_no_pty_and_command_refuse_the_session() {
    let now = Utc::now();
    let refusal = |opts: &str| match parse(&format!("{opts} {KEY}")).unwrap().0.check(
        &key(KEY),
        ip("127.0.0.1"),
        now,
    ) {
        Verdict::Allowed { refusal, .. } => refusal,
        v => panic!("{v:?}"),
    };
    assert!(refusal("restrict").unwrap().contains("no-pty or restrict"));
    assert!(refusal("no-pty").is_some());
    assert!(
        refusal("restrict,pty").is_none(),
        "pty after restrict allows it"
    );
    assert!(refusal("pty,restrict").is_some(), "options apply in order");
    assert!(refusal("no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc,permitopen=\"localhost:80\"").is_none());
    let (k, w) = parse(&format!("command=\"echo \\\"hi\\\" there\" {KEY}")).unwrap();
    assert!(w[0].starts_with("keys:1: command="), "{w:?}");
    let v = k.check(&key(KEY), ip("127.0.0.1"), now);
    assert!(
        matches!(&v, Verdict::Allowed { refusal: Some(r), .. } if r.contains("only run a command")),
        "{v:?}"
    );
}

#[test]
fn certificates_and_unknown_options_refuse_the_file() {
    for (opts, want) in [
        ("cert-authority", "for certificates"),
        ("principals=\"a,b\"", "for certificates"),
        ("verify-required", "PIN"),
        ("frobnicate", "'frobnicate' is unknown"),
        ("no-pty=\"x\"", "takes no value"),
        ("from", "needs a value"),
        ("from=10.0.0.1", "double quotes"),
        ("command=\"unterminated", "no closing quote"),
        ("restrict,", "ends with a comma"),
        ("evil\u{1b}]52;c;x\u{7}", "\\u{1b}]52"),
    ] {
        let e = parse(&format!("# c\n{opts} {KEY}"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("keys:2: "), "{opts}: {e}");
        assert!(e.contains(want), "{opts}: {e}");
        assert!(!e.contains('\u{1b}'));
    }
    let e = parse("ssh-ed25519 AAAAnotbase64").unwrap_err().to_string();
    assert!(
        e.starts_with("keys:1: it is not an OpenSSH public key"),
        "{e}"
    );
    let e = parse("restrict").unwrap_err().to_string();
    assert!(e.contains("no key after them"), "{e}");
}

#[test]
fn globbing() {
    assert!(glob("abc", "abc"));
    assert!(glob("abc", "a*"));
    assert!(glob("abc", "*c"));
    assert!(glob("abc", "*"));
    assert!(glob("", "*"));
    assert!(glob("abc", "a?c"));
    assert!(!glob("abc", "a?"));
    assert!(glob("aXbXc", "a*b*c"));
    assert!(!glob("aXbXd", "a*b*c"));
    assert!(glob("a.b.c.d", "*.*.c.*"));
}

#[test]
fn host_key_modes_and_passphrases() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("host");
    let k = PrivateKey::random(&mut rand::rng(), russh::keys::Algorithm::Ed25519).unwrap();
    std::fs::write(
        &path,
        k.to_openssh(russh::keys::ssh_key::LineEnding::LF)
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = load_host_key(&path).unwrap_err().to_string();
    assert!(e.contains("mode 0644") && e.contains("chmod 600"), "{e}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(load_host_key(&path).unwrap().public_key(), k.public_key());
    let e = load_host_key(dir.path()).unwrap_err().to_string();
    assert!(e.contains("not a regular file"), "{e}");
}
