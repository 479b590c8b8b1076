//! `eventfold`: check, describe and test models; propose and replay over
//! JSON so the command composes in shell pipelines.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use eventfold::{scenario, Domain, Error, Source};

#[derive(Parser, Debug)]
#[command(
    name = "eventfold",
    version,
    about = "Event-sourced aggregates, written once in the eventfold model language"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Compile model files and report every problem (exit 1 when any).
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the ubiquitous language of the models: commands, events,
    /// queries, invariants and their docs.
    Describe {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Run given/when/then scenario files; ends with `N passed, N failed`.
    Test {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Propose a command: prints the events it gives as a JSON array.
    Propose {
        #[command(flatten)]
        models: ModelArgs,
        /// The model to run, e.g. `Todos`.
        model: String,
        /// The command as JSON; `-` or nothing reads it from stdin.
        command: Option<String>,
        /// The state to start from (JSON, or @FILE); default: the initial state.
        #[arg(long)]
        state: Option<String>,
        /// The time of the command (RFC 3339); default: now.
        #[arg(long)]
        now: Option<String>,
    },
    /// Fold events into a state: reads a JSON array of events, or one event
    /// per line, and prints the state.
    Replay {
        #[command(flatten)]
        models: ModelArgs,
        model: String,
        /// The events as JSON; `-` or nothing reads them from stdin.
        events: Option<String>,
        /// The state to start from (JSON, or @FILE); default: the initial state.
        #[arg(long)]
        state: Option<String>,
    },
}

#[derive(clap::Args, Debug)]
struct ModelArgs {
    /// Model files to compile (repeat the flag, or separate with commas).
    #[arg(long = "model", short = 'm', required = true, value_delimiter = ',')]
    files: Vec<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    Json,
    Markdown,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            print_error(&e);
            ExitCode::from(1)
        }
    }
}

/// Errors go to stderr: readable on a terminal, JSON in a pipeline.
fn print_error(e: &Error) {
    let mut err = std::io::stderr();
    if let Error::ModelError {
        rendered,
        diagnostics,
    } = e
    {
        let _ = write!(err, "{rendered}");
        let _ = writeln!(
            err,
            "{} problem{} found",
            diagnostics.len(),
            plural(diagnostics.len())
        );
    } else if err.is_terminal() {
        let _ = writeln!(err, "error[{}]: {}", e.code(), e.message());
    } else {
        let _ = writeln!(err, "{}", e.to_json());
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn run(cmd: Cmd) -> Result<ExitCode, Error> {
    match cmd {
        Cmd::Check { files } => {
            let domain = load(&files)?;
            let models = domain.models();
            println!(
                "ok: {} model{} ({}) in {} file{}",
                models.len(),
                plural(models.len()),
                models.join(", "),
                files.len(),
                plural(files.len())
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Describe { files, format } => {
            let domain = load(&files)?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&domain.describe()).unwrap_or_default()
                ),
                Format::Markdown => print!("{}", domain.describe_markdown()),
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Test { files } => Ok(test(&files)),
        Cmd::Propose {
            models,
            model,
            command,
            state,
            now,
        } => {
            let domain = load(&models.files)?;
            let command = input(command.as_deref())?;
            let state = state.map(|s| at_file(&s)).transpose()?;
            let events = domain.propose_json(&model, state.as_deref(), &command, now.as_deref())?;
            println!("{events}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Replay {
            models,
            model,
            events,
            state,
        } => {
            let domain = load(&models.files)?;
            let events = input(events.as_deref())?;
            let state = state.map(|s| at_file(&s)).transpose()?;
            let events = as_json_array(&events);
            println!("{}", domain.replay_json(&model, &events, state.as_deref())?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn test(files: &[PathBuf]) -> ExitCode {
    let mut report = scenario::Report::default();
    for f in files {
        report.merge(scenario::run_file(f));
    }
    let color = std::io::stdout().is_terminal();
    let (red, green, dim, reset) = if color {
        ("\x1b[31m", "\x1b[32m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    for f in &report.failures {
        println!("{red}FAIL{reset} {} :: {}", f.file, f.case);
        println!("  {dim}expected:{reset} {}", f.expected);
        println!(
            "  {dim}got:{reset}      {}",
            f.got.replace('\n', "\n            ")
        );
    }
    let failed = report.failed();
    let summary = format!("{} passed, {} failed", report.passed, failed);
    if failed == 0 {
        println!("{green}{summary}{reset}");
        ExitCode::SUCCESS
    } else {
        println!("{red}{summary}{reset}");
        ExitCode::from(1)
    }
}

fn load(files: &[PathBuf]) -> Result<Domain, Error> {
    let mut sources = Vec::new();
    for f in files {
        let text = read(f)?;
        sources.push(Source::new(f.display().to_string(), text));
    }
    Domain::compile(&sources)
}

fn read(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::StoreError {
        message: format!("cannot read {}: {e}", path.display()),
    })?;
    String::from_utf8(bytes).map_err(|e| Error::InvalidJson {
        message: format!(
            "{} is not valid UTF-8 (at byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ),
    })
}

/// JSON given as an argument, or read from stdin for `-` or nothing.
fn input(arg: Option<&str>) -> Result<String, Error> {
    match arg {
        Some(text) if text != "-" => Ok(text.to_string()),
        _ => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Error::StoreError {
                    message: format!("cannot read stdin: {e}"),
                })?;
            String::from_utf8(bytes).map_err(|e| Error::InvalidJson {
                message: format!(
                    "stdin is not valid UTF-8 (at byte {})",
                    e.utf8_error().valid_up_to()
                ),
            })
        }
    }
}

/// `@FILE` reads a file; anything else is the JSON itself.
fn at_file(arg: &str) -> Result<String, Error> {
    match arg.strip_prefix('@') {
        Some(path) => read(Path::new(path)),
        None => Ok(arg.to_string()),
    }
}

/// A JSON array as it is, or JSON Lines (one event a line) made into one.
fn as_json_array(text: &str) -> String {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.is_empty() {
        return if trimmed.is_empty() {
            "[]".into()
        } else {
            text.to_string()
        };
    }
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    format!("[{}]", lines.join(","))
}
