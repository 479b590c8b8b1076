"""Subscription delivery through the Python binding: from commit to the
host's callback (the body of `for event in sub` and of `async for`), and
throughput, with baselines measured in the same run.

    bash bench/python/subscriptions.sh [--quick]   # builds a release wheel, then runs this
    python bench/python/subscription_bench.py [--quick]

Latency: one writer thread runs `Engine.execute` (one event a command); a
consumer iterates the subscription in another thread (`for`), or in an
asyncio loop in another thread (`async for`). The writer waits until the
callback has seen its event before the next command, so nothing queues.
The clock starts at the event's stamp (`recorded_at`, taken when its write
transaction begins, so just before the commit: the figure is an upper
bound of commit to callback, by the time the command takes inside its
transaction; on FULL that includes the fsync) and stops in the callback
(`time.time_ns`, the same clock). The time of the writer's `execute`, call
to return, is printed beside it. Timing the commit by `execute`'s return
does not work in one process: the callback often runs before the writer's
thread has the GIL back. The baseline is a hand-off between two Python
threads through a `queue.Queue`, the floor of any delivery to another
thread.

Throughput: a store filled with N events beforehand (not timed), then
delivered to a new subscription until the last: `for` (each event acked
when the loop asks for the next), `async for` (the same, each wait and ack
in a worker thread), and `poll(500)` with one `ack` per batch. The
baseline is `read_all` in pages of 500 over the same events (the read
without the checkpoint's writes).

Stores: "memory:", SQLite with synchronous=NORMAL and with FULL (the
default: every ack is a durable write, one fsync). Not part of `make
test`: it times things.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import eventfold
from eventfold import Domain, Engine

MODEL = Path(__file__).resolve().parents[2] / "examples" / "todos" / "todos.model"


def percentile(sorted_values: List[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def create(n: int) -> Dict[str, object]:
    return {"type": "create-new", "data": {"id": f"t{n}", "text": f"todo {n}"}}


# ------------------------------------------------------------------ latency


def latency_queue(samples: int) -> List[float]:
    """The baseline: a time handed to another thread through a Queue."""
    q: "queue.Queue[float]" = queue.Queue()
    got = threading.Event()
    out: List[float] = []

    def consume() -> None:
        for _ in range(samples):
            sent = q.get()
            out.append(time.perf_counter() - sent)
            got.set()

    t = threading.Thread(target=consume)
    t.start()
    for _ in range(samples):
        got.clear()
        q.put(time.perf_counter())
        got.wait()
    t.join()
    return out


def stamp_ns(recorded_at: str) -> int:
    """`recorded_at` (RFC 3339, UTC, up to nine fraction digits) in ns
    since the epoch, the clock of `time.time_ns`."""
    whole, _, fraction = recorded_at.rstrip("Z").partition(".")
    seconds = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    return int(seconds) * 1_000_000_000 + int((fraction + "000000000")[:9])


def latency_subscription(engine: Engine, name: str, samples: int, use_async: bool) -> Tuple[List[float], List[float]]:
    """(stamp to callback, execute's own time), in seconds."""
    sub = engine.subscribe(name, from_="end")
    seen = threading.Event()
    delays: Dict[int, float] = {}

    def on_event(event: eventfold.StoredEvent) -> None:
        now = time.time_ns()
        delays[event["position"]] = (now - stamp_ns(event["metadata"]["recorded_at"])) / 1e9
        seen.set()

    def consume() -> None:
        for event in sub:
            on_event(event)

    async def consume_async() -> None:
        async for event in sub:
            on_event(event)

    runner: Callable[[], None] = (lambda: asyncio.run(consume_async())) if use_async else consume
    t = threading.Thread(target=runner)
    t.start()
    # The subscription takes its lease at its first poll: one event first,
    # not timed.
    seen.clear()
    engine.execute("Todos", f"{name}-warm", create(0))
    seen.wait()
    delivered: List[float] = []
    executes: List[float] = []
    for n in range(1, samples + 1):
        seen.clear()
        called = time.perf_counter()
        done = engine.execute("Todos", name, create(n))
        executes.append(time.perf_counter() - called)
        seen.wait()
        delivered.append(delays[done["position"]])
    sub.close()
    t.join()
    return delivered, executes


# ------------------------------------------------------------------ throughput


def fill(engine: Engine, count: int) -> int:
    last = 0
    for start in range(0, count, 100):
        batch = [
            {"model": "Todos", "id": f"list-{n % 100}", "command": create(n)}
            for n in range(start, min(count, start + 100))
        ]
        last = engine.execute_many(batch)[-1]["position"]
    return last


def through_read_all(engine: Engine, last: int) -> int:
    count, position = 0, 0
    while position < last:
        page = engine.read_all(from_position=position + 1, limit=500)
        count += len(page)
        position = page[-1]["position"]
    return count


def through_for(engine: Engine, name: str, last: int) -> int:
    count = 0
    with engine.subscribe(name) as sub:
        for event in sub:
            count += 1
            if event["position"] >= last:
                break
    return count


def through_async_for(engine: Engine, name: str, last: int) -> int:
    async def run() -> int:
        count = 0
        with engine.subscribe(name) as sub:
            async for event in sub:
                count += 1
                if event["position"] >= last:
                    break
        return count

    return asyncio.run(run())


def through_poll(engine: Engine, name: str, last: int) -> int:
    count, position = 0, 0
    with engine.subscribe(name) as sub:
        while position < last:
            events = sub.poll(500, 10.0)
            if events:
                count += len(events)
                position = events[-1]["position"]
                sub.ack(position)
    return count


def timed(work: Callable[[], int]) -> Tuple[int, float]:
    start = time.perf_counter()
    count = work()
    return count, time.perf_counter() - start


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run, rough figures")
    args = parser.parse_args()
    samples = 200 if args.quick else 2000
    events = 5_000 if args.quick else 50_000
    full_events = 500 if args.quick else 3_000

    domain = Domain.from_files(MODEL)
    print(f"eventfold {eventfold.__version__}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    base = sorted(latency_queue(samples))
    q50, q99 = percentile(base, 0.5), percentile(base, 0.99)
    full_samples = max(50, samples // 10)
    print(f"\nLatency, {samples} events one at a time ({full_samples} on FULL), µs from the event's stamp to the callback")
    print(f"{'':50}{'p50':>9}{'p99':>9}{'p50/queue':>11}{'execute p50':>13}")
    print(f"{'queue.Queue between two threads (baseline)':50}{q50 * 1e6:9.1f}{q99 * 1e6:9.1f}{1:11.1f}")

    with tempfile.TemporaryDirectory() as tmp:
        stores = [
            ("memory:", "memory:"),
            ("sqlite NORMAL", f"sqlite:{tmp}/normal.db?synchronous=normal"),
            ("sqlite FULL", f"sqlite:{tmp}/full.db"),
        ]
        for label, store in stores:
            with Engine(store, domain) as engine:
                for use_async in (False, True):
                    kind = "async for" if use_async else "for"
                    n = samples if label != "sqlite FULL" else full_samples
                    delivered, executes = latency_subscription(engine, f"lat-{kind.replace(' ', '-')}", n, use_async)
                    d, x = sorted(delivered), sorted(executes)
                    p50 = percentile(d, 0.5)
                    print(
                        f"{label + ', ' + kind:50}{p50 * 1e6:9.1f}{percentile(d, 0.99) * 1e6:9.1f}"
                        f"{p50 / q50:11.1f}{percentile(x, 0.5) * 1e6:13.1f}"
                    )

        print("\nThroughput, events delivered per second (the store filled beforehand)")
        print(f"{'':50}{'events':>8}{'events/s':>11}{'/read_all':>10}")
        for label, store in stores:
            count_in = events if label != "sqlite FULL" else full_events
            store = store.replace(".db", "-thr.db")
            with Engine(store, domain) as engine:
                last = fill(engine, count_in)
                n, base_s = timed(lambda: through_read_all(engine, last))
                base_rate = n / base_s
                print(f"{label + ', read_all pages of 500 (baseline)':50}{n:8}{base_rate:11.0f}{1:10.2f}")
                cases = [
                    ("for, ack each", lambda: through_for(engine, "thr-for", last)),
                    ("async for, ack each", lambda: through_async_for(engine, "thr-async", last)),
                    ("poll(500), ack each batch", lambda: through_poll(engine, "thr-poll", last)),
                ]
                for case, work in cases:
                    n, secs = timed(work)
                    assert n == count_in, f"{case}: {n} events of {count_in}"
                    rate = n / secs
                    print(f"{label + ', ' + case:50}{n:8}{rate:11.0f}{rate / base_rate:10.2f}")


if __name__ == "__main__":
    main()
