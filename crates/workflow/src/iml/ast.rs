//! The IML syntax tree. Every node keeps the byte span it was parsed from,
//! so evaluation errors point at the function or operator that failed.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub expr: Expr,
    /// Byte offsets into the template string.
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number, a quoted string or a keyword (`null`, `emptyarray`, …).
    Lit(Value),
    /// Unquoted text: a whole function argument that is not an expression
    /// (`formatDate(now; YYYY-MM-DD)`), or a bare word compared with
    /// something (`1.status = active`).
    Text(String),
    /// A word that is neither keyword, variable nor reference. Only allowed
    /// where unquoted text is; the parser turns it into [`Expr::Text`] or
    /// refuses it.
    Bare(String),
    /// `1.a.b[2]` or `var.input.name`.
    Ref {
        root: Root,
        path: Vec<Segment>,
    },
    /// `now`, `timestamp`, `uuid`.
    Var(Variable),
    Call {
        name: String,
        args: Vec<Node>,
    },
    Neg(Box<Node>),
    Binary {
        op: BinOp,
        left: Box<Node>,
        right: Box<Node>,
    },
    /// `expr[index]` on something other than a reference, e.g. `split(x; ,)[2]`.
    Index {
        target: Box<Node>,
        index: Box<Node>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Root {
    /// A module's output in the current bundle's lineage.
    Module(i64),
    /// `var.…`: run input, scenario and execution.
    Var,
    /// `secret.NAME`: a secret of the run's owner (or a shared one).
    Secret,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    /// `.name` or ``.`name` ``.
    Key(String),
    /// `[expr]`: 1-based for arrays, a key for objects.
    Index(Node),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variable {
    Now,
    Timestamp,
    Uuid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub(crate) fn from_symbol(symbol: &str) -> Option<Self> {
        Some(match symbol {
            "|" => Self::Or,
            "&" => Self::And,
            "=" => Self::Eq,
            "!=" => Self::Ne,
            "<" => Self::Lt,
            ">" => Self::Gt,
            "<=" => Self::Le,
            ">=" => Self::Ge,
            "+" => Self::Add,
            "-" => Self::Sub,
            "*" => Self::Mul,
            "/" => Self::Div,
            "%" => Self::Rem,
            _ => return None,
        })
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Self::Or => "|",
            Self::And => "&",
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Gt => ">",
            Self::Le => "<=",
            Self::Ge => ">=",
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Rem => "%",
        }
    }

    /// Left binding power: `|` < `&` < comparisons < `+ -` < `* / %`.
    pub(crate) fn power(self) -> u8 {
        match self {
            Self::Or => 1,
            Self::And => 2,
            Self::Eq | Self::Ne | Self::Lt | Self::Gt | Self::Le | Self::Ge => 3,
            Self::Add | Self::Sub => 4,
            Self::Mul | Self::Div | Self::Rem => 5,
        }
    }

    pub(crate) fn is_comparison(self) -> bool {
        self.power() == 3
    }
}
