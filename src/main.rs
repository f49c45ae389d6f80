//! The `qari` binary: see the crate documentation of the `qari` library.

fn main() -> std::process::ExitCode {
    qari::cli::main()
}
