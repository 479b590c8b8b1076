"""The board and the loan of ../shared/scenarios/v1 through the types
`eventfold generate --lang python board.model time.model --package
board_types` writes: enums, records, optional, list and map fields,
timestamps, durations, tables and a query that gives a record.

    python typed_board.py STORE BOARD_MODEL TIME_MODEL   (board_types on the path)
"""

from __future__ import annotations

import sys
from typing import List, Optional

import eventfold
from board_types import PRIORITY_MEMBERS, BoardModel, Card, CardRow, LoanModel, LoanState, Priority, Tables


def main(store: str, *model_files: str) -> None:
    domain = eventfold.Domain.from_files(*model_files)
    with eventfold.Engine(store, domain) as engine:
        board = BoardModel(engine).stream("b1")
        board.name_board(title="Sprint")
        board.add_card(id="c1", title="Write docs", priority="high", options={"metadata": {"user": "ann"}})
        board.add_card(id="c2", title="Ship it")  # lane and priority: the model's defaults
        board.label_card(id="c1", label="docs")
        board.move_card(id="c1", lane="doing")
        card: Optional[Card] = board.card(id="c1")
        assert card is not None
        urgent: Priority = card["priority"]
        print("card:", card["title"], card["lane"], urgent, card["labels"])
        print("urgent:", board.urgent(), "todo:", board.in_lane(lane="todo"))
        assert PRIORITY_MEMBERS == ("low", "normal", "high")
        try:
            board.add_card(id="c3", title="Nowhere", lane="limbo")
        except eventfold.Rejected as rejected:
            print(f"rejected ({rejected.reason}): {rejected.message}")

        rows: List[CardRow] = Tables(engine).card_rows.rows("b1")
        for row in rows:
            moved = "moved" if row["moved_at"] is not None else "not moved"
            print(row["card_id"], row["lane"], row["priority"], row["labels"], row["added_by"], moved, row["added_at"][:4])
        boards = Tables(engine).boards.get(("b1",))
        assert boards is not None
        print("boards:", boards["title"], boards["cards"])

        loan = LoanModel(engine).stream("copy-1")
        loan.lend(member="ann", days=7, options={"now": "2026-03-02T10:00:00Z"})
        loan.extend(by="3d", options={"now": "2026-03-03T10:00:00Z"})
        state: LoanState = loan.state()
        print("loan:", state["borrower"], state["lent_at"], state["due"], state["time_out"])
        done = loan.give_back(options={"now": "2026-03-14T10:00:00Z"})
        event = done["events"][0]
        if event["type"] == "returned":
            print("returned:", event["data"]["kept"], event["data"]["fee"])


if __name__ == "__main__":
    main(sys.argv[1], *sys.argv[2:])
