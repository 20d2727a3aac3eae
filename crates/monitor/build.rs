//! berth-monitor is linked as a position-dependent executable: a PIE has its
//! relocations applied at every start, which dirties ~270 KB of pages per monitor
//! (.data.rel.ro, GOT) that could otherwise stay shared with the file. The code is
//! still compiled position-independent; the linker resolves it at link time.
fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
