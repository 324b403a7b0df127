"""A file load's journal: `<data dir>/loads/<load name>.json` (held.load_name) says whether
the last load of that file finished, and if not, where and why it stopped, so the next run
can say that it completes it (loads are idempotent: running the file again from the start
ends in the graph of one clean load)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Journal:
    def __init__(self, path: Path, file: Path) -> None:
        self.path, self.file = path, file
        self.rows_written = 0
        self._state: dict[str, Any] = {}

    def read(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def unfinished(self) -> str | None:
        """How the last load of this file stopped, when it did not finish; else None."""
        last = self.read()
        if not last or last.get("status") == "done":
            return None
        if last.get("status") == "failed":
            return (
                f"the load of {last.get('started')} stopped at row {last.get('stoppedAtRow'):,}: "
                f"{last.get('reason')}"
            )
        if last.get("bulk"):
            return (
                f"the bulk first load of {last.get('started')} did not finish (the process "
                "was stopped before the whole graph was stored)"
            )
        return (
            f"the load of {last.get('started')} did not finish (the process was stopped "
            f"after row {int(last.get('rowsWritten') or 0):,} was written)"
        )

    def _save(self, **changes: Any) -> None:
        self._state.update(changes, updated=_now())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._state, indent=2), encoding="utf-8")
        os.replace(tmp, self.path)  # never a half-written journal

    def start(self, bulk: bool = False) -> None:
        """A load begins (`bulk`: a bulk first load, whose rows are stored all at once at
        the end)."""
        stat = self.file.stat()
        self._state = {"file": str(self.file), "size": stat.st_size, "started": _now()}
        if bulk:
            self._state["bulk"] = True
        self._save(status="running", rowsWritten=0)

    def written(self, last_row: int) -> None:
        """Every row up to last_row is in the graph (called after each chunk's writes)."""
        self.rows_written = max(self.rows_written, last_row)
        self._save(rowsWritten=self.rows_written)

    def fail(self, row: int, reason: str) -> None:
        self._save(status="failed", stoppedAtRow=row, reason=reason)

    def finish(self, rows: int, **facts: Any) -> None:
        """The load is complete; `facts` (its inputs' digest, its summary) are kept with it."""
        self._save(status="done", rowsWritten=rows, finished=_now(), **facts)
