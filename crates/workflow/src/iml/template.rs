//! Templates: strings holding `{{expression}}`s, and mapper values (JSON
//! trees whose strings are templates).

use serde_json::{Map, Value};

use super::ast::Node;
use super::eval::{Evaluator, Scope};
use super::lexer::lex;
use super::parser::parse_expression;
use super::value::{size_up_to, to_text, MAX_VALUE_BYTES};
use super::ImlError;

/// A parsed template string.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Text(String),
    Expr(Node),
}

impl Template {
    pub fn parse(source: &str) -> Result<Self, ImlError> {
        let mut parts = Vec::new();
        let mut rest = 0;
        while let Some(offset) = source[rest..].find("{{") {
            let open = rest + offset;
            if open > rest {
                parts.push(Part::Text(source[rest..open].to_owned()));
            }
            let tokens = lex(source, open + 2)?;
            let node = parse_expression(source, &tokens)?;
            rest = tokens.last().map_or(source.len(), |close| close.end);
            parts.push(Part::Expr(node));
        }
        if rest < source.len() {
            parts.push(Part::Text(source[rest..].to_owned()));
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
        })
    }

    /// Whether the template has no expression at all.
    pub fn is_plain(&self) -> bool {
        self.parts.iter().all(|part| matches!(part, Part::Text(_)))
    }

    /// A template that is exactly one `{{…}}` keeps the expression's type;
    /// otherwise the parts are joined as text.
    pub fn eval(&self, scope: Scope<'_>) -> Result<Value, ImlError> {
        let evaluator = Evaluator {
            scope,
            source: &self.source,
        };
        if let [Part::Expr(node)] = self.parts.as_slice() {
            return evaluator.eval(node);
        }
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Text(literal) => text.push_str(literal),
                Part::Expr(node) => text.push_str(&to_text(&evaluator.eval(node)?)),
            }
            if text.len() > MAX_VALUE_BYTES {
                return Err(ImlError::at(
                    &self.source,
                    0,
                    "the text is larger than the size limit",
                ));
            }
        }
        Ok(Value::String(text))
    }
}

/// Evaluates a mapper value: strings as templates, objects and arrays
/// walked recursively, other values as they are. The whole result stays
/// under the size limit, not only each expression's.
pub fn evaluate(value: &Value, scope: Scope<'_>) -> Result<Value, ImlError> {
    let mut budget = MAX_VALUE_BYTES;
    evaluate_within(value, scope, &mut budget)
}

fn evaluate_within(value: &Value, scope: Scope<'_>, budget: &mut usize) -> Result<Value, ImlError> {
    Ok(match value {
        Value::String(text) if text.contains("{{") => {
            let result = Template::parse(text)?.eval(scope)?;
            match size_up_to(&result, *budget) {
                Some(size) => *budget -= size,
                None => {
                    return Err(ImlError::at(
                        text,
                        0,
                        "the mapper's values together are larger than the size limit",
                    ))
                }
            }
            result
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| evaluate_within(item, scope, budget))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, item) in map {
                out.insert(key.clone(), evaluate_within(item, scope, budget)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Parses every template in a mapper value; on failure, the path of the
/// offending string (`items[2].name`, relative to `value`) and the error.
pub fn check(value: &Value) -> Result<(), (String, ImlError)> {
    fn walk(value: &Value, path: &mut String) -> Result<(), (String, ImlError)> {
        match value {
            Value::String(text) if text.contains("{{") => Template::parse(text)
                .map(drop)
                .map_err(|error| (path.clone(), error)),
            Value::Array(items) => items.iter().enumerate().try_for_each(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{}]", i + 1));
                let result = walk(item, path);
                path.truncate(len);
                result
            }),
            Value::Object(map) => map.iter().try_for_each(|(key, item)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let result = walk(item, path);
                path.truncate(len);
                result
            }),
            _ => Ok(()),
        }
    }
    walk(value, &mut String::new())
}
