//! The command line: `qari [PATH…]`, `qari list`, `qari check`, and the commands later modules
//! add. Errors are one sentence on stderr; exit codes are 0 ok, 1 runtime error, 2 usage error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::article::{self, Direction, Format};
use crate::config::Config;
use crate::layout::{self, BaseDir, BidiMode, Options};
use crate::library::{Filter, Library, SortKey};

/// A terminal reader for Arabic and English news articles.
#[derive(Debug, Parser)]
#[command(name = "qari", version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Files or folders to read (folders are walked recursively). Without any, the embedded
    /// sample library opens.
    pub paths: Vec<PathBuf>,
    /// Who reorders right-to-left text: app (qari), terminal, or off. Default: `$QARI_BIDI`,
    /// the config file, else app.
    #[arg(long, value_parser = parse_bidi)]
    pub bidi: Option<BidiMode>,
    /// Do not shape Arabic into presentation forms (for terminals that shape by themselves).
    #[arg(long)]
    pub no_shape: bool,
    /// What to do; without a command, the reader opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the catalog: one line per article, or JSON.
    List {
        /// Files or folders (default: the embedded sample library).
        paths: Vec<PathBuf>,
        /// Print a JSON array instead of lines.
        #[arg(long)]
        json: bool,
        /// Sort order.
        #[arg(long, value_enum, default_value_t = SortArg::Date)]
        sort: SortArg,
    },
    /// Check files and print why any could not be used; exits 1 if one was unusable.
    Check {
        /// Files or folders (default: the embedded sample library).
        paths: Vec<PathBuf>,
    },
    /// Print an article laid out for a terminal: plain UTF-8 lines, RTL lines right-aligned.
    Render(RenderArgs),
    /// Serve the reader over SSH: readers connect with `ssh -p 2222 read@host`.
    Serve(ServeArgs),
    /// Search the library (hamza, tashkeel and case do not matter; all words must occur; a
    /// "quoted phrase" matches as a phrase): one line per article, best first, with id, title
    /// and a snippet around the first match, tab-separated.
    Search {
        /// What to look for.
        query: String,
        /// Files or folders (default: the configured library, else the sample library).
        paths: Vec<PathBuf>,
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
        /// At most this many results.
        #[arg(long)]
        limit: Option<usize>,
    },
}

/// Options of `qari serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Files or folders to serve (default: the configured library, else the sample library).
    pub paths: Vec<PathBuf>,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:2222")]
    pub listen: std::net::SocketAddr,
    /// Only the keys in this OpenSSH `authorized_keys` file get in.
    #[arg(long, conflicts_with = "open")]
    pub authorized_keys: Option<PathBuf>,
    /// Anyone gets in (no password, any key or none), and no reading state is stored.
    #[arg(long)]
    pub open: bool,
    /// The Ed25519 host key (generated there on first run; default: in the state directory).
    #[arg(long)]
    pub host_key: Option<PathBuf>,
    /// Sessions at once.
    #[arg(long, default_value_t = 64)]
    pub max_sessions: usize,
    /// New connections a minute from one address.
    #[arg(long, default_value_t = 30)]
    pub rate: usize,
    /// Close a session after this long without input (e.g. 30m, 90s, 2h).
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub idle_timeout: std::time::Duration,
    /// Where per-user reading state is kept (default: the XDG state directory).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Write the log to this file instead of stderr.
    #[arg(long)]
    pub log: Option<PathBuf>,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a duration like 30m, 90s or 2h"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("'{s}' is not a duration like 30m, 90s or 2h")),
    };
    Ok(std::time::Duration::from_secs(secs))
}

/// Options of `qari render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The article file, or `-` (the default) for standard input (read as `.txt`).
    pub file: Option<PathBuf>,
    /// Width in columns; 0 means no wrapping. Default: the terminal's, else 80.
    #[arg(long)]
    pub width: Option<usize>,
    /// Who reorders: qari (`app`), the terminal (`terminal`), or nobody (`off`).
    /// Default: `$QARI_BIDI`, the config file, else `app`.
    #[arg(long, value_parser = parse_bidi)]
    pub bidi: Option<BidiMode>,
    /// Do not shape Arabic into presentation forms (for terminals that shape).
    #[arg(long)]
    pub no_shape: bool,
    /// Base direction of every paragraph.
    #[arg(long, value_enum, default_value_t = DirArg::Auto)]
    pub dir: DirArg,
    /// Every input line is one paragraph; no article parsing.
    #[arg(long)]
    pub plain: bool,
}

fn parse_bidi(s: &str) -> Result<BidiMode, String> {
    BidiMode::parse(s).ok_or_else(|| format!("'{s}' is not one of app, terminal, off"))
}

/// Base directions on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DirArg {
    /// From the first strong letter.
    Auto,
    /// Right to left.
    Rtl,
    /// Left to right.
    Ltr,
}

impl From<DirArg> for BaseDir {
    fn from(d: DirArg) -> Self {
        match d {
            DirArg::Auto => Self::Auto,
            DirArg::Rtl => Self::Rtl,
            DirArg::Ltr => Self::Ltr,
        }
    }
}

/// Sort orders on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SortArg {
    /// Newest first.
    Date,
    /// By title.
    Title,
    /// By source.
    Source,
}

impl From<SortArg> for SortKey {
    fn from(s: SortArg) -> Self {
        match s {
            SortArg::Date => Self::Date,
            SortArg::Title => Self::Title,
            SortArg::Source => Self::Source,
        }
    }
}

/// Runs the command line and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qari: {}", sentence(&e));
            ExitCode::from(1)
        }
    }
}

/// A reader of our output that went away (`qari list | head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}

/// Formats an error chain as one sentence.
fn sentence(e: &anyhow::Error) -> String {
    let parts: Vec<String> = e.chain().map(ToString::to_string).collect();
    let mut s = parts.join(": ");
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

fn open_library(paths: &[PathBuf]) -> Library {
    if paths.is_empty() {
        Library::embedded()
    } else {
        Library::open(paths)
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::List { paths, json, sort }) => list(&paths, json, sort.into()),
        Some(Command::Check { paths }) => Ok(check(&paths)),
        Some(Command::Render(args)) => render(&args),
        Some(Command::Serve(a)) => {
            crate::ssh::serve(
                &a.paths,
                &crate::ssh::ServeOptions {
                    listen: a.listen,
                    authorized_keys: a.authorized_keys,
                    open: a.open,
                    host_key: a.host_key,
                    max_sessions: a.max_sessions,
                    rate_per_minute: a.rate,
                    idle_timeout: a.idle_timeout,
                    state_dir: a.state_dir,
                    log: a.log,
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Search {
            query,
            paths,
            json,
            limit,
        }) => search(&query, &paths, json, limit),
        None => {
            if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
                reader(&cli.paths, cli.bidi, cli.no_shape)
            } else {
                list(&cli.paths, false, SortKey::Date)
            }
        }
    }
}

fn reader(paths: &[PathBuf], bidi: Option<BidiMode>, no_shape: bool) -> anyhow::Result<ExitCode> {
    let (config, warning) = Config::load();
    let paths: Vec<PathBuf> = if paths.is_empty() {
        config.library.clone()
    } else {
        paths.to_vec()
    };
    let lib = open_library(&paths);
    if lib.is_empty() && !paths.is_empty() {
        report_problems(&lib, false);
        anyhow::bail!("no article was found in {}", display_paths(&paths));
    }
    let opts = Options {
        base: BaseDir::Auto,
        fallback: Direction::Ltr,
        mode: bidi_mode(bidi, &config)?,
        shape: !no_shape && config.shape,
    };
    let (store, state_warning) = match crate::state::Store::default_path() {
        Some(p) => crate::state::Store::open(&p),
        None => (crate::state::Store::in_memory(), None),
    };
    let problems = lib.problems().iter().filter(|p| p.unusable).count();
    let mut app = crate::app::App::new(std::sync::Arc::new(lib), &config, store, opts);
    let first_problem = app.library().problems().first().map(ToString::to_string);
    for w in [warning, state_warning].into_iter().flatten() {
        app.set_message(w);
    }
    if app.message().is_none()
        && let Some(p) = first_problem.filter(|_| problems > 0)
    {
        let more = if problems > 1 {
            format!(" ({problems} files were skipped; `qari check` lists them)")
        } else {
            String::new()
        };
        app.set_message(format!("{p}{more}"));
    }
    let theme = crate::ui::Theme::new(&config.theme, crate::ui::Colors::from_env());
    match crate::tty::run(app, theme)? {
        Some(sig) => Ok(ExitCode::from(u8::try_from(128 + sig).unwrap_or(1))),
        None => Ok(ExitCode::SUCCESS),
    }
}

fn report_problems(lib: &Library, all: bool) {
    let mut err = std::io::stderr().lock();
    for p in lib.problems() {
        if all || p.unusable {
            let _ = writeln!(err, "qari: {p}");
        }
    }
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    id: &'a str,
    path: &'a str,
    title: &'a str,
    dates: Vec<String>,
    lang: crate::article::Lang,
    direction: crate::article::Direction,
    source: Option<&'a str>,
    blocks: usize,
    words: usize,
}

fn list(paths: &[PathBuf], json: bool, sort: SortKey) -> anyhow::Result<ExitCode> {
    let lib = open_library(paths);
    report_problems(&lib, false);
    if lib.is_empty() && !paths.is_empty() {
        anyhow::bail!("no article was found in {}", display_paths(paths));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        lib.load_all();
        let entries: Vec<JsonEntry<'_>> = lib
            .view(sort, &Filter::default())
            .into_iter()
            .map(|i| {
                let e = lib.entry(i);
                JsonEntry {
                    id: &e.id,
                    path: &e.path,
                    title: &e.title,
                    dates: e.dates.iter().map(|d| d.to_iso()).collect(),
                    lang: e.lang,
                    direction: e.direction,
                    source: e.source.as_deref(),
                    blocks: lib.article(i).map_or(0, |a| a.blocks.len()),
                    words: e.words,
                }
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &entries)?;
        writeln!(out)?;
    } else {
        list_lines(&lib, sort, &mut out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn list_lines(lib: &Library, sort: SortKey, out: &mut impl Write) -> std::io::Result<()> {
    for i in lib.view(sort, &Filter::default()) {
        let e = lib.entry(i);
        let date = e
            .date
            .map_or_else(|| "----------".to_owned(), |d| d.day().to_string());
        writeln!(
            out,
            "{date}  {:<3}  {:>6}  {}  {}",
            e.lang.code(),
            e.words,
            e.id,
            e.title
        )?;
    }
    Ok(())
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let lib = open_library(paths);
    report_problems(&lib, true);
    let unusable = lib.problems().iter().filter(|p| p.unusable).count();
    let _ = writeln!(
        std::io::stdout(),
        "{} files read, {} articles loaded, {} files unusable, {} with warnings.",
        lib.files(),
        lib.len(),
        unusable,
        lib.problems().iter().filter(|p| !p.unusable).count()
    );
    if unusable > 0 || (lib.is_empty() && !paths.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The bidi mode: the flag, else `$QARI_BIDI`, else the config file, else `app`.
pub fn bidi_mode(flag: Option<BidiMode>, config: &Config) -> anyhow::Result<BidiMode> {
    if let Some(m) = flag {
        return Ok(m);
    }
    if let Ok(v) = std::env::var("QARI_BIDI")
        && !v.trim().is_empty()
    {
        return BidiMode::parse(&v).ok_or_else(|| {
            anyhow::anyhow!("QARI_BIDI is '{v}', which is not one of app, terminal, off")
        });
    }
    Ok(config.bidi)
}

fn render(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    use std::io::Read as _;
    let (config, warning) = Config::load();
    if let Some(w) = warning {
        eprintln!("qari: {w}");
    }
    let opts = Options {
        base: args.dir.into(),
        fallback: Direction::Ltr,
        mode: bidi_mode(args.bidi, &config)?,
        shape: !args.no_shape && config.shape,
    };
    let width = args.width.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w))
        } else {
            80
        }
    });
    let (bytes, name) = match &args.file {
        Some(p) if p.as_os_str() != "-" => (
            std::fs::read(p)
                .map_err(|e| anyhow::anyhow!("{}: {}", p.display(), io_sentence(&e)))?,
            p.display().to_string(),
        ),
        _ => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf)?;
            (buf, "standard input".to_owned())
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.plain {
        let text = simdutf8::basic::from_utf8(&bytes).map_or_else(
            |_| String::from_utf8_lossy(&bytes),
            std::borrow::Cow::Borrowed,
        );
        let text = article::sanitize(&text);
        // Lines are independent: lay them out on every core, a batch at a time, and print
        // them in order.
        let input: Vec<&str> = text.lines().collect();
        for batch in input.chunks(4096) {
            let printed = crate::par::par_map(batch.len(), |i| {
                let mut s = String::new();
                let prepared = layout::prepare(batch[i], opts);
                let lines = prepared.wrap(width);
                if lines.is_empty() {
                    s.push('\n');
                }
                for l in &lines {
                    let start = s.len();
                    prepared.push_plain(l, &mut s);
                    let kept = s.get(start..).map_or(0, |t| t.trim_end().len());
                    s.truncate(start + kept);
                    s.push('\n');
                }
                s
            });
            for s in printed {
                out.write_all(s.as_bytes())?;
            }
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let format = args
        .file
        .as_deref()
        .and_then(Format::from_path)
        .unwrap_or(Format::Txt);
    let loaded =
        article::parse(&bytes, format, &name).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    for w in &loaded.warnings {
        eprintln!("qari: {name}: {w}.");
    }
    for (i, a) in loaded.articles.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        layout::document::write_plain(a, width, opts, &mut out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn io_sentence(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

#[derive(Serialize)]
struct JsonHit<'a> {
    id: &'a str,
    title: &'a str,
    matches: usize,
    snippet: String,
}

fn search(
    query: &str,
    paths: &[PathBuf],
    json: bool,
    limit: Option<usize>,
) -> anyhow::Result<ExitCode> {
    use crate::search::{Index, Query, first_match, snippet_window};
    let q = Query::parse(query);
    if q.is_empty() {
        anyhow::bail!("the query is empty");
    }
    let lib = open_library(paths);
    report_problems(&lib, false);
    let index = Index::build(&lib);
    let hits = index.search(&q);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut rows = Vec::new();
    for h in hits.iter().take(limit.unwrap_or(usize::MAX)) {
        let e = lib.entry(h.index);
        let snippet = lib
            .article(h.index)
            .ok()
            .and_then(|a| {
                let (block, m) = first_match(&a, &q)?;
                let text = block.map_or(a.title.as_str(), |b| a.blocks[b].text.as_str());
                let (w, _) = snippet_window(text, &m, 80);
                text.get(w)
                    .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            })
            .unwrap_or_default();
        rows.push(JsonHit {
            id: &e.id,
            title: &e.title,
            matches: h.count,
            snippet,
        });
    }
    if json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        for r in &rows {
            writeln!(out, "{}\t{}\t{}", r.id, r.title, r.snippet)?;
        }
    }
    out.flush()?;
    Ok(if rows.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
