//! `berth` is linked as a position-dependent executable, as berth-monitor is: a PIE has
//! its ~22 000 relative relocations applied at every start, and every `berth` command is a
//! fresh process (`run --rm` starts two). The code is still compiled
//! position-independent; the linker resolves it at link time.
fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
