//! eventfold benchmarks. The core's figures are ratios against a baseline
//! measured in the same run, so they mean the same on any machine; the
//! store's are absolute (events/s, µs), with CPU time beside wall time for
//! a machine that other programs share.
//!
//! `cargo run --release -p eventfold-bench -- core` runs the Todos workload
//! through the core and through the same aggregate written by hand in Rust.
//! `-- store` measures the engine over SQLite (appends, replay, hot and cold
//! execute); `--quick` runs a tenth of each.
//!
//! The targets of issue 10 ("correct first, then fast"), one module each:
//! `w1`, `w2`, `batch`, `contention`, `group` and `crash` (see
//! bench/README.md). `migrate` times the upgrade of a wave-1 store of
//! 1,000,000 events (issue 11). `upcast` replays through a three-version
//! upcast chain against the same events already current, loaded from
//! SQLite (issues 12 and 14). `model-change` runs `migrate apply` on a
//! store of 1,000,000 events while a writer goes on (issue 14). `postgres`
//! runs issue 15's measurements against a PostgreSQL server. `editor`
//! times what a language server does after an edit, on a 2,000-line model
//! (issue 17). With no target, all but `crash`, `migrate`, `readside`,
//! `model-change`, `postgres` and `editor` run. A wrong result
//! (a lost command, a violated invariant) exits 1; a missed budget exits 1
//! only with `--strict`.

/// Rust allocations through mimalloc (docs/deployment.md, "Memory").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod batch;
mod child;
mod common;
mod contention;
mod core_bench;
mod crash;
mod editor;
mod group;
mod migrate;
mod model_change;
mod native;
mod postgres;
mod project;
mod readside;
mod store_bench;
mod upcast;
mod w1;
mod w2;

/// The value of `--name N` or `--name=N`.
fn flag(args: &[String], name: &str) -> Option<usize> {
    let long = format!("--{name}");
    args.iter().enumerate().find_map(|(i, a)| {
        if let Some(v) = a.strip_prefix(&format!("{long}=")) {
            v.parse().ok()
        } else if *a == long {
            args.get(i + 1).and_then(|v| v.parse().ok())
        } else {
            None
        }
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        std::process::exit(child::run(&args[1..]));
    }
    let quick = args.iter().any(|a| a == "--quick");
    let strict = args.iter().any(|a| a == "--strict");
    let kills = flag(&args, "kills");
    let check_every = flag(&args, "check-every");
    let mut what: Vec<&str> = Vec::new();
    let mut skip = false;
    for a in &args {
        if std::mem::take(&mut skip) {
            continue;
        }
        if a == "--kills" || a == "--check-every" {
            skip = true;
        } else if !a.starts_with("--") {
            what.push(a);
        }
    }
    let all = what.is_empty();
    let on = |t: &str| all || what.contains(&t);
    let only = args
        .iter()
        .find_map(|a| a.strip_prefix("--only="))
        .map(str::to_string);
    let (mut correct, mut within) = (true, true);
    if on("core") {
        core_bench::run(quick, only.as_deref());
    }
    if on("store") {
        store_bench::run(quick, only.as_deref());
    }
    if on("w2") {
        within &= w2::run(quick);
    }
    if on("w1") {
        within &= w1::run(quick);
    }
    if on("batch") {
        within &= batch::run(quick);
    }
    if on("contention") {
        let o = contention::run(quick);
        correct &= o.correct;
        within &= o.within;
    }
    if on("group") {
        within &= group::run(quick);
    }
    if on("upcast") {
        within &= upcast::run(quick);
    }
    if on("project") {
        within &= project::run(quick);
    }
    if !all && what.contains(&"readside") {
        within &= readside::run(quick);
    }
    if !all && what.contains(&"model-change") {
        within &= model_change::run(quick);
    }
    if !all && what.contains(&"postgres") {
        let o = postgres::run(quick, only.as_deref());
        correct &= o.correct;
        within &= o.within;
    }
    if !all && what.contains(&"editor") {
        within &= editor::run(quick);
    }
    if !all && what.contains(&"migrate") {
        correct &= migrate::run(quick);
    }
    if !all && what.contains(&"crash") {
        correct &= crash::run(quick, kills, check_every);
    }
    if !correct || (strict && !within) {
        std::process::exit(1);
    }
}
