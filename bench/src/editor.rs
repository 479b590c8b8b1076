//! Issue 17: what an editor waits for, on a model of 2,000 lines.
//!
//! - **diagnostics**: after an edit, the server reads and checks the whole
//!   domain again and indexes it (`ide::Analysis::new`), then takes the
//!   file's problems;
//! - **completion**: after `x.` in a handler, on the analysis of the edited
//!   text;
//! - **formatting**: the whole file (`format::format_source`).
//!
//! Each is timed 200 times (30 with `--quick`): p50 and p99 in ms, against
//! the budget of 50 ms at p99, and as a ratio to the baseline taken in the
//! same run, `Domain::compile` of the same file (what `eventfold check`
//! does). The LSP transport (a few hundred bytes of JSON) is not in it.

use std::time::Instant;

use eventfold::ide::Analysis;
use eventfold::{Domain, Source};

const BUDGET_MS: f64 = 50.0;

/// A model of about `lines` lines: a state, records, an enum, and
/// command/event pairs that use them.
pub fn model(lines: usize) -> String {
    let mut s = String::from(
        "/// A generated model for the editor bench.\nmodel Big {\n  state {\n    /// Items by id.\n    items: map<string, Item>\n    total: int\n  }\n\n  record Item {\n    id: string\n    text: string\n    grade: Grade\n    tags: list<string>\n  }\n\n  enum Grade { low, mid, high }\n",
    );
    let mut i = 0;
    while s.lines().count() < lines {
        s.push_str(&format!(
            r#"
  /// Command number {i}.
  command do-{i}(id: string, text: string, by: int = 1) {{
    reject missing "no item ${{id}}" unless id in items
    reject blank "text must not be blank" if text.trim() == ""
    let item = items[id]
    let grade = by > 10 ? Grade.high : Grade.low
    if item.text != text {{
      emit done-{i}(id, text, by, grade)
    }}
  }}

  event done-{i}(id: string, text: string, by: int, grade: Grade) {{
    set items[id].text = text
    set items[id].grade = grade
    set total = total + by
  }}
"#
        ));
        i += 1;
    }
    s.push_str("\n  query count(): int = size(items)\n}\n");
    s
}

fn percentiles(mut xs: Vec<f64>) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn time(n: usize, mut f: impl FnMut(usize)) -> (f64, f64) {
    let mut xs = Vec::with_capacity(n);
    for k in 0..n {
        let t = Instant::now();
        f(k);
        xs.push(t.elapsed().as_secs_f64() * 1e3);
    }
    percentiles(xs)
}

/// Prints the table; true when every p99 is within the budget.
pub fn run(quick: bool) -> bool {
    let n = if quick { 30 } else { 200 };
    let text = model(2_000);
    let lines = text.lines().count();
    // An edit: one line of one handler changes each time.
    let edited = |k: usize| {
        text.replacen(
            "let item = items[id]",
            &format!("let item = items[id] // edit {k}"),
            1,
        )
    };
    let (base50, base99) = time(n, |k| {
        Domain::compile(&[Source::new("big.model", edited(k))]).expect("the bench model compiles");
    });
    let diag = time(n, |k| {
        let a = Analysis::new(vec![("big.model".into(), edited(k))]);
        assert_eq!(a.problems(0).count(), 0);
    });
    let typing = text.replacen(
        "    let item = items[id]\n",
        "    let item = items[id]\n    let x = item.\n",
        1,
    );
    let at = typing.find("item.\n").unwrap() as u32 + 5;
    let comp = time(n, |_| {
        let a = Analysis::new(vec![("big.model".into(), typing.clone())]);
        let c = a.completions(0, at);
        assert!(c.iter().any(|c| c.label == "grade"));
    });
    let fmt = time(n, |k| {
        eventfold::format::format_source("big.model", &edited(k)).expect("the bench model parses");
    });
    println!("\n== editor: a {lines}-line model, {n} runs each (issue 17) ==");
    println!(
        "{:<28} {:>9} {:>9} {:>12} {:>9}",
        "", "p50 ms", "p99 ms", "p99 / check", "budget"
    );
    println!(
        "{:<28} {:>9.2} {:>9.2} {:>12} {:>9}",
        "check (baseline)", base50, base99, "1.00", ""
    );
    let mut within = true;
    for (name, (p50, p99)) in [
        ("diagnostics after an edit", diag),
        ("completion after `.`", comp),
        ("formatting", fmt),
    ] {
        let ok = p99 < BUDGET_MS;
        within &= ok;
        println!(
            "{:<28} {:>9.2} {:>9.2} {:>12.2} {:>9}",
            name,
            p50,
            p99,
            p99 / base99,
            if ok { "< 50 ok" } else { "MISSED" }
        );
    }
    within
}
