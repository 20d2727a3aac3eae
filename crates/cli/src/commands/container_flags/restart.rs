//! `--restart no|always|unless-stopped|on-failure[:N]`: the CLI's syntax check, then the
//! daemon's policy check (Docker's `ParseRestartPolicy` and `ValidateRestartPolicy`).

use engine::containers::config::RestartPolicy;

use super::error::FlagError;

/// Parses `--restart`; an empty value is the zero policy, as in Docker.
pub fn parse_restart(policy: &str) -> Result<RestartPolicy, FlagError> {
    if policy.is_empty() {
        return Ok(RestartPolicy::default());
    }
    let (name, count) = match policy.split_once(':') {
        Some(("", _)) => {
            return Err(FlagError::invalid(
                "invalid restart policy format: no policy provided before colon",
            ))
        }
        Some((n, c)) => (n, c),
        None => (policy, ""),
    };
    let count: i64 = if count.is_empty() {
        0
    } else {
        count
            .parse::<i64>()
            .ok()
            .filter(|_| {
                count
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
            })
            .ok_or_else(|| {
                FlagError::invalid(
                    "invalid restart policy format: maximum retry count must be an integer",
                )
            })?
    };
    match name {
        "no" | "always" | "unless-stopped" if count != 0 => Err(FlagError::daemon(
            "invalid restart policy: maximum retry count can only be used with 'on-failure'",
        )),
        "on-failure" if count < 0 => Err(FlagError::daemon(
            "invalid restart policy: maximum retry count cannot be negative",
        )),
        "no" | "always" | "unless-stopped" | "on-failure" => Ok(RestartPolicy {
            name: name.to_string(),
            maximum_retry_count: count,
        }),
        _ => Err(FlagError::daemon(format!(
            "invalid restart policy: unknown policy '{name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"
        ))),
    }
}

/// Whether a policy restarts at all (Docker's `IsNone`).
pub fn is_none(p: &RestartPolicy) -> bool {
    p.name.is_empty() || p.name == "no"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<(String, i64), String> {
        parse_restart(s)
            .map(|p| (p.name, p.maximum_retry_count))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn policies() {
        assert_eq!(parse(""), Ok((String::new(), 0)));
        assert_eq!(parse("no"), Ok(("no".into(), 0)));
        assert_eq!(parse("always"), Ok(("always".into(), 0)));
        assert_eq!(parse("unless-stopped"), Ok(("unless-stopped".into(), 0)));
        assert_eq!(parse("on-failure"), Ok(("on-failure".into(), 0)));
        assert_eq!(parse("on-failure:3"), Ok(("on-failure".into(), 3)));
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse("sometimes").unwrap_err(),
            "Error response from daemon: invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"
        );
        assert_eq!(
            parse("always:3").unwrap_err(),
            "Error response from daemon: invalid restart policy: maximum retry count can only be used with 'on-failure'"
        );
        assert_eq!(
            parse("on-failure:-1").unwrap_err(),
            "Error response from daemon: invalid restart policy: maximum retry count cannot be negative"
        );
        assert_eq!(
            parse("on-failure:x").unwrap_err(),
            "invalid restart policy format: maximum retry count must be an integer"
        );
        assert_eq!(
            parse(":3").unwrap_err(),
            "invalid restart policy format: no policy provided before colon"
        );
    }
}
