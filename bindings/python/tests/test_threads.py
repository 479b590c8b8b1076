"""One Domain shared by many threads, and the GIL released while the core
works."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List

import eventfold
from eventfold import Domain


def test_one_domain_many_threads(todos: Domain) -> None:
    def work(t: int) -> int:
        state = todos.initial_state("Todos")
        for i in range(50):
            events = todos.propose("Todos", state, {"type": "create-new", "data": {"id": f"{t}-{i}", "text": "x"}})
            state = todos.replay("Todos", events, state)
        result = todos.query("Todos", state, "remaining")
        assert isinstance(result, int)
        return result

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(work, range(8))) == [50] * 8


def test_errors_in_threads_are_their_own(todos: Domain) -> None:
    def work(t: int) -> str:
        try:
            todos.propose("Todos", None, {"type": "delete", "data": {"id": f"x{t}"}})
        except eventfold.Rejected as e:
            return e.message
        return "no error"

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(work, range(32))) == [f"no todo x{t}" for t in range(32)]


def test_the_gil_is_released_while_the_core_works(todos: Domain) -> None:
    """While one thread folds many events (given as JSON text, so that the
    conversion holding the GIL is short), the main thread keeps running."""
    events = json.dumps(
        [{"type": "created", "data": {"id": f"t{i}", "text": "x", "completed": False}} for i in range(20_000)]
        + [{"type": "deleted", "data": {"id": f"t{i}"}} for i in range(20_000)]
    )
    spans: List[float] = []

    def fold() -> None:
        start = time.perf_counter()
        todos.replay("Todos", events)
        spans.append(time.perf_counter() - start)

    worker = threading.Thread(target=fold)
    gaps: List[float] = []
    last = time.perf_counter()
    worker.start()
    while worker.is_alive():
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
        time.sleep(0.001)
    worker.join()
    [span] = spans
    # Held, the GIL would stop this loop for the whole call.
    assert max(gaps) < max(span / 2, 0.05), (max(gaps), span)
