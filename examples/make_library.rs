//! Writes a large library built from the bundled samples, for benchmarks and comparisons.
//!
//! `cargo run --release --example make_library -- DIR COUNT` writes COUNT articles under DIR;
//! `cargo run --release --example make_library -- --paragraphs FILE BYTES` writes one paragraph
//! a line until FILE holds BYTES.

#[path = "../benches/support/corpus.rs"]
mod corpus;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, file, bytes] if flag == "--paragraphs" => {
            let n: usize = bytes.parse().expect("BYTES is a number");
            std::fs::write(file, corpus::paragraphs(n)).expect("write paragraphs");
        }
        [dir, count] => {
            let n: usize = count.parse().expect("COUNT is a number");
            let bytes = corpus::write_library(std::path::Path::new(dir), n);
            println!("{n} articles, {:.1} MB, in {dir}", bytes as f64 / 1e6);
        }
        _ => {
            eprintln!("usage: make_library DIR COUNT | make_library --paragraphs FILE BYTES");
            std::process::exit(2);
        }
    }
}
