//! eventfold benchmarks. Every figure is a ratio against a baseline measured
//! in the same run, so the numbers mean the same on any machine.
//!
//! `cargo run --release -p eventfold-bench -- core` runs the Todos workload
//! through the core and through the same aggregate written by hand in Rust.

mod core_bench;
mod native;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let what: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let all = what.is_empty();
    if all || what.contains(&"core") {
        let only = args
            .iter()
            .find_map(|a| a.strip_prefix("--only="))
            .map(str::to_string);
        core_bench::run(quick, only.as_deref());
    }
}
