//! `berth events [--since T] [--until T] [-f FILTER]... [--format TEMPLATE|json]` (also
//! `berth system events`): Docker's event lines from the engine's journal. Without
//! `--until` the journal is followed (polled every 100 ms) until interrupted.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use engine::events::{Event, EventFilter};

use super::container_flags::units::parse_go_duration;
use super::daemon;
use crate::format::{format_row, parse_format, pre_format};
use crate::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Filter output based on conditions provided.
    #[arg(short, long = "filter")]
    pub filter: Vec<String>,
    /// Format output using a custom template: 'json', 'TEMPLATE'.
    #[arg(long)]
    pub format: Option<String>,
    /// Show all events created since timestamp.
    #[arg(long)]
    pub since: Option<String>,
    /// Stream events until this timestamp.
    #[arg(long)]
    pub until: Option<String>,
}

/// How often a follower looks at the journal.
const POLL: Duration = Duration::from_millis(100);

pub fn run(g: &Global, a: Args) -> anyhow::Result<()> {
    let now = SystemTime::now();
    let since = a
        .since
        .as_deref()
        .map(|s| parse_timestamp(s, now))
        .transpose()?;
    let until = a
        .until
        .as_deref()
        .map(|s| parse_timestamp(s, now))
        .transpose()?;
    let filter = EventFilter::parse(&a.filter).map_err(daemon)?;
    let root = g.root.clone();
    // Start following before reading the past, so nothing falls between the two.
    let mut follower = match until {
        Some(u) if u <= now => None,
        _ => Some(engine::events::follow(&root).map_err(daemon)?),
    };
    let mut out = std::io::stdout().lock();
    // Docker replays the past when either bound is given.
    if since.is_some() || until.is_some() {
        let past = engine::events::read(&root, since, until.map(|u| u.min(now))).map_err(daemon)?;
        for e in past.iter().filter(|e| filter.matches(e)) {
            print_event(&mut out, e, a.format.as_deref())?;
        }
    }
    let Some(f) = &mut follower else {
        return Ok(());
    };
    loop {
        for e in f.poll()? {
            if until.is_some_and(|u| !engine::events::in_range(&e, None, Some(u))) {
                return Ok(());
            }
            if filter.matches(&e) {
                print_event(&mut out, &e, a.format.as_deref())?;
            }
        }
        out.flush()?;
        if until.is_some_and(|u| SystemTime::now() > u) {
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
}

fn print_event(out: &mut impl Write, e: &Event, format: Option<&str>) -> anyhow::Result<()> {
    let line = match format {
        None | Some("") => e.line(),
        Some("json") => serde_json::to_string(e)?,
        Some(tpl) => render(tpl, e)?,
    };
    writeln!(out, "{line}")?;
    Ok(())
}

/// A `--format` template over the event's JSON (`{{.Actor.Attributes.name}}`, `{{.Type}}`,
/// `{{json .}}`), a Go template as Docker's.
fn render(tpl: &str, e: &Event) -> anyhow::Result<String> {
    // Docker's events.Message is a struct: an unknown top-level field is an error; a
    // missing attribute (a map key) prints `<no value>`.
    let t = parse_format(&pre_format(tpl))?;
    format_row(&t, &serde_json::to_value(e)?, "events.Message", None)
}

/// Docker's `timetypes.GetTimestamp` for `--since`/`--until`: a Go duration before
/// `now` (`10m`, `1h30m`), an RFC 3339 date or time (`2026-11-24`, `2026-11-24T10:00`,
/// `2026-11-24T10:00:00.5Z`, `…+02:00`; without a zone: UTC, this host's zone), or
/// Unix seconds (`1795496400`, `1795496400.123456789`).
pub fn parse_timestamp(value: &str, now: SystemTime) -> anyhow::Result<SystemTime> {
    if value != "0" {
        if let Ok(ns) = parse_go_duration(value) {
            let d = Duration::from_nanos(ns.unsigned_abs());
            return Ok(if ns >= 0 { now - d } else { now + d });
        }
    }
    if value.contains('-') {
        return parse_rfc3339ish(value).ok_or_else(|| {
            anyhow::anyhow!("parsing time {value:?}: cannot parse as a date or time")
        });
    }
    let bad = || anyhow::anyhow!("failed to parse value as time or duration: {value:?}");
    let (secs, frac) = value.split_once('.').unwrap_or((value, ""));
    let secs: u64 = secs.parse().map_err(|_| bad())?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        format!("{frac:0<9}").parse().map_err(|_| bad())?
    };
    Ok(UNIX_EPOCH + Duration::new(secs, nanos))
}

/// `YYYY-MM-DD[THH[:MM[:SS[.fff]]]][Z|±HH:MM]`.
fn parse_rfc3339ish(value: &str) -> Option<SystemTime> {
    let (body, offset_secs) = split_zone(value)?;
    let (date, time) = match body.split_once(['T', 't']) {
        Some((d, t)) => (d, t),
        None => (body, ""),
    };
    let time = match time.matches(':').count() {
        _ if time.is_empty() => "00:00:00".to_string(),
        0 => format!("{time}:00:00"),
        1 => format!("{time}:00"),
        _ => time.to_string(),
    };
    let t = humantime::parse_rfc3339_weak(&format!("{date}T{time}")).ok()?;
    Some(if offset_secs >= 0 {
        t - Duration::from_secs(offset_secs.unsigned_abs())
    } else {
        t + Duration::from_secs(offset_secs.unsigned_abs())
    })
}

/// Splits a trailing `Z` or `±HH:MM` off; returns the offset east of UTC in seconds.
fn split_zone(v: &str) -> Option<(&str, i64)> {
    if let Some(b) = v.strip_suffix(['Z', 'z']) {
        return Some((b, 0));
    }
    // An offset follows the time part: look after the 'T' only (dates have '-' too).
    if let Some(tpos) = v.find(['T', 't']) {
        if let Some(i) = v[tpos..].rfind(['+', '-']).map(|i| i + tpos) {
            let (h, m) = v[i + 1..].split_once(':')?;
            let secs = h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60;
            let sign = if v.as_bytes()[i] == b'-' { -1 } else { 1 };
            return Some((&v[..i], sign * secs));
        }
    }
    Some((v, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64, n: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(s, n)
    }

    #[test]
    fn timestamps_like_docker() {
        let now = at(1_795_496_400, 0);
        assert_eq!(parse_timestamp("10m", now).unwrap(), at(1_795_495_800, 0));
        assert_eq!(parse_timestamp("1h30m", now).unwrap(), at(1_795_491_000, 0));
        assert_eq!(parse_timestamp("1795496400", now).unwrap(), now);
        assert_eq!(parse_timestamp("0", now).unwrap(), UNIX_EPOCH);
        assert_eq!(
            parse_timestamp("1795496400.5", now).unwrap(),
            at(1_795_496_400, 500_000_000)
        );
        assert_eq!(
            parse_timestamp("2026-11-24T05:00:00.123456789Z", now).unwrap(),
            at(1_795_496_400, 123_456_789)
        );
        assert_eq!(parse_timestamp("2026-11-24T05:00:00Z", now).unwrap(), now);
        assert_eq!(parse_timestamp("2026-11-24T05:00", now).unwrap(), now);
        assert_eq!(parse_timestamp("2026-11-24T05", now).unwrap(), now);
        assert_eq!(
            parse_timestamp("2026-11-24", now).unwrap(),
            at(1_795_478_400, 0)
        );
        assert_eq!(
            parse_timestamp("2026-11-24T07:00:00+02:00", now).unwrap(),
            now
        );
        assert_eq!(
            parse_timestamp("2026-11-24T03:30:00-01:30", now).unwrap(),
            now
        );
        assert!(parse_timestamp("yesterday", now).is_err());
        assert!(parse_timestamp("2026-13-45", now).is_err());
    }

    #[test]
    fn templates_reach_nested_fields() {
        let e = engine::events::event(
            "container",
            "die",
            "abc",
            &[("exitCode", "3"), ("name", "web")],
        );
        assert_eq!(render("{{.Actor.Attributes.exitCode}}", &e).unwrap(), "3");
        assert_eq!(
            render("{{.Type}} {{.Action}}", &e).unwrap(),
            "container die"
        );
        assert_eq!(
            render("{{.Actor.Attributes.nope}}", &e).unwrap(),
            "<no value>"
        );
        assert!(render("{{.Nope}}", &e).is_err());
        let j: serde_json::Value =
            serde_json::from_str(&render("{{json .}}", &e).unwrap()).unwrap();
        assert_eq!(j["Actor"]["ID"], "abc");
    }
}
