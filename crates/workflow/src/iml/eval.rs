//! Evaluation of a parsed expression against a [`Scope`]: module outputs of
//! the current bundle's lineage and the `var.…` variables.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use super::ast::{BinOp, Expr, Node, Root, Segment, Variable};
use super::value::{self, compare, equal, to_number, to_text, truthy, type_name};
use super::{functions, ImlError};

/// Where module references (`{{3.name}}`) find their values.
pub trait Outputs {
    fn output(&self, module: i64) -> Option<&Value>;
}

impl Outputs for BTreeMap<i64, Value> {
    fn output(&self, module: i64) -> Option<&Value> {
        self.get(&module)
    }
}

/// What an expression can see. `vars` is the object behind `var.`:
/// `{"input": …, "scenario": {"id", "name"}, "execution": {"id"}}`;
/// `secrets` is what `secret.NAME` finds (the run's usable secrets).
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub outputs: &'a dyn Outputs,
    pub vars: &'a Value,
    pub secrets: &'a BTreeMap<String, String>,
}

pub(crate) struct Evaluator<'a> {
    pub scope: Scope<'a>,
    /// The template text, for error positions.
    pub source: &'a str,
}

impl Evaluator<'_> {
    fn error(&self, node: &Node, message: impl Into<String>) -> ImlError {
        ImlError::at(self.source, node.start, message)
    }

    pub fn eval(&self, node: &Node) -> Result<Value, ImlError> {
        match &node.expr {
            Expr::Lit(value) => Ok(value.clone()),
            Expr::Text(text) | Expr::Bare(text) => Ok(Value::String(text.clone())),
            Expr::Var(variable) => Ok(match variable {
                Variable::Now => Value::String(functions::date::now_text()),
                Variable::Timestamp => Value::from(chrono::Utc::now().timestamp()),
                Variable::Uuid => Value::String(uuid::Uuid::new_v4().to_string()),
            }),
            Expr::Ref {
                root: Root::Secret,
                path,
            } => self.secret(node, path),
            Expr::Ref { root, path } => self.reference(*root, path),
            Expr::Index { target, index } => {
                let target = self.eval(target)?;
                let index = self.eval(index)?;
                Ok(value::index(&target, &index))
            }
            Expr::Neg(inner) => {
                let operand = self.eval(inner)?;
                let number = to_number(&operand).ok_or_else(|| {
                    self.error(
                        node,
                        format!(
                            "expects a number, got {} {}",
                            type_name(&operand),
                            shown(&operand)
                        ),
                    )
                    .in_function("-")
                })?;
                value::number_value(-number).ok_or_else(|| self.error(node, "not a finite number"))
            }
            Expr::Binary { op, left, right } => {
                let result = self.binary(node, *op, left, right)?;
                self.limited(node, result, op.symbol())
            }
            Expr::Call { name, args } => self.call(node, name, args),
        }
    }

    /// `secret.NAME`: its value, or an error when the run may not have it
    /// (a mapper must not quietly send an empty token).
    fn secret(&self, node: &Node, path: &[Segment]) -> Result<Value, ImlError> {
        let [Segment::Key(name)] = path else {
            return Err(self.error(node, "a secret is named `secret.NAME`"));
        };
        self.scope
            .secrets
            .get(name)
            .map(|value| Value::String(value.clone()))
            .ok_or_else(|| {
                self.error(
                    node,
                    format!(
                        "secret {name} is not defined (or not usable by this scenario's owner)"
                    ),
                )
            })
    }

    fn reference(&self, root: Root, path: &[Segment]) -> Result<Value, ImlError> {
        let start: Option<&Value> = match root {
            Root::Module(id) => self.scope.outputs.output(id),
            Root::Var => Some(self.scope.vars),
            Root::Secret => None,
        };
        let Some(start) = start else {
            return Ok(Value::Null);
        };
        let mut current: Cow<'_, Value> = Cow::Borrowed(start);
        for segment in path {
            current = match (segment, current) {
                (Segment::Key(key), Cow::Borrowed(Value::Object(map))) => {
                    Cow::Borrowed(map.get(key.as_str()).unwrap_or(&Value::Null))
                }
                (Segment::Key(key), current) => Cow::Owned(value::field(&current, key)),
                (Segment::Index(index), current) => {
                    let index = self.eval(index)?;
                    Cow::Owned(value::index(&current, &index))
                }
            };
        }
        Ok(current.into_owned())
    }

    fn binary(&self, node: &Node, op: BinOp, left: &Node, right: &Node) -> Result<Value, ImlError> {
        let a = self.eval(left)?;
        match op {
            BinOp::And if !truthy(&a) => return Ok(Value::Bool(false)),
            BinOp::Or if truthy(&a) => return Ok(Value::Bool(true)),
            _ => {}
        }
        let b = self.eval(right)?;
        let fail = |message: String| self.error(node, message).in_function(op.symbol());
        Ok(match op {
            BinOp::And | BinOp::Or => Value::Bool(truthy(&b)),
            BinOp::Eq => Value::Bool(equal(&a, &b)),
            BinOp::Ne => Value::Bool(!equal(&a, &b)),
            BinOp::Lt => Value::Bool(compare(&a, &b).is_lt()),
            BinOp::Gt => Value::Bool(compare(&a, &b).is_gt()),
            BinOp::Le => Value::Bool(compare(&a, &b).is_le()),
            BinOp::Ge => Value::Bool(compare(&a, &b).is_ge()),
            BinOp::Add => match (&a, &b) {
                (Value::Null, other) | (other, Value::Null) => other.clone(),
                (Value::Number(_), Value::Number(_)) => arithmetic(op, &a, &b).map_err(fail)?,
                (Value::Array(x), Value::Array(y)) => {
                    Value::Array(x.iter().chain(y).cloned().collect())
                }
                (Value::String(_), _) | (_, Value::String(_)) => {
                    Value::String(to_text(&a) + &to_text(&b))
                }
                _ => {
                    return Err(fail(format!(
                        "cannot add {} and {}",
                        type_name(&a),
                        type_name(&b)
                    )))
                }
            },
            BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                arithmetic(op, &a, &b).map_err(fail)?
            }
        })
    }

    fn call(&self, node: &Node, name: &str, args: &[Node]) -> Result<Value, ImlError> {
        // `if` and `ifempty` evaluate only the branch they return.
        match (name, args) {
            ("if", [condition, then, rest @ ..]) => {
                if truthy(&self.eval(condition)?) {
                    return self.eval(then);
                }
                return rest
                    .first()
                    .map_or(Ok(Value::Null), |otherwise| self.eval(otherwise));
            }
            ("ifempty", [first, second]) => {
                let value = self.eval(first)?;
                return if value::is_empty(&value) {
                    self.eval(second)
                } else {
                    Ok(value)
                };
            }
            _ => {}
        }
        let values = args
            .iter()
            .map(|arg| self.eval(arg))
            .collect::<Result<Vec<_>, _>>()?;
        let result = functions::call(name, &values)
            .map_err(|message| self.error(node, message).in_function(name))?;
        self.limited(node, result, name)
    }

    /// Refuses values over [`value::MAX_VALUE_BYTES`].
    fn limited(&self, node: &Node, result: Value, what: &str) -> Result<Value, ImlError> {
        if value::within_limit(&result) {
            return Ok(result);
        }
        Err(self
            .error(
                node,
                format!(
                    "the result is larger than {} MiB",
                    value::MAX_VALUE_BYTES >> 20
                ),
            )
            .in_function(what))
    }
}

/// `- * / %` and numeric `+`: integers stay integers when they can.
fn arithmetic(op: BinOp, a: &Value, b: &Value) -> Result<Value, String> {
    let (Some(x), Some(y)) = (to_number(a), to_number(b)) else {
        let bad = if to_number(a).is_none() { a } else { b };
        return Err(format!(
            "expects numbers, got {} {}",
            type_name(bad),
            shown(bad)
        ));
    };
    if matches!(op, BinOp::Div | BinOp::Rem) && y == 0.0 {
        return Err("division by zero".to_owned());
    }
    if let (Some(i), Some(j)) = (a.as_i64(), b.as_i64()) {
        let exact = match op {
            BinOp::Add => i.checked_add(j),
            BinOp::Sub => i.checked_sub(j),
            BinOp::Mul => i.checked_mul(j),
            BinOp::Rem => i.checked_rem(j),
            _ => None,
        };
        if let Some(n) = exact {
            return Ok(Value::from(n));
        }
    }
    let result = match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        _ => x % y,
    };
    value::number_value(result).ok_or_else(|| "the result is not a finite number".to_owned())
}

/// A short rendering of a value for error messages.
pub(crate) fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}
