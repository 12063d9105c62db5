//! The evaluator of Orrery script: a stack machine over `i64` (bools are 0 and 1; the compiler
//! has already checked every type), with checked arithmetic and a step budget.
//!
//! One evaluation uses one frame: the slots (host variables, then `let` bindings) followed by
//! the operand stack, sized by the compiler. Small frames live in a fixed array, so an ordinary
//! evaluation does not allocate.

use super::{Pos, Program, ScriptError, Type, Value};

/// One instruction. Jump targets are instruction indices, always forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    /// Push a constant.
    Const(i64),
    /// Push a slot.
    Load(u32),
    /// Pop into a slot.
    Store(u32),
    Neg,
    Not,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    /// Jump unconditionally.
    Jump(u32),
    /// Pop; jump if false.
    JumpIfFalse(u32),
    /// If the top is false, jump and keep it (the result of `&&`); else pop it.
    AndJump(u32),
    /// If the top is true, jump and keep it (the result of `||`); else pop it.
    OrJump(u32),
    /// Replace the top `n` values with their minimum.
    Min(u32),
    /// Replace the top `n` values with their maximum.
    Max(u32),
    Abs,
    /// Replace `x, lo, hi` with `x` clamped to `lo..=hi`.
    Clamp,
}

/// Frames up to this many values live on the native stack.
const INLINE_FRAME: usize = 64;

/// Evaluates `program`; see [`Program::eval`].
pub(super) fn eval(program: &Program, values: &[Value], budget: u64) -> Result<i64, ScriptError> {
    if values.len() != program.host.len() {
        return Err(ScriptError::nowhere(format!(
            "expected {} host values, found {}",
            program.host.len(),
            values.len()
        )));
    }
    let len = program.slots + program.max_stack;
    if len <= INLINE_FRAME {
        let mut frame = [0i64; INLINE_FRAME];
        start(program, &mut frame[..len], values, budget)
    } else {
        let mut frame = vec![0i64; len];
        start(program, &mut frame, values, budget)
    }
}

fn start(
    program: &Program,
    frame: &mut [i64],
    values: &[Value],
    budget: u64,
) -> Result<i64, ScriptError> {
    for ((slot, &value), (name, ty)) in frame.iter_mut().zip(values).zip(&program.host) {
        *slot = match (value, ty) {
            (Value::Int(v), Type::Int) => v,
            (Value::Bool(v), Type::Bool) => i64::from(v),
            _ => {
                return Err(ScriptError::nowhere(format!(
                    "host variable `{name}` is {ty} but was given {}",
                    value.ty()
                )))
            }
        };
    }
    if budget >= program.max_steps() {
        execute::<false>(program, frame, budget)
    } else {
        execute::<true>(program, frame, budget)
    }
}

/// Runs the code. With `METERED`, every instruction costs one step of `budget`; without, the
/// caller has established that the budget cannot run out.
fn execute<const METERED: bool>(
    program: &Program,
    frame: &mut [i64],
    budget: u64,
) -> Result<i64, ScriptError> {
    let (slots, stack) = frame.split_at_mut(program.slots);
    let code = program.code.as_slice();
    let mut left = budget;
    let mut pc = 0;
    let mut sp = 0;

    macro_rules! checked {
        ($method:ident, $symbol:literal) => {{
            sp -= 1;
            let (a, b) = (stack[sp - 1], stack[sp]);
            match a.$method(b) {
                Some(v) => stack[sp - 1] = v,
                None => return Err(arithmetic_error(program, pc - 1, a, $symbol, b)),
            }
        }};
    }
    macro_rules! compare {
        ($op:tt) => {{
            sp -= 1;
            stack[sp - 1] = i64::from(stack[sp - 1] $op stack[sp]);
        }};
    }

    while let Some(&op) = code.get(pc) {
        if METERED {
            if left == 0 {
                return Err(budget_exceeded(budget));
            }
            left -= 1;
        }
        pc += 1;
        match op {
            Op::Const(v) => {
                stack[sp] = v;
                sp += 1;
            }
            Op::Load(slot) => {
                stack[sp] = slots[slot as usize];
                sp += 1;
            }
            Op::Store(slot) => {
                sp -= 1;
                slots[slot as usize] = stack[sp];
            }
            Op::Neg => {
                let a = stack[sp - 1];
                match a.checked_neg() {
                    Some(v) => stack[sp - 1] = v,
                    None => return Err(fail(program, pc - 1, format!("integer overflow: -({a})"))),
                }
            }
            Op::Not => stack[sp - 1] ^= 1,
            Op::Add => checked!(checked_add, "+"),
            Op::Sub => checked!(checked_sub, "-"),
            Op::Mul => checked!(checked_mul, "*"),
            Op::Div => checked!(checked_div, "/"),
            Op::Rem => checked!(checked_rem, "%"),
            Op::Lt => compare!(<),
            Op::Le => compare!(<=),
            Op::Gt => compare!(>),
            Op::Ge => compare!(>=),
            Op::Eq => compare!(==),
            Op::Ne => compare!(!=),
            Op::Jump(target) => pc = target as usize,
            Op::JumpIfFalse(target) => {
                sp -= 1;
                if stack[sp] == 0 {
                    pc = target as usize;
                }
            }
            Op::AndJump(target) => {
                if stack[sp - 1] == 0 {
                    pc = target as usize;
                } else {
                    sp -= 1;
                }
            }
            Op::OrJump(target) => {
                if stack[sp - 1] != 0 {
                    pc = target as usize;
                } else {
                    sp -= 1;
                }
            }
            Op::Min(n) => {
                let first = sp - n as usize;
                stack[first] = stack[first..sp].iter().copied().min().unwrap_or(0);
                sp = first + 1;
            }
            Op::Max(n) => {
                let first = sp - n as usize;
                stack[first] = stack[first..sp].iter().copied().max().unwrap_or(0);
                sp = first + 1;
            }
            Op::Abs => {
                let a = stack[sp - 1];
                match a.checked_abs() {
                    Some(v) => stack[sp - 1] = v,
                    None => {
                        return Err(fail(program, pc - 1, format!("integer overflow: abs({a})")))
                    }
                }
            }
            Op::Clamp => {
                sp -= 2;
                let (x, lo, hi) = (stack[sp - 1], stack[sp], stack[sp + 1]);
                if lo > hi {
                    return Err(fail(
                        program,
                        pc - 1,
                        format!("clamp: lower bound {lo} is greater than upper bound {hi}"),
                    ));
                }
                stack[sp - 1] = x.max(lo).min(hi);
            }
        }
    }
    debug_assert_eq!(sp, 1, "a finished program leaves exactly its result");
    Ok(stack[0])
}

/// A runtime error at the instruction `pc`.
#[cold]
fn fail(program: &Program, pc: usize, message: String) -> ScriptError {
    ScriptError::at(
        program.spans.get(pc).copied().unwrap_or(Pos::default()),
        message,
    )
}

#[cold]
fn arithmetic_error(program: &Program, pc: usize, a: i64, symbol: &str, b: i64) -> ScriptError {
    let message = match (symbol, b) {
        ("/", 0) => format!("division by zero: {a} / 0"),
        ("%", 0) => format!("remainder by zero: {a} % 0"),
        _ => format!("integer overflow: {a} {symbol} {b}"),
    };
    fail(program, pc, message)
}

#[cold]
fn budget_exceeded(budget: u64) -> ScriptError {
    let s = if budget == 1 { "" } else { "s" };
    ScriptError::nowhere(format!("operation budget of {budget} step{s} exceeded"))
}
