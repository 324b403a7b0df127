"""Quarantine files past their retention keep every line, without the raw values, whatever
those values held: a line or paragraph separator in a raw value (U+2028, U+2029, U+0085,
which JSON writes as they are) made the purge read the line as two that are not JSON and
drop both."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from app.privacy.quarantine import Purged, purge_expired, quarantine_lines
from app.settings import Settings

ODD = ["a\u2028b", "c\u2029d", "e\x85f"]


def _lines() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for row, odd in enumerate(ODD, start=1):
        raw = {"id": "", "first": odd}
        out.append({"file": "crm.csv", "row": row, "reason": "empty key", "raw": raw})
    out.append({"file": "crm.csv", "row": 9, "field": "dateOfBirth", "value": "x\u2028y"})
    return out


def test_expired_lines_keep_all_but_their_raw_values_whatever_they_held(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", quarantine_retention_days=30)
    settings.quarantine_dir.mkdir(parents=True)
    old = settings.quarantine_dir / "crm.customers.crm.jsonl"
    new = settings.quarantine_dir / "crm.customers.new.jsonl"
    text = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in _lines())
    assert len(text.splitlines()) == 8  # what the purge read: 4 lines as 8 pieces
    old.write_text(text, encoding="utf-8")
    new.write_text(text, encoding="utf-8")
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))

    assert purge_expired(settings) == Purged(files=1, lines=4)

    kept = [json.loads(line) for line in quarantine_lines(old)]
    expected = []
    for line in _lines():
        gone = {k: (None if k in ("raw", "value") else v) for k, v in line.items()}
        expected.append({**gone, "expired": True})
    assert kept == expected
    assert old.stat().st_mtime == month_ago  # the file keeps the age of its load
    assert new.read_text(encoding="utf-8") == text  # within the retention: as it was
