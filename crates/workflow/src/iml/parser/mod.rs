//! The IML parser: a Pratt parser over the lexer's tokens for the inside of
//! one `{{…}}`.
//!
//! Errors are *soft* (this is not an expression; inside a function argument
//! the argument's raw text is taken as unquoted text instead, as Make does)
//! or *hard* (unknown function, wrong argument count, unbalanced
//! parentheses, too deep: always an error).

use serde_json::Value;

mod words;

use super::ast::{BinOp, Expr, Node, Root, Segment};
use super::functions;
use super::lexer::{Tok, Token};
use super::ImlError;
use words::{describe, number, resolve_bare, word};

/// Deepest tree accepted, so evaluating it cannot exhaust the stack.
const MAX_HEIGHT: usize = 128;

pub(super) struct ParseError {
    pub hard: bool,
    pub at: usize,
    pub message: String,
}

pub(super) fn soft(at: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        hard: false,
        at,
        message: message.into(),
    }
}

pub(super) fn hard(at: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        hard: true,
        at,
        message: message.into(),
    }
}

/// Parses the tokens of one `{{…}}` (the last token is the closing `}}`).
pub(crate) fn parse_expression(source: &str, tokens: &[Token]) -> Result<Node, ImlError> {
    let mut parser = Parser {
        source,
        tokens,
        pos: 0,
    };
    let error = |e: ParseError| ImlError::at(source, e.at, e.message);
    if parser.peek() == &Tok::Close {
        return Err(ImlError::at(
            source,
            parser.here(),
            "empty expression `{{}}`",
        ));
    }
    let node = parser.expr(0, 0).map_err(error)?;
    if parser.peek() != &Tok::Close {
        return Err(ImlError::at(
            source,
            parser.here(),
            format!("unexpected {}", describe(parser.peek())),
        ));
    }
    resolve_bare(node, false).map_err(error)
}

struct Parser<'t> {
    source: &'t str,
    tokens: &'t [Token],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        // The lexer always ends the list with `}}`, and the parser never moves past it.
        self.tokens.get(self.pos).map_or(&Tok::Close, |t| &t.tok)
    }

    fn here(&self) -> usize {
        self.tokens
            .get(self.pos)
            .or(self.tokens.last())
            .map_or(0, |t| t.start)
    }

    fn advance(&mut self) -> Token {
        let token = self.tokens.get(self.pos).cloned().unwrap_or(Token {
            tok: Tok::Close,
            start: 0,
            end: 0,
        });
        if token.tok != Tok::Close {
            self.pos += 1;
        }
        token
    }

    /// The end of the previous token.
    fn last_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |t| t.end)
    }

    /// `base` is the height of the tree above this expression.
    fn expr(&mut self, min_power: u8, base: usize) -> Result<Node, ParseError> {
        if base > MAX_HEIGHT {
            return Err(hard(self.here(), "expression nested too deeply"));
        }
        let mut left = self.prefix(base)?;
        let mut spine = 0;
        while let Tok::Op(symbol) = self.peek() {
            let Some(op) = BinOp::from_symbol(symbol) else {
                break;
            };
            if op.power() <= min_power {
                break;
            }
            spine += 1;
            if base + spine > MAX_HEIGHT {
                return Err(hard(
                    self.here(),
                    "expression too long or nested too deeply",
                ));
            }
            self.advance();
            let right = self.expr(op.power(), base + spine + 1)?;
            let (start, end) = (left.start, right.end);
            left = Node {
                expr: Expr::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                start,
                end,
            };
        }
        Ok(left)
    }

    fn prefix(&mut self, base: usize) -> Result<Node, ParseError> {
        if self.peek() == &Tok::Op("-") {
            let minus = self.advance();
            let operand = self.expr(5, base + 1)?;
            let end = operand.end;
            return Ok(Node {
                expr: Expr::Neg(Box::new(operand)),
                start: minus.start,
                end,
            });
        }
        let node = self.primary(base)?;
        self.postfix(node, base)
    }

    fn primary(&mut self, base: usize) -> Result<Node, ParseError> {
        let token = self.advance();
        let at = |expr| Node {
            expr,
            start: token.start,
            end: token.end,
        };
        match &token.tok {
            Tok::Num(text) => {
                if self.peek() == &Tok::Dot
                    && self
                        .tokens
                        .get(self.pos)
                        .is_some_and(|t| t.start == token.end)
                {
                    if let Ok(id) = text.parse::<i64>() {
                        return self.reference(Root::Module(id), token.start, base);
                    }
                }
                number(text)
                    .map(|v| at(Expr::Lit(v)))
                    .ok_or_else(|| soft(token.start, format!("invalid number {text}")))
            }
            Tok::Str(text) => Ok(at(Expr::Lit(Value::String(text.clone())))),
            Tok::Ident(name) if self.peek() == &Tok::LParen => self.call(name, &token, base),
            Tok::Ident(name) if name == "var" && self.peek() == &Tok::Dot => {
                self.reference(Root::Var, token.start, base)
            }
            Tok::Ident(name) if name == "secret" && self.peek() == &Tok::Dot => {
                self.reference(Root::Secret, token.start, base)
            }
            Tok::Ident(name) => Ok(at(word(name))),
            Tok::LParen => {
                let inner = self.expr(0, base + 1)?;
                if self.peek() != &Tok::RParen {
                    return Err(match self.peek() {
                        Tok::Close => {
                            hard(token.start, "unbalanced parentheses: `(` is never closed")
                        }
                        other => soft(
                            self.here(),
                            format!("expected `)`, found {}", describe(other)),
                        ),
                    });
                }
                let close = self.advance();
                Ok(Node {
                    start: token.start,
                    end: close.end,
                    ..inner
                })
            }
            Tok::Close => Err(soft(token.start, "missing operand before `}}`")),
            other => Err(soft(token.start, format!("unexpected {}", describe(other)))),
        }
    }

    /// A function call; the name and `(` are next.
    fn call(&mut self, name: &str, token: &Token, base: usize) -> Result<Node, ParseError> {
        let Some((min, max)) = functions::arity(name) else {
            return Err(hard(token.start, format!("unknown function `{name}`")));
        };
        let open = self.advance();
        let mut args = Vec::new();
        if self.peek() == &Tok::RParen {
            self.advance();
        } else {
            loop {
                args.push(self.argument(open.start, base + 1)?);
                match self.advance().tok {
                    Tok::Semi => continue,
                    Tok::RParen => break,
                    _ => {
                        return Err(hard(
                            open.start,
                            format!("unbalanced parentheses: `{name}(` is never closed"),
                        ))
                    }
                }
            }
        }
        if args.len() < min || args.len() > max {
            let expected = match (min, max) {
                (min, max) if min == max => format!("{min}"),
                (min, usize::MAX) => format!("at least {min}"),
                (min, max) => format!("{min} to {max}"),
            };
            return Err(hard(
                token.start,
                format!(
                    "function `{name}` takes {expected} argument(s), got {}",
                    args.len()
                ),
            ));
        }
        let end = self.last_end();
        Ok(Node {
            expr: Expr::Call {
                name: name.to_owned(),
                args,
            },
            start: token.start,
            end,
        })
    }

    /// One argument: an expression if it is one, otherwise its raw text.
    /// Leaves the `;` or `)` that ends it unread.
    fn argument(&mut self, open: usize, base: usize) -> Result<Node, ParseError> {
        let first = self.pos;
        let start = self.here();
        if matches!(self.peek(), Tok::Semi | Tok::RParen) {
            return Ok(Node {
                expr: Expr::Text(String::new()),
                start,
                end: start,
            });
        }
        match self.expr(0, base) {
            Ok(node) if matches!(self.peek(), Tok::Semi | Tok::RParen) => {
                if let Ok(node) = resolve_bare(node, true) {
                    return Ok(node);
                }
            }
            Err(error) if error.hard => return Err(error),
            _ => {}
        }
        self.pos = first;
        // Only parentheses count: the failed attempt above consumed a `;` or
        // `)` only inside parentheses it opened, so this scan never stops
        // before the attempt's reach, and nothing is parsed twice (counting
        // brackets too once made `merge(x];merge(x];…` exponential).
        let mut depth = 0usize;
        loop {
            match self.peek() {
                Tok::Semi | Tok::RParen if depth == 0 => break,
                Tok::LParen => depth += 1,
                Tok::RParen => depth -= 1,
                Tok::Close => {
                    return Err(hard(open, "unbalanced parentheses: `(` is never closed"))
                }
                _ => {}
            }
            self.advance();
        }
        let end = self.last_end();
        Ok(Node {
            expr: Expr::Text(self.text_between(start, end)),
            start,
            end,
        })
    }

    fn text_between(&self, start: usize, end: usize) -> String {
        self.source
            .get(start..end)
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    /// `.key`, `` .`key` `` and `[index]` after a module id or `var`.
    fn reference(&mut self, root: Root, start: usize, base: usize) -> Result<Node, ParseError> {
        let mut path = Vec::new();
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.advance();
                    let segment = self.advance();
                    match segment.tok {
                        Tok::Ident(name) | Tok::Quoted(name) => path.push(Segment::Key(name)),
                        Tok::Num(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => {
                            path.push(Segment::Key(digits))
                        }
                        other => {
                            return Err(soft(
                                segment.start,
                                format!(
                                    "expected a field name after `.`, found {}",
                                    describe(&other)
                                ),
                            ))
                        }
                    }
                }
                Tok::LBracket => path.push(Segment::Index(self.bracket(base)?)),
                _ => break,
            }
        }
        if path.is_empty() {
            return Err(soft(start, "a reference needs a field after `.`"));
        }
        Ok(Node {
            expr: Expr::Ref { root, path },
            start,
            end: self.last_end(),
        })
    }

    fn bracket(&mut self, base: usize) -> Result<Node, ParseError> {
        let open = self.advance();
        if self.peek() == &Tok::RBracket {
            return Err(soft(open.start, "empty index `[]`"));
        }
        let index = self.expr(0, base + 1)?;
        match self.peek() {
            Tok::RBracket => {
                self.advance();
                Ok(index)
            }
            Tok::Close => Err(hard(open.start, "unbalanced brackets: `[` is never closed")),
            other => Err(soft(
                self.here(),
                format!("expected `]`, found {}", describe(other)),
            )),
        }
    }

    /// `[index]` and `.key` after a call, a parenthesized expression or a
    /// variable (references take theirs in [`Self::reference`]).
    fn postfix(&mut self, mut node: Node, base: usize) -> Result<Node, ParseError> {
        if matches!(node.expr, Expr::Bare(_) | Expr::Lit(_)) {
            return Ok(node);
        }
        loop {
            let index = match self.peek() {
                Tok::LBracket => self.bracket(base)?,
                Tok::Dot => match self.tokens.get(self.pos + 1).map(|t| &t.tok) {
                    Some(Tok::Ident(key) | Tok::Quoted(key)) => {
                        let key = Value::String(key.clone());
                        self.advance();
                        let token = self.advance();
                        Node {
                            expr: Expr::Lit(key),
                            start: token.start,
                            end: token.end,
                        }
                    }
                    _ => break,
                },
                _ => break,
            };
            let (start, end) = (node.start, self.last_end());
            node = Node {
                expr: Expr::Index {
                    target: Box::new(node),
                    index: Box::new(index),
                },
                start,
                end,
            };
        }
        Ok(node)
    }
}
