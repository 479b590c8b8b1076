"""A todo HTTP app on FastAPI, over the types `eventfold generate` writes
and an AsyncEngine: no request holds the event loop while its command is
stored.

    eventfold generate --lang python examples/todos/todos.model \\
        -o examples/python-fastapi --package todo_types
    python examples/python-fastapi/app.py --store sqlite:todos.db --port 8000

    curl -X POST localhost:8000/lists/groceries/todos -H 'content-type: application/json' \\
         -d '{"id": "a", "text": "Buy milk"}'
    curl -X POST localhost:8000/lists/groceries/todos/a/complete
    curl localhost:8000/lists/groceries/rows

A rejection is a 409 with its reason (``{"code": "rejected", "reason":
"duplicate", "message": ...}``); a command that does not fit the model
(``InvalidCommand``) a 422.
"""

from __future__ import annotations

import argparse
import socket
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Dict, List, Optional

import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import eventfold
from eventfold import AsyncEngine, Domain
from todo_types import AsyncTables, AsyncTodosModel, Todo, TodoRow, TodosExecuted, todos_reason

MODEL = Path(__file__).resolve().parent.parent / "todos" / "todos.model"


class NewTodo(BaseModel):
    """The body of POST /lists/{list_id}/todos."""

    id: str
    text: str


class NewText(BaseModel):
    text: str


def create_app(store: str, on_ready: Optional[socket.socket] = None) -> FastAPI:
    """The app over the store; ``on_ready``: a listening socket whose port
    is printed (``listening on PORT``) once the engine is open."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = await AsyncEngine.open(store, Domain.from_files(MODEL))
        app.state.todos = AsyncTodosModel(engine)
        app.state.tables = AsyncTables(engine)
        if on_ready is not None:
            print(f"listening on {on_ready.getsockname()[1]}", flush=True)
        yield
        await engine.close()

    app = FastAPI(title="todos", lifespan=lifespan)

    def todos(request: Request) -> AsyncTodosModel:
        model: AsyncTodosModel = request.app.state.todos
        return model

    @app.exception_handler(eventfold.Rejected)
    async def rejected(request: Request, error: eventfold.Rejected) -> JSONResponse:
        # The reason, typed as the model's (TodosReason): duplicate, blank, missing.
        body = {"code": error.code, "reason": todos_reason(error), "message": error.message}
        return JSONResponse(body, status_code=409)

    @app.exception_handler(eventfold.InvalidCommand)
    async def invalid(request: Request, error: eventfold.InvalidCommand) -> JSONResponse:
        return JSONResponse(error.to_dict(), status_code=422)

    def summary(done: TodosExecuted) -> Dict[str, object]:
        return {"stream": done["stream"], "version": done["version"], "events": [e["type"] for e in done["events"]]}

    @app.post("/lists/{list_id}/todos", status_code=201)
    async def create(list_id: str, body: NewTodo, request: Request) -> Dict[str, object]:
        done = await todos(request).stream(list_id).create_new(id=body.id, text=body.text)
        return summary(done)

    @app.post("/lists/{list_id}/todos/{todo_id}/text")
    async def change_text(list_id: str, todo_id: str, body: NewText, request: Request) -> Dict[str, object]:
        done = await todos(request).stream(list_id).change_text(id=todo_id, new_text=body.text)
        return summary(done)

    @app.post("/lists/{list_id}/todos/{todo_id}/complete")
    async def complete(list_id: str, todo_id: str, request: Request) -> Dict[str, object]:
        done = await todos(request).stream(list_id).change_completed(id=todo_id, completed=True)
        return summary(done)

    @app.delete("/lists/{list_id}/todos/{todo_id}")
    async def delete(list_id: str, todo_id: str, request: Request) -> Dict[str, object]:
        return summary(await todos(request).stream(list_id).delete(id=todo_id))

    @app.get("/lists/{list_id}/todos/{todo_id}", response_model=None)
    async def get(list_id: str, todo_id: str, request: Request) -> Todo:
        found = await todos(request).stream(list_id).get_todo(id=todo_id)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no todo {todo_id} on {list_id}")
        return found

    @app.get("/lists/{list_id}/rows", response_model=None)
    async def rows(list_id: str, request: Request) -> List[TodoRow]:
        """The projection's table `todo_rows`, the rows of one list in key order."""
        tables: AsyncTables = request.app.state.tables
        return await tables.todo_rows.rows(list_id)

    return app


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default="sqlite:todos.db")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0: a free port, printed once ready")
    args = parser.parse_args(argv)
    # Bound and listening before the app starts: a request that comes as
    # soon as the port is printed waits in the backlog.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)
    app = create_app(args.store, on_ready=sock)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
