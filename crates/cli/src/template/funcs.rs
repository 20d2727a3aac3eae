//! The functions a template can call: Go's builtins (`index`, `len`, `eq`, `printf`, …) and
//! Docker's additions from docker/cli `templates/templates.go` (`json`, `join`, `split`,
//! `lower`, `upper`, `title`, `pad`, `truncate`), with its identity "header" variants used
//! for table headers.

use std::cmp::Ordering;

use serde_json::Value;

use super::printf::sprintf;
use super::value::{sprint, to_json, type_name, Val};

/// Why a call failed; `Call` errors are Go's `error calling NAME: …`.
#[derive(Debug)]
pub enum FnErr {
    Arity(String),
    /// Argument `idx` is not of Go type `want`.
    Type {
        idx: usize,
        want: &'static str,
    },
    Call(String),
}

const NAMES: &[&str] = &[
    // Go builtins (text/template/funcs.go); `and`/`or` are evaluated by exec.
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt",
    "le", "gt", "ge", "html", "js", "urlquery", "call",
    // docker/cli templates.basicFunctions.
    "json", "split", "join", "title", "lower", "upper", "pad", "truncate",
];

pub fn is_defined(name: &str) -> bool {
    NAMES.contains(&name)
}

fn arity(name: &str, args: &[Val<'_>], want: usize) -> Result<(), FnErr> {
    if args.len() != want {
        return Err(FnErr::Arity(format!(
            "wrong number of args for {name}: want {want} got {}",
            args.len()
        )));
    }
    Ok(())
}

fn at_least(name: &str, args: &[Val<'_>], want: usize) -> Result<(), FnErr> {
    if args.len() < want {
        return Err(FnErr::Arity(format!(
            "wrong number of args for {name}: want at least {want} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// A string argument; Go's `validateType` errors are worded by exec.
fn string(args: &[Val<'_>], idx: usize) -> Result<String, FnErr> {
    match args[idx].json() {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(FnErr::Type {
            idx,
            want: "string",
        }),
    }
}

fn int(args: &[Val<'_>], idx: usize) -> Result<i64, FnErr> {
    match args[idx].json().and_then(Value::as_i64) {
        Some(i) if args[idx].json().is_some_and(|v| !v.is_f64()) => Ok(i),
        _ => Err(FnErr::Type { idx, want: "int" }),
    }
}

/// A `[]string` argument (`join`); null is Go's nil slice.
fn strings(args: &[Val<'_>], idx: usize) -> Result<Vec<String>, FnErr> {
    let bad = FnErr::Type {
        idx,
        want: "[]string",
    };
    match args[idx].json() {
        Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or(bad),
        _ => Err(bad),
    }
}

pub fn call<'a>(name: &str, args: Vec<Val<'a>>, header: bool) -> Result<Val<'a>, FnErr> {
    if header {
        // docker/cli HeaderFunctions: keep the column name intact.
        let keep = match name {
            "json" | "title" | "lower" | "upper" => Some(1),
            "split" | "join" | "truncate" => Some(2),
            _ => None,
        };
        if let Some(n) = keep {
            arity(name, &args, n)?;
            return Ok(Val::str(string(&args, 0)?));
        }
    }
    Ok(match name {
        "not" => {
            arity(name, &args, 1)?;
            Val::owned(Value::Bool(!args[0].truth()))
        }
        "len" => {
            arity(name, &args, 1)?;
            Val::owned(Value::from(length(&args[0])?))
        }
        "index" => {
            at_least(name, &args, 1)?;
            let mut it = args.into_iter();
            let item = it.next().unwrap_or(Val::Missing);
            index(item, it.collect())?
        }
        "slice" => {
            at_least(name, &args, 1)?;
            slice(&args)?
        }
        "print" => Val::str(go_sprint(&args)),
        "println" => {
            let parts: Vec<String> = args.iter().map(print_arg).collect();
            Val::str(parts.join(" ") + "\n")
        }
        "printf" => {
            at_least(name, &args, 1)?;
            let fmt = string(&args, 0)?;
            let rest: Vec<Option<Value>> = args[1..].iter().map(|v| v.json().cloned()).collect();
            Val::str(sprintf(&fmt, &rest))
        }
        "eq" => {
            at_least(name, &args, 1)?;
            let first = &args[0];
            if args.len() < 2 {
                return Err(FnErr::Call("missing argument for comparison".into()));
            }
            let mut truth = false;
            for other in &args[1..] {
                if equal(first, other)? {
                    truth = true;
                    break;
                }
            }
            Val::owned(Value::Bool(truth))
        }
        "ne" => {
            arity(name, &args, 2)?;
            Val::owned(Value::Bool(!equal(&args[0], &args[1])?))
        }
        "lt" | "le" | "gt" | "ge" => {
            arity(name, &args, 2)?;
            let o = compare(&args[0], &args[1])?;
            Val::owned(Value::Bool(match name {
                "lt" => o == Ordering::Less,
                "le" => o != Ordering::Greater,
                "gt" => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }))
        }
        "html" => Val::str(html_escape(&go_sprint(&args))),
        "js" => Val::str(js_escape(&go_sprint(&args))),
        "urlquery" => Val::str(query_escape(&go_sprint(&args))),
        "call" => {
            at_least(name, &args, 1)?;
            let t = args[0].json().map(type_name).unwrap_or("<nil>");
            return Err(FnErr::Call(format!("non-function of type {t}")));
        }
        "json" => {
            arity(name, &args, 1)?;
            // A missing value is a nil interface{}: `null`.
            Val::str(args[0].json().map(to_json).unwrap_or_else(|| "null".into()))
        }
        "split" => {
            arity(name, &args, 2)?;
            let (s, sep) = (string(&args, 0)?, string(&args, 1)?);
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(sep.as_str())
                    .map(|p| Value::String(p.into()))
                    .collect()
            };
            Val::owned(Value::Array(parts))
        }
        "join" => {
            arity(name, &args, 2)?;
            Val::str(strings(&args, 0)?.join(&string(&args, 1)?))
        }
        "title" => {
            arity(name, &args, 1)?;
            Val::str(title(&string(&args, 0)?))
        }
        "lower" => {
            arity(name, &args, 1)?;
            Val::str(string(&args, 0)?.to_lowercase())
        }
        "upper" => {
            arity(name, &args, 1)?;
            Val::str(string(&args, 0)?.to_uppercase())
        }
        "pad" => {
            arity(name, &args, 3)?;
            let s = string(&args, 0)?;
            let (pre, suf) = (int(&args, 1)?, int(&args, 2)?);
            if s.is_empty() {
                Val::str(s)
            } else {
                let sp = |n: i64| " ".repeat(n.max(0) as usize);
                Val::str(format!("{}{s}{}", sp(pre), sp(suf)))
            }
        }
        "truncate" => {
            arity(name, &args, 2)?;
            let s = string(&args, 0)?;
            let n = int(&args, 1)?.max(0) as usize;
            if s.len() < n {
                Val::str(s)
            } else {
                // Go cuts bytes; stay on a character boundary.
                let mut end = n;
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                Val::str(&s[..end])
            }
        }
        other => return Err(FnErr::Call(format!("{other:?} is not a defined function"))),
    })
}

/// An argument as fmt prints an `interface{}`: a missing value is a nil interface.
fn print_arg(v: &Val<'_>) -> String {
    v.json().map(sprint).unwrap_or_else(|| "<nil>".into())
}

/// fmt.Sprint: spaces between operands when neither side is a string.
fn go_sprint(args: &[Val<'_>]) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a.json(), Some(Value::String(_)));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        out.push_str(&print_arg(a));
        prev_string = is_string;
    }
    out
}

fn length(v: &Val<'_>) -> Result<usize, FnErr> {
    match v.json() {
        None | Some(Value::Null) => Err(FnErr::Call("len of nil pointer".into())),
        Some(Value::String(s)) => Ok(s.len()),
        Some(Value::Array(a)) => Ok(a.len()),
        Some(Value::Object(m)) => Ok(m.len()),
        Some(other) => Err(FnErr::Call(format!("len of type {}", type_name(other)))),
    }
}

/// The zero value Go's typed maps give for a missing key: inferred from the map's values
/// (Docker's maps are typed, e.g. Labels is map[string]string and gives "").
fn zero_of(m: &serde_json::Map<String, Value>) -> Option<Value> {
    match m.values().next() {
        None | Some(Value::String(_)) => Some(Value::String(String::new())),
        Some(Value::Number(_)) => Some(Value::from(0)),
        Some(Value::Bool(_)) => Some(Value::Bool(false)),
        Some(Value::Array(_)) => Some(Value::Array(Vec::new())),
        Some(Value::Object(_)) => Some(Value::Object(serde_json::Map::new())),
        Some(Value::Null) => None,
    }
}

fn array_index(i: &Val<'_>, len: usize) -> Result<usize, FnErr> {
    match i.json() {
        None | Some(Value::Null) => Err(FnErr::Call("cannot index slice/array with nil".into())),
        Some(Value::Number(n)) if n.as_i64().is_some() => {
            let x = n.as_i64().unwrap_or(-1);
            if x < 0 || x as usize >= len {
                Err(FnErr::Call(format!("index out of range: {x}")))
            } else {
                Ok(x as usize)
            }
        }
        Some(other) => Err(FnErr::Call(format!(
            "cannot index slice/array with type {}",
            type_name(other)
        ))),
    }
}

fn index<'a>(item: Val<'a>, indexes: Vec<Val<'a>>) -> Result<Val<'a>, FnErr> {
    use std::borrow::Cow;
    let mut item = match item {
        Val::Json(v) if !v.is_null() => v,
        _ => return Err(FnErr::Call("index of untyped nil".into())),
    };
    for i in &indexes {
        let next = match item {
            Cow::Borrowed(v) => index_one(v, i)?,
            Cow::Owned(v) => index_one(&v, i)?.map(|c| Cow::Owned(c.into_owned())),
        };
        match next {
            Some(n) => item = n,
            None => return Ok(Val::Missing),
        }
    }
    Ok(Val::Json(item))
}

/// One step of `index`; `None` is a missing key of a map of unknown element type.
fn index_one<'b>(
    item: &'b Value,
    i: &Val<'_>,
) -> Result<Option<std::borrow::Cow<'b, Value>>, FnErr> {
    use std::borrow::Cow;
    Ok(Some(match item {
        Value::Array(a) => Cow::Borrowed(&a[array_index(i, a.len())?]),
        Value::String(s) => {
            // A string's element is a byte (uint8), printed as a number.
            let x = array_index(i, s.len())?;
            Cow::Owned(Value::from(s.as_bytes()[x]))
        }
        Value::Object(m) => {
            let key = match i.json() {
                Some(Value::String(k)) => k,
                Some(other) => {
                    return Err(FnErr::Call(format!(
                        "value has type {}; should be string",
                        type_name(other)
                    )))
                }
                None => return Err(FnErr::Call("value is nil; should be of type string".into())),
            };
            match m.get(key) {
                Some(v) => Cow::Borrowed(v),
                None => match zero_of(m) {
                    Some(z) => Cow::Owned(z),
                    None => return Ok(None),
                },
            }
        }
        Value::Null => return Err(FnErr::Call("index of nil pointer".into())),
        other => {
            return Err(FnErr::Call(format!(
                "can't index item of type {}",
                type_name(other)
            )))
        }
    }))
}

fn slice<'a>(args: &[Val<'a>]) -> Result<Val<'a>, FnErr> {
    let item = args[0]
        .json()
        .ok_or_else(|| FnErr::Call("slice of untyped nil".into()))?;
    if args.len() > 4 {
        return Err(FnErr::Call(format!(
            "too many slice indexes: {}",
            args.len() - 1
        )));
    }
    let len = match item {
        Value::String(s) => {
            if args.len() > 3 {
                return Err(FnErr::Call("cannot 3-index slice a string".into()));
            }
            s.len()
        }
        Value::Array(a) => a.len(),
        other => {
            return Err(FnErr::Call(format!(
                "can't slice item of type {}",
                type_name(other)
            )))
        }
    };
    let mut idx = [0usize, len];
    for (k, a) in args[1..].iter().take(2).enumerate() {
        idx[k] = array_index(a, len + 1)?;
    }
    if idx[0] > idx[1] {
        return Err(FnErr::Call(format!(
            "invalid slice index: {} > {}",
            idx[0], idx[1]
        )));
    }
    Ok(Val::owned(match item {
        Value::String(s) => {
            Value::String(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).into_owned())
        }
        Value::Array(a) => Value::Array(a[idx[0]..idx[1]].to_vec()),
        _ => Value::Null,
    }))
}

/// Go's `eq` for two values: basic kinds must match (numbers compare by value); a missing
/// or nil value only equals another nil.
fn equal(a: &Val<'_>, b: &Val<'_>) -> Result<bool, FnErr> {
    let (x, y) = match (a.json(), b.json()) {
        (None | Some(Value::Null), None | Some(Value::Null)) => return Ok(true),
        (None | Some(Value::Null), _) | (_, None | Some(Value::Null)) => return Ok(false),
        (Some(x), Some(y)) => (x, y),
    };
    match (x, y) {
        (Value::Bool(p), Value::Bool(q)) => Ok(p == q),
        (Value::String(p), Value::String(q)) => Ok(p == q),
        (Value::Number(_), Value::Number(_)) => Ok(compare_numbers(x, y) == Ordering::Equal),
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            Err(FnErr::Call(format!(
                "non-comparable type {}: {}",
                sprint(x),
                type_name(x)
            )))
        }
        _ => Err(FnErr::Call("incompatible types for comparison".into())),
    }
}

fn compare_numbers(x: &Value, y: &Value) -> Ordering {
    match (x.as_i64(), y.as_i64()) {
        (Some(p), Some(q)) => p.cmp(&q),
        _ => {
            let (p, q) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            p.partial_cmp(&q).unwrap_or(Ordering::Equal)
        }
    }
}

/// Go's `lt` family: strings and numbers only.
fn compare(a: &Val<'_>, b: &Val<'_>) -> Result<Ordering, FnErr> {
    let bad = || FnErr::Call("invalid type for comparison".into());
    let (Some(x), Some(y)) = (a.json(), b.json()) else {
        return Err(bad());
    };
    match (x, y) {
        (Value::String(p), Value::String(q)) => Ok(p.cmp(q)),
        (Value::Number(_), Value::Number(_)) => Ok(compare_numbers(x, y)),
        (Value::String(_) | Value::Number(_), Value::String(_) | Value::Number(_)) => {
            Err(FnErr::Call("incompatible types for comparison".into()))
        }
        _ => Err(bad()),
    }
}

/// strings.Title: upper-case the first letter of each word.
fn title(s: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            !c.is_alphanumeric() && c.is_whitespace()
        }
    };
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_sep(prev) {
                c.to_uppercase().next().unwrap_or(c)
            } else {
                c
            };
            prev = c;
            out
        })
        .collect()
}

/// template.HTMLEscapeString.
fn html_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// template.JSEscapeString.
fn js_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// url.QueryEscape.
fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
