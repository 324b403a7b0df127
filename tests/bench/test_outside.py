"""bench/resolve.py measures an outside set only as the present bench/outside.py writes it:
a folder an older version wrote (or one written part way) is written again. On 2026-12-08
a folder written before the historical persons' occupation was compared was measured for a
day, and its figures were 0.014 under the set's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bench import outside
from bench.resolve import outside_folder


def test_a_folder_an_older_builder_wrote_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[Path] = []

    def tiny(out: Path) -> Path:
        frame = pd.DataFrame({"id": ["1", "2"], "name": ["Ann", "Anne"]})
        truth = pd.DataFrame({"source": ["s", "s"], "source_key": ["1", "2"], "person_id": [1, 1]})
        written.append(out / "tiny")
        return outside._write(out / "tiny", {"s": (frame, "source: s\n")}, truth)

    monkeypatch.setitem(outside.SETS, "tiny", tiny)
    folder, truth = outside_folder("tiny", tmp_path)
    assert written == [folder] and truth == folder / "truth_records.csv" and truth.exists()
    assert (folder / outside.BUILT_BY).read_text().strip() == outside.builder_digest()
    outside_folder("tiny", tmp_path)
    assert len(written) == 1  # current: read as it is
    (folder / outside.BUILT_BY).write_text("0123456789abcdef\n")  # an older bench/outside.py
    outside_folder("tiny", tmp_path)
    assert len(written) == 2
    (folder / outside.BUILT_BY).unlink()  # written part way, or before folders were stamped
    outside_folder("tiny", tmp_path)
    assert len(written) == 3 and outside.written_by_this(folder)
