"""Read CSV, JSON Lines and Parquet in chunks of string columns, so memory stays flat."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from app.errors import InputError

Format = Literal["csv", "jsonl", "parquet"]
SUFFIXES: dict[str, Format] = {
    ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet",
}  # fmt: skip


@dataclass
class Chunk:
    """Rows of one read step. `rows` holds each frame row's 1-based record number in the
    file (header excluded); `bad` holds records that could not even be split into fields."""

    frame: pd.DataFrame
    rows: list[int]
    bad: list[tuple[int, dict[str, Any], str]] = field(default_factory=list)
    progress: int = 0  # bytes (csv, jsonl) or records (parquet) consumed so far
    # column -> {frame index: reason} for values that are a list or an object where one
    # value belongs (JSON Lines); the frame holds their JSON text
    nested: dict[str, dict[Any, str]] = field(default_factory=dict)


def detect_format(path: Path) -> Format:
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unknown file type {path.suffix!r}; use .csv, .jsonl or .parquet")
    return fmt


def progress_total(path: Path, fmt: Format) -> int:
    if fmt == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    return path.stat().st_size


def read_header(path: Path, fmt: Format, encoding: str = "utf8") -> list[str]:
    """Column names, read without loading the file."""
    try:
        if fmt == "parquet":
            return list(pq.ParquetFile(path).schema_arrow.names)
        if fmt == "csv":
            with path.open(encoding=encoding, newline="") as fh:
                return next(csv.reader(fh), [])
        keys: dict[str, None] = {}
        with path.open(encoding=encoding) as fh:
            for i, line in enumerate(fh):
                if i >= 1000:
                    break
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(obj, dict):
                    keys.update(dict.fromkeys(obj))
        return list(keys)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid {encoding} text ({exc.reason}); set 'encoding:' in the mapping"
        ) from exc
    except (OSError, pa.ArrowException, csv.Error) as exc:
        raise InputError(f"{path}: cannot read the file: {exc}") from exc


def read_chunks(
    path: Path, fmt: Format, chunk_rows: int, encoding: str = "utf8"
) -> Iterator[Chunk]:
    try:
        if fmt == "csv":
            yield from _csv_chunks(path, chunk_rows, encoding)
        elif fmt == "jsonl":
            yield from _jsonl_chunks(path, chunk_rows, encoding)
        else:
            yield from _parquet_chunks(path, chunk_rows)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid {encoding} text at byte {exc.start}; set 'encoding:' in the mapping"
        ) from exc
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "UTF8" in msg or "utf8" in msg.lower():
            raise InputError(
                f"{path}: not valid {encoding} text; set 'encoding:' in the mapping"
            ) from exc
        raise InputError(f"{path}: cannot read the file: {msg}") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc}") from exc


def _csv_chunks(path: Path, chunk_rows: int, encoding: str) -> Iterator[Chunk]:
    header = read_header(path, "csv", encoding)
    ragged: list[tuple[int, dict[str, Any], str]] = []

    def on_bad_row(row: Any) -> str:
        # pyarrow numbers records from 1 with the header as record 1.
        number = (row.number - 1) if row.number is not None else -1
        ragged.append((
            number,
            {"line": row.text},
            f"ragged line: {row.actual_columns} fields where the header has {row.expected_columns}",
        ))  # fmt: skip
        return "skip"

    stream = pa.input_stream(str(path))
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(
            block_size=max(1 << 20, chunk_rows * 200), use_threads=False, encoding=encoding
        ),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_bad_row, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    next_row = 1
    for batch in reader:
        frame = batch.to_pandas()
        bad, ragged[:] = list(ragged), []
        skipped = {n for n, _, _ in bad}
        rows: list[int] = []
        while len(rows) < len(frame):
            if next_row not in skipped:
                rows.append(next_row)
            next_row += 1
        yield Chunk(frame, rows, bad, stream.tell())
    if ragged:  # a bad record after the last full batch
        yield Chunk(pd.DataFrame(columns=header), [], list(ragged), stream.tell())


def _jsonl_chunks(path: Path, chunk_rows: int, encoding: str) -> Iterator[Chunk]:
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    bad: list[tuple[int, dict[str, Any], str]] = []
    done = 0
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            done += len(raw)
            try:
                obj = json.loads(raw.decode(encoding))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                text = raw.decode(encoding, errors="replace").rstrip("\n")
                if text.strip():
                    bad.append((number, {"line": text}, f"not a JSON object: {exc}"))
                continue
            if not isinstance(obj, dict):
                bad.append(
                    (
                        number,
                        {"line": raw.decode(encoding, "replace").rstrip()},
                        "not a JSON object",
                    )
                )
                continue
            records.append({k: None if v is None else str(v) for k, v in obj.items()})
            rows.append(number)
            if len(records) >= chunk_rows:
                yield Chunk(pd.DataFrame(records, dtype="str"), rows, bad, done)
                records, rows, bad = [], [], []
    if records or bad:
        yield Chunk(pd.DataFrame(records, dtype="str"), rows, bad, done)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    pf = pq.ParquetFile(path)
    done = 0
    for batch in pf.iter_batches(batch_size=chunk_rows):
        frame = batch.to_pandas()
        frame = frame.astype("str").where(frame.notna(), None)
        rows = list(range(done + 1, done + len(frame) + 1))
        done += len(frame)
        yield Chunk(frame, rows, [], done)
