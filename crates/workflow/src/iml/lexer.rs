//! The IML lexer: turns the text after a `{{` into tokens, up to and
//! including the closing `}}`. Offsets are byte offsets into the whole
//! template string, so errors can point into what the user wrote.
//!
//! Characters that mean nothing in IML (`:`, `,`, `!`, a lone `{` …) become
//! [`Tok::Other`] rather than errors: inside a function argument they may
//! be part of unquoted text (`formatDate(now; HH:mm)`), which only the
//! parser can decide.

use super::ImlError;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A number literal, as written (`12`, `3.5`).
    Num(String),
    /// A double-quoted string; `\"` and `\\` are escapes, other backslashes
    /// stay (so regular expressions need no doubling).
    Str(String),
    Ident(String),
    /// A back-quoted name (`` `field with spaces` ``), quotes removed.
    Quoted(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Semi,
    Dot,
    /// One of `+ - * / % = != < > <= >= & |`.
    Op(&'static str),
    /// The closing `}}`.
    Close,
    Other(char),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// Lexes `source` from byte `from` (just after `{{`) through the closing
/// `}}`, which is the last token returned.
pub(crate) fn lex(source: &str, from: usize) -> Result<Vec<Token>, ImlError> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut i = from;
    while i < bytes.len() {
        let start = i;
        let Some(c) = source[i..].chars().next() else {
            break;
        };
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let (tok, end) = match c {
            '}' if bytes.get(i + 1) == Some(&b'}') => (Tok::Close, i + 2),
            '"' => lex_string(source, i)?,
            '`' => lex_quoted(source, i)?,
            '0'..='9' => lex_number(source, i),
            c if is_ident_start(c) => {
                let end = scan(source, i, is_ident_continue);
                (Tok::Ident(source[i..end].to_owned()), end)
            }
            '(' => (Tok::LParen, i + 1),
            ')' => (Tok::RParen, i + 1),
            '[' => (Tok::LBracket, i + 1),
            ']' => (Tok::RBracket, i + 1),
            ';' => (Tok::Semi, i + 1),
            '.' => (Tok::Dot, i + 1),
            '!' if bytes.get(i + 1) == Some(&b'=') => (Tok::Op("!="), i + 2),
            '<' if bytes.get(i + 1) == Some(&b'=') => (Tok::Op("<="), i + 2),
            '>' if bytes.get(i + 1) == Some(&b'=') => (Tok::Op(">="), i + 2),
            '+' => (Tok::Op("+"), i + 1),
            '-' => (Tok::Op("-"), i + 1),
            '*' => (Tok::Op("*"), i + 1),
            '/' => (Tok::Op("/"), i + 1),
            '%' => (Tok::Op("%"), i + 1),
            '=' => (Tok::Op("="), i + 1),
            '<' => (Tok::Op("<"), i + 1),
            '>' => (Tok::Op(">"), i + 1),
            '&' => (Tok::Op("&"), i + 1),
            '|' => (Tok::Op("|"), i + 1),
            other => (Tok::Other(other), i + other.len_utf8()),
        };
        let closed = tok == Tok::Close;
        tokens.push(Token { tok, start, end });
        i = end;
        if closed {
            return Ok(tokens);
        }
    }
    Err(ImlError::at(
        source,
        from.saturating_sub(2),
        "unbalanced braces: `{{` is never closed by `}}`",
    ))
}

pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// The end of the run of characters satisfying `keep` that starts at `from`.
fn scan(source: &str, from: usize, keep: fn(char) -> bool) -> usize {
    source[from..]
        .char_indices()
        .find(|&(_, c)| !keep(c))
        .map_or(source.len(), |(offset, _)| from + offset)
}

/// Digits, optionally followed by `.` and more digits. `1.name` is the
/// number 1 then a dot: the parser turns it into a module reference.
fn lex_number(source: &str, from: usize) -> (Tok, usize) {
    let digits = |c: char| c.is_ascii_digit();
    let mut end = scan(source, from, digits);
    let bytes = source.as_bytes();
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end = scan(source, end + 1, digits);
    }
    (Tok::Num(source[from..end].to_owned()), end)
}

fn lex_string(source: &str, from: usize) -> Result<(Tok, usize), ImlError> {
    let mut text = String::new();
    let mut chars = source[from + 1..].char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '"' => return Ok((Tok::Str(text), from + 1 + offset + 1)),
            '\\' => match chars.next() {
                Some((_, escaped @ ('"' | '\\'))) => text.push(escaped),
                Some((_, other)) => {
                    text.push('\\');
                    text.push(other);
                }
                None => break,
            },
            c => text.push(c),
        }
    }
    Err(ImlError::at(
        source,
        from,
        "unterminated string: missing closing `\"`",
    ))
}

fn lex_quoted(source: &str, from: usize) -> Result<(Tok, usize), ImlError> {
    match source[from + 1..].find('`') {
        Some(offset) => {
            let end = from + 1 + offset;
            Ok((Tok::Quoted(source[from + 1..end].to_owned()), end + 1))
        }
        None => Err(ImlError::at(
            source,
            from,
            "unterminated name: missing closing '`'",
        )),
    }
}
