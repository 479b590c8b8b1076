//! `eventfold fmt`: model files in canonical form, comments kept.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use eventfold::Error;

/// Formats `files` in place (only those that change), or with `check`
/// writes nothing and names each file that would change (exit 1 when
/// any). `-` (or `stdin`) reads stdin and writes the result to stdout. A
/// file that does not parse is reported as `check` reports it and left
/// untouched (exit 1).
pub fn run(files: &[PathBuf], check: bool, stdin: bool) -> Result<ExitCode, Error> {
    let mut failed = false;
    let mut changed = false;
    if stdin {
        one_stdin(check, &mut changed, &mut failed)?;
    }
    for path in files {
        if path.as_os_str() == "-" {
            one_stdin(check, &mut changed, &mut failed)?;
            continue;
        }
        match one_file(path, check) {
            Ok(true) => {
                changed = true;
                if check {
                    println!("{}", path.display());
                }
            }
            Ok(false) => {}
            Err(e) => {
                super::print_error(&e);
                failed = true;
            }
        }
    }
    Ok(if failed || (check && changed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether `path` changes (and, unless `check`, rewrites it).
fn one_file(path: &Path, check: bool) -> Result<bool, Error> {
    let text = super::read(path)?;
    let formatted = eventfold::format::format_source(&path.display().to_string(), &text)?;
    if formatted == text {
        return Ok(false);
    }
    if !check {
        std::fs::write(path, &formatted).map_err(|e| Error::io(path, &e))?;
    }
    Ok(true)
}

fn one_stdin(check: bool, changed: &mut bool, failed: &mut bool) -> Result<(), Error> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Error::io(Path::new("<stdin>"), &e))?;
    match eventfold::format::format_source("<stdin>", &text) {
        Ok(formatted) => {
            if formatted != text {
                *changed = true;
            }
            if check {
                if formatted != text {
                    println!("<stdin>");
                }
            } else {
                let mut out = std::io::stdout();
                let _ = out.write_all(formatted.as_bytes());
                let _ = out.flush();
            }
        }
        Err(e) => {
            super::print_error(&e);
            *failed = true;
        }
    }
    Ok(())
}
