//! Whether OpenSSH's client is here, for the tests that drive it.

use std::process::{Command, Stdio};

/// Whether `ssh` and `ssh-keygen` run. `.ci/run` installs them and sets `QARI_REQUIRE_SSH`, so
/// there a missing client fails; on a newcomer's machine without it these tests say so and
/// pass.
pub fn have_ssh() -> bool {
    let found = ["ssh", "ssh-keygen"].iter().all(|p| {
        Command::new(p)
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    });
    if !found {
        assert!(
            std::env::var_os("QARI_REQUIRE_SSH").is_none(),
            "the SSH tests need OpenSSH's client (apt-get install openssh-client)"
        );
        eprintln!("skipped: OpenSSH's client is not installed (apt-get install openssh-client)");
    }
    found
}
