//! Go text/template's lexer: text, `{{ }}` actions with `{{-`/`-}}` trim markers, comments,
//! and the tokens inside actions.

use super::TemplateError;

/// One token. `pos` is the byte offset in the source (Go's `Pos`), `line` its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: Kind,
    pub pos: usize,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Text(String),
    LeftDelim,
    RightDelim,
    Space,
    /// A function name or keyword (`if`, `range`, `end`, …).
    Ident(String),
    /// `.Name`: one field step.
    Field(String),
    /// `$` or `$name`.
    Variable(String),
    /// A lone `.`.
    Dot,
    /// A quoted or raw string, unquoted.
    Str(String),
    /// A number or character constant, as written.
    Number(String),
    Bool(bool),
    Nil,
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    Comma,
    Eof,
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

/// Lex `src` completely, comments dropped and trim markers applied to the text around them.
pub fn lex(src: &str) -> Result<Vec<Token>, TemplateError> {
    let mut l = Lexer {
        src,
        pos: 0,
        line: 1,
        toks: Vec::new(),
        trim_next: false,
    };
    l.run()?;
    Ok(l.toks)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
    toks: Vec<Token>,
    /// The previous action ended with ` -}}`: trim the following text's leading spaces.
    trim_next: bool,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn err(&self, msg: impl std::fmt::Display) -> TemplateError {
        TemplateError::Parse(format!("template: :{}: {msg}", self.line))
    }

    fn push(&mut self, kind: Kind, pos: usize) {
        let line = 1 + self.src[..pos].matches('\n').count();
        self.toks.push(Token { kind, pos, line });
    }

    fn advance(&mut self, n: usize) {
        self.line += self.src[self.pos..self.pos + n].matches('\n').count();
        self.pos += n;
    }

    fn run(&mut self) -> Result<(), TemplateError> {
        loop {
            let start = self.pos;
            let Some(at) = self.rest().find(LEFT) else {
                let mut text = self.rest();
                if self.trim_next {
                    text = text.trim_start_matches(is_space);
                }
                if !text.is_empty() {
                    let t = text.to_string();
                    self.push(Kind::Text(t), start);
                }
                let n = self.rest().len();
                self.advance(n);
                self.push(Kind::Eof, self.pos);
                return Ok(());
            };
            let after = &self.rest()[at + LEFT.len()..];
            // `{{- ` trims the text before; the marker needs a space after it.
            let trim_left = after.starts_with('-') && after[1..].starts_with(is_space);
            let mut text = &self.rest()[..at];
            if self.trim_next {
                text = text.trim_start_matches(is_space);
            }
            if trim_left {
                text = text.trim_end_matches(is_space);
            }
            if !text.is_empty() {
                let t = text.to_string();
                self.push(Kind::Text(t), start);
            }
            self.trim_next = false;
            self.advance(at);
            let delim_pos = self.pos;
            self.advance(LEFT.len() + if trim_left { 2 } else { 0 });
            // A comment must follow the delimiter (and trim marker) directly.
            if self.rest().starts_with("/*") {
                self.comment()?;
                continue;
            }
            self.push(Kind::LeftDelim, delim_pos);
            self.inside_action()?;
        }
    }

    fn comment(&mut self) -> Result<(), TemplateError> {
        let Some(end) = self.rest().find("*/") else {
            return Err(self.err("unclosed comment"));
        };
        self.advance(end + 2);
        if let Some(r) = self.right_delim() {
            self.advance(r.0);
            self.trim_next = r.1;
            Ok(())
        } else {
            Err(self.err("comment ends before closing delimiter"))
        }
    }

    /// At the closing delimiter (with its trim marker)? Its length and whether it trims.
    fn right_delim(&self) -> Option<(usize, bool)> {
        let r = self.rest();
        if r.starts_with(RIGHT) {
            return Some((RIGHT.len(), false));
        }
        let sp = r.len() - r.trim_start_matches(is_space).len();
        if sp > 0 && r[sp..].starts_with('-') && r[sp + 1..].starts_with(RIGHT) {
            return Some((sp + 1 + RIGHT.len(), true));
        }
        None
    }

    fn inside_action(&mut self) -> Result<(), TemplateError> {
        let mut parens = 0i32;
        loop {
            if let Some((n, trim)) = self.right_delim() {
                if parens > 0 {
                    return Err(self.err("unclosed left paren"));
                }
                let p = self.pos;
                let sp = if trim { n - 1 - RIGHT.len() } else { 0 };
                if sp > 0 {
                    self.push(Kind::Space, p);
                }
                self.push(Kind::RightDelim, p + n - RIGHT.len());
                self.advance(n);
                self.trim_next = trim;
                return Ok(());
            }
            let start = self.pos;
            let Some(c) = self.rest().chars().next() else {
                return Err(self.err("unclosed action"));
            };
            match c {
                c if is_space(c) => {
                    let n = self.rest().len() - self.rest().trim_start_matches(is_space).len();
                    self.advance(n);
                    self.push(Kind::Space, start);
                }
                '=' => {
                    self.advance(1);
                    self.push(Kind::Assign, start);
                }
                ':' => {
                    if !self.rest().starts_with(":=") {
                        return Err(self.err("expected :="));
                    }
                    self.advance(2);
                    self.push(Kind::Declare, start);
                }
                '|' => {
                    self.advance(1);
                    self.push(Kind::Pipe, start);
                }
                ',' => {
                    self.advance(1);
                    self.push(Kind::Comma, start);
                }
                '(' => {
                    parens += 1;
                    self.advance(1);
                    self.push(Kind::LeftParen, start);
                }
                ')' => {
                    parens -= 1;
                    if parens < 0 {
                        return Err(self.err("unexpected right paren"));
                    }
                    self.advance(1);
                    self.push(Kind::RightParen, start);
                }
                '"' => {
                    let s = self.quoted()?;
                    self.push(Kind::Str(s), start);
                }
                '`' => {
                    let Some(end) = self.rest()[1..].find('`') else {
                        return Err(self.err("unterminated raw quoted string"));
                    };
                    let s = self.rest()[1..1 + end].to_string();
                    self.advance(end + 2);
                    self.push(Kind::Str(s), start);
                }
                '\'' => {
                    let n = self.char_const()?;
                    self.push(Kind::Number(n), start);
                }
                '$' => {
                    let n = 1 + self.word_len(1);
                    let name = self.rest()[..n].to_string();
                    self.advance(n);
                    self.push(Kind::Variable(name), start);
                }
                '.' => {
                    let next = self.rest()[1..].chars().next();
                    if next.is_some_and(|c| c.is_ascii_digit()) {
                        let n = self.number_len();
                        let s = self.rest()[..n].to_string();
                        self.advance(n);
                        self.push(Kind::Number(s), start);
                    } else if next.is_some_and(is_alnum) {
                        let n = 1 + self.word_len(1);
                        let name = self.rest()[1..n].to_string();
                        self.advance(n);
                        self.push(Kind::Field(name), start);
                    } else {
                        self.advance(1);
                        self.push(Kind::Dot, start);
                    }
                }
                '+' | '-' | '0'..='9' => {
                    let n = self.number_len();
                    let s = self.rest()[..n].to_string();
                    if n == 0 || s == "+" || s == "-" {
                        return Err(self.err(format!("bad number syntax: {s:?}")));
                    }
                    self.advance(n);
                    self.push(Kind::Number(s), start);
                }
                c if is_alnum(c) => {
                    let n = self.word_len(0);
                    let w = self.rest()[..n].to_string();
                    self.advance(n);
                    let kind = match w.as_str() {
                        "true" => Kind::Bool(true),
                        "false" => Kind::Bool(false),
                        "nil" => Kind::Nil,
                        _ => Kind::Ident(w),
                    };
                    self.push(kind, start);
                }
                c => {
                    return Err(self.err(format!("unrecognized character in action: {c:?}")));
                }
            }
        }
    }

    fn word_len(&self, from: usize) -> usize {
        let r = &self.rest()[from..];
        r.len() - r.trim_start_matches(is_alnum).len()
    }

    /// Go's scanNumber, loosely: sign, digits, letters (hex, exponents), dots, `_`.
    fn number_len(&self) -> usize {
        let r = self.rest();
        let mut n = 0;
        let b = r.as_bytes();
        if n < b.len() && (b[n] == b'+' || b[n] == b'-') {
            n += 1;
        }
        while n < b.len() {
            let c = b[n];
            let exp_sign = (c == b'+' || c == b'-')
                && n > 0
                && matches!(b[n - 1], b'e' | b'E' | b'p' | b'P')
                && !r[..n].starts_with("0x");
            if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exp_sign {
                n += 1;
            } else {
                break;
            }
        }
        n
    }

    fn quoted(&mut self) -> Result<String, TemplateError> {
        let mut out = String::new();
        let mut chars = self.rest().char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.advance(i + 1);
                    return Ok(out);
                }
                '\n' => break,
                '\\' => {
                    let Some((_, e)) = chars.next() else { break };
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'a' => out.push('\x07'),
                        'b' => out.push('\x08'),
                        'f' => out.push('\x0c'),
                        'v' => out.push('\x0b'),
                        '\\' => out.push('\\'),
                        '"' => out.push('"'),
                        '\'' => out.push('\''),
                        'x' | 'u' | 'U' => {
                            let len = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let hex: String = chars.by_ref().take(len).map(|(_, c)| c).collect();
                            let ch = u32::from_str_radix(&hex, 16)
                                .ok()
                                .filter(|_| hex.len() == len)
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.err("invalid syntax"))?;
                            out.push(ch);
                        }
                        _ => return Err(self.err("invalid syntax")),
                    }
                }
                c => out.push(c),
            }
        }
        Err(self.err("unterminated quoted string"))
    }

    /// A character constant such as `'a'` or `'\n'`, kept as its code point number.
    fn char_const(&mut self) -> Result<String, TemplateError> {
        let r = self.rest();
        let mut it = r.char_indices().skip(1);
        let (c, end) = match it.next() {
            Some((_, '\\')) => {
                let e = it.next().map(|x| x.1);
                let c = match e {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('\\') => '\\',
                    Some('\'') => '\'',
                    Some('0') => '\0',
                    _ => return Err(self.err("unterminated character constant")),
                };
                (c, it.next())
            }
            Some((_, c)) => (c, it.next()),
            None => return Err(self.err("unterminated character constant")),
        };
        match end {
            Some((i, '\'')) => {
                self.advance(i + 1);
                Ok((c as u32).to_string())
            }
            _ => Err(self.err("unterminated character constant")),
        }
    }
}
