"""A user's first script, against the installed wheel (packaging/test.sh)."""

from __future__ import annotations

import sys

import eventfold
from eventfold import Domain, Engine


def main(model: str, store: str) -> None:
    domain = Domain.from_files(model)
    with Engine(store, domain) as engine:
        engine.execute("Todos", "home", {"type": "create-new", "data": {"id": "a", "text": "Buy milk"}})
        engine.execute("Todos", "home", {"type": "create-new", "data": {"id": "b", "text": "Call mum"}})
        try:
            engine.execute("Todos", "home", {"type": "create-new", "data": {"id": "a", "text": "Again"}})
        except eventfold.Rejected as rejected:
            print(f"rejected: {rejected.reason}")
        remaining: object = engine.query("Todos", "home", "remaining")
        print(f"remaining: {remaining}")
    print(f"eventfold {eventfold.__version__} from {eventfold.__file__}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
