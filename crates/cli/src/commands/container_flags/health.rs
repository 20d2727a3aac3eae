//! `--health-cmd`, `--health-interval`, `--health-timeout`, `--health-retries`,
//! `--health-start-period`, `--health-start-interval`, `--no-healthcheck` → Docker's
//! `HealthConfig` (durations in nanoseconds).

use engine::containers::config::HealthConfig;

use super::error::FlagError;
use super::units::parse_go_duration;

/// The health flags as typed.
#[derive(Debug, Default)]
pub struct HealthFlags<'a> {
    pub cmd: Option<&'a str>,
    pub interval: Option<&'a str>,
    pub timeout: Option<&'a str>,
    pub start_period: Option<&'a str>,
    pub start_interval: Option<&'a str>,
    pub retries: Option<i64>,
    pub disabled: bool,
}

fn duration(flag: &str, v: Option<&str>) -> Result<i64, FlagError> {
    match v {
        None => Ok(0),
        Some(v) => parse_go_duration(v).map_err(|e| FlagError::value(flag, v, e)),
    }
}

/// `None` when no health flag was given (the image's `HEALTHCHECK` applies).
pub fn parse_health(f: &HealthFlags<'_>) -> Result<Option<HealthConfig>, FlagError> {
    let interval = duration("--health-interval", f.interval)?;
    let timeout = duration("--health-timeout", f.timeout)?;
    let start_period = duration("--health-start-period", f.start_period)?;
    let start_interval = duration("--health-start-interval", f.start_interval)?;
    let retries = f.retries.unwrap_or(0);
    let cmd = f.cmd.unwrap_or("");
    let any = !cmd.is_empty()
        || interval != 0
        || timeout != 0
        || start_period != 0
        || retries != 0
        || start_interval != 0;
    if f.disabled {
        if any {
            return Err(FlagError::invalid(
                "--no-healthcheck conflicts with --health-* options",
            ));
        }
        return Ok(Some(HealthConfig {
            test: vec!["NONE".into()],
            ..HealthConfig::default()
        }));
    }
    if !any {
        return Ok(None);
    }
    for (value, flag) in [
        (interval, "--health-interval"),
        (timeout, "--health-timeout"),
        (retries, "--health-retries"),
        (start_period, "--health-start-period"),
        (start_interval, "--health-start-interval"),
    ] {
        if value < 0 {
            return Err(FlagError::invalid(format!("{flag} cannot be negative")));
        }
    }
    let test = if cmd.is_empty() {
        Vec::new()
    } else {
        vec!["CMD-SHELL".into(), cmd.into()]
    };
    Ok(Some(HealthConfig {
        test,
        interval,
        timeout,
        start_period,
        start_interval,
        retries,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full() {
        let h = parse_health(&HealthFlags {
            cmd: Some("curl -f http://localhost/"),
            interval: Some("30s"),
            timeout: Some("1m30s"),
            start_period: Some("500ms"),
            start_interval: Some("2s"),
            retries: Some(3),
            disabled: false,
        })
        .unwrap()
        .unwrap();
        assert_eq!(h.test, ["CMD-SHELL", "curl -f http://localhost/"]);
        assert_eq!(h.interval, 30_000_000_000);
        assert_eq!(h.timeout, 90_000_000_000);
        assert_eq!(h.start_period, 500_000_000);
        assert_eq!(h.start_interval, 2_000_000_000);
        assert_eq!(h.retries, 3);
    }

    #[test]
    fn none_and_disabled() {
        assert_eq!(parse_health(&HealthFlags::default()).unwrap(), None);
        let h = parse_health(&HealthFlags {
            disabled: true,
            ..HealthFlags::default()
        })
        .unwrap()
        .unwrap();
        assert_eq!(h.test, ["NONE"]);
        let only_interval = parse_health(&HealthFlags {
            interval: Some("5s"),
            ..HealthFlags::default()
        })
        .unwrap()
        .unwrap();
        assert!(only_interval.test.is_empty());
    }

    #[test]
    fn errors() {
        let e = parse_health(&HealthFlags {
            disabled: true,
            cmd: Some("true"),
            ..HealthFlags::default()
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "--no-healthcheck conflicts with --health-* options"
        );
        let e = parse_health(&HealthFlags {
            interval: Some("5"),
            ..HealthFlags::default()
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid argument \"5\" for \"--health-interval\" flag: time: missing unit in duration \"5\""
        );
        let e = parse_health(&HealthFlags {
            timeout: Some("-1s"),
            ..HealthFlags::default()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "--health-timeout cannot be negative");
    }
}
