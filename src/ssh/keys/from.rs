//! The `from="pattern-list"` option: address patterns (CIDR, `*`/`?` globs, `!` negation)
//! checked where the file is read and matched against each connection's address.

use std::net::IpAddr;

use super::problem::{LineProblem, NetProblem};
use super::shown;

/// Checks a `from=` pattern list as it is read: an empty entry or a malformed network refuses
/// the line; a host name pattern is kept with a warning (names are not resolved).
pub(super) fn check_from(list: &str, warnings: &mut Vec<String>) -> Result<(), LineProblem> {
    for entry in list.split(',') {
        let pat = entry.strip_prefix('!').unwrap_or(entry);
        if pat.is_empty() {
            return Err(LineProblem::EmptyFrom(crate::escape::log(list, 200)));
        }
        if let Err(why) = parse_net(pat) {
            return Err(LineProblem::BadFrom {
                pattern: shown(pat),
                why,
            });
        }
        if parse_net(pat).ok().flatten().is_none()
            && pat
                .chars()
                .any(|c| c.is_ascii_alphabetic() && !c.is_ascii_hexdigit())
        {
            warnings.push(format!(
                "from= pattern {} names hosts; qari matches only addresses (as sshd with UseDNS no), so it never matches",
                shown(pat)
            ));
        }
    }
    Ok(())
}

/// A network: an address and its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Net {
    addr: IpAddr,
    prefix: u32,
}

impl Net {
    fn contains(self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// `pat` as an address or network (`10.1.2.3`, `10.0.0.0/8`, `fe80::/10`); `Ok(None)` when it is
/// a wildcard or name pattern instead; an error for a network that cannot be (a prefix too
/// long, bits set past the prefix, an address that does not parse before a `/`).
fn parse_net(pat: &str) -> Result<Option<Net>, NetProblem> {
    let (addr, prefix) = match pat.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (pat, None),
    };
    let Ok(addr) = addr.parse::<IpAddr>() else {
        return if prefix.is_some() {
            Err(NetProblem::NotANetwork)
        } else {
            Ok(None)
        };
    };
    let addr = addr.to_canonical();
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|&p| p <= max)
            .ok_or(NetProblem::Prefix(max))?,
    };
    let net = Net { addr, prefix };
    if net_has_host_bits(net) {
        return Err(NetProblem::HostBits);
    }
    Ok(Some(net))
}

fn net_has_host_bits(net: Net) -> bool {
    match net.addr {
        IpAddr::V4(a) => u32::from(a) & !u32::MAX.checked_shl(32 - net.prefix).unwrap_or(0) != 0,
        IpAddr::V6(a) => u128::from(a) & !u128::MAX.checked_shl(128 - net.prefix).unwrap_or(0) != 0,
    }
}

/// sshd's `from=` for an address (`match_host_and_ip` with no name resolution): allowed when
/// some pattern matches and no negated pattern does.
pub fn from_allows(list: &str, ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    let text = ip.to_string();
    let mut positive = false;
    for entry in list.split(',') {
        let (negated, pat) = match entry.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, entry),
        };
        let hit = match parse_net(pat) {
            Ok(Some(net)) => net.contains(ip),
            Ok(None) => glob(&text, &pat.to_ascii_lowercase()),
            // Refused when the file was read; never allow on a pattern that cannot be.
            Err(_) => return false,
        };
        if hit {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

/// Whether `text` matches `pat`, where `*` is any run of characters and `?` any one.
pub(super) fn glob(text: &str, pat: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pat.chars().collect();
    let (mut ti, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                ti += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}
