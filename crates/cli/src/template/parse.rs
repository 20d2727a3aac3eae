//! Go text/template's parser: turns tokens into a tree of text, actions, `if`/`range`/`with`
//! blocks and pipelines, checking function names and variables as Go does at parse time.

use super::lexer::{lex, Kind, Token};
use super::TemplateError;

/// A list of nodes, as the body of a template or of a block.
pub type List = Vec<Node>;

#[derive(Debug, Clone)]
pub enum Node {
    Text(String),
    /// `{{pipeline}}`: printed unless it declares variables.
    Action(Pipe),
    If(Branch),
    Range(Branch),
    With(Branch),
    Break,
    Continue,
}

/// The shared shape of `if`, `range` and `with`.
#[derive(Debug, Clone)]
pub struct Branch {
    pub pipe: Pipe,
    pub list: List,
    pub else_list: Option<List>,
}

#[derive(Debug, Clone)]
pub struct Pipe {
    pub pos: usize,
    /// Variables declared (`:=`) or assigned (`=`) by this pipeline.
    pub decl: Vec<String>,
    pub is_assign: bool,
    pub cmds: Vec<Cmd>,
}

#[derive(Debug, Clone)]
pub struct Cmd {
    pub pos: usize,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub enum Arg {
    /// `.A.B`: a field chain on dot.
    Field {
        pos: usize,
        names: Vec<String>,
    },
    /// `$x.A.B`.
    Var {
        pos: usize,
        name: String,
        names: Vec<String>,
    },
    Dot(usize),
    Ident {
        pos: usize,
        name: String,
    },
    Str(usize, String),
    Number {
        pos: usize,
        text: String,
        value: Num,
    },
    Bool(usize, bool),
    Nil(usize),
    /// `(pipeline)`.
    Pipe(Box<Pipe>),
    /// `(pipeline).A.B` or `"x".A`: fields of an operand.
    Chain {
        pos: usize,
        node: Box<Arg>,
        names: Vec<String>,
    },
}

/// A numeric constant: an integer when it is one (Go's untyped constants).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Int(i64),
    Float(f64),
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Var { pos, .. }
            | Arg::Ident { pos, .. }
            | Arg::Number { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Dot(pos)
            | Arg::Str(pos, _)
            | Arg::Bool(pos, _)
            | Arg::Nil(pos) => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

impl std::fmt::Display for Arg {
    /// Go's `Node.String()`, used in error contexts (`at <.Config.Cmd>`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arg::Field { names, .. } => {
                for n in names {
                    write!(f, ".{n}")?;
                }
                Ok(())
            }
            Arg::Var { name, names, .. } => {
                f.write_str(name)?;
                for n in names {
                    write!(f, ".{n}")?;
                }
                Ok(())
            }
            Arg::Dot(_) => f.write_str("."),
            Arg::Ident { name, .. } => f.write_str(name),
            Arg::Str(_, s) => write!(f, "{}", super::value::go_quote(s)),
            Arg::Number { text, .. } => f.write_str(text),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Pipe(p) => write!(f, "({p})"),
            Arg::Chain { node, names, .. } => {
                write!(f, "{node}")?;
                for n in names {
                    write!(f, ".{n}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::fmt::Display for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for Pipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Parse a template; `is_func` says which function names are defined.
pub fn parse(src: &str, is_func: &dyn Fn(&str) -> bool) -> Result<List, TemplateError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        vars: vec!["$".to_string()],
        range_depth: 0,
        is_func,
    };
    let (list, end) = p.item_list()?;
    match end {
        ListEnd::Eof => Ok(list),
        ListEnd::End(t) => Err(p.err_at(&t, "unexpected {{end}}")),
        ListEnd::Else(t, _) => Err(p.err_at(&t, "unexpected {{else}}")),
    }
}

struct Parser<'a> {
    toks: Vec<Token>,
    i: usize,
    vars: Vec<String>,
    range_depth: usize,
    is_func: &'a dyn Fn(&str) -> bool,
}

/// How an item list ended.
enum ListEnd {
    Eof,
    End(Token),
    /// `{{else}}`, possibly followed by `if`/`with` (an `else if` chain).
    Else(Token, Option<String>),
}

fn describe(k: &Kind) -> String {
    match k {
        Kind::Text(t) => format!("{t:?}"),
        Kind::LeftDelim => "<left>".into(),
        Kind::RightDelim => "<right>".into(),
        Kind::Space => "<space>".into(),
        Kind::Ident(s) => format!("<{s}>"),
        Kind::Field(s) => format!("<.{s}>"),
        Kind::Variable(s) => format!("<{s}>"),
        Kind::Dot => "<.>".into(),
        Kind::Str(s) => format!("{:?}", super::value::go_quote(s)),
        Kind::Number(s) => format!("{s:?}"),
        Kind::Bool(b) => format!("{:?}", b.to_string()),
        Kind::Nil => "<nil>".into(),
        Kind::Pipe => "\"|\"".into(),
        Kind::LeftParen => "\"(\"".into(),
        Kind::RightParen => "\")\"".into(),
        Kind::Declare => "\":=\"".into(),
        Kind::Assign => "\"=\"".into(),
        Kind::Comma => "\",\"".into(),
        Kind::Eof => "EOF".into(),
    }
}

impl Parser<'_> {
    fn err_at(&self, t: &Token, msg: impl std::fmt::Display) -> TemplateError {
        TemplateError::Parse(format!("template: :{}: {msg}", t.line))
    }

    fn err(&self, msg: impl std::fmt::Display) -> TemplateError {
        let t = self.peek_raw().clone();
        self.err_at(&t, msg)
    }

    fn peek_raw(&self) -> &Token {
        let last = self.toks.len() - 1;
        &self.toks[self.i.min(last)]
    }

    fn next_raw(&mut self) -> Token {
        let t = self.peek_raw().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn skip_space(&mut self) {
        while self.peek_raw().kind == Kind::Space {
            self.i += 1;
        }
    }

    fn next(&mut self) -> Token {
        self.skip_space();
        self.next_raw()
    }

    fn peek(&mut self) -> Token {
        self.skip_space();
        self.peek_raw().clone()
    }

    fn unexpected(&self, t: &Token, context: &str) -> TemplateError {
        self.err_at(t, format!("unexpected {} in {context}", describe(&t.kind)))
    }

    fn item_list(&mut self) -> Result<(List, ListEnd), TemplateError> {
        let mut list = List::new();
        loop {
            let t = self.next_raw();
            match t.kind {
                Kind::Eof => return Ok((list, ListEnd::Eof)),
                Kind::Text(s) => list.push(Node::Text(s)),
                Kind::LeftDelim => {
                    let kw = self.peek();
                    if let Kind::Ident(w) = &kw.kind {
                        match w.as_str() {
                            "end" => {
                                self.next();
                                self.expect_right("end")?;
                                return Ok((list, ListEnd::End(kw)));
                            }
                            "else" => {
                                self.next();
                                let after = self.peek();
                                let chained = match &after.kind {
                                    Kind::Ident(w) if w == "if" || w == "with" => Some(w.clone()),
                                    _ => {
                                        self.expect_right("else")?;
                                        None
                                    }
                                };
                                return Ok((list, ListEnd::Else(kw, chained)));
                            }
                            "if" | "range" | "with" => {
                                let w = w.clone();
                                self.next();
                                list.push(self.branch(&w)?);
                                continue;
                            }
                            "break" | "continue" => {
                                let w = w.clone();
                                self.next();
                                if self.range_depth == 0 {
                                    return Err(self.err_at(
                                        &kw,
                                        format!("{{{{{w}}}}} outside {{{{range}}}}"),
                                    ));
                                }
                                self.expect_right(&w)?;
                                list.push(if w == "break" {
                                    Node::Break
                                } else {
                                    Node::Continue
                                });
                                continue;
                            }
                            "define" | "template" | "block" => {
                                return Err(self.err_at(
                                    &kw,
                                    format!("{{{{{w}}}}} is not supported by berth"),
                                ));
                            }
                            _ => {}
                        }
                    }
                    let pipe = self.pipeline("command", Kind::RightDelim)?;
                    list.push(Node::Action(pipe));
                }
                _ => return Err(self.unexpected(&t, "input")),
            }
        }
    }

    fn expect_right(&mut self, context: &str) -> Result<(), TemplateError> {
        let t = self.next();
        if t.kind != Kind::RightDelim {
            return Err(self.unexpected(&t, context));
        }
        Ok(())
    }

    /// `if`/`range`/`with` after its keyword, through its `{{end}}`.
    fn branch(&mut self, kw: &str) -> Result<Node, TemplateError> {
        let saved = self.vars.len();
        let pipe = self.pipeline(kw, Kind::RightDelim)?;
        if kw == "range" {
            self.range_depth += 1;
        }
        let (list, end) = self.item_list()?;
        if kw == "range" {
            self.range_depth -= 1;
        }
        let else_list = match end {
            ListEnd::Eof => return Err(self.err("unexpected EOF")),
            ListEnd::End(_) => None,
            ListEnd::Else(_, None) => {
                let (l, end) = self.item_list()?;
                match end {
                    ListEnd::End(_) => {}
                    ListEnd::Eof => return Err(self.err("unexpected EOF")),
                    ListEnd::Else(t, _) => {
                        return Err(self.err_at(&t, "expected end; found {{else}}"))
                    }
                }
                Some(l)
            }
            ListEnd::Else(t, Some(chained)) => {
                if kw == "range" || (kw != chained) {
                    // Go only chains `else if` in an if and `else with` in a with.
                    return Err(self.err_at(&t, format!("unexpected <{chained}> in else")));
                }
                self.next();
                // The chained block shares our {{end}}.
                Some(vec![self.branch(&chained)?])
            }
        };
        self.vars.truncate(saved);
        let b = Branch {
            pipe,
            list,
            else_list,
        };
        Ok(match kw {
            "if" => Node::If(b),
            "range" => Node::Range(b),
            _ => Node::With(b),
        })
    }

    /// A pipeline up to `end` (right delimiter or right paren), with its declarations.
    fn pipeline(&mut self, context: &str, end: Kind) -> Result<Pipe, TemplateError> {
        let start = self.peek();
        let mut decl = Vec::new();
        let mut is_assign = false;
        // Declarations: `$x :=`, `$x =`, and in range `$i, $e :=`.
        let save = self.i;
        if let Kind::Variable(v) = &start.kind {
            self.next();
            let op = self.peek();
            match op.kind {
                Kind::Declare | Kind::Assign => {
                    self.next();
                    is_assign = op.kind == Kind::Assign;
                    decl.push(v.clone());
                }
                Kind::Comma if context == "range" => {
                    self.next();
                    let second = self.next();
                    let Kind::Variable(v2) = &second.kind else {
                        return Err(self.err_at(&second, "range can only initialize variables"));
                    };
                    let op = self.next();
                    match op.kind {
                        Kind::Declare | Kind::Assign => is_assign = op.kind == Kind::Assign,
                        _ => return Err(self.err_at(&op, "range can only initialize variables")),
                    }
                    decl.push(v.clone());
                    decl.push(v2.clone());
                }
                _ => self.i = save,
            }
        }
        for d in &decl {
            if is_assign {
                if !self.vars.contains(d) {
                    return Err(self.err_at(&start, format!("undefined variable {d:?}")));
                }
            } else {
                self.vars.push(d.clone());
            }
        }
        let mut cmds = Vec::new();
        loop {
            let t = self.peek();
            if t.kind == end {
                self.next();
                break;
            }
            match t.kind {
                Kind::RightDelim | Kind::RightParen | Kind::Eof => {
                    return Err(self.unexpected(&t, context))
                }
                _ => {}
            }
            let cmd = self.command(context)?;
            cmds.push(cmd);
            let sep = self.peek();
            if sep.kind == Kind::Pipe {
                self.next();
                let after = self.peek();
                if after.kind == end {
                    return Err(self.err_at(&after, "missing command after pipe"));
                }
            }
        }
        if cmds.is_empty() {
            return Err(self.err_at(&start, format!("missing value for {context}")));
        }
        // Only the first command may start with a constant (with A|B|C, B is stage 2).
        for (i, c) in cmds.iter().enumerate().skip(1) {
            if let Some(
                Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number { .. } | Arg::Str(..),
            ) = c.args.first()
            {
                return Err(self.err_at(
                    &start,
                    format!("non executable command in pipeline stage {}", i + 1),
                ));
            }
        }
        Ok(Pipe {
            pos: start.pos,
            decl,
            is_assign,
            cmds,
        })
    }

    fn command(&mut self, context: &str) -> Result<Cmd, TemplateError> {
        let first = self.peek();
        let mut args = Vec::new();
        loop {
            self.skip_space();
            let t = self.peek_raw().clone();
            match t.kind {
                Kind::RightDelim | Kind::RightParen | Kind::Pipe => break,
                Kind::Eof => return Err(self.err_at(&t, "unclosed action")),
                _ => {}
            }
            let a = self.operand(context)?;
            // Operands must be separated by spaces.
            let after = self.peek_raw().clone();
            match after.kind {
                Kind::Space | Kind::RightDelim | Kind::RightParen | Kind::Pipe => {}
                _ => return Err(self.unexpected(&after, "operand")),
            }
            args.push(a);
        }
        if args.is_empty() {
            return Err(self.err_at(&first, "empty command"));
        }
        Ok(Cmd {
            pos: first.pos,
            args,
        })
    }

    fn operand(&mut self, context: &str) -> Result<Arg, TemplateError> {
        let t = self.next_raw();
        let term = match t.kind.clone() {
            Kind::Ident(name) => {
                if !(self.is_func)(&name) {
                    return Err(self.err_at(&t, format!("function {name:?} not defined")));
                }
                Arg::Ident { pos: t.pos, name }
            }
            Kind::Dot => Arg::Dot(t.pos),
            Kind::Nil => Arg::Nil(t.pos),
            Kind::Bool(b) => Arg::Bool(t.pos, b),
            Kind::Str(s) => Arg::Str(t.pos, s),
            Kind::Number(text) => {
                let value = parse_number(&text)
                    .ok_or_else(|| self.err_at(&t, format!("illegal number syntax: {text:?}")))?;
                Arg::Number {
                    pos: t.pos,
                    text,
                    value,
                }
            }
            Kind::Field(name) => Arg::Field {
                pos: t.pos,
                names: vec![name],
            },
            Kind::Variable(name) => {
                if !self.vars.contains(&name) {
                    return Err(self.err_at(&t, format!("undefined variable {name:?}")));
                }
                Arg::Var {
                    pos: t.pos,
                    name,
                    names: Vec::new(),
                }
            }
            Kind::LeftParen => {
                let p = self.pipeline("parenthesized pipeline", Kind::RightParen)?;
                Arg::Pipe(Box::new(p))
            }
            _ => return Err(self.unexpected(&t, context)),
        };
        // A field chain directly after the term.
        let mut names = Vec::new();
        let mut chain_pos = None;
        while let Kind::Field(n) = &self.peek_raw().kind {
            chain_pos.get_or_insert(self.peek_raw().pos);
            names.push(n.clone());
            self.i += 1;
        }
        let Some(cpos) = chain_pos else {
            return Ok(term);
        };
        // As Go: a chain's position is where its first added field starts.
        Ok(match term {
            Arg::Field {
                names: mut first, ..
            } => {
                first.extend(names);
                Arg::Field {
                    pos: cpos,
                    names: first,
                }
            }
            Arg::Var { name, .. } => Arg::Var {
                pos: cpos,
                name,
                names,
            },
            Arg::Bool(..) | Arg::Str(..) | Arg::Nil(_) | Arg::Number { .. } | Arg::Dot(_) => {
                return Err(self.err_at(
                    &t,
                    format!("unexpected . after term {:?}", term.to_string()),
                ))
            }
            node => Arg::Chain {
                pos: cpos,
                node: Box::new(node),
                names,
            },
        })
    }
}

/// Go's number syntax: decimal, `0x`, `0o`, `0b`, legacy octal, `_` separators, floats.
fn parse_number(text: &str) -> Option<Num> {
    if let Ok(c) = text.parse::<u32>() {
        // Character constants arrive as their code point.
        return Some(Num::Int(i64::from(c)));
    }
    let clean = text.replace('_', "");
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b.to_string()),
        None => (false, clean.trim_start_matches('+').to_string()),
    };
    let lower = body.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else {
        lower.parse::<i64>().ok()
    };
    if let Some(i) = int {
        return Some(Num::Int(if neg { -i } else { i }));
    }
    if lower.starts_with("0x") || lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    let f = lower.parse::<f64>().ok()?;
    Some(Num::Float(if neg { -f } else { f }))
}

/// Go's `ListNode.String()`: the source form of a list of nodes.
pub struct ListStr<'a>(pub &'a List);

impl std::fmt::Display for ListStr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for n in self.0 {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for Node {
    /// Go's `Node.String()`, used in error contexts (`at <{{range .X}}...>`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kw, b) = match self {
            Node::Text(t) => return f.write_str(t),
            Node::Action(p) => return write!(f, "{{{{{p}}}}}"),
            Node::Break => return f.write_str("{{break}}"),
            Node::Continue => return f.write_str("{{continue}}"),
            Node::If(b) => ("if", b),
            Node::Range(b) => ("range", b),
            Node::With(b) => ("with", b),
        };
        write!(f, "{{{{{kw} {}}}}}{}", b.pipe, ListStr(&b.list))?;
        if let Some(e) = &b.else_list {
            write!(f, "{{{{else}}}}{}", ListStr(e))?;
        }
        f.write_str("{{end}}")
    }
}
