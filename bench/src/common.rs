//! What the issue-10 targets share: the models, a scratch folder, a
//! deterministic generator, the re-execution of this binary as a child,
//! and fsync counting through `strace`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use eventfold::{Domain, Source};

pub const TODOS: &str = include_str!("../../examples/todos/todos.model");

/// A counter whose every `add` emits one event: the final count says
/// whether every acknowledged command was kept.
pub const COUNTER: &str = r#"
model Counter {
  state {
    count: int
    last: string
  }
  command add(who: string = "", by: int = 1) {
    reject negative "by must not be negative" if by < 0
    emit added(who, by)
  }
  event added(who: string, by: int) {
    set count = count + by
    set last = who
  }
  query total(): int = count
}
"#;

/// Todos and Counter in one domain.
pub fn domain() -> Domain {
    Domain::compile(&[
        Source::new("todos.model", TODOS),
        Source::new("counter.model", COUNTER),
    ])
    .expect("the bench models compile")
}

/// The todo example's model cut before its first table: the aggregate
/// without its table and projection.
pub fn todos_without_read_side() -> &'static str {
    TODOS
        .split("\ntable ")
        .next()
        .expect("split yields one part")
}

/// The bench models without the todo example's table and projection: the
/// aggregates alone, as the peers measured.
pub fn domain_without_read_side() -> Domain {
    Domain::compile(&[
        Source::new("todos.model", todos_without_read_side()),
        Source::new("counter.model", COUNTER),
    ])
    .expect("the bench models compile")
}

/// A tiny deterministic generator (the LCG of `core_bench`).
#[derive(Debug, Clone)]
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A fresh folder under `EVENTFOLD_BENCH_DIR` (default: the system's temp
/// folder), removed when dropped.
#[derive(Debug)]
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let base = std::env::var_os("EVENTFOLD_BENCH_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let dir = base.join(format!("eventfold-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bench folder");
        Scratch(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("EVENTFOLD_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn sqlite_url(path: &Path, sync: Option<&str>) -> String {
    match sync {
        Some(s) => format!("sqlite:{}?synchronous={s}", path.display()),
        None => format!("sqlite:{}", path.display()),
    }
}

/// This binary again, playing `role` (the hidden `child` subcommand).
pub fn child(role: &str, args: &[String]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("the bench's own path"));
    cmd.arg("child").arg(role).args(args);
    cmd.stdin(Stdio::null()).stderr(Stdio::inherit());
    cmd
}

/// Whether `strace` can be run here (it is how fsyncs are counted).
pub fn have_strace() -> bool {
    Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `cmd` under `strace -f -c`, counting fsync and fdatasync only (with
/// seccomp-bpf, so the other system calls run untraced); the summary goes
/// to `summary`.
pub fn under_strace(cmd: &Command, summary: &Path) -> Command {
    let mut s = Command::new("strace");
    s.args([
        "-f",
        "-c",
        "--seccomp-bpf",
        "-e",
        "trace=fsync,fdatasync",
        "-o",
    ])
    .arg(summary)
    .arg(cmd.get_program())
    .args(cmd.get_args());
    s.stdin(Stdio::null()).stderr(Stdio::inherit());
    s
}

/// The number of fsync + fdatasync calls in a `strace -c` summary.
pub fn fsyncs_in(summary: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(summary).ok()?;
    let mut total = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // "% time  seconds  usecs/call  calls  [errors]  syscall"
        if let Some(name) = fields.last() {
            if *name == "fsync" || *name == "fdatasync" {
                total += fields.get(3)?.parse::<u64>().ok()?;
            }
        }
    }
    Some(total)
}

/// The load of the machine, as `uptime` prints it.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().take(3).collect();
            format!("load average {}", f.join(", "))
        })
        .unwrap_or_else(|_| "load unknown".into())
}

/// Thousands separated, for tables.
pub fn fmt_int(x: f64) -> String {
    let n = x.round() as i64;
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Seconds of CPU this process has used, every thread counted (ended
/// ones too), to the nanosecond: `CLOCK_PROCESS_CPUTIME_ID`. On a shared
/// machine wall time counts the other programs' turns; this does not, and
/// it counts what the engine does off the caller's thread (a checkpointer,
/// a snapshot writer), which is part of a command's cost.
pub fn cpu() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// Wall and CPU seconds of `f`.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let c = cpu();
    let t = std::time::Instant::now();
    let out = f();
    let wall = t.elapsed().as_secs_f64();
    (out, wall, cpu() - c)
}
