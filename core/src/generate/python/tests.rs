//! The Python generator's own tests: key lines of what it writes.

use super::*;
use crate::generate::{generate, Lang};
use crate::{Domain, Source};

const TODOS: &str = include_str!("../../../../examples/todos/todos.model");

fn files(text: &str, package: Option<&str>) -> Vec<File> {
    let domain = Domain::compile(&[Source::new("todos.model", text)]).expect("compiles");
    generate(
        &domain,
        Lang::Python,
        &Options {
            package: package.map(String::from),
        },
    )
}

fn file<'a>(files: &'a [File], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .contents
}

#[test]
fn a_package_per_domain_a_module_per_model() {
    let fs = files(TODOS, None);
    let paths: Vec<&str> = fs.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "eventfold_model/todos.py",
            "eventfold_model/tables.py",
            "eventfold_model/__init__.py",
            "eventfold_model/py.typed"
        ]
    );
    let fs = files(TODOS, Some("todo_app.model"));
    assert_eq!(fs[0].path, "todo_app/model/todos.py");
    for f in fs.iter().filter(|f| f.path.ends_with(".py")) {
        assert!(
            f.contents.starts_with(&format!("# {}\n", banner())),
            "{}",
            f.path
        );
    }
}

#[test]
fn types_docs_and_facade_of_the_todos() {
    let fs = files(TODOS, None);
    let t = file(&fs, "eventfold_model/todos.py");
    for want in [
            "class Todo(TypedDict):\n    \"\"\"One thing to do.\"\"\"",
            "class TodosState(TypedDict):",
            "    todos: Dict[str, Todo]\n    \"\"\"Every todo on the list, by id.\"\"\"",
            "class CreateNewData(TypedDict):",
            "    type: Literal[\"create-new\"]\n    data: CreateNewData",
            "CreateNewReason = Literal[\"duplicate\", \"blank\"]",
            "TodosReason = Literal[\"duplicate\", \"blank\", \"missing\"]",
            "ClearDoneReason = NoReturn",
            "class _ClearDoneCommandType(TypedDict):",
            "class ClearDoneCommand(_ClearDoneCommandType, total=False):",
            "class DoneClearedData(TypedDict):\n    \"\"\"The fields of `done-cleared`.\"\"\"\n\n    ids: List[str]",
            "    type: Literal[\"created\"]\n    schema: int\n    data: CreatedData",
            "TodosStoredEvent = Union[\n    CreatedStored,\n    TextChangedStored,\n",
            "    events: List[TodosStoredEvent]",
            "GetTodoResult = Optional[Todo]",
            "AllTodosResult = List[Todo]",
            "    def create_new(self, *, id: str, text: str, options: Optional[eventfold.ExecuteOptions] = None) -> TodosExecuted:",
            "        \"\"\"Put a new todo on the list.\n\n        Raises ``eventfold.Rejected`` with ``reason`` ``\"duplicate\"``, ``\"blank\"``.\n        \"\"\"",
            "    async def create_new(self, *,",
            "        return await self.execute({\"type\": \"create-new\", \"data\": data}, options)",
            "    def get_todo(self, *, id: str) -> GetTodoResult:",
            "    def remaining(self, state: Optional[TodosState]) -> RemainingResult:",
            "class TodosModel:\n    \"\"\"A list of things to do: the first model of the eventfold design notes.",
        ] {
            assert!(t.contains(want), "missing {want:?} in\n{t}");
        }
    let tables = file(&fs, "eventfold_model/tables.py");
    for want in [
            "class TodoRow(TypedDict):",
            "    done_at: Optional[str]\n    \"\"\"When the todo was marked done; null while it is open.\"\"\"",
            "TodoRowsKey = Tuple[str, str]",
            "TodoRowsKeyPrefix = Union[None, str, Tuple[str], Tuple[str, str]]",
            "    async def rows(self, key: TodoRowsKeyPrefix = None,",
            "ProjectionName = Literal[\"todo-board\"]",
            "        self.todo_rows = TodoRowsTable(engine)",
        ] {
            assert!(tables.contains(want), "missing {want:?} in\n{tables}");
        }
    let init = file(&fs, "eventfold_model/__init__.py");
    assert!(init.contains("from .todos import (\n    MODEL as MODEL,"));
    assert!(init.contains("    TodoRow as TodoRow,"));
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    assert_eq!(files(TODOS, None), files(TODOS, None));
}

#[test]
fn keywords_enums_defaults_and_records() {
    let text = r#"
/// Kinds "quoted" \ and slashed.
model Lib {
  state { items: list<Item> }
  enum Kind { book, disc }
  record Item {
    kind: Kind
    at: timestamp
    took: duration?
    tags: map<string, int>
  }
  command add(from: string, kind: Kind = Kind.book, at: timestamp, note: string?) {
    emit added(from, kind, at)
  }
  event added(from: string, kind: Kind, at: timestamp) {
    set items = items + [Item{kind, at, took: null, tags: {}}]
  }
  query first(): Item? = items.size() > 0 ? items[0] : null
}
"#;
    let fs = files(text, None);
    let t = file(&fs, "eventfold_model/lib.py");
    for want in [
            "Kind = Literal[\"book\", \"disc\"]",
            "KIND_MEMBERS: Tuple[Kind, ...] = (\"book\", \"disc\")",
            "\"\"\"Kinds \"quoted\" \\\\ and slashed.",
            "_AddDataRequired = TypedDict(\"_AddDataRequired\", {\"from\": \"str\", \"at\": \"eventfold.Time\"})",
            "_AddDataOptional = TypedDict(\"_AddDataOptional\", {\"kind\": \"Kind\", \"note\": \"Optional[str]\"}, total=False)",
            "def add(self, *, from_: str, kind: Optional[Kind] = None, at: eventfold.Time, note: Optional[str] = None,",
            "        data: AddData = {\"from\": from_, \"at\": at}\n        if kind is not None:\n            data[\"kind\"] = kind",
            "    at: str\n    took: Optional[str]\n    tags: Dict[str, int]",
            "FirstResult = Optional[Item]",
        ] {
            assert!(t.contains(want), "missing {want:?} in\n{t}");
        }
}
