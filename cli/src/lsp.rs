//! `eventfold lsp`: a Language Server Protocol server over stdio.
//!
//! The protocol is `lsp-server` (rust-analyzer's transport: synchronous,
//! crossbeam channels, no async runtime, which suits a core that has none)
//! with the message types of `lsp-types`. All the knowledge is in
//! `eventfold::ide`; this file converts positions, URIs and replies.
//!
//! Each workspace folder is one domain: every `*.model` file under it,
//! with the editor's unsaved text for the open ones. A file outside every
//! folder is a domain with the model files of its own directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use eventfold::ide::{self, Analysis, CompletionKind, DefKind, TextRange};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{self as lt, notification::Notification as _, Uri};

mod position;
use position::{Encoding, LineIndex};

pub fn run() -> Result<()> {
    let (conn, io) = Connection::stdio();
    let (id, params) = conn.initialize_start()?;
    let init: lt::InitializeParams = serde_json::from_value(params)?;
    let encoding = Encoding::negotiate(&init);
    let caps = lt::ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(lt::TextDocumentSyncCapability::Kind(
            lt::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lt::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lt::OneOf::Left(true)),
        references_provider: Some(lt::OneOf::Left(true)),
        document_symbol_provider: Some(lt::OneOf::Left(true)),
        workspace_symbol_provider: Some(lt::OneOf::Left(true)),
        rename_provider: Some(lt::OneOf::Left(true)),
        document_formatting_provider: Some(lt::OneOf::Left(true)),
        completion_provider: Some(lt::CompletionOptions {
            trigger_characters: Some(vec![
                ".".into(),
                "(".into(),
                "{".into(),
                " ".into(),
                ",".into(),
            ]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let reply = lt::InitializeResult {
        capabilities: caps,
        server_info: Some(lt::ServerInfo {
            name: "eventfold".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    conn.initialize_finish(id, serde_json::to_value(reply)?)?;
    let mut roots: Vec<PathBuf> = Vec::new();
    #[allow(deprecated)]
    {
        if let Some(folders) = &init.workspace_folders {
            roots.extend(folders.iter().filter_map(|f| uri_path(&f.uri)));
        } else if let Some(root) = &init.root_uri {
            roots.extend(uri_path(root));
        }
    }
    let mut server = Server {
        conn: &conn,
        encoding,
        roots,
        open: HashMap::new(),
        cache: HashMap::new(),
    };
    server.main_loop()?;
    drop(conn);
    io.join()?;
    Ok(())
}

struct Server<'c> {
    conn: &'c Connection,
    encoding: Encoding,
    roots: Vec<PathBuf>,
    /// Open documents: path → text.
    open: HashMap<PathBuf, String>,
    /// The analysis of each domain (by its root), until a file in it changes.
    cache: HashMap<PathBuf, Analysis>,
}

/// A reply's error: an LSP error code and a message.
type Reply = std::result::Result<serde_json::Value, (ErrorCode, String)>;

impl Server<'_> {
    fn main_loop(&mut self) -> Result<()> {
        for msg in &self.conn.receiver {
            match msg {
                Message::Request(req) => {
                    if self.conn.handle_shutdown(&req)? {
                        return Ok(());
                    }
                    let id = req.id.clone();
                    let reply = self.request(req);
                    self.respond(id, reply)?;
                }
                Message::Notification(n) => self.notification(n)?,
                Message::Response(_) => {}
            }
        }
        Ok(())
    }

    fn respond(&self, id: RequestId, reply: Reply) -> Result<()> {
        let resp = match reply {
            Ok(v) => Response::new_ok(id, v),
            Err((code, msg)) => Response::new_err(id, code as i32, msg),
        };
        self.conn.sender.send(Message::Response(resp))?;
        Ok(())
    }

    fn notification(&mut self, n: Notification) -> Result<()> {
        use lt::notification::*;
        let changed = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: lt::DidOpenTextDocumentParams = serde_json::from_value(n.params)?;
                uri_path(&p.text_document.uri).inspect(|path| {
                    self.open.insert(path.clone(), p.text_document.text);
                })
            }
            DidChangeTextDocument::METHOD => {
                let p: lt::DidChangeTextDocumentParams = serde_json::from_value(n.params)?;
                uri_path(&p.text_document.uri).and_then(|path| {
                    // Full sync: the last change holds the whole text.
                    let text = p.content_changes.into_iter().last()?.text;
                    self.open.insert(path.clone(), text);
                    Some(path)
                })
            }
            DidCloseTextDocument::METHOD => {
                let p: lt::DidCloseTextDocumentParams = serde_json::from_value(n.params)?;
                uri_path(&p.text_document.uri).inspect(|path| {
                    self.open.remove(path);
                    // Its problems are the workspace's now, not the editor's.
                    let _ = self.publish(path, Vec::new());
                })
            }
            DidSaveTextDocument::METHOD | DidChangeWatchedFiles::METHOD => {
                self.cache.clear();
                None
            }
            _ => None,
        };
        if let Some(path) = changed {
            let root = self.root_of(&path);
            self.cache.remove(&root);
            self.publish_domain(&root)?;
        }
        Ok(())
    }

    /// Problems of every open file of the domain at `root`.
    fn publish_domain(&mut self, root: &Path) -> Result<()> {
        let open: Vec<PathBuf> = self
            .open
            .keys()
            .filter(|p| self.root_of(p) == root)
            .cloned()
            .collect();
        let enc = self.encoding;
        let a = self.analysis(root);
        let mut out = Vec::new();
        for path in open {
            let Some(file) = file_of(a, &path) else {
                continue;
            };
            let lines = LineIndex::new(a.text(file), enc);
            let diags = a
                .problems(file)
                .map(|p| lt::Diagnostic {
                    range: lines.range(p.range),
                    severity: Some(lt::DiagnosticSeverity::ERROR),
                    code: Some(lt::NumberOrString::String("model_error".into())),
                    source: Some("eventfold".into()),
                    message: p.message.clone(),
                    ..Default::default()
                })
                .collect();
            out.push((path, diags));
        }
        for (path, diags) in out {
            self.publish(&path, diags)?;
        }
        Ok(())
    }

    fn publish(&self, path: &Path, diagnostics: Vec<lt::Diagnostic>) -> Result<()> {
        let Some(uri) = path_uri(path) else {
            return Ok(());
        };
        let params = lt::PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        };
        let n = Notification::new(lt::notification::PublishDiagnostics::METHOD.into(), params);
        self.conn.sender.send(Message::Notification(n))?;
        Ok(())
    }

    fn root_of(&self, path: &Path) -> PathBuf {
        self.roots
            .iter()
            .filter(|r| path.starts_with(r))
            .max_by_key(|r| r.as_os_str().len())
            .cloned()
            .unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default())
    }

    fn analysis(&mut self, root: &Path) -> &Analysis {
        if !self.cache.contains_key(root) {
            let in_folder = self.roots.iter().any(|r| r == root);
            let mut paths = model_files(root, in_folder);
            for p in self.open.keys() {
                if self.root_of(p) == root && !paths.contains(p) {
                    paths.push(p.clone());
                }
            }
            paths.sort();
            let files = paths
                .into_iter()
                .filter_map(|p| {
                    let text = match self.open.get(&p) {
                        Some(t) => t.clone(),
                        None => std::fs::read_to_string(&p).ok()?,
                    };
                    Some((p.to_string_lossy().into_owned(), text))
                })
                .collect();
            self.cache.insert(root.to_path_buf(), Analysis::new(files));
        }
        &self.cache[root]
    }

    /// The analysis holding `uri`, and its file index.
    fn locate(&mut self, uri: &Uri) -> std::result::Result<(&Analysis, u32), (ErrorCode, String)> {
        let path = uri_path(uri).ok_or((
            ErrorCode::InvalidParams,
            format!("not a file URI: {}", uri.as_str()),
        ))?;
        let root = self.root_of(&path);
        let a = self.analysis(&root);
        let file = file_of(a, &path).ok_or((
            ErrorCode::InvalidParams,
            format!(
                "{} is not a model file of this workspace; open it first",
                path.display()
            ),
        ))?;
        Ok((a, file))
    }

    fn request(&mut self, req: Request) -> Reply {
        use lt::request::{Request as _, *};
        let enc = self.encoding;
        let bad = |e: serde_json::Error| (ErrorCode::InvalidParams, e.to_string());
        match req.method.as_str() {
            HoverRequest::METHOD => {
                let p: lt::HoverParams = serde_json::from_value(req.params).map_err(bad)?;
                let (a, file, off) = self.at(&p.text_document_position_params)?;
                let hover = a.hover(file, off).map(|h| lt::Hover {
                    contents: lt::HoverContents::Markup(lt::MarkupContent {
                        kind: lt::MarkupKind::Markdown,
                        value: h.markdown,
                    }),
                    range: Some(LineIndex::new(a.text(file), enc).range(h.range)),
                });
                json(&hover)
            }
            GotoDefinition::METHOD => {
                let p: lt::GotoDefinitionParams =
                    serde_json::from_value(req.params).map_err(bad)?;
                let (a, file, off) = self.at(&p.text_document_position_params)?;
                let loc = a
                    .definition(file, off)
                    .and_then(|d| location(a, d.name_range, enc));
                json(&loc.map(lt::GotoDefinitionResponse::Scalar))
            }
            References::METHOD => {
                let p: lt::ReferenceParams = serde_json::from_value(req.params).map_err(bad)?;
                let (a, file, off) = self.at(&p.text_document_position)?;
                let mut refs = a.references(file, off);
                if !p.context.include_declaration {
                    if let Some(d) = a.definition(file, off) {
                        let decl = d.name_range;
                        refs.retain(|r| *r != decl);
                    }
                }
                let locs: Vec<lt::Location> = refs
                    .into_iter()
                    .filter_map(|r| location(a, r, enc))
                    .collect();
                json(&locs)
            }
            Rename::METHOD => {
                let p: lt::RenameParams = serde_json::from_value(req.params).map_err(bad)?;
                let (a, file, off) = self.at(&p.text_document_position)?;
                let edits = a
                    .rename(file, off, &p.new_name)
                    .map_err(|m| (ErrorCode::InvalidRequest, m))?;
                // lsp-types keys a WorkspaceEdit by `Uri`, whose hash never changes.
                #[allow(clippy::mutable_key_type)]
                let mut changes: HashMap<Uri, Vec<lt::TextEdit>> = HashMap::new();
                for e in edits {
                    if let Some(loc) = location(a, e.range, enc) {
                        changes.entry(loc.uri).or_default().push(lt::TextEdit {
                            range: loc.range,
                            new_text: e.text,
                        });
                    }
                }
                json(&lt::WorkspaceEdit {
                    changes: Some(changes),
                    ..Default::default()
                })
            }
            Completion::METHOD => {
                let p: lt::CompletionParams = serde_json::from_value(req.params).map_err(bad)?;
                let (a, file, off) = self.at(&p.text_document_position)?;
                let items: Vec<lt::CompletionItem> = a
                    .completions(file, off)
                    .into_iter()
                    .map(|c| lt::CompletionItem {
                        kind: Some(completion_kind(c.kind)),
                        detail: (!c.detail.is_empty()).then_some(c.detail),
                        label: c.label,
                        ..Default::default()
                    })
                    .collect();
                json(&lt::CompletionResponse::Array(items))
            }
            DocumentSymbolRequest::METHOD => {
                let p: lt::DocumentSymbolParams =
                    serde_json::from_value(req.params).map_err(bad)?;
                let (a, file) = self.locate(&p.text_document.uri)?;
                let lines = LineIndex::new(a.text(file), enc);
                let syms: Vec<lt::DocumentSymbol> = a
                    .symbols(file)
                    .iter()
                    .map(|s| doc_symbol(s, &lines))
                    .collect();
                json(&lt::DocumentSymbolResponse::Nested(syms))
            }
            WorkspaceSymbolRequest::METHOD => {
                let p: lt::WorkspaceSymbolParams =
                    serde_json::from_value(req.params).map_err(bad)?;
                let roots: Vec<PathBuf> = if self.roots.is_empty() {
                    self.open.keys().map(|p| self.root_of(p)).collect()
                } else {
                    self.roots.clone()
                };
                let mut out = Vec::new();
                for root in roots {
                    let a = self.analysis(&root);
                    for d in a.workspace_symbols(&p.query) {
                        if let Some(loc) = location(a, d.name_range, enc) {
                            #[allow(deprecated)]
                            out.push(lt::SymbolInformation {
                                name: d.name.clone(),
                                kind: symbol_kind(d.kind),
                                tags: None,
                                deprecated: None,
                                location: loc,
                                container_name: d.container.clone(),
                            });
                        }
                    }
                }
                json(&lt::WorkspaceSymbolResponse::Flat(out))
            }
            Formatting::METHOD => {
                let p: lt::DocumentFormattingParams =
                    serde_json::from_value(req.params).map_err(bad)?;
                let (a, file) = self.locate(&p.text_document.uri)?;
                let text = a.text(file);
                let edits = match eventfold::format::format_source(a.file_name(file), text) {
                    // A file that does not parse is left as it is: its problems
                    // are already on screen.
                    Err(_) => None,
                    Ok(new) if new == text => Some(Vec::new()),
                    Ok(new) => {
                        let lines = LineIndex::new(text, enc);
                        let whole = TextRange {
                            file,
                            start: 0,
                            end: text.len() as u32,
                        };
                        Some(vec![lt::TextEdit {
                            range: lines.range(whole),
                            new_text: new,
                        }])
                    }
                };
                json(&edits)
            }
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("eventfold lsp does not handle {}", req.method),
            )),
        }
    }

    fn at(
        &mut self,
        p: &lt::TextDocumentPositionParams,
    ) -> std::result::Result<(&Analysis, u32, u32), (ErrorCode, String)> {
        let enc = self.encoding;
        let (a, file) = self.locate(&p.text_document.uri)?;
        let off = LineIndex::new(a.text(file), enc).offset(p.position);
        Ok((a, file, off))
    }
}

fn json<T: serde::Serialize>(v: &T) -> Reply {
    serde_json::to_value(v).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

fn file_of(a: &Analysis, path: &Path) -> Option<u32> {
    let name = path.to_string_lossy();
    (0..a.file_count() as u32).find(|&f| a.file_name(f) == name)
}

fn location(a: &Analysis, r: TextRange, enc: Encoding) -> Option<lt::Location> {
    let uri = path_uri(Path::new(a.file_name(r.file)))?;
    Some(lt::Location {
        uri,
        range: LineIndex::new(a.text(r.file), enc).range(r),
    })
}

fn doc_symbol(s: &ide::Symbol, lines: &LineIndex) -> lt::DocumentSymbol {
    #[allow(deprecated)]
    lt::DocumentSymbol {
        name: s.name.clone(),
        detail: None,
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: lines.range(s.range),
        selection_range: lines.range(s.selection),
        children: Some(s.children.iter().map(|c| doc_symbol(c, lines)).collect()),
    }
}

fn symbol_kind(k: DefKind) -> lt::SymbolKind {
    match k {
        DefKind::Model => lt::SymbolKind::CLASS,
        DefKind::Record => lt::SymbolKind::STRUCT,
        DefKind::Enum => lt::SymbolKind::ENUM,
        DefKind::EnumMember => lt::SymbolKind::ENUM_MEMBER,
        DefKind::StateField | DefKind::RecordField | DefKind::Column => lt::SymbolKind::FIELD,
        DefKind::Param | DefKind::Local => lt::SymbolKind::VARIABLE,
        DefKind::Command => lt::SymbolKind::METHOD,
        DefKind::Event => lt::SymbolKind::EVENT,
        DefKind::Query => lt::SymbolKind::FUNCTION,
        DefKind::Table => lt::SymbolKind::STRUCT,
        DefKind::Projection => lt::SymbolKind::INTERFACE,
    }
}

fn completion_kind(k: CompletionKind) -> lt::CompletionItemKind {
    match k {
        CompletionKind::Def(DefKind::Model) => lt::CompletionItemKind::CLASS,
        CompletionKind::Def(DefKind::Record | DefKind::Table) => lt::CompletionItemKind::STRUCT,
        CompletionKind::Def(DefKind::Enum) => lt::CompletionItemKind::ENUM,
        CompletionKind::Def(DefKind::EnumMember) => lt::CompletionItemKind::ENUM_MEMBER,
        CompletionKind::Def(DefKind::StateField | DefKind::RecordField | DefKind::Column) => {
            lt::CompletionItemKind::FIELD
        }
        CompletionKind::Def(DefKind::Param | DefKind::Local) => lt::CompletionItemKind::VARIABLE,
        CompletionKind::Def(DefKind::Event) => lt::CompletionItemKind::EVENT,
        CompletionKind::Def(_) => lt::CompletionItemKind::FUNCTION,
        CompletionKind::Method => lt::CompletionItemKind::METHOD,
        CompletionKind::Function => lt::CompletionItemKind::FUNCTION,
        CompletionKind::Keyword => lt::CompletionItemKind::KEYWORD,
        CompletionKind::Type => lt::CompletionItemKind::TYPE_PARAMETER,
    }
}

/// Every `*.model` file under `root` (recursively for a workspace folder;
/// only the directory itself for a lone file's directory), skipping build
/// and dependency folders.
fn model_files(root: &Path, recursive: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if p.is_dir() {
                if recursive
                    && !name.starts_with('.')
                    && !matches!(&*name, "node_modules" | "target" | "vendor")
                {
                    stack.push(p);
                }
            } else if name.ends_with(".model") {
                out.push(p);
            }
        }
    }
    out
}

fn uri_path(uri: &Uri) -> Option<PathBuf> {
    url::Url::parse(uri.as_str()).ok()?.to_file_path().ok()
}

fn path_uri(path: &Path) -> Option<Uri> {
    url::Url::from_file_path(path).ok()?.as_str().parse().ok()
}
