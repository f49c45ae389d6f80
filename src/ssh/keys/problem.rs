//! Why one line of an `authorized_keys` file cannot be honoured: each reads as one sentence,
//! with every name or value from the file made printable and cut.

use super::MAX_LINE_BYTES;

/// What is wrong with one line (the file and line number are [`super::KeysError::Line`]'s).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    /// Over [`MAX_LINE_BYTES`].
    #[error("the line is longer than {MAX_LINE_BYTES} bytes")]
    TooLong,
    /// The key does not parse (what the key parser said, made printable).
    #[error("it is not an OpenSSH public key ({0})")]
    NotAKey(String),
    /// A quoted option value runs to the end of the line.
    #[error("an option value has no closing quote")]
    NoClosingQuote,
    /// Options and nothing after them.
    #[error("the line has options and no key after them")]
    NoKey,
    /// `name=value` without the quotes.
    #[error("the value of {0} must be in double quotes")]
    Unquoted(String),
    /// `a,b,`.
    #[error("the option list ends with a comma")]
    TrailingComma,
    /// `a"x"b`: something other than a comma after an option.
    #[error("a comma must follow {0}")]
    NoComma(String),
    /// Two `expiry-time=`.
    #[error("expiry-time is given twice")]
    ExpiryTwice,
    /// `cert-authority`, `principals=`.
    #[error("{0} is for certificates, which qari does not accept; remove the line or the option")]
    Certificates(String),
    /// `verify-required`.
    #[error(
        "verify-required asks for a check of the user's PIN or biometric that qari cannot make; remove the line or the option"
    )]
    VerifyRequired,
    /// A known option that needs a value, without one.
    #[error("the option {0} needs a value")]
    NeedsValue(String),
    /// A known flag given a value.
    #[error("the option {0} takes no value")]
    TakesNoValue(String),
    /// An option sshd does not know either.
    #[error("the option {0} is unknown, so the line cannot be honoured")]
    Unknown(String),
    /// `expiry-time=` that is not a time.
    #[error("expiry-time=\"{0}\" is not YYYYMMDD[HHMM[SS]] (with an optional Z for UTC)")]
    BadExpiry(String),
    /// `from=""` or `from="a,,b"`.
    #[error("from=\"{0}\" has an empty pattern")]
    EmptyFrom(String),
    /// A `from=` network that cannot be.
    #[error("from= pattern {pattern}: {why}")]
    BadFrom {
        /// The pattern, made printable and quoted.
        pattern: String,
        /// What is wrong with it.
        why: NetProblem,
    },
}

/// Why a `from=` pattern that looks like a network is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NetProblem {
    /// `name/8`: a prefix after something that is not an address.
    #[error("it is not an address/prefix network")]
    NotANetwork,
    /// The prefix is not 0 to this.
    #[error("the prefix length must be 0 to {0}")]
    Prefix(u32),
    /// `10.0.0.1/8`.
    #[error("it has bits set past its prefix length")]
    HostBits,
}
