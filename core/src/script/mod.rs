//! Orrery script: a tiny, typed, sandboxed cost-function language that runs inside the
//! deterministic core, used for user-written dispatchers.
//!
//! # Model
//!
//! A script is a pure function from a fixed set of *host variables* (declared by the lab in a
//! schema: name, type, one-line doc) to one 64-bit integer. There are no loops, no functions,
//! no mutation, no strings, no floats and no I/O, so every script terminates, and its result
//! depends only on the host values: the same program and values give the same result on every
//! target. A user-written elevator dispatcher, for example, is a script evaluated once per
//! (car, hall call) pair, and each call goes to the car with the lowest cost.
//!
//! ```text
//!   source ──compile(source, schema)──► Program ──eval(values, budget)──► Ok(i64)
//!      │            │                      │                   │
//!      │            └─ Err(ScriptError)    │                   └─ Err(ScriptError)
//!      │               syntax, types,      │                      overflow, division by zero,
//!      │               unknown names,      │                      budget exceeded
//!      │               too long, too deep  │
//!   ≤ 16 KiB                          stack bytecode with resolved slots, Clone
//! ```
//!
//! [`Program::compile`] parses, resolves every name to a slot and checks every type in one
//! pass, emitting a small stack bytecode; [`Program::eval`] runs it with the host values in
//! schema order. Evaluation allocates nothing for ordinary programs (the slots and the operand
//! stack live in a fixed array on the native stack; only programs needing more than 64 of them
//! allocate one vector per evaluation). Neither function panics, whatever the input.
//!
//! # Worked example
//!
//! With the schema
//!
//! | name             | type | doc                                                  |
//! |------------------|------|------------------------------------------------------|
//! | `eta_ms`         | int  | estimated milliseconds until the car can open here   |
//! | `distance`       | int  | floors between the car and the call                  |
//! | `floors`         | int  | floors in the building                               |
//! | `car_riders`     | int  | passengers in the car                                |
//! | `car_capacity`   | int  | passengers the car holds                             |
//! | `same_direction` | bool | the car is already travelling the call's way         |
//!
//! the script
//!
//! ```text
//! // Prefer cars already heading our way, then the nearest; avoid full cars.
//! let penalty = if car_riders >= car_capacity { 1_000_000 } else { 0 };
//! let toward = if same_direction { 0 } else { 2 * floors };
//! eta_ms + 1_000 * (toward + distance) + penalty
//! ```
//!
//! evaluated with `eta_ms = 4_200, distance = 3, floors = 10, car_riders = 2,
//! car_capacity = 8, same_direction = false` gives `4_200 + 1_000 * (20 + 3) + 0 = 27_200`.
//!
//! ```
//! use orrery_core::script::{Program, Type, Value};
//!
//! let schema = [
//!     ("eta_ms", Type::Int, "estimated milliseconds until the car can open here"),
//!     ("distance", Type::Int, "floors between the car and the call"),
//!     ("same_direction", Type::Bool, "the car is already travelling the call's way"),
//! ];
//! let program = Program::compile(
//!     "let toward = if same_direction { 0 } else { 10 };\neta_ms + 1_000 * (toward + distance)",
//!     &schema,
//! )
//! .unwrap();
//! let values = [Value::Int(4_200), Value::Int(3), Value::Bool(false)];
//! assert_eq!(program.eval(&values, 1_000), Ok(17_200));
//!
//! let err = Program::compile("eta_ms + distnce", &schema).unwrap_err();
//! assert_eq!(err.to_string(), "line 1, column 10: unknown variable `distnce`; did you mean `distance`?");
//! ```
//!
//! # Grammar
//!
//! ```text
//! program  = { let } expr                       (then the end of the script)
//! block    = "{" { let } expr "}"               (a scope of its own)
//! let      = "let" NAME "=" expr ";"
//! expr     = or
//! or       = and { "||" and }                   (short-circuit)
//! and      = equality { "&&" equality }         (short-circuit)
//! equality = compare [ ( "==" | "!=" ) compare ] (not chainable)
//! compare  = sum [ ( "<" | "<=" | ">" | ">=" ) sum ] (not chainable)
//! sum      = product { ( "+" | "-" ) product }  (left-associative)
//! product  = unary { ( "*" | "/" | "%" ) unary } (left-associative)
//! unary    = { "-" | "!" } primary
//! primary  = INT | "true" | "false" | NAME
//!          | NAME "(" expr { "," expr } [ "," ] ")"   (a builtin call)
//!          | "(" expr ")" | block | if
//! if       = "if" expr block "else" ( block | if )
//! INT      = DIGIT { DIGIT | "_" }              (at most 9_223_372_036_854_775_807,
//!                                                or 9_223_372_036_854_775_808 right after "-")
//! NAME     = ( LETTER | "_" ) { LETTER | DIGIT | "_" }   (ASCII)
//! comment  = "//" up to the end of the line
//! ```
//!
//! Keywords are `let`, `if`, `else`, `true` and `false`. The words `fn`, `return`, `while`,
//! `for`, `loop`, `match`, `mut`, `const` and `in` are reserved so that a script written from
//! habit gets a clear message instead of an unknown variable. Whitespace (spaces, tabs, line
//! breaks) separates tokens; columns count characters from 1.
//!
//! A `let` binding is visible from the next statement to the end of its block (or of the
//! script); a later `let` of the same name shadows it, and the value of `let x = x + 1;` sees
//! the outer `x`. A `let` may shadow a host variable. Builtins are only called, never read, so
//! a binding called `min` does not hide the builtin `min(…)`.
//!
//! # Types
//!
//! There are two types, [`Type::Int`] (signed 64-bit) and [`Type::Bool`], checked when
//! compiling; a script that compiles never meets a type error when it runs.
//!
//! | operators                | operands        | result |
//! |--------------------------|-----------------|--------|
//! | `-x`                     | int             | int    |
//! | `!x`                     | bool            | bool   |
//! | `*` `/` `%` `+` `-`      | int, int        | int    |
//! | `<` `<=` `>` `>=`        | int, int        | bool   |
//! | `==` `!=`                | same type       | bool   |
//! | `&&` `\|\|`              | bool, bool      | bool   |
//! | `if c { a } else { b }`  | c bool, a and b of one type | that type |
//!
//! The whole script must be an int. Arithmetic is checked: overflow, and division or remainder
//! by zero, stop the evaluation with an error (never wrap, never panic). `/` rounds toward zero
//! and `%` takes the sign of the dividend, as in Rust; `i64::MIN / -1` and `i64::MIN % -1`
//! overflow.
//!
//! # Builtins
//!
//! See [`BUILTINS`] (for the page's reference panel):
//!
//! | call               | result                                                        |
//! |--------------------|---------------------------------------------------------------|
//! | `min(a, b, …)`     | the smallest of two or more ints                              |
//! | `max(a, b, …)`     | the largest of two or more ints                               |
//! | `abs(x)`           | the absolute value of `x`; overflows for the most negative int |
//! | `clamp(x, lo, hi)` | `lo` if `x < lo`, `hi` if `x > hi`, else `x`; an error if `lo > hi` |
//!
//! Every argument is evaluated, left to right, before the call.
//!
//! # Budget
//!
//! [`Program::eval`] takes a budget of *steps*. A step is one bytecode instruction: each
//! literal, variable read, operator, builtin call and `let` costs one step, and so does each
//! test of an `if` condition or of the left side of `&&`/`||`, and each jump over an `else`
//! branch. For example `a + 1` costs 3 steps; `if c { 1 } else { 2 }` costs 4 when `c` is true
//! (`c`, the test, `1`, the jump over the else branch) and 3 when it is false; a branch that
//! does not run costs nothing, however long. When the steps run out, evaluation stops with
//! `operation budget of N steps exceeded`. Because the language has no loops and jumps only
//! go forward, no evaluation takes more than [`Program::max_steps`] steps (the program's
//! length in instructions): a host can refuse, when compiling, a script that could exceed its
//! budget, and a budget of at least `max_steps` is never exceeded. Steps are counted the same
//! way on every target, so whether a budget is exceeded is deterministic too.
//!
//! # Limits
//!
//! Scripts are at most [`MAX_SOURCE_BYTES`] (16 KiB) long and nest parentheses, blocks, `if`
//! conditions and call arguments at most [`MAX_DEPTH`] (64) levels deep, so hostile input
//! cannot exhaust the native or the wasm stack. Chains (`a + b + …`, `- - x`, `else if`, long
//! runs of `let`) are parsed by loops and do not count as nesting.
//!
//! # Errors
//!
//! A [`ScriptError`] has a 1-based line and column (both 0 when there is no position) and a
//! one-sentence message, and displays as `line 3, column 7: <message>` (or the message alone
//! without a position). Compile errors stop at the first problem in source order and point at
//! the offending token; runtime errors point at the operator or builtin that failed. The
//! messages, by kind:
//!
//! ```text
//! too long         script is 20000 bytes long; the limit is 16384 bytes           (no position)
//! too deep         expression nested too deeply; the limit is 64 levels
//! bad character    unexpected character `#`
//!                  unexpected `&`; use `&&` for "and"
//! bad literal      integer literal `99999999999999999999` does not fit in 64 bits
//!                  invalid suffix `abc` on integer literal
//! reserved word    `while` is reserved: Orrery script has no loops, functions or mutation
//! syntax           expected an expression, found `)`
//!                  expected `;` after the value of `x`, found `y`
//!                  expected `=` after `let x`, found `1`
//!                  expected `{` after the `if` condition, found `=` (use `==` to compare)
//!                  expected `{` or `if` after `else`, found `2`
//!                  expected the result expression after the last `let`, found end of script
//! missing else     expected `else`: `if` is an expression and needs both branches, found `2`
//! unterminated     expected `}` to close the `{` at line 1, column 9, found end of script
//!                  expected `)` to close the `(` at line 2, column 4, found end of script
//! trailing garbage expected an operator or the end of the script, found `x`
//!                  expected an operator or `)`, found `2`
//!                  expected the end of the script (the result takes no `;`), found `;`
//! unknown name     unknown variable `flors`; did you mean `floors`?
//!                  unknown variable `speed`; the variables are `distance`, `eta_ms` and `floors`
//!                  unknown function `mn`; did you mean `min`?
//!                  `min` is a builtin function; call it like `min(a, b, ...)`
//!                  `floors` is a variable, not a function
//! arity            `abs(x)` takes 1 argument, found 2
//!                  `min(a, b, ...)` takes at least 2 arguments, found 1
//! types            `+` needs int operands, found bool
//!                  `!` needs a bool operand, found int
//!                  cannot compare int with bool using `==`
//!                  `if` condition must be bool, found int
//!                  `if` branches have different types: int and bool
//!                  `min` takes int arguments, found bool
//!                  comparisons cannot be chained; combine them with `&&` or `||`
//!                  the script's result must be int, found bool
//! schema           schema: `two words` is not a valid variable name                (no position)
//!                  schema: `x` is declared twice                                   (no position)
//!
//! overflow         integer overflow: 9223372036854775807 + 1
//!                  integer overflow: -(-9223372036854775808)
//!                  integer overflow: abs(-9223372036854775808)
//! division by zero division by zero: 7 / 0
//!                  remainder by zero: 7 % 0
//! clamp bounds     clamp: lower bound 5 is greater than upper bound 3
//! budget           operation budget of 100 steps exceeded                          (no position)
//! host mistakes    expected 6 host values, found 5                                 (no position)
//!                  host variable `floors` is int but was given bool                (no position)
//! ```
//!
//! An unknown name lists up to three known names within a small edit distance (typos, swapped
//! letters, a missing prefix), or, when none is close, the known names in alphabetical order.

mod compiler;
mod lexer;
mod vm;

use std::fmt;

/// The longest accepted script, in bytes.
pub const MAX_SOURCE_BYTES: usize = 16 * 1024;

/// How deeply parentheses, blocks, `if` conditions and call arguments may nest.
pub const MAX_DEPTH: u32 = 64;

/// The type of a host variable, a binding or an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    /// A signed 64-bit integer.
    Int,
    /// `true` or `false`.
    Bool,
}

impl Type {
    /// The name used in scripts' error messages: `int` or `bool`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Type::Int => "int",
            Type::Bool => "bool",
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A host variable's value for one evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// An int.
    Int(i64),
    /// A bool.
    Bool(bool),
}

impl Value {
    /// The value's type.
    #[must_use]
    pub fn ty(self) -> Type {
        match self {
            Value::Int(_) => Type::Int,
            Value::Bool(_) => Type::Bool,
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
        }
    }
}

/// A compile or runtime error, with the position it refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    /// 1-based line, or 0 when the error has no position.
    pub line: u32,
    /// 1-based column in characters, or 0 when the error has no position.
    pub col: u32,
    /// What went wrong, in one sentence without a final period.
    pub message: String,
}

impl ScriptError {
    fn at(pos: Pos, message: impl Into<String>) -> ScriptError {
        ScriptError {
            line: pos.line,
            col: pos.col,
            message: message.into(),
        }
    }

    fn nowhere(message: impl Into<String>) -> ScriptError {
        ScriptError {
            line: 0,
            col: 0,
            message: message.into(),
        }
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(
                f,
                "line {}, column {}: {}",
                self.line, self.col, self.message
            )
        }
    }
}

impl std::error::Error for ScriptError {}

/// A position in the source: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Pos {
    line: u32,
    col: u32,
}

/// A builtin function, documented for the page's reference panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    /// The name scripts call it by.
    pub name: &'static str,
    /// How it is called, for example `clamp(x, lo, hi)`.
    pub signature: &'static str,
    /// What it returns, in one line.
    pub doc: &'static str,
}

/// Every builtin, in alphabetical order. All take and return ints.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "abs",
        signature: "abs(x)",
        doc: "the absolute value of x; overflows for the most negative int",
    },
    Builtin {
        name: "clamp",
        signature: "clamp(x, lo, hi)",
        doc: "lo if x < lo, hi if x > hi, else x; an error if lo > hi",
    },
    Builtin {
        name: "max",
        signature: "max(a, b, ...)",
        doc: "the largest of two or more ints",
    },
    Builtin {
        name: "min",
        signature: "min(a, b, ...)",
        doc: "the smallest of two or more ints",
    },
];

/// A compiled script: resolved, type-checked stack bytecode, ready to evaluate many times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The instructions; jumps only go forward.
    code: Vec<vm::Op>,
    /// The source position of each instruction, for runtime errors.
    spans: Vec<Pos>,
    /// The host variables' names and types, in schema order (slots `0..host.len()`).
    host: Vec<(Box<str>, Type)>,
    /// Host variables plus the most `let` bindings alive at once.
    slots: usize,
    /// The deepest the operand stack gets.
    max_stack: usize,
}

impl Program {
    /// Parses and type-checks `source` against the host variables `schema` (name, type,
    /// one-line doc), in the order [`Program::eval`] will receive their values.
    ///
    /// # Errors
    ///
    /// The first syntax, name or type error in the source, a source longer than
    /// [`MAX_SOURCE_BYTES`] or nested deeper than [`MAX_DEPTH`], or (without position) a schema
    /// name that is not a valid identifier, is a keyword or is declared twice.
    pub fn compile(source: &str, schema: &[(&str, Type, &str)]) -> Result<Program, ScriptError> {
        compiler::compile(source, schema)
    }

    /// Evaluates the program with the host values `values`, given in schema order, in at most
    /// `budget` steps (see the module docs for what a step is).
    ///
    /// # Errors
    ///
    /// Integer overflow, division or remainder by zero and `clamp` bounds in the wrong order,
    /// at the operator's position; the budget running out, and host values of the wrong
    /// number or type, without position.
    pub fn eval(&self, values: &[Value], budget: u64) -> Result<i64, ScriptError> {
        vm::eval(self, values, budget)
    }

    /// The most steps any evaluation can take: the number of instructions, since jumps only go
    /// forward. A budget of at least this is never exceeded.
    #[must_use]
    pub fn max_steps(&self) -> u64 {
        self.code.len() as u64
    }
}
