//! The command line, run as a user runs it.

use assert_cmd::Command;

fn qari() -> Command {
    Command::cargo_bin("qari").unwrap()
}

fn fixtures(rel: &str) -> String {
    format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn list_the_embedded_library() {
    let out = qari()
        .arg("list")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 185);
    assert!(text.lines().next().unwrap().starts_with("2025-01-14  en"));
    assert!(text.contains("000_c76da13a58358bbb.txt  التحالف الدولي"));
}

#[test]
fn list_json_has_iso_dates() {
    let out = qari()
        .args(["list", "--json", &fixtures("formats")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 8);
    let feed = items.iter().find(|i| i["id"] == "feed.json#1").unwrap();
    assert_eq!(feed["dates"][0], "2025-01-07T11:33:25+13:00");
    assert_eq!(feed["lang"], "en");
    assert_eq!(feed["direction"], "ltr");
    assert_eq!(feed["words"], 6);
    let md = items.iter().find(|i| i["id"] == "report.md").unwrap();
    assert_eq!(md["direction"], "rtl");
}

#[test]
fn check_names_each_bad_file_and_fails() {
    let assert = qari().args(["check", &fixtures("bad")]).assert().code(1);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for (file, why) in [
        ("binary.txt", "binary"),
        ("empty.txt", "empty"),
        ("malformed.json", "not valid JSON"),
        ("invalid_utf8.txt", "UTF-8"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("{file} is named in:\n{err}"));
        assert!(line.contains(why), "{line}");
        assert!(
            line.starts_with("qari: ") && line.ends_with('.'),
            "one sentence: {line}"
        );
    }
}

#[test]
fn check_of_good_files_passes() {
    qari()
        .args(["check", &fixtures("formats")])
        .assert()
        .success();
    qari().arg("check").assert().success();
}

#[test]
fn usage_errors_exit_2_and_missing_paths_exit_1() {
    qari().args(["list", "--bogus"]).assert().code(2);
    let assert = qari().args(["list", "/no/such/place"]).assert().code(1);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("/no/such/place: skipped: no such file or folder."),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn version_and_help() {
    qari()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicates::str::contains("qari 0.1.0"));
    qari().arg("--help").assert().success();
}

#[test]
fn escape_sequences_do_not_reach_stdout() {
    let out = qari()
        .args(["list", &fixtures("bad/escapes.txt")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(
        !out.contains(&0x1b),
        "no ESC byte in {:?}",
        String::from_utf8_lossy(&out)
    );
}
