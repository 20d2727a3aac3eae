//! [`FlagError`]: Docker's wording for a `run`/`create` flag that cannot be used, and the
//! Go-style texts (`strconv.ParseInt: …`, `open x: …`) Docker's messages embed.

use std::fmt;

/// Which of Docker's two error shapes a message takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The value of one flag is malformed (pflag's `Set` failed while parsing): Docker
    /// prints `invalid argument "abc" for "-m, --memory" flag: …` and `See 'docker run --help'.`
    Value,
    /// The flags parsed but do not make a valid container (Docker's `parse()` or the
    /// daemon refused them): `docker: …` and `Run 'docker run --help' for more information`.
    Invalid,
}

/// A `run`/`create` flag error, worded as Docker words it (with `berth` for `docker`).
/// `Display` is the message alone; [`FlagError::render`] is the full text Docker prints
/// on stderr before exiting 125.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagError {
    kind: Kind,
    message: String,
}

impl FlagError {
    /// A malformed value: `invalid argument "{value}" for "{flag}" flag: {reason}`. `flag` is
    /// spelled as pflag spells it, `-m, --memory` or `--memory-swap`.
    pub(crate) fn value(flag: &str, value: &str, reason: impl fmt::Display) -> FlagError {
        FlagError {
            kind: Kind::Value,
            message: format!(
                "invalid argument {} for {} flag: {reason}",
                quote(value),
                quote(flag)
            ),
        }
    }

    /// Flags that parse but do not make a valid container.
    pub(crate) fn invalid(message: impl Into<String>) -> FlagError {
        FlagError {
            kind: Kind::Invalid,
            message: message.into(),
        }
    }

    /// What Docker's daemon refuses (berth has none, but prints the same words so output
    /// matches Docker's): `Error response from daemon: …`.
    pub(crate) fn daemon(message: impl fmt::Display) -> FlagError {
        FlagError::invalid(format!("Error response from daemon: {message}"))
    }

    /// Exit status Docker uses for these errors.
    pub fn exit_code(&self) -> u8 {
        125
    }

    /// The whole text Docker prints for `docker {command}` (`run` or `create`), with
    /// `berth`: either `invalid argument … flag: …\nSee 'berth run --help'.` or
    /// `berth: …\n\nRun 'berth run --help' for more information`.
    pub fn render(&self, command: &str) -> String {
        match self.kind {
            Kind::Value => format!("{}\nSee 'berth {command} --help'.", self.message),
            Kind::Invalid => format!(
                "berth: {}\n\nRun 'berth {command} --help' for more information",
                self.message
            ),
        }
    }
}

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FlagError {}

/// Go's `%q` for the strings flags carry.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.ParseInt(s, 0, 64)` as pflag calls it (base prefixes `0x`, `0o`, `0b`,
/// leading `0` octal, `_` separators after a prefix), with its error text.
pub(crate) fn parse_go_int(s: &str) -> Result<i64, String> {
    let syntax = || format!("strconv.ParseInt: parsing {}: invalid syntax", quote(s));
    let range = || format!("strconv.ParseInt: parsing {}: value out of range", quote(s));
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    let digits = if prefixed {
        digits.replace('_', "")
    } else {
        digits
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(syntax());
    }
    let magnitude = u64::from_str_radix(&digits, radix).map_err(|_| range())?;
    if neg {
        if magnitude > i64::MIN.unsigned_abs() {
            return Err(range());
        }
        Ok(0i64.wrapping_sub_unsigned(magnitude))
    } else {
        i64::try_from(magnitude).map_err(|_| range())
    }
}

/// pflag's bool syntax (`strconv.ParseBool`).
pub(crate) fn parse_go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            quote(s)
        )),
    }
}

/// Go's wording for a failed file operation: `open /x: no such file or directory`.
pub(crate) fn go_io_error(op: &str, path: &str, e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => &text[..i],
        None => &text,
    };
    let mut chars = text.chars();
    let text = match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect::<String>(),
        None => String::new(),
    };
    format!("{op} {path}: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_error_renders_like_pflag() {
        let e = FlagError::value("-m, --memory", "abc", "invalid size: 'abc'");
        assert_eq!(
            e.render("run"),
            "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'\nSee 'berth run --help'."
        );
        assert_eq!(e.exit_code(), 125);
    }

    #[test]
    fn invalid_renders_like_docker_parse_errors() {
        let e = FlagError::invalid("--pid: invalid PID mode");
        assert_eq!(
            e.render("create"),
            "berth: --pid: invalid PID mode\n\nRun 'berth create --help' for more information"
        );
    }

    #[test]
    fn go_ints() {
        assert_eq!(parse_go_int("512"), Ok(512));
        assert_eq!(parse_go_int("-1"), Ok(-1));
        assert_eq!(parse_go_int("0x10"), Ok(16));
        assert_eq!(parse_go_int("010"), Ok(8));
        assert_eq!(
            parse_go_int("abc"),
            Err("strconv.ParseInt: parsing \"abc\": invalid syntax".into())
        );
        assert_eq!(
            parse_go_int("99999999999999999999"),
            Err("strconv.ParseInt: parsing \"99999999999999999999\": value out of range".into())
        );
        assert_eq!(parse_go_int("-9223372036854775808"), Ok(i64::MIN));
    }

    #[test]
    fn go_io_errors() {
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(
            go_io_error("open", "/nope", &e),
            "open /nope: no such file or directory"
        );
    }
}
