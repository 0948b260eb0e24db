//! IML, Make's mapping language: templates with `{{expression}}`s, parsed
//! into a syntax tree ([`ast`]) and evaluated over JSON values.
//!
//! Layout: `lexer` (tokens of one `{{…}}`), `parser` (Pratt parser),
//! `template` (strings and mapper trees), `eval` (the evaluator and
//! [`Scope`]), `value` (text/number/truthiness/equality rules),
//! `functions/` (the library, one file per family, each documenting its
//! choices).
//!
//! # Templates
//! A string may hold any number of `{{…}}`. A string that is exactly one
//! `{{…}}` (nothing around it, not even blanks) evaluates to the
//! expression's own type (number, array, collection…); otherwise every part
//! is turned into text and concatenated: null is empty, numbers are written
//! without a needless `.0`, booleans as `true`/`false`, arrays as their
//! items joined with `, `, collections as compact JSON. A lone `}}` outside
//! an expression is ordinary text; a `{{` never closed is an error.
//!
//! # Expressions
//! - References: `1.field.sub` (module id, then a path), `1.items[1].name`
//!   (1-based indexes, after any path segment, any expression inside the
//!   brackets; a text index is a key), `` 1.`field with spaces` ``, and
//!   `var.input.NAME`, `var.scenario.id`, `var.scenario.name`,
//!   `var.execution.id`. Missing fields and modules that have not run give
//!   null. A key applied to an array collects that key from every item. A
//!   field whose name is only digits must be back-quoted after the module
//!   id would make it a decimal number (`1.5` is the number 1.5).
//!   `.key` and `[index]` also apply to the result of a call or of a
//!   parenthesized expression: `first(1.items).name`, `split(1.csv; ,)[2]`.
//! - Literals: numbers, `"double-quoted text"` (`\"` and `\\` are
//!   escapes, any other backslash is kept, so regular expressions need no
//!   doubling), keywords `null true false emptystring emptyarray space
//!   newline tab`, and the variables `now` (a date value, see
//!   `functions/date.rs`), `timestamp` (Unix seconds) and `uuid` (a new v4).
//! - Unquoted text, as Make writes it: a function argument that is not an
//!   expression is its own trimmed text (`formatDate(now; YYYY-MM-DD)`,
//!   `split(1.csv; ,)`, `if(1.ok; yes; no)`), and a bare word compared with
//!   something is text (`1.status = active`). Elsewhere an unknown word is
//!   an error (`{{nmae}}`), so typos are caught when a blueprint is saved.
//! - Calls `name(a; b)` with `;`-separated arguments; names are
//!   case-sensitive; unknown names and wrong argument counts are errors
//!   when parsing.
//! - Operators, loosest first: `|` (or), `&` (and), `= != < > <= >=`,
//!   `+ -`, `* / %`, unary `-`; left-associative; parentheses group.
//!   `&`/`|` short-circuit and give booleans (falsy: null, false, 0, empty
//!   text, empty array). `+` adds numbers, concatenates when either side is
//!   text (or both are arrays), and ignores a null side. `- * / %` need
//!   numbers (numeric text is read as a number); integers stay integers;
//!   dividing by zero is an error. `=` compares numbers numerically (also
//!   against numeric text) and other mixed types by their text; `<` etc.
//!   compare numerically when both sides are numbers, otherwise as text.
//!
//! # Errors
//! [`ImlError`] carries the template text and a character position;
//! evaluation errors also name the function or operator that failed.

pub mod ast;
mod error;
mod eval;
pub(crate) mod functions;
mod lexer;
mod parser;
mod template;
pub mod value;

pub use error::ImlError;
pub use eval::{Outputs, Scope};
pub use template::{check, evaluate, Template};

#[cfg(test)]
mod tests;
