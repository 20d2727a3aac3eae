//! `--log-driver` and `--log-opt`. berth writes `json-file` logs (the default) or none.

use std::collections::BTreeMap;

use engine::containers::config::LogConfig;

use super::env::to_map;
use super::error::FlagError;

/// `json-file`'s options, as Docker's daemon accepts them.
const JSON_FILE_OPTS: [&str; 8] = [
    "max-file",
    "max-size",
    "compress",
    "labels",
    "labels-regex",
    "env",
    "env-regex",
    "tag",
];

/// `--log-driver` (empty = the default, json-file, decided by the engine) and `--log-opt`s.
pub fn parse_logging(driver: &str, opts: &[String]) -> Result<LogConfig, FlagError> {
    let config: BTreeMap<String, String> = to_map(opts);
    if driver == "none" && !opts.is_empty() {
        return Err(FlagError::invalid(format!(
            "invalid logging opts for driver {driver}"
        )));
    }
    match driver {
        "" | "json-file" | "none" => {}
        other => {
            return Err(FlagError::daemon(format!(
                "logger: no log driver named '{other}' is registered (berth supports json-file and none)"
            )))
        }
    }
    if driver != "none" {
        for key in config.keys() {
            if !JSON_FILE_OPTS.contains(&key.as_str()) {
                return Err(FlagError::daemon(format!(
                    "unknown log opt '{key}' for json-file log driver"
                )));
            }
        }
    }
    Ok(LogConfig {
        kind: driver.to_string(),
        config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drivers() {
        let c = parse_logging("json-file", &["max-size=10m".into(), "max-file=3".into()]).unwrap();
        assert_eq!(c.kind, "json-file");
        assert_eq!(c.config["max-size"], "10m");
        assert_eq!(parse_logging("", &[]).unwrap().kind, "");
        assert_eq!(parse_logging("none", &[]).unwrap().kind, "none");
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse_logging("syslog", &[]).unwrap_err().to_string(),
            "Error response from daemon: logger: no log driver named 'syslog' is registered (berth supports json-file and none)"
        );
        assert_eq!(
            parse_logging("none", &["max-size=1m".into()])
                .unwrap_err()
                .to_string(),
            "invalid logging opts for driver none"
        );
        assert_eq!(
            parse_logging("", &["bogus=1".into()])
                .unwrap_err()
                .to_string(),
            "Error response from daemon: unknown log opt 'bogus' for json-file log driver"
        );
    }
}
