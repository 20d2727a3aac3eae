fn main() {
    eprintln!("berth: the engine is not built yet (issue #5); use berth-runtime");
    std::process::exit(125);
}
