//! The compiler of Orrery script: one pass that parses, resolves names to slots, checks types
//! and emits stack bytecode.
//!
//! Nesting (parentheses, blocks, `if` conditions, call arguments) is recursive descent,
//! limited to [`MAX_DEPTH`]; binary operators are parsed by operator precedence over explicit
//! stacks, and prefix operators, `else if` and `let` are loops, so none of them recurse. The
//! compiler tracks the operand stack height as it emits, so the program knows how much stack
//! it needs before it runs.

use super::lexer::{is_keyword, is_name, Lexer, Tok, Token, MAX_LITERAL};
use super::vm::Op;
use super::{Pos, Program, ScriptError, Type, BUILTINS, MAX_DEPTH, MAX_SOURCE_BYTES};

/// Parses and type-checks `source` against `schema`; see [`Program::compile`].
pub(super) fn compile<'s>(
    source: &'s str,
    schema: &[(&'s str, Type, &str)],
) -> Result<Program, ScriptError> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(ScriptError::nowhere(format!(
            "script is {} bytes long; the limit is {MAX_SOURCE_BYTES} bytes",
            source.len()
        )));
    }
    for (i, &(name, _, _)) in schema.iter().enumerate() {
        if !is_name(name) || is_keyword(name) {
            return Err(ScriptError::nowhere(format!(
                "schema: `{name}` is not a valid variable name"
            )));
        }
        if schema[..i].iter().any(|s| s.0 == name) {
            return Err(ScriptError::nowhere(format!(
                "schema: `{name}` is declared twice"
            )));
        }
    }
    let mut lexer = Lexer::new(source);
    let tok = lexer.next_token()?;
    let scope: Vec<(&str, Type)> = schema.iter().map(|&(name, ty, _)| (name, ty)).collect();
    let mut c = Compiler {
        lexer,
        tok,
        code: Vec::new(),
        spans: Vec::new(),
        max_slots: scope.len(),
        scope,
        height: 0,
        max_height: 0,
        depth: 0,
        operands: Vec::new(),
        operators: Vec::new(),
    };
    c.program()?;
    Ok(Program {
        code: c.code,
        spans: c.spans,
        host: schema
            .iter()
            .map(|&(name, ty, _)| (Box::from(name), ty))
            .collect(),
        slots: c.max_slots,
        max_stack: c.max_height,
    })
}

/// The type of a compiled expression and where it starts (for messages about it).
#[derive(Clone, Copy, Debug)]
struct Typed {
    ty: Type,
    at: Pos,
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Binary {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// The precedence of an operand that is not the result of a binary operator.
const ATOM: u8 = u8::MAX;
const PREC_EQUALITY: u8 = 3;
const PREC_COMPARE: u8 = 4;

/// The binary operator a token stands for, with its precedence (higher binds tighter).
fn binary_op(tok: Tok<'_>) -> Option<(Binary, u8)> {
    Some(match tok {
        Tok::OrOr => (Binary::Or, 1),
        Tok::AndAnd => (Binary::And, 2),
        Tok::EqEq => (Binary::Eq, PREC_EQUALITY),
        Tok::Ne => (Binary::Ne, PREC_EQUALITY),
        Tok::Lt => (Binary::Lt, PREC_COMPARE),
        Tok::Le => (Binary::Le, PREC_COMPARE),
        Tok::Gt => (Binary::Gt, PREC_COMPARE),
        Tok::Ge => (Binary::Ge, PREC_COMPARE),
        Tok::Plus => (Binary::Add, 5),
        Tok::Minus => (Binary::Sub, 5),
        Tok::Star => (Binary::Mul, 6),
        Tok::Slash => (Binary::Div, 6),
        Tok::Percent => (Binary::Rem, 6),
        _ => return None,
    })
}

/// A binary operator whose right operand is still being parsed.
#[derive(Clone, Copy, Debug)]
struct Pending<'s> {
    op: Binary,
    prec: u8,
    token: Token<'s>,
    /// The short-circuit jump of `&&` and `||`, patched once the right operand is emitted.
    jump: usize,
}

struct Compiler<'s> {
    lexer: Lexer<'s>,
    /// The current (not yet consumed) token.
    tok: Token<'s>,
    code: Vec<Op>,
    spans: Vec<Pos>,
    /// Every name in scope, host variables first; a name's index is its slot.
    scope: Vec<(&'s str, Type)>,
    max_slots: usize,
    /// Operand stack height at the current point of the emitted code.
    height: usize,
    max_height: usize,
    /// How many nesting constructs enclose the current point.
    depth: u32,
    /// Operands of the expressions being parsed, with the precedence of the operator that
    /// produced each ([`ATOM`] for none).
    operands: Vec<(Typed, u8)>,
    /// Binary operators of the expressions being parsed, waiting for their right operands.
    operators: Vec<Pending<'s>>,
}

impl<'s> Compiler<'s> {
    /// Consumes the current token and returns it.
    fn advance(&mut self) -> Result<Token<'s>, ScriptError> {
        let next = self.lexer.next_token()?;
        Ok(std::mem::replace(&mut self.tok, next))
    }

    /// An error at the current token: `{what}, found {token}`.
    fn unexpected(&self, what: &str) -> ScriptError {
        ScriptError::at(
            self.tok.at,
            format!("{what}, found {}", self.tok.describe()),
        )
    }

    /// Like [`Compiler::unexpected`], after an expression, where a stray `=` was probably
    /// meant as `==`.
    fn unexpected_after_expr(&self, what: &str) -> ScriptError {
        let mut e = self.unexpected(what);
        if self.tok.tok == Tok::Assign {
            e.message.push_str(" (use `==` to compare)");
        }
        e
    }

    /// An error for a missing closing `close` of the `open` at `at`.
    fn unclosed(&self, open: char, close: char, at: Pos) -> ScriptError {
        if self.tok.tok == Tok::Eof {
            self.unexpected(&format!(
                "expected `{close}` to close the `{open}` at line {}, column {}",
                at.line, at.col
            ))
        } else {
            self.unexpected_after_expr(&format!("expected an operator or `{close}`"))
        }
    }

    fn emit(&mut self, op: Op, at: Pos) -> usize {
        self.code.push(op);
        self.spans.push(at);
        self.code.len() - 1
    }

    fn push(&mut self) {
        self.height += 1;
        self.max_height = self.max_height.max(self.height);
    }

    fn pop(&mut self, n: usize) {
        self.height -= n;
    }

    /// Points the jump at `index` to the next instruction to be emitted.
    fn patch(&mut self, index: usize) {
        let target = u32::try_from(self.code.len()).unwrap_or(u32::MAX);
        if let Some(Op::Jump(t) | Op::JumpIfFalse(t) | Op::AndJump(t) | Op::OrJump(t)) =
            self.code.get_mut(index)
        {
            *t = target;
        }
    }

    /// Enters one level of nesting opened at `at`.
    fn enter(&mut self, at: Pos) -> Result<(), ScriptError> {
        if self.depth >= MAX_DEPTH {
            return Err(ScriptError::at(
                at,
                format!("expression nested too deeply; the limit is {MAX_DEPTH} levels"),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn program(&mut self) -> Result<(), ScriptError> {
        let result = self.body()?;
        if self.tok.tok == Tok::Semi {
            return Err(self.unexpected("expected the end of the script (the result takes no `;`)"));
        }
        if self.tok.tok != Tok::Eof {
            return Err(self.unexpected_after_expr("expected an operator or the end of the script"));
        }
        if result.ty != Type::Int {
            return Err(ScriptError::at(
                result.at,
                format!("the script's result must be int, found {}", result.ty),
            ));
        }
        Ok(())
    }

    /// `{ let } expr`: the inside of a block or the whole script; bindings end with it.
    fn body(&mut self) -> Result<Typed, ScriptError> {
        let mark = self.scope.len();
        let mut lets = 0;
        while self.tok.tok == Tok::Let {
            self.let_statement()?;
            lets += 1;
        }
        if lets > 0 && matches!(self.tok.tok, Tok::Eof | Tok::RBrace) {
            return Err(self.unexpected("expected the result expression after the last `let`"));
        }
        let result = self.expr()?;
        self.scope.truncate(mark);
        Ok(result)
    }

    fn let_statement(&mut self) -> Result<(), ScriptError> {
        self.advance()?;
        let Tok::Name(name) = self.tok.tok else {
            return Err(self.unexpected("expected a name after `let`"));
        };
        let name_at = self.advance()?.at;
        if self.tok.tok != Tok::Assign {
            return Err(self.unexpected(&format!("expected `=` after `let {name}`")));
        }
        self.advance()?;
        let value = self.expr()?;
        if self.tok.tok != Tok::Semi {
            return Err(
                self.unexpected_after_expr(&format!("expected `;` after the value of `{name}`"))
            );
        }
        self.advance()?;
        let slot = self.scope.len();
        self.emit(Op::Store(u32::try_from(slot).unwrap_or(u32::MAX)), name_at);
        self.pop(1);
        self.scope.push((name, value.ty));
        self.max_slots = self.max_slots.max(self.scope.len());
        Ok(())
    }

    /// A whole expression: operator-precedence parsing over the shared `operands` and
    /// `operators` stacks, so that chains and precedence levels cost no recursion. All binary
    /// operators are left-associative; comparisons refuse to chain.
    fn expr(&mut self) -> Result<Typed, ScriptError> {
        let base = self.operators.len();
        let first = self.unary()?;
        self.operands.push((first, ATOM));
        while let Some((op, prec)) = binary_op(self.tok.tok) {
            // Everything pending that binds at least as tightly is the new operator's left side.
            while self.operators.len() > base
                && self.operators.last().is_some_and(|p| p.prec >= prec)
            {
                self.reduce()?;
            }
            let (lhs, lhs_prec) = self.operands.last().copied().unwrap_or((first, ATOM));
            if (prec == PREC_EQUALITY || prec == PREC_COMPARE) && lhs_prec == prec {
                return Err(ScriptError::at(
                    self.tok.at,
                    "comparisons cannot be chained; combine them with `&&` or `||`",
                ));
            }
            let token = self.advance()?;
            let mut jump = 0;
            match op {
                Binary::And | Binary::Or => {
                    expect_operand(token.text, Type::Bool, lhs)?;
                    let code = if op == Binary::And {
                        Op::AndJump(0)
                    } else {
                        Op::OrJump(0)
                    };
                    jump = self.emit(code, token.at);
                    self.pop(1);
                }
                Binary::Eq | Binary::Ne => {}
                _ => expect_operand(token.text, Type::Int, lhs)?,
            }
            self.operators.push(Pending {
                op,
                prec,
                token,
                jump,
            });
            let rhs = self.unary()?;
            self.operands.push((rhs, ATOM));
        }
        while self.operators.len() > base {
            self.reduce()?;
        }
        Ok(self.operands.pop().map_or(first, |(typed, _)| typed))
    }

    /// Applies the top pending operator to the top two operands.
    fn reduce(&mut self) -> Result<(), ScriptError> {
        let (Some(pending), Some((rhs, _)), Some((lhs, _))) = (
            self.operators.pop(),
            self.operands.pop(),
            self.operands.pop(),
        ) else {
            return Err(ScriptError::at(
                self.tok.at,
                "internal error: unbalanced expression",
            ));
        };
        let symbol = pending.token.text;
        let at = pending.token.at;
        let ty = match pending.op {
            Binary::And | Binary::Or => {
                expect_operand(symbol, Type::Bool, rhs)?;
                self.patch(pending.jump);
                Type::Bool
            }
            Binary::Eq | Binary::Ne => {
                if lhs.ty != rhs.ty {
                    return Err(ScriptError::at(
                        at,
                        format!("cannot compare {} with {} using `{symbol}`", lhs.ty, rhs.ty),
                    ));
                }
                self.emit(
                    if pending.op == Binary::Eq {
                        Op::Eq
                    } else {
                        Op::Ne
                    },
                    at,
                );
                self.pop(1);
                Type::Bool
            }
            op => {
                expect_operand(symbol, Type::Int, rhs)?;
                let (code, ty) = match op {
                    Binary::Lt => (Op::Lt, Type::Bool),
                    Binary::Le => (Op::Le, Type::Bool),
                    Binary::Gt => (Op::Gt, Type::Bool),
                    Binary::Ge => (Op::Ge, Type::Bool),
                    Binary::Add => (Op::Add, Type::Int),
                    Binary::Sub => (Op::Sub, Type::Int),
                    Binary::Mul => (Op::Mul, Type::Int),
                    Binary::Div => (Op::Div, Type::Int),
                    _ => (Op::Rem, Type::Int),
                };
                self.emit(code, at);
                self.pop(1);
                ty
            }
        };
        self.operands.push((Typed { ty, at: lhs.at }, pending.prec));
        Ok(())
    }

    /// `{ "-" | "!" } primary`, applied innermost first; `-` right before a literal folds into
    /// it, which is how `-9223372036854775808` is written.
    fn unary(&mut self) -> Result<Typed, ScriptError> {
        let mut prefixes: Vec<Token<'s>> = Vec::new();
        while matches!(self.tok.tok, Tok::Minus | Tok::Bang) {
            prefixes.push(self.advance()?);
        }
        let mut value = match (prefixes.last(), self.tok.tok) {
            (
                Some(&Token {
                    tok: Tok::Minus,
                    at,
                    ..
                }),
                Tok::Int(v),
            ) => {
                prefixes.pop();
                self.advance()?;
                let negated = i64::try_from(v).map_or(i64::MIN, |v| -v);
                self.emit(Op::Const(negated), at);
                self.push();
                Typed { ty: Type::Int, at }
            }
            _ => self.primary()?,
        };
        for prefix in prefixes.iter().rev() {
            let (ty, op) = if prefix.tok == Tok::Minus {
                (Type::Int, Op::Neg)
            } else {
                (Type::Bool, Op::Not)
            };
            if value.ty != ty {
                return Err(ScriptError::at(
                    value.at,
                    format!(
                        "`{}` needs {} operand, found {}",
                        prefix.text,
                        with_article(ty),
                        value.ty
                    ),
                ));
            }
            self.emit(op, prefix.at);
            value = Typed { ty, at: prefix.at };
        }
        Ok(value)
    }

    fn primary(&mut self) -> Result<Typed, ScriptError> {
        let at = self.tok.at;
        match self.tok.tok {
            Tok::Int(v) => {
                let Ok(v) = i64::try_from(v) else {
                    return Err(ScriptError::at(
                        at,
                        format!(
                            "integer literal `{}` does not fit in 64 bits (only its negation does)",
                            self.tok.text
                        ),
                    ));
                };
                debug_assert!(v.unsigned_abs() < MAX_LITERAL);
                self.advance()?;
                self.emit(Op::Const(v), at);
                self.push();
                Ok(Typed { ty: Type::Int, at })
            }
            Tok::True | Tok::False => {
                let v = self.advance()?.tok == Tok::True;
                self.emit(Op::Const(i64::from(v)), at);
                self.push();
                Ok(Typed { ty: Type::Bool, at })
            }
            Tok::Name(name) => {
                self.advance()?;
                if self.tok.tok == Tok::LParen {
                    self.call(name, at)
                } else {
                    self.variable(name, at)
                }
            }
            Tok::LParen => {
                self.advance()?;
                self.enter(at)?;
                let inner = self.expr()?;
                self.leave();
                if self.tok.tok != Tok::RParen {
                    return Err(self.unclosed('(', ')', at));
                }
                self.advance()?;
                Ok(inner)
            }
            Tok::LBrace => self.block(),
            Tok::If => self.if_expr(),
            _ => Err(self.unexpected("expected an expression")),
        }
    }

    fn variable(&mut self, name: &str, at: Pos) -> Result<Typed, ScriptError> {
        let Some(slot) = self.scope.iter().rposition(|&(n, _)| n == name) else {
            if let Some(b) = BUILTINS.iter().find(|b| b.name == name) {
                return Err(ScriptError::at(
                    at,
                    format!(
                        "`{name}` is a builtin function; call it like `{}`",
                        b.signature
                    ),
                ));
            }
            let mut known: Vec<&str> = self.scope.iter().map(|&(n, _)| n).collect();
            known.sort_unstable();
            known.dedup();
            return Err(ScriptError::at(
                at,
                format!(
                    "unknown variable `{name}`; {}",
                    suggest(name, &known, "variables")
                ),
            ));
        };
        let ty = self.scope[slot].1;
        self.emit(Op::Load(u32::try_from(slot).unwrap_or(u32::MAX)), at);
        self.push();
        Ok(Typed { ty, at })
    }

    /// `name(args)`; the current token is the `(`.
    fn call(&mut self, name: &str, at: Pos) -> Result<Typed, ScriptError> {
        let Some(builtin) = BUILTINS.iter().find(|b| b.name == name) else {
            if self.scope.iter().any(|&(n, _)| n == name) {
                return Err(ScriptError::at(
                    at,
                    format!("`{name}` is a variable, not a function"),
                ));
            }
            let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
            return Err(ScriptError::at(
                at,
                format!(
                    "unknown function `{name}`; {}",
                    suggest(name, &names, "builtins")
                ),
            ));
        };
        let open = self.advance()?.at;
        let mut args: usize = 0;
        while self.tok.tok != Tok::RParen {
            self.enter(self.tok.at)?;
            let arg = self.expr()?;
            self.leave();
            if arg.ty != Type::Int {
                return Err(ScriptError::at(
                    arg.at,
                    format!("`{name}` takes int arguments, found {}", arg.ty),
                ));
            }
            args += 1;
            match self.tok.tok {
                Tok::Comma => {
                    self.advance()?;
                }
                Tok::RParen => {}
                Tok::Eof => return Err(self.unclosed('(', ')', open)),
                _ => {
                    return Err(self.unexpected_after_expr(&format!(
                        "expected an operator, `,` or `)` in the call to `{name}`"
                    )))
                }
            }
        }
        self.advance()?;
        let (op, arity) = match name {
            "abs" => (Op::Abs, Some(1)),
            "clamp" => (Op::Clamp, Some(3)),
            "max" => (Op::Max(u32::try_from(args).unwrap_or(u32::MAX)), None),
            _ => (Op::Min(u32::try_from(args).unwrap_or(u32::MAX)), None),
        };
        match arity {
            Some(n) if args != n => {
                let s = if n == 1 { "" } else { "s" };
                return Err(ScriptError::at(
                    at,
                    format!(
                        "`{}` takes {n} argument{s}, found {args}",
                        builtin.signature
                    ),
                ));
            }
            None if args < 2 => {
                return Err(ScriptError::at(
                    at,
                    format!(
                        "`{}` takes at least 2 arguments, found {args}",
                        builtin.signature
                    ),
                ));
            }
            _ => {}
        }
        self.emit(op, at);
        self.pop(args);
        self.push();
        Ok(Typed { ty: Type::Int, at })
    }

    /// `{ body }`; the current token is the `{`.
    fn block(&mut self) -> Result<Typed, ScriptError> {
        let open = self.advance()?.at;
        self.enter(open)?;
        let result = self.body()?;
        self.leave();
        if self.tok.tok != Tok::RBrace {
            return Err(self.unclosed('{', '}', open));
        }
        self.advance()?;
        Ok(result)
    }

    /// `if c { a } else if d { b } else { e }`, compiled as
    /// `c; JumpIfFalse L1; a; Jump End; L1: d; JumpIfFalse L2; b; Jump End; L2: e; End:`.
    fn if_expr(&mut self) -> Result<Typed, ScriptError> {
        let start = self.tok.at;
        let mut ends = Vec::new();
        let mut ty: Option<Type> = None;
        loop {
            let keyword = self.advance()?.at;
            self.enter(self.tok.at)?;
            let cond = self.expr()?;
            self.leave();
            if self.tok.tok != Tok::LBrace {
                return Err(self.unexpected_after_expr("expected `{` after the `if` condition"));
            }
            if cond.ty != Type::Bool {
                return Err(ScriptError::at(
                    cond.at,
                    format!("`if` condition must be bool, found {}", cond.ty),
                ));
            }
            let test = self.emit(Op::JumpIfFalse(0), keyword);
            self.pop(1);
            let then = self.block()?;
            unify(&mut ty, then)?;
            if self.tok.tok != Tok::Else {
                return Err(self
                    .unexpected("expected `else`: `if` is an expression and needs both branches"));
            }
            let else_at = self.advance()?.at;
            ends.push(self.emit(Op::Jump(0), else_at));
            self.pop(1);
            self.patch(test);
            match self.tok.tok {
                Tok::If => {}
                Tok::LBrace => {
                    let other = self.block()?;
                    unify(&mut ty, other)?;
                    break;
                }
                _ => return Err(self.unexpected("expected `{` or `if` after `else`")),
            }
        }
        for end in ends {
            self.patch(end);
        }
        Ok(Typed {
            ty: ty.unwrap_or(Type::Int),
            at: start,
        })
    }
}

/// Checks that an operand of `symbol` has type `want`.
fn expect_operand(symbol: &str, want: Type, operand: Typed) -> Result<(), ScriptError> {
    if operand.ty == want {
        Ok(())
    } else {
        Err(ScriptError::at(
            operand.at,
            format!("`{symbol}` needs {want} operands, found {}", operand.ty),
        ))
    }
}

fn with_article(ty: Type) -> &'static str {
    match ty {
        Type::Int => "an int",
        Type::Bool => "a bool",
    }
}

/// Checks that a branch has the type of the branches before it.
fn unify(ty: &mut Option<Type>, branch: Typed) -> Result<(), ScriptError> {
    match *ty {
        None => {
            *ty = Some(branch.ty);
            Ok(())
        }
        Some(t) if t == branch.ty => Ok(()),
        Some(t) => Err(ScriptError::at(
            branch.at,
            format!("`if` branches have different types: {t} and {}", branch.ty),
        )),
    }
}

/// The end of an unknown-name message: up to three of the `known` names (sorted, distinct)
/// that are close to `name`, closest first, or all of them (up to eight) when none is close.
///
/// Close means an edit distance (insertions, deletions, substitutions and swaps of neighbours)
/// of at most a third of the longer name, or one name containing the other when the shorter
/// has at least three characters (`minimum` and `min`, `riders` and `car_riders`).
fn suggest(name: &str, known: &[&str], what: &str) -> String {
    let mut close: Vec<(usize, &str)> = known
        .iter()
        .filter_map(|&k| {
            let d = edit_distance(name, k)?;
            let (short, long) = if name.len() <= k.len() {
                (name, k)
            } else {
                (k, name)
            };
            let contained = short.len() >= 3 && long.contains(short);
            (d <= long.len() / 3 || contained).then_some((d, k))
        })
        .collect();
    close.sort_unstable();
    let listed: Vec<&str> = close.iter().take(3).map(|&(_, k)| k).collect();
    if !listed.is_empty() {
        return format!("did you mean {}?", or_list(&listed));
    }
    match known.len() {
        0 => format!("there are no {what}"),
        n if n <= 8 => format!("the {what} are {}", and_list(known)),
        n => {
            let first: Vec<String> = known[..8].iter().map(|k| format!("`{k}`")).collect();
            format!("the {what} include {} and {} more", first.join(", "), n - 8)
        }
    }
}

fn or_list(names: &[&str]) -> String {
    join_list(names, "or")
}

fn and_list(names: &[&str]) -> String {
    join_list(names, "and")
}

/// `` `a` ``, `` `a` or `b` ``, `` `a`, `b` or `c` ``.
fn join_list(names: &[&str], conjunction: &str) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

/// The optimal string alignment distance between two names (Levenshtein plus swaps of
/// neighbours), or `None` for names too long to be worth it.
fn edit_distance(a: &str, b: &str) -> Option<usize> {
    const LONGEST: usize = 64;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() > LONGEST || b.len() > LONGEST {
        return None;
    }
    let width = b.len() + 1;
    // d[i * width + j]: the distance between a[..i] and b[..j].
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[..width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d.last().copied()
}
