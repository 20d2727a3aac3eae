//! `events`: the container's stats as runc's event JSON, once or every interval.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Result};
use runtime::container;

fn parse_interval(s: &str) -> Result<Duration> {
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| s.split_at(i))
        .unwrap_or((s, "s"));
    let n: f64 = num
        .parse()
        .map_err(|_| anyhow::anyhow!("invalid interval {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        _ => bail!("invalid interval {s:?}: use e.g. 500ms, 5s, 1m"),
    };
    if secs <= 0.0 {
        bail!("interval must be greater than 0");
    }
    Ok(Duration::from_secs_f64(secs))
}

pub fn events(root: &Path, id: &str, once: bool, interval: &str) -> Result<i32> {
    let every = parse_interval(interval)?;
    loop {
        let stats = {
            let c = container::load(root, id)?;
            container::stats(&c)
        };
        match stats {
            Ok(s) => println!(
                "{}",
                serde_json::json!({"type": "stats", "id": id, "data": s})
            ),
            Err(runtime::RuntimeError::WrongState { .. }) if !once => return Ok(0),
            Err(e) => return Err(e.into()),
        }
        if once {
            return Ok(0);
        }
        std::thread::sleep(every);
    }
}
