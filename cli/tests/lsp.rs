//! `eventfold lsp` driven over stdio by a scripted client, as an editor
//! drives it: every reply is read in order, nothing waits on a clock.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

const MODEL: &str = r#"/// A shop's shelves.
model Shelf {
  state {
    /// Every item, by sku.
    items: map<string, Item>
    opened: bool
  }

  /// What the shop knows of one product.
  record Item {
    sku: string
    name: string
    grade: Grade
  }

  enum Grade { plain, fine }

  /// Put a new item on the shelf.
  command stock(sku: string, name: string) {
    reject duplicate "item ${sku} is already stocked" if sku in items
    let label = name.trim()
    emit stocked(sku, name: label, grade: Grade.plain)
  }

  command rename-item(sku: string, name: string) {
    reject missing "no item ${sku}" unless sku in items
    if items[sku].name != name {
      emit renamed(sku, name)
    }
  }

  event stocked(sku: string, name: string, grade: Grade) {
    set items[sku] = Item{sku, name, grade}
  }

  event renamed(sku: string, name: string) {
    set items[sku].name = name
  }
}

table item_rows {
  key sku: string
  name: string
  fine: bool = false
}

projection item-list inline {
  on Shelf.stocked {
    insert item_rows(sku, name, fine: grade == Shelf.Grade.fine)
  }

  on Shelf.renamed {
    update item_rows[sku](name)
  }
}
"#;

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: i64,
    /// Notifications read while waiting for a reply.
    notes: Vec<Value>,
}

impl Client {
    fn start(dir: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_eventfold"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Client {
            child,
            stdin,
            stdout,
            next_id: 0,
            notes: Vec::new(),
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn read(&mut self) -> Value {
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "the server closed its output"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let msg = self.read();
            if msg["id"] == json!(id) {
                assert!(msg.get("error").is_none(), "{method}: {msg}");
                return msg["result"].clone();
            }
            self.notes.push(msg);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let msg = match self.notes.is_empty() {
                true => self.read(),
                false => self.notes.remove(0),
            };
            if msg["method"] == "textDocument/publishDiagnostics" && msg["params"]["uri"] == uri {
                return msg["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

/// The LSP position of the `nth` `needle` in `text`, plus `shift` bytes.
fn pos(text: &str, needle: &str, shift: usize) -> Value {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in the text"))
        + shift;
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": col})
}

fn labels(items: &Value) -> Vec<String> {
    let items = items
        .as_array()
        .or_else(|| items["items"].as_array())
        .unwrap();
    items
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

fn has_all(got: &[String], want: &[&str]) {
    for w in want {
        assert!(got.iter().any(|g| g == w), "{w} missing from {got:?}");
    }
}

#[test]
fn an_editor_session_from_initialize_to_shutdown() {
    let dir = std::env::temp_dir().join(format!("eventfold-lsp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dir = Dir(dir.canonicalize().unwrap());
    let path = dir.0.join("shelf.model");
    std::fs::write(&path, MODEL).unwrap();
    let uri = url::Url::from_file_path(&path).unwrap().to_string();
    let root = url::Url::from_file_path(&dir.0).unwrap().to_string();
    let doc = json!({"uri": uri});

    let mut c = Client::start(&dir.0);
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": root, "capabilities": {}}),
    );
    let caps = &init["capabilities"];
    for cap in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "renameProvider",
        "documentFormattingProvider",
        "documentSymbolProvider",
        "workspaceSymbolProvider",
    ] {
        assert_eq!(caps[cap], json!(true), "{cap}");
    }
    assert_eq!(caps["positionEncoding"], "utf-16");
    c.notify("initialized", json!({}));

    // Open it with a mistake: a record field that is not there.
    let broken = MODEL.replacen("items[sku].name != name", "items[sku].nmae != name", 1);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "eventfold", "version": 1, "text": broken}}),
    );
    let diags = c.diagnostics(&uri);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["range"]["start"], pos(&broken, "nmae", 0));
    assert_eq!(diags[0]["range"]["end"], pos(&broken, "nmae", 4));
    assert!(diags[0]["message"].as_str().unwrap().contains("nmae"));

    // Fix it: the problems go.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": MODEL}]}),
    );
    assert_eq!(c.diagnostics(&uri), Vec::<Value>::new());

    let at = |needle: &str, shift: usize| json!({"textDocument": doc, "position": pos(MODEL, needle, shift)});

    // Hover: the declaration, where, and the docs.
    let h = c.request("textDocument/hover", at("sku in items", 7));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.contains("items: map<string, Item>"), "{text}");
    assert!(text.contains("Every item, by sku."), "{text}");
    assert!(text.contains("state field"), "{text}");

    // Completion in each place.
    let comp = |c: &mut Client, needle: &str, shift: usize| {
        labels(&c.request("textDocument/completion", at(needle, shift)))
    };
    // A statement's start in a command: let names, params, state fields.
    let got = comp(&mut c, "    emit stocked", 4);
    has_all(
        &got,
        &["label", "sku", "name", "items", "opened", "emit", "let"],
    );
    // An event's fields in `emit e(`.
    has_all(
        &comp(&mut c, "emit stocked(", 13),
        &["sku", "name", "grade"],
    );
    // A record's fields after `.`.
    has_all(
        &comp(&mut c, "items[sku].name", 11),
        &["sku", "name", "grade"],
    );
    // Methods by type: a string.
    let got = comp(&mut c, "name.trim()", 5);
    has_all(&got, &["trim", "startsWith", "size"]);
    assert!(
        !got.contains(&"keys".to_string()) && !got.contains(&"sku".to_string()),
        "{got:?}"
    );
    // Enum members.
    assert_eq!(comp(&mut c, "Grade.plain", 6), vec!["plain", "fine"]);
    // A table's columns in `insert`.
    has_all(
        &comp(&mut c, "insert item_rows(", 17),
        &["sku", "name", "fine"],
    );
    // `Model.event` after `on`.
    has_all(
        &comp(&mut c, "on Shelf.renamed", 9),
        &["stocked", "renamed"],
    );

    // Mid-typing: the line does not parse, the scope still does.
    let typing = MODEL.replacen(
        "    let label = name.trim()\n",
        "    let label = name.trim()\n    let n = items[sku].\n",
        1,
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": typing}]}),
    );
    assert!(!c.diagnostics(&uri).is_empty());
    let got = labels(&c.request(
        "textDocument/completion",
        json!({"textDocument": doc, "position": pos(&typing, "items[sku].\n", 11)}),
    ));
    has_all(&got, &["sku", "name", "grade"]);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": MODEL}]}),
    );
    assert_eq!(c.diagnostics(&uri), Vec::<Value>::new());

    // Definition: from an `emit` to its event.
    let d = c.request("textDocument/definition", at("emit renamed", 5));
    assert_eq!(d["uri"], uri);
    assert_eq!(d["range"]["start"], pos(MODEL, "renamed(sku: string", 0));

    // References of an event: its declaration, every emit, every handler.
    let refs = c.request(
        "textDocument/references",
        json!({"textDocument": doc, "position": pos(MODEL, "stocked(sku: string", 0), "context": {"includeDeclaration": true}}),
    );
    let starts: Vec<Value> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["range"]["start"].clone())
        .collect();
    assert_eq!(starts.len(), 3, "{refs}");
    assert!(starts.contains(&pos(MODEL, "stocked(sku, name: label", 0)));
    assert!(starts.contains(&pos(MODEL, "stocked {", 0)));

    // Rename a record field across the workspace.
    let edit = c.request(
        "textDocument/rename",
        json!({"textDocument": doc, "position": pos(MODEL, "name: string\n    grade", 0), "newName": "title"}),
    );
    let edits = edit["changes"][&uri].as_array().unwrap();
    // The declaration, `.name` in a command and in an event, `Item{.., name, ..}`.
    assert_eq!(edits.len(), 4, "{edit}");
    assert!(edits.iter().all(|e| e["newText"] == "title"));
    // A name of the wrong shape is refused, with the reason.
    c.next_id += 1;
    let id = c.next_id;
    c.send(json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/rename", "params": {"textDocument": doc, "position": pos(MODEL, "event renamed", 6), "newName": "Renamed"}}));
    let reply = loop {
        let m = c.read();
        if m["id"] == json!(id) {
            break m;
        }
    };
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("kebab-case"),
        "{reply}"
    );

    // The outline and the workspace's symbols.
    let syms = c.request("textDocument/documentSymbol", json!({"textDocument": doc}));
    let names: Vec<&str> = syms
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Shelf", "item_rows", "item-list"]);
    let ws = c.request("workspace/symbol", json!({"query": "stock"}));
    assert!(
        ws.as_array().unwrap().iter().any(|s| s["name"] == "stock"),
        "{ws}"
    );

    // Formatting: untidy text comes back canonical, with its comments.
    let untidy = MODEL.replacen(
        "  enum Grade { plain, fine }",
        "  // grades\n  enum Grade {   plain,\n fine }",
        1,
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 5}, "contentChanges": [{"text": untidy}]}),
    );
    c.diagnostics(&uri);
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": doc, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let new_text = edits[0]["newText"].as_str().unwrap();
    assert!(new_text.contains("  // grades\n"), "{new_text}");
    assert!(!new_text.contains("{   plain"), "{new_text}");

    assert_eq!(c.request("shutdown", Value::Null), Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
