//! `eventfold generate`: typed code for a host language, written into a
//! folder (or compared with it, with `--check`).

use std::path::Path;
use std::process::ExitCode;

use eventfold::generate::{self, Lang, Options};
use eventfold::{Domain, Error};

/// Writes every generated file under `out` (creating folders), printing
/// each path; with `check`, writes nothing and fails when a file differs.
pub fn run(
    domain: &Domain,
    lang: Lang,
    out: &Path,
    package: Option<String>,
    check: bool,
) -> Result<ExitCode, Error> {
    let files = generate::generate(domain, lang, &Options { package });
    if !check {
        // The folder is there afterwards, whatever the generator writes.
        std::fs::create_dir_all(out).map_err(|e| Error::io(out, &e))?;
    }
    let mut stale = Vec::new();
    for f in &files {
        let path = out.join(&f.path);
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(f.contents.as_str()) {
                stale.push(path.display().to_string());
            }
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
        }
        std::fs::write(&path, &f.contents).map_err(|e| Error::io(&path, &e))?;
        println!("{}", path.display());
    }
    if check {
        if stale.is_empty() {
            println!(
                "ok: {} {lang} file{} up to date in {}",
                files.len(),
                if files.len() == 1 { "" } else { "s" },
                out.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        for s in &stale {
            eprintln!("out of date: {s}");
        }
        eprintln!(
            "run `eventfold generate --lang {lang} ... -o {}` again",
            out.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
