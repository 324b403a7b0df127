"""How long quarantine files keep raw values: a line older than the retention
(IDGRAPH_QUARANTINE_RETENTION_DAYS, by the file's time) keeps its file, row, column, field
and reason, and loses the raw record and the bad value. The server does it at start and
hourly; `idgraph purge-quarantine` does it now."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from app.settings import Settings

RAW_KEYS = ("raw", "value")


def quarantine_lines(path: Path) -> list[str]:
    """A quarantine file's JSON lines, split at line feeds only. A raw value may hold a
    line or paragraph separator (U+2028, U+2029) or a next-line character (U+0085), which
    JSON leaves as they are and `str.splitlines` splits at: read that way, such a line came
    apart into two that are not JSON, and the purge dropped them and an erasure wrote them
    back broken."""
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line]


@dataclass
class Purged:
    files: int = 0
    lines: int = 0


def purge_expired(settings: Settings, now: float | None = None) -> Purged:
    out = Purged()
    folder = settings.quarantine_dir
    if not folder.is_dir():
        return out
    cutoff = (time.time() if now is None else now) - settings.quarantine_retention_days * 86400
    for path in sorted(folder.glob("*.jsonl")):
        if path.stat().st_mtime > cutoff:
            continue
        lines, changed = [], 0
        for line in quarantine_lines(path):
            try:
                data = json.loads(line)
            except ValueError:
                changed += 1  # not ours to read: not kept either
                continue
            if isinstance(data, dict) and any(data.get(k) is not None for k in RAW_KEYS):
                for k in RAW_KEYS:
                    if k in data:
                        data[k] = None
                data["expired"] = True
                changed += 1
            lines.append(json.dumps(data, ensure_ascii=False))
        if changed:
            stamp = path.stat().st_mtime
            tmp = path.with_suffix(".jsonl.tmp")
            tmp.write_text("".join(f"{x}\n" for x in lines), encoding="utf-8")
            tmp.replace(path)
            os.utime(path, (stamp, stamp))  # the file's age stays that of its load
            out.files += 1
            out.lines += changed
    return out
