//! The loader's formats through the command line: what `check` and `list --json` tell of them.

use assert_cmd::Command;

fn qari() -> Command {
    Command::cargo_bin("qari").unwrap()
}

fn fixtures(rel: &str) -> String {
    format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_names_the_encoding_of_each_legacy_file() {
    let out = qari()
        .args(["check", &fixtures("encodings")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for (file, says) in [
        (
            "cp1256.txt",
            "read as windows-1256 (detected from its bytes).",
        ),
        (
            "cp1256.html",
            "read as windows-1256 (declared in the file).",
        ),
        (
            "iso8859-6.txt",
            "read as ISO-8859-6 (detected from its bytes).",
        ),
        (
            "iso8859-6.html",
            "read as ISO-8859-6 (declared in the file).",
        ),
        (
            "utf16le.txt",
            "read as UTF-16LE (from its byte order mark).",
        ),
        (
            "utf16be.txt",
            "read as UTF-16BE (from its byte order mark).",
        ),
    ] {
        assert!(
            text.lines()
                .any(|l| l.ends_with(&format!("{file}: {says}"))),
            "{file}: {text}"
        );
    }
    // UTF-8 files are not mentioned.
    let out = qari()
        .args(["check", &fixtures("formats")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(!String::from_utf8(out).unwrap().contains("read as"));
}

#[test]
fn list_json_gives_author_url_tags_and_encoding() {
    let out = qari()
        .args([
            "list",
            "--json",
            &fixtures("formats"),
            &fixtures("encodings"),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let items = v.as_array().unwrap();
    let by_id = |id: &str| {
        items
            .iter()
            .find(|i| i["id"].as_str().is_some_and(|s| s.ends_with(id)))
            .unwrap_or_else(|| panic!("{id} in {items:?}"))
    };
    let report = by_id("report.md");
    assert_eq!(report["author"], "Jane Doe");
    assert_eq!(report["tags"], serde_json::json!(["iraq", "syria"]));
    assert_eq!(report["encoding"], "UTF-8");
    let feed = by_id("feed.json#1");
    assert_eq!(feed["url"], "https://example.org/a");
    assert_eq!(feed["author"], "AP");
    assert_eq!(by_id("feed.json#2")["author"], serde_json::Value::Null);
    assert_eq!(by_id("cp1256.html")["encoding"], "windows-1256");
    assert_eq!(by_id("utf16be.txt")["encoding"], "UTF-16BE");
}
