"""Where to turn Python values into JSON text and back: in Rust (what the
binding does, `src/convert.rs`) or with the `json` module in a thin Python
layer. Times both on the payloads the binding carries.

    python bench/python/convert_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import timeit
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import eventfold
from eventfold import _eventfold

MODEL = Path(__file__).resolve().parents[2] / "examples" / "todos" / "todos.model"


def per_call(fn: Callable[[], Any], number: int) -> float:
    """Best µs per call of 5 repeats."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    number = 2_000 if parser.parse_args().quick else 20_000

    domain = eventfold.Domain.from_files(MODEL)
    command = {"type": "create-new", "data": {"id": "new", "text": "Buy milk and bread"}}
    state = domain.replay(
        "Todos",
        [{"type": "created", "data": {"id": f"t{i}", "text": f"todo number {i}", "completed": i % 3 == 0}} for i in range(100)],
    )
    with eventfold.Engine("memory:", domain) as engine:
        executed = engine.execute("Todos", "l", command, metadata={"user": "ann"})

    payloads: List[Tuple[str, Any]] = [
        ("a command", command),
        ("an execute result", executed),
        ("a state of 100 todos", state),
    ]
    print("Python values <-> JSON text, µs per call (best of 5)")
    print(f"{'':24} {'to JSON: Rust':>14} {'json.dumps':>11} {'from JSON: Rust':>16} {'json.loads':>11}")
    for label, value in payloads:
        text = json.dumps(value)
        assert _eventfold._from_json(_eventfold._to_json(value)) == value
        n = max(number // (10 if "100" in label else 1), 100)
        rust_out = per_call(lambda: _eventfold._to_json(value), n)
        py_out = per_call(lambda: json.dumps(value), n)
        rust_in = per_call(lambda: _eventfold._from_json(text), n)
        py_in = per_call(lambda: json.loads(text), n)
        print(f"{label:24} {rust_out:14.2f} {py_out:11.2f} {rust_in:16.2f} {py_in:11.2f}")

    print()
    print("A whole Domain.propose on the 100-todo state, µs per call:")
    text_state = json.dumps(state)
    text_command = json.dumps(command)
    calls: Dict[str, Callable[[], Any]] = {
        "dicts in (converted in Rust)": lambda: domain.propose("Todos", state, command),
        "JSON text in (json.dumps first)": lambda: domain.propose("Todos", json.dumps(state), json.dumps(command)),
        "JSON text in, made once": lambda: domain.propose("Todos", text_state, text_command),
    }
    for label, fn in calls.items():
        print(f"  {label:34} {per_call(fn, max(number // 10, 100)):8.2f}")


if __name__ == "__main__":
    main()
