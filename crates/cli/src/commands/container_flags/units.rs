//! Value syntaxes shared by many flags: sizes (go-units `RAMInBytes`, binary, and
//! `FromHumanSize`, decimal), `--cpus` (a rational number of CPUs → nanoCPUs) and Go
//! durations (`1m30s`, `500ms` → nanoseconds).

use super::error::quote;

/// Docker's `RAMInBytes`: `64m`, `1g`, `1.5GB`, `512` (bytes); units are powers of 1024,
/// case-insensitive, with an optional `b`/`ib`. The error is go-units' text.
pub fn ram_in_bytes(s: &str) -> Result<i64, String> {
    parse_size(s, 1024)
}

/// Docker's `FromHumanSize`: like [`ram_in_bytes`] but units are powers of 1000.
#[cfg(test)]
pub fn from_human_size(s: &str) -> Result<i64, String> {
    parse_size(s, 1000)
}

fn parse_size(s: &str, base: i64) -> Result<i64, String> {
    let invalid = || format!("invalid size: '{s}'");
    let (num, sfx) = match s.split_once(' ') {
        Some(p) => p,
        None => {
            let sep = s
                .rfind(|c: char| c.is_ascii_digit() || c == '.')
                .ok_or_else(invalid)?;
            s.split_at(sep + 1)
        }
    };
    let size = parse_go_float(num)?;
    if size < 0.0 {
        return Err(invalid());
    }
    if sfx.is_empty() {
        return Ok(truncate(size));
    }
    let bad = || format!("invalid suffix: '{}'", sfx.to_lowercase());
    if sfx.len() > 3 {
        return Err(format!("invalid suffix: '{sfx}'"));
    }
    let lower = sfx.to_lowercase();
    let mut chars = lower.chars();
    let first = chars.next().ok_or_else(bad)?;
    if first == 'b' {
        return if lower.len() == 1 {
            Ok(truncate(size))
        } else {
            Err(bad())
        };
    }
    let power = match first {
        'k' => 1,
        'm' => 2,
        'g' => 3,
        't' => 4,
        'p' => 5,
        _ => return Err(bad()),
    };
    let rest = chars.as_str();
    let ok = match lower.len() {
        1 => true,
        2 => rest == "b",
        _ => rest == "ib",
    };
    if !ok {
        return Err(bad());
    }
    // Exact powers stay exact in f64 up to base^5, as Go's int64 multipliers do.
    Ok(truncate(size * (base.pow(power) as f64)))
}

/// Go's `int64(f)` for the values sizes produce (saturating instead of undefined).
fn truncate(f: f64) -> i64 {
    f as i64
}

/// Go's `strconv.ParseFloat(s, 64)` syntax, with its error text. Accepts what sizes use:
/// digits, one `.`, an exponent; `inf`/`nan` and hex floats are refused as Docker's
/// callers would refuse them later.
fn parse_go_float(s: &str) -> Result<f64, String> {
    let syntax = || format!("strconv.ParseFloat: parsing {}: invalid syntax", quote(s));
    let valid = !s.is_empty()
        && s.chars().any(|c| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-' | '_'))
        && !s.contains('_');
    if !valid {
        return Err(syntax());
    }
    s.parse::<f64>().map_err(|_| syntax())
}

/// Docker's `ParseCPUs`: a rational number (`1.5`, `0.25`, `3/2`, `1e-1`) times 1e9, which
/// must come out whole.
pub fn parse_cpus(s: &str) -> Result<i64, String> {
    let bad = || format!("failed to parse {s} as a rational number");
    let (num, den) = parse_rational(s).ok_or_else(bad)?;
    let nano = num.checked_mul(1_000_000_000).ok_or_else(bad)?;
    if nano % den != 0 {
        return Err("value is too precise".into());
    }
    i64::try_from(nano / den).map_err(|_| bad())
}

/// `a/b` or a decimal with optional exponent, as an exact fraction (numerator, positive
/// denominator).
fn parse_rational(s: &str) -> Option<(i128, i128)> {
    if let Some((a, b)) = s.split_once('/') {
        let a: i128 = a.parse().ok()?;
        let b: i128 = b.parse().ok()?;
        if b == 0 {
            return None;
        }
        return Some(if b < 0 { (-a, -b) } else { (a, b) });
    }
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (neg, mantissa) = match mantissa.as_bytes().first() {
        Some(b'-') => (true, &mantissa[1..]),
        Some(b'+') => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    let mut num: i128 = digits.parse().ok()?;
    let mut scale = exp - i32::try_from(frac.len()).ok()?;
    let mut den: i128 = 1;
    while scale > 0 {
        num = num.checked_mul(10)?;
        scale -= 1;
    }
    while scale < 0 {
        den = den.checked_mul(10)?;
        scale += 1;
    }
    Some((if neg { -num } else { num }, den))
}

/// Go's `time.ParseDuration`: `300ms`, `-1.5h`, `2h45m`, `0`; units ns, us (µs), ms, s,
/// m, h. Returns nanoseconds, with Go's error texts.
pub fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", quote(orig));
    let mut s = orig;
    let neg = s.starts_with('-');
    if let Some(rest) = s.strip_prefix(['-', '+']) {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !s.is_empty() {
        let int_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let int = &s[..int_end];
        s = &s[int_end..];
        let mut frac = "";
        if let Some(rest) = s.strip_prefix('.') {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            frac = &rest[..end];
            s = &rest[end..];
        }
        if int.is_empty() && frac.is_empty() {
            return Err(invalid());
        }
        let unit_end = s
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(s.len());
        let unit = &s[..unit_end];
        s = &s[unit_end..];
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {}", quote(orig)));
        }
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    quote(unit),
                    quote(orig)
                ))
            }
        };
        let whole: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| invalid())?
        };
        let mut part = whole.checked_mul(scale).ok_or_else(invalid)?;
        // Fractions are truncated to whole nanoseconds, as Go does.
        let mut frac_scale = scale;
        for d in frac.chars() {
            frac_scale /= 10;
            if frac_scale == 0 {
                break;
            }
            part += u128::from(d.to_digit(10).unwrap_or(0)) * frac_scale;
        }
        total = total.checked_add(part).ok_or_else(invalid)?;
        if total > i64::MAX as u128 {
            return Err(invalid());
        }
    }
    let total = i64::try_from(total).map_err(|_| invalid())?;
    Ok(if neg { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ram_sizes() {
        assert_eq!(ram_in_bytes("64m"), Ok(64 << 20));
        assert_eq!(ram_in_bytes("64M"), Ok(64 << 20));
        assert_eq!(ram_in_bytes("1g"), Ok(1 << 30));
        assert_eq!(ram_in_bytes("1.5GB"), Ok(3 << 29));
        assert_eq!(ram_in_bytes("2GiB"), Ok(2 << 30));
        assert_eq!(ram_in_bytes("512"), Ok(512));
        assert_eq!(ram_in_bytes("512b"), Ok(512));
        assert_eq!(ram_in_bytes("10 k"), Ok(10 << 10));
        assert_eq!(ram_in_bytes("1t"), Ok(1 << 40));
        assert_eq!(ram_in_bytes("1p"), Ok(1 << 50));
        assert_eq!(ram_in_bytes("abc"), Err("invalid size: 'abc'".into()));
        assert_eq!(ram_in_bytes("1x"), Err("invalid suffix: 'x'".into()));
        assert_eq!(ram_in_bytes("1KBB"), Err("invalid suffix: 'kbb'".into()));
        assert_eq!(ram_in_bytes("1kibb"), Err("invalid suffix: 'kibb'".into()));
        assert_eq!(ram_in_bytes("1bk"), Err("invalid suffix: 'bk'".into()));
        assert_eq!(
            ram_in_bytes("1.2.3m"),
            Err("strconv.ParseFloat: parsing \"1.2.3\": invalid syntax".into())
        );
        assert_eq!(ram_in_bytes("-1"), Err("invalid size: '-1'".into()));
    }

    #[test]
    fn decimal_sizes() {
        assert_eq!(from_human_size("10m"), Ok(10_000_000));
        assert_eq!(from_human_size("1kB"), Ok(1000));
    }

    #[test]
    fn cpus() {
        assert_eq!(parse_cpus("1.5"), Ok(1_500_000_000));
        assert_eq!(parse_cpus("0.25"), Ok(250_000_000));
        assert_eq!(parse_cpus("2"), Ok(2_000_000_000));
        assert_eq!(parse_cpus("3/2"), Ok(1_500_000_000));
        assert_eq!(parse_cpus("1e-1"), Ok(100_000_000));
        assert_eq!(
            parse_cpus("0.0000000001"),
            Err("value is too precise".into())
        );
        assert_eq!(
            parse_cpus("abc"),
            Err("failed to parse abc as a rational number".into())
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_go_duration("30s"), Ok(30_000_000_000));
        assert_eq!(parse_go_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_go_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_go_duration("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(parse_go_duration("-2s"), Ok(-2_000_000_000));
        assert_eq!(parse_go_duration("10us"), Ok(10_000));
        assert_eq!(
            parse_go_duration("30"),
            Err("time: missing unit in duration \"30\"".into())
        );
        assert_eq!(
            parse_go_duration("3x"),
            Err("time: unknown unit \"x\" in duration \"3x\"".into())
        );
        assert_eq!(
            parse_go_duration("abc"),
            Err("time: invalid duration \"abc\"".into())
        );
        assert_eq!(
            parse_go_duration(""),
            Err("time: invalid duration \"\"".into())
        );
    }
}
