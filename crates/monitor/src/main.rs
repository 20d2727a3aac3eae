//! `berth-monitor RUN_DIR/monitor.json`: one per container; started by the engine
//! through `monitor::spawn`.

fn main() {
    std::process::exit(monitor::daemon::main())
}
