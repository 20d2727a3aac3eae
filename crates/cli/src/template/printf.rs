//! Go's `fmt.Sprintf` for the template `printf` function, over JSON-shaped values: the verbs
//! v s q d x X o b c U e E f F g G t with flags, width and precision, and fmt's in-band
//! errors (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA …)`).

use serde_json::Value;

use super::value::{go_quote, sprint, type_name};

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `fmt.Sprintf(format, args...)`; `None` is a nil interface.
pub fn sprintf(format: &str, args: &[Option<Value>]) -> String {
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        let mut num = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            if chars.peek() == Some(&'*') {
                chars.next();
                let v = args.get(next).cloned().flatten();
                next += 1;
                return v.and_then(|v| v.as_u64()).map(|n| n as usize);
            }
            let mut n = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(n.unwrap_or(0) * 10 + d as usize);
                chars.next();
            }
            n
        };
        spec.width = num(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.prec = Some(num(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        if next >= args.len() {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        }
        let arg = &args[next];
        next += 1;
        out.push_str(&one(verb, spec, arg.as_ref()));
    }
    if next < args.len() {
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|a| match a {
                None | Some(Value::Null) => "<nil>".to_string(),
                Some(v) => format!("{}={}", type_name(v), sprint(v)),
            })
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

fn bad(verb: char, v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => format!("%!{verb}(<nil>)"),
        Some(v) => format!("%!{verb}({}={})", type_name(v), sprint(v)),
    }
}

fn pad(s: String, spec: Spec, numeric: bool) -> String {
    let Some(w) = spec.width else { return s };
    let len = s.chars().count();
    if len >= w {
        return s;
    }
    let fill = w - len;
    if spec.minus {
        s + &" ".repeat(fill)
    } else if spec.zero && numeric {
        let (sign, digits) = match s.strip_prefix(['-', '+']) {
            Some(d) => (&s[..1], d),
            None => ("", s.as_str()),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        " ".repeat(fill) + &s
    }
}

fn one(verb: char, spec: Spec, v: Option<&Value>) -> String {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return if verb == 'v' {
            pad("<nil>".into(), spec, false)
        } else {
            bad(verb, None)
        };
    };
    match (verb, v) {
        ('v', _) => pad(sprint(v), spec, v.is_number()),
        ('s', Value::String(s)) => {
            let s = match spec.prec {
                Some(p) => s.chars().take(p).collect(),
                None => s.clone(),
            };
            pad(s, spec, false)
        }
        ('q', Value::String(s)) => pad(go_quote(s), spec, false),
        ('x' | 'X', Value::String(s)) => {
            let h: String = s.bytes().map(|b| format!("{b:02x}")).collect();
            pad(if verb == 'X' { h.to_uppercase() } else { h }, spec, false)
        }
        ('t', Value::Bool(b)) => pad(b.to_string(), spec, false),
        (_, Value::Array(a)) if verb != 't' => {
            let parts: Vec<String> = a
                .iter()
                .map(|x| one(verb, Spec::default(), Some(x)))
                .collect();
            pad(format!("[{}]", parts.join(" ")), spec, false)
        }
        (_, Value::Number(n)) if n.as_i64().is_some() || n.as_u64().is_some() => {
            let i = n
                .as_i64()
                .map(i128::from)
                .or(n.as_u64().map(i128::from))
                .unwrap_or(0);
            int_verb(verb, spec, i).unwrap_or_else(|| bad(verb, Some(v)))
        }
        (_, Value::Number(n)) => {
            let f = n.as_f64().unwrap_or(0.0);
            float_verb(verb, spec, f).unwrap_or_else(|| bad(verb, Some(v)))
        }
        _ => bad(verb, Some(v)),
    }
}

fn sign(spec: Spec, neg: bool) -> &'static str {
    if neg {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn int_verb(verb: char, spec: Spec, i: i128) -> Option<String> {
    let a = i.unsigned_abs();
    let body = match verb {
        'd' => a.to_string(),
        'x' => format!("{}{a:x}", if spec.sharp { "0x" } else { "" }),
        'X' => format!("{}{a:X}", if spec.sharp { "0X" } else { "" }),
        'o' => format!("{}{a:o}", if spec.sharp { "0" } else { "" }),
        'b' => format!("{a:b}"),
        'c' => {
            return Some(pad(
                char::from_u32(i as u32).unwrap_or('\u{FFFD}').to_string(),
                spec,
                false,
            ))
        }
        'q' => {
            let c = char::from_u32(i as u32).unwrap_or('\u{FFFD}');
            let q = go_quote(&c.to_string());
            let inner = &q[1..q.len() - 1];
            let inner = if inner == "\\\"" {
                "\""
            } else if inner == "'" {
                "\\'"
            } else {
                inner
            };
            return Some(pad(format!("'{inner}'"), spec, false));
        }
        'U' => return Some(pad(format!("U+{a:04X}"), spec, false)),
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'v' | 's' | 't' => return None,
        _ => return None,
    };
    let body = match spec.prec {
        Some(p) if body.len() < p => "0".repeat(p - body.len()) + &body,
        _ => body,
    };
    Some(pad(format!("{}{body}", sign(spec, i < 0)), spec, true))
}

fn float_verb(verb: char, spec: Spec, f: f64) -> Option<String> {
    let neg = f.is_sign_negative() && f != 0.0;
    let a = f.abs();
    let body = match verb {
        'f' | 'F' => format!("{a:.*}", spec.prec.unwrap_or(6)),
        'e' | 'E' => {
            let s = exp_form(&format!("{a:.*e}", spec.prec.unwrap_or(6)));
            if verb == 'E' {
                s.to_uppercase()
            } else {
                s
            }
        }
        'g' | 'G' => match spec.prec {
            None => super::value::float_v(a),
            Some(p) => {
                let p = p.max(1);
                let e = format!("{a:.*e}", p - 1);
                let exp: i32 = e
                    .split_once('e')
                    .and_then(|(_, x)| x.parse().ok())
                    .unwrap_or(0);
                if exp < -4 || exp >= p as i32 {
                    exp_form(&e)
                } else {
                    let s = format!("{a:.*}", (p as i32 - 1 - exp).max(0) as usize);
                    if s.contains('.') {
                        s.trim_end_matches('0').trim_end_matches('.').to_string()
                    } else {
                        s
                    }
                }
            }
        },
        _ => return None,
    };
    Some(pad(format!("{}{body}", sign(spec, neg)), spec, true))
}

/// Rust's `1.5e3` to Go's `1.5e+03`.
fn exp_form(s: &str) -> String {
    match s.split_once('e') {
        Some((m, e)) => {
            let n: i32 = e.parse().unwrap_or(0);
            format!("{m}e{}{:02}", if n < 0 { '-' } else { '+' }, n.abs())
        }
        None => s.to_string(),
    }
}
