"""A small todo-list web service on the standard library only (http.server).

    python examples/python/todo_service.py [--port 8000] [--store sqlite:todos.db]

    curl -X POST localhost:8000/lists/groceries/commands \\
         -d '{"type": "create-new", "data": {"id": "a", "text": "Buy milk"}}'
    curl localhost:8000/lists/groceries
    curl localhost:8000/lists/groceries/events
    curl localhost:8000/lists/groceries/queries/remaining
    curl localhost:8000/lists

Each request runs on its own thread (ThreadingHTTPServer) and all share one
Engine: eventfold releases the GIL while it works and serialises commands on
one stream, so nothing is lost when requests race. A request body goes to the
engine as the JSON text it is (no json.loads), and every eventfold error
becomes an HTTP status with the error's `{code, message, ...}` as the body.
"""

from __future__ import annotations

import argparse
import json
import re
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Type
from urllib.parse import parse_qs, urlsplit

import eventfold
from eventfold import Domain, Engine

MODEL = Path(__file__).resolve().parent.parent / "todos" / "todos.model"
MAX_BODY = 1 << 20

#: Which HTTP status each error code gives.
STATUS: Dict[Type[eventfold.EventfoldError], HTTPStatus] = {
    eventfold.Rejected: HTTPStatus.UNPROCESSABLE_ENTITY,
    eventfold.VersionConflict: HTTPStatus.CONFLICT,
    eventfold.InvalidJson: HTTPStatus.BAD_REQUEST,
    eventfold.InvalidCommand: HTTPStatus.BAD_REQUEST,
    eventfold.UnknownCommand: HTTPStatus.BAD_REQUEST,
    eventfold.UnknownQuery: HTTPStatus.NOT_FOUND,
    eventfold.LimitExceeded: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    eventfold.StoreError: HTTPStatus.SERVICE_UNAVAILABLE,
}

ROUTES = [
    ("GET", re.compile(r"/lists"), "streams"),
    ("GET", re.compile(r"/lists/([\w.-]+)"), "load"),
    ("GET", re.compile(r"/lists/([\w.-]+)/events"), "events"),
    ("GET", re.compile(r"/lists/([\w.-]+)/queries/([\w-]+)"), "query"),
    ("POST", re.compile(r"/lists/([\w.-]+)/commands"), "execute"),
]


class TodoService:
    """The application: routes to the engine, nothing else."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def handle(
        self, method: str, target: str, body: bytes, headers: Dict[str, str]
    ) -> Tuple[HTTPStatus, Any]:
        url = urlsplit(target)
        for verb, pattern, name in ROUTES:
            match = pattern.fullmatch(url.path)
            if match and verb == method:
                try:
                    return getattr(self, name)(*match.groups(), body=body, query=parse_qs(url.query), headers=headers)  # type: ignore[no-any-return]
                except eventfold.EventfoldError as error:
                    return STATUS.get(type(error), HTTPStatus.INTERNAL_SERVER_ERROR), error.to_dict()
        return HTTPStatus.NOT_FOUND, {"code": "not_found", "message": f"no route for {method} {url.path}"}

    def streams(self, **_: Any) -> Tuple[HTTPStatus, Any]:
        return HTTPStatus.OK, self.engine.streams(model="Todos")

    def load(self, list_id: str, **_: Any) -> Tuple[HTTPStatus, Any]:
        return HTTPStatus.OK, self.engine.load("Todos", list_id)

    def events(self, list_id: str, query: Dict[str, Any], **_: Any) -> Tuple[HTTPStatus, Any]:
        start = int(query.get("from_version", ["1"])[0])
        return HTTPStatus.OK, self.engine.read_stream(f"Todos-{list_id}", from_version=start)

    def query(self, list_id: str, name: str, query: Dict[str, Any], **_: Any) -> Tuple[HTTPStatus, Any]:
        args = {key: values[0] for key, values in query.items()}
        return HTTPStatus.OK, self.engine.query("Todos", list_id, name, args)

    def execute(self, list_id: str, body: bytes, headers: Dict[str, str], **_: Any) -> Tuple[HTTPStatus, Any]:
        expected: Optional[int] = None
        if_match = headers.get("if-match")
        if if_match is not None and if_match.strip('"').isdigit():
            expected = int(if_match.strip('"'))
        done = self.engine.execute(
            "Todos",
            list_id,
            body,  # the JSON text as it came
            expected_version=expected,
            command_id=headers.get("idempotency-key"),
            metadata={"user_agent": headers.get("user-agent", "")},
        )
        return HTTPStatus.CREATED, done


def make_handler(service: TodoService) -> Type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.respond("GET")

        def do_POST(self) -> None:
            self.respond("POST")

        def respond(self, method: str) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                status, payload = HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"code": "too_large", "message": "body too large"}
                self.close_connection = True
            else:
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, payload = service.handle(method, self.path, body, headers)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet; a real service would log to its logger

    return Handler


def serve(engine: Engine, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server (not started) for the engine; `port=0` picks a free port."""
    return ThreadingHTTPServer((host, port), make_handler(TodoService(engine)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--store", default="sqlite:todos.db", help='"memory:" or "sqlite:PATH"')
    args = parser.parse_args()
    with Engine(args.store, Domain.from_files(MODEL)) as engine:
        server = serve(engine, args.host, args.port)
        print(f"serving todo lists on http://{args.host}:{server.server_address[1]} ({args.store})")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


if __name__ == "__main__":
    main()
