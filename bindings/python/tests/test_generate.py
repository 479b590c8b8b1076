"""`eventfold generate --lang python`: the generated package passes
`mypy --strict`, catches a wrong field name and a wrong field type, and a
typed program over it runs on a real engine with the todo app's output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from conftest import REPO, SHARED

HERE = Path(__file__).resolve().parent
TYPED = HERE / "typed"
TODOS_MODEL = REPO / "examples" / "todos" / "todos.model"
BOARD_MODELS = [SHARED / "scenarios" / "v1" / "board.model", SHARED / "scenarios" / "v1" / "time.model"]
CLI = Path(os.environ.get("EVENTFOLD_CLI", REPO / "target" / "debug" / "eventfold"))


def generate(out: Path, package: str, *models: Path, check: bool = False) -> "subprocess.CompletedProcess[str]":
    if not CLI.exists():
        pytest.fail(f"no CLI at {CLI}: build it with `cargo build -p eventfold-cli` (test.sh does)")
    args = [str(CLI), "generate", "--lang", "python", *map(str, models), "-o", str(out), "--package", package]
    if check:
        args.append("--check")
    return subprocess.run(args, capture_output=True, text=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with `todo_types` (examples/todos) and `board_types` (the
    board and the loan of the shared scenarios), and the typed programs."""
    out = tmp_path_factory.mktemp("generated")
    for package, models in (("todo_types", [TODOS_MODEL]), ("board_types", BOARD_MODELS)):
        done = generate(out, package, *models)
        assert done.returncode == 0, done.stderr
    for program in TYPED.glob("*.py"):
        shutil.copy(program, out / program.name)
    return out


def mypy(folder: Path, *targets: str) -> Tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(folder / ".mypy_cache"), *targets],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    return done.returncode, done.stdout + done.stderr


def run(folder: Path, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(folder))
    done = subprocess.run([sys.executable, *args], cwd=folder, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_package_and_typed_programs_pass_mypy_strict(generated: Path) -> None:
    code, out = mypy(generated, "todo_types", "board_types", "typed_todos.py", "typed_board.py")
    assert code == 0, out
    assert "Success: no issues found in 9 source files" in out


# Each program has exactly two mistakes: the same field, through the facade
# (a keyword argument) and through a command written as a dict.
MISTAKES: Dict[str, Tuple[str, List[str]]] = {
    "wrong_name": (
        """
todos.stream("kitchen").create_new(id="a", txt="Buy milk")
command: CreateNewCommand = {"type": "create-new", "data": {"id": "a", "txt": "Buy milk"}}
""",
        ['Unexpected keyword argument "txt" for "create_new" of "TodosStream"', 'Extra key "txt" for TypedDict "CreateNewData"'],
    ),
    "wrong_type": (
        """
todos.stream("kitchen").create_new(id="a", text=42)
command: CreateNewCommand = {"type": "create-new", "data": {"id": "a", "text": 42}}
""",
        [
            'Argument "text" to "create_new" of "TodosStream" has incompatible type "int"; expected "str"',
            'Incompatible types (expression has type "int", TypedDict item "text" has type "str")',
        ],
    ),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_mypy_catches_a_wrong_field(generated: Path, mistake: str) -> None:
    body, messages = MISTAKES[mistake]
    program = generated / f"{mistake}.py"
    program.write_text(
        "import eventfold\n"
        "from todo_types import CreateNewCommand, TodosModel\n\n"
        'todos = TodosModel(eventfold.Engine("memory:", eventfold.Domain.from_files("todos.model")))\n' + body
    )
    code, out = mypy(generated, program.name)
    assert code == 1, out
    errors = [line for line in out.splitlines() if ": error:" in line]
    on_line = {n: [e for e in errors if e.startswith(f"{mistake}.py:{n}: error:")] for n in (6, 7)}
    assert len(errors) == len(on_line[6]) + len(on_line[7]), out
    assert any(messages[0] in e for e in on_line[6]), out
    assert any(messages[1] in e for e in on_line[7]), out


def test_the_typed_todo_app_prints_what_the_todo_app_prints(generated: Path, tmp_path: Path) -> None:
    expected = run(generated, str(REPO / "examples" / "python" / "quickstart.py"))
    typed = run(generated, "typed_todos.py", str(TODOS_MODEL), f"sqlite:{tmp_path / 'todos.db'}")
    assert typed == expected
    assert "rejected (duplicate): todo a already exists" in typed


def test_the_typed_board_runs_on_a_real_engine(generated: Path, tmp_path: Path) -> None:
    out = run(generated, "typed_board.py", f"sqlite:{tmp_path / 'board.db'}", *map(str, BOARD_MODELS))
    assert out.splitlines() == [
        "card: Write docs doing high ['docs']",
        "urgent: ['c1'] todo: ['c2']",
        "rejected (no_lane): there is no lane limbo",
        "c1 doing high ['docs'] ann moved 2026",
        "c2 todo normal [] None not moved 2026",
        "boards: Sprint 2",
        "loan: ann 2026-03-02T10:00:00Z 2026-03-12T10:00:00Z 0s",
        "returned: 1036800s 100",
    ]


def test_the_same_models_give_the_same_bytes_and_check_passes(generated: Path) -> None:
    done = generate(generated, "todo_types", TODOS_MODEL, check=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_model_change_rewrites_only_its_module(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    for m in [TODOS_MODEL, *BOARD_MODELS]:
        shutil.copy(m, models / m.name)
    files = sorted(models.glob("*.model"))
    out = tmp_path / "out"
    assert generate(out, "app", *files).returncode == 0
    before = {p.name: p.read_bytes() for p in (out / "app").iterdir()}
    board = models / "board.model"
    board.write_text(board.read_text().replace("/// Move a card to another lane.", "/// Move a card to another lane, or leave it."))
    assert generate(out, "app", *files).returncode == 0
    after = {p.name: p.read_bytes() for p in (out / "app").iterdir()}
    assert sorted(before) == sorted(after) == ["__init__.py", "board.py", "loan.py", "py.typed", "tables.py", "todos.py"]
    assert [name for name in sorted(after) if after[name] != before[name]] == ["board.py"]
    assert b"Move a card to another lane, or leave it." in after["board.py"]


def test_a_missing_model_file_is_named() -> None:
    done = generate(Path("/nonexistent-out"), "x", Path("/no/such.model"))
    assert done.returncode != 0
    assert "/no/such.model" in done.stderr
