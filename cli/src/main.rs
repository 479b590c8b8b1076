//! `eventfold`: check, describe and test models; propose and fold over
//! JSON so the command composes in shell pipelines; execute, read and
//! replay against a store (`memory:`, `sqlite:PATH` or `postgres://...`);
//! read its tables, projections and subscriptions (`read`); change its
//! models live (`migrate`); and `demo`.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use eventfold::store::Store;
use eventfold::{scenario, Domain, Engine, EngineOptions, Error};

/// Rust allocations through mimalloc (docs/deployment.md, "Memory").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod demo;
mod fmt;
mod generate;
mod grid;
mod lsp;
mod migrate;
mod read;
mod term;

#[derive(Parser, Debug)]
#[command(
    name = "eventfold",
    version,
    about = "Event-sourced aggregates, written once in the eventfold model language"
)]
struct Cli {
    /// Colour: `auto` (on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE
    /// colours a pipe too), `always` or `never`.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = term::ColorChoice::Auto)]
    color: term::ColorChoice,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// A Language Server Protocol server over stdio, for editors: problems
    /// as you type, hover, definition, references, completion, symbols,
    /// rename and formatting (editors/README.md).
    Lsp {
        /// Accepted for clients that pass it; stdio is the only transport.
        #[arg(long, hide = true)]
        stdio: bool,
    },
    /// Compile model files and report every problem (exit 1 when any).
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Format model files in place: the canonical layout, every comment
    /// and doc kept. `--check` writes nothing, names each file that would
    /// change and exits 1 when any would; `-` or `--stdin` formats stdin to
    /// stdout (for editors).
    #[command(
        after_help = "Examples:\n  eventfold fmt todos.model\n  eventfold fmt --check $(git ls-files '*.model')\n  eventfold fmt - < todos.model"
    )]
    Fmt {
        /// Write nothing; exit 1 when a file would change.
        #[arg(long)]
        check: bool,
        /// Read a model from stdin and write it formatted to stdout.
        #[arg(long)]
        stdin: bool,
        #[arg(required_unless_present = "stdin")]
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
    /// Write typed code for a host language from the model files: every
    /// command, event, state, record, enum, query result, table row and
    /// projection, with the model's docs, and a typed facade over that
    /// language's eventfold package (docs/generate.md).
    #[command(
        after_help = "Examples:\n  eventfold generate --lang ts todos.model -o src/generated\n  eventfold generate --lang java --package com.acme.todos todos.model -o src/main/java\n  eventfold generate --lang python todos.model -o app --check   fail when the files are out of date"
    )]
    Generate {
        /// ts, python, kotlin, java, php, ruby or c.
        #[arg(long)]
        lang: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The folder to write into (created when missing).
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
        /// The package (Java, Kotlin), namespace (PHP) or module (Ruby).
        #[arg(long)]
        package: Option<String>,
        /// Write nothing; exit 1 when a generated file is missing or differs.
        #[arg(long)]
        check: bool,
    },
    /// Run given/when/then scenario files; ends with `N passed, N failed`.
    Test {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// List every case, passed or failed, with its file.
        #[arg(short, long)]
        verbose: bool,
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
    /// Rebuild a store's snapshots (`--store`), or fold events into a state.
    ///
    /// With `--store`: replays every stream of the store (of MODEL, or of
    /// every model) from its first event and writes a fresh snapshot of
    /// each, with a progress bar. Without `--store`: folds events into a
    /// state, reading a JSON array of events or one event per line (as
    /// `eventfold events` prints them), and prints the state.
    #[command(
        after_help = "Examples:\n  eventfold replay --store sqlite:app.db -m todos.model          rebuild snapshots\n  eventfold replay -m todos.model Todos < events.jsonl            fold events from stdin"
    )]
    Replay {
        #[command(flatten)]
        models: ModelArgs,
        /// The model: required to fold; with `--store`, only its streams.
        model: Option<String>,
        /// The events as JSON; `-` or nothing reads them from stdin.
        events: Option<String>,
        /// The state to start from (JSON, or @FILE); default: the initial state.
        #[arg(long)]
        state: Option<String>,
        /// Rebuild the snapshots of this store instead of folding stdin.
        #[arg(long)]
        store: Option<String>,
    },
    /// Execute commands on a stream of a store; prints each result
    /// (`{"stream", "version", "position", "events"}`) on a line of its own.
    #[command(
        override_usage = "eventfold exec [OPTIONS] --store <STORE> -m <FILES> <MODEL-ID | MODEL ID> [COMMAND]",
        after_help = "The stream is `Model-id` (Todos-home) or the model and id as two words (Todos home).\n\nExamples:\n  eventfold exec Todos-home '{\"type\": \"create-new\", \"data\": {\"id\": \"a\", \"text\": \"Milk\"}}' --store sqlite:app.db -m todos.model\n  eventfold exec Todos home - --store sqlite:app.db -m todos.model < commands.jsonl"
    )]
    Exec {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: ModelArgs,
        /// STREAM [COMMAND] or MODEL ID [COMMAND]. The command is JSON;
        /// `-` or none reads one command per line from stdin.
        #[arg(value_name = "WORDS", required = true, num_args = 1..=3)]
        words: Vec<String>,
        /// Fail with version_conflict unless the stream is at this version.
        #[arg(long)]
        expected_version: Option<u64>,
        /// The command's id: a repeated id returns the first result.
        #[arg(long)]
        command_id: Option<String>,
        /// Metadata stored with the events (a JSON object).
        #[arg(long)]
        metadata: Option<String>,
    },
    /// Print the state of a stream and its version.
    #[command(
        override_usage = "eventfold state [OPTIONS] --store <STORE> -m <FILES> <MODEL-ID | MODEL ID>",
        after_help = "The stream is `Model-id` (Todos-home) or the model and id as two words (Todos home)."
    )]
    State {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: ModelArgs,
        /// STREAM, or MODEL ID.
        #[arg(value_name = "WORDS", required = true, num_args = 1..=2)]
        words: Vec<String>,
    },
    /// Run a query of the model on the current state of a stream.
    #[command(
        override_usage = "eventfold query [OPTIONS] --store <STORE> -m <FILES> <MODEL-ID | MODEL ID> <NAME> [ARGS]",
        after_help = "The stream is `Model-id` (Todos-home) or the model and id as two words (Todos home).\n\nExamples:\n  eventfold query Todos-home remaining --store sqlite:app.db -m todos.model\n  eventfold query Todos home remaining --store sqlite:app.db -m todos.model"
    )]
    Query {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: ModelArgs,
        /// STREAM NAME [ARGS] or MODEL ID NAME [ARGS]; ARGS is the query's
        /// arguments as a JSON object.
        #[arg(value_name = "WORDS", required = true, num_args = 2..=4)]
        words: Vec<String>,
    },
    /// Print stored events, one JSON object per line: of STREAM from
    /// version N, or of every stream from global position N. With
    /// `--follow`, wait for new events and print each as it commits, until
    /// interrupted.
    #[command(
        override_usage = "eventfold events [OPTIONS] --store <STORE> [MODEL-ID | MODEL ID]",
        after_help = "The stream is `Model-id` (Todos-home) or the model and id as two words (Todos home)."
    )]
    Events {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: OptionalModels,
        /// STREAM, or MODEL ID; none for every stream.
        #[arg(value_name = "WORDS", num_args = 0..=2)]
        words: Vec<String>,
        /// The first version (with STREAM) or position (without) to print.
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// Keep waiting for new events (the store's wake-up) and print
        /// each as it commits, until interrupted.
        #[arg(long)]
        follow: bool,
    },
    /// List the tables of the models: columns with their model and SQL
    /// types (SQLite's, or PostgreSQL's on a postgres:// store), key,
    /// projection and number of rows.
    #[command(
        after_help = "An aligned table on a terminal; JSON Lines (one table a line) in a pipe or with --json."
    )]
    Tables {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: ModelArgs,
        #[command(flatten)]
        layout: term::Layout,
    },
    /// Print the rows of TABLE in key order: an aligned table on a
    /// terminal, JSON Lines (one row object a line) in a pipe.
    #[command(
        after_help = "Examples:\n  eventfold rows todo_rows --store sqlite:app.db -m todos.model                  every row\n  eventfold rows todo_rows --key groceries --store sqlite:app.db -m todos.model  the list groceries\n  eventfold rows todo_rows --after groceries --after t9 --limit 50 ...           the next page"
    )]
    Rows {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: ModelArgs,
        /// The table, as the model declares it (`eventfold tables` lists them).
        table: String,
        /// A value of the key, in key order (repeat for the next key
        /// column): only rows that start with these values. A value may
        /// start with `-` (`--key -3`).
        #[arg(long = "key", value_name = "VALUE", allow_hyphen_values = true)]
        key: Vec<String>,
        /// A whole key (repeat for each key column): only rows after it.
        #[arg(long = "after", value_name = "VALUE", allow_hyphen_values = true)]
        after: Vec<String>,
        /// At most this many rows.
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        layout: term::Layout,
    },
    /// List the projections: mode, status (live, rebuilding, stopped),
    /// position reached, lag (events behind), parked events and error.
    Projections {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: ModelArgs,
        #[command(flatten)]
        layout: term::Layout,
    },
    /// Rebuild the tables of PROJECTION from the first event, beside the
    /// live ones (which answer reads meanwhile), then swap them in; with a
    /// progress bar.
    Rebuild {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: ModelArgs,
        /// The projection, as the model declares it.
        projection: String,
        /// Print the result as JSON even on a terminal.
        #[arg(long)]
        json: bool,
    },
    /// List the subscriptions of a store: checkpoint, lag, parked events,
    /// filters, and whether a consumer holds one now.
    Subscriptions {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: OptionalModels,
        #[command(flatten)]
        layout: term::Layout,
    },
    /// List the events parked under NAME (a subscription or an async
    /// projection), oldest first, with the reason.
    Parked {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: OptionalModels,
        /// The subscription's or projection's name.
        name: String,
        #[command(flatten)]
        layout: term::Layout,
    },
    /// List the streams of a store with their versions: an aligned table
    /// on a terminal, JSON Lines (`{"stream", "version"}`) in a pipe.
    Streams {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: OptionalModels,
        /// Only the streams of this model.
        #[arg(long = "of")]
        of: Option<String>,
        #[command(flatten)]
        layout: term::Layout,
    },
    /// Change a store's models live: `plan` what new model files would do,
    /// `apply` them, and see the `status` of the versions registered.
    #[command(
        subcommand,
        after_help = "Examples:\n  eventfold migrate plan --store sqlite:app.db -m todos.model     what the new files would do (exit 1: apply refuses)\n  eventfold migrate apply --store sqlite:app.db -m todos.model    switch the store to them\n  eventfold migrate status --store sqlite:app.db                  the registered versions"
    )]
    Migrate(Migrate),
    /// List every error code with the fields it carries (MODEL-LANGUAGE.md
    /// §9), as the core's table has them.
    Errors {
        /// Print the table as JSON: `[{"code", "fields", "doc"}, ...]`.
        #[arg(long)]
        json: bool,
    },
    /// Run the todo example against sqlite:eventfold-demo.db in this folder
    /// and show each command, its events or rejection, the final state, and
    /// the rows its projection keeps in the table todo_rows. Run it again:
    /// the list goes on. It writes its model beside the store
    /// (eventfold-demo.model) and ends with commands to look inside that
    /// run from any folder.
    Demo {
        /// Where to keep the demo's events (any store URL, postgres:// too).
        #[arg(long, default_value = "sqlite:eventfold-demo.db")]
        store: String,
    },
}

#[derive(Subcommand, Debug)]
enum Migrate {
    /// Compare the store's active models with new model files: the
    /// language's changes, stored events the new files cannot read
    /// (blocking), a replay of every affected stream with them (streams
    /// that fail, streams whose state comes out different), and the
    /// projections to rebuild. Exit 1 when `apply` would refuse the plan.
    Plan {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: ModelArgs,
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
        /// How many differing streams to show with their differences.
        #[arg(long, value_name = "N", default_value_t = migrate::DIFFERENCES)]
        differences: usize,
    },
    /// Switch the store to new model files: refused (exit 1) when their
    /// plan has a blocking item or a failing stream; else builds their
    /// snapshots and projections while the old models serve, pauses writes
    /// for the last catch-up only, and switches. Reports the pause.
    Apply {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        models: ModelArgs,
        /// Print what was done as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the model versions registered in the store, the active one of
    /// each model marked.
    Status {
        #[command(flatten)]
        store: StoreArgs,
        /// Print the versions as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args, Debug)]
struct StoreArgs {
    /// The store: `sqlite:PATH` (add `?synchronous=normal` for speed over
    /// durability of the last commits), `memory:`, or
    /// `postgres://USER:PASSWORD@HOST:PORT/DB?schema=NAME` (docs/postgres.md).
    #[arg(long, env = "EVENTFOLD_STORE")]
    store: String,
}

#[derive(clap::Args, Debug)]
struct OptionalModels {
    /// Model files, to type the events' data (not needed to read).
    #[arg(long = "model", short = 'm', value_delimiter = ',')]
    files: Vec<PathBuf>,
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
    term::set_color(cli.color);
    // A panic is never what a person sees: it becomes an `internal` error
    // (a closed stdout, `| head`, ends the command quietly, as a listing's
    // own writes do).
    let panicked = Arc::new(std::sync::Mutex::new(None::<String>));
    let seen = panicked.clone();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = match info.payload() {
            p if p.is::<String>() => p.downcast_ref::<String>().cloned().unwrap_or_default(),
            p => p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .unwrap_or_default(),
        };
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            default_hook(info);
        }
        let place = info
            .location()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{message}{place}"));
    }));
    match std::panic::catch_unwind(|| run(cli.command)) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            print_error(&e);
            ExitCode::from(1)
        }
        Err(_) => {
            let message = panicked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .unwrap_or_default();
            if message.starts_with("failed printing to stdout") {
                return ExitCode::SUCCESS;
            }
            print_error(&Error::Internal {
                message: format!(
                    "the eventfold command failed unexpectedly ({message}); please report it"
                ),
            });
            ExitCode::from(1)
        }
    }
}

/// Errors go to stderr: `error[CODE]: message` on a terminal (coloured
/// unless NO_COLOR or `--color never`), the error's JSON in a pipeline.
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
        let p = term::stderr();
        let _ = writeln!(
            err,
            "{}: {}",
            p.bold_red(&format!("error[{}]", e.code())),
            e.message()
        );
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
        Cmd::Fmt {
            check,
            stdin,
            files,
        } => fmt::run(&files, check, stdin),
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
        Cmd::Lsp { .. } => {
            // The transport failing (stdin closed mid-message) ends the
            // server; the editor restarts it.
            lsp::run().map_err(|e| Error::io("stdio", &std::io::Error::other(e.to_string())))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Generate {
            lang,
            files,
            out,
            package,
            check,
        } => {
            let lang: eventfold::generate::Lang = lang.parse()?;
            let domain = load(&files)?;
            generate::run(&domain, lang, &out, package, check)
        }
        Cmd::Test { files, verbose } => Ok(test(&files, verbose)),
        Cmd::Errors { json } => {
            if json {
                println!("{}", eventfold::error::table_json());
            } else {
                for spec in eventfold::error::TABLE {
                    let fields = ["message"].iter().chain(spec.fields).copied();
                    let fields: Vec<&str> = fields.collect();
                    println!("{:<20} {:<22} {}", spec.code, fields.join(", "), spec.doc);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
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
            store: Some(store),
        } => {
            if events.is_some() || state.is_some() {
                return Err(usage(
                    "with --store, replay rebuilds snapshots and takes no events or state",
                ));
            }
            let engine = open(&store, &models.files)?;
            rebuild_snapshots(&engine, model.as_deref())
        }
        Cmd::Replay {
            models,
            model,
            events,
            state,
            store: None,
        } => {
            let model = model.ok_or_else(|| {
                usage("replay needs MODEL to fold events (or --store to rebuild snapshots)")
            })?;
            let domain = load(&models.files)?;
            let events = input(events.as_deref())?;
            let state = state.map(|s| at_file(&s)).transpose()?;
            let events = as_json_array(&events);
            println!("{}", domain.replay_json(&model, &events, state.as_deref())?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Exec {
            store,
            models,
            words,
            expected_version,
            command_id,
            metadata,
        } => {
            let engine = open(&store.store, &models.files)?;
            let (model, id, rest) = stream_words(&engine, &words)?;
            let command = match rest {
                [] => None,
                [c] => Some(c.clone()),
                _ => return Err(usage("exec takes STREAM [COMMAND] or MODEL ID [COMMAND]")),
            };
            let mut options = serde_json::Map::new();
            if let Some(v) = expected_version {
                options.insert("expected_version".into(), v.into());
            }
            if let Some(c) = command_id {
                options.insert("command_id".into(), c.into());
            }
            if let Some(m) = metadata {
                options.insert("metadata".into(), engine.domain().parse_json(&m)?);
            }
            let options = serde_json::Value::Object(options).to_string();
            exec(
                &engine,
                &model,
                &id,
                command.as_deref().unwrap_or("-"),
                &options,
            )
        }
        Cmd::State {
            store,
            models,
            words,
        } => {
            let engine = reader(open_store(&store.store)?, &models.files)?;
            let (model, id, rest) = stream_words(&engine, &words)?;
            if !rest.is_empty() {
                return Err(usage("state takes STREAM or MODEL ID"));
            }
            println!("{}", engine.load_json(&model, &id)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Query {
            store,
            models,
            words,
        } => {
            let engine = reader(open_store(&store.store)?, &models.files)?;
            let (model, id, rest) = stream_words(&engine, &words)?;
            let (name, args) = match rest {
                [name] => (name, None),
                [name, args] => (name, Some(args.as_str())),
                _ => {
                    return Err(usage(
                        "query takes STREAM NAME [ARGS] or MODEL ID NAME [ARGS]",
                    ))
                }
            };
            println!("{}", engine.query_json(&model, &id, name, args)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Events {
            store,
            models,
            words,
            from,
            follow,
        } => {
            let stream = match words.as_slice() {
                [] => None,
                [stream] => Some(stream.clone()),
                [model, id] => Some(Engine::stream_name(model, id)),
                _ => return Err(usage("events takes STREAM or MODEL ID")),
            };
            let store = open_store(&store.store)?;
            let engine = reader(store.clone(), &models.files)?;
            events(&engine, &*store, stream.as_deref(), from, follow)
        }
        Cmd::Tables {
            store,
            models,
            layout,
        } => {
            let engine = reader(open_store(&store.store)?, &models.files)?;
            read::tables(&engine, layout.json_lines(), &store.store)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Rows {
            store,
            models,
            table,
            key,
            after,
            limit,
            layout,
        } => {
            let engine = reader(open_store(&store.store)?, &models.files)?;
            let args = read::RowsArgs {
                table: &table,
                key: &key,
                after: &after,
                limit,
                layout,
            };
            read::rows(&engine, &args)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Projections {
            store,
            models,
            layout,
        } => {
            let engine = reader(open_store(&store.store)?, &models.files)?;
            read::projections(&engine, layout)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Rebuild {
            store,
            models,
            projection,
            json,
        } => {
            // The rebuild runs in this thread; no runner is needed.
            let engine = reader(open_store(&store.store)?, &models.files)?;
            read::rebuild(&engine, &projection, json)?;
            engine.close()?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Subscriptions {
            store,
            models,
            layout,
        } => {
            let engine = reader(open_store(&store.store)?, &models.files)?;
            read::subscriptions(&engine, layout)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Parked {
            store,
            models,
            name,
            layout,
        } => {
            let engine = reader(open_store(&store.store)?, &models.files)?;
            read::parked(&engine, &name, layout)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Streams {
            store,
            models,
            of,
            layout,
        } => {
            let engine = reader(open_store(&store.store)?, &models.files)?;
            let streams = engine.streams(of.as_deref())?;
            let mut out = std::io::stdout().lock();
            if layout.json_lines() {
                for s in &streams {
                    let line = serde_json::json!({"stream": s.stream, "version": s.version});
                    if writeln!(out, "{line}").is_err() {
                        break;
                    }
                }
            } else if streams.is_empty() {
                let _ = writeln!(out, "(no streams in this store)");
            } else {
                let mut g = grid::Grid::new(["stream", "version"]).painted(term::stdout());
                for s in &streams {
                    g.push_text(vec![s.stream.clone(), s.version.to_string()]);
                }
                let _ = write!(out, "{}", g.render(""));
                let _ = writeln!(out, "({} stream{})", streams.len(), plural(streams.len()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Migrate(m) => run_migrate(m),
        Cmd::Demo { store } => demo::run(&store),
    }
}

/// `plan` and `apply` open the store's active models, never the new files:
/// opening an engine with files the store has not seen would make them its
/// active version before any plan. Like the read side, they run no async
/// projection (`apply` builds what it needs in this thread). `status` reads
/// the store's registry alone.
fn run_migrate(m: Migrate) -> Result<ExitCode, Error> {
    let active = |store: &str| {
        let options = EngineOptions::from_json(&serde_json::json!({"run_projections": false}))?;
        Engine::open_active(store, options)
    };
    match m {
        Migrate::Plan {
            store,
            models,
            json,
            differences,
        } => {
            let next = load(&models.files)?;
            migrate::plan(&active(&store.store)?, &next, differences, json)
        }
        Migrate::Apply {
            store,
            models,
            json,
        } => {
            let next = load(&models.files)?;
            let engine = active(&store.store)?;
            let code = migrate::apply(&engine, &next, json)?;
            engine.close()?;
            Ok(code)
        }
        Migrate::Status { store, json } => migrate::status(&*open_store(&store.store)?, json),
    }
}

fn usage(message: &str) -> Error {
    Error::InvalidCommand {
        path: String::new(),
        message: message.to_string(),
    }
}

fn open(store: &str, files: &[PathBuf]) -> Result<Engine, Error> {
    let domain = load(files)?;
    Engine::open(store, domain, EngineOptions::default())
}

/// The store of a command that reads: a `sqlite:` file that does not
/// exist is `store_error` (kind `unavailable`) naming it, and is not made.
fn open_store(url: &str) -> Result<Arc<dyn Store>, Error> {
    Ok(Arc::from(eventfold::store::open_existing(url)?))
}

/// A stream named on the command line, as `Model-id` in one word
/// (`Todos-home`) or as the model and the id in two (`Todos home`): the
/// model, the id and the words after them. A model's name has no `-`, so
/// `Todos-my-list` is the model `Todos` and the id `my-list`; a first word
/// that is a model of the domain is always the two-word form.
fn stream_words<'a>(
    engine: &Engine,
    words: &'a [String],
) -> Result<(String, String, &'a [String]), Error> {
    let domain = engine.domain();
    let models = domain.models();
    let Some(first) = words.first() else {
        return Err(usage(
            "name the stream: MODEL-ID in one word (Todos-home) or MODEL ID in two (Todos home)",
        ));
    };
    let split = first.split_once('-');
    match split {
        Some((model, id)) if !models.contains(&first.as_str()) => {
            if id.is_empty() {
                return Err(usage(&format!(
                    "the stream `{first}` has no id: write {model}-ID or {model} ID"
                )));
            }
            Ok((model.to_string(), id.to_string(), &words[1..]))
        }
        _ => match words.get(1) {
            Some(id) => Ok((first.clone(), id.clone(), &words[2..])),
            None => Err(usage(&format!(
                "`{first}` is not a stream: write MODEL-ID in one word or MODEL ID in two (the models: {})",
                models.join(", ")
            ))),
        },
    }
}

/// An engine that only reads (and rebuilds in its own thread): it starts no
/// runner of async projections, so a look from the command line never
/// takes a projection's lease from the application that runs it, and it
/// registers nothing, so a look with new files never deploys them (only
/// `exec` does, as an application would, and `migrate apply`).
fn reader(store: Arc<dyn Store>, files: &[PathBuf]) -> Result<Engine, Error> {
    let domain = load(files)?;
    let options = EngineOptions {
        run_projections: false,
        register_models: false,
        ..EngineOptions::default()
    };
    Engine::with_store(store, domain, options)
}

/// One command, or with `-` one per line of stdin (each result printed as
/// it commits; a failed line is reported and the rest go on; exit 1 if any
/// failed).
fn exec(
    engine: &Engine,
    model: &str,
    id: &str,
    command: &str,
    options: &str,
) -> Result<ExitCode, Error> {
    if command != "-" {
        println!(
            "{}",
            engine.execute_json(model, id, command, Some(options))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut failed = false;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for (n, line) in std::io::BufRead::lines(stdin.lock()).enumerate() {
        let line = line.map_err(|e| Error::InvalidJson {
            message: format!("stdin line {}: {e}", n + 1),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        match engine.execute_json(model, id, &line, Some(options)) {
            Ok(result) => {
                let _ = writeln!(out, "{result}");
                let _ = out.flush();
            }
            Err(e) => {
                failed = true;
                eprint!("line {}: ", n + 1);
                print_error(&e);
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// How long one `Store::wait` of `events --follow` lasts. Commits of this
/// process wake it at once; another process's commit (the usual case: the
/// application writes, the CLI follows) is seen when the wait looks at the
/// head again, so this is the most a followed event waits to be printed.
const FOLLOW_LOOK: Duration = Duration::from_millis(200);

/// Events as JSON lines; with `follow`, waits on the store's wake-up for
/// new ones, until killed (or stdout closes).
fn events(
    engine: &Engine,
    store: &dyn Store,
    stream: Option<&str>,
    from: u64,
    follow: bool,
) -> Result<ExitCode, Error> {
    let mut next = from.max(1);
    let mut out = std::io::stdout().lock();
    // The head as it was before the last read: every event up to it has
    // been read, so waiting past it misses nothing.
    let mut head = store.head()?;
    loop {
        let page = serde_json::json!({"limit": 1000});
        let mut page = page.as_object().cloned().unwrap_or_default();
        let key = if stream.is_some() {
            "from_version"
        } else {
            "from_position"
        };
        page.insert(key.into(), next.into());
        let options = serde_json::Value::Object(page).to_string();
        let text = match stream {
            Some(s) => engine.read_stream_json(s, Some(&options))?,
            None => engine.read_all_json(Some(&options))?,
        };
        let batch: Vec<serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| Error::Internal {
                message: e.to_string(),
            })?;
        for e in &batch {
            if writeln!(out, "{e}").is_err() {
                return Ok(ExitCode::SUCCESS); // the reader went away
            }
            let n = if stream.is_some() {
                &e["version"]
            } else {
                &e["position"]
            };
            next = n.as_u64().unwrap_or(next) + 1;
        }
        if out.flush().is_err() {
            return Ok(ExitCode::SUCCESS);
        }
        if batch.len() < 1000 {
            if !follow {
                return Ok(ExitCode::SUCCESS);
            }
            // Nothing more to read up to `head`: sleep until a commit
            // moves it (an event of another stream moves it too; the next
            // read then finds nothing and the wait goes on).
            loop {
                let now = store.wait(head, FOLLOW_LOOK)?;
                if now > head {
                    head = now;
                    break;
                }
            }
        }
    }
}

fn rebuild_snapshots(engine: &Engine, model: Option<&str>) -> Result<ExitCode, Error> {
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} replaying [{bar:40}] {pos}/{len} events ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let streams = engine.rebuild_snapshots(model, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    let events = bar.position();
    bar.finish_and_clear();
    println!(
        "rebuilt the snapshots of {streams} stream{} ({events} events) in {:.2?}",
        plural(streams),
        started.elapsed()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs the scenario files; prints each failure with what was expected
/// and what came (with `verbose`, every case, passed or not, in order),
/// then `N passed, N failed`.
fn test(files: &[PathBuf], verbose: bool) -> ExitCode {
    let mut report = scenario::Report::default();
    for f in files {
        report.merge(scenario::run_file(f));
    }
    let p = term::stdout();
    let mut out = std::io::stdout().lock();
    // Failures come in the order their cases ran.
    let mut failures = report.failures.iter();
    for case in &report.cases {
        if case.passed {
            if verbose {
                let _ = writeln!(out, "{} {} :: {}", p.green("PASS"), case.file, case.name);
            }
            continue;
        }
        let _ = writeln!(out, "{} {} :: {}", p.red("FAIL"), case.file, case.name);
        if let Some(f) = failures.next() {
            let _ = writeln!(out, "  {} {}", p.dim("expected:"), f.expected);
            let _ = writeln!(
                out,
                "  {}      {}",
                p.dim("got:"),
                f.got.replace('\n', "\n            ")
            );
        }
    }
    let failed = report.failed();
    let summary = format!("{} passed, {} failed", report.passed, failed);
    if failed == 0 {
        let _ = writeln!(out, "{}", p.green(&summary));
        ExitCode::SUCCESS
    } else {
        let _ = writeln!(out, "{}", p.red(&summary));
        ExitCode::from(1)
    }
}

fn load(files: &[PathBuf]) -> Result<Domain, Error> {
    Domain::compile_files(files)
}

fn read(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
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
                    kind: eventfold::error::StoreErrorKind::Io,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
