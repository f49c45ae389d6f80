//! The colours: the theme's styles and how many colours the terminal shows.

use super::*;

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Colors {
    /// None: `NO_COLOR` is set, or the terminal is dumb.
    None,
    /// The 16 ANSI colours.
    Ansi16,
    /// The 256-colour palette.
    Ansi256,
    /// 24-bit colour.
    True,
}

impl Colors {
    /// Decides from the values of `TERM`, `COLORTERM` and `NO_COLOR` given (a session's own,
    /// never read from the process here, so SSH sessions do not leak into each other).
    pub fn detect(term: Option<&str>, colorterm: Option<&str>, no_color: Option<&str>) -> Self {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return Self::None;
        }
        let term = term.unwrap_or("");
        if term == "dumb" {
            return Self::None;
        }
        if let Some("truecolor" | "24bit") = colorterm.map(str::to_ascii_lowercase).as_deref() {
            return Self::True;
        }
        if term.contains("256color") || term.contains("direct") {
            Self::Ansi256
        } else {
            Self::Ansi16
        }
    }

    /// From this process's environment (the local terminal).
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok();
        Self::detect(
            var("TERM").as_deref(),
            var("COLORTERM").as_deref(),
            var("NO_COLOR").as_deref(),
        )
    }
}

/// Resolved styles for each part of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub(super) title: Style,
    pub(super) heading: Style,
    pub(super) quote: Style,
    pub(super) meta: Style,
    pub(super) bar: Style,
    pub(super) mark: Style,
    pub(super) matched: Style,
    pub(super) current: Style,
    /// Whether links are sent as terminal hyperlinks (OSC 8).
    pub(super) hyperlinks: bool,
}

/// The 16 ANSI colours, in index order, with the RGB values xterm gives them.
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

/// The RGB value of a palette index (the 16 colours, the 6×6×6 cube, the grey ramp).
pub(super) fn index_rgb(n: u8) -> (u8, u8, u8) {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match n {
        0..=15 => ANSI16[usize::from(n)].1,
        16..=231 => {
            let k = n - 16;
            (
                LEVELS[usize::from(k / 36)],
                LEVELS[usize::from(k / 6 % 6)],
                LEVELS[usize::from(k % 6)],
            )
        }
        _ => {
            let v = 8 + (n - 232) * 10;
            (v, v, v)
        }
    }
}

pub(super) fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| u32::from(x.abs_diff(y)).pow(2);
    d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)
}

/// The colour a terminal with `colors` can show that is nearest to `c`: a palette index or
/// an RGB value becomes the nearest of the 16 colours on a 16-colour terminal (never
/// nothing, so that a match's background stays visible), an RGB value the nearest palette
/// index on a 256-colour one.
pub fn downgrade(c: Color, colors: Colors) -> Color {
    let rgb = match c {
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(n) => Some(index_rgb(n)),
        _ => None,
    };
    match (colors, c, rgb) {
        (Colors::None, ..) => Color::Reset,
        (Colors::Ansi16, Color::Indexed(n), _) if n < 16 => ANSI16[usize::from(n)].0,
        (Colors::Ansi16, _, Some(rgb)) => ANSI16
            .iter()
            .min_by_key(|(_, v)| distance(*v, rgb))
            .map_or(Color::Reset, |(c, _)| *c),
        (Colors::Ansi256, Color::Rgb(..), Some(rgb)) => (16..=255u8)
            .min_by_key(|&n| distance(index_rgb(n), rgb))
            .map_or(Color::Reset, Color::Indexed),
        _ => c,
    }
}

impl Theme {
    /// The theme of the config for a terminal with `colors` (an invalid colour is the
    /// terminal's own; [`crate::config::Theme::validate`] says which).
    pub fn new(cfg: &crate::config::Theme, colors: Colors) -> Self {
        let color = |name: &str| -> Color {
            let c = Color::from_str(name.trim()).unwrap_or(Color::Reset);
            downgrade(c, colors)
        };
        let fg = |name: &str| Style::new().fg(color(name));
        let matched = match color(&cfg.matched) {
            _ if colors == Colors::None => Style::new().add_modifier(Modifier::UNDERLINED),
            // No colour for it: reverse video, never black on the default background.
            Color::Reset => Style::new().add_modifier(Modifier::REVERSED),
            c => Style::new().bg(c).fg(Color::Black),
        };
        Self {
            title: fg(&cfg.title).add_modifier(Modifier::BOLD),
            heading: fg(&cfg.heading).add_modifier(Modifier::BOLD),
            quote: fg(&cfg.quote),
            meta: fg(&cfg.meta),
            bar: fg(&cfg.bar).add_modifier(Modifier::REVERSED),
            mark: fg(&cfg.mark).add_modifier(Modifier::BOLD),
            matched,
            current: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            hyperlinks: false,
        }
    }

    /// The theme with links sent as terminal hyperlinks (OSC 8), or not.
    #[must_use]
    pub fn with_hyperlinks(mut self, on: bool) -> Self {
        self.hyperlinks = on;
        self
    }

    /// Whether links are sent as terminal hyperlinks (OSC 8).
    pub fn hyperlinks(&self) -> bool {
        self.hyperlinks
    }
}

impl Default for Theme {
    fn default() -> Self {
        Self::new(&crate::config::Config::default().theme, Colors::Ansi16)
    }
}
