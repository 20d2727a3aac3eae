//! `-e/--env`, `--env-file`, `-l/--label`, `--label-file`: Docker's `KEY=value` lists and
//! its env-file format (`#` comments, blank lines, leading blanks dropped, a bare `KEY`
//! taken from berth's own environment).

use std::collections::BTreeMap;

use super::error::{go_io_error, FlagError};

/// Looks a variable up in the CLI's environment; tests pass their own.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// `-e KEY=v` as is; `-e KEY` takes the value from `lookup` and is dropped if unset.
pub fn parse_env_flag(value: &str, lookup: Lookup<'_>) -> Result<Option<String>, FlagError> {
    let (key, has_value) = match value.split_once('=') {
        Some((k, _)) => (k, true),
        None => (value, false),
    };
    if key.is_empty() {
        return Err(FlagError::value(
            "-e, --env",
            value,
            format!("invalid environment variable: {value}"),
        ));
    }
    if has_value {
        return Ok(Some(value.to_string()));
    }
    Ok(lookup(key).map(|v| format!("{key}={v}")))
}

/// `-l KEY[=v]` (a bare key is an empty label).
pub fn validate_label(value: &str) -> Result<(), FlagError> {
    let key = value.split_once('=').map_or(value, |(k, _)| k);
    let key = key.trim_start_matches([' ', '\t']);
    if key.is_empty() {
        return Err(FlagError::value(
            "-l, --label",
            value,
            format!("invalid label '{value}': empty name"),
        ));
    }
    if key.contains([' ', '\t']) {
        return Err(FlagError::value(
            "-l, --label",
            value,
            format!("label '{key}' contains whitespaces"),
        ));
    }
    Ok(())
}

/// Docker's key-value file syntax. `lookup` fills bare keys (`--env-file`); without one
/// (`--label-file`) bare keys are skipped, as in Docker.
pub fn parse_kv_text(text: &[u8], lookup: Option<Lookup<'_>>) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (n, raw) in text.split(|b| *b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = std::str::from_utf8(raw)
            .map_err(|_| format!("invalid utf8 bytes at line {}: {raw:?}", n + 1))?;
        let line = if n == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, has_value) = match line.split_once('=') {
            Some((k, _)) => (k, true),
            None => (line, false),
        };
        if key.is_empty() {
            return Err(format!("no variable name on line '{line}'"));
        }
        if key.contains([' ', '\t']) {
            return Err(format!("variable '{key}' contains whitespaces"));
        }
        if has_value {
            out.push(line.to_string());
        } else if let Some(lookup) = lookup {
            if let Some(v) = lookup(line) {
                out.push(format!("{key}={v}"));
            }
        }
    }
    Ok(out)
}

/// Reads one `--env-file`/`--label-file` (`flag` names it in the error, as Docker does).
pub fn read_kv_file(
    flag: &str,
    path: &str,
    lookup: Option<Lookup<'_>>,
) -> Result<Vec<String>, FlagError> {
    let text = std::fs::read(path)
        .map_err(|e| FlagError::invalid(format!("{flag}: {}", go_io_error("open", path, &e))))?;
    parse_kv_text(&text, lookup)
        .map_err(|e| FlagError::invalid(format!("{flag}: invalid env file ({path}): {e}")))
}

/// `KEY=v` strings to a map (a bare `KEY` maps to `""`); later entries win.
pub fn to_map(items: &[String]) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (s.clone(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "HOME" => Some("/root".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn env_flag() {
        assert_eq!(parse_env_flag("A=1", &env), Ok(Some("A=1".into())));
        assert_eq!(parse_env_flag("A=", &env), Ok(Some("A=".into())));
        assert_eq!(parse_env_flag("HOME", &env), Ok(Some("HOME=/root".into())));
        assert_eq!(parse_env_flag("EMPTY", &env), Ok(Some("EMPTY=".into())));
        assert_eq!(parse_env_flag("UNSET", &env), Ok(None));
        assert_eq!(
            parse_env_flag("=x", &env).map_err(|e| e.to_string()),
            Err(
                "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x"
                    .into()
            )
        );
    }

    #[test]
    fn env_file_syntax() {
        let text = b"\xEF\xBB\xBF# comment\n\n  A=1\nB= spaced value \nHOME\nUNSET\r\nC=a=b\n";
        assert_eq!(
            parse_kv_text(text, Some(&env)),
            Ok(vec![
                "A=1".to_string(),
                "B= spaced value ".to_string(),
                "HOME=/root".to_string(),
                "C=a=b".to_string(),
            ])
        );
        assert_eq!(
            parse_kv_text(b"=x\n", Some(&env)),
            Err("no variable name on line '=x'".into())
        );
        assert_eq!(
            parse_kv_text(b"A B=x\n", Some(&env)),
            Err("variable 'A B' contains whitespaces".into())
        );
        assert_eq!(parse_kv_text(b"HOME\n", None), Ok(vec![]));
    }

    #[test]
    fn env_file_missing() {
        let e = read_kv_file("--env-file", "/nonexistent/berth.env", Some(&env)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--env-file: open /nonexistent/berth.env: no such file or directory"
        );
    }

    #[test]
    fn labels() {
        assert!(validate_label("a=b").is_ok());
        assert!(validate_label("a").is_ok());
        assert_eq!(
            validate_label("=b").unwrap_err().to_string(),
            "invalid argument \"=b\" for \"-l, --label\" flag: invalid label '=b': empty name"
        );
        assert_eq!(
            validate_label("a b=c").unwrap_err().to_string(),
            "invalid argument \"a b=c\" for \"-l, --label\" flag: label 'a b' contains whitespaces"
        );
        let m = to_map(&["a=1".into(), "b".into(), "a=2".into()]);
        assert_eq!(m.get("a").map(String::as_str), Some("2"));
        assert_eq!(m.get("b").map(String::as_str), Some(""));
    }
}
