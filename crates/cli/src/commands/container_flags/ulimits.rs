//! `--ulimit name=soft[:hard]` (go-units `ParseUlimit`); `-1` or `unlimited` is no limit.

use std::collections::BTreeMap;

use engine::containers::config::Ulimit;

use super::error::{quote, FlagError};

const NAMES: [&str; 15] = [
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// Parses every `--ulimit`; a later one for the same name wins; sorted by name, as Docker.
pub fn parse_ulimits(values: &[String]) -> Result<Vec<Ulimit>, FlagError> {
    let mut by_name = BTreeMap::new();
    for v in values {
        let u = parse_ulimit(v).map_err(|e| FlagError::value("--ulimit", v, e))?;
        by_name.insert(u.name.clone(), u);
    }
    Ok(by_name.into_values().collect())
}

fn limit(s: &str) -> Result<i64, String> {
    if s == "unlimited" {
        return Ok(-1);
    }
    parse_decimal(s)
}

/// `strconv.ParseInt(s, 10, 64)`, with its error texts.
pub(crate) fn parse_decimal(s: &str) -> Result<i64, String> {
    use std::num::IntErrorKind;
    s.parse::<i64>().map_err(|e| {
        let why = match e.kind() {
            IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => "value out of range",
            _ => "invalid syntax",
        };
        format!("strconv.ParseInt: parsing {}: {why}", quote(s))
    })
}

fn parse_ulimit(val: &str) -> Result<Ulimit, String> {
    let (name, value) = val
        .split_once('=')
        .ok_or_else(|| format!("invalid ulimit argument: {val}"))?;
    if !NAMES.contains(&name) {
        return Err(format!("invalid ulimit type: {name}"));
    }
    let (soft, hard) = match value.split_once(':') {
        Some((s, h)) => {
            let hard = limit(h)?;
            (limit(s)?, hard)
        }
        None => {
            let s = limit(value)?;
            (s, s)
        }
    };
    if hard != -1 {
        if soft == -1 {
            return Err(format!(
                "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: {hard}"
            ));
        }
        if soft > hard {
            return Err(format!(
                "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
            ));
        }
    }
    Ok(Ulimit {
        name: name.to_string(),
        soft,
        hard,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &str) -> Result<(String, i64, i64), String> {
        parse_ulimits(&[v.to_string()])
            .map(|u| (u[0].name.clone(), u[0].soft, u[0].hard))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn forms() {
        assert_eq!(parse("nofile=10:20"), Ok(("nofile".into(), 10, 20)));
        assert_eq!(parse("nofile=1024"), Ok(("nofile".into(), 1024, 1024)));
        assert_eq!(parse("core=-1"), Ok(("core".into(), -1, -1)));
        assert_eq!(parse("memlock=unlimited"), Ok(("memlock".into(), -1, -1)));
        assert_eq!(parse("nproc=10:unlimited"), Ok(("nproc".into(), 10, -1)));
        let all = parse_ulimits(&["nproc=1".into(), "core=0".into(), "nproc=2".into()]).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].name.as_str(), all[1].soft), ("core", 2));
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse("nofile=20:10").unwrap_err(),
            "invalid argument \"nofile=20:10\" for \"--ulimit\" flag: ulimit soft limit must be less than or equal to hard limit: 20 > 10"
        );
        assert_eq!(
            parse("bogus=1").unwrap_err(),
            "invalid argument \"bogus=1\" for \"--ulimit\" flag: invalid ulimit type: bogus"
        );
        assert_eq!(
            parse("nofile").unwrap_err(),
            "invalid argument \"nofile\" for \"--ulimit\" flag: invalid ulimit argument: nofile"
        );
        assert_eq!(
            parse("nofile=x").unwrap_err(),
            "invalid argument \"nofile=x\" for \"--ulimit\" flag: strconv.ParseInt: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            parse("nofile=-1:10").unwrap_err(),
            "invalid argument \"nofile=-1:10\" for \"--ulimit\" flag: ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 10"
        );
    }
}
