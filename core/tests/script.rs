//! Orrery script: data-driven checks of results and every error message through one `check`
//! function, the realistic dispatcher example, limits on hostile input, and property tests
//! (arbitrary text never panics the compiler; generated well-typed programs agree with a
//! tree-walking oracle under every budget).

use expect_test::{expect, Expect};
use orrery_core::script::{
    Program, ScriptError, Type, Value, BUILTINS, MAX_DEPTH, MAX_SOURCE_BYTES,
};

/// The host variables every `check` sees.
const SCHEMA: &[(&str, Type, &str)] = &[
    ("a", Type::Int, "seven"),
    ("b", Type::Int, "minus three"),
    ("big", Type::Int, "the largest int"),
    ("small", Type::Int, "the smallest int"),
    ("yes", Type::Bool, "true"),
    ("no", Type::Bool, "false"),
];

const VALUES: &[Value] = &[
    Value::Int(7),
    Value::Int(-3),
    Value::Int(i64::MAX),
    Value::Int(i64::MIN),
    Value::Bool(true),
    Value::Bool(false),
];

/// One line: the result, or the compile or runtime error as the page would show it.
fn outcome(src: &str, schema: &[(&str, Type, &str)], values: &[Value], budget: u64) -> String {
    match Program::compile(src, schema) {
        Err(e) => format!("compile error: {e}"),
        Ok(program) => match program.eval(values, budget) {
            Ok(v) => v.to_string(),
            Err(e) => format!("runtime error: {e}"),
        },
    }
}

fn check(src: &str, expect: Expect) {
    expect.assert_eq(&outcome(src, SCHEMA, VALUES, 10_000));
}

fn check_budget(src: &str, budget: u64, expect: Expect) {
    expect.assert_eq(&outcome(src, SCHEMA, VALUES, budget));
}

/// Checks several one-line scripts at once: `source => outcome` per line.
fn check_many(sources: &[&str], expect: Expect) {
    let text: String = sources
        .iter()
        .map(|s| format!("{s:?} => {}\n", outcome(s, SCHEMA, VALUES, 10_000)))
        .collect();
    expect.assert_eq(&text);
}

#[test]
fn literals_and_variables() {
    check_many(
        &[
            "0",
            "42",
            "1_000_000",
            "1__0_",
            "9_223_372_036_854_775_807",
            "-9223372036854775808",
            "- 9223372036854775808",
            "a",
            "b",
            "big",
            "small",
            "if yes { 1 } else { 0 }",
            "if no { 1 } else { 0 }",
            "if true { 1 } else { 0 }",
            "if false { 1 } else { 0 }",
            "(((a)))",
            "{ a }",
        ],
        expect![[r#"
            "0" => 0
            "42" => 42
            "1_000_000" => 1000000
            "1__0_" => 10
            "9_223_372_036_854_775_807" => 9223372036854775807
            "-9223372036854775808" => -9223372036854775808
            "- 9223372036854775808" => -9223372036854775808
            "a" => 7
            "b" => -3
            "big" => 9223372036854775807
            "small" => -9223372036854775808
            "if yes { 1 } else { 0 }" => 1
            "if no { 1 } else { 0 }" => 0
            "if true { 1 } else { 0 }" => 1
            "if false { 1 } else { 0 }" => 0
            "(((a)))" => 7
            "{ a }" => 7
        "#]],
    );
}

#[test]
fn precedence_and_associativity() {
    check_many(
        &[
            "1 + 2 * 3",
            "(1 + 2) * 3",
            "10 - 4 - 3",
            "10 - (4 - 3)",
            "100 / 10 / 5",
            "100 / (10 / 5)",
            "17 % 5 * 2",
            "2 * 17 % 5",
            "-a * 2",
            "-(a * 2)",
            "- -a",
            "--5",
            "-a - -a",
            "a - b * 2 + 1",
            "if 1 + 2 * 3 == 7 { 1 } else { 0 }",
            "if 1 < 2 == 3 < 4 { 1 } else { 0 }",
            "if yes || no && no { 1 } else { 0 }",
            "if (yes || no) && no { 1 } else { 0 }",
            "if !no && yes { 1 } else { 0 }",
            "if !(no && yes) { 1 } else { 0 }",
            "if !!yes { 1 } else { 0 }",
            "if a > b == yes { 1 } else { 0 }",
            "if a + 1 >= 8 && b * b <= 9 { 1 } else { 0 }",
            "if yes == no != no { 1 } else { 0 }",
            "if (yes == no) != no { 1 } else { 0 }",
        ],
        expect![[r#"
            "1 + 2 * 3" => 7
            "(1 + 2) * 3" => 9
            "10 - 4 - 3" => 3
            "10 - (4 - 3)" => 9
            "100 / 10 / 5" => 2
            "100 / (10 / 5)" => 50
            "17 % 5 * 2" => 4
            "2 * 17 % 5" => 4
            "-a * 2" => -14
            "-(a * 2)" => -14
            "- -a" => 7
            "--5" => 5
            "-a - -a" => 0
            "a - b * 2 + 1" => 14
            "if 1 + 2 * 3 == 7 { 1 } else { 0 }" => 1
            "if 1 < 2 == 3 < 4 { 1 } else { 0 }" => 1
            "if yes || no && no { 1 } else { 0 }" => 1
            "if (yes || no) && no { 1 } else { 0 }" => 0
            "if !no && yes { 1 } else { 0 }" => 1
            "if !(no && yes) { 1 } else { 0 }" => 1
            "if !!yes { 1 } else { 0 }" => 1
            "if a > b == yes { 1 } else { 0 }" => 1
            "if a + 1 >= 8 && b * b <= 9 { 1 } else { 0 }" => 1
            "if yes == no != no { 1 } else { 0 }" => compile error: line 1, column 14: comparisons cannot be chained; combine them with `&&` or `||`
            "if (yes == no) != no { 1 } else { 0 }" => 0
        "#]],
    );
}

#[test]
fn division_rounds_toward_zero() {
    check_many(
        &[
            "7 / 2", "-7 / 2", "7 / -2", "7 % 3", "-7 % 3", "7 % -3", "-7 % -3",
        ],
        expect![[r#"
            "7 / 2" => 3
            "-7 / 2" => -3
            "7 / -2" => -3
            "7 % 3" => 1
            "-7 % 3" => -1
            "7 % -3" => 1
            "-7 % -3" => -1
        "#]],
    );
}

#[test]
fn comparisons_and_equality() {
    check_many(
        &[
            "if a < 7 { 1 } else { 0 }",
            "if a <= 7 { 1 } else { 0 }",
            "if a > 7 { 1 } else { 0 }",
            "if a >= 7 { 1 } else { 0 }",
            "if a == 7 { 1 } else { 0 }",
            "if a != 7 { 1 } else { 0 }",
            "if yes == true { 1 } else { 0 }",
            "if yes != no { 1 } else { 0 }",
            "if small < big { 1 } else { 0 }",
        ],
        expect![[r#"
            "if a < 7 { 1 } else { 0 }" => 0
            "if a <= 7 { 1 } else { 0 }" => 1
            "if a > 7 { 1 } else { 0 }" => 0
            "if a >= 7 { 1 } else { 0 }" => 1
            "if a == 7 { 1 } else { 0 }" => 1
            "if a != 7 { 1 } else { 0 }" => 0
            "if yes == true { 1 } else { 0 }" => 1
            "if yes != no { 1 } else { 0 }" => 1
            "if small < big { 1 } else { 0 }" => 1
        "#]],
    );
}

#[test]
fn short_circuit() {
    check_many(
        &[
            "if false && (1 / 0 == 0) { 1 } else { 2 }",
            "if true || (1 / 0 == 0) { 1 } else { 2 }",
            "if no && big + 1 > 0 { 1 } else { 2 }",
            "if yes || big + 1 > 0 { 1 } else { 2 }",
            "if true && (1 / 0 == 0) { 1 } else { 2 }",
            "if false || (1 % 0 == 0) { 1 } else { 2 }",
            "if yes { 1 } else { 1 / 0 }",
            "if no { 1 / 0 } else { 2 }",
        ],
        expect![[r#"
            "if false && (1 / 0 == 0) { 1 } else { 2 }" => 2
            "if true || (1 / 0 == 0) { 1 } else { 2 }" => 1
            "if no && big + 1 > 0 { 1 } else { 2 }" => 2
            "if yes || big + 1 > 0 { 1 } else { 2 }" => 1
            "if true && (1 / 0 == 0) { 1 } else { 2 }" => runtime error: line 1, column 15: division by zero: 1 / 0
            "if false || (1 % 0 == 0) { 1 } else { 2 }" => runtime error: line 1, column 16: remainder by zero: 1 % 0
            "if yes { 1 } else { 1 / 0 }" => 1
            "if no { 1 / 0 } else { 2 }" => 2
        "#]],
    );
}

#[test]
fn lets_scoping_and_shadowing() {
    check(
        "let x = 2;
         let y = x * 10;
         x + y",
        expect!["22"],
    );
    // A later `let` shadows; its value sees the previous binding.
    check("let x = 1; let x = x + 10; let x = x * 2; x", expect!["22"]);
    // A shadowing `let` may change the type.
    check(
        "let x = 5; let x = x > 3; if x { 1 } else { 0 }",
        expect!["1"],
    );
    // Host variables can be shadowed too.
    check("let a = a * 100; a", expect!["700"]);
    // A block's bindings end with the block; the outer binding is visible again.
    check(
        "let x = 1; let y = { let x = 100; x + 1 }; x + y",
        expect!["102"],
    );
    check("let y = { let inner = 3; inner }; inner", expect!["compile error: line 1, column 35: unknown variable `inner`; the variables are `a`, `b`, `big`, `no`, `small`, `y` and `yes`"]);
    // Each branch is its own scope.
    check(
        "let r = if yes { let t = 10; t * t } else { let t = 20; t }; r + 1",
        expect!["101"],
    );
    // Sibling blocks reuse slots without seeing each other's values.
    check(
        "{ let p = 4; p } + { let q = 5; q } + { let p = 6; p }",
        expect!["15"],
    );
    // The builtins are not variables, so a binding named like one does not hide it.
    check("let min = 3; min(min, 2)", expect!["2"]);
    // Comments and blank lines anywhere.
    check(
        "// leading comment
         let x = 1; // trailing comment

         // another
         x + // mid-expression
         1 // at the end",
        expect!["2"],
    );
}

#[test]
fn if_else_chains() {
    let grade = |n: i64| {
        let src = format!(
            "let n = {n};
             if n >= 90 {{ 4 }} else if n >= 80 {{ 3 }} else if n >= 70 {{ 2 }} else if n >= 60 {{ 1 }} else {{ 0 }}"
        );
        outcome(&src, SCHEMA, VALUES, 10_000)
    };
    let grades: Vec<String> = [95, 90, 85, 75, 61, 3, -100]
        .iter()
        .map(|&n| format!("{n}: {}", grade(n)))
        .collect();
    expect![[r#"95: 4, 90: 4, 85: 3, 75: 2, 61: 1, 3: 0, -100: 0"#]].assert_eq(&grades.join(", "));
    check("if yes { if no { 1 } else { 2 } } else { 3 }", expect!["2"]);
    check(
        "(if yes { 10 } else { 20 }) + if no { 1 } else { 2 } * 3",
        expect!["16"],
    );
    check(
        "if if yes { no } else { yes } { 1 } else { 2 }",
        expect!["2"],
    );
    check("if { let c = a > 3; c } { 1 } else { 2 }", expect!["1"]);
}

#[test]
fn builtins() {
    check_many(
        &[
            "min(3, 1, 2)",
            "min(a, b)",
            "min(big, small)",
            "min(5, 5)",
            "max(3, 1, 2)",
            "max(a, b, 100, -100,)",
            "max(big, small)",
            "abs(-5)",
            "abs(5)",
            "abs(0)",
            "abs(b)",
            "abs(-big)",
            "abs(small)",
            "clamp(5, 0, 10)",
            "clamp(-5, 0, 10)",
            "clamp(15, 0, 10)",
            "clamp(3, 3, 3)",
            "clamp(a, 10, 0)",
            "min(max(a, 10), 20) + clamp(b, -1, 1)",
        ],
        expect![[r#"
            "min(3, 1, 2)" => 1
            "min(a, b)" => -3
            "min(big, small)" => -9223372036854775808
            "min(5, 5)" => 5
            "max(3, 1, 2)" => 3
            "max(a, b, 100, -100,)" => 100
            "max(big, small)" => 9223372036854775807
            "abs(-5)" => 5
            "abs(5)" => 5
            "abs(0)" => 0
            "abs(b)" => 3
            "abs(-big)" => 9223372036854775807
            "abs(small)" => runtime error: line 1, column 1: integer overflow: abs(-9223372036854775808)
            "clamp(5, 0, 10)" => 5
            "clamp(-5, 0, 10)" => 0
            "clamp(15, 0, 10)" => 10
            "clamp(3, 3, 3)" => 3
            "clamp(a, 10, 0)" => runtime error: line 1, column 1: clamp: lower bound 10 is greater than upper bound 0
            "min(max(a, 10), 20) + clamp(b, -1, 1)" => 9
        "#]],
    );
    let names: Vec<&str> = BUILTINS.iter().map(|b| b.signature).collect();
    expect![[r#"abs(x), clamp(x, lo, hi), max(a, b, ...), min(a, b, ...)"#]]
        .assert_eq(&names.join(", "));
}

#[test]
fn runtime_errors() {
    check_many(
        &[
            "big + 1",
            "small - 1",
            "big * 2",
            "small / -1",
            "small % -1",
            "-small",
            "a / 0",
            "a % 0",
            "a / (b + 3)",
            "let x = big;\nlet y = 1;\nx + y",
        ],
        expect![[r#"
            "big + 1" => runtime error: line 1, column 5: integer overflow: 9223372036854775807 + 1
            "small - 1" => runtime error: line 1, column 7: integer overflow: -9223372036854775808 - 1
            "big * 2" => runtime error: line 1, column 5: integer overflow: 9223372036854775807 * 2
            "small / -1" => runtime error: line 1, column 7: integer overflow: -9223372036854775808 / -1
            "small % -1" => runtime error: line 1, column 7: integer overflow: -9223372036854775808 % -1
            "-small" => runtime error: line 1, column 1: integer overflow: -(-9223372036854775808)
            "a / 0" => runtime error: line 1, column 3: division by zero: 7 / 0
            "a % 0" => runtime error: line 1, column 3: remainder by zero: 7 % 0
            "a / (b + 3)" => runtime error: line 1, column 3: division by zero: 7 / 0
            "let x = big;\nlet y = 1;\nx + y" => runtime error: line 3, column 3: integer overflow: 9223372036854775807 + 1
        "#]],
    );
}

#[test]
fn host_value_errors() {
    let program = Program::compile("a", SCHEMA).expect("compiles");
    let show = |r: Result<i64, ScriptError>| match r {
        Ok(v) => v.to_string(),
        Err(e) => e.to_string(),
    };
    expect!["expected 6 host values, found 1"]
        .assert_eq(&show(program.eval(&[Value::Int(1)], 100)));
    let mut wrong = VALUES.to_vec();
    wrong[4] = Value::Int(1);
    expect!["host variable `yes` is bool but was given int"]
        .assert_eq(&show(program.eval(&wrong, 100)));
    wrong[4] = true.into();
    wrong[0] = 5.into();
    expect!["5"].assert_eq(&show(program.eval(&wrong, 100)));
}

#[test]
fn compile_errors_syntax() {
    check_many(
        &[
            "",
            "   // only a comment",
            "1 +",
            "(1 + 2",
            "(1 2)",
            "{ 1",
            "{ let x = 1; x",
            "{ 1 2 }",
            "1 2",
            "a b",
            "1;",
            "let x = 1;",
            "{ let x = 1; }",
            "let = 1; 2",
            "let if = 1; 2",
            "let x 1; x",
            "let x = 1 x",
            "let x = 1",
            ")",
            "*3",
            "1 + * 2",
            "if yes { 1 }",
            "if yes { 1 } 2",
            "if yes { 1 } else 2",
            "if yes 1 else 2",
            "if a = 1 { 1 } else { 2 }",
            "min(1, 2",
            "min(1 2)",
            "min(,)",
            "1 # 2",
            "a & b",
            "a | b",
            "1.5",
            "12abc",
            "99999999999999999999",
            "9223372036854775808",
            "café",
            "while yes { 1 }",
            "let mut x = 1; x",
            "fn f() { 1 }",
            "return 1",
        ],
        expect![[r#"
            "" => compile error: line 1, column 1: expected an expression, found end of script
            "   // only a comment" => compile error: line 1, column 21: expected an expression, found end of script
            "1 +" => compile error: line 1, column 4: expected an expression, found end of script
            "(1 + 2" => compile error: line 1, column 7: expected `)` to close the `(` at line 1, column 1, found end of script
            "(1 2)" => compile error: line 1, column 4: expected an operator or `)`, found `2`
            "{ 1" => compile error: line 1, column 4: expected `}` to close the `{` at line 1, column 1, found end of script
            "{ let x = 1; x" => compile error: line 1, column 15: expected `}` to close the `{` at line 1, column 1, found end of script
            "{ 1 2 }" => compile error: line 1, column 5: expected an operator or `}`, found `2`
            "1 2" => compile error: line 1, column 3: expected an operator or the end of the script, found `2`
            "a b" => compile error: line 1, column 3: expected an operator or the end of the script, found `b`
            "1;" => compile error: line 1, column 2: expected the end of the script (the result takes no `;`), found `;`
            "let x = 1;" => compile error: line 1, column 11: expected the result expression after the last `let`, found end of script
            "{ let x = 1; }" => compile error: line 1, column 14: expected the result expression after the last `let`, found `}`
            "let = 1; 2" => compile error: line 1, column 5: expected a name after `let`, found `=`
            "let if = 1; 2" => compile error: line 1, column 5: expected a name after `let`, found `if`
            "let x 1; x" => compile error: line 1, column 7: expected `=` after `let x`, found `1`
            "let x = 1 x" => compile error: line 1, column 11: expected `;` after the value of `x`, found `x`
            "let x = 1" => compile error: line 1, column 10: expected `;` after the value of `x`, found end of script
            ")" => compile error: line 1, column 1: expected an expression, found `)`
            "*3" => compile error: line 1, column 1: expected an expression, found `*`
            "1 + * 2" => compile error: line 1, column 5: expected an expression, found `*`
            "if yes { 1 }" => compile error: line 1, column 13: expected `else`: `if` is an expression and needs both branches, found end of script
            "if yes { 1 } 2" => compile error: line 1, column 14: expected `else`: `if` is an expression and needs both branches, found `2`
            "if yes { 1 } else 2" => compile error: line 1, column 19: expected `{` or `if` after `else`, found `2`
            "if yes 1 else 2" => compile error: line 1, column 8: expected `{` after the `if` condition, found `1`
            "if a = 1 { 1 } else { 2 }" => compile error: line 1, column 6: expected `{` after the `if` condition, found `=` (use `==` to compare)
            "min(1, 2" => compile error: line 1, column 9: expected `)` to close the `(` at line 1, column 4, found end of script
            "min(1 2)" => compile error: line 1, column 7: expected an operator, `,` or `)` in the call to `min`, found `2`
            "min(,)" => compile error: line 1, column 5: expected an expression, found `,`
            "1 # 2" => compile error: line 1, column 3: unexpected character `#`
            "a & b" => compile error: line 1, column 3: unexpected `&`; use `&&` for "and"
            "a | b" => compile error: line 1, column 3: unexpected `|`; use `||` for "or"
            "1.5" => compile error: line 1, column 2: unexpected character `.`
            "12abc" => compile error: line 1, column 1: invalid suffix `abc` on integer literal
            "99999999999999999999" => compile error: line 1, column 1: integer literal `99999999999999999999` does not fit in 64 bits
            "9223372036854775808" => compile error: line 1, column 1: integer literal `9223372036854775808` does not fit in 64 bits (only its negation does)
            "café" => compile error: line 1, column 4: unexpected character `é`
            "while yes { 1 }" => compile error: line 1, column 1: `while` is reserved: Orrery script has no loops, functions or mutation
            "let mut x = 1; x" => compile error: line 1, column 5: `mut` is reserved: Orrery script has no loops, functions or mutation
            "fn f() { 1 }" => compile error: line 1, column 1: `fn` is reserved: Orrery script has no loops, functions or mutation
            "return 1" => compile error: line 1, column 1: `return` is reserved: Orrery script has no loops, functions or mutation
        "#]],
    );
}

#[test]
fn compile_errors_names() {
    check_many(
        &[
            "aa",
            "yse",
            "smal + 1",
            "x",
            "let total = 1; totl",
            "let total = 1; { let totem = 2; tota }",
            "min",
            "mn(1, 2)",
            "minimum(1, 2)",
            "sqrt(4)",
            "a(1)",
            "abs(1, 2)",
            "abs()",
            "clamp(1, 2)",
            "min(1)",
            "max()",
        ],
        expect![[r#"
            "aa" => compile error: line 1, column 1: unknown variable `aa`; the variables are `a`, `b`, `big`, `no`, `small` and `yes`
            "yse" => compile error: line 1, column 1: unknown variable `yse`; did you mean `yes`?
            "smal + 1" => compile error: line 1, column 1: unknown variable `smal`; did you mean `small`?
            "x" => compile error: line 1, column 1: unknown variable `x`; the variables are `a`, `b`, `big`, `no`, `small` and `yes`
            "let total = 1; totl" => compile error: line 1, column 16: unknown variable `totl`; did you mean `total`?
            "let total = 1; { let totem = 2; tota }" => compile error: line 1, column 33: unknown variable `tota`; did you mean `total`?
            "min" => compile error: line 1, column 1: `min` is a builtin function; call it like `min(a, b, ...)`
            "mn(1, 2)" => compile error: line 1, column 1: unknown function `mn`; did you mean `min`?
            "minimum(1, 2)" => compile error: line 1, column 1: unknown function `minimum`; did you mean `min`?
            "sqrt(4)" => compile error: line 1, column 1: unknown function `sqrt`; the builtins are `abs`, `clamp`, `max` and `min`
            "a(1)" => compile error: line 1, column 1: `a` is a variable, not a function
            "abs(1, 2)" => compile error: line 1, column 1: `abs(x)` takes 1 argument, found 2
            "abs()" => compile error: line 1, column 1: `abs(x)` takes 1 argument, found 0
            "clamp(1, 2)" => compile error: line 1, column 1: `clamp(x, lo, hi)` takes 3 arguments, found 2
            "min(1)" => compile error: line 1, column 1: `min(a, b, ...)` takes at least 2 arguments, found 1
            "max()" => compile error: line 1, column 1: `max(a, b, ...)` takes at least 2 arguments, found 0
        "#]],
    );
    // Far from every known name: list them instead.
    let schema = [("alpha", Type::Int, ""), ("beta", Type::Int, "")];
    expect!["compile error: line 1, column 1: unknown variable `zzzzzz`; the variables are `alpha` and `beta`"]
        .assert_eq(&outcome("zzzzzz", &schema, &[], 100));
    expect!["compile error: line 1, column 1: unknown variable `zzzzzz`; there are no variables"]
        .assert_eq(&outcome("zzzzzz", &[], &[], 100));
    let many: Vec<String> = (0..12).map(|i| format!("name_{i}")).collect();
    let schema: Vec<(&str, Type, &str)> =
        many.iter().map(|n| (n.as_str(), Type::Int, "")).collect();
    expect!["compile error: line 1, column 1: unknown variable `zzzzzzzz`; the variables include `name_0`, `name_1`, `name_10`, `name_11`, `name_2`, `name_3`, `name_4`, `name_5` and 4 more"]
        .assert_eq(&outcome("zzzzzzzz", &schema, &[], 100));
}

#[test]
fn compile_errors_types() {
    check_many(
        &[
            "1 + true",
            "yes + 1",
            "a * no",
            "-yes",
            "!a",
            "- !yes",
            "yes < no",
            "a == yes",
            "yes != 1",
            "a && yes",
            "yes || 1",
            "if a { 1 } else { 2 }",
            "if yes { 1 } else { no }",
            "if yes { 1 } else if no { 2 } else { false }",
            "yes",
            "a > 1",
            "let x = yes; x",
            "min(1, yes)",
            "abs(no)",
            "1 < 2 < 3",
            "a == b == yes",
            "a < b <= 3",
        ],
        expect![[r#"
            "1 + true" => compile error: line 1, column 5: `+` needs int operands, found bool
            "yes + 1" => compile error: line 1, column 1: `+` needs int operands, found bool
            "a * no" => compile error: line 1, column 5: `*` needs int operands, found bool
            "-yes" => compile error: line 1, column 2: `-` needs an int operand, found bool
            "!a" => compile error: line 1, column 2: `!` needs a bool operand, found int
            "- !yes" => compile error: line 1, column 3: `-` needs an int operand, found bool
            "yes < no" => compile error: line 1, column 1: `<` needs int operands, found bool
            "a == yes" => compile error: line 1, column 3: cannot compare int with bool using `==`
            "yes != 1" => compile error: line 1, column 5: cannot compare bool with int using `!=`
            "a && yes" => compile error: line 1, column 1: `&&` needs bool operands, found int
            "yes || 1" => compile error: line 1, column 8: `||` needs bool operands, found int
            "if a { 1 } else { 2 }" => compile error: line 1, column 4: `if` condition must be bool, found int
            "if yes { 1 } else { no }" => compile error: line 1, column 21: `if` branches have different types: int and bool
            "if yes { 1 } else if no { 2 } else { false }" => compile error: line 1, column 38: `if` branches have different types: int and bool
            "yes" => compile error: line 1, column 1: the script's result must be int, found bool
            "a > 1" => compile error: line 1, column 1: the script's result must be int, found bool
            "let x = yes; x" => compile error: line 1, column 14: the script's result must be int, found bool
            "min(1, yes)" => compile error: line 1, column 8: `min` takes int arguments, found bool
            "abs(no)" => compile error: line 1, column 5: `abs` takes int arguments, found bool
            "1 < 2 < 3" => compile error: line 1, column 7: comparisons cannot be chained; combine them with `&&` or `||`
            "a == b == yes" => compile error: line 1, column 8: comparisons cannot be chained; combine them with `&&` or `||`
            "a < b <= 3" => compile error: line 1, column 7: comparisons cannot be chained; combine them with `&&` or `||`
        "#]],
    );
}

#[test]
fn error_positions_count_lines_and_characters() {
    check(
        "let x = 1;\n\n  let y = x +\n    true;\ny",
        expect![[r#"
        compile error: line 4, column 5: `+` needs int operands, found bool"#]],
    );
    check(
        "// é and ü are fine in comments\nlet x = 1; // ☃\n  x + # 1",
        expect![[r#"
        compile error: line 3, column 7: unexpected character `#`"#]],
    );
    check("\t\ta +\r\n\tb", expect!["4"]);
}

#[test]
fn schema_errors() {
    let show = |schema: &[(&str, Type, &str)]| outcome("1", schema, &[], 100);
    expect!["compile error: schema: `two words` is not a valid variable name"]
        .assert_eq(&show(&[("two words", Type::Int, "")]));
    expect!["compile error: schema: `if` is not a valid variable name"].assert_eq(&show(&[(
        "if",
        Type::Int,
        "",
    )]));
    expect!["compile error: schema: `while` is not a valid variable name"].assert_eq(&show(&[(
        "while",
        Type::Int,
        "",
    )]));
    expect!["compile error: schema: `` is not a valid variable name"].assert_eq(&show(&[(
        "",
        Type::Int,
        "",
    )]));
    expect!["compile error: schema: `x` is declared twice"]
        .assert_eq(&show(&[("x", Type::Int, ""), ("x", Type::Bool, "")]));
    expect!["1"].assert_eq(&outcome(
        "1",
        &[("_under_score9", Type::Int, "")],
        &[Value::Int(0)],
        100,
    ));
}

#[test]
fn budget() {
    // `a + 1`: load, constant, add.
    check_budget("a + 1", 3, expect!["8"]);
    check_budget(
        "a + 1",
        2,
        expect!["runtime error: operation budget of 2 steps exceeded"],
    );
    check_budget(
        "a + 1",
        1,
        expect!["runtime error: operation budget of 1 step exceeded"],
    );
    check_budget(
        "a + 1",
        0,
        expect!["runtime error: operation budget of 0 steps exceeded"],
    );
    // An `if` costs its condition, the test and the branch taken, plus the jump over `else`.
    check_budget("if yes { 1 } else { 2 }", 4, expect!["1"]);
    check_budget(
        "if yes { 1 } else { 2 }",
        3,
        expect!["runtime error: operation budget of 3 steps exceeded"],
    );
    check_budget("if no { 1 } else { 2 }", 3, expect!["2"]);
    // A skipped branch costs nothing, however long.
    let long_else = format!("if yes {{ 1 }} else {{ {} }}", vec!["a"; 500].join(" + "));
    check_budget(&long_else, 4, expect!["1"]);

    // A long chain of lets: 1,000 of them, each a load, a constant, an add and a store.
    let mut src = String::from("let x = 0;\n");
    for _ in 0..1_000 {
        src.push_str("let x = x + 1;\n");
    }
    src.push('x');
    let program = Program::compile(&src, SCHEMA).expect("compiles");
    expect!["4003"].assert_eq(&program.max_steps().to_string());
    assert_eq!(program.eval(VALUES, program.max_steps()), Ok(1_000));
    assert_eq!(program.eval(VALUES, u64::MAX), Ok(1_000));
    expect!["operation budget of 1000 steps exceeded"]
        .assert_eq(&program.eval(VALUES, 1_000).unwrap_err().to_string());
    expect!["operation budget of 4002 steps exceeded"].assert_eq(
        &program
            .eval(VALUES, program.max_steps() - 1)
            .unwrap_err()
            .to_string(),
    );
}

#[test]
fn limits_on_hostile_input() {
    let nested = |depth: usize| format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
    let depth = MAX_DEPTH as usize;
    expect!["1"].assert_eq(&outcome(&nested(depth), SCHEMA, VALUES, 1_000));
    expect![
        "compile error: line 1, column 65: expression nested too deeply; the limit is 64 levels"
    ]
    .assert_eq(&outcome(&nested(depth + 1), SCHEMA, VALUES, 1_000));
    let blocks = |depth: usize| format!("{}1{}", "{ let x = 1; ".repeat(depth), " }".repeat(depth));
    expect!["1"].assert_eq(&outcome(&blocks(depth), SCHEMA, VALUES, 1_000));
    expect![
        "compile error: line 1, column 833: expression nested too deeply; the limit is 64 levels"
    ]
    .assert_eq(&outcome(&blocks(depth + 1), SCHEMA, VALUES, 1_000));
    let conditions = format!(
        "{}yes{}",
        "if ".repeat(100),
        " { yes } else { no }".repeat(100)
    );
    expect![
        "compile error: line 1, column 196: expression nested too deeply; the limit is 64 levels"
    ]
    .assert_eq(&outcome(&conditions, SCHEMA, VALUES, 1_000));
    let calls = format!("{}1{}", "abs(".repeat(100), ")".repeat(100));
    expect![
        "compile error: line 1, column 261: expression nested too deeply; the limit is 64 levels"
    ]
    .assert_eq(&outcome(&calls, SCHEMA, VALUES, 1_000));

    // As deep as the size limit allows: refused without exhausting the stack.
    for open in [
        "(", "{", "if ", "abs(", "min(1,", "-(", "{let x=", "if yes {",
    ] {
        let src = open.repeat(MAX_SOURCE_BYTES / open.len());
        let err = Program::compile(&src, SCHEMA).unwrap_err();
        assert!(
            err.message.starts_with("expression nested too deeply"),
            "{open}: {err}"
        );
    }
    // Chains are loops, not nesting: fine at any length.
    let minus = format!("{}a", "-".repeat(MAX_SOURCE_BYTES - 1));
    expect!["-7"].assert_eq(&outcome(&minus, SCHEMA, VALUES, 1_000_000));
    let bang = format!("if {}yes {{ 1 }} else {{ 0 }}", "!".repeat(10_001));
    expect!["0"].assert_eq(&outcome(&bang, SCHEMA, VALUES, 1_000_000));
    let sum = format!("1{}", "+1".repeat(MAX_SOURCE_BYTES / 2 - 1));
    expect!["8192"].assert_eq(&outcome(&sum, SCHEMA, VALUES, 1_000_000));
    let args = format!("max({}1)", "a,".repeat(MAX_SOURCE_BYTES / 2 - 4));
    expect!["7"].assert_eq(&outcome(&args, SCHEMA, VALUES, 1_000_000));
    let chain = format!("{}{{ 2 }}", "if no { 1 } else ".repeat(900));
    expect!["2"].assert_eq(&outcome(&chain, SCHEMA, VALUES, 1_000_000));

    // Too long.
    let long = format!("1{}", " ".repeat(MAX_SOURCE_BYTES));
    expect!["compile error: script is 16385 bytes long; the limit is 16384 bytes"]
        .assert_eq(&outcome(&long, SCHEMA, VALUES, 1_000));
    let longest = format!("1{}", " ".repeat(MAX_SOURCE_BYTES - 1));
    expect!["1"].assert_eq(&outcome(&longest, SCHEMA, VALUES, 1_000));
}

/// The elevator dispatcher's schema, as the elevator lab might declare it.
const DISPATCH: &[(&str, Type, &str)] = &[
    (
        "eta_ms",
        Type::Int,
        "estimated milliseconds until the car can open at the call's floor",
    ),
    ("distance", Type::Int, "floors between the car and the call"),
    ("floors", Type::Int, "floors in the building"),
    ("car_riders", Type::Int, "passengers in the car"),
    ("car_capacity", Type::Int, "passengers the car holds"),
    (
        "same_direction",
        Type::Bool,
        "the car is already travelling the call's way",
    ),
];

const DISPATCHER: &str = "\
// Prefer cars already heading our way, then the nearest; avoid full cars.
let penalty = if car_riders >= car_capacity { 1_000_000 } else { 0 };
let toward = if same_direction { 0 } else { 2 * floors };
eta_ms + 1_000 * (toward + distance) + penalty
";

#[test]
fn dispatcher_example() {
    let program = Program::compile(DISPATCHER, DISPATCH).expect("compiles");
    let car = |eta: i64, distance: i64, riders: i64, same: bool| {
        let values = [
            eta.into(),
            distance.into(),
            10.into(),
            riders.into(),
            8.into(),
            same.into(),
        ];
        match program.eval(&values, 1_000) {
            Ok(v) => v.to_string(),
            Err(e) => e.to_string(),
        }
    };
    let table = [
        ("near, same way", car(4_200, 3, 2, true)),
        ("near, other way", car(4_200, 3, 2, false)),
        ("far, same way", car(12_000, 8, 0, true)),
        ("full", car(1_000, 1, 8, true)),
        ("overfull, other way", car(1_000, 1, 9, false)),
    ];
    let text: String = table
        .iter()
        .map(|(what, cost)| format!("{what}: {cost}\n"))
        .collect();
    expect![[r#"
        near, same way: 7200
        near, other way: 27200
        far, same way: 20000
        full: 1002000
        overfull, other way: 1022000
    "#]]
    .assert_eq(&text);
    expect!["25"].assert_eq(&program.max_steps().to_string());

    // Typos get a suggestion from the schema.
    expect![
        "compile error: line 4, column 28: unknown variable `distnce`; did you mean `distance`?"
    ]
    .assert_eq(&outcome(
        &DISPATCHER.replace("+ distance", "+ distnce"),
        DISPATCH,
        &[],
        1_000,
    ));
    expect![
        "compile error: line 2, column 18: unknown variable `riders`; did you mean `car_riders`?"
    ]
    .assert_eq(&outcome(
        &DISPATCHER.replace("if car_riders", "if riders"),
        DISPATCH,
        &[],
        1_000,
    ));
    expect![[r#"compile error: line 3, column 17: `if` condition must be bool, found int"#]]
        .assert_eq(&outcome(
            &DISPATCHER.replace("same_direction {", "floors {"),
            DISPATCH,
            &[],
            1_000,
        ));
}

#[test]
fn programs_are_values() {
    let program = Program::compile("a + 1", SCHEMA).expect("compiles");
    let copy = program.clone();
    assert_eq!(program, copy);
    assert_eq!(copy.eval(VALUES, 10), Ok(8));
    assert!(format!("{program:?}").contains("Program"));
    let e = ScriptError {
        line: 3,
        col: 7,
        message: "expected `)`".into(),
    };
    expect!["line 3, column 7: expected `)`"].assert_eq(&e.to_string());
    assert_eq!(Value::from(3).ty(), Type::Int);
    assert_eq!(Value::from(true).to_string(), "true");
    assert_eq!(Type::Bool.to_string(), "bool");
}

mod properties {
    //! Property tests: the compiler never panics; generated well-typed programs compile and
    //! agree with a tree-walking oracle, and budgets only ever cut an evaluation short.

    use super::*;
    use proptest::prelude::*;

    const HOST: &[(&str, Type, &str)] = &[
        ("n", Type::Int, ""),
        ("m", Type::Int, ""),
        ("k", Type::Int, ""),
        ("p", Type::Bool, ""),
        ("q", Type::Bool, ""),
    ];

    /// A generated expression.
    #[derive(Clone, Debug)]
    enum E {
        Int(i64),
        Bool(bool),
        Var(String),
        Neg(Box<E>),
        Not(Box<E>),
        Bin(&'static str, Box<E>, Box<E>),
        If(Vec<(E, E)>, Box<E>),
        Block(Vec<(String, E)>, Box<E>),
        Call(&'static str, Vec<E>),
        Paren(Box<E>),
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum V {
        Int(i64),
        Bool(bool),
    }

    /// Draws choices from a list of numbers; 0 (the simplest choice) once it runs out.
    struct Choices<'a> {
        data: &'a [u32],
        next: usize,
    }

    impl Choices<'_> {
        fn pick(&mut self, n: usize) -> usize {
            let v = self.data.get(self.next).copied().unwrap_or(0);
            self.next += 1;
            v as usize % n
        }
    }

    const INTERESTING: &[i64] = &[
        0,
        1,
        -1,
        2,
        3,
        7,
        10,
        1_000,
        1 << 32,
        i64::MAX,
        i64::MIN,
        i64::MAX - 1,
        -(1 << 31),
    ];

    fn gen(c: &mut Choices, env: &mut Vec<(String, Type)>, ty: Type, depth: u32) -> E {
        let leaf = depth == 0;
        let choice = c.pick(if leaf { 2 } else { 9 });
        match (ty, choice) {
            (Type::Int, 0) => E::Int(if c.pick(2) == 0 {
                INTERESTING[c.pick(INTERESTING.len())]
            } else {
                c.pick(2001) as i64 - 1000
            }),
            (Type::Bool, 0) => E::Bool(c.pick(2) == 0),
            (_, 1) => {
                let names: Vec<&String> = env
                    .iter()
                    .filter(|(_, t)| *t == ty)
                    .map(|(n, _)| n)
                    .collect();
                if names.is_empty() {
                    return gen(c, env, ty, 0);
                }
                let name = names[c.pick(names.len())].clone();
                // Only the innermost binding of a name is visible.
                if env.iter().rev().find(|(n, _)| *n == name).map(|(_, t)| *t) == Some(ty) {
                    E::Var(name)
                } else {
                    gen(c, env, ty, 0)
                }
            }
            (_, 2) => E::Paren(Box::new(gen(c, env, ty, depth - 1))),
            (_, 3) => {
                let arms = 1 + c.pick(3);
                let branches = (0..arms)
                    .map(|_| {
                        (
                            gen(c, env, Type::Bool, depth - 1),
                            gen(c, env, ty, depth - 1),
                        )
                    })
                    .collect();
                E::If(branches, Box::new(gen(c, env, ty, depth - 1)))
            }
            (_, 4) => {
                let mark = env.len();
                let mut lets = Vec::new();
                for _ in 0..c.pick(4) {
                    let let_ty = if c.pick(2) == 0 {
                        Type::Int
                    } else {
                        Type::Bool
                    };
                    let value = gen(c, env, let_ty, depth - 1);
                    let name = ["x", "y", "z", "n", "p"][c.pick(5)].to_string();
                    env.push((name.clone(), let_ty));
                    lets.push((name, value));
                }
                let body = gen(c, env, ty, depth - 1);
                env.truncate(mark);
                E::Block(lets, Box::new(body))
            }
            (Type::Int, 5) => E::Neg(Box::new(gen(c, env, Type::Int, depth - 1))),
            (Type::Int, 6 | 7) => {
                let op = ["+", "-", "*", "/", "%"][c.pick(5)];
                E::Bin(
                    op,
                    Box::new(gen(c, env, Type::Int, depth - 1)),
                    Box::new(gen(c, env, Type::Int, depth - 1)),
                )
            }
            (Type::Int, _) => {
                let name = ["min", "max", "abs", "clamp"][c.pick(4)];
                let count = match name {
                    "abs" => 1,
                    "clamp" => 3,
                    _ => 2 + c.pick(3),
                };
                E::Call(
                    name,
                    (0..count)
                        .map(|_| gen(c, env, Type::Int, depth - 1))
                        .collect(),
                )
            }
            (Type::Bool, 5) => E::Not(Box::new(gen(c, env, Type::Bool, depth - 1))),
            (Type::Bool, 6) => {
                let op = ["<", "<=", ">", ">="][c.pick(4)];
                E::Bin(
                    op,
                    Box::new(gen(c, env, Type::Int, depth - 1)),
                    Box::new(gen(c, env, Type::Int, depth - 1)),
                )
            }
            (Type::Bool, 7) => {
                let op = ["==", "!="][c.pick(2)];
                let t = if c.pick(2) == 0 {
                    Type::Int
                } else {
                    Type::Bool
                };
                E::Bin(
                    op,
                    Box::new(gen(c, env, t, depth - 1)),
                    Box::new(gen(c, env, t, depth - 1)),
                )
            }
            (Type::Bool, _) => {
                let op = ["&&", "||"][c.pick(2)];
                E::Bin(
                    op,
                    Box::new(gen(c, env, Type::Bool, depth - 1)),
                    Box::new(gen(c, env, Type::Bool, depth - 1)),
                )
            }
        }
    }

    fn prec(op: &str) -> u8 {
        match op {
            "||" => 1,
            "&&" => 2,
            "==" | "!=" => 3,
            "<" | "<=" | ">" | ">=" => 4,
            "+" | "-" => 5,
            _ => 6,
        }
    }

    /// How tightly an expression binds: 7 for everything that is not a binary operation.
    fn binding(e: &E) -> u8 {
        match e {
            E::Bin(op, ..) => prec(op),
            _ => 7,
        }
    }

    /// Renders with as few parentheses as the grammar allows, so the parser's precedence is
    /// tested too.
    fn render(e: &E, out: &mut String) {
        match e {
            E::Int(v) if v.unsigned_abs() >= 100_000 && v % 2 == 0 => {
                // Digit groups, to exercise `_`.
                let digits = v.unsigned_abs().to_string();
                let mut grouped = String::new();
                for (i, ch) in digits.chars().enumerate() {
                    if i > 0 && (digits.len() - i) % 3 == 0 {
                        grouped.push('_');
                    }
                    grouped.push(ch);
                }
                if *v < 0 {
                    out.push('-');
                }
                out.push_str(&grouped);
            }
            E::Int(v) => out.push_str(&v.to_string()),
            E::Bool(v) => out.push_str(&v.to_string()),
            E::Var(name) => out.push_str(name),
            E::Neg(x) | E::Not(x) => {
                out.push(if matches!(e, E::Neg(_)) { '-' } else { '!' });
                operand(x, binding(x) < 7, out);
            }
            E::Bin(op, l, r) => {
                let p = prec(op);
                let comparison = p == 3 || p == 4;
                operand(l, binding(l) < p || (comparison && binding(l) == p), out);
                out.push(' ');
                out.push_str(op);
                out.push(' ');
                operand(r, binding(r) <= p, out);
            }
            E::If(branches, otherwise) => {
                for (i, (cond, then)) in branches.iter().enumerate() {
                    out.push_str(if i == 0 { "if " } else { " else if " });
                    render(cond, out);
                    out.push_str(" { ");
                    render(then, out);
                    out.push_str(" }");
                }
                out.push_str(" else { ");
                render(otherwise, out);
                out.push_str(" }");
            }
            E::Block(lets, body) => {
                out.push_str("{ ");
                render_body(lets, body, out);
                out.push_str(" }");
            }
            E::Call(name, args) => {
                out.push_str(name);
                out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    render(a, out);
                }
                out.push(')');
            }
            E::Paren(x) => operand(x, true, out),
        }
    }

    fn operand(e: &E, parens: bool, out: &mut String) {
        if parens {
            out.push('(');
        }
        render(e, out);
        if parens {
            out.push(')');
        }
    }

    fn render_body(lets: &[(String, E)], body: &E, out: &mut String) {
        for (i, (name, value)) in lets.iter().enumerate() {
            out.push_str("let ");
            out.push_str(name);
            out.push_str(" = ");
            render(value, out);
            out.push_str(if i % 2 == 0 {
                ";\n"
            } else {
                "; // a comment\n"
            });
        }
        render(body, out);
    }

    fn overflow(a: i64, op: &str, b: i64) -> String {
        format!("integer overflow: {a} {op} {b}")
    }

    /// The oracle: a direct tree walk with the same evaluation order and error messages.
    fn oracle(e: &E, env: &mut Vec<(String, V)>) -> Result<V, String> {
        let int = |v: V| match v {
            V::Int(i) => i,
            V::Bool(_) => unreachable!("generated programs are well typed"),
        };
        let boolean = |v: V| match v {
            V::Bool(b) => b,
            V::Int(_) => unreachable!("generated programs are well typed"),
        };
        Ok(match e {
            E::Int(v) => V::Int(*v),
            E::Bool(v) => V::Bool(*v),
            E::Var(name) => env
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| *v)
                .expect("bound"),
            E::Neg(x) => {
                let a = int(oracle(x, env)?);
                V::Int(
                    a.checked_neg()
                        .ok_or_else(|| format!("integer overflow: -({a})"))?,
                )
            }
            E::Not(x) => V::Bool(!boolean(oracle(x, env)?)),
            E::Bin("&&", l, r) => V::Bool(boolean(oracle(l, env)?) && boolean(oracle(r, env)?)),
            E::Bin("||", l, r) => V::Bool(boolean(oracle(l, env)?) || boolean(oracle(r, env)?)),
            E::Bin(op, l, r) => {
                let (a, b) = (oracle(l, env)?, oracle(r, env)?);
                match *op {
                    "==" => V::Bool(a == b),
                    "!=" => V::Bool(a != b),
                    _ => {
                        let (a, b) = (int(a), int(b));
                        match *op {
                            "<" => V::Bool(a < b),
                            "<=" => V::Bool(a <= b),
                            ">" => V::Bool(a > b),
                            ">=" => V::Bool(a >= b),
                            "+" => V::Int(a.checked_add(b).ok_or_else(|| overflow(a, op, b))?),
                            "-" => V::Int(a.checked_sub(b).ok_or_else(|| overflow(a, op, b))?),
                            "*" => V::Int(a.checked_mul(b).ok_or_else(|| overflow(a, op, b))?),
                            "/" if b == 0 => return Err(format!("division by zero: {a} / 0")),
                            "%" if b == 0 => return Err(format!("remainder by zero: {a} % 0")),
                            "/" => V::Int(a.checked_div(b).ok_or_else(|| overflow(a, op, b))?),
                            _ => V::Int(a.checked_rem(b).ok_or_else(|| overflow(a, op, b))?),
                        }
                    }
                }
            }
            E::If(branches, otherwise) => {
                for (cond, then) in branches {
                    if boolean(oracle(cond, env)?) {
                        return oracle(then, env);
                    }
                }
                oracle(otherwise, env)?
            }
            E::Block(lets, body) => {
                let mark = env.len();
                for (name, value) in lets {
                    let v = oracle(value, env)?;
                    env.push((name.clone(), v));
                }
                let result = oracle(body, env);
                env.truncate(mark);
                result?
            }
            E::Call(name, args) => {
                let mut values = Vec::new();
                for a in args {
                    values.push(int(oracle(a, env)?));
                }
                V::Int(match *name {
                    "min" => *values.iter().min().expect("two or more"),
                    "max" => *values.iter().max().expect("two or more"),
                    "abs" => values[0]
                        .checked_abs()
                        .ok_or_else(|| format!("integer overflow: abs({})", values[0]))?,
                    _ => {
                        let (x, lo, hi) = (values[0], values[1], values[2]);
                        if lo > hi {
                            return Err(format!(
                                "clamp: lower bound {lo} is greater than upper bound {hi}"
                            ));
                        }
                        x.clamp(lo, hi)
                    }
                })
            }
            E::Paren(x) => oracle(x, env)?,
        })
    }

    fn host_values() -> impl Strategy<Value = Vec<Value>> {
        let int = prop_oneof![-20i64..20, any::<i64>(), Just(i64::MAX), Just(i64::MIN)];
        (int.clone(), int.clone(), int, any::<bool>(), any::<bool>())
            .prop_map(|(n, m, k, p, q)| vec![n.into(), m.into(), k.into(), p.into(), q.into()])
    }

    /// A generated program: top-level lets and an int result, as (source, lets, result).
    fn program_from(choices: &[u32], depth: u32) -> (String, Vec<(String, E)>, E) {
        let mut c = Choices {
            data: choices,
            next: 0,
        };
        let mut env: Vec<(String, Type)> =
            HOST.iter().map(|&(n, t, _)| (n.to_string(), t)).collect();
        let (lets, result) = match gen(&mut c, &mut env, Type::Int, depth) {
            E::Block(lets, body) => (lets, *body),
            other => (Vec::new(), other),
        };
        let mut source = String::new();
        render_body(&lets, &result, &mut source);
        (source, lets, result)
    }

    /// Fragments of valid and invalid syntax, for soups that get further than random text.
    const FRAGMENTS: &[&str] = &[
        "let",
        "x",
        "=",
        ";",
        "if",
        "else",
        "{",
        "}",
        "(",
        ")",
        "true",
        "false",
        "1",
        "0",
        "-",
        "!",
        "+",
        "*",
        "/",
        "%",
        "<",
        "<=",
        "==",
        "!=",
        "&&",
        "||",
        ",",
        "min",
        "max",
        "abs",
        "clamp",
        "n",
        "p",
        "9223372036854775808",
        "1_000",
        "//",
        "\n",
        " ",
        "é",
        "&",
        "while",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1_000, rng_seed: proptest::test_runner::RngSeed::Fixed(16519), failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn compile_never_panics_on_text(src in "\\PC{0,120}") {
            let _ = Program::compile(&src, HOST);
        }

        #[test]
        fn compile_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = Program::compile(&String::from_utf8_lossy(&bytes), HOST);
        }

        #[test]
        fn soups_never_panic(
            parts in proptest::collection::vec(0..FRAGMENTS.len(), 0..60),
            values in host_values(),
            budget in 0u64..200,
        ) {
            let src: Vec<&str> = parts.iter().map(|&i| FRAGMENTS[i]).collect();
            if let Ok(program) = Program::compile(&src.join(" "), HOST) {
                let _ = program.eval(&values, budget);
                let _ = program.eval(&values, u64::MAX);
            }
        }

        #[test]
        fn generated_programs_agree_with_the_oracle(
            choices in proptest::collection::vec(any::<u32>(), 0..300),
            depth in 1u32..7,
            values in host_values(),
        ) {
            let (source, lets, result) = program_from(&choices, depth);
            let program = match Program::compile(&source, HOST) {
                Ok(p) => p,
                Err(e) => panic!("well-typed program refused: {e}\n{source}"),
            };
            let mut env: Vec<(String, V)> = HOST
                .iter()
                .zip(&values)
                .map(|(&(n, _, _), v)| (n.to_string(), match *v {
                    Value::Int(i) => V::Int(i),
                    Value::Bool(b) => V::Bool(b),
                }))
                .collect();
            let block = E::Block(lets, Box::new(result));
            let expected = oracle(&block, &mut env).map(|v| match v {
                V::Int(i) => i,
                V::Bool(_) => unreachable!("the result is an int"),
            });
            let got = program.eval(&values, u64::MAX);
            match (&got, &expected) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "{}", source),
                (Err(a), Err(b)) => {
                    prop_assert_eq!(&a.message, b, "{}", source);
                    prop_assert!(a.line > 0 && a.col > 0, "runtime errors have positions: {a}\n{source}");
                }
                _ => prop_assert!(false, "{source}\nscript: {got:?}\noracle: {expected:?}"),
            }
            // Budgets only cut evaluation short, and `max_steps` is always enough.
            prop_assert_eq!(&program.eval(&values, program.max_steps()), &got);
            for budget in [0, 1, program.max_steps() / 2, program.max_steps().saturating_sub(1)] {
                let cut = program.eval(&values, budget);
                let exceeded = format!("operation budget of {budget} step{} exceeded", if budget == 1 { "" } else { "s" });
                prop_assert!(
                    cut == got || cut.as_ref().is_err_and(|e| e.message == exceeded && e.line == 0),
                    "budget {budget}: {cut:?} vs {got:?}\n{source}"
                );
            }
        }

        #[test]
        fn damaged_programs_never_panic(
            choices in proptest::collection::vec(any::<u32>(), 0..200),
            cut in any::<prop::sample::Index>(),
            len in 0usize..8,
            insert in 0..FRAGMENTS.len(),
            values in host_values(),
        ) {
            let (source, _, _) = program_from(&choices, 4);
            let chars: Vec<char> = source.chars().collect();
            let at = cut.index(chars.len() + 1);
            let end = (at + len).min(chars.len());
            let mut damaged: String = chars[..at].iter().collect();
            damaged.push_str(FRAGMENTS[insert]);
            damaged.extend(&chars[end..]);
            if let Ok(program) = Program::compile(&damaged, HOST) {
                let _ = program.eval(&values, u64::MAX);
                let _ = program.eval(&values, 5);
            }
        }
    }
}
