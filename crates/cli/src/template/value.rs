//! Template values and how Go prints them: fmt's `%v` (`[a b]`, `map[k:v]`, `<nil>`), truth,
//! `strconv.Quote`, and encoding/json's compact output for the `json` function.

use std::borrow::Cow;

use serde_json::Value;

/// A value during execution: Go's invalid `reflect.Value` (a missing map key, printed as
/// `<no value>`), or JSON borrowed from the data or computed.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    Missing,
    Json(Cow<'a, Value>),
}

impl<'a> Val<'a> {
    pub fn owned(v: Value) -> Self {
        Val::Json(Cow::Owned(v))
    }

    pub fn str(s: impl Into<String>) -> Self {
        Val::owned(Value::String(s.into()))
    }

    pub fn json(&self) -> Option<&Value> {
        match self {
            Val::Missing => None,
            Val::Json(v) => Some(v),
        }
    }

    /// Go's truth: false, 0, nil, and empty strings, slices and maps are false.
    pub fn truth(&self) -> bool {
        match self {
            Val::Missing => false,
            Val::Json(v) => match v.as_ref() {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Object(m) => !m.is_empty(),
            },
        }
    }

    /// Go's `fmt.Sprint` of the value, as an action prints it.
    pub fn print(&self) -> String {
        match self {
            Val::Missing => "<no value>".into(),
            Val::Json(v) => sprint(v),
        }
    }
}

/// The Go type name used in error messages for a value decoded from JSON.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "interface {}",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// fmt's `%v`: strings bare, `[a b]` for slices, `map[k:v]` with sorted keys, `<nil>`.
pub fn sprint(v: &Value) -> String {
    let mut out = String::new();
    write_v(&mut out, v);
    out
}

fn write_v(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_v(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(out, x);
            }
            out.push(']');
        }
        Value::Object(m) => {
            // fmt sorts map keys (Go 1.12+).
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_v(out, &m[k.as_str()]);
            }
            out.push(']');
        }
    }
}

/// Integers as integers; floats as Go's `%v` (shortest `%g`, exponent from 1e+06).
pub fn number_v(n: &serde_json::Number) -> String {
    if n.is_f64() {
        n.as_f64().map(float_v).unwrap_or_default()
    } else {
        n.to_string()
    }
}

/// fmt's `%v` of a float64, `strconv.FormatFloat(f, 'g', -1, 64)`: shortest digits, in
/// exponent form when exp < -4 || exp >= 6 (ftoa.go: `if shortest { eprec = 6 }`), so
/// 1234000.0 prints `1.234e+06`.
pub fn float_v(f: f64) -> String {
    g_format(f, -4, 6)
}

/// Shortest decimal digits of `f` in `d.ddde±x` form when exp < lo or exp >= hi.
fn g_format(f: f64, lo: i32, hi: i32) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let e = format!("{f:e}"); // shortest digits, e.g. "1.2345e6"
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < lo || exp >= hi {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

/// encoding/json's float format: `%f`-like unless exp < -6 || exp >= 21, then `1e+21`
/// with a one-digit exponent kept as Go cleans it (`1e-07`→`1e-7`).
fn json_float(f: f64) -> String {
    let s = g_format(f, -6, 21);
    if let Some((m, e)) = s.split_once('e') {
        let sign = &e[..1];
        let digits = e[1..].trim_start_matches('0');
        return format!("{m}e{sign}{}", if digits.is_empty() { "0" } else { digits });
    }
    s
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let n = c as u32;
                if n > 0xffff {
                    out.push_str(&format!("\\U{n:08x}"));
                } else {
                    out.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Docker's `json` function: encoding/json's Encoder with `SetEscapeHTML(false)`, compact,
/// trailing newline trimmed. Object keys keep the data's order (a struct's field order in
/// Docker; our maps are sorted already).
pub fn to_json(v: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, v);
    out
}

fn write_json(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_f64() {
                out.push_str(&n.as_f64().map(json_float).unwrap_or_default());
            } else {
                out.push_str(&n.to_string());
            }
        }
        Value::String(s) => json_string(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, x);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, k);
                out.push(':');
                write_json(out, x);
            }
            out.push('}');
        }
    }
}

/// encoding/json's string escaping without HTML escaping: `\n \r \t \b \f` (Go 1.22+),
/// other control characters as `\u00XX`, and U+2028/U+2029 always escaped.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
