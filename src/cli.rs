//! The command line: `qari [PATH…]`, `qari list`, `qari check`, and the commands later modules
//! add. Errors are one sentence on stderr; exit codes are 0 ok, 1 runtime error, 2 usage error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::article::{self, Direction, Format};
use crate::config::Config;
use crate::escape;
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
    /// the config file, else `terminal` in mlterm and `app` elsewhere.
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
    /// The host key, Ed25519, ECDSA or RSA, mode 0600 (an Ed25519 one is generated there on
    /// first run; default: in the state directory).
    #[arg(long)]
    pub host_key: Option<PathBuf>,
    /// Sessions at once (logged-in connections).
    #[arg(long, default_value_t = 64, value_parser = at_least_one)]
    pub max_sessions: usize,
    /// New connections a minute from one address.
    #[arg(long, default_value_t = 30, value_parser = at_least_one)]
    pub rate: usize,
    /// Close a session after this long without input (e.g. 30m, 90s, 2h).
    #[arg(long, default_value = "30m", value_parser = longer_than_zero)]
    pub idle_timeout: std::time::Duration,
    /// Time from connecting to logging in (version line, key exchange and authentication).
    #[arg(long, default_value = "30s", value_parser = longer_than_zero)]
    pub login_grace_time: std::time::Duration,
    /// Connections not logged in yet, at once (like sshd's `MaxStartups`).
    #[arg(long, default_value_t = 128, value_parser = at_least_one)]
    pub max_startups: usize,
    /// Connections not logged in yet from one address, at once.
    #[arg(long, default_value_t = 32, value_parser = at_least_one)]
    pub max_startups_per_address: usize,
    /// Where per-user reading state is kept (default: the XDG state directory).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Write the log to this file instead of stderr.
    #[arg(long)]
    pub log: Option<PathBuf>,
}

/// A limit of `serve`: 0 would turn everyone away.
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("0 would turn everyone away; give at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "'{}' is not a whole number",
            crate::escape::display(s)
        )),
    }
}

/// A time limit of `serve`: 0 would turn everyone away.
fn longer_than_zero(s: &str) -> Result<std::time::Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err("0 would turn everyone away; give a time like 30s or 30m".to_owned());
    }
    Ok(d)
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
    /// Width in columns, at most 10000; 0 means no wrapping. Default: the terminal's, else 80.
    #[arg(long, value_parser = parse_width)]
    pub width: Option<usize>,
    /// Who reorders: qari (`app`), the terminal (`terminal`), or nobody (`off`).
    /// Default: `$QARI_BIDI`, the config file, else `terminal` in mlterm and `app` elsewhere.
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

/// The widest `render --width`: lines are padded to the width, so it bounds every line.
pub const MAX_WIDTH: usize = 10_000;

fn parse_width(s: &str) -> Result<usize, String> {
    match s.trim().parse::<u64>() {
        Ok(w) if w <= MAX_WIDTH as u64 => Ok(w as usize),
        Ok(_) => Err(format!("the width is at most {MAX_WIDTH} columns")),
        Err(_) => Err(format!(
            "'{}' is not a number of columns",
            escape::display(s)
        )),
    }
}

fn parse_bidi(s: &str) -> Result<BidiMode, String> {
    BidiMode::parse(s)
        .ok_or_else(|| format!("'{}' is not one of app, terminal, off", escape::display(s)))
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
            eprintln!("qari: {}", escape::display(&sentence(&e)));
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
                    login_grace_time: a.login_grace_time,
                    max_startups: a.max_startups,
                    max_startups_per_address: a.max_startups_per_address,
                    state_dir: a.state_dir,
                    log: a.log,
                },
            )?;
            // Sessions that ended last may still be saving.
            report_save_errors();
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
    let first_problem = app
        .library()
        .problems()
        .iter()
        .find(|p| p.unusable)
        .map(ToString::to_string);
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
    let ended = crate::tty::run(app, theme);
    // The last save was queued as the reader closed: wait for it, and say if it failed.
    let failed = report_save_errors();
    match ended? {
        Some(sig) => Ok(ExitCode::from(u8::try_from(128 + sig).unwrap_or(1))),
        None if failed => Ok(ExitCode::from(1)),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Waits for every state save still being written and prints each failure not shown yet;
/// true when one failed.
fn report_save_errors() -> bool {
    let errors = crate::state::flush_all();
    for e in &errors {
        eprintln!("qari: {}", escape::display(e));
    }
    !errors.is_empty()
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
    author: Option<String>,
    url: Option<String>,
    tags: Vec<String>,
    encoding: crate::article::TextEncoding,
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
                let a = lib.article(i).ok();
                JsonEntry {
                    id: &e.id,
                    path: &e.path,
                    title: &e.title,
                    dates: e.dates.iter().map(|d| d.to_iso()).collect(),
                    lang: e.lang,
                    direction: e.direction,
                    source: e.source.as_deref(),
                    author: a.as_ref().and_then(|a| a.byline.clone()),
                    url: a.as_ref().and_then(|a| a.url.clone()),
                    tags: a.as_ref().map(|a| a.tags.clone()).unwrap_or_default(),
                    encoding: e.encoding,
                    blocks: a.as_ref().map_or(0, |a| a.blocks.len()),
                    words: e.words,
                }
            })
            .collect();
        write_json(&mut out, &entries)?;
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
            escape::display(&e.id),
            escape::display(&e.title)
        )?;
    }
    Ok(())
}

/// Pretty JSON with every control character escaped: `serde_json` escapes C0 but leaves DEL,
/// C1, the line separators and the bidi embeddings, overrides and isolates raw; they can only
/// occur inside strings, where `\uXXXX` means the same.
fn write_json(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    out.write_all(json_escaped(&text).as_bytes())?;
    writeln!(out)?;
    Ok(())
}

fn json_escaped(text: &str) -> std::borrow::Cow<'_, str> {
    let raw = |c: char| {
        matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
    };
    if !text.chars().any(raw) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(text.len() + 64);
    for c in text.chars() {
        if raw(c) {
            use std::fmt::Write as _;
            let _ = write!(s, "\\u{:04x}", u32::from(c));
        } else {
            s.push(c);
        }
    }
    std::borrow::Cow::Owned(s)
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| escape::path(p))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let lib = open_library(paths);
    report_problems(&lib, true);
    let unusable = lib.problems().iter().filter(|p| p.unusable).count();
    let mut out = std::io::stdout().lock();
    let mut last_path = None;
    for i in 0..lib.len() {
        let e = lib.entry(i);
        if e.encoding.is_notable() && last_path != Some(e.path.as_str()) {
            let _ = writeln!(out, "{}: {}.", e.path, e.encoding.describe());
            last_path = Some(e.path.as_str());
        }
    }
    let _ = writeln!(
        out,
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

/// The bidi mode: the flag, else `$QARI_BIDI`, else the config file, else the terminal's
/// (`terminal` in mlterm, else `app`; see [`crate::terminal`]).
pub fn bidi_mode(flag: Option<BidiMode>, config: &Config) -> anyhow::Result<BidiMode> {
    Ok(crate::terminal::local_mode(flag, config.bidi)?)
}

fn render(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let (config, warning) = Config::load();
    if let Some(w) = warning {
        eprintln!("qari: {}", escape::display(&w));
    }
    let opts = Options {
        base: args.dir.into(),
        fallback: Direction::Ltr,
        mode: bidi_mode(args.bidi, &config)?,
        shape: !args.no_shape && config.shape,
    };
    let width = args.width.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w).min(MAX_WIDTH))
        } else {
            80
        }
    });
    let (bytes, name) = render_input(args)?;
    let tty = std::io::stdout().is_terminal();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // To a terminal, the mode's own sequences around the output and (in `terminal` mode) each
    // line's direction; to a pipe, none of them.
    let framed = if tty { opts.mode } else { BidiMode::Off };
    let per_line = framed == BidiMode::Terminal;
    out.write_all(crate::terminal::enter(framed).as_bytes())?;
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
                    if per_line {
                        s.push_str(crate::terminal::direction(l.rtl));
                    }
                    let start = s.len();
                    if opts.mode == BidiMode::Terminal && l.rtl {
                        // The terminal aligns it: no padding.
                        let mut l = l.clone();
                        l.offset = 0;
                        prepared.push_plain(&l, &mut s);
                    } else {
                        prepared.push_plain(l, &mut s);
                    }
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
        out.write_all(crate::terminal::leave(framed).as_bytes())?;
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
        eprintln!("qari: {name}: {}.", escape::display(w));
    }
    for (i, a) in loaded.articles.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        // Line by line: what is held at once is one line, at most the width.
        layout::document::write_lines(a, width, opts, per_line, &mut out)?;
    }
    out.write_all(crate::terminal::leave(framed).as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The bytes `render` is to print and the name to give them in messages: the file named (a
/// regular file, within the size limit) or standard input.
fn render_input(args: &RenderArgs) -> anyhow::Result<(Vec<u8>, String)> {
    use std::io::Read as _;
    let max = crate::library::MAX_ARTICLE_BYTES;
    Ok(match &args.file {
        Some(p) if p.as_os_str() != "-" => {
            let name = escape::path(p);
            let bytes = match crate::library::read_regular(p, max) {
                Ok(b) => b,
                Err(crate::library::ReadError::Io(e)) => {
                    anyhow::bail!("{name}: {}", io_sentence(&e))
                }
                Err(e) => anyhow::bail!("{name}: {e}"),
            };
            (bytes, name)
        }
        _ => {
            let mut buf = Vec::new();
            std::io::stdin().take(max + 1).read_to_end(&mut buf)?;
            if buf.len() as u64 > max {
                anyhow::bail!(
                    "standard input is over the limit of {} for an article",
                    crate::library::size_text(max)
                );
            }
            (buf, "standard input".to_owned())
        }
    })
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
    for file in lib.title_only() {
        eprintln!(
            "qari: {file}: only its title is searched: it is over {}, so its text is read only \
             when it is opened.",
            crate::library::size_text(crate::library::LAZY_BYTES)
        );
    }
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
                let (place, m) = first_match(&a, &q)?;
                let text = place.text(&a)?;
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
        write_json(&mut out, &rows)?;
    } else {
        for r in &rows {
            writeln!(
                out,
                "{}\t{}\t{}",
                escape::display(r.id),
                escape::display(r.title),
                escape::display(&r.snippet)
            )?;
        }
    }
    out.flush()?;
    Ok(if rows.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_output_escapes_what_serde_json_leaves_raw() {
        let title = "a\u{7f}b\u{85}c\u{9b}2J\u{2028}\u{202e}x\u{2067}y\u{2069} عربي \u{200f}";
        let mut out = Vec::new();
        write_json(&mut out, &[title]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "[\n  \"a\\u007fb\\u0085c\\u009b2J\\u2028\\u202ex\\u2067y\\u2069 عربي \u{200f}\"\n]\n"
        );
        let back: Vec<String> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, [title]);
    }

    #[test]
    fn widths_beyond_the_cap_are_usage_errors() {
        assert_eq!(parse_width("0"), Ok(0));
        assert_eq!(parse_width("10000"), Ok(10_000));
        assert_eq!(
            parse_width("4294967296"),
            Err("the width is at most 10000 columns".to_owned())
        );
        assert!(parse_width("\u{1b}[2J").unwrap_err().contains("'␛[2J'"));
    }
}
