//! Go's text/template, as Docker's `--format`/`-f` uses it: parse once with
//! [`Template::parse`], execute per object with [`Template::execute`] over JSON data.
//!
//! Values print as Go's fmt `%v` does (`[a b]`, `map[k:v]`, `<no value>` for a missing key,
//! `<nil>` for null), and Docker's functions (`json`, `join`, `split`, `lower`, `upper`,
//! `title`, `pad`, `truncate`) sit beside Go's builtins. Errors carry Go's wording, e.g.
//! `template: :1: function "foo" not defined` or
//! `template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"`.

mod exec;
mod funcs;
mod lexer;
mod parse;
mod printf;
mod value;

use serde_json::Value;

/// A parse or execution error, worded as Go's (`template: :1: …`); Docker's commands prefix
/// it with `template parsing error: `.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateError {
    Parse(String),
    Exec(String),
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Parse(m) | TemplateError::Exec(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TemplateError {}

/// Fields of the top-level object computed on demand, as Go methods on Docker's
/// formatter contexts (`{{.Label "com.x"}}`): called with the field name and its evaluated
/// arguments; `None` when the name is not one.
pub type RootFields<'a> = &'a dyn Fn(&str, &[Value]) -> Option<Result<Value, String>>;

/// How a template executes.
#[derive(Default, Clone, Copy)]
pub struct Options<'a> {
    /// Go's `missingkey=error`: a missing map key is an error instead of `<no value>`.
    /// Docker's `inspect -f` executes this way on the raw JSON.
    pub missing_key_error: bool,
    /// The top-level object stands for a Go struct of this type (e.g.
    /// `*formatter.ContainerContext`): an unknown field is Go's
    /// `can't evaluate field X in type T`.
    pub root_type: Option<&'a str>,
    pub root_fields: Option<RootFields<'a>>,
    /// Docker's table header pass: `json`, `split`, `join`, `title`, `lower`, `upper` and
    /// `truncate` return their first argument unchanged (docker/cli `HeaderFunctions`).
    pub header: bool,
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    src: String,
    list: parse::List,
}

impl Template {
    pub fn parse(src: &str) -> Result<Self, TemplateError> {
        Ok(Template {
            src: src.to_string(),
            list: parse::parse(src, &funcs::is_defined)?,
        })
    }

    /// Execute with `data` as dot and `$`, Go's default options.
    #[allow(dead_code)] // part of the engine's API; the commands all pass options
    pub fn execute(&self, data: &Value) -> Result<String, TemplateError> {
        self.execute_with(data, &Options::default())
    }

    pub fn execute_with(&self, data: &Value, opts: &Options<'_>) -> Result<String, TemplateError> {
        exec::execute(&self.src, &self.list, data, opts)
    }
}

/// Parse and execute `tpl` once.
#[allow(dead_code)] // part of the engine's API; the commands parse once per listing
pub fn render(tpl: &str, data: &Value) -> Result<String, TemplateError> {
    Template::parse(tpl)?.execute(data)
}

#[cfg(test)]
mod tests;
