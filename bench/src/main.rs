//! eventfold benchmarks. The core's figures are ratios against a baseline
//! measured in the same run, so they mean the same on any machine; the
//! store's are absolute (events/s, µs), with CPU time beside wall time for
//! a machine that other programs share.
//!
//! `cargo run --release -p eventfold-bench -- core` runs the Todos workload
//! through the core and through the same aggregate written by hand in Rust.
//! `-- store` measures the engine over SQLite (appends, replay, hot and cold
//! execute); `--quick` runs a tenth of each.

mod core_bench;
mod native;
mod store_bench;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let what: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let all = what.is_empty();
    let only = args
        .iter()
        .find_map(|a| a.strip_prefix("--only="))
        .map(str::to_string);
    if all || what.contains(&"core") {
        core_bench::run(quick, only.as_deref());
    }
    if all || what.contains(&"store") {
        store_bench::run(quick, only.as_deref());
    }
}
