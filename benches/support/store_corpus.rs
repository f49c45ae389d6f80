//! Generated libraries for the store's tests and measurements: articles mixed from the
//! paragraphs of the bundled samples (Arabic and English), as `.txt` files (100 a folder) and
//! as JSONL files of 50 records with byline, source, tags and url.

#![allow(dead_code)] // reason: each user (test, example) takes a different part

use std::fmt::Write as _;
use std::path::Path;

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The samples' titles and paragraphs.
pub struct Pieces {
    /// Titles.
    pub titles: Vec<String>,
    /// Paragraphs.
    pub paragraphs: Vec<String>,
}

/// Reads the bundled samples.
pub fn pieces() -> Pieces {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/articles");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("assets/articles")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    names.sort();
    let mut out = Pieces {
        titles: Vec::new(),
        paragraphs: Vec::new(),
    };
    for p in names {
        let text = std::fs::read_to_string(&p).expect("sample is UTF-8");
        let mut parts = text.split("\n\n");
        if let Some(t) = parts.next() {
            out.titles.push(t.trim().replace('\n', " "));
        }
        for para in parts {
            let para = para.trim();
            // Dates and headings stay in their own articles.
            if para.len() > 60 && !para.starts_with('#') {
                out.paragraphs.push(para.replace('\n', " "));
            }
        }
    }
    out
}

const AUTHORS: &[&str] = &["ماكغورك", "Jane Doe", "سارة الأحمد", "Omar Khan", "مُحَمَّد علي"];
const SOURCES: &[&str] = &["الجزيرة", "BBC News", "العربية", "Reuters", "الشرق الأوسط"];
const TAGS: &[&str] = &["سياسة", "اقتصاد", "sport", "culture", "العراق", "syria"];

/// Writes `count` articles under `dir`; returns the bytes of text (titles and bodies) written.
pub fn write_library(dir: &Path, count: usize, seed: u64) -> usize {
    let p = pieces();
    let mut rng = Rng::new(seed);
    let mut text_bytes = 0;
    let mut jsonl = String::new();
    let mut k = 0;
    while k < count {
        // Three articles in ten are records of a JSONL file.
        let record = rng.below(10) < 3;
        let title = format!("{} {k}", p.titles[rng.below(p.titles.len())]);
        let n = 2 + rng.below(6);
        let paras: Vec<&str> = (0..n)
            .map(|_| p.paragraphs[rng.below(p.paragraphs.len())].as_str())
            .collect();
        text_bytes += title.len() + paras.iter().map(|s| s.len()).sum::<usize>();
        if record {
            let tags: Vec<&str> = (0..rng.below(3))
                .map(|_| TAGS[rng.below(TAGS.len())])
                .collect();
            let row = serde_json::json!({
                "id": format!("r{k}"),
                "title": title,
                "body": paras.join("\n\n"),
                "author": AUTHORS[rng.below(AUTHORS.len())],
                "source": SOURCES[rng.below(SOURCES.len())],
                "tags": tags,
                "url": format!("https://news.example/{k}"),
                "date": format!("2024-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28)),
            });
            let _ = writeln!(jsonl, "{row}");
            if jsonl.lines().count() >= 50 {
                flush_jsonl(dir, k, &mut jsonl);
            }
        } else {
            let sub = dir.join(format!("{:04}", k / 100));
            std::fs::create_dir_all(&sub).expect("create folder");
            let mut body = format!(
                "{title}\n\n{}/{:02}/2019\n",
                1 + rng.below(28),
                1 + rng.below(12)
            );
            for para in &paras {
                body.push('\n');
                body.push_str(para);
                body.push('\n');
            }
            std::fs::write(sub.join(format!("{k:07}.txt")), body).expect("write article");
        }
        k += 1;
    }
    if !jsonl.is_empty() {
        flush_jsonl(dir, k, &mut jsonl);
    }
    text_bytes
}

fn flush_jsonl(dir: &Path, k: usize, jsonl: &mut String) {
    let sub = dir.join("records");
    std::fs::create_dir_all(&sub).expect("create folder");
    std::fs::write(sub.join(format!("{k:07}.jsonl")), &*jsonl).expect("write records");
    jsonl.clear();
}

/// Queries for a library of these pieces: words of every length, one and two letters,
/// phrases, folded variants, bylines and tags, words that are nowhere.
pub fn queries(count: usize, seed: u64) -> Vec<String> {
    let p = pieces();
    let mut rng = Rng::new(seed);
    let mut out: Vec<String> = [
        "ال",
        "و",
        "a",
        "of",
        "the",
        "في",
        "من",
        "\"of the\"",
        "«في العراق»",
        "الاراضي",
        "مسئول",
        "ماكغورك",
        "ماكجورك",
        "محمد",
        "jane",
        "bbc",
        "سياسة",
        "syria",
        "2017",
        "٢٠١٧",
        "\"قال إن\"",
        "zzqx",
        "ال ال",
        "a b",
        "«»",
        "reuters الشرق",
        "ة",
        "ه",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    while out.len() < count {
        let para = &p.paragraphs[rng.below(p.paragraphs.len())];
        let words: Vec<&str> = para.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        let at = rng.below(words.len());
        let w = words[at];
        let chars: Vec<char> = w.chars().collect();
        let q = match rng.below(6) {
            0 => w.to_owned(),
            1 => chars.iter().take(1 + rng.below(2)).collect(),
            2 => {
                let end = (at + 2 + rng.below(2)).min(words.len());
                format!("\"{}\"", words[at..end].join(" "))
            }
            3 => {
                let other = words[rng.below(words.len())];
                format!("{w} {other}")
            }
            4 => {
                let from = rng.below(chars.len().max(1));
                chars.iter().skip(from).take(3).collect()
            }
            _ => format!("{} {}", chars.iter().take(2).collect::<String>(), w),
        };
        out.push(q);
    }
    out
}
