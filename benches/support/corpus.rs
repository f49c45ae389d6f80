//! Builds large libraries from the bundled samples, for benchmarks and comparison scripts.

use std::fmt::Write as _;
use std::path::Path;

/// The bundled sample articles, (file name, text), read from the repository.
pub fn samples() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/articles");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("assets/articles")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "txt"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("sample is UTF-8");
            (e.file_name().to_string_lossy().into_owned(), text)
        })
        .collect();
    out.sort();
    out
}

/// Writes `count` articles into `dir` (100 per sub-folder), cycling through the samples with a
/// numbered title so every article is distinct. Returns the bytes written.
pub fn write_library(dir: &Path, count: usize) -> usize {
    let samples = samples();
    let mut bytes = 0;
    for k in 0..count {
        let (_, text) = &samples[k % samples.len()];
        let sub = dir.join(format!("{:03}", k / 100));
        if k % 100 == 0 {
            std::fs::create_dir_all(&sub).expect("create folder");
        }
        let (title, rest) = text.split_once('\n').unwrap_or((text, ""));
        let mut article = String::with_capacity(text.len() + 16);
        let _ = write!(article, "{title} #{k}\n{rest}");
        bytes += article.len();
        std::fs::write(sub.join(format!("{k:06}.txt")), article).expect("write article");
    }
    bytes
}

/// Paragraphs of the samples, repeated until they hold at least `bytes`: one paragraph a line.
pub fn paragraphs(bytes: usize) -> String {
    let samples = samples();
    let mut out = String::with_capacity(bytes + 8192);
    'outer: loop {
        for (_, text) in &samples {
            for p in text.split("\n\n").skip(1) {
                let p = p.trim();
                if p.is_empty() || p.starts_with('#') {
                    continue;
                }
                out.push_str(p);
                out.push('\n');
                if out.len() >= bytes {
                    break 'outer;
                }
            }
        }
    }
    out
}
