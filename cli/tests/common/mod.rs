//! What every runner test needs: `orrery` called as a user calls it.

use std::process::Command;

/// Runs the built `orrery` binary with `args`: its exit status, standard output and standard
/// error.
pub fn orrery(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_orrery"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
