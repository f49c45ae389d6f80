//! `qari render`: an article laid out as plain lines for a terminal or a pipe.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::{BadValue, load, parse_bidi};
use crate::article::{self, Format};
use crate::document::place;
use crate::escape;
use crate::frontend::{Flags, TermEnv};
use crate::layout::{self, BaseDir, BidiMode};

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
    /// The text in logical (stored) order, for pipes and other programs: never reordered,
    /// shaped, wrapped or padded, presentation forms put back as letters, the links listed at
    /// the end; no terminal sequences.
    #[arg(long, conflicts_with_all = ["width", "bidi", "no_shape", "dir"])]
    pub logical: bool,
}

/// The widest `render --width`: lines are padded to the width, so it bounds every line.
pub const MAX_WIDTH: usize = 10_000;

pub(super) fn parse_width(s: &str) -> Result<usize, BadValue> {
    match s.trim().parse::<u64>() {
        Ok(w) if w <= MAX_WIDTH as u64 => Ok(w as usize),
        Ok(_) => Err(BadValue(format!(
            "the width is at most {MAX_WIDTH} columns"
        ))),
        Err(_) => Err(BadValue(format!(
            "'{}' is not a number of columns",
            escape::display(s)
        ))),
    }
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

/// Prints the article laid out.
pub(super) fn run(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let flags = Flags {
        bidi: args.bidi,
        no_shape: args.no_shape,
        base: args.dir.into(),
        ..Flags::default()
    };
    let (_, settings, warning) = load(&flags, &TermEnv::local())?;
    if let Some(w) = warning {
        eprintln!("qari: {}", escape::display(&w));
    }
    let opts = settings.layout;
    let width = args.width.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w).min(MAX_WIDTH))
        } else {
            80
        }
    });
    let (bytes, name) = render_input(args)?;
    if args.logical {
        return logical(args, &bytes, &name);
    }
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
        // Lines are independent: laid out on every core, a batch at a time, printed in order.
        let input: Vec<&str> = text.lines().collect();
        crate::par::par_map_batched(
            &input,
            |line| plain_line(line, opts, width, per_line),
            |s| out.write_all(s.as_bytes()),
        )?;
        out.write_all(crate::terminal::leave(framed).as_bytes())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let loaded = parse_input(args, &bytes, &name)?;
    for (i, a) in loaded.articles.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        // Line by line: what is held at once is one line, at most the width.
        let directed = per_line.then_some(crate::terminal::direction as fn(bool) -> &'static str);
        crate::document::write_lines(a, width, opts, directed, &mut out)?;
    }
    out.write_all(crate::terminal::leave(framed).as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The input's articles, in the format its name says (plain text without one); the parser's
/// warnings go to stderr.
fn parse_input(args: &RenderArgs, bytes: &[u8], name: &str) -> anyhow::Result<article::Loaded> {
    let format = args
        .file
        .as_deref()
        .and_then(Format::from_path)
        .unwrap_or(Format::Txt);
    let loaded = article::parse(bytes, format, name).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    for w in &loaded.warnings {
        eprintln!("qari: {name}: {}.", escape::display(w));
    }
    Ok(loaded)
}

/// `render --logical`: the input's articles (or with `--plain` its lines) in logical order.
fn logical(args: &RenderArgs, bytes: &[u8], name: &str) -> anyhow::Result<ExitCode> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.plain {
        let text = String::from_utf8_lossy(bytes);
        for line in article::sanitize(&text).lines() {
            writeln!(out, "{}", crate::text::unshape(line))?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let loaded = parse_input(args, bytes, name)?;
    for (i, a) in loaded.articles.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        crate::document::write_logical(a, &mut out)?;
    }
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

/// One input line of `render --plain` laid out: its visual lines, each ended by a newline,
/// trailing blanks cut; with `per_line`, each line after its direction control.
fn plain_line(line: &str, opts: layout::Options, width: usize, per_line: bool) -> String {
    thread_local! {
        /// One arena and scratch a thread, emptied for each line: no allocation per line
        /// once they have grown.
        static ARENA: std::cell::RefCell<(layout::Prepared, layout::Scratch)> =
            std::cell::RefCell::default();
    }
    ARENA.with_borrow_mut(|(prepared, scratch)| {
        prepared.reset(opts);
        prepared.reserve_for(line);
        prepared.push_block(line, opts, 0, false, scratch);
        plain_lines(prepared, opts, width, per_line)
    })
}

/// The lines of `prepared` (one input line) as [`plain_line`] prints them.
fn plain_lines(
    prepared: &layout::Prepared,
    opts: layout::Options,
    width: usize,
    per_line: bool,
) -> String {
    let mut s = String::new();
    let lines = prepared.wrap(width);
    if lines.is_empty() {
        s.push('\n');
    }
    for l in &lines {
        if per_line {
            s.push_str(crate::terminal::direction(l.rtl));
        }
        let start = s.len();
        if opts.mode == BidiMode::Terminal {
            // Controls kept for the terminal, RTL lines unpadded: placed by the one rule.
            let visual = prepared.visual(l);
            let row = place::row_of(&visual, 0, None, width, opts.mode, true);
            place::push_placed(&visual, &row, &mut s);
        } else {
            let row = place::Row {
                rtl: l.rtl,
                offset: l.offset,
                width: l.width,
                lead: 0,
                marker: None,
                area: width,
                mode: opts.mode,
                directed: per_line,
                leading_controls: false,
                at_row_start: true,
            };
            let at = place::place(&row).text_at;
            if at == l.offset {
                prepared.push_plain(l, &mut s);
            } else {
                let mut l = l.clone();
                l.offset = at;
                prepared.push_plain(&l, &mut s);
            }
        }
        let kept = s.get(start..).map_or(0, |t| t.trim_end().len());
        s.truncate(start + kept);
        s.push('\n');
    }
    s
}
