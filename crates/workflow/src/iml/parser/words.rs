//! Words and tokens in the parser: keywords and variables, number
//! literals, the bare-word rule (unquoted text where Make allows it), and
//! how tokens are named in error messages.

use serde_json::Value;

use super::{soft, ParseError};
use crate::iml::ast::{Expr, Node, Segment, Variable};
use crate::iml::lexer::Tok;

/// Keywords, variables, or a bare word.
pub(super) fn word(name: &str) -> Expr {
    match name {
        "null" => Expr::Lit(Value::Null),
        "true" => Expr::Lit(Value::Bool(true)),
        "false" => Expr::Lit(Value::Bool(false)),
        "emptystring" => Expr::Lit(Value::String(String::new())),
        "emptyarray" => Expr::Lit(Value::Array(Vec::new())),
        "space" => Expr::Lit(Value::String(" ".into())),
        "newline" => Expr::Lit(Value::String("\n".into())),
        "tab" => Expr::Lit(Value::String("\t".into())),
        "now" => Expr::Var(Variable::Now),
        "timestamp" => Expr::Var(Variable::Timestamp),
        "uuid" => Expr::Var(Variable::Uuid),
        other => Expr::Bare(other.to_owned()),
    }
}

pub(super) fn number(text: &str) -> Option<Value> {
    if let Ok(int) = text.parse::<i64>() {
        return Some(Value::from(int));
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

/// Bare words become text where unquoted text is allowed (a whole argument,
/// a comparison operand) and are refused elsewhere.
pub(super) fn resolve_bare(node: Node, allowed: bool) -> Result<Node, ParseError> {
    let expr = match node.expr {
        Expr::Bare(word) if allowed => Expr::Text(word),
        Expr::Bare(word) => {
            return Err(soft(
                node.start,
                format!("unknown name `{word}` (quote text: \"{word}\")"),
            ))
        }
        Expr::Binary { op, left, right } => {
            let operands = op.is_comparison();
            Expr::Binary {
                op,
                left: Box::new(resolve_bare(*left, operands)?),
                right: Box::new(resolve_bare(*right, operands)?),
            }
        }
        Expr::Neg(inner) => Expr::Neg(Box::new(resolve_bare(*inner, false)?)),
        Expr::Index { target, index } => Expr::Index {
            target: Box::new(resolve_bare(*target, false)?),
            index: Box::new(resolve_bare(*index, false)?),
        },
        Expr::Ref { root, path } => Expr::Ref {
            root,
            path: path
                .into_iter()
                .map(|segment| match segment {
                    Segment::Index(index) => resolve_bare(index, false).map(Segment::Index),
                    key => Ok(key),
                })
                .collect::<Result<_, _>>()?,
        },
        other => other,
    };
    Ok(Node { expr, ..node })
}

pub(super) fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Close => "`}}`".to_owned(),
        Tok::Str(_) => "a string".to_owned(),
        other => format!("`{}`", raw(other)),
    }
}

/// A token as it may be written.
fn raw(tok: &Tok) -> String {
    match tok {
        Tok::Num(text) | Tok::Ident(text) => text.clone(),
        Tok::Str(text) => format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"")),
        Tok::Quoted(text) => format!("`{text}`"),
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::LBracket => "[".into(),
        Tok::RBracket => "]".into(),
        Tok::Semi => ";".into(),
        Tok::Dot => ".".into(),
        Tok::Op(symbol) => (*symbol).into(),
        Tok::Close => "}}".into(),
        Tok::Other(c) => c.to_string(),
    }
}
