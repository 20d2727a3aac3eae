//! Executing a parsed template against JSON data, as Go's text/template does: dot and
//! variables, field chains on maps, pipelines feeding the last argument, `if`/`with`/`range`
//! with `break`/`continue`, and Go's error messages with their `:line:col` positions.

use std::borrow::Cow;

use serde_json::Value;

use super::funcs::{self, FnErr};
use super::parse::{Arg, Branch, Cmd, List, Node, Num, Pipe};
use super::value::{type_name, Val};
use super::{Options, TemplateError};

/// Execute `list` (parsed from `src`) with `data` as dot and `$`.
pub fn execute(
    src: &str,
    list: &List,
    data: &Value,
    opts: &Options<'_>,
) -> Result<String, TemplateError> {
    let mut s = State {
        src,
        root: data,
        opts,
        vars: vec![("$".to_string(), Val::Json(Cow::Borrowed(data)))],
        out: String::new(),
    };
    let dot = Val::Json(Cow::Borrowed(data));
    s.walk(&dot, list)?;
    Ok(s.out)
}

/// What a walk asks its enclosing range to do.
enum Flow {
    Normal,
    Break,
    Continue,
}

struct State<'a, 'o> {
    src: &'a str,
    root: &'a Value,
    opts: &'o Options<'o>,
    vars: Vec<(String, Val<'a>)>,
    out: String,
}

type R<T> = Result<T, TemplateError>;

impl<'a> State<'a, '_> {
    /// Go's `state.errorf` with `ErrorContext`: `template: :1:2: executing "" at <.X>: msg`.
    fn fail(&self, pos: usize, context: &str, msg: impl std::fmt::Display) -> TemplateError {
        let before = &self.src[..pos.min(self.src.len())];
        let line = 1 + before.matches('\n').count();
        let col = match before.rfind('\n') {
            Some(nl) => pos - nl - 1,
            None => pos,
        };
        let context = if context.len() > 20 {
            let mut end = 20;
            while !context.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}...", &context[..end])
        } else {
            context.to_string()
        };
        TemplateError::Exec(format!(
            "template: :{line}:{col}: executing \"\" at <{context}>: {msg}"
        ))
    }

    fn walk(&mut self, dot: &Val<'a>, list: &List) -> R<Flow> {
        for node in list {
            match node {
                Node::Text(t) => self.out.push_str(t),
                Node::Action(p) => {
                    let v = self.pipeline(dot, p)?;
                    if p.decl.is_empty() {
                        self.out.push_str(&v.print());
                    }
                }
                Node::If(b) | Node::With(b) => {
                    let mark = self.vars.len();
                    let v = self.pipeline(dot, &b.pipe)?;
                    let flow = if v.truth() {
                        let d = if matches!(node, Node::With(_)) {
                            &v
                        } else {
                            dot
                        };
                        self.walk(d, &b.list)?
                    } else if let Some(e) = &b.else_list {
                        self.walk(dot, e)?
                    } else {
                        Flow::Normal
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Range(b) => {
                    let mark = self.vars.len();
                    self.range(dot, b, node)?;
                    self.vars.truncate(mark);
                }
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn range(&mut self, dot: &Val<'a>, b: &Branch, node: &Node) -> R<()> {
        let v = self.pipeline(dot, &b.pipe)?;
        let items: Vec<(Val<'a>, Val<'a>)> = match &v {
            Val::Missing => Vec::new(),
            Val::Json(c) => {
                let index = |i: usize| Val::owned(Value::from(i));
                match c {
                    Cow::Borrowed(r) => match *r {
                        Value::Array(a) => a
                            .iter()
                            .enumerate()
                            .map(|(i, x)| (index(i), Val::Json(Cow::Borrowed(x))))
                            .collect(),
                        Value::Object(m) => {
                            let mut keys: Vec<&String> = m.keys().collect();
                            keys.sort();
                            keys.into_iter()
                                .map(|k| (Val::str(k.clone()), Val::Json(Cow::Borrowed(&m[k]))))
                                .collect()
                        }
                        other => self.range_scalar(b, node, other)?,
                    },
                    Cow::Owned(o) => match o {
                        Value::Array(a) => a
                            .iter()
                            .enumerate()
                            .map(|(i, x)| (index(i), Val::owned(x.clone())))
                            .collect(),
                        Value::Object(m) => {
                            let mut keys: Vec<&String> = m.keys().collect();
                            keys.sort();
                            keys.into_iter()
                                .map(|k| (Val::str(k.clone()), Val::owned(m[k].clone())))
                                .collect()
                        }
                        other => self.range_scalar(b, node, other)?,
                    },
                }
            }
        };
        if items.is_empty() {
            if let Some(e) = &b.else_list {
                self.walk(dot, e)?;
            }
            return Ok(());
        }
        let mark = self.vars.len();
        for (key, elem) in items {
            // As Go: one variable gets the element; two get key (or index) and element.
            match b.pipe.decl.as_slice() {
                [] => {}
                [e] => self.set_var(e, elem.clone()),
                [k, e, ..] => {
                    self.set_var(k, key);
                    self.set_var(e, elem.clone());
                }
            }
            let flow = self.walk(&elem, &b.list)?;
            self.vars.truncate(mark);
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        Ok(())
    }

    /// Ranging over something that is not a collection: integers count (Go 1.22), null is
    /// empty, anything else is an error.
    fn range_scalar(&self, b: &Branch, node: &Node, v: &Value) -> R<Vec<(Val<'a>, Val<'a>)>> {
        match v {
            Value::Null => Ok(Vec::new()),
            Value::Number(n) if n.as_i64().is_some() => {
                if b.pipe.decl.len() > 1 {
                    return Err(self.fail(
                        b.pipe.pos,
                        &node.to_string(),
                        format!("can't use {n} to iterate over more than one variable"),
                    ));
                }
                let n = n.as_i64().unwrap_or(0).max(0);
                Ok((0..n)
                    .map(|i| (Val::owned(i.into()), Val::owned(i.into())))
                    .collect())
            }
            other => Err(self.fail(
                b.pipe.pos,
                &node.to_string(),
                format!("range can't iterate over {}", super::value::sprint(other)),
            )),
        }
    }

    fn set_var(&mut self, name: &str, v: Val<'a>) {
        if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            slot.1 = v;
        }
    }

    fn pipeline(&mut self, dot: &Val<'a>, p: &Pipe) -> R<Val<'a>> {
        let mut value: Option<Val<'a>> = None;
        for c in &p.cmds {
            value = Some(self.command(dot, c, value)?);
        }
        let value = value.unwrap_or(Val::Missing);
        for d in &p.decl {
            if p.is_assign {
                self.set_var(d, value.clone());
            } else {
                self.vars.push((d.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    /// Go's `notAFunction`: only functions and methods take arguments.
    fn not_a_function(&self, c: &Cmd, fin: &Option<Val<'a>>) -> R<()> {
        if c.args.len() > 1 || fin.is_some() {
            let a = &c.args[0];
            return Err(self.fail(
                a.pos(),
                &a.to_string(),
                format!("can't give argument to non-function {a}"),
            ));
        }
        Ok(())
    }

    fn command(&mut self, dot: &Val<'a>, c: &Cmd, fin: Option<Val<'a>>) -> R<Val<'a>> {
        let first = &c.args[0];
        match first {
            Arg::Field { pos, names } => {
                let ctx = first.to_string();
                self.field_chain(dot, dot.clone(), names, *pos, &ctx, &c.args, fin)
            }
            Arg::Chain { pos, node, names } => {
                let ctx = first.to_string();
                let recv = self.arg(dot, node)?;
                self.field_chain(dot, recv, names, *pos, &ctx, &c.args, fin)
            }
            Arg::Var { pos, name, names } => {
                let v = self.var(name);
                if names.is_empty() {
                    self.not_a_function(c, &fin)?;
                    return Ok(v);
                }
                let ctx = first.to_string();
                self.field_chain(dot, v, names, *pos, &ctx, &c.args, fin)
            }
            Arg::Ident { pos, name } => self.call(dot, name, *pos, c, &c.args[1..], fin),
            Arg::Pipe(p) => {
                self.not_a_function(c, &fin)?;
                self.pipeline(dot, p)
            }
            Arg::Nil(pos) => Err(self.fail(*pos, "nil", "nil is not a command")),
            _ => {
                self.not_a_function(c, &fin)?;
                self.arg(dot, first)
            }
        }
    }

    fn var(&self, name: &str) -> Val<'a> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or(Val::Missing)
    }

    /// An operand used as an argument: fields and functions are evaluated without arguments.
    fn arg(&mut self, dot: &Val<'a>, a: &Arg) -> R<Val<'a>> {
        Ok(match a {
            Arg::Field { pos, names } => {
                let ctx = a.to_string();
                self.field_chain(dot, dot.clone(), names, *pos, &ctx, &[], None)?
            }
            Arg::Chain { pos, node, names } => {
                let ctx = a.to_string();
                let recv = self.arg(dot, node)?;
                self.field_chain(dot, recv, names, *pos, &ctx, &[], None)?
            }
            Arg::Var { pos, name, names } => {
                let v = self.var(name);
                if names.is_empty() {
                    v
                } else {
                    let ctx = a.to_string();
                    self.field_chain(dot, v, names, *pos, &ctx, &[], None)?
                }
            }
            Arg::Ident { pos, name } => {
                let cmd = Cmd {
                    pos: *pos,
                    args: vec![a.clone()],
                };
                self.call(dot, name, *pos, &cmd, &[], None)?
            }
            Arg::Pipe(p) => self.pipeline(dot, p)?,
            Arg::Dot(_) => dot.clone(),
            Arg::Str(_, s) => Val::str(s.clone()),
            Arg::Number { value, .. } => Val::owned(match value {
                Num::Int(i) => Value::from(*i),
                Num::Float(f) => Value::from(*f),
            }),
            Arg::Bool(_, b) => Val::owned(Value::Bool(*b)),
            Arg::Nil(_) => Val::owned(Value::Null),
        })
    }

    /// `.A.B.C`: every step but the last without arguments (Go's `evalFieldChain`).
    #[allow(clippy::too_many_arguments)]
    fn field_chain(
        &mut self,
        dot: &Val<'a>,
        mut recv: Val<'a>,
        names: &[String],
        pos: usize,
        ctx: &str,
        args: &[Arg],
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        let n = names.len();
        for name in &names[..n - 1] {
            recv = self.field(dot, recv, name, pos, ctx, &[], None)?;
        }
        self.field(dot, recv, &names[n - 1], pos, ctx, args, fin)
    }

    /// Go's `evalField` for JSON data: root methods, then map keys.
    #[allow(clippy::too_many_arguments)]
    fn field(
        &mut self,
        dot: &Val<'a>,
        recv: Val<'a>,
        name: &str,
        pos: usize,
        ctx: &str,
        args: &[Arg],
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        let has_args = args.len() > 1 || fin.is_some();
        let is_root = matches!(&recv, Val::Json(Cow::Borrowed(r)) if std::ptr::eq(*r, self.root));
        let v = match recv {
            Val::Missing => {
                if self.opts.missing_key_error {
                    return Err(self.fail(
                        pos,
                        ctx,
                        format!("nil data; no entry for key {name:?}"),
                    ));
                }
                return Ok(Val::Missing);
            }
            Val::Json(v) => v,
        };
        if is_root {
            if let Some(hook) = self.opts.root_fields {
                let mut vals = Vec::new();
                for a in args.iter().skip(1) {
                    vals.push(self.arg(dot, a)?.json().cloned().unwrap_or(Value::Null));
                }
                if let Some(f) = &fin {
                    vals.push(f.json().cloned().unwrap_or(Value::Null));
                }
                if let Some(r) = hook(name, &vals) {
                    return r
                        .map(Val::owned)
                        .map_err(|e| self.fail(pos, ctx, format!("error calling {name}: {e}")));
                }
            }
        }
        match v {
            Cow::Borrowed(Value::Object(m)) => {
                if is_root && !m.contains_key(name) {
                    if let Some(t) = self.opts.root_type {
                        return Err(self.fail(
                            pos,
                            ctx,
                            format!("can't evaluate field {name} in type {t}"),
                        ));
                    }
                }
                if has_args {
                    return Err(self.fail(
                        pos,
                        ctx,
                        format!("{name} is not a method but has arguments"),
                    ));
                }
                match m.get(name) {
                    Some(x) => Ok(Val::Json(Cow::Borrowed(x))),
                    None => self.missing(pos, ctx, name),
                }
            }
            Cow::Owned(Value::Object(mut m)) => {
                if has_args {
                    return Err(self.fail(
                        pos,
                        ctx,
                        format!("{name} is not a method but has arguments"),
                    ));
                }
                match m.remove(name) {
                    Some(x) => Ok(Val::owned(x)),
                    None => self.missing(pos, ctx, name),
                }
            }
            other => {
                let v = other.as_ref();
                if v.is_null() {
                    Err(self.fail(
                        pos,
                        ctx,
                        format!("nil pointer evaluating interface {{}}.{name}"),
                    ))
                } else {
                    Err(self.fail(
                        pos,
                        ctx,
                        format!("can't evaluate field {name} in type {}", type_name(v)),
                    ))
                }
            }
        }
    }

    fn missing(&self, pos: usize, ctx: &str, name: &str) -> R<Val<'a>> {
        if self.opts.missing_key_error {
            Err(self.fail(pos, ctx, format!("map has no entry for key {name:?}")))
        } else {
            Ok(Val::Missing)
        }
    }

    /// Call function `name` with `args` (then the piped value); `and`/`or` short-circuit.
    fn call(
        &mut self,
        dot: &Val<'a>,
        name: &str,
        pos: usize,
        cmd: &Cmd,
        args: &[Arg],
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        let argc = args.len() + usize::from(fin.is_some());
        if name == "and" || name == "or" {
            if argc == 0 {
                return Err(self.fail(
                    pos,
                    name,
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let mut v = Val::Missing;
            for a in args {
                v = self.arg(dot, a)?;
                if v.truth() == (name == "or") {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(v);
        }
        let mut vals = Vec::with_capacity(argc);
        for a in args {
            vals.push(self.arg(dot, a)?);
        }
        if let Some(f) = fin {
            vals.push(f);
        }
        let got = vals
            .iter()
            .map(|v| v.json().map(type_name))
            .collect::<Vec<_>>();
        funcs::call(name, vals, self.opts.header).map_err(|e| match e {
            FnErr::Arity(msg) => self.fail(pos, name, msg),
            FnErr::Type { idx, want } => {
                // Go reports at the argument (the piped value: at the last one evaluated).
                let node = args.get(idx).or(args.last());
                let (at, ctx) = match node {
                    Some(a) => (a.pos(), a.to_string()),
                    None => (pos, name.to_string()),
                };
                let literal = args
                    .get(idx)
                    .filter(|a| matches!(a, Arg::Str(..) | Arg::Number { .. } | Arg::Bool(..)));
                let msg = match (literal, got.get(idx).copied().flatten()) {
                    (Some(a), _) if want == "string" => format!("expected string; found {a}"),
                    (Some(a), _) if want == "int" => format!("expected integer; found {a}"),
                    (Some(a), _) => format!("can't handle {a} for arg of type {want}"),
                    (None, None) => format!("invalid value; expected {want}"),
                    (None, Some(t)) => format!("wrong type for value; expected {want}; got {t}"),
                };
                self.fail(at, &ctx, msg)
            }
            FnErr::Call(msg) => self.fail(
                cmd.pos,
                &cmd.to_string(),
                format!("error calling {name}: {msg}"),
            ),
        })
    }
}
